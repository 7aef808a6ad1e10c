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

import itertools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._model_checks import COLUMN_KINDS
from ._arrow_source import GIVEN_KINDS_SAID, _ArrowSource
from ._iterable_source import _IterableSource
from ._source import Source
from ._svmlight_source import _SVMLightSource

__all__ = ["open_source"]


# the suffixes pyarrow decompresses by (pyarrow.Codec.detect), as it spells them
_COMPRESSED = (".gz", ".bz2", ".lz4", ".zst")
# suffix -> (format, delimiter or None); longest suffixes first: CSV compressed by any codec
# pyarrow decompresses (as pandas' read_csv takes them), SVMlight by gzip only
_SUFFIXES = [
    *((".csv" + codec, "csv", None) for codec in _COMPRESSED),
    *((".tsv" + codec, "csv", "\t") for codec in _COMPRESSED),
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


def delimiters_by_suffix(paths):
    """Delimiter -> the first of ``paths`` whose suffix gives it (a tab for ``.tsv``, else
    ","; a file whose suffix names no CSV, read by ``format="csv"``, gives none)."""
    first_of = {}
    for path in paths:
        fmt, tab = _format_of(path)
        if fmt == "csv":
            first_of.setdefault(tab or ",", path)
    return first_of


def _at_most_max_count(name, value):
    # (row numbers and column indices are int64: SVMlight's islice took no more than
    # sys.maxsize rows, and its indices refused a width beyond int64 as the file's)
    if value > 2**63 - 1:
        raise ValueError(f"{name} must be at most 2**63 - 1 (an int64), got {value}.")
    return value


def _checked_kinds(column_kinds, inferred):
    """``column_kinds`` as a dict of inferred columns' names to kinds, checked."""
    if column_kinds is None:
        return {}
    if not isinstance(column_kinds, dict):
        raise TypeError(
            "column_kinds must be a dict of column names to 'number', 'bool' or 'text', "
            f"got {type(column_kinds).__name__}."
        )
    outside = "which is not read as pandas reads it (inferred); its kind is that of how it is read."
    check_kind_items(column_kinds.items(), inferred, "column_kinds", outside)
    return dict(column_kinds)


def check_kind_items(items, inferred, label, outside):
    """Refuse a (name, kind) pair whose name is no str or not among ``inferred`` (unless
    None: any name), or whose kind is not one of `COLUMN_KINDS`; ``label`` names the
    argument, ``outside`` ends the message of a name not inferred."""
    for name, kind in items:
        if not isinstance(name, str):
            raise TypeError(f"{label}: column names must be str, got {name!r:.100}.")
        if not (isinstance(kind, str) and kind in COLUMN_KINDS):
            raise ValueError(
                f"{label}[{name!r:.100}] must be one of {COLUMN_KINDS}, got {kind!r:.100}."
            )
        if inferred is not None and name not in inferred:
            raise ValueError(f"{label} names {name!r:.100}, {outside}")


def paths_of(source):
    """The paths ``source`` names (a path, or a list of them), or None for other sources."""
    if isinstance(source, (str, os.PathLike)):
        return [source]
    if (
        isinstance(source, (list, tuple))
        and source
        and all(isinstance(p, (str, os.PathLike)) for p in source)
    ):
        return list(source)
    return None


def open_saying_whose_kinds(said, source, **options):
    """``open_source(source, **options)`` whose messages say that the column kinds given
    come ``said`` (the model's, a fitted hasher's) rather than "as column_kinds says";
    ``said`` None: as open_source."""
    try:
        src = open_source(source, **options)
    except ValueError as exc:  # (a Parquet column of the other type, refused as it is opened)
        if said is None or GIVEN_KINDS_SAID not in str(exc):
            raise
        raise ValueError(str(exc).replace(GIVEN_KINDS_SAID, said)) from None
    if said is not None and isinstance(src, _ArrowSource):
        src._given_kinds_said = said
    return src


def open_source(
    source: Any,
    *,
    format: str | None = None,
    target: str | None = None,
    weight_column: str | None = None,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] | None = None,
    inferred: Sequence[str] | None = (),
    batch_rows: int = 65536,
    skip_bad_rows: bool = False,
    delimiter: str | None = None,
    target_dtype: str = "float64",
    n_features: int | None = None,
    zero_based: bool | str = "auto",
    readahead: int = 0,
    column_kinds: dict | None = None,
) -> "Source":
    """Open files or batches as a :class:`Source` of chunks with bounded memory.

    Parameters
    ----------
    source : str, path-like, list of them, Source, or iterable of batches
        One file or a list of files of one format; a :class:`Source` (returned as is); or an
        iterable of pandas DataFrames (holding the `target` column) or of ``(X, y)`` or
        ``(X, y, w)`` tuples (``w``: each row's weight), each batch becoming one chunk.
    format : {"csv", "parquet", "svmlight"}, default=None
        None: from the suffix (``.csv``, ``.tsv`` (tab-delimited), ``.parquet``, ``.pq``,
        ``.svm``, ``.svmlight``, ``.libsvm``; CSV and TSV also compressed, ``.gz``, ``.bz2``,
        ``.lz4``, ``.zst``; SVMlight also gzip'd, ``.gz``).
    target : str, default=None
        The target column (CSV, Parquet, DataFrames). None: chunks have ``y=None`` (prediction).
        SVMlight files always give their labels as y.
    weight_column : str, default=None
        A numeric column of each row's weight (CSV, Parquet, DataFrames), read as float64 into
        ``Chunk.sample_weight`` and, as the target, not among the features (a bool, or a CSV's
        True or False, also TRUE, true, FALSE, false, as 1 or 0). A weight that is
        missing, not a number, not finite or negative makes a file's row bad (named, or skipped
        with ``skip_bad_rows``); a batch's is a ValueError naming its row. SVMlight has no
        weight column (scikit-learn's reader reads none): refused there. An ``(X, y, w)`` batch
        gives its weights as its third item.
    numeric : sequence of str, default=()
        Columns read as numbers; a value that is not a number makes its row bad. A column of
        integers (of a Parquet integer type or decimal of no fractional digit, or a CSV
        chunk's text of decimal integers only, blanks around them and a "+" allowed, as pandas
        reads them) is read as int64, or uint64 beyond int64 (pandas' nullable Int64 or UInt64
        where values are missing), which :class:`~sparsereg.FeatureCrossHasher` hashes and
        buckets exactly, as that integer column in memory (float64 would merge ids beyond
        2**53 that differ in their last digits); any other as float64 (NaN for missing). A CSV
        chunk holding another number ("5.5", "1e3") reads its column as float64, where each
        integer is the same feature as in a chunk of integers (5.0 is hashed as 5): its values
        written as a chunk of integers holds them beyond 2**53 are kept as ints then (the
        column of objects).
    categorical : list of str, default=None
        Columns read as a pandas Categorical of str (dictionary-encoded, never Python objects).
        None: every column that is neither the target, the weight column, numeric nor
        inferred. Other columns are not read.
    inferred : sequence of str or None, default=()
        Columns read as pandas reads them (``read_csv``, ``read_parquet``), so that
        :class:`~sparsereg.FeatureCrossHasher` hashes them alike (123 is not "123"): a Parquet
        column by its type (a decimal with a fraction, or of integers beyond uint64, as
        ``Decimal`` objects); a CSV column by the values of the file's first rows (its first
        64 KiB, or the block a longer header or first row needed; its whole if smaller): as
        numbers when they are all numbers or missing as read_csv reads them (infinities
        "inf", "Infinity", "1e400" kept; ASCII blanks around a number allowed, Unicode ones
        not; NaN only as pandas' spellings of missing: "NAN", "+nan", " inf" are text); as 1
        and 0, which the hasher hashes as pandas' bools, when they are all True or False in
        any case (true, TRUE, tRUE...) or missing; one at least a value either way; else as
        text, pandas' spellings of missing ("NA", "null", "nan"...) missing. Unlike pandas
        still: a CSV column with no value in its first rows is read as text, unless another
        file's first rows decide its kind (read_csv: as float64 if all its values are
        numbers); a later value that does not fit a column
        read as numbers or bools makes its row bad (name the column in `categorical` to read
        it as text, "NA" then text), where read_csv reads the column as text, or in a file of
        more than 262,144 rows as numbers and str mixed, with a DtypeWarning; CSV integers
        beyond float64's exact ones stay exact where read_csv rounds them to float64 (ids
        from 2**53 with missing values, or with another number: 9007199254740993 and 1.5),
        and are read as integers where read_csv reads text (integers beyond int64 with
        negative ones), a 5000-digit integer as inf (text to read_csv); a Parquet timestamp,
        date or binary column is read as text, and an empty string of a Parquet text column
        as missing. None: every column that is neither the target, the weight column,
        numeric nor categorical (`categorical` a list then).
        ``fit_stream`` and the command line read so every column that a
        :class:`~sparsereg.FeatureCrossHasher` hashes without buckets, named in its crosses or
        not (``crosses=None``: every column but the target and the weight column).
        A column's kind is decided once, by the first file whose first rows hold a value of
        it, and kept for the later files (``Source.column_kinds`` shows them): a later file's
        value that does not fit makes its row bad, as in a file after its first rows (a CSV
        column of numbers whose first rows in a later file hold text is read as numbers
        there, not as text, which the hasher would hash apart: ``94110`` is not
        ``"94110"``); a later Parquet file whose column is of the other type (text, or
        numbers and bools) is refused.
    column_kinds : dict of str to {"number", "bool", "text"}, default=None
        Kinds of `inferred` columns decided before: read so in every CSV file instead of as
        its first rows would decide, a value that does not fit making its row bad (a Parquet
        column, read by its type, is refused if of the other type). ``sparsereg predict``
        passes the kinds recorded in the model (:func:`~sparsereg.export_model`'s
        ``hashed_columns``), so that a file whose column of numbers holds a stray text value
        is not read as text, which would give every row a prediction without that column.
        Files (CSV, Parquet) only.
    batch_rows : int, default=65536
        Physical rows (lines for SVMlight) per chunk. A read's memory is a few blocks of the
        file plus a chunk, whatever the file's size; for Parquet, of the row group being read:
        its pages come through a 1 MiB buffer per column as the chunks need them, but the
        columns read as categories take memory that grows with the row group's size (write
        row groups near ``batch_rows`` rows for the least).
    skip_bad_rows : bool, default=False
        False: a malformed row (wrong number of fields, a value that is not a number in a
        numeric or float target column, a missing target, an SVMlight line that does not parse)
        raises ValueError ``"<file>: row N: <reason>"`` (``line N`` for SVMlight). True: such
        rows are skipped and counted (``Chunk.bad_rows``, ``Source.bad_rows``,
        ``Source.bad_row_examples``), but more than 100,000 malformed CSV rows or 10,000
        SVMlight lines in a row, no good one among them, stop the read with ValueError (such
        a file is rather of another format or delimiter). Either way, a CSV row longer than
        pyarrow's 2 MiB read block can raise ValueError naming its file, not its row (past
        4 MiB it does), an SVMlight line longer than 64 MiB one naming its line; and a quoted
        field left open
        to the end of a CSV file (a stray ``"``), which pyarrow would read the rest of the file
        into, raises ValueError naming its row (a file whose last column's name is also an
        earlier column's is read with every column, as text those not used, to have that last
        one: slower). To tell such a field in the last column from a closed one holding line
        ends, the file's end is read once more (a compressed file is then decompressed again; in
        later passes only if the file's size, time or inode changed). A field left open with no
        line end in it but the file's last ones swallowed no row: it is the rest of its row (its
        text keeping those line ends), or a malformed row if short of fields. A known pyarrow
        defect (apache/arrow#51368, open in pyarrow 26): a ``\\r\\n`` inside a quoted field
        whose ``\\r`` ends one of pyarrow's 2 MiB read blocks loses its ``\\n`` (the text value
        then holds ``\\r`` alone), and a stray quote whose field holds such a line end is not
        recognised as left open.
    delimiter : str, default=None
        The CSV field delimiter, one for every file: an ASCII character, not NUL, a quote or a
        line end. None: a tab if the files' names end in ``.tsv`` (or ``.tsv.gz``...), else ","
        (files of both kinds are refused).
    target_dtype : {"float64", "str"}, default="float64"
        The type of y; "str" gives an object array of str (class labels as written). As
        float64, a bool target is 1.0 or 0.0: a Parquet file's or a DataFrame's bool column,
        and a CSV's True or False (also TRUE, true, FALSE, false), so that a classifier
        fitted on bools (``classes_`` ``[False, True]``) reads them as its classes.
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
        refused (they are read by position, again for each pass or resume); a CSV or Parquet
        file that changes while a pass reads it (its size, time or inode: rows lost, its last
        row cut off where its writer was, other bytes, or another file) raises ValueError
        before any row read after the change is given, and a CSV file whose header changed
        since it was opened raises ValueError (open it again).

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
    batch_rows = _at_most_max_count("batch_rows", int(batch_rows))
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
    if any(isinstance(names, str) for names in (numeric, categorical, inferred)):
        raise TypeError("numeric, categorical and inferred take lists of column names, not a str.")
    if inferred is None and categorical is None:
        raise ValueError(
            "inferred and categorical are both None (each would take every column not named "
            "otherwise); give one of them a list of column names."
        )
    numeric = list(numeric)
    if inferred is not None:
        inferred = list(inferred)
    if categorical is not None:
        categorical = list(categorical)
    for name in numeric + (inferred or []) + (categorical or []):
        if not isinstance(name, str):
            raise TypeError(f"column names must be str, got {name!r}.")
    for (kind, names), (other, others) in itertools.combinations(
        [("numeric", numeric), ("categorical", categorical or []), ("inferred", inferred or [])],
        2,
    ):
        both = sorted(set(names) & set(others))
        if both:
            raise ValueError(f"columns {both} are given as {kind} and as {other}.")
    features = numeric + (inferred or []) + (categorical or [])
    if target is not None and target in features:
        raise ValueError(f"the target {target!r} is also given as a feature column.")
    if weight_column is not None:
        if not isinstance(weight_column, str):
            raise TypeError(
                f"weight_column must be a column name (str) or None, got {weight_column!r}."
            )
        if weight_column == target:
            raise ValueError(
                f"weight_column {weight_column!r} is the target column; name another column."
            )
        if weight_column in features:
            raise ValueError(
                f"the weight column {weight_column!r} is also given as a feature column."
            )
    if skip_bad_rows not in (True, False):
        raise TypeError(f"skip_bad_rows must be a bool, got {skip_bad_rows!r}.")
    if (
        isinstance(readahead, (bool, np.bool_))
        or not isinstance(readahead, (int, np.integer))
        or readahead < 0
    ):
        raise ValueError(f"readahead must be an int >= 0, got {readahead!r}.")
    readahead = int(readahead)
    column_kinds = _checked_kinds(column_kinds, inferred)
    if format is not None and format not in _FORMATS:
        raise ValueError(f"format must be one of {list(_FORMATS)} or None, got {format!r}.")

    paths = paths_of(source)
    if paths is None:
        if isinstance(source, (bytes, dict)) or not hasattr(source, "__iter__"):
            raise TypeError(
                f"source must be a path, a list of paths, a Source or an iterable of "
                f"batches, got {type(source).__name__}."
            )
        if hasattr(source, "columns") and hasattr(source, "dtypes"):
            raise TypeError(  # (a DataFrame iterates its column names)
                f"source is a {type(source).__name__}, not an iterable of batches: give "
                "a list of DataFrames ([frame] for one batch)."
            )
        if column_kinds:
            raise ValueError(
                "column_kinds: batches hold their values as they are, not text to read; it "
                "is for CSV and Parquet files."
            )
        return _IterableSource(
            source, target=target, weight_column=weight_column, target_dtype=target_dtype
        )

    files = [os.fspath(p) for p in paths]
    found = {}
    for path in files:
        fmt, _ = _format_of(path)
        if format is None and fmt is None:
            raise ValueError(
                f"cannot tell the format of {path} from its suffix; pass format= one "
                f"of {list(_FORMATS)} (suffixes: .csv, .tsv, .parquet, .pq, .svm, "
                ".svmlight, .libsvm; .gz for the text formats, and .bz2, .lz4, .zst for CSV)."
            )
        found.setdefault(format or fmt, []).append(path)
    if len(found) > 1:
        raise ValueError(
            f"the files are of several formats ({sorted(found)}); open one source per format."
        )
    fmt = next(iter(found))
    if fmt == "csv" and delimiter is None:
        implied = delimiters_by_suffix(files)
        if len(implied) > 1:  # (one delimiter reads every file: a tab read a .csv as one column)
            tabbed, other = implied["\t"], implied[","]
            raise ValueError(
                f"{tabbed} is tab-delimited by its suffix but {other} is not; "
                "the files are read with one delimiter: pass delimiter=, or open one source "
                "per delimiter."
            )
        delimiter = next(iter(implied), ",")
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
        if column_kinds:
            raise ValueError(
                "column_kinds: SVMlight files hold numbers only; it is for CSV and Parquet."
            )
        if weight_column is not None:
            raise ValueError(
                f"weight_column={weight_column!r}: SVMlight files have no weight column "
                "(scikit-learn's reader reads a label and features per line, no weight); "
                "give the rows as CSV or Parquet with a weight column, or as (X, y, w) batches."
            )
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
            n_features=_at_most_max_count("n_features", int(n_features)),
            zero_based=zero_based,
            readahead=readahead,
        )
    if delimiter is None:
        delimiter = ","
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, got {delimiter!r}.")
    if delimiter in '"\r\n':  # (a quote read each line as one field: "not found")
        raise ValueError(
            f"delimiter {delimiter!r} quotes fields or ends lines; give another character."
        )
    if not "\x01" <= delimiter <= "\x7f":  # (pyarrow's "Expecting an ASCII character")
        raise ValueError(
            f"delimiter {delimiter!r} is not an ASCII character other than NUL (pyarrow reads "
            "one byte); give another character."
        )
    return _ArrowSource(
        files,
        fmt,
        target=target,
        weight_column=weight_column,
        numeric=numeric,
        inferred=inferred,
        categorical=categorical,
        batch_rows=batch_rows,
        skip_bad_rows=skip_bad_rows,
        delimiter=delimiter,
        target_dtype=target_dtype,
        readahead=readahead,
        column_kinds=column_kinds,
    )
