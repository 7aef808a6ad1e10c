"""FTRL-Proximal regressor and classifier, drop-in for ``SGDRegressor`` / ``SGDClassifier``."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from ._base import TrainingProblem, _BaseFTRL, kernel_weights
from ._checked_score import CheckedScore
from ._decision import softmax_probabilities
from ._losses import (
    CLASSIFICATION_LOSSES,
    REGRESSION_LOSSES,
    gives_probabilities,
    one_vs_rest_probabilities,
)
from ._missing import is_missing, refuse_masked
from ._optional_methods import available_when
from ._state_protocol import plain_labels, refuse_continuous_labels
from ._typing import ArrayLike, MatrixLike
from ._validation import csr_read_once, plain_vector

_SHARED_PARAMETERS_DOC = """
    penalty : {'l1', 'l2', 'elasticnet', None}, default='l1'
        The regularisation term. 'l1' drives uninformative weights to exactly 0.0
        (FTRL-Proximal's point); 'l2' only shrinks them; 'elasticnet' mixes both with
        ``l1_ratio``; None turns regularisation off.

    alpha : float, default=1e-4
        Regularisation strength, with the meaning it has in ``SGDRegressor``: the
        objective is the mean loss plus ``alpha * R(w)``. Values must be in the range
        `[0.0, inf)`. See Notes for the FTRL lambdas it gives.

    l1_ratio : float, default=0.15
        Elastic-net mixing, used only when ``penalty='elasticnet'``. Values must be in
        the range `[0.0, 1.0]`.

    penalty_scale : {'mean', 'sum'}, default='mean'
        'mean' (scikit-learn's objective, the mean of the losses plus the penalty)
        gives the per-round FTRL lambdas ``alpha * l1_ratio * t`` and
        ``alpha * (1 - l1_ratio) * t`` after ``t`` samples; 'sum' (the paper's form,
        the sum of the losses plus the penalty) gives the constants
        ``alpha * l1_ratio`` and ``alpha * (1 - l1_ratio)``, the usual choice for
        endless ``partial_fit`` streams (as in Vowpal Wabbit and river).

    eta0 : float, default=0.1
        The paper's learning-rate scale alpha: coordinate ``i`` learns at rate
        ``eta0 / (beta + sqrt(n_i))``, where ``n_i`` is its sum of squared
        gradients. Values must be in the range `(0.0, inf)`.

    beta : float, default=1.0
        The paper's beta, which keeps the first steps of a coordinate finite.
        Values must be in the range `(0.0, inf)`.

    fit_intercept : bool, default=True
        Whether to learn an intercept, one more FTRL coordinate that is never
        penalised.

    max_iter : int, default=1000
        Maximum number of passes over the data (epochs) in ``fit``;
        ``partial_fit`` always makes one. Values must be in the range `[1, inf)`.

    tol : float or None, default=1e-3
        Training stops when the epoch's average loss (or the validation score with
        ``early_stopping``) has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs. None runs ``max_iter`` epochs.

    shuffle : bool, default=True
        Whether to visit the rows in a new random order each epoch (and each
        ``partial_fit`` call), drawn from ``random_state``.

    verbose : int, default=0
        When positive, print one line per epoch: epoch, average loss, non-zero
        weights, seconds.

    epsilon : float, default=0.1
        The width of 'huber', 'epsilon_insensitive' and
        'squared_epsilon_insensitive' (regression only). Values must be in the range
        `[0.0, inf)`.

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling and the early-stopping split. An int makes ``fit``
        reproducible to the bit (with ``n_threads=1``).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when its
        score stops improving. Not available in ``partial_fit``.

    validation_fraction : float, default=0.1
        The share held out with ``early_stopping``. Values must be in the range
        `(0.0, 1.0)`.

    n_iter_no_change : int, default=5
        Epochs without improvement before stopping. Values must be in the range
        `[1, inf)`.

    warm_start : bool, default=False
        When True, ``fit`` continues from the current FTRL state (``z``, ``n``,
        ``t_``) instead of starting over.

    state_store : {'auto', 'dense', 'sparse'}, default='auto'
        Where the FTRL state lives. 'dense': 16 bytes per column of the input
        width, allocated up front (fastest for widths that fit). 'sparse': a hash
        table holding only the columns that received a gradient, 48 to 96 bytes
        per such column, so memory grows with the data, not the hash space; ``coef_``
        is then a CSR matrix. Both give bit-identical models. 'auto' picks 'sparse'
        when the dense state would exceed 256 MiB (more than 2**24 columns for one
        model) or when ``inclusion`` is set.

    inclusion : {'poisson', 'bloom'} or None, default=None
        Probabilistic feature inclusion (McMahan et al. 2013, section 4.1; needs
        the sparse store): a column not yet in the model enters it with probability
        ``inclusion_p`` on each occurrence ('poisson'), or once it has occurred
        ``inclusion_count`` times, counted in a counting Bloom filter of
        ``bloom_size`` counters ('bloom'). Until then it has weight 0 and no state.
        Occurrences are counted in rows whose gradient is not zero.

    inclusion_p : float, default=0.03
        Probability of entering per occurrence, for ``inclusion='poisson'``.
        Values must be in the range `(0.0, 1.0]`.

    inclusion_count : int, default=2
        Occurrences before entering, for ``inclusion='bloom'``. Values must be in
        the range `[1, 255]`.

    bloom_size : int, default=2**20
        Counters (one byte each, rounded up to a power of two) of the Bloom filter
        of each model, for ``inclusion='bloom'``; collisions let a column in early."""

_SHARED_ATTRIBUTES_DOC = """    n_iter_ : int
        Epochs run by the last ``fit`` (1 after ``partial_fit``).

    t_ : int
        Training samples seen so far, over all epochs and ``partial_fit`` calls.

    nnz_history_ : list of (int, tuple of int)
        ``(t_, non-zero weights per model)`` after each epoch of ``fit``, and after a
        ``partial_fit`` call once ``t_`` has grown by 10 % since the last record (a
        stream's history grows as the logarithm of ``t_``). Counting is a pass over the
        state, so when a batch is tiny next to the state (fewer than one non-zero per 32
        columns held by each model) an epoch or call is recorded only once ``t_`` has grown
        by 10 % and the rows since the last record hold (at the call's non-zeros per row)
        at least one non-zero per column held by each model.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when X has string column names."""

_SHARED_NOTES_DOC = """
    FTRL-Proximal (McMahan et al. 2013, Algorithm 1) keeps two numbers per
    coordinate: ``z_i``, the sum of gradients corrected by the proximal terms, and
    ``n_i``, the sum of squared gradients. The weight is never stored; it is
    computed when needed:

    ``w_i = 0`` if ``|z_i| <= lambda1``, else
    ``w_i = -(z_i - sign(z_i) lambda1) / ((beta + sqrt(n_i)) / eta0 + lambda2)``.

    So a weight is exactly 0.0 while the accumulated evidence ``|z_i|`` for its
    feature stays below ``lambda1``. After each sample with gradient
    ``g_i = loss'(w.x) x_i``: ``sigma_i = (sqrt(n_i + g_i^2) - sqrt(n_i)) / eta0``,
    ``z_i += g_i - sigma_i w_i``, ``n_i += g_i^2``. The state is float64 whatever
    the input dtype.

    Regularisation, as in scikit-learn: with ``r`` = 1 for 'l1', 0 for 'l2',
    ``l1_ratio`` for 'elasticnet', the lambdas at round ``t`` (the ``t``-th sample
    seen, counted in ``t_``) are ``lambda1 = alpha * r * t`` and
    ``lambda2 = alpha * (1 - r) * t`` with ``penalty_scale='mean'``; the paper's
    constant ``lambda1 = alpha * r`` and ``lambda2 = alpha * (1 - r)`` with
    ``penalty_scale='sum'``. ``coef_`` is the weight vector at ``t = t_``.

    The defaults (``alpha=1e-4``, ``eta0=0.1``, ``beta=1``) were chosen on a9a and on
    standardised California housing (``benchmarks/bench_defaults.py``, results in
    ``benchmarks/RESULTS.md``): on a grid of ``alpha`` in 1e-7..1e-3 and ``eta0`` in
    0.03..1, ``fit`` with the defaults is within 0.1 % of the best test log loss (a9a)
    and RMSE (California), and ``alpha=1e-4`` (also ``SGDRegressor``'s default) keeps
    about a quarter fewer weights than the smaller values at that score.

    Sample weights (and class weights) multiply the gradient of their sample."""

_N_THREADS_DOC = """
    n_threads : int, default=1
        Threads training one model together (regression and binary
        classification), Hogwild!-style (Niu et al. 2011): each thread takes the
        next 16,384 rows of the epoch's order and updates the shared FTRL state
        without locks. Each thread keeps its own copies of the intercept and of
        the most frequent columns (up to 1,024, found in the epoch's first 2,048
        rows), and adds its changes to them to the shared numbers (the intercept's
        every 512 rows, the columns' every 4,096, atomically), so that none of
        their updates is lost. Opt-in, and NOT reproducible: the model depends on
        how the threads interleave (an update may be computed from weights another
        thread is changing or has not yet added, or overwrite, i.e. lose, another
        thread's update of a less frequent column), so two fits with the same
        ``random_state`` differ slightly; each row is still trained once, with
        the lambdas of its position in the order. It pays only with a free core
        per thread. 1 (the default) trains in the calling thread, the same to the
        bit whatever the machine. Needs the dense
        state store (the table's inserts are not thread-safe): a model whose state
        is a table (``state_store='sparse'``, ``inclusion``, or 'auto' above 2**24
        columns) is refused with a ValueError. Batches of 16,384 rows or fewer train in one
        thread, and multiclass models ignore it (one-vs-rest classes train one per
        thread with ``n_jobs``, reproducibly; a multinomial model in one thread).
        Values must be in the range `[1, inf)`.
"""

_SHARED_REFERENCES_DOC = """
    H. B. McMahan, G. Holt, D. Sculley et al., "Ad Click Prediction: a View from
    the Trenches", KDD 2013, Algorithm 1."""


def _is_weight(value):
    """A finite non-negative number (a 0-d array counts; a string does not)."""
    if isinstance(value, (str, bytes)):
        return False
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return np.isfinite(value) and value >= 0


def _exact_floats(classes):
    """Whether every class is a number that one float64 holds exactly, no two the same."""
    if classes.dtype.kind not in "biuf":
        return False
    values = classes.tolist()
    return all(float(c) == c for c in values) and len(set(map(float, values))) == len(values)


def _checked_classes(classes):
    """``np.unique(classes)`` of partial_fit's ``classes``, refusing a missing label (NaN,
    None) or an infinite one, which no y can hold, and labels that do not sort (1 and "a")."""
    refuse_masked(classes, "classes", "partial_fit")
    array = np.asarray(classes)
    if array.ndim == 2 and array.shape[1] == 1:  # a column of labels (SGDClassifier takes it)
        array = array.ravel()
    if array.ndim != 1:  # (a set or a scalar became one object, then "a label of dtype object")
        raise ValueError(
            f"classes must be a 1-D array-like of the labels (a list, an array); got "
            f"{type(classes).__name__} {classes!r:.80}."
        )
    classes = array
    # (an infinite class was taken, and the state protocol then refused the model's own state)
    if classes.dtype.kind == "f" and not np.isfinite(classes).all():
        raise ValueError(f"classes hold NaN or infinity, which no target can be: {classes!r}.")
    if classes.dtype.kind == "O" and any(map(is_missing, classes.tolist())):
        raise ValueError(f"classes hold a missing label (None, NaN or NA): {classes!r}.")
    try:
        return np.unique(classes)
    except TypeError:
        raise ValueError(
            f"classes mix labels that do not sort together (numbers and strings, say): {classes!r}."
        ) from None


def refuse_untrainable_classes(classes):
    """Refuse the checked ``classes`` of a first training call that no model can be trained
    on: fewer than two, float labels that are not integral or beyond int64
    (``refuse_continuous_labels``: a ``y`` holding them is refused), or labels the state and
    files cannot hold (``plain_labels``: complex, objects other than str, dates, a str ending
    in NUL). Such classes are refused before training on them (stream checkpoints, Dask, the
    CV's chosen model), as the CV estimators do: get_ftrl_state could not give them."""
    plain_labels(classes)
    refuse_continuous_labels(classes)
    if len(classes) < 2:
        raise ValueError(
            f"The number of classes has to be greater than one; got {len(classes)} class."
        )


def _distinct_labels(y):
    """``np.unique(y)``; for numeric ``y`` holding at most two values, without sorting a copy.

    (Where ``y`` holds both 0.0 and -0.0, which of the two stands for them may differ from
    ``np.unique``'s choice; they are the same label.)
    """
    if y.dtype.kind in "biuf" and y.size:
        lo, hi = y.min(), y.max()
        if lo == hi:
            return np.array([lo])
        if np.count_nonzero(y == lo) + np.count_nonzero(y == hi) == y.size:
            return np.array([lo, hi])
    try:
        return np.unique(y)
    except TypeError:  # an object y of numbers and strings, or with None
        raise ValueError(
            "y mixes labels that do not sort together (numbers and strings, say) or holds None; "
            "give every label one type."
        ) from None


# scikit-learn's words (type_of_target's)
MANY_LABELS = (
    "The number of unique classes is greater than 50% of the number of samples. "
    "`y` could represent a regression problem, not a classification problem."
)


def may_warn_of_many_labels(n_labels, n_rows):
    """Whether ``n_labels`` distinct labels in ``n_rows`` rows are more than half of them, of
    which :func:`check_label_type` warns (as scikit-learn does)."""
    return n_rows > 20 and n_labels > round(0.5 * n_rows)


def check_label_type(y, labels):
    """``check_classification_targets(y)``, numeric ``y`` read through its distinct ``labels``
    (which spares a sort of the whole column). scikit-learn's warning of more labels than half
    the rows counts ``y``'s rows: on the labels alone it came for any 21 classes or more."""
    if y.dtype.kind not in "biuf":
        check_classification_targets(y)
        return
    if type_of_target(labels, input_name="y") not in ("binary", "multiclass"):
        check_classification_targets(labels)  # (scikit-learn's error, the label type named)
    if labels.size > 2 and may_warn_of_many_labels(labels.size, y.size):
        warnings.warn(MANY_LABELS, UserWarning, stacklevel=3)


class SparseFTRLRegressor(CheckedScore, RegressorMixin, _BaseFTRL):
    __doc__ = f"""Linear regression trained by FTRL-Proximal, with L1 sparsity.

    A drop-in for :class:`~sklearn.linear_model.SGDRegressor`: the same
    regularisation parameters (``penalty``, ``alpha``, ``l1_ratio``) with the same
    meaning, ``fit`` / ``partial_fit`` / ``predict``, and a per-coordinate learning
    rate (``eta0``, ``beta``) that suits very wide, sparse, hashed data. The
    training loop is compiled and reads the CSR matrix as it is. A prediction
    call of 5,000 rows or more is scored by one thread per CPU (at most 8) over
    contiguous row blocks, with the same result as one thread.

    Parameters
    ----------
    loss : {{'squared_error', 'huber', 'epsilon_insensitive', \
'squared_epsilon_insensitive'}}, default='squared_error'
        The loss minimised, as in ``SGDRegressor``.
{_SHARED_PARAMETERS_DOC}
{_N_THREADS_DOC}
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,), or CSR matrix of shape (1, n_features)
        Weights, computed from the FTRL state when read, under the parameters then (a
        ``set_params(alpha=...)`` after fitting changes them, and the predictions): a CSR
        matrix after ``sparsify()``, and after a ``fit`` with the sparse state store (until
        ``densify()``); a dense array otherwise.

    sparse_coef_ : CSR matrix of shape (1, n_features)
        The same weights, always as a CSR matrix (as ``ElasticNet.sparse_coef_``),
        built without a dense row of the whole width when the state store is sparse.

    intercept_ : ndarray of shape (1,)
        The intercept.

{_SHARED_ATTRIBUTES_DOC}

    See Also
    --------
    SparseFTRLClassifier : The same algorithm for classification.
    sklearn.linear_model.SGDRegressor : Plain SGD with the same parameters.

    Notes
    -----{_SHARED_NOTES_DOC}

    References
    ----------{_SHARED_REFERENCES_DOC}

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse import random as sparse_random
    >>> from sparsereg import SparseFTRLRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = sparse_random(500, 1000, density=0.01, format="csr", random_state=rng)
    >>> w = np.zeros(1000)
    >>> w[:10] = 5.0
    >>> y = X @ w
    >>> reg = SparseFTRLRegressor(alpha=1e-3, eta0=0.5, random_state=0).fit(X, y)
    >>> int(reg.count_nonzero()[0]) < 1000
    True
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **_BaseFTRL._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
        "n_threads": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        loss="squared_error",
        *,
        penalty="l1",
        alpha=1e-4,
        l1_ratio=0.15,
        penalty_scale="mean",
        eta0=0.1,
        beta=1.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        random_state=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        warm_start=False,
        state_store="auto",
        inclusion=None,
        inclusion_p=0.03,
        inclusion_count=2,
        bloom_size=2**20,
        n_threads=1,
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_scale = penalty_scale
        self.eta0 = eta0
        self.beta = beta
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.state_store = state_store
        self.inclusion = inclusion
        self.inclusion_p = inclusion_p
        self.inclusion_count = inclusion_count
        self.bloom_size = bloom_size
        self.n_threads = n_threads

    def _training_problem(
        self, y, sample_weight, *, classes, first_call, for_partial_fit, params=None
    ):
        return TrainingProblem(
            targets=np.ascontiguousarray(y, dtype=np.float64),
            positives=None,
            weights=(kernel_weights(sample_weight),),
            sample_weight=sample_weight,
        )

    def _score_from(self, scores, y, sample_weight, classes):
        return r2_score(y, scores[:, 0], sample_weight=sample_weight)

    def fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> "SparseFTRLRegressor":
        """Fit the model by FTRL-Proximal, up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. A CSR matrix of float32/float64 with int32/int64 indices is
            read in place, without a copy.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each multiplies its sample's gradient.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._fit_call(X, y, sample_weight)

    def partial_fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> "SparseFTRLRegressor":
        """Run one FTRL-Proximal pass over a batch, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each multiplies its sample's gradient.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._partial_fit_call(X, y, sample_weight)

    def _fast_labels(self, params):
        return None, None  # targets are numbers: nothing to look up

    def _fast_targets(self, y, n_rows, classes, memo):
        """``(float64 targets, largest |y|)`` for a plain ``y`` (see ``_fast_partial_fit``)."""
        plain = plain_vector(y, n_rows)
        return None if plain is None else (plain[0], plain[2])

    def predict(self, X: MatrixLike) -> np.ndarray:
        """Predict with the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted values.
        """
        return self._scores(X)[:, 0]


class SparseFTRLClassifier(CheckedScore, ClassifierMixin, _BaseFTRL):
    __doc__ = f"""Linear classifier trained by FTRL-Proximal, with L1 sparsity.

    A drop-in for :class:`~sklearn.linear_model.SGDClassifier`: logistic regression
    by default (``loss='log_loss'``, with ``predict_proba``), the same
    regularisation parameters with the same meaning, binary and one-vs-rest
    multiclass, ``fit`` / ``partial_fit``. The training loop is compiled, reads the
    CSR matrix as it is, and releases the GIL, so one-vs-rest classes train in
    parallel threads with ``n_jobs``.

    Parameters
    ----------
    loss : {{'log_loss', 'hinge', 'modified_huber', 'squared_hinge', \
'perceptron'}}, default='log_loss'
        The loss minimised, as in ``SGDClassifier``. 'log_loss' and
        'modified_huber' give probability estimates.
{_SHARED_PARAMETERS_DOC}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, ``{{label: weight}}``, multiplying the gradient of
        their samples; 'balanced' uses ``n_samples / (n_classes * bincount(y))``
        (not available in ``partial_fit``). In one-vs-rest, the weight of a class
        applies to its positive samples, as in ``SGDClassifier``.

    n_jobs : int or None, default=None
        Threads training the one-vs-rest problems of a multiclass model at once,
        and scoring the row blocks of a prediction call of at least 5,000 rows
        (None: one per CPU for prediction; -1: every CPU; at most 8). The result
        does not depend on it. For threads training a binary model, see
        ``n_threads``. Values must be non-zero integers or None.

    multi_class : {{'ovr', 'multinomial'}}, default='ovr'
        'ovr': one binary model per class, trained independently. 'multinomial'
        (``loss='log_loss'`` only): one softmax model, per-coordinate FTRL on the
        multinomial log loss, a ``(z, n)`` per class per column (a column's classes
        stored side by side), gradient ``p_k - [y = k]`` for class ``k``;
        ``predict_proba`` is the softmax of ``decision_function``. With two classes
        'multinomial' trains the single binary logistic model, exactly as 'ovr'
        (softmax over two classes is the sigmoid of a difference of scores, as in
        ``LogisticRegression``). Not available with ``inclusion``; ``n_jobs`` does
        not parallelise its training. ``class_weight`` multiplies the gradient of a
        sample of class ``k`` by the weight of class ``k``.
{_N_THREADS_DOC}
    Attributes
    ----------
    coef_ : ndarray or CSR matrix of shape (1, n_features) or (n_classes, n_features)
        Weights, computed from the FTRL state when read, under the parameters then (a
        ``set_params(alpha=...)`` after fitting changes them, and the predictions): a CSR
        matrix after ``sparsify()``, and after a ``fit`` with the sparse state store (until
        ``densify()``); a dense array otherwise.

    sparse_coef_ : CSR matrix of shape (1, n_features) or (n_classes, n_features)
        The same weights, always as a CSR matrix (as ``ElasticNet.sparse_coef_``),
        built without a dense row of the whole width when the state store is sparse.

    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

{_SHARED_ATTRIBUTES_DOC}

    See Also
    --------
    SparseFTRLRegressor : The same algorithm for regression.
    sklearn.linear_model.SGDClassifier : Plain SGD with the same parameters.

    Notes
    -----{_SHARED_NOTES_DOC}

    References
    ----------{_SHARED_REFERENCES_DOC}

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.binomial(1, 0.1, size=(400, 50)).astype(float)
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> clf = SparseFTRLClassifier(alpha=1e-3, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    """

    _parameter_constraints: dict = {
        **_BaseFTRL._parameter_constraints,
        "loss": [StrOptions(set(CLASSIFICATION_LOSSES))],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        # joblib's convention (-1: every CPU); 0 means nothing, and joblib refused it only once
        # an epoch had begun (a partial_fit then had drawn its shuffling)
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "multi_class": [StrOptions({"ovr", "multinomial"})],
        "n_threads": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        loss="log_loss",
        *,
        penalty="l1",
        alpha=1e-4,
        l1_ratio=0.15,
        penalty_scale="mean",
        eta0=0.1,
        beta=1.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        random_state=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        warm_start=False,
        state_store="auto",
        inclusion=None,
        inclusion_p=0.03,
        inclusion_count=2,
        bloom_size=2**20,
        class_weight=None,
        n_jobs=None,
        multi_class="ovr",
        n_threads=1,
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_scale = penalty_scale
        self.eta0 = eta0
        self.beta = beta
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.state_store = state_store
        self.inclusion = inclusion
        self.inclusion_p = inclusion_p
        self.inclusion_count = inclusion_count
        self.bloom_size = bloom_size
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.multi_class = multi_class
        self.n_threads = n_threads

    def _more_validate_params(self, for_partial_fit=False, params=None):
        super()._more_validate_params(for_partial_fit, params)
        p = self if params is None else params
        if p.multi_class == "multinomial" and p.loss != "log_loss":
            raise ValueError(
                f"multi_class='multinomial' trains the softmax (multinomial log) loss and needs "
                f"loss='log_loss'; got loss={p.loss!r}. Use multi_class='ovr' for other losses."
            )
        if p.multi_class == "multinomial" and p.inclusion is not None:
            raise ValueError(
                f"multi_class='multinomial' does not support inclusion={p.inclusion!r}: "
                "every column seen enters its state. Use inclusion=None, or multi_class='ovr'."
            )
        if isinstance(p.class_weight, dict):
            bad = {c: w for c, w in p.class_weight.items() if not _is_weight(w)}
            if bad:
                raise ValueError(
                    f"class_weight values must be finite non-negative numbers; got {bad!r}."
                )
        if for_partial_fit and p.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: it needs the "
                "class frequencies of the whole training set. Compute them with "
                "sklearn.utils.compute_class_weight('balanced', classes=classes, y=y) on a "
                "large enough sample and pass the result as a dict."
            )

    @property
    def _threads(self):
        return self.n_jobs

    def _softmax_classes(self, n_classes, params=None):
        return (self if params is None else params).multi_class == "multinomial" and n_classes > 2

    def _training_problem(
        self, y, sample_weight, *, classes, first_call, for_partial_fit, params=None
    ):
        """The ``TrainingProblem`` of labels ``y`` under ``params`` (a training call's
        ``_CallParams``; None: ``self``'s)."""
        p = self if params is None else params
        labels = _distinct_labels(y)
        check_label_type(y, labels)  # (y is 1-D and finite here)
        if for_partial_fit:
            if first_call and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            if classes is not None:
                classes = _checked_classes(classes)
                if not first_call and not np.array_equal(classes, self.classes_):
                    raise ValueError(
                        f"`classes={classes!r}` is not the same as on the first call to "
                        f"partial_fit, which was {self.classes_!r}."
                    )
        else:
            classes = labels
            if not first_call and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"warm_start fit got the classes {classes!r}, but the model was trained "
                    f"on {self.classes_!r}."
                )
        if first_call:
            refuse_untrainable_classes(classes)
        else:
            classes = self.classes_
        # labels meet classes as Python objects: exact whatever the two dtypes (NumPy would
        # compare an int64 label with uint64 classes as float64, merging labels above 2**53)
        index_of = {c: k for k, c in enumerate(classes.tolist())}
        unknown = [label for label in labels.tolist() if label not in index_of]
        if unknown:
            raise ValueError(f"y contains labels not in classes {classes!r}: {unknown!r}")

        # One label column serves every one-vs-rest model; the kernel maps it to +1 (the
        # model's class) and -1. Numeric labels are read as float64 when every class is
        # exactly one float64 (every label is a class, so the cast is exact), the others
        # as class indices.
        if y.dtype.kind in "biuf" and _exact_floats(classes):
            y_kernel = np.ascontiguousarray(y, dtype=np.float64)
            label_of = [float(c) for c in classes.tolist()]
        else:
            # labels has y's dtype and holds every value of y, so searchsorted is exact
            label_index = np.array([index_of[label] for label in labels.tolist()], dtype=np.float64)
            y_kernel = label_index[np.searchsorted(labels, y)]
            label_of = [float(k) for k in range(len(classes))]
        if self._softmax_classes(len(classes), p):
            return self._softmax_problem(y, y_kernel, label_of, sample_weight, classes, p)
        models = [1] if len(classes) == 2 else range(len(classes))
        if p.class_weight is None or len(y) == 0:
            weights = [kernel_weights(sample_weight)] * len(models)
        else:
            class_weight = compute_class_weight(p.class_weight, classes=classes, y=y)
            base = np.ones(len(y)) if sample_weight is None else sample_weight
            if len(classes) == 2:
                weights = [
                    base * np.where(y_kernel == label_of[1], class_weight[1], class_weight[0])
                ]
            else:
                weights = [
                    base * np.where(y_kernel == label_of[k], class_weight[k], 1.0) for k in models
                ]
        return TrainingProblem(
            targets=y_kernel,
            positives=tuple(label_of[k] for k in models),
            weights=tuple(weights),
            sample_weight=sample_weight,
            classes=classes,
        )

    def _softmax_problem(self, y, y_kernel, label_of, sample_weight, classes, params):
        """The multinomial problem: each row's class index, one weight per row."""
        label_values = np.array(label_of)  # sorted: the classes, or their indices
        index = np.searchsorted(label_values, y_kernel).astype(np.int64)
        if params.class_weight is None or len(y) == 0:
            weights = kernel_weights(sample_weight)
        else:
            class_weight = compute_class_weight(params.class_weight, classes=classes, y=y)
            base = np.ones(len(y)) if sample_weight is None else sample_weight
            weights = base * class_weight[index]
        return TrainingProblem(
            targets=index,
            positives=None,
            weights=(weights,),
            sample_weight=sample_weight,
            classes=classes,
            softmax=True,
        )

    def _score_from(self, scores, y, sample_weight, classes):
        return accuracy_score(y, self._predict_from(scores, classes), sample_weight=sample_weight)

    def _predict_from(self, scores, classes):
        if scores.shape[1] == 1:
            return classes[(scores[:, 0] > 0).astype(int)]
        return classes[scores.argmax(axis=1)]

    def fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> "SparseFTRLClassifier":
        """Fit the model by FTRL-Proximal, up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. A CSR matrix of float32/float64 with int32/int64 indices is
            read in place, without a copy.
        y : array-like of shape (n_samples,)
            Class labels: integers, bools, whole floats or str (the kinds the state
            protocol and the model files hold; dates or a str ending in NUL are refused).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each multiplies its sample's gradient.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._fit_call(X, y, sample_weight)

    def partial_fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> "SparseFTRLClassifier":
        """Run one FTRL-Proximal pass over a batch, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.
        y : array-like of shape (n_samples,)
            Class labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class of the stream. Required on the first call; may be omitted
            afterwards, and must not change. Labels of the kinds ``y`` takes (an object
            array of numbers, complex numbers or dates are refused, and so are floats that
            are not integral or lie beyond int64, named).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each multiplies its sample's gradient.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._partial_fit_call(X, y, sample_weight, classes)

    def _fast_labels(self, params):
        """``(labels, positives)`` for ``_fast_partial_fit`` under the ``_CallParams`` ``params``:
        the classes a plain ``y`` may hold as float64 (None: none, the full checks run on every
        call), each model's positive label.

        A class qualifies when the full path would read it as float64 too (every class is
        exactly one float64, ``_exact_floats``) and a float ``y`` holding it is a
        classification target (an integer below 2**53: ``type_of_target`` calls other floats
        'continuous'). With ``class_weight``, or more than 20 classes (where the full path's
        ``type_of_target`` may warn of too many distinct labels), the full path runs on every
        call; so it does for a batch whose labels could be more than half of its rows
        (``check_label_type``'s warning, ``_fast_targets``).
        """
        classes = self.classes_
        if (
            params.class_weight is not None
            or len(classes) > 20
            or not _exact_floats(classes)
            or self._softmax_classes(len(classes), params)
        ):  # the kernel takes class indices
            return None, None
        label_of = [float(c) for c in classes.tolist()]
        labels = np.array([c for c in label_of if c.is_integer() and abs(c) < 2.0**53])
        models = [1] if len(classes) == 2 else range(len(classes))
        return labels, tuple(label_of[k] for k in models)

    def _fast_targets(self, y, n_rows, classes, memo):
        """``(float64 labels, 1.0)`` for a plain ``y`` whose labels are all in ``memo.labels``
        and ``classes`` None or the classes of the first call in their order."""
        if memo.labels is None or memo.labels.size == 0:
            return None
        if may_warn_of_many_labels(memo.labels.size, n_rows):  # (the full path's warning)
            return None
        if classes is not None:
            known = self.classes_
            classes = np.asarray(classes)
            if (
                classes.shape != known.shape
                or classes.dtype != known.dtype
                or not (classes == known).all()
            ):
                return None
        plain = plain_vector(y, n_rows, memo.labels)
        return None if plain is None else (plain[0], 1.0)

    def decision_function(self, X: MatrixLike) -> np.ndarray:
        """Signed distance to the separating hyperplane of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Margins; one column per class for multiclass, one value per row for
            binary (positive means ``classes_[1]``).
        """
        scores = self._scores(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X: MatrixLike) -> np.ndarray:
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        scores, model = self._scores_of(X)
        return self._predict_from(scores, model.classes)  # of the model that scored

    @available_when(gives_probabilities)
    def predict_proba(self, X: MatrixLike) -> np.ndarray:
        """Probability estimates, for ``loss='log_loss'`` and ``'modified_huber'``.

        For 'log_loss', the sigmoid of the margin (multiclass: the one-vs-rest
        sigmoids normalised to sum to one, as in ``SGDClassifier``; with
        ``multi_class='multinomial'``, the softmax of the margins); for
        'modified_huber', ``(clip(margin, -1, 1) + 1) / 2``, normalised likewise.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        # (a model of X's columns only scores the rows it was made of)
        X = csr_read_once(X, self.__dict__.get("n_features_in_"))
        # the link is the scoring model's kind (softmax or one-vs-rest) under one read of the
        # loss: the state and parameters may change meanwhile (set_params, another thread)
        loss = self.loss
        model = self._current_model(X)
        if model is not None:  # (the softmax of one-vs-rest margins, or the reverse, is wrong)
            self._check_probability_kind(model.softmax, len(model.intercept), loss)
        if loss == "log_loss" and model is not None and len(model.classes) == 2:
            proba = self._plain_scores(X, logistic_pair=True, model=model)  # one compiled pass
            if proba is not None:
                return proba
        scores, scored_by = self._scores_of(X, model=model)  # (decision_function's)
        if scored_by is not model:  # (fitted meanwhile, or taken again after a change)
            self._check_probability_kind(scored_by.softmax, len(scored_by.intercept), loss)
        scores = scores[:, 0] if scores.shape[1] == 1 else scores
        if scored_by.softmax:  # as the exported model computes it
            return softmax_probabilities(scores)
        return one_vs_rest_probabilities(scores, loss)

    @available_when(gives_probabilities)
    def predict_log_proba(self, X: MatrixLike) -> np.ndarray:
        """Logarithm of ``predict_proba``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
