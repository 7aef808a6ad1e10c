"""An iterable of ``(X, y)`` batches or of DataFrames read as a
:class:`~sparsereg.stream.Source`."""

import numpy as np

from .._missing import missing_mask, refuse_masked
from .._validation import beyond_float64
from ._source import Chunk, Position, Source


class _IterableSource(Source):
    """An iterable of ``(X, y)`` or ``(X, y, w)`` tuples or of DataFrames holding the target
    column (and the weight column)."""

    def __init__(self, batches, *, target, target_dtype, weight_column=None):
        super().__init__()
        self.files = ["<batches>"]
        self._batches = batches
        self.resumable = iter(batches) is not batches
        self._used = False
        self.target = target
        self.target_dtype = target_dtype
        self.weight_column = weight_column

    def _split(self, k, batch):
        """``(X, y, weights as given or None)`` of batch k."""
        if isinstance(batch, tuple):
            if len(batch) not in (2, 3):
                raise ValueError(
                    f"batch {k} is a tuple of {len(batch)} items; expected (X, y) or (X, y, w)."
                )
            if len(batch) == 3 and self.weight_column is not None:
                raise ValueError(
                    f"batch {k} is an (X, y, w) tuple, whose weights are its third item; "
                    f"weight_column={self.weight_column!r} names a column of DataFrame "
                    "batches: leave it out."
                )
            X, y, weight = batch if len(batch) == 3 else (*batch, None)
            # (np.asarray below drops a mask: the hidden labels and weights were trained on)
            for name, value in (("X", X), ("y", y), ("w", weight)):
                try:
                    refuse_masked(value, name, "fit_stream")
                except TypeError as exc:
                    raise TypeError(f"batch {k}: {exc}") from None
            if not getattr(X, "shape", ()):  # (a chunk's rows are X.shape[0])
                raise TypeError(
                    f"batch {k}: X is a {type(X).__name__}; expected a 2-D NumPy array, a "
                    "SciPy sparse matrix or a pandas DataFrame."
                )
            if self.weight_column is not None:
                raise ValueError(
                    f"batch {k} is an (X, y) tuple: it has no column "
                    f"{self.weight_column!r} to weigh its rows by; give (X, y, w) tuples "
                    "without weight_column, or DataFrames holding the column."
                )
            return X, None if y is None else np.asarray(y), weight
        if hasattr(batch, "columns") and hasattr(batch, "drop"):  # a DataFrame
            weight = None
            if self.weight_column is not None:
                if self.weight_column not in batch.columns:
                    raise ValueError(
                        f"weight column {self.weight_column!r} not found in batch {k}; its "
                        f"columns are {list(batch.columns)[:50]}."
                    )
                weight = batch[self.weight_column]
                batch = batch.drop(columns=[self.weight_column])
            if self.target is None:
                return batch, None, weight
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
                except OverflowError:  # (an int such as 10**400 among objects)
                    raise ValueError(
                        f"batch {k}: {beyond_float64(f'target column {self.target!r}')}"
                    ) from None
                absent = np.asarray(column.isna(), dtype=bool)
                if absent.any():  # (a NaT is -9.2e18 as a float, not NaN)
                    y = np.where(absent.reshape(y.shape), np.nan, y)
            return batch.drop(columns=[self.target]), y, weight
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
            X, y, weight = self._split(k, batch)
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
            if weight is not None:
                weight = self._checked_weights(k, weight, n, rows)
            if k < start.row or n == 0:
                rows += n
                continue
            numbers = np.arange(rows + 1, rows + n + 1, dtype=np.int64)
            rows += n
            yield Chunk(
                X=X,
                y=y,
                file="<batches>",
                row_numbers=numbers,
                end=Position(0, k + 1),
                sample_weight=weight,
            )
        if k + 1 < start.row:
            raise ValueError(
                f"the position to resume from, batch {start.row:,}, lies past the end of the "
                f"batches ({k + 1:,}); are they the batches that position was recorded in?"
            )

    def _checked_weights(self, k, weight, n, rows):
        """Batch k's weights as float64, one finite number >= 0 per row; else a ValueError
        naming the row (``rows``: the rows of the batches before it)."""
        what = "w" if self.weight_column is None else f"weight {self.weight_column!r}"
        given = np.asarray(weight)
        if given.shape != (n,):
            raise ValueError(
                f"batch {k}: {what} has shape {given.shape}; expected one weight per row, ({n},)."
            )
        if given.dtype.kind in "biuf":  # numbers (bools weigh 1 and 0): no look at each one
            values = given.astype(np.float64)
        else:  # objects: each missing one NaN, text refused
            given = np.asarray(weight, dtype=object)  # (as given: [1, "a"] is not ["1", "a"])
            absent = missing_mask(given)
            text = [v for v in given[~absent].tolist() if isinstance(v, (str, bytes))]
            try:
                if text:
                    raise TypeError(f"{text[0]!r} is text")
                values = np.where(absent, np.nan, given).astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"batch {k}: {what} is not numeric ({exc}).") from None
            except OverflowError:  # (an int such as 10**400)
                raise ValueError(f"batch {k}: {beyond_float64(what)}") from None
        checks = [
            (np.isnan(values), "missing"),
            (~np.isfinite(values), "not finite"),
            (values < 0, "negative"),
        ]
        for bad, reason in checks:
            if bad.any():
                p = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"<batches>: row {rows + p + 1} (batch {k}): {what} is {reason} "
                    f"({given[p : p + 1].tolist()[0]!r})."
                )
        return values
