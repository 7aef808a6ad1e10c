"""Readers that yield a data file in batches of rows with bounded memory.

:func:`open_source` opens CSV (plain or gzip'd), Parquet, SVMlight/LIBSVM files or an iterable
of batches and returns a :class:`Source`, whose :meth:`Source.chunks` yields :class:`Chunk`\\ s of
``batch_rows`` rows and can start again from any :class:`Position` a chunk reported (the rows
and chunk boundaries are then exactly those an uninterrupted read would have given).

CSV and Parquet go through pyarrow's streaming readers (``pyarrow.csv.open_csv``,
``pyarrow.parquet.ParquetFile.iter_batches``), SVMlight through scikit-learn's
``load_svmlight_file`` applied to ``batch_rows`` lines at a time. pyarrow and pandas are
imported only when a CSV or Parquet file is read (``pip install "sparsereg[stream]"``).
"""

import _thread
import gzip
import hashlib
import io
import os
import queue
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

from .._interrupts import end_read_ahead
from .._missing import missing_mask

__all__ = ["Chunk", "Position", "Source", "open_source"]

_INSTALL = 'pip install "sparsereg[stream]"'

# pandas.read_csv's default missing-value strings, so that a CSV gives the same NaN either way
_NULL_VALUES = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
]

# bytes pyarrow's CSV reader parses at a time: the memory of a read is a few of these plus a
# chunk of batch_rows rows, whatever the size of the file
_CSV_BLOCK_BYTES = 1 << 21
# the longest CSV header read (bytes): the first rows are read in a block of up to this size,
# and the rows then in blocks twice as large
_MAX_HEADER = 1 << 25
# parse CSV blocks in pyarrow's thread pool (rows refused by the parser are then numbered by
# reading again serially; see _ArrowSource._file_chunks)
_CSV_THREADS = True
# with skip_bad_rows, this many malformed rows (CSV) or lines (SVMlight) with no good one among
# them stop the read: CSV holds their numbers until a good row comes, SVMlight parses each alone
# (slow), and such a file is rather of another format
_MAX_REFUSED_RUN = 100_000
_MAX_BAD_LINE_RUN = 10_000  # SVMlight: each bad line costs ~2 parses of its own

_MAX_EXAMPLES = 10

# suffix -> (format, delimiter or None); longest suffixes first
_SUFFIXES = [
    (".csv.gz", "csv", None),
    (".tsv.gz", "csv", "\t"),
    (".svmlight.gz", "svmlight", None),
    (".libsvm.gz", "svmlight", None),
    (".svm.gz", "svmlight", None),
    (".csv", "csv", None),
    (".tsv", "csv", "\t"),
    (".parquet", "parquet", None),
    (".pq", "parquet", None),
    (".svmlight", "svmlight", None),
    (".libsvm", "svmlight", None),
    (".svm", "svmlight", None),
]
_FORMATS = ("csv", "parquet", "svmlight")


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
        Categorical of str, numeric columns float64 with NaN for missing); a CSR float64 matrix
        for SVMlight; what was given for ``(X, y)`` batches.
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


def _ahead(items, depth):
    """Iterate `items` in a background thread, `depth` items ahead of the caller.

    Closing the returned generator (or an error in the caller) stops the thread and closes
    `items`; an exception raised by `items` is raised in the caller, at its place in the stream.

    The calling thread, where signal handlers run, touches no lock or condition written in
    Python: a handler's exception inside ``queue.Queue.get`` or ``threading.Event.wait`` can
    land just after their lock was taken and leave it held, and the reading thread then
    blocks on it for good, and the caller's wait for that thread with it. Here the caller
    only calls compiled ``SimpleQueue`` and lock methods, none of which can be left half
    done; the thread is started with ``_thread.start_new_thread`` (``Thread.start`` waits on
    an ``Event``) and stops itself when the caller has gone.
    """
    results = queue.SimpleQueue()  # (more, item or exception), in the stream's order
    slots = queue.SimpleQueue()  # one token per item the thread may read ahead
    for _ in range(depth):
        slots.put(None)
    stop, running, ended = [], [], []  # flags: appended to once, each by one side
    finished = _thread.allocate_lock()
    finished.acquire()  # released by the thread as the last thing it does

    def take_slot():
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
            try:
                for item in items:
                    if not take_slot():
                        break
                    results.put((True, item))
                else:
                    results.put((False, None))
            except BaseException as exc:  # handed to the caller
                results.put((False, exc))
            finally:
                items.close()
        finally:
            ended.append(True)
            finished.release()

    def consume():
        parent = os.getpid()
        try:
            _thread.start_new_thread(work, ())
            while True:
                more, value = results.get()
                slots.put(None)
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
    """

    files: list
    resumable: bool = True

    def __init__(self):
        self.bad_rows = 0
        self.bad_row_examples = []

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


# ---------------------------------------------------------------------------- CSV / Parquet
def _bad_positions(pa, pc, arr, lo, hi, out):
    """Positions in arr[lo:hi] whose string does not cast to float64 (bisection; slow path)."""
    try:
        pc.cast(arr.slice(lo, hi - lo), pa.float64())
        return
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if hi - lo == 1:
        out.append(lo)
        return
    mid = (lo + hi) // 2
    _bad_positions(pa, pc, arr, lo, mid, out)
    _bad_positions(pa, pc, arr, mid, hi, out)


def _as_null(pa, pc, arr):
    """Text spelling a missing value (pandas' list: "", "NA", "nan", "null"...) as null."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    spelled = pc.is_in(arr, value_set=pa.array(_NULL_VALUES, type=arr.type))
    return pc.if_else(spelled, pa.scalar(None, arr.type), arr)


def _to_float(pa, pc, arr):
    """(float64 array with nulls, positions that are not numbers) of an Arrow array."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    arr = _as_null(pa, pc, arr)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        try:
            return pc.cast(arr, pa.float64()), []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. a timestamp column
            arr = pc.cast(arr, pa.string())
    try:
        return pc.cast(arr, pa.float64()), []
    except pa.ArrowInvalid:
        pass
    arr = pc.utf8_trim_whitespace(arr)  # " 2" is a number to pandas, not to Arrow's cast
    try:
        return pc.cast(arr, pa.float64()), []
    except pa.ArrowInvalid:
        pass
    bad = []
    _bad_positions(pa, pc, arr, 0, len(arr), bad)
    mask = np.zeros(len(arr), dtype=bool)
    mask[bad] = True
    clean = pc.if_else(pa.array(mask), pa.scalar(None, arr.type), arr)
    return pc.cast(clean, pa.float64()), bad


def _text_values(pa, arr):
    """The strings of a string-like array (a dictionary's values), as a string array read
    without checking its bytes; None for other types."""
    values = arr.dictionary if pa.types.is_dictionary(arr.type) else arr
    if pa.types.is_fixed_size_binary(values.type):
        values = values.cast(pa.binary())  # (bytes: no UTF-8 check)
    if pa.types.is_binary(values.type):
        return values.view(pa.string())
    if pa.types.is_large_binary(values.type):
        return values.view(pa.large_string())
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    return None


def _is_text(pa, arr):
    """Whether every value of ``arr`` is UTF-8 text, or ``arr`` is not string-like (a
    dictionary's values are read, not its codes)."""
    values = _text_values(pa, arr)
    if values is None:
        return True
    try:
        values.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _invalid_text_positions(pa, values):
    """Positions of ``values`` (strings) whose bytes are not UTF-8 (bisection; slow path)."""
    try:
        values.validate(full=True)
        return []
    except pa.ArrowInvalid:
        if len(values) == 1:
            return [0]
    half = len(values) // 2
    return _invalid_text_positions(pa, values.slice(0, half)) + [
        half + p for p in _invalid_text_positions(pa, values.slice(half))
    ]


def _without_invalid_text(pa, pc, column):
    """``(column, positions)``: a chunked column with its values that are not UTF-8 text made
    missing, and their positions; ``(None, None)`` when every value is text. (A dictionary may
    hold such a value that no row of this range uses: the column is then rebuilt without it.)"""
    if all(_is_text(pa, chunk) for chunk in column.chunks):  # each piece as read: no copy
        return None, None
    column = column.combine_chunks()
    values = _text_values(pa, column)
    invalid = np.asarray(_invalid_text_positions(pa, values), dtype=np.int64)
    dictionary = pa.types.is_dictionary(column.type)
    if dictionary:  # the rows whose code is an invalid value's
        codes = column.indices.to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(np.isin(codes, invalid) & column.is_valid().to_numpy(False))
        text = pc.take(values, column.indices)  # the strings of every row, as written
    else:
        rows, text = invalid, values
    mask = np.zeros(len(column), dtype=bool)
    mask[rows] = True
    text = pc.if_else(pa.array(mask), pa.scalar(None, text.type), text)
    text.validate(full=True)
    return (pc.dictionary_encode(text) if dictionary else text), rows


def _first_line_end(head, delimiter):
    """How pyarrow's CSV lexer (quoting on, no escape character, newlines in values) reads the
    first line of `head` (bytes): "end" if it ends within them, "quoted" if they end inside a
    quoted field, None if inside an unquoted one. A quote opens a field at its start only, two
    quotes in a quoted field stand for one, and a line end in a quoted field is part of it."""
    return _line_scan(head, delimiter)[0]


def _line_scan(line, delimiter):
    """``(_first_line_end's answer, where the quoted field open at the end of `line` began:
    its quote's position, or -1)``."""
    delimiter = delimiter.encode()
    quoted, doubled, opened = False, -1, -1
    for match in re.finditer(rb'["\r\n]', line):
        p = match.start()
        if p == doubled:
            continue
        if not quoted:
            if line[p] != ord('"'):
                return "end", -1
            quoted = p == 0 or line[p - len(delimiter) : p] == delimiter
            opened = p if quoted else -1
        elif line[p] == ord('"'):
            if line[p + 1 : p + 2] == b'"':
                doubled = p + 1
            else:
                quoted = False
    return ("quoted", opened) if quoted else (None, -1)


def _holds_line_end(text):
    """Whether a line end in `text` (bytes) has more text after it: the rows after it that a
    quoted field left open swallowed (only empty lines after it: none)."""
    stripped = text.rstrip(b"\r\n")
    return b"\n" in stripped or b"\r" in stripped


def _header_text(head):
    """The file's first bytes from where pyarrow looks for the header: after a UTF-8
    byte-order mark, then after empty lines."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")


def _last_text(pa, column):
    """The bytes of the last value of a string or dictionary-of-string Arrow array (None if
    missing)."""
    scalar = column[len(column) - 1]
    if pa.types.is_dictionary(column.type):
        scalar = scalar.value
    if scalar is None or not scalar.is_valid:
        return None
    return scalar.as_buffer().to_pybytes()


_LEFT_OPEN = (
    "a quoted field opened in this row is never closed: the rest of the file would be read "
    "as its text (a stray '\"'?)"
)


def _infinite(pc, values):
    """Positions of a float64 Arrow array's infinite values (1e400 in text is one too)."""
    return np.flatnonzero(pc.fill_null(pc.is_inf(values), False).to_numpy(zero_copy_only=False))


def _value(column, positions):
    """The text of the first value at `positions`, for a message."""
    value = column[int(positions[0])].as_py()
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _frame_of(pa, arrays, n):
    """A DataFrame of Arrow arrays: dictionaries as Categoricals of str (codes and categories
    taken as they are, 3-7x faster than ``Table.to_pandas``), numbers as float64 with NaN."""
    import pandas as pd

    columns = {}
    for name, arr in arrays.items():
        if pa.types.is_dictionary(arr.type) and arr.dictionary.null_count == 0:
            codes = arr.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            categories = pd.Index(arr.dictionary.to_numpy(zero_copy_only=False), dtype=object)
            dtype = pd.CategoricalDtype(categories)
            columns[name] = pd.Categorical.from_codes(
                codes.astype(np.int32),  # writable
                dtype=dtype,
                validate=False,
            )
        elif pa.types.is_dictionary(arr.type):
            columns[name] = pa.chunked_array([arr]).to_pandas()
        else:
            columns[name] = np.array(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
    return pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False)


def _to_dictionary(pa, pc, arr):
    """A column as dictionary<int32, string> (categories as str whatever the stored type); the
    empty string is missing, as an empty CSV field is."""
    if pa.types.is_dictionary(arr.type):
        if (
            pa.types.is_string(arr.type.value_type)
            and arr.type.index_type == pa.int32()
            and not pc.any(pc.equal(arr.dictionary, "")).as_py()
        ):
            return arr
        arr = arr.cast(arr.type.value_type)
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    return pc.dictionary_encode(arr)


class _TooMany(Exception):
    """Too many SVMlight lines in a row do not parse (carries the index of the last)."""


class _Reread(Exception):
    """The threaded CSV reader refused a row: read again serially to number it."""


def _error_row_reached(invalid, skip_bad_rows, valid, refused):
    """In error mode, whether every CSV row before the first refused one (`invalid`: (number,
    reason) pairs) has been read: delivered (numbers up to `valid`) or refused by the parser
    (`refused`, numbers)."""
    if not invalid or skip_bad_rows:
        return False
    row = invalid[0][0]
    return len({number for number in refused if valid < number < row}) >= row - valid - 1


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


class _ArrowSource(Source):
    """CSV or Parquet files read through pyarrow; chunk boundaries are physical row ranges."""

    def __init__(
        self,
        files,
        fmt,
        *,
        target,
        numeric,
        categorical,
        batch_rows,
        skip_bad_rows,
        delimiter,
        target_dtype,
        readahead,
    ):
        super().__init__()
        self.readahead = readahead
        self.files = files
        self.format = fmt
        self.target = target
        self.numeric = numeric
        self.categorical = categorical
        self.batch_rows = batch_rows
        self.skip_bad_rows = skip_bad_rows
        self.delimiter = delimiter
        self.target_dtype = target_dtype
        self._columns = {}
        self._schemas = {}  # Parquet: each file's Arrow schema
        self._blocks = {}  # CSV bytes per block of each file: larger where the header is long
        # CSV: a file whose last field holds a line end, found closed (_ends_inside), with its
        # size, time and inode then: the next passes skip reading its end again (a compressed
        # file's is its whole decompression) unless one of them changed
        self._closed_ends = {}
        self._last_column = {}  # CSV: each file's last column (None if named twice), its width
        _import_pyarrow()
        for i in range(len(files)):  # every file's columns are checked before any is read
            self._plan(i)

    # -- columns -------------------------------------------------------------------
    def _names(self, i):
        pa = _import_pyarrow()
        path = self.files[i]
        if os.path.getsize(path) == 0:
            raise ValueError(f"{path} is empty.")
        if self.format == "parquet":
            return list(self._parquet_schema(i).names)
        import pyarrow.csv as pcsv

        block = 1 << 16  # the header, and the first rows for pyarrow's type inference
        retried = False  # (a first row longer than the header's block: once at the rows')
        while True:
            try:
                with self._errors(i, reraise=(pa.ArrowInvalid,)):
                    reader = pcsv.open_csv(
                        path,
                        read_options=pcsv.ReadOptions(block_size=block, use_threads=False),
                        parse_options=self._parse_options(lambda row: "skip"),
                    )
                    names = list(reader.schema.names)
                    reader.close()
                    # the rows: twice the header's block (the block a long first row was
                    # read at, when it needed one)
                    self._blocks[i] = block if retried else max(_CSV_BLOCK_BYTES, 2 * block)
                    return names
            except pa.ArrowInvalid as exc:
                text = str(exc)
                if "Empty CSV file" in text:
                    self._refuse_unended_header(i, block)
                long_row = "straddling" in text and block >= _CSV_BLOCK_BYTES
                if long_row and self._line_ends_within(i, block):
                    # the header fits: a first row is longer than its block; read at the size
                    # the rows would be read at (twice the header's), but no larger: growing
                    # the block for such a row took memory without bound
                    if not retried:
                        block, retried = 2 * block, True
                        continue
                    raise ValueError(
                        f"{path}: a row among the first ones is longer than {block:,} bytes "
                        "(a line end missing, or a quoted field left open?)."
                    ) from None
                if ("Empty CSV file" in text or "straddling" in text) and block < _MAX_HEADER:
                    block *= 8  # a header longer than a block
                    continue
                if "Empty CSV file" in text or "straddling" in text:
                    raise ValueError(
                        f"{path}: its header is longer than {block:,} bytes."
                    ) from None
                raise ValueError(f"{path}: {text}") from None

    def _head(self, i, size):
        """The first `size` bytes of the (decompressed) file."""
        pa = _import_pyarrow()
        with self._errors(i), pa.input_stream(self.files[i], compression="detect") as f:
            return f.read(size)

    def _tail(self, i, size):
        """The last `size` bytes of the (decompressed) file; a compressed file is read whole."""
        pa = _import_pyarrow()
        with self._errors(i), pa.input_stream(self.files[i], compression="detect") as f:
            if f.seekable():
                f.seek(max(0, f.size() - size))
                return f.read()
            tail = b""
            while block := f.read(_CSV_BLOCK_BYTES):
                tail = (tail + block)[-size:]
            return tail

    def _ends_inside(self, i, value):
        """Whether file i ends inside a quoted field of its last column, opened at that field's
        start, whose text as parsed is `value` (bytes): pyarrow takes a quote left open as
        closed by the end of the file."""
        try:
            found = os.stat(self.files[i])
            digest = hashlib.blake2b(value, digest_size=16).digest()  # (not a block of text)
            key = (digest, found.st_size, found.st_mtime_ns, found.st_ino)
        except (OSError, TypeError, ValueError):
            key = None
        if key is not None and self._closed_ends.get(i) == key:
            return False
        _, width = self._last_column[i]
        opened = b'"' + value.replace(b'"', b'""')  # the bytes from its quote to the file's end
        tail = self._tail(i, 2 * len(opened) + 2)
        before = tail[-len(opened) - 1 : -len(opened)]
        inside = (
            tail.endswith(opened)
            and len(tail) > len(opened)
            # (else that quote does not open the last column)
            and before in ((b"\n", b"\r") if width == 1 else (self.delimiter.encode(),))
            # the same bytes closed by a quote and line ends: `value` is a closed field's text
            # ('"\n"' and a line end: the text is a line end, the last bytes those of '"\n')
            and not tail.rstrip(b"\r\n").endswith(opened + b'"')
        )
        if not inside and key is not None:
            self._closed_ends[i] = key
        return inside

    def _line_ends_within(self, i, size):
        """Whether the file's first line (its header) ends in its first `size` bytes."""
        return _first_line_end(_header_text(self._head(i, size)), self.delimiter) == "end"

    def _refuse_unended_header(self, i, size):
        """Refuse a file that ends within its first `size` bytes with no line end to its header
        there (pyarrow then finds no header, whatever its block): an empty file, a quoted field
        of the header left open, or a header with no line end."""
        head = self._head(i, size + 1)
        if len(head) > size:  # (the header may end further on)
            return
        path = self.files[i]
        head = _header_text(head)
        if not head.strip():
            raise ValueError(f"{path} is empty.")
        ended = _first_line_end(head, self.delimiter)
        if ended == "quoted":
            raise ValueError(
                f"{path}: a quoted field of its header is left open (no closing '\"' before "
                "the file ends)."
            )
        if ended is None:
            raise ValueError(f"{path}: its header has no line end; end it with one.")

    def _plan(self, i):
        """File i's columns: (those read, in file order; the features among them, in the
        first file's order where the file holds the same, else in its own; the set of
        categorical ones). Refuses a missing or repeated column."""
        if i in self._columns:
            return self._columns[i]
        path = self.files[i]
        try:
            names = self._names(i)
        except UnicodeDecodeError:
            raise ValueError(f"{path}: its header holds bytes that are not UTF-8 text.") from None
        wanted = ([] if self.target is None else [self.target]) + list(self.numeric)
        wanted += list(self.categorical or [])
        for name in wanted:
            if name not in names:
                kind = (
                    "target"
                    if name == self.target
                    else "numeric"
                    if name in self.numeric
                    else "categorical"
                )
                shown = names[:50] + (["..."] if len(names) > 50 else [])
                raise ValueError(
                    f"{kind} column {name!r} not found in {path}; its columns are {shown}."
                )
        numeric = set(self.numeric)
        if self.categorical is None:
            categorical = {n for n in names if n != self.target and n not in numeric}
        else:
            categorical = set(self.categorical)
        used = [n for n in names if n in numeric or n in categorical or n == self.target]
        repeated = sorted({n for n in used if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"{path} has the columns {repeated} more than once; a column read "
                "must be named once."
            )
        features = [n for n in names if n != self.target and (n in numeric or n in categorical)]
        if i > 0 and set(features) == set(first := self._plan(0)[1]):
            features = list(first)  # every batch's columns in one order, whatever each file's
        if self.format == "parquet":
            self._check_flat(i, used)
        else:
            last = names[-1] if names.count(names[-1]) == 1 else None
            self._last_column[i] = (last, len(names))
        self._columns[i] = (used, features, categorical)
        return self._columns[i]

    def _parquet_schema(self, i):
        if i not in self._schemas:
            import pyarrow.parquet as pq

            with self._errors(i):
                self._schemas[i] = pq.ParquetFile(self.files[i]).schema_arrow
        return self._schemas[i]

    def _check_flat(self, i, used):
        """Refuse a Parquet column read that holds lists, structs or maps: a cell is one value."""
        pa = _import_pyarrow()
        schema = self._parquet_schema(i)
        for name in used:
            kind = schema.field(name).type
            if pa.types.is_dictionary(kind):
                kind = kind.value_type
            if pa.types.is_nested(kind):
                raise ValueError(
                    f"{self.files[i]}: column {name!r} holds {kind}; a column read must hold "
                    "one number or string per row (flatten it first, or leave it out with "
                    "categorical=[...])."
                )

    def _parse_options(self, handler):
        import pyarrow.csv as pcsv

        return pcsv.ParseOptions(
            delimiter=self.delimiter, newlines_in_values=True, invalid_row_handler=handler
        )

    def _errors(self, i, reraise=()):
        return _FileErrors(self.files[i], reraise)

    # -- reading ---------------------------------------------------------------------
    def _pieces(self, i, start_row, threaded=False):
        """Yield (table of well-formed rows, their physical numbers, reached) for file i.

        `reached` is the last physical row number known to be decided (after a piece:
        its last row; at the end of the file: every row). Rows up to `start_row` are dropped.
        Rows refused by the CSV parser (wrong number of fields) are in self._invalid.
        """
        pa = _import_pyarrow()
        used, _, categorical = self._plan(i)
        path = self.files[i]
        if self.format == "parquet":
            import pyarrow.parquet as pq

            with self._errors(i):
                strings = [n for n in used if n in categorical]
                pf = pq.ParquetFile(path, read_dictionary=strings)  # no Python strings
                meta = pf.metadata
                if start_row > meta.num_rows:
                    raise _past_the_end(path, start_row, meta.num_rows)
                skip, groups, first = start_row, [], 0
                for g in range(meta.num_row_groups):
                    n = meta.row_group(g).num_rows
                    if not groups and skip >= n:  # whole row groups before the resume point
                        skip -= n
                        first += n
                    else:
                        groups.append(g)
                number = first
                if groups:
                    batches = pf.iter_batches(
                        batch_size=max(self.batch_rows, 1024), row_groups=groups, columns=used
                    )
                    for batch in batches:
                        n = batch.num_rows
                        numbers = np.arange(number + 1, number + n + 1, dtype=np.int64)
                        number += n
                        if skip:
                            drop = min(skip, n)
                            skip -= drop
                            batch, numbers = batch.slice(drop), numbers[drop:]
                        if batch.num_rows:
                            yield pa.Table.from_batches([batch]), numbers, number
                yield None, None, meta.num_rows
            return

        import pyarrow.csv as pcsv

        types = {
            n: (pa.dictionary(pa.int32(), pa.string()) if n in categorical else pa.string())
            for n in used
        }
        # the last column is read (as text, if not used) to see whether the file ends inside
        # a quoted field of it: pyarrow then takes the rest of the file as its text
        last_name = self._last_column[i][0]
        if last_name is not None and last_name not in types:
            types[last_name] = pa.string()
        invalid = self._invalid  # bad rows after the resume point, with their reasons
        gaps = []  # numbers of every row the parser refused, not yet stepped over
        latest = [0]  # the last refused row's number

        refused = [False]  # threaded: a row was refused (its number is not known)
        run = [0]  # rows refused since the last batch with a good row
        self._stop = None

        def handler(row):
            if threaded:
                refused[0] = True
                return "skip"
            number = (row.number or 0) - 1  # the header is row 1 of the file
            reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            if number < 1:
                self._stop = f"{path}: {reason} (row number unknown)"
                return "error"
            # a row ends inside a quote only at the file's end: the rest of the file is in it,
            # when the open field holds a line end (else the file ends cut off in that row)
            text = row.text.encode()
            ended, opened = _line_scan(text, self.delimiter)
            if ended == "quoted" and _holds_line_end(text[opened:]):
                reason = _LEFT_OPEN
                if self.skip_bad_rows:  # not one bad row: the file cannot be read
                    self._stop = f"{path}: row {number}: {reason}"
                    return "error"
            run[0] += 1
            if run[0] > _MAX_REFUSED_RUN:  # the refused rows are held until a good row comes
                self._stop = (
                    f"{path}: more than {_MAX_REFUSED_RUN:,} rows in a row (up to "
                    f"row {number}) are malformed ({reason}); is the delimiter "
                    f"{self.delimiter!r} right?"
                )
                return "error"
            gaps.append(number)
            latest[0] = number
            if number > start_row:  # rows before the resume point were consumed already
                invalid.append((number, reason))
            return "skip"  # in error mode too: a bad value in an earlier row must come first

        last = start_row
        with self._errors(i):
            try:
                reader = pcsv.open_csv(
                    path,
                    read_options=pcsv.ReadOptions(
                        block_size=self._blocks.get(i, _CSV_BLOCK_BYTES), use_threads=threaded
                    ),
                    parse_options=self._parse_options(handler),
                    convert_options=pcsv.ConvertOptions(
                        # an empty field is missing; other text is read as written ("NA" is
                        # Namibia), as Parquet stores it; number and target columns also take
                        # pandas' spellings of missing ("NA", "nan"...) as missing (_as_null)
                        include_columns=list(types),
                        column_types=types,
                        null_values=[""],
                        strings_can_be_null=True,
                        quoted_strings_can_be_null=True,
                        # checked row by row in _convert: bytes that are not UTF-8 make a bad
                        # row, not an error of the whole block without a row number
                        check_utf8=False,
                    ),
                )
            except pa.ArrowInvalid as exc:
                self._raise_invalid(i, exc)
            if refused[0]:
                raise _Reread
            last_index = None if last_name is None else reader.schema.get_field_index(last_name)
            valid = 0  # the number of the last well-formed row
            stop = False
            # the last row read, when its last field holds a line end: (its number, the field's
            # text); the piece that holds it waits until the next rows show it is not the last
            opened, held = None, None
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    batch = None
                except pa.ArrowInvalid as exc:
                    self._raise_invalid(i, exc)
                if refused[0]:
                    # pyarrow's threaded reader refused a row without its number; the batches
                    # used so far came from blocks parsed before it (a block is parsed before
                    # it is delivered), so their numbering holds
                    reader.close()
                    raise _Reread
                if batch is None:
                    if opened is not None and self._ends_inside(i, opened[1]):
                        number = opened[0]
                        if self.skip_bad_rows or number <= start_row:
                            raise ValueError(f"{path}: row {number}: {_LEFT_OPEN}")
                        # named as a refused row is, after a bad value in an earlier one
                        invalid.append((number, _LEFT_OPEN))
                        table, numbers, _ = held
                        held = table.slice(0, len(numbers) - 1), numbers[:-1], valid
                        if not held[0].num_rows:
                            held = None
                    break
                n = batch.num_rows
                if n:
                    run[0] = 0
                    opened = None
                    if held is not None:
                        yield held
                        held = None
                # a malformed row in error mode: the rows before it are converted (a bad value
                # there is reported first), then it raises; nothing after it is read. (pyarrow
                # parses a block ahead: the row can be refused before the batches of the rows
                # before it are read)
                stop = _error_row_reached(invalid, self.skip_bad_rows, valid, gaps)
                if n == 0:
                    if stop:
                        break
                    continue
                # number the rows: consecutive after `valid`, stepping over refused rows
                numbers = np.arange(valid + 1, valid + n + len(gaps) + 1, dtype=np.int64)
                if gaps:
                    numbers = numbers[~np.isin(numbers, gaps)][:n]
                else:
                    numbers = numbers[:n]
                valid = int(numbers[-1])
                gaps[:] = [g for g in gaps if g > valid]
                if last_index is not None:
                    text = _last_text(pa, batch.column(last_index))
                    if text is not None and _holds_line_end(text):
                        opened = valid, text
                    if last_name not in used:  # read for this check only: not held
                        # (select: from_arrays of no column would make a batch of no row)
                        batch = batch.select(
                            [j for j in range(batch.num_columns) if j != last_index]
                        )
                # rows consumed before the resume point: parsed, then dropped
                first = int(np.searchsorted(numbers, start_row, side="right"))
                if first:
                    numbers = numbers[first:]
                    batch = batch.slice(first)
                last = max(last, valid)
                if batch.num_rows:
                    if opened is None:
                        yield pa.Table.from_batches([batch]), numbers, valid
                    else:
                        held = pa.Table.from_batches([batch]), numbers, valid
                stop = _error_row_reached(invalid, self.skip_bad_rows, valid, gaps)
                if stop:
                    break
            if held is not None:
                yield held
            if max(valid, latest[0]) < start_row and not stop:
                raise _past_the_end(path, start_row, max(valid, latest[0]))
        yield None, None, max(last, latest[0])

    def _raise_invalid(self, i, exc):
        if self._stop:
            raise ValueError(self._stop) from None
        if self._invalid and not self.skip_bad_rows:
            number, reason = self._invalid[-1]
            raise ValueError(f"{self.files[i]}: row {number}: {reason}") from None
        text = str(exc)
        if "Empty CSV file" in text:
            raise ValueError(f"{self.files[i]} is empty.") from None
        if "straddling" in text:  # pyarrow's advice (a larger block) is not the user's to take
            raise ValueError(
                f"{self.files[i]}: a row is longer than "
                f"{self._blocks.get(i, _CSV_BLOCK_BYTES):,} bytes (a line end missing, or a "
                "quoted field left open?)."
            ) from None
        raise ValueError(f"{self.files[i]}: {text}") from None

    def _convert(self, i, table, numbers, bad_numbers):
        """(X, y, row numbers, bad count) of a range's well-formed rows; bad values found."""
        pa = _import_pyarrow()
        import pyarrow.compute as pc

        _, features, categorical = self._plan(i)
        path = self.files[i]
        n = table.num_rows
        bad = np.zeros(n, dtype=bool)
        reasons = {}

        def mark(positions, reason):
            for p in positions:
                if not bad[p]:
                    bad[p] = True
                    reasons[p] = reason

        for name in ([] if self.target is None else [self.target]) + features:
            column = table.column(name)
            cleaned, positions = _without_invalid_text(pa, pc, column)
            if cleaned is not None:
                mark(positions, f"column {name!r} holds bytes that are not UTF-8 text")
                table = table.set_column(table.schema.get_field_index(name), name, cleaned)

        y = None
        if self.target is not None:
            column = table.column(self.target).combine_chunks()
            if self.target_dtype == "str":
                if not pa.types.is_string(column.type):
                    column = pc.cast(
                        column.dictionary_decode()
                        if pa.types.is_dictionary(column.type)
                        else column,
                        pa.string(),
                    )
                target = _as_null(pa, pc, column)
            else:
                target, not_numbers = _to_float(pa, pc, column)
                for p in not_numbers:
                    mark([p], f"target {self.target!r}: {_value(column, [p])} is not a number")
                for p in _infinite(pc, target):
                    mark([p], f"target {self.target!r}: {_value(column, [p])} is not finite")
                # a NaN stored as a number (Parquet) is missing, as "nan" in a CSV field is
                nan = pc.fill_null(pc.is_nan(target), False)
                target = pc.if_else(nan, pa.scalar(None, pa.float64()), target)
            missing = np.flatnonzero(target.is_null().to_numpy(zero_copy_only=False))
            mark(missing, f"target {self.target!r} is missing")
        arrays = {}
        for name in features:
            column = table.column(name)
            if pa.types.is_dictionary(column.type) and column.num_chunks > 1:
                column = column.unify_dictionaries()  # one dictionary for the chunk
            column = column.combine_chunks()
            if name in categorical:
                arrays[name] = _to_dictionary(pa, pc, column)
            else:
                values, not_numbers = _to_float(pa, pc, column)
                for p in not_numbers:
                    mark([p], f"column {name!r}: {_value(column, [p])} is not a number")
                for p in _infinite(pc, values):
                    mark([p], f"column {name!r}: {_value(column, [p])} is not finite")
                arrays[name] = values
        if not self.skip_bad_rows and (bad.any() or bad_numbers):
            found = [(int(numbers[p]), reasons[int(p)]) for p in np.flatnonzero(bad)[:1]]
            number, reason = min(found + bad_numbers[:1])
            raise ValueError(f"{path}: row {number}: {reason}")
        # noted in the order of the rows: the rows of too many fields (bad_numbers) are found
        # apart from those with values that are not numbers (bad)
        found = [(int(numbers[p]), reasons[int(p)]) for p in np.flatnonzero(bad)]
        for number, reason in sorted(found + bad_numbers, key=lambda note: note[0]):
            self._note_bad(path, "row", number, reason)
        if bad.any():
            keep = pa.array(~bad)
            arrays = {k: pc.filter(v, keep) for k, v in arrays.items()}
            if self.target is not None:
                target = pc.filter(target, keep)
            numbers = numbers[~bad]
        X = _frame_of(pa, arrays, len(numbers))
        if self.target is not None:
            if self.target_dtype == "str":
                y = np.asarray(target.to_pylist(), dtype=object)
            else:
                y = target.to_numpy(zero_copy_only=False).astype(np.float64)  # writable
        return X, y, numbers, int(bad.sum()) + len(bad_numbers)

    def _file_chunks(self, i, start_row):
        pa = _import_pyarrow()
        path = self.files[i]
        B = self.batch_rows
        self._invalid = []
        end = start_row + B
        tables, nums = [], []

        def cut(limit):
            """Split the buffer at physical row `limit`; return the part up to it."""
            nonlocal tables, nums
            if not tables:
                return None, np.empty(0, np.int64)
            table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
            numbers = np.concatenate(nums) if len(nums) > 1 else nums[0]
            k = int(np.searchsorted(numbers, limit, side="right"))
            rest = table.num_rows - k
            tables = [table.slice(k)] if rest else []
            nums = [numbers[k:]] if rest else []
            return table.slice(0, k), numbers[:k]

        def emit(limit, previous):
            table, numbers = cut(limit)
            invalid = [(b, r) for b, r in self._invalid if previous < b <= limit]
            self._invalid[:] = [(b, r) for b, r in self._invalid if b > limit]
            if table is None or table.num_rows == 0:
                if invalid and not self.skip_bad_rows:
                    raise ValueError(f"{path}: row {invalid[0][0]}: {invalid[0][1]}")
                for b, r in invalid:
                    self._note_bad(path, "row", b, r)
                return None
            X, y, numbers, bad = self._convert(i, table, numbers, invalid)
            if len(numbers) == 0:
                return None
            return Chunk(
                X=X, y=y, file=path, row_numbers=numbers, end=Position(i, limit), bad_rows=bad
            )

        # pyarrow's threaded reader parses blocks in parallel but cannot number the rows it
        # refuses: it reads until a row is refused, then the file is read again from the
        # current range by the serial reader, which numbers them (with skip_bad_rows, serial
        # from the start, so that a file with a few bad rows is not read twice)
        pieces = self._pieces(i, start_row, threaded=_CSV_THREADS and not self.skip_bad_rows)
        while True:
            try:
                for table, numbers, reached in pieces:
                    if table is not None:
                        tables.append(table)
                        nums.append(numbers)
                    while reached >= end:
                        chunk = emit(end, end - B)
                        if chunk is not None:
                            yield chunk
                        end += B
                    if table is None:  # end of file: the last, partial range
                        if reached > end - B:
                            chunk = emit(reached, end - B)
                            if chunk is not None:
                                yield chunk
                return
            except _Reread:
                tables, nums = [], []
                self._invalid.clear()
                pieces = self._pieces(i, end - B, threaded=False)

    def _chunks(self, start):
        for i in range(start.file, len(self.files)):
            yield from self._file_chunks(i, start.row if i == start.file else 0)


# ---------------------------------------------------------------------------- SVMlight
def _has_data(line):
    """Whether scikit-learn's parser makes a row of this line (not blank, not only a comment)."""
    return bool(line.split(b"#", 1)[0].split())


class _SVMLightSource(Source):
    """SVMlight / LIBSVM files, ``batch_rows`` lines at a time through ``load_svmlight_file``."""

    def __init__(self, files, *, batch_rows, skip_bad_rows, n_features, zero_based, readahead):
        super().__init__()
        self.readahead = readahead
        self.files = files
        self.batch_rows = batch_rows
        self.skip_bad_rows = skip_bad_rows
        self.n_features = n_features
        # "auto" until decided on the first batch of the first file that holds an index
        self.zero_based = zero_based
        for path in files:
            with _FileErrors(path):
                with self._open(path) as f:
                    if not f.read(1):
                        raise ValueError(f"{path} is empty.")

    @staticmethod
    def _open(path):
        return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")

    def _load(self, block, zero_based, n_features):
        from sklearn.datasets import load_svmlight_file

        try:
            X, y = load_svmlight_file(
                io.BytesIO(block), n_features=n_features, zero_based=zero_based, dtype=np.float64
            )
        except OverflowError as exc:  # an index past 2**63 - 1: a bad line too
            raise ValueError(f"a feature index is outside int64 ({exc})") from None
        # a bad line, as one that does not parse: named, or skipped with skip_bad_rows
        for what, values in (("label", y), ("value", X.data)):
            infinite = ~np.isfinite(values)
            if infinite.any():
                raise ValueError(f"{what} {float(values[infinite][0])} is not finite")
        return X, y

    def _bad_lines(
        self, lines, zero_based, lo, hi, out, first_only=False, run=None, any_width=False
    ):
        """Indices of lines[lo:hi] the parser refuses, with the reason (bisection, in order;
        slow path). `first_only`: stop at the first. `run`: a one-item list counting refused
        lines since the last good one, which stops the search past _MAX_BAD_LINE_RUN.
        `any_width`: indices past n_features are not refused."""
        if first_only and out:
            return
        try:
            n_features = None if any_width else self.n_features
            self._load(b"".join(lines[lo:hi]), zero_based, n_features)
            if run is not None:
                run[0] = 0
            return
        except ValueError as exc:
            if hi - lo == 1:
                out.append((lo, str(exc)))
                if run is not None:
                    run[0] += 1
                    if run[0] > _MAX_BAD_LINE_RUN:
                        raise _TooMany(lo) from None
                return
        mid = (lo + hi) // 2
        self._bad_lines(lines, zero_based, lo, mid, out, first_only, run, any_width)
        self._bad_lines(lines, zero_based, mid, hi, out, first_only, run, any_width)

    def _decide_zero_based(self, lines):
        """sklearn's "auto" on one block: one-based unless an index 0 appears. None: no index."""
        rows = [line for line in lines if _has_data(line)]
        if not rows:
            return None
        try:
            X, _ = self._load(b"".join(rows), True, None)
        except ValueError:  # a bad line: decide on the lines that parse
            bad = []
            # (read as zero-based, an index equal to n_features is past the width: were such
            # a line left out, a one-based file would be decided later than its first index)
            self._bad_lines(rows, True, 0, len(rows), bad, any_width=True)
            skip = {k for k, _ in bad}
            rows = [line for k, line in enumerate(rows) if k not in skip]
            if not rows:
                return None
            X, _ = self._load(b"".join(rows), True, None)
        if X.nnz == 0 and len(X.indices) == 0:
            return None
        return bool(X.indices.min() == 0)

    def _resolve_zero_based(self):
        """Decide "auto" from the first file's blocks, as an uninterrupted first pass does."""
        for path in self.files:
            with _FileErrors(path), self._open(path) as f:
                while True:
                    lines = list(islice(f, self.batch_rows))
                    if not lines:
                        break
                    decided = self._decide_zero_based(lines)
                    if decided is not None:
                        self.zero_based = decided
                        return
        self.zero_based = True  # no index anywhere: nothing to shift

    def _block(self, path, lines, first_line):
        """(X, y, line numbers, bad count) of a block of lines starting at line `first_line`."""
        if self.zero_based == "auto":
            decided = self._decide_zero_based(lines)
            if decided is not None:
                self.zero_based = decided
        zero_based = True if self.zero_based == "auto" else self.zero_based  # no index yet
        numbers = np.array(
            [first_line + k for k, line in enumerate(lines) if _has_data(line)], dtype=np.int64
        )
        try:
            X, y = self._load(b"".join(lines), zero_based, self.n_features)
            if X.shape[0] == len(numbers):
                if len(numbers):
                    self._run = 0
                return X, y, numbers, 0
        except ValueError:
            pass
        rows = [lines[k - first_line] for k in numbers]
        bad = []
        run = [self._run] if self.skip_bad_rows else None
        try:
            self._bad_lines(
                rows, zero_based, 0, len(rows), bad, first_only=not self.skip_bad_rows, run=run
            )
        except _TooMany as many:
            raise ValueError(
                f"{path}: more than {_MAX_BAD_LINE_RUN:,} lines in a row (up to line "
                f"{numbers[many.args[0]]}) do not parse as SVMlight ({bad[-1][1]}); "
                "is it an SVMlight file?"
            ) from None
        if not bad:  # the whole block failed but no line alone does: refuse the block
            raise ValueError(
                f"{path}: lines {first_line}-{first_line + len(lines) - 1} do not "
                "parse as SVMlight."
            )
        if not self.skip_bad_rows:
            k, reason = bad[0]
            raise ValueError(f"{path}: line {numbers[k]}: {reason}")
        for k, reason in bad:
            self._note_bad(path, "line", int(numbers[k]), reason)
        self._run = run[0]
        drop = {k for k, _ in bad}
        keep = [k for k in range(len(rows)) if k not in drop]
        X, y = self._load(b"".join(rows[k] for k in keep), zero_based, self.n_features)
        return X, y, numbers[keep], len(bad)

    def _chunks(self, start):
        self._run = 0  # lines that did not parse since the last good one (skip_bad_rows)
        if self.zero_based == "auto" and start != Position():
            self._resolve_zero_based()
        for i in range(start.file, len(self.files)):
            path = self.files[i]
            line = start.row if i == start.file else 0
            with _FileErrors(path), self._open(path) as f:
                skipped = sum(1 for _ in islice(f, line))  # lines consumed before the resume point
                if skipped < line:
                    raise _past_the_end(path, line, skipped)
                while True:
                    lines = list(islice(f, self.batch_rows))
                    if not lines:
                        break
                    X, y, numbers, bad = self._block(path, lines, line + 1)
                    line += len(lines)
                    if len(numbers):
                        yield Chunk(
                            X=X,
                            y=y,
                            file=path,
                            row_numbers=numbers,
                            end=Position(i, line),
                            bad_rows=bad,
                        )


# ---------------------------------------------------------------------------- iterables
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


# ---------------------------------------------------------------------------- open_source
# the suffixes pyarrow decompresses by (pyarrow.Codec.detect), as it spells them
_COMPRESSED = (".gz", ".bz2", ".lz4", ".zst")
# compressions it does not: their bytes were parsed as text (a CSV's first "row" of binary)
_NOT_DECOMPRESSED = (".xz", ".lzma", ".lz", ".zip", ".7z", ".z", ".br", ".sz", ".snappy")


def _check_readable_path(path):
    """Refuse a path the readers cannot read as a file: a compressed suffix spelt in capitals
    (``.GZ``: pyarrow and gzip decompress by the suffix in lower case only, and would read the
    compressed bytes as text), or something that exists but is no regular file (a folder, a
    named pipe, whose opening waits for a writer, a device, /dev/stdin)."""
    suffix = os.path.splitext(os.fspath(path))[1]
    if suffix.lower() in _COMPRESSED and suffix not in _COMPRESSED:
        raise ValueError(
            f"{path}: its suffix {suffix} is read as compressed in lower case only; rename it "
            f"to end in {suffix.lower()}."
        )
    if os.path.isdir(path):
        raise ValueError(f"{path} is a directory, not a file.")
    if os.path.exists(path) and not os.path.isfile(path):
        raise ValueError(
            f"{path} is not a regular file (a pipe or a device): files are read by position, "
            "to read them again or resume; give the rows of a pipe to fit_stream as an "
            "iterable of batches."
        )


def _check_arrow_readable_name(path):
    """Refuse a file name that is not UTF-8 (its bytes kept as lone surrogates, as Python
    gives them from the command line or ``os.listdir``): pyarrow opens files by a UTF-8 name
    and failed with a codec error that named no file."""
    name = os.fspath(path)
    if isinstance(name, str):
        try:
            name.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(name[exc.start])
            # (a byte that is no UTF-8 is kept as U+DC80-U+DCFF; another lone surrogate is
            # itself what cannot be encoded)
            what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
            raise ValueError(
                f"{name!r}: the file name is not UTF-8 ({what}), and CSV and "
                "Parquet files are opened by a UTF-8 name; rename the file."
            ) from None


def _format_of(path):
    name = os.fspath(path).lower()
    for suffix, fmt, delimiter in _SUFFIXES:
        if name.endswith(suffix):
            return fmt, delimiter
    return None, None


def open_source(
    source: Any,
    *,
    format: str | None = None,
    target: str | None = None,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] | None = None,
    batch_rows: int = 65536,
    skip_bad_rows: bool = False,
    delimiter: str | None = None,
    target_dtype: str = "float64",
    n_features: int | None = None,
    zero_based: bool | str = "auto",
    readahead: int = 0,
) -> "Source":
    """Open files or batches as a :class:`Source` of chunks with bounded memory.

    Parameters
    ----------
    source : str, path-like, list of them, Source, or iterable of batches
        One file or a list of files of one format; a :class:`Source` (returned as is); or an
        iterable of pandas DataFrames (holding the `target` column) or of ``(X, y)`` tuples,
        each batch becoming one chunk.
    format : {"csv", "parquet", "svmlight"}, default=None
        None: from the suffix (``.csv``, ``.tsv`` (tab-delimited), ``.parquet``, ``.pq``,
        ``.svm``, ``.svmlight``, ``.libsvm``; CSV, TSV and SVMlight also gzip'd, ``.gz``).
    target : str, default=None
        The target column (CSV, Parquet, DataFrames). None: chunks have ``y=None`` (prediction).
        SVMlight files always give their labels as y.
    numeric : sequence of str, default=()
        Columns read as float64 (NaN for missing); a value that is not a number makes its row
        bad.
    categorical : list of str, default=None
        Columns read as a pandas Categorical of str (dictionary-encoded, never Python objects).
        None: every column that is neither the target nor numeric. Other columns are not read.
    batch_rows : int, default=65536
        Physical rows (lines for SVMlight) per chunk. A read's memory is a few blocks of the
        file plus a chunk, but for Parquet, whose reader decompresses a row group's column
        chunks at once: there it follows the file's row groups (write them with
        ``row_group_size`` near ``batch_rows`` for a bounded read).
    skip_bad_rows : bool, default=False
        False: a malformed row (wrong number of fields, a value that is not a number in a
        numeric or float target column, a missing target, an SVMlight line that does not parse)
        raises ValueError ``"<file>: row N: <reason>"`` (``line N`` for SVMlight). True: such
        rows are skipped and counted (``Chunk.bad_rows``, ``Source.bad_rows``,
        ``Source.bad_row_examples``), but more than 100,000 malformed CSV rows or 10,000
        SVMlight lines in a row, no good one among them, stop the read with ValueError (such
        a file is rather of another format or delimiter). Either way, a quoted field left open
        to the end of a CSV file (a stray ``"``), which pyarrow would read the rest of the file
        into, raises ValueError naming its row (not checked for the file's last column when
        its name is also another column's). To tell such a field in the last column from a
        closed one holding line ends, the file's end is read once more (a compressed file is
        then decompressed again; in later passes only if the file's size, time or inode
        changed). A field left open with no line end in it but the file's last ones swallowed
        no row: it is the rest of its row (its text keeping those line ends), or a malformed
        row if short of fields. A known pyarrow defect (apache/arrow#51368, open in pyarrow
        26): a ``\\r\\n`` inside a quoted field whose ``\\r`` ends one of pyarrow's 2 MiB read
        blocks loses its ``\\n`` (the text value then holds ``\\r`` alone), and a stray quote
        whose field holds such a line end is not recognised as left open.
    delimiter : str, default=None
        The CSV field delimiter. None: a tab if a file's name ends in ``.tsv`` (or
        ``.tsv.gz``...), else ",".
    target_dtype : {"float64", "str"}, default="float64"
        The type of y; "str" gives an object array of str (class labels as written).
    n_features : int, default=None
        SVMlight only, and required there: the width of every chunk's matrix. Ignored for other
        formats.
    zero_based : bool or "auto", default="auto"
        SVMlight only: whether the indices of the file start at 0. "auto" decides as
        scikit-learn does for a whole file (one-based unless an index 0 appears), on the first
        batch of the first file that holds an index; the decision is then fixed for every chunk
        and pass (``Source.zero_based`` shows it), so a file whose first 0 index comes later is
        read one-based: pass ``zero_based=True`` for it.
    readahead : int, default=0
        Files: how many chunks a background thread prepares ahead of the caller, so that
        reading, decompressing and parsing (which release the GIL) can overlap with the
        caller's work on the chunk at hand; memory grows by that many chunks. 0: everything
        happens in the caller's thread. Iterables are always read in the caller's thread.
        Closing the stream, or a first Ctrl-C, waits until the chunk being read is done (a
        second Ctrl-C gives up the wait); read a file that can block for good (on a network
        mount that may hang) with 0. Files are regular files: a named pipe or a device is
        refused (they are read by position, again for each pass or resume).

    Returns
    -------
    source : Source
        Call ``source.chunks()`` for each pass, ``source.chunks(chunk.end)`` to resume.

    Examples
    --------
    >>> import pandas as pd
    >>> from sparsereg.stream import open_source
    >>> batches = [pd.DataFrame({"city": ["Oslo", "Rome"], "clicked": [1, 0]}),
    ...            pd.DataFrame({"city": ["Lima"], "clicked": [1]})]
    >>> source = open_source(batches, target="clicked")
    >>> [(list(c.X["city"]), c.y.tolist(), c.row_numbers.tolist()) for c in source.chunks()]
    [(['Oslo', 'Rome'], [1.0, 0.0], [1, 2]), (['Lima'], [1.0], [3])]
    """
    if isinstance(source, Source):
        return source
    if (
        isinstance(batch_rows, (bool, np.bool_))
        or not isinstance(batch_rows, (int, np.integer))
        or batch_rows < 1
    ):
        raise ValueError(f"batch_rows must be a positive int, got {batch_rows!r}.")
    batch_rows = int(batch_rows)
    if target_dtype in ("float64", np.float64, float) or (
        isinstance(target_dtype, np.dtype) and target_dtype == np.float64
    ):
        target_dtype = "float64"
    elif target_dtype in ("str", str):
        target_dtype = "str"
    else:
        raise ValueError(f"target_dtype must be 'float64' or 'str', got {target_dtype!r}.")
    if target is not None and not isinstance(target, str):
        raise TypeError(f"target must be a column name (str) or None, got {target!r}.")
    if isinstance(numeric, str) or isinstance(categorical, str):
        raise TypeError("numeric and categorical take lists of column names, not a str.")
    numeric = list(numeric)
    if categorical is not None:
        categorical = list(categorical)
    for name in numeric + (categorical or []):
        if not isinstance(name, str):
            raise TypeError(f"column names must be str, got {name!r}.")
    both = sorted(set(numeric) & set(categorical or []))
    if both:
        raise ValueError(f"columns {both} are given as numeric and as categorical.")
    if target is not None and (target in numeric or target in (categorical or [])):
        raise ValueError(f"the target {target!r} is also given as a feature column.")
    if skip_bad_rows not in (True, False):
        raise TypeError(f"skip_bad_rows must be a bool, got {skip_bad_rows!r}.")
    if (
        isinstance(readahead, (bool, np.bool_))
        or not isinstance(readahead, (int, np.integer))
        or readahead < 0
    ):
        raise ValueError(f"readahead must be an int >= 0, got {readahead!r}.")
    readahead = int(readahead)
    if format is not None and format not in _FORMATS:
        raise ValueError(f"format must be one of {list(_FORMATS)} or None, got {format!r}.")

    if isinstance(source, (str, os.PathLike)):
        paths = [source]
    elif (
        isinstance(source, (list, tuple))
        and source
        and all(isinstance(p, (str, os.PathLike)) for p in source)
    ):
        paths = list(source)
    else:
        paths = None
    if paths is None:
        if isinstance(source, (bytes, dict)) or not hasattr(source, "__iter__"):
            raise TypeError(
                f"source must be a path, a list of paths, a Source or an iterable of "
                f"batches, got {type(source).__name__}."
            )
        return _IterableSource(source, target=target, target_dtype=target_dtype)

    files = [os.fspath(p) for p in paths]
    found = {}
    for path in files:
        fmt, tab = _format_of(path)
        if format is None and fmt is None:
            raise ValueError(
                f"cannot tell the format of {path} from its suffix; pass format= one "
                f"of {list(_FORMATS)} (suffixes: .csv, .tsv, .parquet, .pq, .svm, "
                ".svmlight, .libsvm, and .gz for the text formats)."
            )
        found.setdefault(format or fmt, []).append(path)
        if tab and delimiter is None:
            delimiter = "\t"
    if len(found) > 1:
        raise ValueError(
            f"the files are of several formats ({sorted(found)}); open one source per format."
        )
    fmt = next(iter(found))
    for path in files:
        suffix = os.path.splitext(path)[1]
        if fmt != "parquet" and suffix.lower() in _NOT_DECOMPRESSED:
            read = _COMPRESSED if fmt == "csv" else (".gz",)  # (SVMlight: gzip alone)
            raise ValueError(
                f"{path}: {suffix} files are not decompressed by the {fmt} reader (it "
                f"decompresses {', '.join(read)}); decompress it, or compress it with "
                f"{'gzip or zstd' if fmt == 'csv' else 'gzip'}."
            )
        if fmt == "svmlight" and suffix.lower() in _COMPRESSED and suffix.lower() != ".gz":
            raise ValueError(  # (its bytes were read as text)
                f"{path}: SVMlight files are read plain or gzip'd (.gz), not {suffix}; "
                "decompress it, or compress it with gzip."
            )
        _check_readable_path(path)
        if fmt != "svmlight":
            _check_arrow_readable_name(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such file.")
        if not os.access(path, os.R_OK):
            raise PermissionError(f"{path}: not readable.")
    if fmt == "svmlight":
        if (
            n_features is None
            or isinstance(n_features, (bool, np.bool_))
            or not isinstance(n_features, (int, np.integer))
            or n_features < 1
        ):
            raise ValueError(
                "reading SVMlight in chunks needs n_features (a positive int): "
                f"every chunk must have the same width; got {n_features!r}."
            )
        if zero_based not in (True, False, "auto"):
            raise ValueError(f"zero_based must be True, False or 'auto', got {zero_based!r}.")
        return _SVMLightSource(
            files,
            batch_rows=batch_rows,
            skip_bad_rows=skip_bad_rows,
            n_features=int(n_features),
            zero_based=zero_based,
            readahead=readahead,
        )
    if delimiter is None:
        delimiter = ","
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, got {delimiter!r}.")
    return _ArrowSource(
        files,
        fmt,
        target=target,
        numeric=numeric,
        categorical=categorical,
        batch_rows=batch_rows,
        skip_bad_rows=skip_bad_rows,
        delimiter=delimiter,
        target_dtype=target_dtype,
        readahead=readahead,
    )
