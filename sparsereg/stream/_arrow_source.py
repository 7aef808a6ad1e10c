"""CSV and Parquet files read as a :class:`~sparsereg.stream.Source` through pyarrow's streaming
readers (``pyarrow.csv.open_csv``, ``pyarrow.parquet.ParquetFile.iter_batches``): their columns
converted to numbers or hashed text, the rows the parser refuses numbered, a quote left open to
a file's end found. pyarrow and pandas are imported only when such a file is read.
"""

import hashlib
import os
import re
from collections import Counter

import numpy as np

from .._column_kinds import arrow_kind
from .._tokens import used_codes
from ._source import Chunk, Position, Source, _FileErrors, _import_pyarrow, _past_the_end

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
# an inferred column's kinds, as messages say them
_KIND_WORDS = {"number": "numbers", "bool": "True or False", "text": "text"}
# bytes of a Parquet column chunk read at a time (each column read has its buffer, at most
# its chunk's size): pages are read as the chunks need them, not every row group ahead;
# columns read as categories still take memory that grows with a row group's size
_PARQUET_BUFFER_BYTES = 1 << 20
# the longest CSV header read (bytes): the first rows are read in a block of up to this size,
# and the rows then in blocks twice as large
_MAX_HEADER = 1 << 25
# parse CSV blocks in pyarrow's thread pool (rows refused by the parser are then numbered by
# reading again serially; see _ArrowSource._file_chunks)
_CSV_THREADS = True
# with skip_bad_rows, this many malformed rows with no good one among them stop the read: their
# numbers are held until a good row comes, and such a file is rather of another format
_MAX_REFUSED_RUN = 100_000

# where column kinds given come from, as messages say it unless told (open_saying_whose_kinds)
GIVEN_KINDS_SAID = "as column_kinds says"


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


def _decoded(pa, pc, arr):
    """An Arrow array's values, a dictionary's decoded, text spelling missing as null."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    return _as_null(pa, pc, arr)


def _to_float(pa, pc, arr, inferred=False):
    """(float64 array with nulls, positions that are not numbers) of a `_decoded` array;
    ``inferred``: text read as read_csv reads numbers (ASCII blanks only around one, no
    `_numbers_as_text`)."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        try:
            return pc.cast(arr, pa.float64()), []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. a timestamp column
            arr = pc.cast(arr, pa.string())
    try:
        values = pc.cast(arr, pa.float64())
    except pa.ArrowInvalid:
        values = None
    # a `_numbers_as_text` value has blanks (the cast fails) or casts to NaN: the regex, 7x
    # the cast's time, only then
    mask = None
    if inferred and (values is None or pc.any(pc.is_nan(values)).as_py()):
        mask = _numbers_as_text(pa, pc, arr)
    if mask is None:
        if values is not None:
            return values, []
        bad = []
    else:
        arr = pc.if_else(mask, pa.scalar(None, arr.type), arr)
        bad = np.flatnonzero(mask.to_numpy(zero_copy_only=False)).tolist()
        try:
            return pc.cast(arr, pa.float64()), bad
        except pa.ArrowInvalid:
            pass
    # " 2" is a number to pandas, not to Arrow's cast (and "\xa02" text to pandas)
    arr = (pc.ascii_trim_whitespace if inferred else pc.utf8_trim_whitespace)(arr)
    try:
        return pc.cast(arr, pa.float64()), bad
    except pa.ArrowInvalid:
        pass
    _bad_positions(pa, pc, arr, 0, len(arr), bad)
    bad = sorted(bad)
    mask = np.zeros(len(arr), dtype=bool)
    mask[bad] = True
    clean = pc.if_else(pa.array(mask), pa.scalar(None, arr.type), arr)
    return pc.cast(clean, pa.float64()), bad


# ASCII blanks (pc.ascii_trim_whitespace's): pandas reads a number with them around it
_BLANK = r"[ \t\n\v\f\r]"
# text Arrow's cast reads as a number (blanks trimmed) and read_csv as text: NaN ("NAN",
# "+nan", "nan(1)": pandas' own spellings of it, `_NULL_VALUES`, are missing already), and an
# infinity with blanks around it (" inf"; "1e400 " is a number to both)
_NUMBERS_AS_TEXT = (
    f"(?i)^{_BLANK}*[+-]?nan|^{_BLANK}+[+-]?inf[a-z]*{_BLANK}*$|^[+-]?inf[a-z]*{_BLANK}+$"
)


def _numbers_as_text(pa, pc, arr):
    """A bool array of the values of text ``arr`` (`_decoded`) that Arrow's cast reads as
    numbers and read_csv as text (`_NUMBERS_AS_TEXT`); None if there is none."""
    found = pc.match_substring_regex(arr, _NUMBERS_AS_TEXT)
    return pc.fill_null(found, False) if pc.any(found).as_py() else None


# float64 holds every integer of smaller magnitude: a number written as a decimal integer at or
# beyond it is kept as that integer when its column cannot be read as integers
_FLOAT_EXACT = 2.0**53


def _text_integers(pa, pc, arr):
    """Text whose values (nulls aside) are all decimal integers ("-12", "007") as int64, or
    uint64 when one is beyond int64; None for other text. A cast is tried only on such text:
    Arrow's cast of text that is not an integer costs ~0.3 us a value, 20 times a float's."""
    # (the first values first: a column of other numbers mostly shows one among them)
    for part in (arr.slice(0, 1024), arr):
        first = pc.index(pc.ascii_is_decimal(part), False).as_py()
        if first >= 0 and not part[first].as_py().startswith("-"):
            return None
    signed = first >= 0
    if signed and not pc.all(pc.ascii_is_decimal(pc.ascii_ltrim(arr, "-"))).as_py():
        return None
    try:
        # 19 digits or more can be beyond int64: unsigned, read as uint64 (a failing int64
        # cast costs as above for each value beyond it)
        if not signed and pc.max(pc.binary_length(arr)).as_py() >= 19:
            values = pc.cast(arr, pa.uint64())
            return values if pc.max(values).as_py() >= 2**63 else values.cast(pa.int64())
        return pc.cast(arr, pa.int64())
    except pa.ArrowInvalid:  # beyond int64 (or uint64), or "--5"
        return None


def _as_decimals(pa, pc, arr):
    """Whether an inferred column is read as ``Decimal`` objects, as pandas.read_parquet gives
    it: a decimal with fractional digits, or of none with a value beyond int64 and uint64
    (`_integers` cannot hold it: float64 would merge ids)."""
    kind = arr.type.value_type if pa.types.is_dictionary(arr.type) else arr.type
    if not pa.types.is_decimal(kind):
        return False  # (a dictionary of another type is not decoded to see it)
    if kind.scale > 0:
        return True
    return _integers(pa, pc, arr.cast(kind) if kind != arr.type else arr) is None


def _distinct_decimals(pa, arr):
    """A decimal column as a dictionary of its distinct values, which `_frame_of` gives as a
    Categorical of ``Decimal`` objects: the hasher hashes it as the rows' Decimals, each
    distinct value once (a million rows of decimal(12, 2), each a Decimal object: 1.4 s more
    in the hasher)."""
    if pa.types.is_dictionary(arr.type):  # (its dictionary may repeat a value)
        arr = arr.dictionary_decode()
    return arr.dictionary_encode()


def _integers(pa, pc, arr):
    """An int64 or uint64 array of a column of integers: of an Arrow integer type, a decimal
    of no fractional digit (Parquet's ``decimal(38, 0)`` ids) whose values int64 or uint64
    holds, or text (nulls aside, at least one value) of decimal integers only
    (`_text_integers`); else None."""
    if pa.types.is_integer(arr.type):
        return arr if arr.type in (pa.int64(), pa.uint64()) else arr.cast(pa.int64())
    if pa.types.is_decimal(arr.type):
        if arr.type.scale > 0:
            return None
        for integers in (pa.int64(), pa.uint64()):
            try:
                return arr.cast(integers)
            except pa.ArrowInvalid:  # a value beyond it
                pass
        return None
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        return None
    if arr.null_count == len(arr):  # no value: NaN, as in a column of numbers
        return None
    return _text_integers(pa, pc, arr)


def _all_numbers(pa, pc, arr):
    """Whether a `_decoded` text array holds a value and every value is a number or missing
    as read_csv reads them (`_to_float`'s ``inferred``: ASCII blanks around a number allowed, not
    "NAN"): a column of no value is not decided numbers (a later value may well be text)."""
    if arr.null_count == len(arr):
        return False
    # (the first values first: a column of text mostly shows it there, and a failing cast
    # costs ~0.3 us a value)
    for part in (arr.slice(0, 64), arr):
        cast = _cast_trimmed(pa, pc, part)
        if cast is None:
            return False
        values, trimmed = cast
        # (a `_numbers_as_text` value is NaN, or has blanks: mostly no look is needed)
        if trimmed or pc.any(pc.is_nan(values)).as_py():
            if _numbers_as_text(pa, pc, part) is not None:
                return False
    return True


def _ascii_trimmed(pc, text):
    """``text`` without the ASCII blanks around its values; None where none has any."""
    trimmed = pc.ascii_trim_whitespace(text)
    if pc.sum(pc.binary_length(trimmed)).as_py() == pc.sum(pc.binary_length(text)).as_py():
        return None
    return trimmed


def _cast_trimmed(pa, pc, text):
    """``(float64 values, whether blanks were trimmed)`` of text whose values are all
    numbers, ASCII blanks around one allowed; None if one is not. (The cast with blanks
    trimmed only when one has them: a failing cast costs ~0.3 us a value.)"""
    try:
        return pc.cast(text, pa.float64()), False
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    trimmed = _ascii_trimmed(pc, text)
    if trimmed is None:
        return None
    try:
        return pc.cast(trimmed, pa.float64()), True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _integer_spelling(pa, pc, text):
    """``text`` without the blanks around a value and a "+" before its digits (" 12", "+12"),
    which pandas reads as integers as it reads "12"; None where no value has them."""
    trimmed = _ascii_trimmed(pc, text)
    spelled = text if trimmed is None else trimmed
    if pc.any(pc.starts_with(spelled, "+")).as_py():
        return pc.replace_substring_regex(spelled, r"^\+([0-9])", r"\1")
    return trimmed


def _written_integers(pa, pc, text, values):
    """float64 Arrow ``values`` of ``text`` with each finite value of magnitude 2**53 or more
    written as a decimal integer, as a chunk of integers holds it ("18014398509481985",
    "-9007199254740993"), as that exact int: an object array then, else ``values``. (A chunk's
    column of text holding another number reads as float64 all its values; the same integer
    in a chunk of integers is read exactly. Other spellings, "1.8e19" or
    "9007199254740993.0", are floats, as in pandas; ``text`` is `_integer_spelling`'s.)"""
    x = values.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        at = np.flatnonzero(np.isfinite(x) & (np.abs(x) >= _FLOAT_EXACT))
    if not at.size:
        return values

    def decimal(strings):
        return pc.fill_null(pc.ascii_is_decimal(strings), False).to_numpy(zero_copy_only=False)

    whole = decimal(text)[at]
    negative = x[at] < 0
    if negative.any():
        whole[negative] = decimal(pc.ascii_ltrim(pc.take(text, at[negative]), "-"))
    at = at[whole]
    if not at.size:
        return values
    column = x.astype(object)
    column[at] = [
        # (leading zeros dropped: int() refuses more than 4,300 digits)
        (-1 if t[0] == "-" else 1) * int(t.lstrip("-").lstrip("0") or "0")
        for t in pc.take(text, at).to_pylist()
    ]
    return column


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


def _number_type(pa, kind):
    """Whether pandas reads a Parquet column of Arrow type ``kind`` as numbers (bools and a
    column of no value too)."""
    return pa.types.is_null(kind) or arrow_kind(kind) in ("number", "bool")


def _leaves(kind):
    """The Parquet leaf columns of an Arrow type: 1 for a flat one."""
    if kind.num_fields == 0:
        return 1
    return sum(_leaves(kind.field(k).type) for k in range(kind.num_fields))


def _first_line_end(head, delimiter):
    """How pyarrow's CSV lexer (quoting on, no escape character, newlines in values) reads the
    first line of `head` (bytes): "end" if it ends within them, "quoted" if they end inside a
    quoted field, None if inside an unquoted one. A quote opens a field at its start only, two
    quotes in a quoted field stand for one, and a line end in a quoted field is part of it."""
    return _line_scan(head, delimiter)[0]


def _line_scan(line, delimiter):
    """``(_first_line_end's answer, where the quoted field open at the end of `line` began:
    its quote's position, or where the line ends for "end", else -1)``."""
    delimiter = delimiter.encode()
    quoted, doubled, opened = False, -1, -1
    for match in re.finditer(rb'["\r\n]', line):
        p = match.start()
        if p == doubled:
            continue
        if not quoted:
            if line[p] != ord('"'):
                return "end", p
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


def _header_digest(head, delimiter):
    """``(length, digest)`` of a CSV file's bytes up to its header's line end, from its first
    bytes `head`; None if the header does not end in them."""
    text = _header_text(head)
    ended, end = _line_scan(text, delimiter)
    if ended != "end":
        return None
    length = len(head) - len(text) + end + 1
    return length, hashlib.blake2b(head[:length], digest_size=16).digest()


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


def _numbers_marked(pa, pc, column, what, mark):
    """``column`` as float64 (:func:`_to_float`), each value that is not a number or not
    finite given to ``mark(positions, reason)`` as a bad row, ``what`` naming the column."""
    return _floats_marked(pa, pc, _decoded(pa, pc, column), what, mark)


def _floats_marked(pa, pc, column, what, mark, finite=True):
    """`_numbers_marked` of a `_decoded` column (``finite=False``, an inferred column:
    infinities kept, text read as read_csv reads numbers: `_to_float`'s ``inferred``)."""
    values, not_numbers = _to_float(pa, pc, column, inferred=not finite)
    for p in not_numbers:
        mark([p], f"{what}: {_value(column, [p])} is not a number")
    for p in _infinite(pc, values) if finite else ():
        mark([p], f"{what}: {_value(column, [p])} is not finite")
    return values


def _feature_numbers_marked(pa, pc, column, what, mark, finite=True):
    """A numeric feature column (not the target or the weight): a column of integers as
    integers (`_integers`, " 12" and "+12" among them: `_integer_spelling`; int64 or uint64,
    with nulls), which the hasher hashes and buckets exactly as an integer column in memory;
    any other as :func:`_numbers_marked`, its values written as integers beyond float64's
    exact ones kept as ints (`_written_integers`). ``finite=False`` (an inferred column, as
    pandas reads "inf"): infinities are values, not bad rows."""
    column = _decoded(pa, pc, column)
    integers = _integers(pa, pc, column)
    if integers is not None:
        return integers
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return _floats_marked(pa, pc, column, what, mark, finite)
    spelled = _integer_spelling(pa, pc, column)
    if spelled is not None:
        integers = _integers(pa, pc, spelled)
        if integers is not None:
            return integers
    values = _floats_marked(pa, pc, column, what, mark, finite)
    return _written_integers(pa, pc, column if spelled is None else spelled, values)


# the text of a bool in a CSV (Arrow's and pandas' spellings): a weight or a numeric target of 1
# or 0, as a bool column of a Parquet file, a DataFrame or an (X, y, w) batch is (scikit-learn's
# sample_weight; a classifier's bool classes compare equal to 1.0 and 0.0)
_TRUE, _FALSE = ["True", "TRUE", "true"], ["False", "FALSE", "false"]


def _bools_as_numbers(pa, pc, column):
    """A text column with each bool's text (`_TRUE`, `_FALSE`) as "1" or "0"."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    # (most weight columns hold no bool: one look for any, not a rebuilt column per spelling)
    if not pc.any(pc.is_in(column, value_set=pa.array(_TRUE + _FALSE, type=column.type))).as_py():
        return column
    for words, number in [(_TRUE, "1"), (_FALSE, "0")]:
        spelled = pc.is_in(column, value_set=pa.array(words, type=column.type))
        column = pc.if_else(spelled, pa.scalar(number, column.type), column)
    return column


# a bool's text in an inferred column, in any case ("tRUE" too), as read_csv reads it
_BOOL_WORDS = ["true", "false"]


def _all_bools(pa, pc, arr):
    """Whether a `_decoded` text array holds a value and every value is a bool's text in any
    case ("True", "tRUE", "false": `_bool_words`) or missing: a column pandas reads as bools."""
    for part in (arr.slice(0, 64), arr):  # (the first values first, as in `_all_numbers`)
        values = part.drop_null()
        if not pc.all(pc.or_(*_bool_words(pa, pc, values))).as_py():
            return False
    return len(values) > 0


def _bool_words(pa, pc, text):
    """(is True, is False) of each value of `_decoded` text, in any case as read_csv reads
    them ("tRUE"; ASCII, which pandas compares, and no check of the bytes: ``utf8_lower``
    raises on text that is not UTF-8)."""
    lower = pc.ascii_lower(text)
    return tuple(pc.is_in(lower, value_set=pa.array([w], type=text.type)) for w in _BOOL_WORDS)


def _bools_marked(pa, pc, column, what, mark):
    """A column of bools' text (`_bool_words`) as int64 1 or 0 (with nulls), which the
    hasher hashes as pandas' bools (True is the integer 1); any other value given to
    ``mark`` as a bad row, ``what`` naming the column."""
    column = _decoded(pa, pc, column)
    true, false = _bool_words(pa, pc, column)
    either = pc.or_(true, false)
    other = pc.and_(column.is_valid(), pc.invert(either)).to_numpy(zero_copy_only=False)
    for p in np.flatnonzero(other):
        mark([p], f"{what}: {_value(column, [p])} is not True or False")
    return pc.if_else(either, true, pa.scalar(None, pa.bool_())).cast(pa.int64())


def _nulls_spelled(pa, pc, arr):
    """A CSV column read as text with pandas' spellings of missing ("NA", "null"...) as null,
    as read_csv reads a column of text (a dictionary decoded only when its values hold one)."""
    values = arr.dictionary if pa.types.is_dictionary(arr.type) else arr
    if not pc.any(pc.is_in(values, value_set=pa.array(_NULL_VALUES, type=values.type))).as_py():
        return arr
    return _decoded(pa, pc, arr)


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
    taken as they are, 3-7x faster than ``Table.to_pandas``), int64 and uint64 as NumPy's (as
    pandas' nullable Int64 and UInt64 with missing values), other numbers as float64 with NaN;
    NumPy arrays (an object column of `_written_integers`) as they are."""
    import pandas as pd

    columns = {}
    for name, arr in arrays.items():
        if isinstance(arr, np.ndarray):
            columns[name] = arr
        elif pa.types.is_dictionary(arr.type) and arr.dictionary.null_count == 0:
            codes = arr.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            dictionary = arr.dictionary
            if len(dictionary) > codes.shape[0]:
                # a Parquet column's dictionary is its row group's: every chunk of a group of a
                # million rows made Python strings of all its values (then hashed by pandas)
                codes, used = used_codes(codes, len(dictionary))
                dictionary = dictionary.take(pa.array(used))
            categories = pd.Index(dictionary.to_numpy(zero_copy_only=False), dtype=object)
            dtype = pd.CategoricalDtype(categories)
            columns[name] = pd.Categorical.from_codes(
                codes.astype(np.int32),  # writable
                dtype=dtype,
                validate=False,
            )
        elif pa.types.is_dictionary(arr.type):
            columns[name] = pa.chunked_array([arr]).to_pandas()
        elif pa.types.is_integer(arr.type):
            values = np.array(arr.fill_null(0).to_numpy(zero_copy_only=False))  # (writable)
            if arr.null_count:
                mask = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
                values = pd.arrays.IntegerArray(values, mask)
            columns[name] = values
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


class _ArrowSource(Source):
    """CSV or Parquet files read through pyarrow; chunk boundaries are physical row ranges."""

    def __init__(
        self,
        files,
        fmt,
        *,
        target,
        weight_column,
        numeric,
        inferred,
        categorical,
        batch_rows,
        skip_bad_rows,
        delimiter,
        target_dtype,
        readahead,
        column_kinds=None,
    ):
        super().__init__()
        self.readahead = readahead
        self.files = files
        self.format = fmt
        self.target = target
        self.weight_column = weight_column
        self.numeric = numeric
        self.inferred = inferred
        self.categorical = categorical
        self.batch_rows = batch_rows
        self.skip_bad_rows = skip_bad_rows
        self.delimiter = delimiter
        self.target_dtype = target_dtype
        # a row without a target kept, its y NaN (None as text), not a bad row: `sparsereg
        # predict --target` predicts it unscored, as Vowpal Wabbit's -t does
        self.unlabelled_kept = False
        self._columns = {}
        self._schemas = {}  # Parquet: each file's Arrow schema
        self._metas = {}  # Parquet: each file's metadata (row groups' statistics), as opened
        self._blocks = {}  # CSV bytes per block of each file: larger where the header is long
        self._first_blocks = {}  # CSV: the block each file's header and first rows fit in
        self._bools = {}  # CSV: each file's inferred columns of True and False
        # each inferred column's kind ('number', 'bool' or 'text'): given, or decided by the
        # first file whose first rows hold a value of it; and where (a path, None: given)
        self.column_kinds = dict(column_kinds or {})
        self._kind_origin = dict.fromkeys(self.column_kinds)
        # where given kinds come from, as messages say it (the command line: the model's)
        self._given_kinds_said = GIVEN_KINDS_SAID
        self._undecided = {}  # each file's inferred columns of no value in its first rows
        self._numbers = {}  # each file's inferred columns its first rows read as numbers
        self._parquet_bools = {}  # each Parquet file's inferred columns of bools
        self._inferred_text = {}  # CSV: each file's inferred columns read as text
        # CSV: a file whose last field holds a line end, found closed (_ends_inside), with its
        # size, time and inode then: the next passes skip reading its end again (a compressed
        # file's is its whole decompression) unless one of them changed
        self._closed_ends = {}
        self._header = {}  # CSV: each file's column names, as its header gives them
        self._header_bytes = {}  # CSV: the length and digest of each file's header as opened
        _import_pyarrow()
        for i in range(len(files)):  # every file's columns are checked before any is read
            self._plan(i)
        # a column of no value in a file's first rows takes the kind a later file decided (a
        # CSV's was read as text there, its numbers below hashed apart from the later file's)
        for i in range(len(files)):
            if self._undecided.get(i, set()) & set(self.column_kinds):
                del self._columns[i]
                self._plan(i)
        if self.format == "csv":  # (one that no file decided is read as text: recorded so)
            for i in range(len(files)):
                for name in sorted(self._undecided.get(i, ())):
                    if name not in self.column_kinds:
                        self.column_kinds[name] = "text"
                        self._kind_origin[name] = self.files[i]

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
                    self._header_bytes[i] = _header_digest(self._head(i, block), self.delimiter)
                    self._first_blocks[i] = block
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
        width = len(self._header[i])
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
        labels = self._label_columns()
        named = [*self.numeric, *(self.inferred or ()), *(self.categorical or ())]
        wanted = labels + named
        present = set(names)
        for name in wanted:
            if name not in present:
                kind = (
                    "target"
                    if name == self.target
                    else "weight"
                    if name == self.weight_column
                    else "numeric"
                    if name in self.numeric
                    else "inferred"
                    if name in (self.inferred or ())
                    else "categorical"
                )
                shown = names[:50] + (["..."] if len(names) > 50 else [])
                raise ValueError(
                    f"{kind} column {name!r} not found in {path}; its columns are {shown}."
                )
        # (sets, and each column counted once: a CSV of 10,000 columns took 8.6 s to open when
        # every name was looked up in lists and a union made per name)
        numeric, label_set = set(self.numeric), set(labels)
        rest = present - label_set - set(named)
        inferred = rest if self.inferred is None else set(self.inferred)
        categorical = rest if self.categorical is None else set(self.categorical)
        read = numeric | inferred | categorical | label_set
        used = [n for n in names if n in read]
        counts = Counter(used)
        repeated = sorted(n for n, count in counts.items() if count > 1)
        if repeated:
            raise ValueError(
                f"{path} has the columns {repeated} more than once; a column read "
                "must be named once."
            )
        if inferred:  # (those read as numbers are the other features: neither set)
            if i not in self._numbers:
                self._numbers[i] = self._number_columns(i, names, inferred)
            numbers = self._numbers[i]
            numbers = self._kept_kinds(i, [n for n in names if n in inferred], numbers)
            self._inferred_text[i] = inferred - numbers
            categorical = categorical | self._inferred_text[i]
        features = [n for n in used if n not in label_set]
        if i > 0 and set(features) == set(first := self._plan(0)[1]):
            features = list(first)  # every batch's columns in one order, whatever each file's
        if self.format == "parquet":
            self._check_flat(i, used)
        else:
            self._header[i] = names
        self._columns[i] = (used, features, categorical)
        return self._columns[i]

    def _kept_kinds(self, i, inferred, numbers):
        """File i's inferred columns read as numbers or bools (``self._bools[i]``), as their
        kinds were given or decided in an earlier file (`column_kinds`): a column of file i
        that its first rows would decide otherwise is read as before, its misfit values bad
        rows (a Parquet file's column of another type is refused); a column that no earlier
        file decided is decided here, for the later files."""
        bools = self._bools.setdefault(i, set())
        undecided = self._undecided.get(i, set())
        numbers = set(numbers)
        for name in inferred:
            own = (
                None
                if name in undecided
                else "bool"
                if name in bools or name in self._parquet_bools.get(i, ())
                else "number"
                if name in numbers
                else "text"
            )
            kept = self.column_kinds.get(name)
            if kept is None:
                if own is not None:
                    self.column_kinds[name] = own
                    self._kind_origin[name] = self.files[i]
                continue
            if own is not None and (own == "text") == (kept == "text"):
                continue  # (numbers and bools hash alike: 1 and True are one token)
            if self.format == "parquet":
                if own is None:  # (a column of no value, read as numbers: every one missing)
                    continue
                there = "it had there" if self._kind_origin.get(name) else "of that kind"
                raise ValueError(
                    f"{self.files[i]}: column {name!r} holds {_KIND_WORDS[own]} (of type "
                    f"{self._parquet_schema(i).field(name).type}), but it was read as "
                    f"{_KIND_WORDS[kept]} {self._decided_where(name)}; write it with the "
                    f"type {there}."
                )
            if kept == "text":
                numbers.discard(name)
                bools.discard(name)
            else:
                numbers.add(name)
                if kept == "bool":
                    bools.add(name)
        return numbers

    def _decided_where(self, name):
        """Where a column's kind was decided, as a message says it."""
        origin = self._kind_origin.get(name)
        return self._given_kinds_said if origin is None else f"in the first rows of {origin}"

    def _decided(self, i, name, kind):
        """Where file i's column read as ``kind`` was decided so: where its kind was, or by
        the file's own first rows (bools and numbers read alike, 1 and True one token)."""
        if self.column_kinds.get(name) != kind or self._kind_origin.get(name) == self.files[i]:
            return "in the file's first rows"
        return self._decided_where(name)

    def _number_columns(self, i, names, inferred):
        """The `inferred` columns of file i that pandas reads as numbers: of a Parquet number
        type, or in a CSV file numbers or missing in every row of its first block (64 KiB, or
        the one its header or first row needed, as `_names` found it), one at least a
        number; or True or False or missing there (`_all_bools`: then in self._bools)."""
        pa = _import_pyarrow()
        import pyarrow.compute as pc

        inferred = [n for n in names if n in inferred]
        if self.format == "parquet":
            schema = self._parquet_schema(i)
            numbers = set()
            empty = self._parquet_all_missing(i, inferred)
            for name in inferred:
                kind = schema.field(name).type
                if pa.types.is_dictionary(kind):
                    kind = kind.value_type
                if pa.types.is_null(kind) or name in empty:
                    self._undecided.setdefault(i, set()).add(name)
                if pa.types.is_boolean(kind):
                    self._parquet_bools.setdefault(i, set()).add(name)
                if _number_type(pa, kind):
                    numbers.add(name)
            return numbers
        import pyarrow.csv as pcsv

        with self._errors(i, reraise=(pa.ArrowInvalid,)):
            try:
                reader = pcsv.open_csv(
                    self.files[i],
                    read_options=pcsv.ReadOptions(
                        block_size=self._first_blocks[i], use_threads=False
                    ),
                    parse_options=self._parse_options(lambda row: "skip"),
                    convert_options=pcsv.ConvertOptions(
                        include_columns=inferred,
                        column_types={n: pa.string() for n in inferred},
                        null_values=[""],
                        strings_can_be_null=True,
                        check_utf8=False,
                    ),
                )
                batch = reader.read_next_batch()
                reader.close()
            except StopIteration:
                self._undecided[i] = set(inferred)
                return set()  # no row: no value decides numbers
            except pa.ArrowInvalid as exc:  # (the block `_names` read them in)
                raise ValueError(f"{self.files[i]}: {exc}") from None
        first = {n: _decoded(pa, pc, batch.column(n)) for n in inferred}
        self._undecided[i] = {n for n in inferred if first[n].null_count == len(first[n])}
        self._bools[i] = {n for n in inferred if _all_bools(pa, pc, first[n])}
        return self._bools[i] | {
            n for n in inferred if n not in self._bools[i] and _all_numbers(pa, pc, first[n])
        }

    def _label_columns(self):
        """The columns read beside the features: the target and the weight column."""
        return [n for n in (self.target, self.weight_column) if n is not None]

    def _parquet_all_missing(self, i, names):
        """The columns among ``names`` of Parquet file i whose every value is missing, as its
        row groups' statistics say (a column without them is taken to hold values; a file of
        no row, every one). Statistics can lie: such a column's values are checked as read
        (`_check_undecided`)."""
        self._parquet_schema(i)
        meta = self._metas[i]
        if meta.num_rows == 0:
            return set(names)
        # each flat top-level column's leaf: a dotted path names a struct's member too
        index, leaf = {}, 0
        for field in self._parquet_schema(i):
            if field.type.num_fields == 0:
                index[field.name] = leaf
            leaf += _leaves(field.type)
        empty = set()
        for name in names:
            j = index.get(name)
            if j is None:  # (not a flat column: refused when read)
                continue
            if all(
                (c := meta.row_group(g).column(j)).statistics is not None
                and c.statistics.has_null_count
                and c.statistics.null_count == c.num_values
                for g in range(meta.num_row_groups)
            ):
                empty.add(name)
        return empty

    def _check_undecided(self, i, name, column):
        """Refuse a Parquet column that its statistics said holds no value, of the other type
        than its kept kind, if it holds one (it was read by its type)."""
        kept = self.column_kinds.get(name)
        if kept is None or column.null_count == len(column):
            return
        pa = _import_pyarrow()
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if _number_type(pa, kind) == (kept == "text"):
            raise ValueError(
                f"{self.files[i]}: column {name!r} holds values its statistics say it does not "
                f"(of type {column.type}), but it was read as {_KIND_WORDS[kept]} "
                f"{self._decided_where(name)}; write it with the type it had there."
            )

    def _parquet_schema(self, i):
        if i not in self._schemas:
            import pyarrow.parquet as pq

            with self._errors(i):
                opened = pq.ParquetFile(self.files[i])
                self._schemas[i], self._metas[i] = opened.schema_arrow, opened.metadata
        return self._schemas[i]

    def _check_flat(self, i, used, schema=None):
        """Refuse a Parquet column read that holds lists, structs or maps: a cell is one value.
        `schema`: the file's as a pass opens it (its columns were planned by the one read
        when the file was opened), where a column read may also be gone or repeated."""
        pa = _import_pyarrow()
        if schema is None:
            schema = self._parquet_schema(i)
        for name in used:
            if schema.get_field_index(name) < 0:  # (-1: gone, or repeated)
                raise ValueError(
                    f"{self.files[i]}: its column {name!r} is gone or repeated since the file "
                    "was opened; open it again."
                )
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
    def _state(self, i):
        """File i's device, inode, size and modification time; None if it cannot be found."""
        try:
            found = os.stat(self.files[i])
        except (OSError, ValueError):
            return None
        return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns

    def _check_unchanged(self, i, state):
        """Refuse file i if its state is no longer `state`, taken when the pass began: pyarrow
        reads to whatever end the file has (rows past a cut lost, the last row read cut off
        where the file or its writer was), and a file replaced meanwhile is another file."""
        if state is None or self._state(i) != state:
            raise ValueError(
                f"{self.files[i]}: it changed while this pass read it (its size, time or "
                "inode): rows may be lost or cut off; read a file once it is written."
            )

    def _check_header(self, i):
        """Refuse file i if its header is not the one its columns were planned by when the
        source was opened: the columns read by name, its last one checked for a quote left
        open, would no longer be those."""
        header = self._header_bytes[i]
        if header is None:
            return
        length, digest = header
        head = self._head(i, length)
        if len(head) < length or hashlib.blake2b(head, digest_size=16).digest() != digest:
            raise ValueError(
                f"{self.files[i]}: its header changed since the file was opened; open it again."
            )

    def _pieces(self, i, start_row, threaded=False, state=None):
        """Yield (table of well-formed rows, their physical numbers, reached) for file i.

        `reached` is the last physical row number known to be decided (after a piece:
        its last row; at the end of the file: every row). Rows up to `start_row` are dropped.
        Rows refused by the CSV parser (wrong number of fields) are in self._invalid.
        `state`: the file's (_state) when the pass began, checked again at its end.
        """
        pa = _import_pyarrow()
        used, _, categorical = self._plan(i)
        path = self.files[i]
        if self.format == "parquet":
            import pyarrow.parquet as pq

            # (the file opened once for the check and the read: it may be replaced meanwhile)
            with self._errors(i), pa.OSFile(path) as source:
                strings = [n for n in used if n in categorical]
                self._check_flat(i, used, pq.ParquetFile(source).schema_arrow)
                # pages read as the batches need them, through a buffer: pyarrow's default
                # (pre_buffer) reads every column chunk of the row groups read at once, so
                # that iter_batches over a whole file held the whole file in memory
                pf = pq.ParquetFile(
                    source,
                    read_dictionary=strings,  # no Python strings
                    pre_buffer=False,
                    buffer_size=_PARQUET_BUFFER_BYTES,
                )
                meta = pf.metadata
                # its pages are read as the chunks need them: a file written over in place
                # meanwhile would give the rest of the pass from its new bytes, so it is
                # refused as a CSV file is, at the start and after each batch is read, before
                # its rows are given (none read after a change is)
                self._check_unchanged(i, state)
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
                        self._check_unchanged(i, state)
                        if skip:
                            drop = min(skip, n)
                            skip -= drop
                            batch, numbers = batch.slice(drop), numbers[drop:]
                        if batch.num_rows:
                            yield pa.Table.from_batches([batch]), numbers, number
                self._check_unchanged(i, state)
                yield None, None, meta.num_rows
            return

        import pyarrow.csv as pcsv

        types = {
            n: (pa.dictionary(pa.int32(), pa.string()) if n in categorical else pa.string())
            for n in used
        }
        # the last column is read (as text, if not used) to see whether the file ends inside
        # a quoted field of it: pyarrow then takes the rest of the file as its text. It is the
        # last column read (include_columns lists them in the file's order), but
        # include_columns takes a name's first column: when the last column's name is also an
        # earlier one's, every column is read (those not used as text), the used ones kept by
        # their position
        names = self._header[i]
        if names.count(names[-1]) > 1:
            include = []
            types = {name: pa.string() for name in names} | types
        else:
            types.setdefault(names[-1], pa.string())
            include = list(types)
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
        self._check_header(i)
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
                        include_columns=include,
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
            self._check_unchanged(i, state)  # (the file whose header was checked is read)
            if refused[0]:
                raise _Reread
            used_names = set(used)
            keep = [j for j, name in enumerate(reader.schema.names) if name in used_names]
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
                # the batch's bytes (or the end) were read before this check: a file changed
                # meanwhile is refused before any row read after the change, or held, is given
                self._check_unchanged(i, state)
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
                text = _last_text(pa, batch.column(batch.num_columns - 1))
                if text is not None and _holds_line_end(text):
                    opened = valid, text
                if len(keep) < batch.num_columns:  # (columns read for this check only)
                    # (select: from_arrays of no column would make a batch of no row)
                    batch = batch.select(keep)
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

        for name in self._label_columns() + features:
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
                # a bool's text ("True", "false") is 1 or 0, as a bool column of a Parquet file
                # or a DataFrame is read (and a CSV's weight column)
                target = _numbers_marked(
                    pa, pc, _bools_as_numbers(pa, pc, column), f"target {self.target!r}", mark
                )
                # a NaN stored as a number (Parquet) is missing, as "nan" in a CSV field is
                nan = pc.fill_null(pc.is_nan(target), False)
                target = pc.if_else(nan, pa.scalar(None, pa.float64()), target)
            unlabelled = target.is_null().to_numpy(zero_copy_only=False)
            if not self.unlabelled_kept:
                mark(np.flatnonzero(unlabelled), f"target {self.target!r} is missing")
        if self.weight_column is not None:
            weighed = mark
            if self.target is not None and self.unlabelled_kept:
                # (a row kept without a label is not scored: its weight, often missing too,
                # is never used)
                def weighed(positions, reason):
                    mark([p for p in positions if not unlabelled[p]], reason)

            weight = self._weights_marked(pa, pc, table.column(self.weight_column), weighed)
        arrays = {}
        for name in features:
            column = table.column(name)
            if pa.types.is_dictionary(column.type) and column.num_chunks > 1:
                column = column.unify_dictionaries()  # one dictionary for the chunk
            column = column.combine_chunks()
            if self.format == "parquet" and name in self._undecided.get(i, ()):
                self._check_undecided(i, name, column)
            if name in categorical:
                if name in self._inferred_text.get(i, ()) and self.format == "csv":
                    column = _nulls_spelled(pa, pc, column)
                arrays[name] = _to_dictionary(pa, pc, column)
            elif name in self._bools.get(i, ()):
                what = f"column {name!r} (True or False {self._decided(i, name, 'bool')})"
                arrays[name] = _bools_marked(pa, pc, column, what, mark)
            elif name not in self.numeric and _as_decimals(pa, pc, column):
                # as pandas.read_parquet gives them, which the hasher hashes exactly (0.1 is
                # not the Decimal 0.10, nor 1e20 the id 10**20 + 1)
                arrays[name] = _distinct_decimals(pa, column)
            elif name not in self.numeric:  # (inferred, read as numbers)
                what = f"column {name!r} (numbers {self._decided(i, name, 'number')})"
                arrays[name] = _feature_numbers_marked(pa, pc, column, what, mark, False)
            else:
                arrays[name] = _feature_numbers_marked(pa, pc, column, f"column {name!r}", mark)
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
            arrays = {
                k: v[~bad] if isinstance(v, np.ndarray) else pc.filter(v, keep)
                for k, v in arrays.items()
            }
            if self.target is not None:
                target = pc.filter(target, keep)
            if self.weight_column is not None:
                weight = pc.filter(weight, keep)
            numbers = numbers[~bad]
        X = _frame_of(pa, arrays, len(numbers))
        if self.target is not None:
            if self.target_dtype == "str":
                y = np.asarray(target.to_pylist(), dtype=object)
            else:
                y = target.to_numpy(zero_copy_only=False).astype(np.float64)  # writable
        sample_weight = None
        if self.weight_column is not None:
            sample_weight = weight.to_numpy(zero_copy_only=False).astype(np.float64)
        return X, y, sample_weight, numbers, int(bad.sum()) + len(bad_numbers)

    def _weights_marked(self, pa, pc, column, mark):
        """The weight column as float64, each row whose weight is not a number, not finite,
        missing or negative given to ``mark`` as a bad row (as a bad target makes one)."""
        what = f"weight {self.weight_column!r}"
        weight = _numbers_marked(
            pa, pc, _bools_as_numbers(pa, pc, column.combine_chunks()), what, mark
        )
        weight = pc.if_else(
            pc.fill_null(pc.is_nan(weight), False), pa.scalar(None, pa.float64()), weight
        )
        mark(np.flatnonzero(weight.is_null().to_numpy(zero_copy_only=False)), f"{what} is missing")
        negative = pc.fill_null(pc.less(weight, 0.0), False).to_numpy(zero_copy_only=False)
        for p in np.flatnonzero(negative):
            mark([p], f"{what}: {_value(column, [p])} is negative")
        return weight

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
            X, y, sample_weight, numbers, bad = self._convert(i, table, numbers, invalid)
            if len(numbers) == 0:
                return None
            return Chunk(
                X=X,
                y=y,
                file=path,
                row_numbers=numbers,
                end=Position(i, limit),
                bad_rows=bad,
                sample_weight=sample_weight,
            )

        # pyarrow's threaded reader parses blocks in parallel but cannot number the rows it
        # refuses: it reads until a row is refused, then the file is read again from the
        # current range by the serial reader, which numbers them (with skip_bad_rows, serial
        # from the start, so that a file with a few bad rows is not read twice)
        state = self._state(i)
        pieces = self._pieces(
            i, start_row, threaded=_CSV_THREADS and not self.skip_bad_rows, state=state
        )
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
                pieces = self._pieces(i, end - B, threaded=False, state=state)

    def _chunks(self, start):
        for i in range(start.file, len(self.files)):
            yield from self._file_chunks(i, start.row if i == start.file else 0)
