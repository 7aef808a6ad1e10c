"""Progressive validation: the loss of each row under the model as it was before the row's batch.

This is Vowpal Wabbit's "average loss": every row is predicted before it is trained on, so the
running mean estimates the loss on unseen data without a held-out set. Classifiers with
``predict_proba`` report log loss, other classifiers the error rate, regressors the squared error.
"""

import numpy as np

from .._decision import softmax_probabilities
from .._losses import one_vs_rest_probabilities
from .._validation import beyond_float64
from ._model import has_method

_EPS = 1e-15  # probabilities are clipped to [eps, 1 - eps], as scikit-learn's log_loss did


def loss_name(final):
    from sklearn.base import is_classifier

    if not is_classifier(final):
        return "squared_error"
    # (a signal handler's exception lost there made the run score its error rate)
    return "log_loss" if has_method(final, "predict_proba") else "error_rate"


def label_positions(classes, y):
    """``(index of each label of y in the sorted classes, mask of the labels outside them)``
    (an index where the mask is set is not one)."""
    try:
        idx = np.searchsorted(classes, y)
        np.minimum(idx, classes.size - 1, out=idx)
        bad = classes[idx] != y
    except TypeError:  # labels that do not compare with the classes (str vs numbers):
        # each label looked up by equality (every row was taken as bad, and the first named)
        position = {c: i for i, c in enumerate(classes.tolist())}
        try:
            idx = np.array([position.get(v, -1) for v in y.tolist()], dtype=np.intp)
        except TypeError:  # an unhashable label
            idx = np.full(y.shape[0], -1, dtype=np.intp)
        bad = idx < 0
    return idx, bad


def class_indices(classes, y, where):
    """Index of each label in ``classes`` (sorted); a label outside it is a ValueError."""
    classes = np.asarray(classes)
    y = np.asarray(y)
    idx, bad = label_positions(classes, y)
    if np.any(bad):
        first = int(np.flatnonzero(bad)[0])
        label = y[first].item() if isinstance(y[first], np.generic) else y[first]
        raise ValueError(
            f"{where(first)}: label {label!r} is not one of the classes "
            f"{classes.tolist()[:20]}; pass every class of the stream in `classes` "
            "(--classes on the command line)."
        )
    return idx


def _scores(final, X):
    """``(margins of X under the model as it stands, whether they are one softmax model's)``,
    read from one state; ``(None, False)`` when it has no state to score from."""
    from_state = getattr(final, "_scores_from_state", None)  # sparsereg's FTRL estimators
    return from_state(X) if from_state is not None else (None, False)


def row_losses(final, name, X, y, class_index, n_classes, fitted):
    """Per-row loss of ``final`` on (X, y); ``class_index``: y's positions in the classes.

    Before the first batch is trained (``fitted`` False) every weight is 0: classes are
    equally likely, the first class is predicted, a regressor predicts 0. sparsereg's
    estimators score the batch from their training state (only the batch's columns);
    others through ``predict`` / ``predict_proba``.
    """
    n = X.shape[0]
    scores, softmax = _scores(final, X) if fitted else (None, False)
    if name == "squared_error":
        if not fitted:
            predictions = np.zeros(n)
        else:
            predictions = scores[:, 0] if scores is not None else final.predict(X)
        try:
            y = np.asarray(y, dtype=np.float64)
        except OverflowError:  # (an int such as 10**400 in an object y: named as fit names it)
            raise beyond_float64("y") from None
        return (y - predictions) ** 2
    if name == "log_loss":
        if not fitted:
            return np.full(n, np.log(n_classes))
        if softmax:  # (the kind of the state that scored, not multi_class: predict_proba's)
            proba = softmax_probabilities(scores)
        elif scores is not None:
            proba = one_vs_rest_probabilities(
                scores[:, 0] if scores.shape[1] == 1 else scores, final.loss
            )
        else:
            proba = final.predict_proba(X)
        p = proba[np.arange(n), class_index]
        return -np.log(np.clip(p, _EPS, 1.0 - _EPS))
    # error rate: a model with every weight 0 predicts the first class
    if not fitted:
        return (class_index != 0).astype(np.float64)
    classes = np.asarray(final.classes_)
    if scores is not None:
        predicted = (
            np.where(scores[:, 0] > 0, 1, 0) if scores.shape[1] == 1 else scores.argmax(axis=1)
        )
        return (predicted != class_index).astype(np.float64)
    return (final.predict(X) != classes[class_index]).astype(np.float64)
