"""Methods that exist only under some parameters: ``predict_proba`` and
``predict_log_proba`` for the losses that give probabilities.

scikit-learn's ``available_if`` turns any exception raised while it checks into an
``AttributeError`` ("has no attribute 'predict_proba'"), which ``hasattr`` then swallows. A
signal handler's exception (a ``SIGALRM`` timeout raising ``TimeoutError``) that landed in
its check came out as that ``AttributeError``, or was lost. Here the check raises an
``AttributeError`` that says why, and nothing else is caught.
"""

from functools import update_wrapper
from types import MethodType

from ._losses import PROBABILISTIC_LOSSES


class _OptionalMethod:
    """A method that an instance has when ``check(instance)`` does not raise
    ``AttributeError``; on the class, the function itself (its docstring)."""

    def __init__(self, function, check):
        self.function, self.check = function, check
        update_wrapper(self, function)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.function
        self.check(instance)
        return MethodType(self.function, instance)


def available_when(check):
    """Decorate a method that exists only where ``check(estimator)`` does not raise
    ``AttributeError`` (scikit-learn's ``available_if``, without turning other exceptions
    into ``AttributeError``)."""
    return lambda function: _OptionalMethod(function, check)


def gives_probabilities(estimator):
    """``predict_proba``'s check: an ``AttributeError`` unless the loss gives probabilities."""
    if estimator.loss not in PROBABILISTIC_LOSSES:
        raise AttributeError(
            f"probability estimates are not available for loss={estimator.loss!r}; use one "
            f"of {PROBABILISTIC_LOSSES}"
        )
