"""Loss names as scikit-learn spells them, mapped to the kernel's int codes.

The codes mirror the ``cdef enum`` at the top of ``_ftrl_fast.pyx``.
"""

LOSS_CODES = {
    "squared_error": 0,
    "huber": 1,
    "epsilon_insensitive": 2,
    "squared_epsilon_insensitive": 3,
    "log_loss": 4,
    "hinge": 5,
    "modified_huber": 6,
    "squared_hinge": 7,
    "perceptron": 8,
}

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
