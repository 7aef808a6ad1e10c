"""A model people can read: its largest weights, with the features they stand for.

:func:`top_weights` lists the largest weights (by magnitude) of a fitted linear model, a
``Pipeline`` ending in one, or an :class:`~sparsereg.export.ExportedLinearModel`, with the
readable cells behind each hashed column when the model reads a
:class:`~sparsereg.crosses.FeatureCrossHasher`'s output (through
:meth:`~sparsereg.FeatureCrossHasher.explain`, on rows you give it), or the column
names the model was fitted with. It is what Vowpal Wabbit's ``--invert_hash`` prints, for
FTRL models too. The ``sparsereg report`` command prints the same selection and names.
"""

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._validation import csr_of_coef
from .sparsity import real_coef

__all__ = ["top_weights"]

_COLUMNS = ["class", "column", "weight", "feature", "cells"]


def largest_weights(coef, n):
    """``[(model, column, weight)]``: the ``n`` largest ``|weight|`` of each row of ``coef``.

    Within a model, by decreasing magnitude, ties in increasing column order; a NaN weight
    (a model that diverged) counts as infinite, so that it is listed rather than sorted last.
    """
    coef = sp.csr_matrix(coef)
    coef.sum_duplicates()  # sorted indices, one entry per column
    found = []
    for k in range(coef.shape[0]):
        begin, end = coef.indptr[k], coef.indptr[k + 1]
        data, indices = coef.data[begin:end], coef.indices[begin:end]
        keep = data != 0
        data, indices = data[keep], indices[keep]
        magnitude = np.abs(data)
        magnitude[np.isnan(magnitude)] = np.inf
        order = np.argsort(-magnitude, kind="stable")[: max(0, n)]
        found += [(k, int(indices[i]), float(data[i])) for i in order]
    return found


def name_columns(hasher, batches, columns):
    """Readable cells of each of ``columns``, from the row ``batches`` hashed by ``hasher``.

    ``{column: [cell, ...]}``, most frequent in each batch first, each cell once.
    """
    names = {int(c): [] for c in columns}
    if not names:
        return names
    wanted = sorted(names)
    for X in batches:
        for column, cells in hasher.explain(X, wanted).items():
            names[column] += [c for c in cells if c not in names[column]]
    return names


def _linear_scaler(step):
    from sklearn.preprocessing import MaxAbsScaler, RobustScaler, StandardScaler

    return type(step) in (StandardScaler, MaxAbsScaler, RobustScaler)


def _parts(model):
    """``(coef CSR, classes or None, is_classifier, transformers before, feature names)``."""
    from .export import ExportedLinearModel

    if isinstance(model, ExportedLinearModel):
        return (
            model.coef_,
            model.classes_,
            model.kind == "classifier",
            list(model.transformers),
            model.feature_names_in_,
        )
    transformers = []
    steps = getattr(model, "steps", None)
    if steps:
        transformers = [s for _, s in steps[:-1] if not (s is None or s == "passthrough")]
        model = steps[-1][1]
    check_is_fitted(model)
    coef = getattr(model, "sparse_coef_", None)
    if coef is None or not sp.issparse(coef):
        if not hasattr(model, "coef_"):
            raise TypeError(
                f"{type(model).__name__} has no coef_: top_weights reads linear models."
            )
        coef = csr_of_coef(real_coef(model.coef_, type(model).__name__))
    names = getattr(transformers[0] if transformers else model, "feature_names_in_", None)
    return (
        coef,
        getattr(model, "classes_", None) if is_classifier(model) else None,
        is_classifier(model),
        transformers,
        names,
    )


def top_weights(model: Any, n: int = 20, X: Any = None) -> Any:  # a pandas DataFrame
    """The largest weights of a fitted linear model, with the features they stand for.

    Parameters
    ----------
    model : estimator, Pipeline or ExportedLinearModel
        A fitted linear model with ``coef_`` (sparsereg's FTRL estimators, any
        scikit-learn linear model), a ``Pipeline`` ending in one, or an exported
        model (:func:`~sparsereg.export_model`, :func:`~sparsereg.load_model`).
    n : int, default=20
        Weights listed per weight vector (per class for one-vs-rest), the largest
        ``|weight|`` first (a NaN weight counts as infinite). Zero weights are never listed.
    X : DataFrame or array-like, default=None
        Raw rows (e.g. the training data) to name hashed columns with, when the
        step before the model (scalers aside) is a
        :class:`~sparsereg.crosses.FeatureCrossHasher`: each column is named by the
        cells of ``X`` that hash to it (:meth:`FeatureCrossHasher.explain`). A
        hashed column stands for whatever lands in it: only the cells ``X`` holds
        are named, and several cells may share a column (a collision).

    Returns
    -------
    weights : pandas.DataFrame
        One row per weight, columns ``class`` (the class the weight votes for:
        the class of its one-vs-rest model, ``classes_[1]`` for a binary
        classifier; the target index for a multi-output regressor; None for a
        single regressor), ``column`` (the input column of the linear model),
        ``weight``, ``feature`` (readable text: the cells of ``column`` joined by
        ``"; "``, most frequent in ``X`` first, or the column's name when the
        model was fitted on a DataFrame; None when unknown; with the hasher's
        ``alternate_sign``, a cell that enters the column as -1 is prefixed with
        ``-``, its effect on scores minus ``weight``) and ``cells`` (the list
        of cells, empty without a hasher and ``X``).

    Raises
    ------
    ImportError
        When pandas is not installed.
    ValueError
        If ``X`` is given but the model reads no ``FeatureCrossHasher``, or ``n`` is
        negative.

    See Also
    --------
    sparsereg.FeatureCrossHasher.explain : The readable cells of columns.
    sparsereg.sparsity_report : How many weights are non-zero.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.pipeline import make_pipeline
    >>> from sparsereg import FeatureCrossHasher, SparseFTRLClassifier, top_weights
    >>> rng = np.random.RandomState(0)
    >>> frame = pd.DataFrame({"city": rng.choice(["Paris", "Oslo", "Rome"], 400),
    ...                       "device": rng.choice(["phone", "desk"], 400)})
    >>> clicked = (frame.city == "Oslo") & (frame.device == "phone")
    >>> model = make_pipeline(
    ...     FeatureCrossHasher(crosses=["city", "device", ("city", "device")], n_features=2**20),
    ...     SparseFTRLClassifier(alpha=1e-3, eta0=0.5, random_state=0)).fit(frame, clicked)
    >>> table = top_weights(model, n=3, X=frame)
    >>> table.columns.tolist()
    ['class', 'column', 'weight', 'feature', 'cells']
    >>> table.feature.iloc[0]
    'city=Oslo x device=phone'
    >>> bool(table.weight.iloc[0] > 0)
    True
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            'top_weights returns a pandas DataFrame: pip install "sparsereg[stream]" (or pandas).'
        ) from None
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}.")
    from .crosses import FeatureCrossHasher

    coef, classes, classifier, transformers, feature_names = _parts(model)
    if (
        classifier
        and classes is not None
        and coef.shape[0] != len(classes)
        and not (coef.shape[0] == 1 and len(classes) == 2)
    ):  # (an IndexError, or weights listed under the wrong classes)
        raise ValueError(
            f"the model has {coef.shape[0]} weight vector(s) for {len(classes)} classes: "
            "one per class, or one for two classes, was expected."
        )
    while transformers and _linear_scaler(transformers[-1]):
        transformers = transformers[:-1]
    hasher = transformers[-1] if transformers else None
    if X is not None and not isinstance(hasher, FeatureCrossHasher):
        raise ValueError(
            "X names hashed columns through FeatureCrossHasher.explain, but the "
            "model reads no FeatureCrossHasher (it is the step before the model, "
            "scalers aside)."
        )
    found = largest_weights(coef, int(n))
    names = {}
    if X is not None:
        names = name_columns(hasher, [X], sorted({c for _, c, _ in found}))
    rows = []
    for k, column, weight in found:
        if classifier and classes is not None:
            label = classes[1] if coef.shape[0] == 1 and len(classes) == 2 else classes[k]
            label = label.item() if isinstance(label, np.generic) else label
        else:
            label = None if coef.shape[0] == 1 else k
        cells = names.get(column, [])
        if cells:
            feature = "; ".join(cells)
        elif feature_names is not None and not transformers:
            feature = str(feature_names[column])
        else:
            feature = None
        rows.append((label, column, weight, feature, list(cells)))
    return pd.DataFrame(rows, columns=_COLUMNS)
