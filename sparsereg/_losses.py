"""Loss names as scikit-learn spells them, and how scores become probabilities.

The kernel's codes for them are ``_ftrl_fast.Loss``, looked up by name (``Loss[name.upper()]``).
"""

import numpy as np
from scipy.special import expit

REGRESSION_LOSSES = (
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
)
CLASSIFICATION_LOSSES = ("log_loss", "hinge", "modified_huber", "squared_hinge", "perceptron")

# losses whose decision function maps to a probability
PROBABILISTIC_LOSSES = ("log_loss", "modified_huber")

# losses whose derivative grows with the prediction, so that gradients scale like |x|**2
UNBOUNDED_DERIVATIVE_LOSSES = ("squared_error", "squared_epsilon_insensitive", "squared_hinge")


def one_vs_rest_probabilities(scores, loss):
    """Class probabilities from one-vs-rest margins, as ``SGDClassifier`` computes them.

    ``loss='log_loss'``: the sigmoid of each margin; ``'modified_huber'``:
    ``(clip(margin, -1, 1) + 1) / 2``. Binary margins (1-D) give two columns;
    multiclass rows are normalised to sum to one (uniform where every class got 0).
    """
    if loss == "log_loss":
        prob = expit(scores)
    else:
        prob = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
    if prob.ndim == 1:
        both = np.empty((prob.shape[0], 2), dtype=prob.dtype)
        np.subtract(1.0, prob, out=both[:, 0])
        both[:, 1] = prob
        return both
    row_sum = prob.sum(axis=1, keepdims=True)
    all_zero = row_sum[:, 0] == 0
    prob[all_zero] = 1.0
    row_sum[all_zero] = prob.shape[1]
    return prob / row_sum


def gives_probabilities(estimator):
    """``predict_proba``'s check: an ``AttributeError`` unless the loss gives probabilities."""
    if estimator.loss not in PROBABILISTIC_LOSSES:
        raise AttributeError(
            f"probability estimates are not available for loss={estimator.loss!r}; use one "
            f"of {PROBABILISTIC_LOSSES}"
        )
