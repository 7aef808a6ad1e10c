"""scikit-learn's own estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor

# FTRL, like SGD, visits samples one at a time with a per-coordinate step that
# depends on the gradients seen so far: a sample of weight 2 is one step with a
# doubled gradient, not two steps. scikit-learn's SGD lists the same two checks.
SAMPLE_WEIGHT_REASON = (
    "online updates: a weight of 2 doubles one gradient step, it does not repeat it"
)
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON,
    "check_sample_weight_equivalence_on_sparse_data": SAMPLE_WEIGHT_REASON,
}


@parametrize_with_checks(
    [
        SparseFTRLRegressor(),
        SparseFTRLClassifier(),
        SparseFTRLRegressor(state_store="sparse"),
        SparseFTRLClassifier(state_store="sparse", inclusion="bloom", inclusion_count=1),
        SparseFTRLClassifier(multi_class="multinomial"),
        SparseFTRLClassifier(multi_class="multinomial", state_store="sparse"),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
