"""What the FTRL regressor and classifier share: parameters, validation, the epoch loop.

Call chain, as in scikit-learn's SGD: ``fit -> _fit -> _run_epochs -> kernel`` and
``partial_fit -> _partial_fit -> _run_epochs``. Validation sits in three places:
``_parameter_constraints``, ``_more_validate_params`` and one ``validate_data`` call.
The kernel (``_ftrl_fast.ftrl_epoch``) receives validated, typed arrays only.

Training state that is not API starts with ``_``: ``_state`` (``_state.FTRLState``)
holds ``(z_j, n_j)`` of every coordinate of each model (one model for regression
and binary classification, one per class for one-vs-rest), densely or in a table of
the columns seen, and the intercepts' ``(z, n)``. ``coef_`` and ``intercept_`` are
computed from that state when read, so they never go stale after ``partial_fit``.
"""

import time
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._ftrl_fast import (count_nonzero_weights, csr_index_summary, ftrl_epoch, lazy_weights,
                         sparse_decision)
from ._losses import LOSS_CODES, UNBOUNDED_DERIVATIVE_LOSSES
from .sparsity import sparsity_report as _sparsity_report
from ._state import AUTO_SPARSE_BYTES, INCLUSION_CODES, INTERRUPTED, TABLE_FULL, FTRLState


def _as_kernel_csr(X, values=True):
    """The CSR matrix the kernel reads, sharing memory with ``X`` whenever possible.

    ``X`` has been through ``validate_data`` (CSR of float32/float64, or dense).
    A dense array is converted to CSR: zeros contribute nothing to FTRL (``g_i = 0``
    leaves ``(z_i, n_i)`` as they are), so the model is bit-identical. A CSR is
    copied only if a row repeats a column (duplicates must be summed to mean what
    scipy means by them) or its index arrays have two different integer types.
    Returns ``(X, longest_row, bound on |values|)``; ``values=False`` skips the check
    of the values (prediction, where ``validate_data`` has checked them) and gives 0.0.
    """
    if not sp.issparse(X):
        X = sp.csr_matrix(X)
    if X.indices.dtype != X.indptr.dtype:
        X = sp.csr_matrix(
            (X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)), shape=X.shape
        )
    longest_row, max_abs = _check_csr(X, values=values)
    # safe only now that indptr and indices are known to be in bounds; scipy caches the answer
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X, longest_row, max_abs


def _check_csr(X, values=True):
    """Reject non-finite values and a hand-built CSR that would make the kernel read
    or write out of bounds; return ``(longest_row, bound)`` where every ``|x| <= bound``.

    One compiled walk checks ``indptr`` and whether rows are strictly sorted (then a
    row's first and last index bound it); one BLAS pass bounds the values.
    """
    indptr, indices, data = X.indptr, X.indices, X.data
    n_rows, n_cols = X.shape
    if indptr.ndim != 1 or indptr.shape[0] != n_rows + 1:
        raise ValueError(
            f"CSR indptr has {indptr.shape[0]} entries; a matrix with {n_rows} rows needs {n_rows + 1}."
        )
    if indptr[0] != 0 or indptr[-1] != indices.shape[0] or indices.shape[0] != data.shape[0]:
        raise ValueError(
            "CSR indptr is inconsistent with indices/data: indptr[0] must be 0 and "
            f"indptr[-1] ({indptr[-1]}) must equal len(indices) ({indices.shape[0]}) "
            f"and len(data) ({data.shape[0]})."
        )
    indptr_ok, strictly_sorted, lo, hi, longest_row = csr_index_summary(indptr, indices)
    if not indptr_ok:
        raise ValueError("CSR indptr must be non-decreasing and within len(indices).")
    if indices.shape[0]:
        if not strictly_sorted:  # a row's first and last index do not bound it
            lo, hi = indices.min(), indices.max()
        if lo < 0 or hi >= n_cols:
            raise ValueError(f"CSR column indices must lie in [0, {n_cols}); found indices in [{lo}, {hi}].")
        if strictly_sorted:
            X.has_canonical_format = True  # what scipy would find: spares it a pass over indices
        if not values:
            return longest_row, 0.0
        # sum(x**2) >= max(x**2): one BLAS pass bounds every |x| and finds NaN/inf
        with np.errstate(over="ignore", invalid="ignore"):
            squares = float(np.dot(data, data))
        if np.isfinite(squares) and squares <= MAX_MAGNITUDE**2:
            return longest_row, np.sqrt(squares)
        smallest, largest = float(data.min()), float(data.max())  # NaN propagates
        if not (np.isfinite(smallest) and np.isfinite(largest)):
            raise ValueError("Input X contains NaN or infinity.")
        return longest_row, max(-smallest, largest)
    return longest_row, 0.0


_IN_ORDER = np.empty(0, dtype=np.int64)
# the kernel's sample weights when every weight is 1: no array of ones to allocate and read
_UNWEIGHTED = np.empty(0)


def _kernel_weights(sample_weight):
    return _UNWEIGHTED if sample_weight is None else sample_weight


# Largest |x|, |y|, sample weight (and their product) accepted: squared gradients of this
# size, summed over billions of samples, stay far from float64's 1.8e308.
MAX_MAGNITUDE = 1e100


class _WeightsCache:
    """Holds ``(coef, intercept)`` once computed from the state.

    Mutated in place so that reading ``coef_`` or predicting leaves the
    estimator's ``__dict__`` unchanged (scikit-learn's ``check_dict_unchanged``).
    """

    __slots__ = ("value",)

    def __init__(self):
        self.value = None


class _BaseFTRL(BaseEstimator):
    """Shared machinery of the FTRL-Proximal estimators. Not for direct use."""

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "penalty_scale": [StrOptions({"mean", "sum"})],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, None, None, closed="neither"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "state_store": [StrOptions({"auto", "dense", "sparse"})],
        "inclusion": [StrOptions({"poisson", "bloom"}), None],
        "inclusion_p": [Interval(Real, 0, 1, closed="right")],
        "inclusion_count": [Interval(Integral, 1, 255, closed="both")],
        "bloom_size": [Interval(Integral, 1, None, closed="left")],
    }

    # ----------------------------------------------------------------- parameters
    def _more_validate_params(self, for_partial_fit=False):
        if for_partial_fit and self._is_fitted():
            # _fit_context skips validation on partial_fit once fitted; a parameter changed
            # by set_params mid-stream (alpha=-1, eta0=0) must not reach the kernel
            self._validate_params()
        if self.early_stopping and for_partial_fit:
            raise ValueError("early_stopping should be False with partial_fit")
        if self.inclusion is not None and self.state_store == "dense":
            raise ValueError(
                f"inclusion={self.inclusion!r} needs the sparse state store: a column left out "
                "must hold no state. Use state_store='sparse' or 'auto'."
            )

    def _use_sparse_store(self, n_models, n_features):
        if self.state_store == "auto":
            return self.inclusion is not None or 16 * n_features * n_models > AUTO_SPARSE_BYTES
        return self.state_store == "sparse"

    def _l1_ratio_effective(self):
        return {"l1": 1.0, "l2": 0.0, "elasticnet": self.l1_ratio, None: 0.0}[self.penalty]

    def _lambdas(self):
        """``(lambda1, lambda2)`` per sample seen ('mean') or absolute ('sum')."""
        if self.penalty is None:
            return 0.0, 0.0
        r = self._l1_ratio_effective()
        return self.alpha * r, self.alpha * (1.0 - r)

    def _lambdas_at(self, t):
        l1, l2 = self._lambdas()
        if self.penalty_scale == "mean":
            return l1 * t, l2 * t
        return l1, l2

    def _hyper(self, state, check_signals=False):
        l1, l2 = self._lambdas()
        return {
            "eta0": float(self.eta0),
            "beta": float(self.beta),
            "l1": float(l1),
            "l2": float(l2),
            "epsilon": float(self.epsilon),
            "loss": LOSS_CODES[self.loss],
            "one_vs_rest": False,
            "positive": 0.0,
            "mean_scaled": self.penalty_scale == "mean",
            "fit_intercept": bool(self.fit_intercept),
            "check_signals": check_signals,
            "inclusion": INCLUSION_CODES[self.inclusion],
            "inclusion_p": float(self.inclusion_p),
            "inclusion_count": int(self.inclusion_count),
            "seed": state.seed,
        }

    # ------------------------------------------------------------- fitted state
    def _is_fitted(self):
        return hasattr(self, "_state")

    def __sklearn_is_fitted__(self):
        return self._is_fitted()

    def _new_state(self, n_models, n_features, rng):
        # drawn whether or not inclusion is on, so that it never changes the shuffling
        seed = int(rng.randint(np.iinfo(np.int32).max))
        return FTRLState(n_models, n_features, sparse=self._use_sparse_store(n_models, n_features),
                         bloom_size=self._bloom_counters() if self.inclusion == "bloom" else 0,
                         seed=seed)

    def _weights(self, state, t, dtype):
        """``(coef, intercept)`` that ``state`` stands for after ``t`` samples.

        ``coef`` is a dense ``(n_models, n_features)`` array for the dense store and a
        CSR matrix of the surviving weights for the sparse store.
        """
        l1, l2 = self._lambdas_at(t)
        if state.sparse:
            rows = [state.survivors(k, eta0=self.eta0, beta=self.beta, l1=l1, l2=l2)
                    for k in range(state.n_models)]
            indptr = np.concatenate([[0], np.cumsum([len(c) for c, _ in rows])])
            columns = np.concatenate([c for c, _ in rows])
            index_dtype = np.int32 if state.n_features <= np.iinfo(np.int32).max else np.int64
            coef = sp.csr_matrix(
                (np.concatenate([w for _, w in rows]).astype(dtype), columns.astype(index_dtype),
                 indptr.astype(index_dtype)), shape=(state.n_models, state.n_features))
        else:
            coef = np.empty((state.n_models, state.n_features), dtype=dtype)
            for k in range(state.n_models):
                lazy_weights(state.zn[k], coef[k], self.eta0, self.beta, l1, l2)
        izn = state.intercept_zn
        if self.fit_intercept:
            intercept = -izn[:, 0] / ((self.beta + np.sqrt(izn[:, 1])) * (1.0 / self.eta0))
        else:
            intercept = np.zeros(state.n_models)
        return coef, intercept.astype(dtype)

    def _cached_weights(self):
        if not self._is_fitted():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' or "
                "'partial_fit' with appropriate arguments before using this estimator."
            )
        cache = self._weights_cache
        if cache.value is None:
            cache.value = self._weights(self._state, self.t_, self._coef_dtype)
        return cache.value

    def __getstate__(self):
        state = super().__getstate__()
        state["_weights_cache"] = _WeightsCache()  # derived from _state: recomputed after loading
        return state

    @property
    def coef_(self):
        """Weights computed lazily from the FTRL state (see the class docstring)."""
        coef = self._cached_weights()[0]
        if self._sparse_coef:
            return coef if sp.issparse(coef) else sp.csr_matrix(coef)
        return self._shape_coef(coef.toarray() if sp.issparse(coef) else coef)

    @property
    def intercept_(self):
        """Intercept computed from the FTRL state (zeros when ``fit_intercept=False``)."""
        return self._cached_weights()[1]

    def count_nonzero(self):
        """Number of non-zero weights per model (one per class for one-vs-rest).

        Computed from the training state without materialising ``coef_``.

        Returns
        -------
        counts : ndarray of shape (n_models,)
            Non-zero entries of each row of ``coef_`` (``coef_`` itself for a regressor).
        """
        self._cached_weights()  # raises NotFittedError when unfitted
        return np.array(self._nonzero_counts(self._state, self.t_))

    def sparsity_report(self):
        """Non-zero weights, features touched or zeroed by L1, and bytes, from the current state.

        Returns
        -------
        report : sparsereg.sparsity.SparsityReport
            Printable; see :func:`sparsereg.sparsity.sparsity_report`.
        """
        return _sparsity_report(self)

    def _ftrl_state_info(self):
        """What the training state holds, for ``sparsereg.sparsity``.

        Returns a dict: ``state_bytes`` (bytes of every array of the state: ``(z, n)``
        slots, table keys, Bloom filters, intercepts), ``touched`` (per model,
        coordinates that received a non-zero gradient, ``n_j > 0``), ``touched_union``
        (coordinates touched in any model) and ``touched_and_zero`` (per model,
        touched coordinates whose weight is 0.0, i.e. removed by L1).
        """
        self._cached_weights()
        state = self._state
        l1, _ = self._lambdas_at(self.t_)
        touched, touched_and_zero, columns = [], [], []
        for k in range(state.n_models):
            held, zn = state.held(k)
            mask = zn[:, 1] > 0
            touched.append(int(mask.sum()))
            touched_and_zero.append(int((mask & (np.abs(zn[:, 0]) <= l1)).sum()))
            columns.append(held[mask])
        return {
            "state_bytes": state.nbytes,
            "touched": np.array(touched),
            "touched_union": int(np.unique(np.concatenate(columns)).shape[0]),
            "touched_and_zero": np.array(touched_and_zero),
        }

    def sparsify(self):
        """Return ``coef_`` as a scipy CSR matrix from now on.

        Unlike scikit-learn's SGD estimators, training (``partial_fit``, ``fit`` with
        ``warm_start=True``) goes on working after ``sparsify``: the FTRL state is
        kept separately from ``coef_``.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._cached_weights()
        self._sparse_coef = True
        return self

    def densify(self):
        """Return ``coef_`` as a dense NumPy array from now on (the default).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._cached_weights()
        self._sparse_coef = False
        return self

    # ------------------------------------------------------------------ training
    def _validate_training_data(self, X, y, sample_weight, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            accept_large_sparse=True,
            ensure_all_finite=False,  # checked by _check_csr in the same pass as the indices
            reset=reset,
            **self._y_validation_kwargs(),
        )
        if sample_weight is not None:  # None stays None: the kernel takes it as all ones
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        X, longest_row, x_bound = _as_kernel_csr(X)
        return X, y, sample_weight, longest_row, x_bound

    def _check_gradient_scale(self, X, x_bound, y, weights):
        """Refuse data whose gradients, squared and summed, could overflow (e.g. |x| = 1e300).

        A gradient is ``weight * loss'(p, y) * x``, the weight being the kernel's
        (sample weight times class weight; an empty array means 1). For the losses
        whose derivative grows with the prediction ``p = w.x`` (squared ones), it scales
        like ``x**2``; for the others it is bounded by a constant times ``x``.
        """
        distinct = {id(w): w for w in weights}.values()  # models often share one array
        w_max = max(float(w.max()) if w.size else 1.0 for w in distinct)
        y_max = float(np.abs(y).max()) if self._y_validation_kwargs() and y.size else 1.0
        grows_with_p = self.loss in UNBOUNDED_DERIVATIVE_LOSSES

        def too_large(x_max):
            scale = x_max * max(x_max, 1.0) if grows_with_p else x_max
            return scale * w_max * max(y_max, 1.0) > MAX_MAGNITUDE or max(w_max, y_max) > MAX_MAGNITUDE

        x_max = x_bound
        if too_large(x_bound) and X.nnz:  # the bound is loose: look at the real largest |x|
            x_max = max(-float(X.data.min()), float(X.data.max()))
        if too_large(x_max):
            raise ValueError(
                f"|X| up to {x_max:.3g}, sample weights (times class_weight) up to {w_max:.3g} and "
                f"|y| up to {y_max:.3g} "
                f"make gradients{' (which grow like |x|**2 for this loss)' if grows_with_p else ''} "
                "whose squares FTRL sums, which would overflow float64: rescale X, y, "
                "sample_weight or class_weight."
            )

    def _nonzero_counts(self, state, t):
        l1, _ = self._lambdas_at(t)
        return tuple(int(count_nonzero_weights(zn, l1)) for zn in state.zn)

    def _run_epochs(self, X, longest_row, problem, state, t0, *, max_iter, rng, history,
                    validation=None, check_signals=False):
        """Train ``state`` in place for up to ``max_iter`` epochs; return ``(t, n_iter)``.

        After each epoch, ``(t, non-zeros per model)`` is appended to ``history``
        when counting is cheap next to the epoch (a pass over the state's slots, at
        most 32 per non-zero of ``X``) or ``t`` has grown by 10 % since the last
        record, so that a stream of small batches pays a bounded share for it.

        ``problem["targets"][k]`` and ``problem["weights"][k]`` are the kernel's ``y`` and
        sample weights for model ``k``; ``problem["positives"][k]``, when given, the label
        of ``y`` that is model ``k``'s positive class. Stopping follows ``SGDRegressor``:
        after ``n_iter_no_change`` epochs whose average loss (or validation score) did not
        improve by ``tol``.
        """
        if X.shape[1] != state.n_features:  # a backstop: validation keeps them equal
            raise ValueError(f"X has {X.shape[1]} features but the model was trained on "
                             f"{state.n_features}.")
        n_rows = X.shape[0]
        n_models = state.n_models
        scratch = np.empty((n_models, max(longest_row, 1), 2))
        slots = np.empty((n_models, max(longest_row, 1)), dtype=np.int64)
        targets, weights = problem["targets"], problem["weights"]
        hyper = self._hyper(state, check_signals=check_signals)
        if problem.get("positives") is None:
            hypers = [hyper] * n_models
        else:
            hypers = [{**hyper, "one_vs_rest": True, "positive": positive}
                      for positive in problem["positives"]]
        n_jobs = getattr(self, "n_jobs", None)

        def one_model(k, order, t_start):
            loss, row = 0.0, 0
            while True:
                zn, table, bloom, intercept_zn = state.kernel_arrays(k)
                part, row, status = ftrl_epoch(X.data, X.indices, X.indptr, targets[k], weights[k],
                                               order, zn, table, bloom, intercept_zn, scratch[k],
                                               slots[k], hypers[k], t_start, row)
                loss += part
                if status == TABLE_FULL:
                    state.grow(k, room=longest_row)
                    continue
                if status == INTERRUPTED:
                    raise KeyboardInterrupt
                return loss

        t = t0
        best, no_improvement = np.inf, 0
        n_iter = 0
        for epoch in range(max_iter):
            start = time.perf_counter()
            # an empty order tells the kernel to visit the rows as stored
            order = rng.permutation(n_rows).astype(np.int64) if self.shuffle else _IN_ORDER
            if n_models == 1 or n_jobs in (None, 1):
                losses = [one_model(k, order, t) for k in range(n_models)]
            else:
                losses = Parallel(n_jobs=n_jobs, prefer="threads")(
                    delayed(one_model)(k, order, t) for k in range(n_models)
                )
            t += n_rows
            n_iter += 1
            loss = sum(losses) / max(n_rows, 1)
            n_slots = sum(zn.shape[0] for zn in state.zn)
            if self.verbose or n_slots <= 32 * X.nnz or not history or t >= 1.1 * history[-1][0]:
                counts = self._nonzero_counts(state, t)
                history.append((t, counts))
                if self.verbose:
                    print(f"Epoch {epoch + 1}, avg loss: {loss:.6f}, non-zero weights: "
                          f"{sum(counts)}, time: {time.perf_counter() - start:.2f}s")
            if self.tol is None or max_iter == 1:
                continue
            if validation is not None:
                criterion = -validation(state, t)
            else:
                criterion = loss
            if criterion > best - self.tol:
                no_improvement += 1
            else:
                no_improvement = 0
            best = min(best, criterion)
            if no_improvement >= self.n_iter_no_change:
                if self.verbose:
                    print(f"Convergence after {n_iter} epochs")
                break
        else:
            if self.tol is not None and max_iter > 1:
                warnings.warn(
                    "Maximum number of iteration reached before convergence. Consider "
                    "increasing max_iter to improve the fit.",
                    ConvergenceWarning,
                )
        return t, n_iter

    @contextmanager
    def _input_attributes_restored_on_error(self):
        """``validate_data(reset=True)`` sets ``n_features_in_`` before anything else can fail;
        a failed call must not leave a width that disagrees with the trained state."""
        names = ("n_features_in_", "feature_names_in_")
        saved = {name: self.__dict__[name] for name in names if name in self.__dict__}
        try:
            yield
        except BaseException:
            for name in names:
                self.__dict__.pop(name, None)
            self.__dict__.update(saved)
            raise

    def _prepare_state(self, state):
        """Fit a state built under other parameters to the current ones (set_params between calls)."""
        if self.inclusion is not None and not state.sparse:
            raise ValueError(
                f"inclusion={self.inclusion!r} needs the sparse state store, but this model's state "
                "is dense: fit it again from scratch with state_store='sparse' or 'auto'."
            )
        if self.inclusion == "bloom":
            state.ensure_bloom(self._bloom_counters())

    def _bloom_counters(self):
        return 1 << max(int(self.bloom_size) - 1, 1).bit_length()  # next power of two

    def _fit(self, X, y, sample_weight, classes=None):
        """Fit from scratch (or from the current state when ``warm_start``)."""
        with self._input_attributes_restored_on_error():
            return self._fit_validated(X, y, sample_weight, classes)

    def _fit_validated(self, X, y, sample_weight, classes):
        warm = self.warm_start and self._is_fitted()
        X, y, sample_weight, longest_row, x_bound = self._validate_training_data(
            X, y, sample_weight, reset=not warm)
        rng = check_random_state(self.random_state)
        problem = self._training_problem(y, sample_weight, classes=classes, first_call=not warm,
                                         for_partial_fit=False)
        self._check_gradient_scale(X, x_bound, y, problem["weights"])
        validation = None
        if self.early_stopping:
            X, longest_row, problem, validation = self._split_validation(X, y, rng, problem)
        # work on a private state: Ctrl-C leaves the estimator as it was
        if warm:
            state, t0, history = self._state.copy(), self.t_, list(self.nnz_history_)
        else:
            state, t0, history = self._new_state(len(problem["targets"]), X.shape[1], rng), 0, []
        self._prepare_state(state)
        t, n_iter = self._run_epochs(X, longest_row, problem, state, t0,
                                     max_iter=self.max_iter, rng=rng, history=history,
                                     validation=validation, check_signals=True)
        self._commit(problem, state, t, X.dtype, fresh=not warm)
        self.nnz_history_ = history
        self.n_iter_ = n_iter
        self._random_state = rng
        return self

    def _partial_fit(self, X, y, sample_weight, classes=None):
        with self._input_attributes_restored_on_error():
            return self._partial_fit_validated(X, y, sample_weight, classes)

    def _partial_fit_validated(self, X, y, sample_weight, classes):
        first_call = not self._is_fitted()
        X, y, sample_weight, longest_row, x_bound = self._validate_training_data(
            X, y, sample_weight, reset=first_call)
        problem = self._training_problem(y, sample_weight, classes=classes, first_call=first_call,
                                         for_partial_fit=True)
        self._check_gradient_scale(X, x_bound, y, problem["weights"])
        if first_call:
            rng = check_random_state(self.random_state)
            state, t0 = self._new_state(len(problem["targets"]), X.shape[1], rng), 0
            self._random_state = rng
            self.nnz_history_ = []
        else:
            state, t0 = self._state, self.t_
        self._prepare_state(state)
        t, n_iter = self._run_epochs(X, longest_row, problem, state, t0, max_iter=1,
                                     rng=self._random_state, history=self.nnz_history_)
        self._commit(problem, state, t, X.dtype, fresh=first_call)
        self.n_iter_ = n_iter
        return self

    def _commit(self, problem, state, t, dtype, fresh):
        """Attach a trained state to the estimator, all at once.

        A ``fresh`` state (not continued from the previous one) also resets the form of
        ``coef_`` to its store's (CSR for the sparse store), as a new ``fit`` of
        ``SGDRegressor`` drops an earlier ``sparsify()``.
        """
        for name, value in problem.get("fitted", {}).items():
            setattr(self, name, value)
        self._state, self.t_ = state, int(t)
        self._coef_dtype = np.dtype(dtype)
        self._weights_cache = _WeightsCache()
        if fresh or not hasattr(self, "_sparse_coef"):
            self._sparse_coef = state.sparse

    def _split_validation(self, X, y, rng, problem):
        """Hold out ``validation_fraction`` of the rows; returns the training part of
        ``X`` and of ``problem``, and the score of a state on the held-out rows."""
        from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

        splitter_cls = StratifiedShuffleSplit if problem.get("stratify") else ShuffleSplit
        splitter = splitter_cls(test_size=self.validation_fraction, random_state=rng)
        train, val = next(splitter.split(np.zeros(X.shape[0]), y))
        if len(val) == 0 or len(train) == 0:
            raise ValueError(
                f"Splitting {X.shape[0]} samples into a train and validation set with "
                f"validation_fraction={self.validation_fraction} leaves one of them empty. "
                "Increase the number of samples or change validation_fraction."
            )
        sample_weight = problem["sample_weight"]
        X_val, y_val = X[val], y[val]
        sw_val = None if sample_weight is None else sample_weight[val]

        def validation_score(state, t):
            coef, intercept = self._weights(state, t, np.float64)
            return self._score_weights(coef, intercept, X_val, y_val, sw_val, problem)

        train = train if self.shuffle else np.sort(train)
        X_train, longest_row, _ = _as_kernel_csr(X[train])
        rows = {}  # models may share one array (labels, weights): take its rows once

        def train_rows(a):
            if a.size and id(a) not in rows:
                rows[id(a)] = a[train]
            return rows.get(id(a), a)

        train_problem = {**problem, "targets": [train_rows(a) for a in problem["targets"]],
                         "weights": [train_rows(a) for a in problem["weights"]]}
        return X_train, longest_row, train_problem, validation_score

    # ---------------------------------------------------------------- prediction
    def _validate_X_predict(self, X):
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          accept_large_sparse=True, reset=False)
        return _as_kernel_csr(X, values=False)[0] if sp.issparse(X) else X

    def _decision(self, X, coef, intercept):
        """Scores of shape (n_samples, n_models) for weights ``coef`` (dense or CSR)."""
        if not sp.issparse(coef):
            scores = X @ coef.T
            return np.asarray(scores.toarray() if sp.issparse(scores) else scores) + intercept
        if not sp.issparse(X):
            X = sp.csr_matrix(X)
        scores = np.zeros((X.shape[0], coef.shape[0]))
        for k in range(coef.shape[0]):
            lo, hi = coef.indptr[k], coef.indptr[k + 1]
            out = np.zeros(X.shape[0])
            sparse_decision(X.data, X.indices, X.indptr, coef.indices[lo:hi].astype(np.int64),
                            coef.data[lo:hi].astype(np.float64), out)
            scores[:, k] = out
        return scores + intercept

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
