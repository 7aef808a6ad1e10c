"""Ship the weights L1 left: an inference-only linear model, saved without pickle.

:func:`export_model` keeps the non-zero weights of a fitted linear model (or of a
``Pipeline`` of stateless hashing transformers ending in one), its intercepts,
class labels and how it turns scores into probabilities. The result,
:class:`ExportedLinearModel`, predicts exactly what the estimator predicts and is
saved as a plain ``.npz`` that loads with ``allow_pickle=False``: no training
state, no code in the file.
"""

import io
import json
import pickle
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier, is_regressor
from sklearn.utils import check_array
from sklearn.utils.extmath import softmax
from sklearn.utils.validation import check_is_fitted

from ._losses import one_vs_rest_probabilities
from .sparsity import _format_bytes

__all__ = ["ExportSizes", "ExportedLinearModel", "export_model", "export_sizes", "load_model"]

FORMAT = "sparsereg.ExportedLinearModel"
FORMAT_VERSION = 1
_INT32_MAX = np.iinfo(np.int32).max
# How the source computes X @ coef.T: scikit-learn's (NumPy/BLAS or scipy product
# of the validated X), or sparsereg's with the dense or the sparse (float64 kernel
# over CSR rows) state store, which both first sum repeated columns of a row.
_ARITHMETIC = ("blas", "ftrl_dense", "ftrl_sparse")


def _stateless_transformers():
    """Transformers that are rebuilt from ``get_params()`` alone, by name."""
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.feature_extraction.text import HashingVectorizer

    from .crosses import FeatureCrossHasher

    return {cls.__name__: cls for cls in (FeatureCrossHasher, HashingVectorizer, FeatureHasher)}


# ------------------------------------------------------------------ JSON of params
def _to_json(value, name):
    """JSON-able form of a parameter value; tuples, dicts and dtypes are tagged so
    that they come back with their types (JSON has no tuple, and turns int keys into
    strings)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v, name) for v in value]}
    if isinstance(value, (list, np.ndarray)) and np.asarray(value, dtype=object).ndim <= 1:
        return [_to_json(v, name) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_to_json(k, name), _to_json(v, name)] for k, v in value.items()]}
    if isinstance(value, type) and issubclass(value, np.generic) or isinstance(value, np.dtype):
        return {"__dtype__": np.dtype(value).str}
    raise ValueError(f"parameter {name!r} holds {value!r} ({type(value).__name__}), which cannot be "
                     "saved without pickle; only numbers, strings, lists, tuples, dicts and "
                     "NumPy dtypes can (a callable, for one, cannot).")


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_from_json(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {_from_json(k): _from_json(v) for k, v in value["__dict__"]}
        if "__dtype__" in value:
            return np.dtype(value["__dtype__"]).type
        raise ValueError(f"unknown tagged value in transformer params: {sorted(value)}")
    return value


def _transformer_spec(transformer):
    known = _stateless_transformers()
    name = type(transformer).__name__
    if known.get(name) is not type(transformer):
        raise ValueError(
            f"cannot export a Pipeline step {name}: only stateless hashing transformers "
            f"({', '.join(sorted(known))}) can be rebuilt from their parameters alone.")
    params = {k: _to_json(v, k) for k, v in transformer.get_params(deep=False).items()}
    spec = {"class": name, "params": params}
    if hasattr(transformer, "n_features_in_"):
        spec["n_features_in_"] = int(transformer.n_features_in_)
    names = getattr(transformer, "feature_names_in_", None)
    if names is not None:
        spec["feature_names_in_"] = [str(n) for n in names]
    return spec


def _build_transformer(spec):
    known = _stateless_transformers()
    if spec.get("class") not in known:
        raise ValueError(f"unknown transformer {spec.get('class')!r} in the export; "
                         f"known: {sorted(known)}.")
    transformer = known[spec["class"]](**{k: _from_json(v) for k, v in spec["params"].items()})
    # what fit recorded about the columns, so that transform checks them as the pipeline did
    if "n_features_in_" in spec:
        transformer.n_features_in_ = spec["n_features_in_"]
    if "feature_names_in_" in spec:
        transformer.feature_names_in_ = np.asarray(spec["feature_names_in_"], dtype=object)
    return transformer


# -------------------------------------------------------------------- the model
def _proba_kind(estimator, n_models):
    """How the source turns scores into probabilities, or None."""
    if not is_classifier(estimator):
        return None
    if any(cls.__name__ in ("LogisticRegression", "LogisticRegressionCV")
           for cls in type(estimator).__mro__):
        return "softmax" if n_models > 1 else "ovr_logistic"
    loss = getattr(estimator, "loss", None)
    if loss == "log_loss":
        return "ovr_logistic"
    if loss == "modified_huber":
        return "ovr_modified_huber"
    return None


def _label_array(classes):
    classes = np.asarray(classes)
    if classes.dtype.kind in "iufbU":
        return classes
    if classes.dtype.kind == "O" and all(isinstance(c, str) for c in classes):
        return classes.astype(str)  # e.g. labels from a pandas column of str
    raise ValueError(f"class labels of dtype {classes.dtype} ({classes[:3]!r}...) cannot be saved "
                     "without pickle; use int, float, bool or str labels.")


class ExportedLinearModel:
    """The non-zero weights of a linear model, for inference only.

    Built by :func:`export_model` or :func:`load_model`, not directly. Holds the
    sorted indices of the features with a non-zero weight in any model, their
    weights, the intercepts, the class labels and, when exported from a
    ``Pipeline``, the parameters of its stateless hashing transformers, so that
    raw rows can be scored. ``predict``, ``decision_function`` and
    ``predict_proba`` repeat the estimator's arithmetic (the same sparse or dense
    dot product, in the same order, plus the intercept), so their results are
    identical to the estimator's.

    Attributes
    ----------
    kind : {'regressor', 'classifier'}
        What the source estimator was.
    proba : {'ovr_logistic', 'ovr_modified_huber', 'softmax'} or None
        How scores become probabilities: the sigmoid of each one-vs-rest score
        normalised to sum to one (``log_loss``), ``(clip(score, -1, 1) + 1) / 2``
        normalised likewise (``modified_huber``), or the softmax
        (``LogisticRegression``, multiclass); None when there is no
        ``predict_proba``.
    source : str
        Class name of the exported estimator.
    support_ : ndarray of shape (n_support,)
        Sorted column indices with a non-zero weight in at least one model.
    intercept_ : ndarray of shape (n_models,)
        Intercepts.
    classes_ : ndarray of shape (n_classes,) or None
        Class labels (classifiers only).
    n_features_in_ : int
        Number of columns the linear model reads.
    feature_names_in_ : ndarray of str or None
        Column names the estimator was fitted with, when it was given a DataFrame.
    transformers : list of estimators
        The rebuilt transformers applied before the linear model, in order.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLClassifier
    >>> from sparsereg.export import export_model, load_model
    >>> rng = np.random.RandomState(0)
    >>> X = rng.binomial(1, 0.1, size=(300, 40)).astype(float)
    >>> y = np.where(X[:, 0] + X[:, 1] > 0, "spam", "ham")
    >>> clf = SparseFTRLClassifier(alpha=1e-2, random_state=0).fit(X, y)
    >>> exported = export_model(clf)
    >>> buffer = io.BytesIO()
    >>> exported.save(buffer)
    >>> _ = buffer.seek(0)
    >>> loaded = load_model(buffer)
    >>> bool(np.array_equal(loaded.predict_proba(X), clf.predict_proba(X)))
    True
    >>> bool(np.array_equal(loaded.predict(X), clf.predict(X)))
    True
    >>> loaded.classes_.tolist()
    ['ham', 'spam']
    """

    def __init__(self, *, kind, proba, source, coef, intercept, classes, n_features_in,
                 coef_ndim, matvec, arithmetic="blas", feature_names_in=None,
                 transformer_specs=()):
        coef = sp.csr_matrix(coef)
        coef.sum_duplicates()
        coef.eliminate_zeros()
        n_models = coef.shape[0]
        self.kind = kind
        self.proba = proba
        self.source = source
        self.n_features_in_ = int(n_features_in)
        self.intercept_ = np.array(intercept).reshape(n_models)
        self.classes_ = None if classes is None else _label_array(classes)
        self.feature_names_in_ = (None if feature_names_in is None
                                  else np.asarray(feature_names_in, dtype=str))
        self._coef_ndim = int(coef_ndim)
        self._matvec = bool(matvec)
        if arithmetic not in _ARITHMETIC:
            raise ValueError(f"arithmetic must be one of {_ARITHMETIC}, got {arithmetic!r}.")
        self._arithmetic = str(arithmetic)
        self._transformer_specs = [dict(spec) for spec in transformer_specs]
        self.transformers = [_build_transformer(spec) for spec in self._transformer_specs]
        # weights of the support, one row per supported feature and a last row of
        # zeros that every other feature maps to
        index_dtype = np.int32 if self.n_features_in_ <= _INT32_MAX else np.int64
        self.support_ = np.unique(coef.indices).astype(index_dtype)
        weights = np.zeros((self.support_.size + 1, n_models), dtype=coef.dtype)
        rows = np.repeat(np.arange(n_models), np.diff(coef.indptr))
        weights[np.searchsorted(self.support_, coef.indices), rows] = coef.data
        self._weights = weights[:, 0].copy() if self._matvec else weights

    # ------------------------------------------------------------------ scoring
    @property
    def n_models(self):
        """Number of weight vectors (1, or one per class / target)."""
        return self.intercept_.shape[0]

    @property
    def coef_(self):
        """Weights as a CSR matrix of shape (n_models, n_features_in_)."""
        weights = self._weights.reshape(self.support_.size + 1, -1)[:-1]
        return _spread(weights, self.support_, self.n_features_in_)

    def __sklearn_is_fitted__(self):
        return True

    def _transform(self, X):
        for transformer in self.transformers:
            X = transformer.transform(X)
        if not self.transformers and self.feature_names_in_ is not None and hasattr(X, "columns"):
            columns = np.asarray([str(c) for c in X.columns])
            if not np.array_equal(columns, self.feature_names_in_):
                raise ValueError("The feature names of X do not match those the estimator was "
                                 f"fitted with: {self.feature_names_in_.tolist()[:20]}.")
        X = check_array(X, accept_sparse="csr", dtype=[np.float64, np.float32],
                        accept_large_sparse=True)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but the exported model expects "
                             f"{self.n_features_in_}.")
        return X

    def _scores(self, X):
        """``X @ coef.T + intercept``, computed as the source estimator computes it."""
        X = self._transform(X)
        ftrl = self._arithmetic.startswith("ftrl")
        if sp.issparse(X) and ftrl and not X.has_canonical_format:
            X = X.copy()  # the FTRL estimators sum repeated columns of a row first
            X.sum_duplicates()
        if not sp.issparse(X) and self._arithmetic == "ftrl_sparse":
            X = sp.csr_matrix(X)
        n_support = self.support_.size
        if sp.issparse(X):
            # Map each stored column to its row of _weights (features without a
            # weight to the zero row): the product visits the entries of each row of
            # X in the order the estimator's product does, so the sums are the same.
            position = np.searchsorted(self.support_, X.indices)
            if n_support:
                hit = self.support_[np.minimum(position, n_support - 1)] == X.indices
                position = np.where(hit, position, n_support)
            compact = sp.csr_matrix((X.data, position, X.indptr), shape=(X.shape[0], n_support + 1))
            weights = self._weights
            if self._arithmetic == "ftrl_sparse":  # its kernel sums in float64
                weights = weights.astype(np.float64, copy=False)
            scores = compact @ weights
        else:
            # a dense X goes through the same BLAS call as in the estimator
            full = np.zeros((self.n_models, self.n_features_in_), dtype=self._weights.dtype)
            full[:, self.support_] = self._weights.reshape(n_support + 1, -1)[:-1].T
            scores = X @ full[0] if self._matvec else X @ full.T
        return np.asarray(scores) + self.intercept_

    def decision_function(self, X):
        """Scores, as the exported classifier's ``decision_function`` gives them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data; raw rows (e.g. a DataFrame) when exported from a Pipeline.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column per class for multiclass, one value per row for binary.
        """
        if self.kind != "classifier":
            raise AttributeError(f"decision_function is for classifiers; this export is a {self.kind}.")
        scores = self._scores(X)
        return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict values (regressor) or class labels (classifier).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data; raw rows (e.g. a DataFrame) when exported from a Pipeline.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions, identical to the exported estimator's.
        """
        scores = self._scores(X)
        if self.kind == "regressor":
            return scores.ravel() if self._coef_ndim == 1 else scores
        if scores.ndim == 1 or scores.shape[1] == 1:
            return self.classes_[(scores.reshape(-1) > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]

    def predict_proba(self, X):
        """Probability of each class, computed as the exported classifier does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data; raw rows (e.g. a DataFrame) when exported from a Pipeline.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            In the order of ``classes_``.
        """
        if self.proba is None:
            raise AttributeError(f"the exported {self.source} has no predict_proba.")
        scores = self.decision_function(X)
        if self.proba == "softmax":
            return softmax(scores, copy=False)
        return one_vs_rest_probabilities(scores, "log_loss" if self.proba == "ovr_logistic"
                                         else "modified_huber")

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            In the order of ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    # ------------------------------------------------------------- size and I/O
    @property
    def nbytes(self):
        """Bytes of the arrays held in memory (weights, indices, intercepts, labels)."""
        arrays = [self.support_, self._weights, self.intercept_]
        arrays += [a for a in (self.classes_, self.feature_names_in_) if a is not None]
        return int(sum(a.nbytes for a in arrays))

    def _arrays(self):
        coef = self.coef_
        index_dtype = np.int32 if max(coef.nnz, self.n_features_in_) <= _INT32_MAX else np.int64
        arrays = {
            "format": np.array(FORMAT),
            "format_version": np.array(FORMAT_VERSION),
            "kind": np.array(self.kind),
            "proba": np.array(self.proba or ""),
            "source": np.array(self.source),
            "n_features_in": np.array(self.n_features_in_, dtype=np.int64),
            "coef_ndim": np.array(self._coef_ndim),
            "matvec": np.array(self._matvec),
            "arithmetic": np.array(self._arithmetic),
            "coef_data": coef.data,
            "coef_indices": coef.indices.astype(index_dtype),
            "coef_indptr": coef.indptr.astype(index_dtype),
            "intercept": self.intercept_,
            "transformers": np.array(json.dumps(self._transformer_specs)),
        }
        if self.classes_ is not None:
            arrays["classes"] = self.classes_
        if self.feature_names_in_ is not None:
            arrays["feature_names_in"] = self.feature_names_in_
        return arrays

    def save(self, file, *, compressed=False):
        """Write the model to an ``.npz`` file that loads without pickle.

        Parameters
        ----------
        file : str, path-like or file-like
            Where to write (NumPy appends ``.npz`` to a file name without it).
        compressed : bool, default=False
            Use ``numpy.savez_compressed`` (smaller file, slower to load).
        """
        (np.savez_compressed if compressed else np.savez)(file, **self._arrays())

    def file_bytes(self, *, compressed=False):
        """Size in bytes of the ``.npz`` that :meth:`save` writes.

        Parameters
        ----------
        compressed : bool, default=False
            As in :meth:`save`.

        Returns
        -------
        nbytes : int
            Size of the file.
        """
        buffer = io.BytesIO()
        self.save(buffer, compressed=compressed)
        return buffer.getbuffer().nbytes

    @classmethod
    def load(cls, file):
        """Read a model written by :meth:`save` (``allow_pickle=False``).

        Parameters
        ----------
        file : str, path-like or file-like
            The ``.npz`` file.

        Returns
        -------
        model : ExportedLinearModel
            The model, predicting what the saved one predicted.
        """
        with np.load(file, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        if "format" not in arrays or str(arrays["format"]) != FORMAT:
            raise ValueError(f"not a {FORMAT} file.")
        if int(arrays["format_version"]) > FORMAT_VERSION:
            raise ValueError(f"file format version {int(arrays['format_version'])} is newer than "
                             f"this sparsereg reads ({FORMAT_VERSION}); upgrade sparsereg.")
        n_features = int(arrays["n_features_in"])
        n_models = arrays["intercept"].shape[0]
        coef = sp.csr_matrix((arrays["coef_data"], arrays["coef_indices"], arrays["coef_indptr"]),
                             shape=(n_models, n_features))
        coef.check_format(full_check=True)
        proba = str(arrays["proba"]) or None
        return cls(kind=str(arrays["kind"]), proba=proba, source=str(arrays["source"]), coef=coef,
                   intercept=arrays["intercept"], classes=arrays.get("classes"),
                   n_features_in=n_features, coef_ndim=int(arrays["coef_ndim"]),
                   matvec=bool(arrays["matvec"]), arithmetic=str(arrays["arithmetic"]),
                   feature_names_in=arrays.get("feature_names_in"),
                   transformer_specs=json.loads(str(arrays["transformers"])))

    def __repr__(self):
        pipeline = "".join(f"{spec['class']} -> " for spec in self._transformer_specs)
        return (f"ExportedLinearModel({pipeline}{self.source}, {self.support_.size:,} of "
                f"{self.n_features_in_:,} features, {self.n_models} model"
                f"{'s' if self.n_models > 1 else ''}, {_format_bytes(self.nbytes)})")


def _spread(weights, support, n_features):
    """CSR (n_models, n_features) from the (n_support, n_models) weights of ``support``."""
    n_models = weights.shape[1]
    full = sp.csr_matrix(weights.T)  # (n_models, n_support), zeros dropped
    return sp.csr_matrix((full.data, support[full.indices], full.indptr),
                         shape=(n_models, n_features))


def _arithmetic(estimator):
    """Which product an FTRL estimator predicts with: its ``_decision`` multiplies by
    a dense ``coef`` for the dense state store, and runs the float64
    ``sparse_decision`` kernel over CSR rows for the sparse one."""
    state = getattr(estimator, "_state", None)
    return "ftrl_sparse" if getattr(state, "sparse", False) else "ftrl_dense"


def export_model(estimator):
    """Keep the non-zero weights of a fitted linear model, for inference only.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted linear model with ``coef_`` and ``intercept_`` (sparsereg's FTRL
        estimators, ``SGDClassifier``, ``SGDRegressor``, ``LogisticRegression``,
        ``Lasso``, ...), dense or sparsified, or a ``Pipeline`` whose steps before
        the model are stateless hashing transformers
        (:class:`~sparsereg.crosses.FeatureCrossHasher`, ``HashingVectorizer``,
        ``FeatureHasher``), whose ``get_params()`` are stored so that raw rows can
        be scored.

    Returns
    -------
    exported : ExportedLinearModel
        Predicts what ``estimator`` predicts; ``save`` writes it to an ``.npz``.

    Raises
    ------
    ValueError
        For a Pipeline step that cannot be rebuilt from its parameters, a parameter
        that is not JSON-serialisable (e.g. a callable), or class labels that are
        neither numbers nor strings.

    See Also
    --------
    load_model : Read an exported model back.
    export_sizes : Its size next to the pickled estimator's.
    sparsereg.sparsity.sparsity_report : How many weights are non-zero.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDRegressor
    >>> from sparsereg.export import export_model
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 30))
    >>> reg = SGDRegressor(penalty="l1", alpha=0.05, random_state=0).fit(X, X[:, 0])
    >>> exported = export_model(reg)
    >>> exported.support_.tolist()
    [0]
    >>> bool(np.array_equal(exported.predict(X), reg.predict(X)))
    True
    """
    transformer_specs = []
    steps = getattr(estimator, "steps", None)
    if steps:
        for _, step in steps[:-1]:
            if step is None or step == "passthrough":
                continue
            transformer_specs.append(_transformer_spec(step))
        estimator = steps[-1][1]
    check_is_fitted(estimator)
    if not (hasattr(estimator, "coef_") and hasattr(estimator, "intercept_")):
        raise TypeError(f"{type(estimator).__name__} has no coef_ and intercept_: export_model "
                        "exports linear models.")
    if not (is_classifier(estimator) or is_regressor(estimator)):
        raise TypeError(f"{type(estimator).__name__} is neither a classifier nor a regressor.")
    coef = estimator.coef_
    ours = hasattr(estimator, "_ftrl_state_info")
    coef_ndim = 1 if (coef.ndim == 1 or ours and is_regressor(estimator)) else 2
    coef = sp.csr_matrix(coef.reshape(1, -1) if coef.ndim == 1 else coef)
    classes = getattr(estimator, "classes_", None) if is_classifier(estimator) else None
    return ExportedLinearModel(
        kind="classifier" if is_classifier(estimator) else "regressor",
        proba=_proba_kind(estimator, coef.shape[0]),
        source=type(estimator).__name__,
        coef=coef,
        intercept=np.broadcast_to(np.asarray(estimator.intercept_), (coef.shape[0],)),
        classes=classes,
        n_features_in=coef.shape[1],
        coef_ndim=coef_ndim,
        # scikit-learn multiplies by a 1-D coef_ (a BLAS gemv); ours by a 2-D one
        matvec=estimator.coef_.ndim == 1 and not ours,
        arithmetic=_arithmetic(estimator) if ours else "blas",
        feature_names_in=None if transformer_specs else getattr(estimator, "feature_names_in_", None),
        transformer_specs=transformer_specs,
    )


def load_model(file):
    """Read a model written by :meth:`ExportedLinearModel.save`, without pickle.

    Parameters
    ----------
    file : str, path-like or file-like
        The ``.npz`` file.

    Returns
    -------
    model : ExportedLinearModel
        The exported model.

    See Also
    --------
    export_model : Build the model to save.
    """
    return ExportedLinearModel.load(file)


@dataclass(frozen=True)
class ExportSizes:
    """What a model costs to ship: the pickled estimator against its export.

    Attributes
    ----------
    estimator_pickle_bytes : int
        ``len(pickle.dumps(estimator))``, training state included.
    export_memory_bytes : int
        :attr:`ExportedLinearModel.nbytes`.
    export_file_bytes : int
        Size of the saved ``.npz`` (uncompressed).
    """

    estimator_pickle_bytes: int
    export_memory_bytes: int
    export_file_bytes: int

    def __str__(self):
        ratio = self.estimator_pickle_bytes / max(self.export_file_bytes, 1)
        return (f"pickled estimator {_format_bytes(self.estimator_pickle_bytes)}; export "
                f"{_format_bytes(self.export_file_bytes)} on disk ({ratio:,.1f}x smaller), "
                f"{_format_bytes(self.export_memory_bytes)} in memory")


def export_sizes(estimator, exported=None):
    """Bytes of the pickled estimator next to those of its export.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted linear model (or Pipeline), as accepted by :func:`export_model`.
    exported : ExportedLinearModel, default=None
        Its export; built with :func:`export_model` when None.

    Returns
    -------
    sizes : ExportSizes
        Printable sizes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Lasso
    >>> from sparsereg.export import export_sizes
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 5000))
    >>> sizes = export_sizes(Lasso(alpha=0.5).fit(X, X[:, 0]))
    >>> sizes.export_file_bytes < sizes.estimator_pickle_bytes / 5
    True
    """
    if exported is None:
        exported = export_model(estimator)
    return ExportSizes(
        estimator_pickle_bytes=len(pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)),
        export_memory_bytes=exported.nbytes,
        export_file_bytes=exported.file_bytes(),
    )
