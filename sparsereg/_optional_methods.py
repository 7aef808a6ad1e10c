"""Methods that exist only under some parameters: ``predict_proba`` and
``predict_log_proba`` for the losses that give probabilities.

scikit-learn's ``available_if`` turns any ``Exception`` raised while it checks into an
``AttributeError`` ("has no attribute 'predict_proba'"), which ``hasattr`` then swallows. A
signal handler's exception (a ``SIGALRM`` timeout raising ``TimeoutError``) that landed in
its check came out as that ``AttributeError``, or was lost. Here the check raises an
``AttributeError`` that says why, and nothing else is caught.
"""

from functools import update_wrapper, wraps
from types import MethodType


class _OptionalMethod:
    """A method that an instance has when ``check(instance)`` does not raise
    ``AttributeError``. On the class, the function (its docstring), checking the instance
    it is called with: ``SparseFTRLClassifier.predict_proba(est, X)`` with a loss without
    probabilities raises as ``est.predict_proba`` does."""

    def __init__(self, function, check):
        self.function, self.check = function, check
        update_wrapper(self, function)

        @wraps(function)
        def checked(estimator, *args, **kwargs):
            check(estimator)
            return function(estimator, *args, **kwargs)

        self.on_class = checked

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.on_class
        self.check(instance)
        return MethodType(self.function, instance)


def available_when(check):
    """Decorate a method that exists only where ``check(estimator)`` does not raise
    ``AttributeError`` (scikit-learn's ``available_if``, without turning other exceptions
    into ``AttributeError``)."""
    return lambda function: _OptionalMethod(function, check)
