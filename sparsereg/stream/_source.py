"""What every reader of :func:`~sparsereg.stream.open_source` is: a :class:`Source` yielding
:class:`Chunk`\\ s that can start again from any :class:`Position` a chunk reported, the thread
that reads ahead of its caller, and what the file readers share (their I/O errors named, a
position past a file's end).
"""

import _thread
import os
import queue
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .._interrupts import end_read_ahead
from .._model_threads import thread_started
from .._thread_warnings import kept_warnings, raise_kept, show_untaken

__all__ = ["Chunk", "Position", "Source"]

_INSTALL = 'pip install "sparsereg[stream]"'

_MAX_EXAMPLES = 10


@dataclass(frozen=True)
class Position:
    """Where a reader stands in a source.

    Resuming from it yields exactly the chunks an uninterrupted read would have yielded after
    it (same rows, same chunk boundaries).

    Attributes
    ----------
    file : int
        Index into the source's list of files (0 for iterables).
    row : int
        Physical data rows of that file already consumed: the header is not a row, rows skipped
        as bad are consumed rows, and blank lines of a CSV file are not rows (as in
        ``pandas.read_csv``). SVMlight: lines consumed. Iterables: batches consumed.

    Examples
    --------
    >>> import pandas as pd
    >>> from sparsereg.stream import Position, open_source
    >>> batches = [pd.DataFrame({"x": [float(i)], "y": [i % 2]}) for i in range(3)]
    >>> source = open_source(batches, target="y")
    >>> [chunk.end for chunk in source.chunks()][0]
    Position(file=0, row=1)
    >>> [chunk.X["x"].tolist() for chunk in source.chunks(Position(file=0, row=2))]
    [[2.0]]
    """

    file: int = 0
    row: int = 0


@dataclass(frozen=True)
class Chunk:
    """A batch of rows from one file.

    Attributes
    ----------
    X : pandas.DataFrame or scipy.sparse.csr_matrix
        A DataFrame for CSV, Parquet and DataFrame batches (categorical columns as a pandas
        Categorical of str, numeric columns of integers as int64 or uint64, nullable Int64 or
        UInt64 with missing values, other numeric columns float64 with NaN for missing: see
        :func:`open_source`'s ``numeric``); a CSR float64 matrix for SVMlight; what was given
        for ``(X, y)`` batches.
    y : ndarray or None
        The target column (float64, or an object array of str), None when the source was opened
        without a target.
    file : str
        The file as given, or ``"<batches>"`` for an iterable.
    row_numbers : ndarray of int64
        The 1-based physical data row number of each row in its file (header excluded for CSV;
        the line number for SVMlight; the running row count for iterables).
    end : Position
        The position just after this chunk.
    bad_rows : int
        Rows skipped in this chunk (only with ``skip_bad_rows=True``).
    sample_weight : ndarray of float64 or None
        Each row's weight (finite, >= 0), from the source's ``weight_column`` (or an
        ``(X, y, w)`` batch); None without one.

    Examples
    --------
    >>> import pandas as pd
    >>> from sparsereg.stream import open_source
    >>> batch = pd.DataFrame({"city": ["Oslo", "Rome"], "clicked": [1, 0]})
    >>> chunk = next(iter(open_source([batch], target="clicked").chunks()))
    >>> list(chunk.X["city"]), chunk.y.tolist(), chunk.file, chunk.row_numbers.tolist()
    (['Oslo', 'Rome'], [1.0, 0.0], '<batches>', [1, 2])
    """

    X: object
    y: "np.ndarray | None"
    file: str
    row_numbers: np.ndarray
    end: Position
    bad_rows: int = 0
    sample_weight: "np.ndarray | None" = None


def _import_pyarrow():
    try:
        import pandas  # noqa: F401
        import pyarrow
        import pyarrow.compute  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"reading CSV and Parquet files needs pyarrow and pandas: {_INSTALL}"
        ) from exc
    return pyarrow


def taken(records):
    """The items of list ``records``, which it no longer holds."""
    items = records[:]
    records.clear()
    return items


def _ahead(items, depth):
    """Iterate `items` in a background thread, `depth` items ahead of the caller.

    Closing the returned generator (or an error in the caller) stops the thread and closes
    `items`; an exception raised by `items` is raised in the caller, at its place in the stream,
    and so are the warnings it shows (``_thread_warnings``), at the caller's caller's line.

    The calling thread, where signal handlers run, touches no lock or condition written in
    Python: a handler's exception inside ``queue.Queue.get`` or ``threading.Event.wait`` can
    land just after their lock was taken and leave it held, and the reading thread then
    blocks on it for good, and the caller's wait for that thread with it. Here the caller
    only calls compiled ``SimpleQueue`` and lock methods, none of which can be left half
    done; the thread is started with ``_thread.start_new_thread`` (``Thread.start`` waits on
    an ``Event``) and stops itself when the caller has gone. Where no thread can start (a
    process at its thread limit) the caller reads the items itself, none ahead.
    """
    # (more, item or exception, the warnings the thread showed making it), in the stream's order
    results = queue.SimpleQueue()
    # one token per item the caller has taken: the thread reads `depth` items on credit
    # (not `depth` tokens made up front, which hung on a readahead of 2**63 - 1), then one
    # more for each token
    slots = queue.SimpleQueue()
    credit = [depth]  # (the thread's alone)
    stop, running, ended = [], [], []  # flags: appended to once, each by one side
    finished = _thread.allocate_lock()
    finished.acquire()  # released by the thread as the last thing it does

    def take_slot():
        if not stop and credit[0]:
            credit[0] -= 1
            return True
        while not stop:
            try:
                slots.get(timeout=0.05)
                return True
            except queue.Empty:
                continue
        return False

    def work():
        running.append(True)
        try:
            if stop:  # the caller had already gone, and may not have seen `running`
                items.close()
                return
            with kept_warnings() as shown:  # raised again in the caller's thread, at its line
                try:
                    for item in items:
                        if not take_slot():
                            break
                        results.put((True, item, taken(shown)))
                    else:
                        results.put((False, None, taken(shown)))
                except BaseException as exc:  # handed to the caller
                    results.put((False, exc, taken(shown)))
                finally:
                    items.close()
        finally:
            ended.append(True)
            finished.release()

    def consume():
        parent = os.getpid()
        try:
            if not thread_started(work, ()):
                # no thread to give (a process at its thread limit): read in the caller's,
                # none ahead, as a model's threads leave their work to the threads started
                try:
                    # (not `yield from`, which closes them too and throws into them)
                    for item in items:  # noqa: UP028
                        yield item
                finally:
                    items.close()
                return
            while True:
                more, value, shown = results.get()
                slots.put(None)
                raise_kept(shown)
                if more:
                    yield value
                elif value is None:
                    return
                else:
                    raise value
        finally:
            # (a thread that begins later sees `stop` and ends at once; in a forked child or
            # at the interpreter's exit, with a generator left in a reference cycle, the
            # thread is not there)
            end_read_ahead(stop, running, finished, ended, parent)
            while True:  # the warnings of items read ahead and never taken: shown as raised
                try:
                    show_untaken(results.get_nowait()[2])
                except queue.Empty:
                    break

    return consume()


class Source:
    """A stream of :class:`Chunk` s that can be read several times and resumed.

    Attributes
    ----------
    files : list of str
        The files, as given (``["<batches>"]`` for an iterable).
    resumable : bool
        Whether :meth:`chunks` can be called again (another pass, or a resume from a position).
    bad_rows : int
        Rows skipped as bad so far, over every call of :meth:`chunks` (a row skipped in each of
        two passes counts twice).
    bad_row_examples : list of str
        The first 10 skipped rows, as ``"file:row N: reason"`` (``line N`` for SVMlight).
    weight_column : str or None
        The column its chunks' ``sample_weight`` come from (``open_source``'s); a source of
        your own whose chunks carry weights may set it (None when absent).
        :func:`~sparsereg.stream.fit_stream` trains with the chunks' weights, records this
        name in its checkpoints, and refuses a ``weight_column`` that differs from it.
    column_kinds : dict of str to str
        CSV and Parquet files: the kind of each column read as pandas reads it
        (``open_source``'s ``inferred``), 'number', 'bool' or 'text', as given in
        ``column_kinds`` or decided by the first file whose first rows hold a value of it (a
        CSV column of no value in any file's first rows is read as text, and 'text' here; a
        Parquet one is not in it); empty for other sources.

    Notes
    -----
    Read one pass at a time: two iterations of :meth:`chunks` interleaved on one source
    share its reading state.

    Examples
    --------
    >>> import pandas as pd
    >>> from sparsereg.stream import open_source
    >>> batches = [pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})] * 3
    >>> source = open_source(batches, target="y")
    >>> source.files, source.resumable
    (['<batches>'], True)
    >>> [len(chunk.y) for chunk in source.chunks()]  # a second pass reads the same chunks
    [2, 2, 2]
    >>> [len(chunk.y) for chunk in source]  # iterating is a pass from the start: chunks()
    [2, 2, 2]
    """

    files: list
    resumable: bool = True
    column_kinds: Mapping = MappingProxyType({})  # (files set their own)

    def __init__(self):
        self.bad_rows = 0
        self.bad_row_examples = []

    def __iter__(self):
        """A pass from the start, as ``chunks()``."""
        return self.chunks()

    def chunks(self, start=Position()):
        """Yield the chunks from `start` on (one pass).

        Parameters
        ----------
        start : Position, default=Position()
            Where to start: a chunk's ``end`` resumes just after that chunk.

        Yields
        ------
        chunk : Chunk
            Batches of ``batch_rows`` rows, except the last of each file (or fewer when bad
            rows were skipped); a chunk never spans two files and is never empty. With
            ``readahead`` (files), the next chunks are read in a background thread while the
            caller works on this one; ``bad_rows`` and ``bad_row_examples`` count the rows of
            the chunks yielded so far.
        """
        self._check_start(start)
        items = self._chunks_and_notes(start)
        if getattr(self, "readahead", 0):
            items = _ahead(items, self.readahead)
        try:
            for chunk, notes in items:
                for file, where, number, reason in notes:
                    self.bad_rows += 1
                    if len(self.bad_row_examples) < _MAX_EXAMPLES:
                        self.bad_row_examples.append(f"{file}:{where} {number}: {reason}")
                if chunk is not None:
                    yield chunk
        finally:
            items.close()

    def _chunks_and_notes(self, start):
        """(chunk, the bad rows noted while making it), then (None, the rest)."""
        self._notes = []
        for chunk in self._chunks(start):
            notes, self._notes = self._notes, []
            yield chunk, notes
        yield None, self._notes

    def _chunks(self, start):
        raise NotImplementedError

    def _check_start(self, start):
        if not isinstance(start, Position):
            raise TypeError(f"start must be a Position, got {type(start).__name__}.")
        if (
            isinstance(start.file, bool)
            or isinstance(start.row, bool)
            or not isinstance(start.file, (int, np.integer))
            or not isinstance(start.row, (int, np.integer))
            or start.file < 0
            or start.row < 0
            or start.file > len(self.files)
            or (start.file == len(self.files) and start.row != 0)
        ):
            raise ValueError(
                f"start {start} is not a position in this source of {len(self.files)} file(s)."
            )

    def _note_bad(self, file, where, number, reason):
        self._notes.append((file, where, number, reason))

    def __repr__(self):
        return f"{type(self).__name__}(files={self.files!r})"


def _past_the_end(path, start_row, n_rows):
    return ValueError(
        f"{path}: the position to resume from, row {start_row:,}, lies past the file's end "
        f"({n_rows:,} rows); has it changed since that position was recorded (a checkpoint)?"
    )


class _FileErrors:
    """Turn a reader's failure (truncated gzip, corrupt file, I/O error) into a ValueError naming
    the file."""

    def __init__(self, path, reraise=()):
        self.path, self.reraise = path, reraise

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, (KeyboardInterrupt, GeneratorExit, *self.reraise)):
            return False
        arrow = type(exc).__module__.startswith("pyarrow")  # ArrowInvalid is a ValueError
        if isinstance(exc, ValueError) and not arrow:
            return False
        if arrow or isinstance(exc, (EOFError, zlib.error, OSError)):
            raise ValueError(
                f"{self.path}: cannot be read ({type(exc).__name__}: {exc}); is it "
                "truncated or corrupt?"
            ) from exc
        return False
