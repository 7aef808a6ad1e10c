"""What a stream run records: per-pass losses and the progressive loss as it went."""

from dataclasses import dataclass, field

import numpy as np

from ._source import _INSTALL

# the most rows a checkpoint's counts may hold: training adds to them, and they are saved again
# as int64 (an FTRL state's samples seen stop short of 2**62 too)
MAX_ROWS = 2**62


@dataclass
class StreamHistory:
    """The record of a :func:`~sparsereg.stream.fit_stream` run.

    Attributes
    ----------
    loss : str
        The progressive and holdout loss: ``'log_loss'`` (classifiers with
        ``predict_proba``), ``'error_rate'`` (other classifiers) or ``'squared_error'``.
    pass_rows, pass_holdout_rows : list of int
        Rows trained on, and held-out rows scored, in each completed pass.
    pass_progressive_loss : list of float
        Mean loss of each pass's training rows, each scored by the model as it was
        before the row's batch (progressive validation; NaN for a pass without rows). With
        row weights (``weight_column``, ``(X, y, w)`` batches) the mean is weighted, as
        scikit-learn's metrics take ``sample_weight`` (NaN for a pass of weight 0).
    pass_holdout_loss : list of float
        Mean loss of each pass's held-out rows (NaN without ``holdout``); weighted as
        ``pass_progressive_loss``.
    pass_nonzero : list of int
        Non-zero weights after each pass.
    pass_seconds : list of float
        Seconds since the run started (resumed runs included) at the end of each pass.
    curve_rows, curve_loss : list
        Rows trained so far (all passes) and the running mean progressive loss of the
        current pass, after a batch once the rows have grown by 1 % since the last record
        (every batch of the first ~100), and at the end of each pass: the lists grow as
        the logarithm of the rows (~1,200 records for 10^9 rows in batches of 100).
    rows : int
        Rows trained on, over all passes.
    bad_rows : int
        Malformed rows skipped and rows the transformers refused (``skip_bad_rows=True``),
        over all passes as `rows`: a bad row counts once in each pass that reads it (a file
        of 601 bad rows read in 3 passes gives 1,803).
    stopped_early : bool
        Whether the run stopped before its last pass because the holdout loss stopped
        improving.
    resumed_rows : int
        Rows trained on before this call, when it resumed a checkpoint (0 otherwise).
    column_kinds : dict of str to str
        CSV and Parquet files: how each column read as pandas reads it was read, 'number',
        'bool' or 'text' (``Source.column_kinds``); empty for other sources, and without
        the columns read as text by ``reader_options={"categorical": ...}``. Export the model
        with them, ``export_model(model, hashed_columns=history.column_kinds)``, so that
        ``sparsereg predict`` reads a file's columns as the model was trained on them (a
        run with ``categorical=None``, every column as text, with ``hashed_columns="text"``).
    svmlight_zero_based : bool or None
        SVMlight files: whether their indices were read from 0 (``open_source``'s
        ``zero_based``, "auto" decided on the first batch that holds an index); None for other
        sources. Export the model with it, ``export_model(model,
        svmlight_zero_based=bool(history.svmlight_zero_based))``, so that ``sparsereg predict``
        reads such files so.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLClassifier
    >>> from sparsereg.stream import fit_stream
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 5))
    >>> batches = [(X[i:i + 100], (X[i:i + 100, 0] > 0).astype(int)) for i in (0, 100, 200)]
    >>> _, history = fit_stream(SparseFTRLClassifier(random_state=0), batches,
    ...                         classes=[0, 1], passes=2)
    >>> history.loss, history.n_passes, history.pass_rows
    ('log_loss', 2, [300, 300])
    >>> bool(history.pass_progressive_loss[1] < history.pass_progressive_loss[0])
    True
    """

    loss: str
    pass_rows: list = field(default_factory=list)
    pass_holdout_rows: list = field(default_factory=list)
    pass_progressive_loss: list = field(default_factory=list)
    pass_holdout_loss: list = field(default_factory=list)
    pass_nonzero: list = field(default_factory=list)
    pass_seconds: list = field(default_factory=list)
    curve_rows: list = field(default_factory=list)
    curve_loss: list = field(default_factory=list)
    rows: int = 0
    bad_rows: int = 0
    stopped_early: bool = False
    resumed_rows: int = 0
    column_kinds: dict = field(default_factory=dict)
    svmlight_zero_based: bool | None = None

    _LISTS = {
        "pass_rows": np.int64,
        "pass_holdout_rows": np.int64,
        "pass_progressive_loss": np.float64,
        "pass_holdout_loss": np.float64,
        "pass_nonzero": np.int64,
        "pass_seconds": np.float64,
        "curve_rows": np.int64,
        "curve_loss": np.float64,
    }

    @property
    def n_passes(self):
        """Completed passes."""
        return len(self.pass_rows)

    @property
    def progressive_loss(self):
        """Progressive loss of the last completed pass (NaN before one)."""
        return self.pass_progressive_loss[-1] if self.pass_progressive_loss else float("nan")

    @property
    def holdout_loss(self):
        """Holdout loss of the last completed pass (NaN without holdout)."""
        return self.pass_holdout_loss[-1] if self.pass_holdout_loss else float("nan")

    def to_arrays(self):
        """Plain arrays (for a checkpoint)."""
        arrays = {
            f"history.{k}": np.asarray(getattr(self, k), dtype=t) for k, t in self._LISTS.items()
        }
        arrays["history.counts"] = np.array(
            [self.rows, self.bad_rows, int(self.stopped_early)], dtype=np.int64
        )
        return arrays

    @classmethod
    def from_arrays(cls, loss, arrays):
        """The history :meth:`to_arrays` wrote (from a checkpoint), for the loss ``loss``."""
        history = cls(loss)
        for key, dtype in cls._LISTS.items():
            values = arrays[f"history.{key}"]
            if values.ndim != 1:
                raise ValueError(f"checkpoint: history.{key} must be 1-D.")
            if dtype is np.int64 and (values.dtype.kind not in "iu" or np.any(values < 0)):
                raise ValueError(f"checkpoint: history.{key} must hold non-negative integers.")
            if dtype is np.float64 and (
                values.dtype.kind != "f" or np.any(np.isinf(values)) or np.any(values < 0)
            ):
                raise ValueError(
                    f"checkpoint: history.{key} must hold non-negative numbers "
                    "(NaN where there is none)."
                )
            setattr(history, key, values.astype(dtype).tolist())
        n = len(history.pass_rows)
        if any(len(getattr(history, k)) != n for k in cls._LISTS if k.startswith("pass_")):
            raise ValueError("checkpoint: the per-pass history arrays differ in length.")
        if len(history.curve_rows) != len(history.curve_loss):
            raise ValueError("checkpoint: history.curve_rows and curve_loss differ in length.")
        counts = arrays["history.counts"]
        if counts.shape != (3,) or counts.dtype.kind not in "iu" or np.any(counts < 0):
            raise ValueError("checkpoint: history.counts must hold 3 non-negative integers.")
        if counts[2] > 1:
            raise ValueError("checkpoint: history.counts' flag of an early stop is not 0 or 1.")
        if np.any(counts[:2] > MAX_ROWS):
            raise ValueError(
                "checkpoint: history.counts counts more than 2**62 rows (training adds to them, "
                "and they are saved again as int64)."
            )
        history.rows, history.bad_rows, stopped = (int(c) for c in counts)
        history.stopped_early = bool(stopped)
        return history

    def as_frame(self):
        """The per-pass records as a pandas DataFrame, one row per pass."""
        try:
            import pandas as pd
        except ImportError as exc:  # a stream of arrays trains without pandas
            raise ImportError(
                f"StreamHistory.as_frame returns a pandas DataFrame: {_INSTALL} (or pandas)"
            ) from exc

        return pd.DataFrame(
            {
                "pass": np.arange(1, self.n_passes + 1),
                "rows": self.pass_rows,
                "holdout_rows": self.pass_holdout_rows,
                "progressive_loss": self.pass_progressive_loss,
                "holdout_loss": self.pass_holdout_loss,
                "nonzero": self.pass_nonzero,
                "seconds": self.pass_seconds,
            }
        )
