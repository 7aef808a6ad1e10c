"""Ship the weights L1 left: an inference-only linear model, saved without pickle.

:func:`export_model` keeps the non-zero weights of a fitted linear model (or of a
``Pipeline`` of stateless hashing transformers ending in one), its intercepts,
class labels and how it turns scores into probabilities. The result,
:class:`ExportedLinearModel`, predicts exactly what the estimator predicts and is
saved as a plain ``.npz`` that loads with ``allow_pickle=False``: no training
state, no code in the file.
"""

import io
import math
import os
import pickle
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _quantize
from ._atomic import atomic_file
from ._base import _BaseFTRL
from ._checked_score import check_score_inputs
from ._column_kinds import caller_level, warn_of_other_kinds
from ._decision import (
    LinearWeights,
    _sum,
    refuse_nan_scores,
    softmax_probabilities,
    weight_table,
)
from ._interrupts import interrupts_deferred
from ._losses import one_vs_rest_probabilities
from ._missing import refuse_masked
from ._model_file import ARITHMETIC, DEFAULT_MAX_BYTES, model_arrays, read_model_arrays
from ._npz import savez_compressed
from ._optional_methods import available_when
from ._state import sorted_union
from ._state_protocol import plain_labels
from ._transformer_specs import build_transformer, output_width, transform_raw, transformer_spec
from ._typing import FileLike, MatrixLike
from ._validation import (
    as_kernel_csr,
    beyond_float64,
    check_csr,
    configured_csr,
    csr_of_coef,
    dense_csr,
    float_values,
    frame_values,
    index_copy,
    refuse_non_numbers,
    refuse_out_of_range,
    refuse_unsaveable_names,
    sparse_before_conversion,
    with_plain_arrays,
)
from .sparsity import _format_bytes

__all__ = ["ExportSizes", "ExportedLinearModel", "export_model", "export_sizes", "load_model"]

_INT32_MAX = np.iinfo(np.int32).max
# a dense X is scored with a dense table of every column's weights (the product the
# estimator computes, to the bit) where the table has at most this many cells (32 MiB), built
# for the call; beyond, with X's supported columns (the same sums up to the last bits)
_DENSE_TABLE_CELLS = 2**22
# products x * w formed at a time when a non-finite score is checked (8 MiB)
_OVERFLOW_CHECK_CELLS = 2**20


# -------------------------------------------------------------------- the model
def _proba_kind(estimator, n_models, softmax=False):
    """How the source turns scores into probabilities, or None; ``softmax``: whether the
    exported model of an FTRL estimator is one softmax model (``_public_model``)."""
    if not is_classifier(estimator):
        return None
    bases = {cls.__name__ for cls in type(estimator).__mro__}
    if bases & {"LogisticRegression", "LogisticRegressionCV"}:
        return (
            "softmax" if n_models > 1 and not _one_vs_rest_logistic(estimator) else "ovr_logistic"
        )
    if "LinearDiscriminantAnalysis" in bases:
        # its predict_proba: the sigmoid of the binary score, the softmax of the class scores
        return "softmax" if n_models > 1 else "ovr_logistic"
    loss = getattr(estimator, "loss", None)
    if isinstance(estimator, _BaseFTRL):
        # (set_params after fitting); the kind is the exported model's, not multi_class's
        estimator._check_probability_kind(softmax, n_models, loss)
        if softmax:
            return "softmax"  # SparseFTRLClassifier(multi_class='multinomial'), 3 classes or more
    if loss == "log_loss":
        return "ovr_logistic"
    if loss == "modified_huber":
        return "ovr_modified_huber"
    return None


def _one_vs_rest_logistic(estimator):
    """Whether a multiclass ``LogisticRegression`` of scikit-learn before 1.8 normalises its
    one-vs-rest sigmoids, as its ``predict_proba`` decides: ``multi_class='ovr'``, or the
    default with the liblinear solver (a softmax of those scores gave other probabilities).
    Later versions have no ``multi_class`` and always take the softmax."""
    multi_class = getattr(estimator, "multi_class", None)
    if multi_class is None:
        return False
    return multi_class in ("ovr", "warn") or (
        multi_class in ("auto", "deprecated") and getattr(estimator, "solver", None) == "liblinear"
    )


class ExportedLinearModel:
    """The non-zero weights of a linear model, for inference only.

    Built by :func:`export_model` or :func:`load_model`, not directly. Holds the
    sorted indices of the features with a non-zero weight in any model, their
    weights, the intercepts, the class labels and, when exported from a
    ``Pipeline``, the parameters of its stateless hashing transformers, so that
    raw rows can be scored. Exported from a sparsereg estimator, it scores rows
    with the estimator's own decision function (``sparsereg._decision``); from a
    scikit-learn model, with the same sparse or dense product as scikit-learn, in
    the same order. Either way its results are identical to the estimator's; except
    for a dense ``X`` scored by a scikit-learn model whose dense table of weights
    (models x features, built on each call) would have more than 2**22 cells: such an
    ``X`` is scored on its columns that have a weight, in sums that may differ from the
    estimator's in the last bits. ``X`` is checked as the estimator checks it: a dense ``X``
    of str or bytes, dates or durations (``datetime64``, ``timedelta64``) or, from a pandas
    column left as objects (categories, timestamps with a time zone, periods), anything but
    real numbers is refused, as the model's check or its product refuses it (also when a
    scaler was folded into the weights, whose own check would have converted some of them).
    From a sparsereg estimator, a call of 5,000 rows or more is scored by one
    thread per CPU (at most 8) over contiguous row blocks, with the same result.

    Attributes
    ----------
    kind : {'regressor', 'classifier'}
        What the source estimator was.
    proba : {'ovr_logistic', 'ovr_modified_huber', 'softmax'} or None
        How scores become probabilities: the sigmoid of each one-vs-rest score
        normalised to sum to one (``log_loss``), ``(clip(score, -1, 1) + 1) / 2``
        normalised likewise (``modified_huber``), or the softmax
        (``LogisticRegression``, ``LinearDiscriminantAnalysis`` and
        ``SparseFTRLClassifier(multi_class='multinomial')``, multiclass); None when there is
        no ``predict_proba``.
    source : str
        Class name of the exported estimator; 'LinearDiscriminantAnalysis' for a subclass of
        it, whose ``predict_log_proba`` the model reproduces (the file records this name only).
    support_ : ndarray of shape (n_support,)
        Sorted column indices with a non-zero weight in at least one model (read-only).
    intercept_ : ndarray of shape (n_models,)
        Intercepts (may be set; ``coef_`` may not).
    classes_ : ndarray of shape (n_classes,) or None
        Class labels (classifiers only).
    n_features_in_ : int
        Number of columns the linear model reads.
    feature_names_in_ : ndarray of str or None
        Column names the estimator was fitted with, when it was given a DataFrame. A
        DataFrame's names are checked as scikit-learn's ``validate_data`` checks them: names
        that are not all str (``pd.DataFrame(array)``'s ints) count as none, a warning where
        the estimator warns (so do names given to a model fitted without them); str mixed
        with other names is a TypeError, and str names other than the fitted ones a
        ValueError.
    transformers : list of estimators
        The rebuilt transformers applied before the linear model, in order.
    weights_format : {None, 'float16', 'q2.13'}
        How :meth:`save` stores the weights: None for as exported (float64 or
        float32), else in 16 bits (see :func:`export_model`); the model holds and
        scores with the dequantized weights.
    weights_scale_ : ndarray of shape (n_models,) or None
        The power-of-two scale of each weight vector in 'q2.13' (the smallest that
        holds its largest weight: 1 when that lies in [2, 4)); None otherwise.
    column_kinds_ : dict of str to str or None
        The kind ('number', 'bool' or 'text') each column that a FeatureCrossHasher first
        hashes without buckets was read as in training, which ``sparsereg predict`` reads
        files with (``export_model``'s ``hashed_columns`` dict); None when not recorded.
    svmlight_zero_based_ : bool
        Whether the model was trained on SVMlight files numbered from 0, which ``sparsereg
        predict`` then reads so (``export_model``'s ``svmlight_zero_based``).

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

    _scaler_input = False  # (a model pickled before it was kept)
    # 'inferred': a FeatureCrossHasher first reads its columns without buckets from a file as
    # pandas reads them; None: as text, as a file of format version 2-5 (which does not say)
    _hashed_columns = None
    # with 'inferred': the kind each of those columns was read as in training, when known
    # ({name: 'number' | 'bool' | 'text'}, format version 8 or 9), which predict reads them as
    _column_kinds = None
    # a model trained on SVMlight files whose column indices start at 0 (format version 8 or 9):
    # the command line reads files so for it unless told
    _svmlight_zero_based = False

    def __init__(self, *args, **kwargs):
        raise TypeError("an ExportedLinearModel is built by export_model() or load_model().")

    @property
    def column_kinds_(self):
        """The kinds the file records for the hashed columns (a copy), or None."""
        return None if self._column_kinds is None else dict(self._column_kinds)

    @property
    def svmlight_zero_based_(self):
        """Whether the model reads SVMlight files numbered from 0."""
        return self._svmlight_zero_based

    @classmethod
    def _build(
        cls,
        *,
        kind,
        proba,
        source,
        coef,
        intercept,
        classes,
        coef_ndim,
        matvec,
        arithmetic,
        feature_names_in=None,
        transformer_specs=(),
        weights_format=None,
        weights_scale=None,
        scaler_input=False,
        hashed_columns=None,
        column_kinds=None,
        svmlight_zero_based=False,
        arrays_owned=False,
    ):
        """The model of ``coef`` (CSR, ``(n_models, n_features)``) and the rest
        (``arrays_owned``: ``classes`` is the caller's to give, a file's, not copied).

        With ``weights_format`` ('float16' or 'q2.13'), ``coef`` holds the dequantized
        weights (float64) and ``weights_scale`` the q2.13 scales.
        """
        if arithmetic not in ARITHMETIC:
            raise ValueError(f"arithmetic must be one of {ARITHMETIC}, got {arithmetic!r}.")
        model = cls.__new__(cls)
        model.weights_format = weights_format
        model.weights_scale_ = (
            None if weights_scale is None else np.array(weights_scale, dtype=np.float64)
        )
        coef = sp.csr_matrix(coef)  # (its callers' own: export_model's copy, a file's arrays)
        coef.sum_duplicates()
        coef.eliminate_zeros()
        n_models = coef.shape[0]
        model.kind = kind
        model.proba = proba
        model.source = source
        model.n_features_in_ = int(coef.shape[1])
        model._intercept = np.array(intercept).reshape(n_models)
        if model._intercept.dtype.kind != "f":  # (an int intercept_ set by hand: as a float)
            model._intercept = model._intercept.astype(np.float64)
        model.classes_ = None if classes is None else plain_labels(classes, not arrays_owned)
        refuse_unsaveable_names(feature_names_in)  # (a str array would drop trailing NULs)
        model.feature_names_in_ = (
            None if feature_names_in is None else np.asarray(feature_names_in, dtype=str)
        )
        model._coef_ndim = int(coef_ndim)
        model._matvec = bool(matvec)
        model._arithmetic = str(arithmetic)
        model._scaler_input = bool(scaler_input)
        model._hashed_columns = hashed_columns
        model._transformer_specs = [dict(spec) for spec in transformer_specs]
        if len(model._transformer_specs) > 1:
            # each outputs a sparse matrix, which none of them reads (predict raised
            # AttributeError): a Pipeline of two cannot be fitted, nor a file's run
            raise ValueError(
                "the export chains the transformers "
                f"{[spec.get('class') for spec in model._transformer_specs]}; each outputs a "
                "sparse matrix, which none of them reads: an exported model has at most one."
            )
        model.transformers = [build_transformer(spec) for spec in model._transformer_specs]
        if hashed_columns is not None and not (
            model._transformer_specs
            and model._transformer_specs[0]["class"] == "FeatureCrossHasher"
        ):
            raise ValueError(
                f"hashed_columns {hashed_columns!r} says how a FeatureCrossHasher first reads "
                "its columns, but the model's first transformer is not one."
            )
        model._column_kinds = _checked_column_kinds(
            column_kinds, hashed_columns, model.transformers
        )
        model._svmlight_zero_based = bool(svmlight_zero_based)
        if model._svmlight_zero_based and model.transformers:
            raise ValueError(
                "svmlight_zero_based says how the columns of SVMlight files are numbered for "
                "a model that reads them, but this model's first step is a transformer."
            )
        if model.transformers and output_width(model.transformers[-1]) != model.n_features_in_:
            raise ValueError(
                f"the last transformer ({model._transformer_specs[-1]['class']}) "
                f"outputs {output_width(model.transformers[-1]):,} columns but the "
                f"model reads {model.n_features_in_:,}."
            )
        # one table of weights is held (load_model's max_bytes counts it), made once: the
        # FTRL layout (the FTRL estimators' decision function, on the non-zero weights), or
        # the 'blas' product's, the same rows and a last row of zeros that every column
        # without a weight maps to
        columns = sorted_union([coef.indices])
        index_dtype = np.int32 if model.n_features_in_ <= _INT32_MAX else np.int64
        # read-only for good (_read_only): the scores read support_ ('blas') or, with int64
        # indices, the FTRL layout's columns, which are then support_ itself (one array)
        model.support_ = _read_only(columns.astype(index_dtype, copy=False))
        if model.support_.dtype == columns.dtype:
            columns = model.support_
        model._linear, model._weights = None, None
        if model._arithmetic == "ftrl":
            model._linear = LinearWeights(weight_table(coef, columns), columns, model._intercept)
        else:
            weights = weight_table(coef, columns, zero_rows=1)
            model._weights = weights.reshape(-1) if model._matvec else weights
        return model

    # ------------------------------------------------------------------ scoring
    @property
    def n_models(self):
        """Number of weight vectors (1, or one per class / target)."""
        return self.intercept_.shape[0]

    @property
    def intercept_(self):
        """Intercepts, one per weight vector. May be set (e.g. ``intercept_ += log(rate)``
        after negative downsampling): the values are written into the array every scoring
        path reads, and ``save`` writes."""
        return self._intercept

    @intercept_.setter
    def intercept_(self, value):
        if value is self._intercept:
            return  # (intercept_ += ...: changed in place already; save checks it)
        value = np.asarray(value)
        if value.dtype.kind not in "iuf" or value.shape not in ((), self._intercept.shape):
            raise ValueError(
                f"intercept_ must be {self._intercept.shape[0]} real number(s), got an array "
                f"of shape {value.shape} and dtype {value.dtype}."
            )
        with np.errstate(over="ignore"):
            value = value.astype(self._intercept.dtype)  # as it is held (float32: 1e39 is inf)
        if not np.all(np.isfinite(value)):
            raise ValueError(f"intercept_ must be finite as {self._intercept.dtype}.")
        self._intercept[...] = value

    def __setstate__(self, state):
        state = dict(state)  # (copy.copy hands over the original's own dict)
        # (a pickle made before intercept_ became a property holds it in the instance's dict)
        if "intercept_" in state:
            intercept = np.asarray(state.pop("intercept_"))
            if intercept.dtype.kind != "f":
                intercept = intercept.astype(np.float64)
            state["_intercept"] = intercept
            if state.get("_linear") is not None:  # the array the FTRL layout scores with
                object.__setattr__(state["_linear"], "intercept", intercept)
        # read-only for good again (pickle protocols below 5 give writable arrays), and one
        # array with the FTRL layout's columns where it was (pickle keeps that); one in a
        # bytes object's memory already (a copy, protocol 5) is kept as it is
        support = state["support_"]
        if support.flags.writeable or not isinstance(support.base, bytes):
            state["support_"] = _read_only(support)
            if state.get("_linear") is not None and state["_linear"].columns is support:
                object.__setattr__(state["_linear"], "columns", state["support_"])
        self.__dict__.update(state)

    @property
    def coef_(self):
        """Weights as a CSR matrix of shape ``(n_models, n_features_in_)`` (a ``csr_array``
        under ``sklearn.set_config(sparse_interface="sparray")``)."""
        return configured_csr(_spread(self._weight_rows(), self.support_, self.n_features_in_))

    def _weight_rows(self):
        """The weights of the columns of ``support_``, a row each: ``(n_support, n_models)``."""
        if self._linear is not None:
            return self._linear.weights
        return self._weights.reshape(self.support_.size + 1, -1)[:-1]

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        """What scikit-learn's scorers and metrics ask of a model (a classifier or a
        regressor, reading sparse X, or raw rows through its transformers)."""
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags

        classifier = self.kind == "classifier"
        return Tags(
            estimator_type=self.kind,
            target_tags=TargetTags(
                required=True, multi_output=self._coef_ndim == 2 and not classifier
            ),
            classifier_tags=ClassifierTags() if classifier else None,
            regressor_tags=None if classifier else RegressorTags(),
            input_tags=InputTags(sparse=not self.transformers, string=bool(self.transformers)),
        )

    def _transform(self, X, cast_by_product=False):
        """``X`` transformed, validated, and as float64 or float32; with ``cast_by_product``,
        a dense X of bools, integers or float16 as scikit-learn's ``validate_data`` leaves
        it (:func:`_cast_by_numpy`)."""
        refuse_masked(X, "X", f"the exported {self.source}")
        if self._column_kinds:
            warn_of_other_kinds(
                X,
                self._column_kinds,
                "the model was trained on it as {trained} (the column_kinds_ it records)",
                " or read the file with sparsereg predict",
            )
        for transformer in self.transformers:
            X = transform_raw(transformer, X)
        if not self.transformers:
            self._check_feature_names(X)
        keep = cast_by_product and _cast_by_numpy(X)
        try:
            X = check_array(
                sparse_before_conversion(X),
                accept_sparse="csr",
                # scikit-learn's own check, which refuses arrays of str and bytes (a conversion
                # to float64 parsed them; numeric text in an object array it parses, as the
                # source estimators do); _product_operand refuses what its product then
                # refuses, and float_values what the FTRL estimators refuse
                dtype="numeric",
                accept_large_sparse=True,
                input_name="X",  # ("Input X contains NaN", as the estimators say)
            )
        except OverflowError:  # (an object array holding 10**400, as the estimators say)
            raise beyond_float64("X") from None
        if cast_by_product:
            X = self._product_operand(X, keep)
        else:
            X = float_values(X, f"the exported {self.source}")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but the exported model expects "
                f"{self.n_features_in_}."
            )
        return X

    def _check_feature_names(self, X):
        """Check the column names of ``X`` as scikit-learn's ``validate_data`` does: names
        that are not all str (ints: ``pd.DataFrame(array)``'s) are no names, and a model
        fitted with names warns for them, or for none, and scores X, as one fitted without
        warns for a frame that has them; different names are refused, and a mix of str and
        other names is a TypeError (the fitted names were required for any DataFrame)."""
        from sklearn.utils.validation import _get_feature_names

        names = _get_feature_names(X)  # (a pyarrow Table's are its column_names)
        fitted = self.feature_names_in_
        if names is None and fitted is None:
            return
        if fitted is None:
            warnings.warn(
                f"X has feature names, but the exported {self.source} was fitted without "
                "feature names",
                stacklevel=2,
            )
        elif names is None:
            warnings.warn(
                f"X does not have valid feature names, but the exported {self.source} was "
                "fitted with feature names",
                stacklevel=2,
            )
        # as Python str: a str array would drop a trailing NUL ("a\0" taken for "a")
        elif [str(c) for c in names] != fitted.tolist():
            raise ValueError(
                "The feature names of X do not match those the estimator was "
                f"fitted with: {fitted.tolist()[:20]}."
            )

    def _product_operand(self, X, keep):
        """The ``X`` of scikit-learn's ``check_array(dtype='numeric')`` that the source
        multiplies by its weights: as it is when ``keep`` (:func:`_cast_by_numpy`) or of
        float32/float64 or long double (whose product, and scores, the source keeps in long
        double: as float64 they differed in the last bits; but as float64 when a scaler was
        folded into the weights, whose check converted it so), else as float64. What the
        source's product refuses is refused: dates and durations (datetime64, timedelta64),
        and an object array left by the check (a pandas column of categories, timestamps
        with a time zone, periods) holding anything but real numbers."""
        if self._scaler_input and X.dtype == np.longdouble:
            return X.astype(np.float64)  # (the scaler's check converts it: float64 scores)
        if X.dtype in (np.float64, np.float32, np.longdouble) or (keep and not sp.issparse(X)):
            return X
        if sp.issparse(X):
            return X.astype(np.float64)  # (scipy holds numbers only)
        refuse_non_numbers(X, f"the exported {self.source}", self.source)
        try:
            return X.astype(np.float64)
        except OverflowError:  # (an object array the check left, holding 10**400)
            raise beyond_float64("X") from None

    def _plain_scores(self, X, logistic_pair=False):
        """``LinearWeights.plain_scores`` of ``X``, or of the values of a DataFrame whose
        columns are the fitted names (``frame_values``); None when the full checks must run.
        For a model without transformers, whose arithmetic is FTRL's (a masked array, which
        none of them takes, is refused by ``_transform``)."""
        if self.feature_names_in_ is not None:
            # a DataFrame of those names (what _transform lets through), else the full checks
            # (which warn for an X without them, as the estimator's validate_data does)
            X = frame_values(X, self.feature_names_in_)
            if X is None:
                return None
        return self._linear.plain_scores(X, self.n_features_in_, logistic_pair)

    def _scores(self, X):
        """``X @ coef.T + intercept``, computed as the source estimator computes it."""
        if self._arithmetic == "ftrl" and not self.transformers:
            # a plain CSR is what check_array and as_kernel_csr would return (no names to check)
            scores = self._plain_scores(X)
            if scores is not None:
                return scores
        if self._arithmetic == "ftrl":
            # validated and scored exactly as the FTRL estimators score
            return self._linear.scores(as_kernel_csr(self._transform(X), values=False)[0])
        X = self._transform(X, cast_by_product=True)
        on_support = True  # X's columns are support_'s (and, in a CSR, _weights' rows)
        if sp.issparse(X):
            X = self._support_csr(X)
            weights = self._weights
        elif self._arithmetic == "blas_sparse":
            # dense X times a sparse coef_.T, as scikit-learn's safe_sparse_dot computes it
            coef = _spread(self._weight_rows(), self.support_, self.n_features_in_)
            weights, on_support = coef.T, False
        elif self.n_models * self.n_features_in_ <= _DENSE_TABLE_CELLS:
            # a dense X goes through the same BLAS call as in the estimator, with its coef_'s
            # layout (the order of the sums follows it)
            full = np.zeros(
                (self.n_models, self.n_features_in_),
                dtype=self._weights.dtype,
                order="F" if self._arithmetic == "blas_fortran" else "C",
            )
            full[:, self.support_] = self._weight_rows().T
            weights, on_support = (full[0] if self._matvec else full.T), False
        else:
            # a table of every column for each model, built on each call, would be too
            # large (a file may hold 50,000 models of 2**22 columns: 1.5 TiB, for one row):
            # X's columns that have a weight, times their weights (sums that may differ
            # from the estimator's in the last bits)
            X, weights = X[:, self.support_], self._weight_rows()
            weights = weights[:, 0] if self._matvec else weights
        with np.errstate(over="ignore", invalid="ignore"):  # (NaNs are refused below)
            scores = np.asarray(X @ weights) + self.intercept_
        if math.isfinite(_sum(scores)):  # (one pass finds a score that is not finite)
            return scores
        self._cancelling_overflow_as_nan(X, on_support, scores)
        return refuse_nan_scores(scores)

    def _support_csr(self, X):
        """The CSR ``X``'s entries, each at the row of ``_weights`` of its column (features
        without a weight at the last row, of zeros): the product visits the entries of each
        row of X in the order scikit-learn's sparse product does, so the sums are the same."""
        n_support = self.support_.size
        X = with_plain_arrays(X)
        # its own indptr, checked and then multiplied (and the columns read once, into
        # position): another thread writing to X's between the check and scipy's
        # product, which reads without bounds, made it read past the arrays' ends
        X = sp.csr_matrix((X.data, X.indices, X.indptr.copy()), shape=X.shape)
        check_csr(X, values=False)
        position = np.searchsorted(self.support_, X.indices)
        if n_support:
            hit = self.support_[np.minimum(position, n_support - 1)] == X.indices
            position = np.where(hit, position, n_support)
        return sp.csr_matrix((X.data, position, X.indptr), shape=(X.shape[0], n_support + 1))

    def _cancelling_overflow_as_nan(self, X, on_support, scores):
        """Set to NaN (in place) the infinite scores whose row's products ``x * w`` overflow
        to both ``+inf`` and ``-inf``. A BLAS product that fuses each multiplication into its
        sum (an FMA) returns ``+inf`` for ``10 * 1e308 + 10 * -1e308`` where a product
        rounded first gives NaN: both are refused the same way, whatever the machine's
        kernel. A row scored ``+-inf`` by products overflowing one way keeps it (the limit,
        as the FTRL arithmetic gives). ``X``: the CSR of ``_support_csr``, or a dense X (of
        the columns of ``support_`` when ``on_support``). The products are formed
        ``_OVERFLOW_CHECK_CELLS`` at a time (a row of 50,000 models' weights would take GBs)."""
        weights = self._weights.reshape(self.support_.size + 1, -1)
        n_models = weights.shape[1]
        table = scores.reshape(scores.shape[0], -1)
        rows = np.flatnonzero(~np.isfinite(table).all(axis=1))
        # all the entries of a block of such rows at once (a loop over the rows took ~10 us
        # each): each entry's row in the block, value and row of ``weights``, ``step`` at a time
        step = max(1, _OVERFLOW_CHECK_CELLS // n_models)
        for first in range(0, rows.size, step):
            block = rows[first : first + step]
            plus = np.zeros((block.size, n_models), dtype=bool)
            minus = np.zeros((block.size, n_models), dtype=bool)
            for at_row, values, at_weights in _row_entries(
                X, block, on_support, self.support_, step
            ):
                with np.errstate(over="ignore"):
                    products = values[:, None] * weights[at_weights]
                # the entries come row after row: or-reduce each row's run of them
                firsts = np.flatnonzero(np.r_[True, at_row[1:] != at_row[:-1]])
                runs = at_row[firsts]
                plus[runs] |= np.logical_or.reduceat(np.isposinf(products), firsts, axis=0)
                minus[runs] |= np.logical_or.reduceat(np.isneginf(products), firsts, axis=0)
            table[block] = np.where(plus & minus, np.nan, table[block])

    def _check_classifier(self):
        if self.kind != "classifier":
            raise AttributeError(
                f"decision_function is for classifiers; this export is a {self.kind}."
            )

    def _check_probabilities(self):
        if self.proba is None:
            raise AttributeError(f"the exported {self.source} has no predict_proba.")

    @available_when(_check_classifier)
    def decision_function(self, X: MatrixLike) -> np.ndarray:
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
        scores = self._scores(X)
        return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores

    def predict(self, X: MatrixLike) -> np.ndarray:
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

    @available_when(_check_probabilities)
    def predict_proba(self, X: MatrixLike) -> np.ndarray:
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
        if (
            self.proba == "ovr_logistic"
            and self.n_models == 1
            and self._arithmetic == "ftrl"
            and not self.transformers
        ):
            proba = self._plain_scores(X, logistic_pair=True)
            if proba is not None:
                return proba
        scores = self.decision_function(X)
        if self.proba == "softmax":
            return softmax_probabilities(scores)
        return one_vs_rest_probabilities(
            scores, "log_loss" if self.proba == "ovr_logistic" else "modified_huber"
        )

    @available_when(_check_probabilities)
    def predict_log_proba(self, X: MatrixLike) -> np.ndarray:
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
        proba = self.predict_proba(X)
        if self.source == "LinearDiscriminantAnalysis":
            # as its predict_log_proba: a probability of 0 as float64's smallest normal
            proba[proba == 0.0] = np.finfo(proba.dtype).smallest_normal
        with np.errstate(divide="ignore"):
            return np.log(proba)

    def score(self, X: MatrixLike, y, sample_weight=None) -> float:
        """Accuracy of :meth:`predict` (classifier) or its coefficient of determination R²
        (regressor), as the exported estimator's ``score`` gives them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data; raw rows (e.g. a DataFrame) when exported from a Pipeline.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            True labels or values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row.

        Returns
        -------
        score : float
            ``sklearn.metrics.accuracy_score`` or ``r2_score`` (targets averaged uniformly)
            of ``y`` and ``predict(X)``.

        Notes
        -----
        ``y`` and ``sample_weight`` are refused as the sparsereg estimators' ``score``
        refuses them: masked arrays (``TypeError``), weights, or a regressor's ``y``, of
        text, dates or durations, or holding an int beyond float64 (``ValueError``), a
        regressor's ``y`` holding NaN or infinity (``ValueError`` naming ``y``), and a weight
        that is NaN, infinite or negative (``ValueError``).
        """
        from sklearn.metrics import accuracy_score, r2_score

        classifier = self.kind == "classifier"
        check_score_inputs(y, sample_weight, type(self).__name__, classifier)
        metric = accuracy_score if classifier else r2_score
        return float(metric(y, self.predict(X), sample_weight=sample_weight))

    # ------------------------------------------------------------- size and I/O
    @property
    def nbytes(self):
        """Bytes of the arrays held in memory (weights, indices, intercepts, labels)."""
        arrays = [self.support_, self.intercept_]
        if self._linear is not None:
            arrays += [a for a in (self._linear.weights, self._linear.columns) if a is not None]
        else:
            arrays.append(self._weights)
        arrays += [a for a in (self.classes_, self.feature_names_in_) if a is not None]
        return int(sum(a.nbytes for a in arrays))

    def _arrays(self):
        if not np.all(np.isfinite(self.intercept_)):  # (changed in place to NaN or inf)
            raise ValueError(
                "intercept_ holds NaN or infinite values: a model file holds finite numbers "
                "only, and load_model would refuse this one."
            )
        return model_arrays(
            {
                "kind": self.kind,
                "proba": self.proba,
                "source": self.source,
                "coef": self.coef_,
                "intercept": self.intercept_,
                "classes": self.classes_,
                "feature_names_in": self.feature_names_in_,
                "coef_ndim": self._coef_ndim,
                "matvec": self._matvec,
                "arithmetic": self._arithmetic,
                "transformer_specs": self._transformer_specs,
                "weights_format": self.weights_format,
                "weights_scale": self.weights_scale_,
                "scaler_input": self._scaler_input,
                "hashed_columns": self._hashed_columns,
                "column_kinds": self._column_kinds,
                "svmlight_zero_based": self._svmlight_zero_based,
            }
        )

    def save(self, file: FileLike, *, compressed: bool = False) -> None:
        """Write the model to an ``.npz`` file that loads without pickle.

        Parameters
        ----------
        file : str, path-like or file-like
            Where to write (NumPy appends ``.npz`` to a file name without it).
        compressed : bool, default=False
            Deflate the arrays as ``numpy.savez_compressed`` does (a smaller file,
            slower to load); an array above 1 MiB that would deflate more than 50:1 is
            stored as it is, so that :func:`load_model` reads the file back.

        Notes
        -----
        A file name is written whole or not at all: into a new file beside it, renamed over
        it at the end (a symbolic link is written through: beside its target, which is
        replaced, and the link kept). A write that fails (a full disk) leaves the file that
        was there, and of two saves to one name at once, the file is the whole model of the
        one that ends last. Another user's symbolic link in a sticky, world-writable folder
        (``/tmp``) is not followed: a PermissionError, as Linux's ``protected_symlinks`` has
        ``open`` refuse it. Ctrl-C and other signals whose handler is a Python function are
        answered once the file is written.
        """
        # held back: a handler's exception while zipfile closes a member came out as its
        # "Can't close the ZIP file while there is an open writing handle", and left the file
        # half written; one inside scipy's making of coef_ came out as its ValueError
        # "unrecognized csr_matrix constructor input" (the model holds the surviving weights
        # only: a short wait)
        # (compressed: each member deflated as numpy.savez_compressed does, unless it would
        # expand beyond what load_model reads from a file of anyone's, which is then stored)
        if not isinstance(compressed, (bool, np.bool_)):  # ("no" was taken as true)
            raise TypeError(f"compressed must be True or False, got {compressed!r}.")
        write = savez_compressed if compressed else lambda f, arrays: np.savez(f, **arrays)
        with interrupts_deferred():
            arrays = self._arrays()
            if hasattr(file, "write"):
                write(file, arrays)
                return
            # a file name: written beside it, then renamed over it, so that a write that fails
            # (a full disk) leaves the model that was there, and two writes at once (two
            # threads) leave one of their models whole, not the two interleaved
            # (as str: a bytes path, which load_model reads, met the str suffix and name)
            path = os.fsdecode(file)
            if not path.endswith(".npz"):
                path += ".npz"  # as numpy.savez names it
            with atomic_file(path) as f:
                write(f, arrays)

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
    def load(cls, file, *, max_bytes=DEFAULT_MAX_BYTES):
        """Read a model written by :meth:`save`, checking it as :func:`load_model` does.

        Parameters
        ----------
        file : str, path-like or file-like
            The ``.npz`` file.
        max_bytes : int, default=2**31
            As in :func:`load_model`.

        Returns
        -------
        model : ExportedLinearModel
            The model, predicting what the saved one predicted.
        """
        return cls._build(**read_model_arrays(file, max_bytes=max_bytes), arrays_owned=True)

    def __repr__(self):
        pipeline = "".join(f"{spec['class']} -> " for spec in self._transformer_specs)
        return (
            f"ExportedLinearModel({pipeline}{self.source}, {self.support_.size:,} of "
            f"{self.n_features_in_:,} features, {self.n_models} model"
            f"{'s' if self.n_models > 1 else ''}, {_format_bytes(self.nbytes)})"
        )


def _read_only(array):
    """A copy of ``array`` in a bytes object's memory, which NumPy never lets be written:
    ``flags.writeable = True`` raises ValueError (a read-only view of a writable array, or
    that array through the view's ``base``, can be made writable again by whoever holds it)."""
    return np.frombuffer(array.tobytes(), dtype=array.dtype)


def _cast_by_numpy(X):
    """Whether ``X`` is a dense X (an array, a DataFrame) of bools, integers or float16, which
    scikit-learn's linear models multiply as ``validate_data`` leaves it: NumPy's product
    casts it into a C-ordered float64 copy, whose sums BLAS takes in another order than
    those of a Fortran-ordered one (a DataFrame's, ``pd.get_dummies``' bools), which a
    conversion to float64 first kept: most scores differed in the last bit."""
    if isinstance(X, np.ndarray):
        dtypes = [X.dtype]
    elif type(X).__module__.partition(".")[0] == "pandas" and hasattr(X, "columns"):
        dtypes = list(X.dtypes)
    else:
        return False  # (a list is converted into a C-ordered array, as NumPy's cast makes)
    return bool(dtypes) and all(
        isinstance(dtype, np.dtype) and (dtype.kind in "biu" or dtype == np.float16)
        for dtype in dtypes
    )


def _row_entries(X, rows, on_support, support, step):
    """``(row, values, rows of the weights)`` of the entries of ``X``'s ``rows``, ``step``
    entries at a time, row after row: ``row`` indexes ``rows``. ``X``: a CSR whose column
    indices are rows of the weights (``_support_csr``'s), or a dense X (of the columns of
    ``support`` when ``on_support``), each of whose rows has an entry per column of
    ``support``."""
    if sp.issparse(X):
        # entry k of the block is in the row whose end (cumulative length) first exceeds k:
        # ``step`` entries' indices at a time, never the whole block's (rows of X's size)
        starts, lengths = X.indptr[rows], X.indptr[rows + 1] - X.indptr[rows]
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if ends.size else 0
        for first in range(0, total, step):
            flat = np.arange(first, min(first + step, total))
            at_row = np.searchsorted(ends, flat, side="right")
            part = starts[at_row] + (flat - (ends[at_row] - lengths[at_row]))
            yield at_row, X.data[part], X.indices[part]
        return
    n_columns = support.size
    for first in range(0, rows.size * n_columns, step):
        cells = np.arange(first, min(first + step, rows.size * n_columns))
        at_row, column = np.divmod(cells, n_columns)
        values = X[rows[at_row], column if on_support else support[column]]
        yield at_row, values, column


def _spread(weights, support, n_features):
    """CSR (n_models, n_features) from the (n_support, n_models) weights of ``support``."""
    n_models = weights.shape[1]
    full = dense_csr(weights.T)  # (n_models, n_support), zeros dropped
    return sp.csr_matrix(
        (full.data, support[full.indices], full.indptr), shape=(n_models, n_features)
    )


def _linear_scaler(step):
    """``(offset, scale)`` of a fitted per-column linear scaler (each may be None), or None.

    ``StandardScaler``, ``MaxAbsScaler`` and ``RobustScaler`` compute ``(x - offset) / scale``
    column by column; scikit-learn has already replaced a zero scale by 1.
    """
    from sklearn.preprocessing import MaxAbsScaler, RobustScaler, StandardScaler

    kind = type(step)
    if kind not in (StandardScaler, MaxAbsScaler, RobustScaler):
        return None
    check_is_fitted(step)
    if kind is StandardScaler:
        return (step.mean_ if step.with_mean else None), (step.scale_ if step.with_std else None)
    if kind is MaxAbsScaler:
        return None, step.scale_
    return (step.center_ if step.with_centering else None), (
        step.scale_ if step.with_scaling else None
    )


def _fold_scaler(coef, intercept, offset, scale, name):
    """Weights and intercepts of ``w . ((x - offset) / scale) + b`` as ``w' . x + b'``."""
    coef = sp.csr_matrix(coef, dtype=np.float64, copy=True)
    intercept = np.array(intercept, dtype=np.float64)
    if scale is not None:
        scale = np.asarray(scale, dtype=np.float64)
        if scale.shape != (coef.shape[1],):
            raise ValueError(
                f"the {name} scales {scale.shape} columns; the model reads {coef.shape[1]}."
            )
        coef.data /= scale[coef.indices]
    if offset is not None:
        offset = np.asarray(offset, dtype=np.float64)
        if offset.shape != (coef.shape[1],):
            raise ValueError(
                f"the {name} centres {offset.shape} columns; the model reads {coef.shape[1]}."
            )
        intercept = intercept - coef @ offset
    if not (np.all(np.isfinite(coef.data)) and np.all(np.isfinite(intercept))):
        raise ValueError(f"folding the {name} into the weights gives infinite values.")
    return coef, intercept


def _check_float16_folding(coef, scale, scaler):
    """Refuse float16 when folding the scaler pushes a weight below float16's normal range.

    float16 rounds to a relative 2**-11 only down to 2**-14; below, the step is an absolute
    2**-24 and weights under 2**-25 become 0. A column of large raw values (a Unix time, bytes)
    has a large scale, so its folded weight ``w / scale`` lands there while the weight the
    model learned (``w``, on the scaled column) does not: the export would lose a weight
    that matters, with scores off by that weight times the raw values.
    """
    smallest_normal = float(np.finfo(np.float16).smallest_normal)
    learned = np.abs(coef.data * scale[coef.indices])
    lost = (np.abs(coef.data) < smallest_normal) & (learned >= smallest_normal)
    if np.any(lost):
        at = int(np.flatnonzero(lost)[np.argmax(learned[lost])])
        column = int(coef.indices[at])
        raise ValueError(
            f"weights='float16' cannot hold the weights folded from the "
            f"{type(scaler).__name__}: column {column} (scale {scale[column]:.6g}) has "
            f"the weight {coef.data[at] * scale[column]:.6g} on the scaled column, "
            f"{coef.data[at]:.6g} once folded, below float16's normal range "
            f"({smallest_normal:g}), where its rounding is no longer relative (to 0 "
            "under 2**-25). Keep weights='float64'."
        )


# how much coarser than the learned model's a column's q2.13 rounding may become in its score
# once a scaler is folded: 2**4, four of the format's 13 fraction bits
_Q213_FOLDING_LOSS = 16.0


def _check_q213_folding(coef, scale, scaler):
    """Refuse q2.13 when folding the scaler makes a column's rounding far coarser.

    q2.13 rounds every weight of a vector by the same step, set by its largest weight. Folded,
    column j's weight is ``w_j / scale_j`` and meets raw values of ``scale_j`` times those the
    model learned on, so its rounding moves a score by ``step_folded * scale_j`` per unit of
    the scaled column, against ``step_learned`` had the learned weights been rounded. Columns
    of very different scales (a count in the tens of thousands beside a ratio) put that ratio
    in the thousands: weights below one step are rounded to 0 or one step at random. A common
    scale of every column is harmless (the vector's scale follows its weights).
    """
    learned = coef.copy()
    learned.data = coef.data * scale[coef.indices]
    rows = _quantize._rows(coef)
    folded_scales, learned_scales = _quantize.q_scales(coef), _quantize.q_scales(learned)
    coarser = folded_scales[rows] * np.abs(scale[coef.indices]) / learned_scales[rows]
    coarser[coef.data == 0] = 0.0
    if coarser.size and coarser.max() > _Q213_FOLDING_LOSS:
        at = int(np.argmax(coarser))
        column, row = int(coef.indices[at]), int(rows[at])
        raise ValueError(
            f"weights='q2.13' cannot hold the weights folded from the "
            f"{type(scaler).__name__}: column {column} (scale {scale[column]:.6g}) has the "
            f"weight {learned.data[at]:.6g} on the scaled column, {coef.data[at]:.6g} once "
            f"folded, where its weight vector's step is "
            f"{folded_scales[row] * _quantize.Q_STEP:.6g} (set by its largest weight): its "
            f"rounding would move scores {coarser[at]:.3g} times as much as the learned "
            "model's (a scale per weight vector cannot serve columns of such different "
            "scales). Use weights='float16', whose rounding is relative, or keep 'float64'."
        )


def _checked_coef(coef, what):
    """A linear model's ``coef_`` (``what`` names it) as an array or a sparse matrix whose
    index arrays describe a matrix of its shape (checked copies of them): scipy's conversions
    trust them, and a CSC row index beyond the shape crashed the process, a CSR column index
    beyond it was exported, ignored by scores, and saved in a file load_model refused. A
    list is read as NumPy reads it; anything but 1 or 2 dimensions is refused."""
    if not sp.issparse(coef):
        coef = np.asarray(coef)
    if coef.ndim not in (1, 2):
        raise ValueError(
            f"{what} has {coef.ndim} dimensions; a linear model's coef_ has 1 (one weight "
            "vector) or 2 (a row per weight vector)."
        )
    if 0 in coef.shape:  # (exported, then refused by load_model)
        raise ValueError(f"{what} has shape {coef.shape}: no weight vector or no feature.")
    if not sp.issparse(coef):
        return coef
    try:
        if coef.ndim == 2 and coef.format not in ("csr", "csc", "coo", "bsr"):
            # DIA, LIL, DOK: as COO, checked below. scipy trusts their structures too: a DIA of
            # fewer offsets than rows of data crashed its conversion to CSR, a LIL column index
            # beyond the width was exported (its scores read X out of bounds)
            if coef.format == "dia" and not (
                np.ndim(coef.offsets) == 1
                and np.ndim(coef.data) == 2
                and np.shape(coef.data)[0] == np.shape(coef.offsets)[0]
            ):
                raise ValueError("a DIA matrix needs one offset per row of its data.")
            coef = coef.tocoo()
        if coef.ndim == 1:  # (scipy's 1-D arrays: COO or CSR, one row of indices)
            index = index_copy(coef.coords[0] if coef.format == "coo" else coef.indices, "indices")
            data = np.asarray(coef.data)
            if index.shape != data.shape or (
                coef.format == "csr" and not np.array_equal(coef.indptr, [0, data.size])
            ):
                raise ValueError(
                    f"a 1-D sparse array's {index.size:,} indices, its "
                    f"{data.size:,} values and its indptr do not agree."
                )
            refuse_out_of_range(index, coef.shape[0], "sparse indices")
            return sp.coo_array((data, (index,)), shape=coef.shape)
        coef = sparse_before_conversion(coef)  # (CSC, COO, BSR: of checked index copies)
        coef = coef.tocsr() if coef.format != "csr" else coef
        indptr = index_copy(coef.indptr, "indptr")
        indices = index_copy(coef.indices, "indices")
        data = np.asarray(coef.data)
        n_rows, n_columns = coef.shape
        if (
            indptr.shape != (n_rows + 1,)
            or indptr[0] != 0
            or np.any(indptr[1:] < indptr[:-1])
            or indptr[-1] != indices.size
            or data.shape != indices.shape
        ):
            raise ValueError(
                f"its CSR indptr must be {n_rows + 1:,} non-decreasing offsets from 0 to the "
                f"number of indices ({indices.size:,}), as many as values ({data.size:,})."
            )
        refuse_out_of_range(indices, n_columns, "CSR column indices")
        return sp.csr_matrix((data, indices, indptr), shape=coef.shape)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{what} is not a sparse matrix of its shape: {exc}") from None


def _checked_intercept(intercept, n_models, what):
    """A linear model's ``intercept_`` as float numbers, one or one per weight vector."""
    intercept = _float_numbers(np.asarray(intercept), what)
    if intercept.ndim > 1 or intercept.size not in (1, n_models):
        raise ValueError(
            f"{what} has shape {intercept.shape}; a model of {n_models} weight vector(s) has "
            f"one intercept{' or one per weight vector' if n_models > 1 else ''}."
        )
    return np.broadcast_to(intercept.reshape(-1), (n_models,))


def _float_numbers(values, what):
    """``values`` (an array or a sparse matrix) as float64 when their type is neither float32
    nor float64 but float64 holds each exactly as the estimator's product uses it (ints and
    bools, which NumPy converts so against a float X, and float16); the file holds float32 or
    float64 only, and ``save`` wrote ints or float16 that ``load_model`` then refused. Other
    types (long double, complex, objects) are refused: float64 would change the scores."""
    dtype = values.dtype
    if dtype.kind == "f" and dtype.itemsize in (4, 8):  # (in either byte order)
        return values
    if dtype.kind in "biu" or dtype == np.float16:
        return values.astype(np.float64)
    raise ValueError(
        f"{what} has dtype {dtype}; an exported model holds float32 or float64 weights and "
        "intercepts (or integers, converted to float64)."
    )


def _refuse_predictions_not_from_scores(estimator):
    """Refuse a linear model whose predictions an export, which predicts its scores (a
    regressor) or the class of the largest (a classifier), would get wrong: they were
    exported and predicted the linear score of a ``PoissonRegressor`` (which predicts its
    ``exp``), one class per row of a ``RidgeClassifier`` fitted on multilabel targets
    (which predicts a 0/1 column per label), the argmax of an ``SVC``'s one-vs-one scores
    (or an IndexError), and ``X @ coef_.T`` of a ``PLSRegression`` (which centres X first)."""
    name = type(estimator).__name__
    bases = {cls.__name__ for cls in type(estimator).__mro__}
    if "BaseLibSVM" in bases:
        raise TypeError(
            f"{name} scores rows with libsvm from its support vectors (a weight vector per "
            "pair of classes when multiclass, as one-vs-one votes); an exported model scores "
            "with coef_ as a one-vs-rest linear model. Export LinearSVC or LinearSVR instead."
        )
    if "_PLS" in bases:
        raise TypeError(
            f"{name} centres (and scales) X by its training means before multiplying it by "
            "coef_; an exported model multiplies X itself."
        )
    if "_GeneralizedLinearRegressor" in bases:
        link = getattr(getattr(estimator, "_base_loss", None), "link", None)
        if type(link).__name__ != "IdentityLink":
            raise TypeError(
                f"{name} predicts the inverse of its link function ({type(link).__name__}) of "
                "the linear score; an exported model predicts the score itself. Only a "
                "generalized linear model with the identity link (e.g. TweedieRegressor("
                "power=0)) is exported."
            )
    y_type = getattr(getattr(estimator, "_label_binarizer", None), "y_type_", None)
    if isinstance(y_type, str) and y_type.startswith("multilabel"):
        raise ValueError(
            f"{name} was fitted on multilabel targets and predicts a set of labels per row; "
            "an exported classifier predicts one class per row."
        )


def _source_name(estimator):
    """The class name the model records: its own, or 'LinearDiscriminantAnalysis' for a
    subclass of it. The name is all a file records, and it decides how ``predict_log_proba``
    takes a probability of 0 (a subclass's export gave ``-inf`` where the estimator gives the
    log of float64's smallest normal)."""
    bases = {cls.__name__ for cls in type(estimator).__mro__}
    if "LinearDiscriminantAnalysis" in bases:
        return "LinearDiscriminantAnalysis"
    return type(estimator).__name__


def _refuse_repeated_names(names, owner):
    """Refuse feature names that repeat one (set by hand: scikit-learn fits no DataFrame whose
    names repeat), which the export saved in a file that ``load_model`` refuses."""
    seen = set()
    for name in [] if names is None else names:
        if name in seen:
            raise ValueError(
                f"{owner}.feature_names_in_ repeats the name {str(name)!r:.200}; a model file "
                "holds each column's name once (load_model would refuse this one)."
            )
        seen.add(name)


def _blas_layout(coef):
    """How a scikit-learn model's ``coef_`` is laid out, which decides the order of the sums
    of its product with a dense X: 'blas' (C order, or 1-D), 'blas_fortran' (F order: a
    multiclass ``LogisticRegression``'s) or 'blas_sparse' (after ``sparsify()``)."""
    if sp.issparse(coef):
        return "blas_sparse"
    coef = np.asarray(coef)
    if (
        coef.ndim == 2
        and coef.shape[0] > 1
        and coef.flags.f_contiguous
        and not coef.flags.c_contiguous
    ):
        return "blas_fortran"
    return "blas"


def _warn_of_dates_read_as_text(first, inferred):
    """Warn of columns of dates that a FeatureCrossHasher first, fitted on a DataFrame,
    hashes without buckets: a file's text of them hashes apart."""
    kinds = getattr(first, "column_kinds_", None) or {}
    dates = [
        name
        for name, kind in kinds.items()
        if kind == "datetime" and (inferred is None or name in inferred)
    ]
    if dates:
        warnings.warn(
            f"the FeatureCrossHasher hashes the column(s) {dates[:5]} of dates without "
            "buckets, each value by its instant: sparsereg predict reads them from CSV files "
            "as text, which hashes apart (their predictions miss those weights). Bucket them "
            f"(buckets={{{dates[0]!r}: {{'datetime': 'date'}}}}): calendar parts hash alike from "
            "dates and from their ISO 8601 text.",
            UserWarning,
            stacklevel=caller_level(),
        )


# the kinds a file may give a FeatureCrossHasher that hashes every column (crosses=None)
_MAX_KINDS = 2**16


def _is_dask(estimator):
    return callable(getattr(estimator, "to_local", None)) and hasattr(estimator, "hasher")


def _local_of_dask(estimator):
    """A fitted ``sparsereg.dask`` estimator as the local pipeline it stands for:
    ``make_pipeline(hasher_, to_local())``, or ``to_local()`` without a hasher."""
    steps = getattr(estimator, "steps", None)
    if steps and _is_dask(steps[-1][1]):
        last = steps[-1][1]
        if getattr(last, "hasher", None) is not None:
            raise ValueError(
                f"the Pipeline's last step is a {type(last).__name__} with a hasher of its "
                "own: export it alone (export_model(dask_model) exports its hasher_ and "
                "model)."
            )
        from sklearn.pipeline import Pipeline

        # (export_model reads the steps alone: a Pipeline of them, whatever the class given)
        return Pipeline([*steps[:-1], (steps[-1][0], last.to_local())])
    if steps or not _is_dask(estimator):
        return estimator
    local = estimator.to_local()  # (NotFittedError before fit)
    hasher = getattr(estimator, "hasher_", None)
    if hasher is None and estimator.hasher is not None:
        raise ValueError(
            f"this {type(estimator).__name__} has a hasher but no hasher_: it was fitted "
            "without one (given by set_params since), or by an earlier sparsereg; fit it "
            "again to export its hasher with its model."
        )
    if hasher is None:
        return local
    from sklearn.pipeline import make_pipeline

    return make_pipeline(hasher, local)


def _warn_of_an_unfitted_hasher(first, inferred):
    """Warn that a FeatureCrossHasher never fitted records no kind of the columns it hashes
    without buckets (``inferred``: None for every one), which ``sparsereg predict`` then reads
    as pandas infers them."""
    from .crosses import FeatureCrossHasher

    if not isinstance(first, FeatureCrossHasher) or hasattr(first, "n_features_in_"):
        return
    if inferred is not None and not inferred:
        return
    warnings.warn(
        "the pipeline's FeatureCrossHasher was never fitted, so the file records no kind of "
        "the columns it hashes without buckets: `sparsereg predict` and `report` read each "
        "file's columns as pandas infers them (a zip code '02139' as the number 2139, hashed "
        "apart from the text a model trained on a frame of text saw). Fit the hasher on the "
        "training frame (it learns its columns' kinds), export a dask model itself "
        "(export_model(dask_model): its hasher_ is fitted), or give hashed_columns={column: "
        "kind}.",
        UserWarning,
        stacklevel=caller_level(),
    )


def _checked_column_kinds(column_kinds, hashed_columns, transformers):
    """The kinds of the columns a FeatureCrossHasher first reads as pandas reads them
    (``hashed_columns`` 'inferred'), each one of its columns read so; None without."""
    if column_kinds is None:
        return None
    from .stream._model import columns_to_read
    from .stream._readers import check_kind_items

    if hashed_columns != "inferred":
        raise ValueError(
            "column kinds say how a FeatureCrossHasher first reads its columns without "
            "buckets, but the model's first transformer is not one."
        )
    _, inferred, _ = columns_to_read(transformers)
    # (a file's (name, kind) rows are bounded before they become Python objects; a dict
    # naming a column the hasher does not read is refused by name below)
    most = _MAX_KINDS if inferred is None else len(inferred)
    from_file = isinstance(column_kinds, np.ndarray)
    if len(column_kinds) > most and (from_file or inferred is None):
        given = "model file: hashed_column_kinds names" if from_file else "column kinds name"
        every = " (it hashes every column)" if inferred is None else ""
        raise ValueError(
            f"{given} {len(column_kinds):,} columns; the FeatureCrossHasher first reads at "
            f"most {most:,} as pandas reads them{every}."
        )
    if from_file:
        column_kinds = dict(column_kinds.tolist())
    outside = (
        "which the FeatureCrossHasher first does not hash without buckets (the columns read "
        "as pandas reads them)."
    )
    check_kind_items(column_kinds.items(), inferred, "column kinds", outside)
    refuse_unsaveable_names(list(column_kinds))  # (saved as a NumPy str array)
    return dict(column_kinds)


def export_model(
    estimator: BaseEstimator,
    *,
    weights: str | None = "float64",
    random_state: int | np.random.RandomState | None = 0,
    hashed_columns: str | dict = "inferred",
    svmlight_zero_based: bool = False,
) -> "ExportedLinearModel":
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
        be scored, optionally followed by one ``StandardScaler``, ``MaxAbsScaler``
        or ``RobustScaler`` directly before the model, which is folded into the
        weights and intercepts: ``w . ((x - offset) / scale) + b`` is exported as
        ``(w / scale) . x + (b - (w / scale) . offset)`` (the offset term with the
        weights as stored, once rounded to 16 bits), with scikit-learn's scales
        (a constant column has scale 1). A fitted ``sparsereg.dask`` estimator is
        exported as ``make_pipeline(est.hasher_, est.to_local())`` (``to_local()``
        without a hasher).
    weights : {'float64', 'float16', 'q2.13'}, default='float64'
        How the weights are stored. 'float64' keeps them as the estimator holds
        them (float64, or float32). 'float16' rounds each to IEEE half precision
        (to nearest); a weight that would round to infinity (magnitude 65520 or
        more: float16's largest, 65504, takes those below) is refused rather
        than saved as infinite. 'q2.13' is the 16-bit fixed point of McMahan et
        al. (2013, section 4.2): ``q * 2**-13`` for an int16 ``q``, rounded at
        random, up with probability equal to the remainder, so that the rounding
        is unbiased; each weight vector has a scale, a power of two ``s``
        (``q * s * 2**-13``), the smallest that holds its largest weight: 1 (the
        paper's format) when that lies in [2, 4), larger instead of clipping as the
        paper does (weights in dollars would not survive clipping), smaller for
        small weights (a scaler folded into weights that read values in the
        thousands), which the paper's step would round to 0 or one step. Either 16-bit
        format takes a quarter of float64's bytes for the weights; the
        intercepts stay float64, and weights rounded to 0 are dropped. The model
        then scores with the dequantized weights, in memory and after
        :func:`load_model` alike. Each weight moves by less than one step
        (q2.13: ``s * 2**-13``, the same step for the whole vector; float16: a
        relative ``2**-11`` for weights of magnitude ``2**-14`` and more, at most
        ``2**-25`` below, so that weights under ``2**-25`` become 0), so a score
        moves by at most the sum of ``|x_j|`` times that (``|x_j - offset_j|`` for a
        column a folded scaler centres). With a folded scaler the
        model reads raw inputs: q2.13 refuses the export when columns of very
        different scales would have their scores moved more than 16 times as much
        as the learned model's rounding would (the vector's one step meets a
        column's raw values), and float16 when folding brings a weight below
        ``2**-14`` (a column of values in the millions), where its rounding is no
        longer relative; float16's relative rounding is usually the better choice
        there.
    random_state : int, RandomState instance or None, default=0
        Seed of the randomized rounding of 'q2.13': the same seed gives the same
        weights. Unused by the other formats.
    hashed_columns : {'inferred', 'text'} or dict, default='inferred'
        How ``sparsereg predict`` and ``sparsereg report`` read from files the columns that
        a :class:`~sparsereg.crosses.FeatureCrossHasher` first step hashes without buckets,
        as the model was trained on them: 'inferred' as pandas reads them (as ``fit_stream``
        and ``sparsereg train`` read them by default, and ``pd.read_csv``), each file's
        column by its first rows, but for the columns whose kinds the hasher noted when
        fitted on a DataFrame (its ``column_kinds_``), read as those kinds, as with a dict
        (a model trained on ``pd.read_csv(..., dtype={"zip": str})`` reads zip as text; an
        empty dict records no kinds, a file an earlier sparsereg reads); a dict
        ``{column: 'number' | 'bool' | 'text'}`` (a ``fit_stream`` history's
        ``column_kinds``, which ``sparsereg train`` records) as
        'inferred', but each column it names read as that kind whatever a file's first rows
        hold, a value that does not fit making its row bad (format version 8 or 9,
        ``hashed_column_kinds``): with 'inferred' a column of numbers whose file holds one
        stray text value is read as text, every value then a token the model never saw;
        'text' as text (a model trained with ``fit_stream(...,
        reader_options={"categorical": None})`` or on a frame read with ``dtype=str``).
        'inferred' is recorded in the file (format version 6 to 9, ``hashed_columns``);
        with 'text' the file has no such member (format version 2-5, or 7 for q2.13 weights
        of scales below 1), and ``predict`` reads the columns as text. A ``fit_stream`` model
        trained with some of them as text and others as pandas reads them
        (``reader_options={"categorical": [...]}``) is exported so by default: its hasher
        noted those 'text' and the others by their kinds, but for pandas' spellings of
        missing ("NA"), which such a column keeps as text and 'text' reads as missing.
        Unused without such a first step (a dict naming columns is then refused).
    svmlight_zero_based : bool, default=False
        Whether the model was trained on SVMlight files numbered from 0 (as scikit-learn's
        ``dump_svmlight_file`` writes them, read with ``load_svmlight_file(zero_based=True)``
        or ``open_source(..., zero_based=True)``; ``Source.zero_based`` tells): ``sparsereg
        predict`` then reads SVMlight files from 0 for it unless given ``--one-based``, where
        it reads them from 1, LIBSVM's numbering, by default (a file numbered otherwise than
        the model's columns is read one column off). Recorded in the file (format version 8 or 9,
        ``svmlight_zero_based``); ``sparsereg train --zero-based`` records it. Refused for a
        model whose first step is a transformer (it reads no SVMlight rows).

    Returns
    -------
    exported : ExportedLinearModel
        Predicts what ``estimator`` predicts (with the rounded weights, for
        'float16' and 'q2.13'); ``save`` writes it to an ``.npz``.

    Raises
    ------
    ValueError
        For a Pipeline step that cannot be rebuilt from its parameters, a parameter
        that is not JSON-serialisable (e.g. a callable), class labels that are
        neither numbers nor strings, an unknown ``weights`` or ``random_state``, a
        weight that float16 cannot hold (beyond its range, or folded from a scaler
        below its normal range), NaN or infinite weights or intercepts, or a classifier
        fitted on multilabel targets (``RidgeClassifier``), which predicts a label set per row.
    TypeError
        For an estimator without ``coef_`` and ``intercept_``, or whose predictions are not
        ``X @ coef_.T + intercept_`` (or the class of the largest): a generalized linear
        model with a link other than the identity (``PoissonRegressor``,
        ``GammaRegressor``, ``TweedieRegressor`` with a log link) predicts ``exp`` of
        them, libsvm's ``SVC``, ``NuSVC``, ``SVR`` and ``NuSVR`` score from support
        vectors (one-vs-one when multiclass), and ``PLSRegression``, ``PLSCanonical`` and
        ``CCA`` centre X first.

    See Also
    --------
    load_model : Read an exported model back.
    export_sizes : Its size next to the pickled estimator's.
    sparsereg.sparsity_report : How many weights are non-zero.

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

    Weights in 16 bits, and a scaler folded into them:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sparsereg import SparseFTRLRegressor
    >>> pipe = make_pipeline(StandardScaler(), SparseFTRLRegressor(random_state=0))
    >>> pipe = pipe.fit(X * 10 + 3, X[:, 0] + X[:, 1])
    >>> small = export_model(pipe, weights="q2.13")
    >>> small.weights_format, small.weights_scale_.tolist()  # weights under 1/8: finer steps
    ('q2.13', [0.03125])
    >>> steps = small.coef_.data / (0.03125 * 2**-13)  # every weight a multiple of the step
    >>> bool(np.array_equal(steps, np.round(steps)))
    True
    >>> error = np.abs(small.predict(X * 10 + 3) - pipe.predict(X * 10 + 3)).max()
    >>> bool(error < 1e-3)
    True
    """
    weights_format = _quantize.check_choice(weights)
    if not isinstance(svmlight_zero_based, (bool, np.bool_)):
        raise TypeError(f"svmlight_zero_based must be a bool, got {svmlight_zero_based!r:.100}.")
    column_kinds = None
    if isinstance(hashed_columns, dict):  # (as pandas reads them, of these kinds)
        column_kinds, hashed_columns = dict(hashed_columns), "inferred"
    if not (isinstance(hashed_columns, str) and hashed_columns in ("inferred", "text")):
        raise ValueError(
            "hashed_columns must be 'inferred', 'text' or a dict of column kinds; got "
            f"{hashed_columns!r:.100}."
        )
    try:  # refused whatever the format, not only where it is used
        check_random_state(random_state)
    except (TypeError, ValueError):
        raise ValueError(
            "random_state must be None, an int in [0, 2**32) or a numpy RandomState; "
            f"got {random_state!r}."
        ) from None
    estimator = _local_of_dask(estimator)
    transformer_specs = []
    scaler = None
    steps = getattr(estimator, "steps", None)
    if steps:
        inner = [step for _, step in steps[:-1] if not (step is None or step == "passthrough")]
        if inner and _linear_scaler(inner[-1]) is not None:
            scaler = inner.pop()
        for step in inner:
            transformer_specs.append(transformer_spec(step))
        estimator = steps[-1][1]
        if inner:
            from .stream._model import columns_to_read, fitted_column_kinds

            inferred = columns_to_read(inner[:1])[1]
            _warn_of_dates_read_as_text(inner[0], inferred)
            if hashed_columns == "inferred" and column_kinds is None:
                _warn_of_an_unfitted_hasher(inner[0], inferred)
            if column_kinds is None and hashed_columns == "inferred":
                column_kinds = fitted_column_kinds(inner[0], inferred)
                if column_kinds is not None and len(column_kinds) > _MAX_KINDS:
                    column_kinds = None  # (more than a file holds: read as pandas reads them)
    check_is_fitted(estimator)
    from .model_selection import _BaseFTRLCV  # it imports the estimators, which import this

    if isinstance(estimator, _BaseFTRLCV):
        estimator = estimator.best_estimator_  # the chosen model of the grid
    if not (hasattr(estimator, "coef_") and hasattr(estimator, "intercept_")):
        # (a fitted search's chosen model is its best_estimator_, when it refits one)
        chosen = (
            f"; export its chosen model: export_model({type(estimator).__name__}"
            "(...).fit(X, y).best_estimator_)"
            if hasattr(estimator, "best_estimator_")
            else ""
        )
        raise TypeError(
            f"{type(estimator).__name__} has no coef_ and intercept_: export_model "
            f"exports linear models{chosen}."
        )
    if not (is_classifier(estimator) or is_regressor(estimator)):
        raise TypeError(f"{type(estimator).__name__} is neither a classifier nor a regressor.")
    _refuse_predictions_not_from_scores(estimator)
    ours = isinstance(estimator, _BaseFTRL)
    # ours: the weights, intercepts, classes and names of one state (another thread may be
    # training it)
    coef, intercept, classes, feature_names_in, softmax = (
        estimator._public_model()
        if ours
        else (
            estimator.coef_,
            estimator.intercept_,
            getattr(estimator, "classes_", None),
            getattr(estimator, "feature_names_in_", None),
            False,
        )
    )
    name = type(estimator).__name__
    if not ours:  # (another library's, or set by hand: ours are made whole from a state)
        coef = _checked_coef(coef, f"{name}.coef_")
    coef_ndim = 1 if (coef.ndim == 1 or ours and is_regressor(estimator)) else 2
    coef = csr_of_coef(_float_numbers(coef, f"{name}.coef_"))
    intercept = _checked_intercept(intercept, coef.shape[0], f"{name}.intercept_")
    offset = None
    if scaler is not None:
        offset, scale = _linear_scaler(scaler)
        # the scales now, the centre once the weights are as stored (below)
        coef, intercept = _fold_scaler(coef, intercept, None, scale, type(scaler).__name__)
        feature_names_in = getattr(scaler, "feature_names_in_", None)
        if weights_format == "float16" and scale is not None:
            _check_float16_folding(coef, np.asarray(scale, dtype=np.float64), scaler)
        elif weights_format == "q2.13" and scale is not None:
            _check_q213_folding(coef, np.asarray(scale, dtype=np.float64), scaler)
    if not (np.all(np.isfinite(coef.data)) and np.all(np.isfinite(intercept))):
        raise ValueError(
            f"{type(estimator).__name__} has NaN or infinite weights or intercepts (a "
            "diverged fit?): a model file holds finite numbers only, and load_model "
            "would refuse this one."
        )
    weights_scale = None
    if weights_format is not None:
        coef, weights_scale = _quantize.quantize(coef, weights_format, random_state)
    if offset is not None:
        # b - w . offset with the weights as stored: a weight's rounding then meets x - offset
        # in scores, as the pipeline's weight meets the centred column, not the raw x (folded
        # before rounding, a column of values ~1e4 of spread 1 had its rounding multiplied by
        # 1e4 in every score: RMSE 0.099 -> up to 8.3 with q2.13, 21 with float16)
        coef, intercept = _fold_scaler(coef, intercept, offset, None, type(scaler).__name__)
    classes = classes if is_classifier(estimator) else None
    if is_classifier(estimator):
        # what load_model refuses (_model_checks.layout); the export predicted an IndexError,
        # or the argmax of weight vectors that are not one per class
        n_models = coef.shape[0]
        n_classes = None if classes is None else len(classes)
        if n_classes != (2 if n_models == 1 else n_models):
            raise ValueError(
                f"{name} has {n_classes or 'no'} classes for {n_models} weight vector(s); a "
                "binary classifier has 1 weight vector and 2 classes, any other a weight "
                "vector per class."
            )
    if not transformer_specs:
        _refuse_repeated_names(feature_names_in, type(scaler or estimator).__name__)
    return ExportedLinearModel._build(
        kind="classifier" if is_classifier(estimator) else "regressor",
        proba=_proba_kind(estimator, coef.shape[0], softmax),
        source=_source_name(estimator),
        coef=coef,
        intercept=intercept,
        classes=classes,
        coef_ndim=coef_ndim,
        # scikit-learn multiplies by a 1-D coef_ (a BLAS gemv); ours by a 2-D one
        matvec=coef_ndim == 1 and not ours,
        arithmetic="ftrl" if ours else "blas" if weights_format else _blas_layout(estimator.coef_),
        feature_names_in=None if transformer_specs else feature_names_in,
        transformer_specs=transformer_specs,
        weights_format=weights_format,
        weights_scale=weights_scale,
        scaler_input=scaler is not None,
        # (the file says 'inferred', version 6; a file that does not say is read as text)
        hashed_columns=(
            "inferred"
            if hashed_columns == "inferred"
            and transformer_specs
            and transformer_specs[0]["class"] == "FeatureCrossHasher"
            else None
        ),
        column_kinds=column_kinds or None,
        svmlight_zero_based=svmlight_zero_based,
    )


def load_model(file: FileLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> "ExportedLinearModel":
    r"""Read a model written by :meth:`ExportedLinearModel.save`, without pickle.

    The file may come from anyone: loading it runs no code from it, opens no other
    file, decompresses nothing it does not need, and refuses with a ``ValueError``
    naming the problem anything a file written by ``save`` would not hold.

    Parameters
    ----------
    file : str, path-like or file-like
        The ``.npz`` file.
    max_bytes : int, default=2**31
        Largest number of bytes the model's arrays may take once decompressed, with
        the arrays the model holds: the dense ``(n_support + 1, n_models)`` weight
        table it is scored from and 12 bytes of column indices per supported feature
        (and 8 bytes per weight for quantized weights, decoded to float64, or for
        indices converted to the dtype ``save`` writes). Checked from the file's
        headers and its column indices before the weights are read; a load takes at
        most 1.5 times ``max_bytes`` plus 16 MiB of memory at its peak. Raise it to
        load a larger model.

    Returns
    -------
    model : ExportedLinearModel
        The exported model.

    Raises
    ------
    ValueError
        If the file is not a model file or anything in it is refused (see Notes).

    See Also
    --------
    export_model : Build the model to save.

    Notes
    -----
    **Members.** The zip holds only the ``.npy`` arrays ``format``,
    ``format_version``, ``kind``, ``proba``, ``source``, ``n_features_in``,
    ``coef_ndim``, ``matvec``, ``arithmetic``, ``coef_data``, ``coef_indices``,
    ``coef_indptr``, ``intercept``, ``transformers`` and optionally ``classes``,
    ``feature_names_in``, ``weights_format``, ``weights_scale``, ``scaler_input`` (a
    bool: a scaler was folded into the weights), ``hashed_columns`` ('inferred': the
    command line reads the columns that a FeatureCrossHasher first hashes without buckets as
    pandas reads them; a file without it, of an earlier version, has them read as text) and
    ``hashed_column_kinds`` (a ``(n, 2)`` str array of the (column, kind) of those columns
    whose kind training decided, each 'number', 'bool' or 'text', none named twice) and
    ``svmlight_zero_based`` (True: ``sparsereg train --zero-based`` trained the model, which
    has no transformer, on SVMlight files whose column indices start at 0, and ``sparsereg
    predict`` reads files so unless told); any
    other member, a missing one, an
    object, structured or complex dtype, a header whose shape and dtype disagree with the zip entry's
    size or with the model's scalars (number of models, of weights, of features),
    a deflated member expanding more than 100:1 (above 1 MiB), or arrays larger
    than ``max_bytes`` are refused before their data is read.

    **Weights.** Format version 2 holds float32 or float64 weights; version 3
    holds 16-bit weights and says how in ``weights_format``: 'float16'
    (``coef_data`` float16, finite, no ``weights_scale``) or 'q2.13'
    (``coef_data`` int16 and a float ``weights_scale`` per weight vector, each a
    power of two at least 1, the dequantized weights finite); version 4 holds
    float weights of a scikit-learn model whose ``coef_`` was Fortran-ordered
    (``arithmetic`` 'blas_fortran') or sparse ('blas_sparse'), whose dense rows
    are scored with that layout; version 5 holds the model of a folded scaler
    (``scaler_input`` True; files of versions 2 to 4 written by sparsereg before
    version 5 may hold it too, and load as written), with the weights and
    arithmetic of versions 2 to 4 (quantized weights scored as 'blas' or 'ftrl');
    version 6 holds ``hashed_columns`` 'inferred', its first transformer a
    FeatureCrossHasher, with the weights, arithmetic and folded scaler of versions 2 to 5
    (files of other models keep their versions 2 to 5); version 7 holds q2.13 weights
    whose ``weights_scale`` goes below 1 (down to ``2**-1009``), with anything of
    versions 2 to 6 (other q2.13 files keep their versions); version 8 holds
    ``hashed_column_kinds`` (with ``hashed_columns`` 'inferred') or ``svmlight_zero_based``,
    with anything of versions 2 to 7 (q2.13 scales below 1 too); version 9 holds a
    FeatureCrossHasher's ``datetime_aware_`` in its transformer spec (a JSON object of
    column names to true or false), with anything of versions 2 to 8.
    A version newer than this sparsereg reads is refused as such, before its
    members are. The dtypes and shapes are checked from the
    headers; the weights are held as float64, and counted so against ``max_bytes``.

    **Contents.** Weights and intercepts must be finite; ``coef_indptr`` must start
    at 0, never decrease and end at the number of weights; column indices must lie
    in ``[0, n_features_in)`` and not repeat within a model; ``kind`` is
    'regressor' or 'classifier'; ``proba`` is '', 'ovr_logistic',
    'ovr_modified_huber' or 'softmax' (a classifier's only; softmax with a weight
    vector per class); a classifier has 2 classes for 1 weight vector or one class
    per weight vector, distinct and finite, a regressor none; ``coef_ndim`` is 1
    (one weight vector) or 2; ``matvec`` means one weight vector;
    ``feature_names_in`` has ``n_features_in`` names, none repeated; ``n_features_in`` is in
    ``[1, 2**62]``; there is at most one transformer (each outputs a sparse matrix,
    which none reads), and it outputs ``n_features_in`` columns.

    **Transformers.** Their parameters are JSON (at most 2**22 characters, nested
    at most 32 deep) and each must be on this allow-list, with these values;
    anything else is refused, naming the transformer and the parameter. The
    transformer's own parameter validation then runs as well.

    - ``HashingVectorizer``: ``input`` 'content' only (never a file name);
      ``analyzer`` 'word', 'char' or 'char_wb'; ``token_pattern`` scikit-learn's
      default ``r"(?u)\b\w\w+\b"`` only, or None with a char analyzer (a file
      cannot be trusted with a regular expression); ``preprocessor`` and
      ``tokenizer`` None; ``encoding`` the name of a text codec; ``decode_error``
      'strict', 'ignore' or 'replace'; ``strip_accents`` None, 'ascii' or
      'unicode'; ``lowercase``, ``binary``, ``alternate_sign`` bools;
      ``stop_words`` None, 'english' or a list of at most 100,000 str;
      ``ngram_range`` ``(min_n, max_n)`` with ``1 <= min_n <= max_n <= 10``;
      ``n_features`` in ``[1, 2**31 - 1]``; ``norm`` 'l1', 'l2' or None;
      ``dtype`` float32 or float64.
    - ``FeatureHasher``: ``n_features`` in ``[1, 2**31 - 1]``; ``input_type``
      'dict', 'pair' or 'string'; ``dtype`` float32 or float64;
      ``alternate_sign`` a bool.
    - ``FeatureCrossHasher``: ``crosses`` None or at most 10,000 crosses of at
      most 32 column keys (str of at most 1,024 characters, or int positions);
      ``buckets`` None or a dict of at most 10,000 columns, each a width, a list
      of at most 100,000 edges, or a dict of 'width', 'origin', 'edges' and
      'format' ('interval' or 'deg', never a callable), or a datetime dict of
      'datetime' (calendar part names or a width such as '15min'), 'origin' (an
      ISO 8601 str of at most 40 characters) and 'tz' (a time-zone name of
      letters, digits, '_', '+', '-' and '/', read from the system's time-zone
      database; not 'localtime', 'posixrules' or the 'posix/' and 'right/'
      trees, which depend on the machine); ``n_features`` in
      ``[1, 2**60]``; ``missing`` 'bucket', 'skip' or 'error'; ``seed`` in
      ``[0, 2**64)``; ``alternate_sign`` a bool; ``dtype`` float32 or float64.

    ``export_model`` applies the same allow-list, so ``save`` never writes a file
    that ``load_model`` refuses (except for ``max_bytes``). Loading does not tell
    whether the model is a good one, and the transformers' cost still grows with
    the input they are given.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLClassifier, export_model, load_model
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 50))
    >>> clf = SparseFTRLClassifier(random_state=0).fit(X, X[:, 0] > 0)
    >>> buffer = io.BytesIO()
    >>> export_model(clf).save(buffer)
    >>> _ = buffer.seek(0)
    >>> served = load_model(buffer)
    >>> np.array_equal(served.predict_proba(X), clf.predict_proba(X))
    True
    """
    return ExportedLinearModel.load(file, max_bytes=max_bytes)


@dataclass(frozen=True)
class ExportSizes:
    """What a model costs to ship: the pickled estimator against its export.

    Attributes
    ----------
    estimator_pickle_bytes : int
        ``len(pickle.dumps(estimator))``, training state included.
    export_memory_bytes : int
        :attr:`~sparsereg.ExportedLinearModel.nbytes`.
    export_file_bytes : int
        Size of the saved ``.npz`` (uncompressed).

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLClassifier, export_sizes
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 1000))
    >>> clf = SparseFTRLClassifier(alpha=1e-3, random_state=0).fit(X, X[:, 0] > 0)
    >>> sizes = export_sizes(clf)
    >>> sizes.export_file_bytes < sizes.estimator_pickle_bytes
    True
    """

    estimator_pickle_bytes: int
    export_memory_bytes: int
    export_file_bytes: int

    def __str__(self):
        ratio = self.estimator_pickle_bytes / max(self.export_file_bytes, 1)
        # (a small model's export, its header and names, may outweigh its pickle)
        than = f"{ratio:,.1f}x smaller" if ratio >= 1 else f"{1 / ratio:,.1f}x larger"
        return (
            f"pickled estimator {_format_bytes(self.estimator_pickle_bytes)}; export "
            f"{_format_bytes(self.export_file_bytes)} on disk ({than}), "
            f"{_format_bytes(self.export_memory_bytes)} in memory"
        )


def export_sizes(
    estimator: BaseEstimator, exported: "ExportedLinearModel | None" = None
) -> "ExportSizes":
    """Bytes of the pickled estimator next to those of its export.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted linear model (or Pipeline), as accepted by :func:`export_model`.
    exported : ExportedLinearModel, default=None
        Its export (as :func:`export_model` made it: which model it exports is not checked);
        built with :func:`export_model` when None.

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
    elif not isinstance(exported, ExportedLinearModel):  # (else an AttributeError of nbytes)
        raise TypeError(
            f"exported must be an ExportedLinearModel (export_model's) or None, got "
            f"{type(exported).__name__}."
        )
    return ExportSizes(
        estimator_pickle_bytes=len(pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)),
        export_memory_bytes=exported.nbytes,
        export_file_bytes=exported.file_bytes(),
    )
