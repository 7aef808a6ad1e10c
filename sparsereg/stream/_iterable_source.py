"""An iterable of ``(X, y)`` batches or of DataFrames read as a
:class:`~sparsereg.stream.Source`."""

import numpy as np

from .._missing import missing_mask
from ._source import Chunk, Position, Source


class _IterableSource(Source):
    """An iterable of ``(X, y)`` tuples or of DataFrames holding the target column."""

    def __init__(self, batches, *, target, target_dtype):
        super().__init__()
        self.files = ["<batches>"]
        self._batches = batches
        self.resumable = iter(batches) is not batches
        self._used = False
        self.target = target
        self.target_dtype = target_dtype

    def _split(self, k, batch):
        if isinstance(batch, tuple):
            if len(batch) != 2:
                raise ValueError(f"batch {k} is a tuple of {len(batch)} items; expected (X, y).")
            X, y = batch
            if not getattr(X, "shape", ()):  # (a chunk's rows are X.shape[0])
                raise TypeError(
                    f"batch {k}: X is a {type(X).__name__}; expected a 2-D NumPy array, a "
                    "SciPy sparse matrix or a pandas DataFrame."
                )
            return X, None if y is None else np.asarray(y)
        if hasattr(batch, "columns") and hasattr(batch, "drop"):  # a DataFrame
            if self.target is None:
                return batch, None
            if self.target not in batch.columns:
                raise ValueError(
                    f"target column {self.target!r} not found in batch {k}; its "
                    f"columns are {list(batch.columns)[:50]}."
                )
            column = batch[self.target]
            if self.target_dtype == "str":
                # astype(str) spells a missing label as text in pandas < 3 (and without its str
                # dtype): "nan", "None", "<NA>"; found before, and made None for _chunks to name
                absent = np.asarray(column.isna(), dtype=bool)
                y = np.asarray(column.astype(str).to_numpy(), dtype=object)
                if absent.any():
                    y = np.where(absent.reshape(y.shape), None, y)
            else:
                try:
                    y = column.to_numpy(dtype=np.float64)
                except (TypeError, ValueError) as exc:
                    raise ValueError(
                        f"batch {k}: target column {self.target!r} is not numeric ({exc})."
                    ) from None
                absent = np.asarray(column.isna(), dtype=bool)
                if absent.any():  # (a NaT is -9.2e18 as a float, not NaN)
                    y = np.where(absent.reshape(y.shape), np.nan, y)
            return batch.drop(columns=[self.target]), y
        raise TypeError(
            f"batch {k} is a {type(batch).__name__}; expected a pandas DataFrame or "
            "an (X, y) tuple."
        )

    def _chunks(self, start):
        if start.file == 1:
            return
        if not self.resumable and self._used:
            raise ValueError(
                "this source is a one-shot iterator, already read; pass a list of "
                "batches (or a Source) to read it more than once."
            )
        self._used = True
        rows, k = 0, -1
        for k, batch in enumerate(self._batches):
            X, y = self._split(k, batch)
            n = X.shape[0]
            if y is not None and len(y) != n:
                raise ValueError(f"batch {k}: X has {n} rows but y has {len(y)}.")
            if y is not None and y.dtype.kind in "OmM":  # labels: None, NaN, NA or NaT
                absent = missing_mask(y)
                if absent.any():
                    p = int(np.flatnonzero(absent.reshape(n, -1).any(axis=1))[0])
                    raise ValueError(
                        f"<batches>: row {rows + p + 1} (batch {k}): the target is missing."
                    )
            if y is not None and y.dtype.kind == "f" and not np.isfinite(y).all():
                # named here: the estimator's "Input y contains NaN" names no row
                p = int(np.flatnonzero(~np.isfinite(y.reshape(n, -1)).all(axis=1))[0])
                what = "missing (NaN)" if np.isnan(y.reshape(n, -1)[p]).any() else "not finite"
                raise ValueError(
                    f"<batches>: row {rows + p + 1} (batch {k}): the target is {what}."
                )
            if k < start.row or n == 0:
                rows += n
                continue
            numbers = np.arange(rows + 1, rows + n + 1, dtype=np.int64)
            rows += n
            yield Chunk(X=X, y=y, file="<batches>", row_numbers=numbers, end=Position(0, k + 1))
        if k + 1 < start.row:
            raise ValueError(
                f"the position to resume from, batch {start.row:,}, lies past the end of the "
                f"batches ({k + 1:,}); are they the batches that position was recorded in?"
            )
