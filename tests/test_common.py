"""scikit-learn's own estimator checks over every public estimator."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsereg import (
    SparseFTRLClassifier,
    SparseFTRLClassifierCV,
    SparseFTRLRegressor,
    SparseFTRLRegressorCV,
)
from sparsereg.crosses import FeatureCrossHasher

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
        SparseFTRLRegressorCV(alphas=[1e-6, 1e-4], eta0s=[0.1, 0.5]),
        SparseFTRLClassifierCV(alphas=[1e-6, 1e-4], eta0s=[0.1, 0.5], state_store="sparse"),
        SparseFTRLClassifier(multi_class="multinomial"),
        SparseFTRLClassifier(multi_class="multinomial", state_store="sparse"),
        # narrow outputs: some checks densify the output, 2**20 columns would take seconds
        FeatureCrossHasher(n_features=2**10),
        FeatureCrossHasher(n_features=2**10, alternate_sign=True, missing="skip"),
        FeatureCrossHasher(n_features=2**10, dtype=np.float32),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    if name in EXPECTED_FAILED:  # (not run: a non-strict xfail can fail nothing; 4.7 s of CPU)
        pytest.skip(EXPECTED_FAILED[name])
    check(estimator)
