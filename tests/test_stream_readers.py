"""sparsereg.stream readers: chunks equal a whole-file read, resume exactly, name bad rows."""

import contextlib
import dataclasses
import gzip
import itertools
import linecache
import os
import re
import signal
import sys
import threading
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import dump_svmlight_file, load_svmlight_file

from sparsereg.stream import Chunk, Position, Source, open_source

from .interruptions import (
    Injected,
    files_left_open_under,
    python_thread_idents,
    raising_after_c_call,
    raising_after_call_or_jump,
    raising_at,
    threads_settle_at,
)

pd = pytest.importorskip("pandas")


def _pyarrow():
    return pytest.importorskip("pyarrow")


# ------------------------------------------------------------------------------ helpers
_NULL_SPELLINGS = [
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


def _frame(n, seed=0):
    """A CTR-like frame: string categories (some missing, some digit strings), a number, a 0/1."""
    rng = np.random.default_rng(seed)
    city = rng.choice(["Oslo", "Rome", "007", "Lima", None], size=n).astype(object)
    device = rng.choice(["ios", "android", "web"], size=n)
    price = np.round(rng.normal(10, 3, size=n), 3)
    price[rng.random(n) < 0.2] = np.nan
    clicked = (rng.random(n) < 0.3).astype(int)
    return pd.DataFrame({"city": city, "clicked": clicked, "price": price, "device": device})


def _write_csv(frame, path, sep=","):
    frame.to_csv(path, index=False, sep=sep, na_rep="")
    return str(path)


def _expected(path, sep=","):
    """The whole file through pandas: categories as the text written (an empty field is
    missing, "NA" is text), numbers float with NaN for pandas' missing spellings."""
    return pd.read_csv(
        path,
        sep=sep,
        dtype={"city": str, "device": str, "price": float, "clicked": float},
        keep_default_na=False,
        na_values={
            "city": [""],
            "device": [""],
            "price": _NULL_SPELLINGS,
            "clicked": _NULL_SPELLINGS,
        },
    )


def _stack(chunks):
    X = pd.concat(
        [c.X.astype(object) if isinstance(c.X, pd.DataFrame) else c.X for c in chunks],
        ignore_index=True,
    )
    y = np.concatenate([c.y for c in chunks])
    return X, y


def _same_frame(X, expected):
    assert list(X.columns) == list(expected.columns)
    for name in X.columns:
        got, want = X[name].to_numpy(dtype=object), expected[name].to_numpy(dtype=object)
        assert len(got) == len(want), name
        for a, b in zip(got, want):
            assert (pd.isna(a) and pd.isna(b)) or a == b, (name, a, b)


def _chunk_key(chunk):
    X = chunk.X
    if sp.issparse(X):
        xs = (X.shape, X.indptr.tolist(), X.indices.tolist(), X.data.tolist())
    elif isinstance(X, pd.DataFrame):
        xs = X.astype(object).where(X.notna(), None).to_numpy().tolist()
    else:
        xs = np.asarray(X).tolist()
    y = None if chunk.y is None else chunk.y.tolist()
    return (xs, y, chunk.file, chunk.row_numbers.tolist(), chunk.end, chunk.bad_rows)


# ------------------------------------------------------------------------------ CSV
@pytest.mark.parametrize("batch_rows", [1, 7, 64, 10_000])
def test_csv_chunks_equal_read_csv(tmp_path, batch_rows):
    _pyarrow()
    frame = _frame(200)
    path = _write_csv(frame, tmp_path / "data.csv")
    source = open_source(path, target="clicked", numeric=["price"], batch_rows=batch_rows)
    chunks = list(source.chunks())
    assert [len(c.row_numbers) for c in chunks[:-1]] == [batch_rows] * (len(chunks) - 1)
    assert all(c.file == path for c in chunks)
    for c in chunks:
        assert list(c.X.columns) == ["city", "price", "device"]  # file order, target out
        assert isinstance(c.X["city"].dtype, pd.CategoricalDtype)
        assert all(isinstance(v, str) for v in c.X["city"].cat.categories)
        assert c.X["price"].dtype == np.float64 and c.y.dtype == np.float64
    expected = _expected(path)
    X, y = _stack(chunks)
    _same_frame(X, expected.drop(columns="clicked"))
    np.testing.assert_array_equal(y, expected["clicked"].to_numpy())
    np.testing.assert_array_equal(
        np.concatenate([c.row_numbers for c in chunks]), np.arange(1, 201)
    )
    assert "007" in set(X["city"].dropna())  # a digit string stays text


def test_csv_gz_and_tsv_equal_plain(tmp_path):
    _pyarrow()
    frame = _frame(150, seed=1)
    plain = _write_csv(frame, tmp_path / "d.csv")
    zipped = str(tmp_path / "d.csv.gz")
    with open(plain, "rb") as f, gzip.open(zipped, "wb") as g:
        g.write(f.read())
    tsv = _write_csv(frame, tmp_path / "d.tsv", sep="\t")
    keys = [
        [
            _chunk_key(c)[:2]
            for c in open_source(p, target="clicked", numeric=["price"], batch_rows=40).chunks()
        ]
        for p in (plain, zipped, tsv)
    ]
    assert keys[0] == keys[1] == keys[2]
    assert len(keys[0]) == 4


def test_a_tsv_file_is_read_with_the_delimiter_given_even_a_comma(tmp_path):
    # (a "," given was taken for the default, and a .tsv file read with a tab regardless)
    _pyarrow()
    frame = _frame(150, seed=1)
    plain = _write_csv(frame, tmp_path / "d.csv")
    named_tsv = _write_csv(frame, tmp_path / "commas.tsv")  # commas in a .tsv

    def keys(path, **options):
        source = open_source(path, target="clicked", numeric=["price"], batch_rows=40, **options)
        return [_chunk_key(c)[:2] for c in source.chunks()]

    assert keys(named_tsv, delimiter=",") == keys(plain)
    with pytest.raises(ValueError, match="target column 'clicked' not found"):
        keys(named_tsv)  # by default a .tsv file is read with a tab


def test_csv_and_tsv_files_together_are_refused_unless_a_delimiter_is_given(tmp_path):
    # (one .tsv among the files had every file read with a tab: the .csv as one column, and
    # the error "target column 'clicked' not found in d.csv" told nothing of the tab)
    _pyarrow()
    frame = _frame(150, seed=1)
    plain = _write_csv(frame, tmp_path / "d.csv")
    tsv = _write_csv(frame, tmp_path / "d.tsv", sep="\t")
    for files in ([plain, tsv], [tsv, plain]):
        with pytest.raises(ValueError, match=r"d\.tsv is tab-delimited by its suffix but .*d\.csv"):
            open_source(files, target="clicked")
    commas = _write_csv(frame, tmp_path / "commas.tsv")
    source = open_source([plain, commas], target="clicked", delimiter=",", batch_rows=200)
    assert [c.X.shape[0] for c in source.chunks()] == [150, 150]
    assert open_source([tsv, tsv], target="clicked").delimiter == "\t"


def test_a_tsv_with_a_file_of_no_csv_suffix_is_read_with_a_tab(tmp_path):
    # (format="csv": a file whose suffix names no format was taken for a ","-delimited one, and
    # a .tsv with it refused)
    _pyarrow()
    frame = _frame(150, seed=1)
    tsv = _write_csv(frame, tmp_path / "d.tsv", sep="\t")
    other = _write_csv(frame, tmp_path / "d.txt", sep="\t")
    for files in ([tsv, other], [other, tsv]):
        source = open_source(files, format="csv", target="clicked", batch_rows=200)
        assert [c.X.shape for c in source.chunks()] == [(150, frame.shape[1] - 1)] * 2


@pytest.mark.parametrize("delimiter", ['"', "\n", "\r"])
def test_a_delimiter_that_quotes_or_ends_lines_is_refused(tmp_path, delimiter):
    # (a quote was taken, and each line read as one field: "target column 'clicked' not
    # found"; a line end was pyarrow's "ParseOptions: delimiter cannot be \r or \n")
    _pyarrow()
    plain = _write_csv(_frame(30), tmp_path / "d.csv")
    with pytest.raises(ValueError, match="quotes fields or ends lines; give another character"):
        open_source(plain, target="clicked", delimiter=delimiter)


@pytest.mark.parametrize("delimiter", ["\x00", "é", "\x85"])
def test_a_delimiter_that_is_not_one_ascii_byte_is_refused_naming_it(tmp_path, delimiter):
    # (pyarrow refused it as "Expecting an ASCII character", naming neither the delimiter nor
    # the parameter)
    _pyarrow()
    plain = _write_csv(_frame(30), tmp_path / "d.csv")
    with pytest.raises(ValueError, match=f"delimiter {re.escape(repr(delimiter))} is not an ASCII"):
        open_source(plain, target="clicked", delimiter=delimiter)


def test_csv_columns_selected_and_prediction_without_target(tmp_path):
    _pyarrow()
    path = _write_csv(_frame(30), tmp_path / "d.csv")
    only = list(open_source(path, target="clicked", categorical=["device"]).chunks())
    assert list(only[0].X.columns) == ["device"]
    free = list(open_source(path, numeric=["price"]).chunks())
    assert free[0].y is None and list(free[0].X.columns) == ["city", "clicked", "price", "device"]
    labels = list(
        open_source(path, target="device", target_dtype="str", categorical=["city"]).chunks()
    )
    assert labels[0].y.dtype == object and set(labels[0].y) <= {"ios", "android", "web"}


def test_csv_quoted_newline_is_one_row_and_blank_lines_are_not_rows(tmp_path):
    _pyarrow()
    path = tmp_path / "q.csv"
    path.write_text('y,text\n1,"two\nlines"\n\n0,b\n1,"c,d"\n')
    chunks = list(open_source(str(path), target="y", batch_rows=2).chunks())
    X, y = _stack(chunks)
    assert X["text"].tolist() == ["two\nlines", "b", "c,d"]
    assert np.concatenate([c.row_numbers for c in chunks]).tolist() == [1, 2, 3]
    assert [c.end for c in chunks] == [Position(0, 2), Position(0, 3)]


def test_chunks_hash_as_the_whole_frame(tmp_path):
    """The hasher gives the same matrix for the chunks as for pandas' whole-file frame."""
    _pyarrow()
    from sparsereg import FeatureCrossHasher

    path = _write_csv(_frame(120, seed=3), tmp_path / "d.csv")
    hasher = FeatureCrossHasher(
        crosses=[("city", "device"), "city", "price"],
        buckets={"price": {"width": 1.0}},
        n_features=2**20,
    )
    parts = [
        hasher.fit_transform(c.X)
        for c in open_source(path, target="clicked", numeric=["price"], batch_rows=50).chunks()
    ]
    whole = hasher.fit_transform(_expected(path).drop(columns="clicked"))
    assert (sp.vstack(parts) != whole).nnz == 0


# 64-bit ids that float64 rounds together (its spacing is 256 near 2**60), an id beyond int64
_IDS = [2**60 + 1, 2**60 + 2, 2**60 + 3, -(2**62) - 1, 7]
_BIG = 2**63 + 5


def _integer_frame():
    """Rows of ids (an int64 column with a missing value), uint64 hashes beyond int64, a
    target and a weight of integers; and the same rows as pandas holds them in memory."""
    ids = pd.array((_IDS * 8)[:39] + [None], dtype="Int64")
    hashes = pd.array([_BIG + k for k in range(40)], dtype="UInt64")
    rows = pd.DataFrame({"id": ids, "hash": hashes, "y": np.arange(40) % 2, "w": 1 + np.arange(40)})
    rows.loc[5, "id"] = pd.NA
    return rows


def _hashed(X):
    from sparsereg import FeatureCrossHasher

    hasher = FeatureCrossHasher(
        [("id",), ("hash",), ("id", "hash")],
        buckets={"hash": {"width": 4, "origin": 2**63}},
        n_features=2**60,
    )
    return hasher.fit_transform(X)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "frames"])
def test_integer_columns_are_read_exactly_and_hash_as_in_memory(tmp_path, fmt):
    # read as float64, ids 2**60 + 1, + 2 and + 3 were one value, one feature; uint64 beyond
    # int64 rounded too. The same rows in memory (Int64, UInt64) hash apart, bit for bit
    pa = _pyarrow()
    rows = _integer_frame()
    if fmt == "csv":
        source = _write_csv(rows, tmp_path / "ids.csv")
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        source = str(tmp_path / "ids.parquet")
        pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), source, row_group_size=7)
    else:
        source = [rows.iloc[k : k + 7] for k in range(0, 40, 7)]
    chunks = list(
        open_source(
            source, target="y", weight_column="w", numeric=["id", "hash"], batch_rows=7
        ).chunks()
    )
    X = pd.concat([c.X for c in chunks], ignore_index=True)
    assert X["id"].dtype == "Int64" and X["hash"].dtype.kind == "u"  # (no missing hash)
    assert X["id"].tolist() == rows["id"].tolist() and X["hash"].tolist() == rows["hash"].tolist()
    expected = _hashed(rows[["id", "hash"]])
    assert (sp.vstack([_hashed(c.X) for c in chunks]) != expected).nnz == 0
    assert len(np.unique(expected[:3].indices)) == 7  # 3 ids, 1 bucket of hashes, 3 crosses
    # the target and the weight (not hashed) are float64 as before
    for c in chunks:
        assert c.y.dtype == np.float64 and c.sample_weight.dtype == np.float64
    assert np.concatenate([c.y for c in chunks]).tolist() == rows["y"].tolist()
    assert np.concatenate([c.sample_weight for c in chunks]).tolist() == rows["w"].tolist()


def test_an_integer_column_read_as_numbers_in_one_block_hashes_each_value_as_in_another(tmp_path):
    # a block of integers reads the column as integers; one holding 5.5 reads it as numbers,
    # its integers beyond float64 (2**60 + 3) kept exact, its 5.0 or 1e3 equal to 5 and 1000:
    # each value is one feature in every block, the one an exact column of it gives in memory
    _pyarrow()
    from sparsereg import FeatureCrossHasher

    signed = [2**60 + 1, 2**60 + 3, 5, 1000, None, -(2**62) - 1, -7, 2**53 + 1]
    unsigned = [_BIG, _BIG + 1, 2**60 + 1, 5, None, 1000, 2**63 - 1, 2**63 + 2**61]
    # (a float's spelling of a number beyond 2**53 is a float, as pandas reads it)
    numbers = [2**60 + 3, 5, 1000, _BIG, None, -(2**62) - 1, 5.5, float(2**60 + 3)]
    written = ["1152921504606846979", "5.0", "1e3", str(_BIG), "NA", "-4611686018427387905"]
    path = tmp_path / "mixed.csv"
    fields = ["" if v is None else str(v) for v in signed + unsigned] + written
    fields += ["5.5", "1152921504606846979.0"]
    path.write_text("x,y\n" + "".join(f"{v},1\n" for v in fields))
    chunks = list(open_source(str(path), target="y", numeric=["x"], batch_rows=8).chunks())
    assert [str(c.X["x"].dtype) for c in chunks] == ["Int64", "UInt64", "object"]
    exact = pd.DataFrame({"x": pd.Series(signed + unsigned + numbers, dtype=object)})
    for buckets in [None, {"x": 3}, {"x": [0, 2**60 + 2, _BIG]}]:
        hasher = FeatureCrossHasher([("x",)], buckets=buckets, n_features=2**60)
        streamed = sp.vstack([hasher.fit_transform(c.X) for c in chunks])
        assert (streamed != hasher.fit_transform(exact)).nnz == 0
        if buckets is None:  # (each value apart)
            assert len(set(streamed[:2].indices) | set(streamed[8:10].indices)) == 4
            assert streamed[-1].indices.tolist() != streamed[1].indices.tolist()  # (2**60)


def test_integers_written_with_blanks_or_a_plus_are_read_exactly_as_pandas_reads_them(tmp_path):
    # a field after ", " (or "+12") made its chunk's column float64: 2**53 + 1 and 2**53 one
    # feature, where pandas.read_csv reads them as the integers they are
    _pyarrow()
    from sparsereg import FeatureCrossHasher

    ints = [" 9007199254740993", "+9007199254740995 ", " 9007199254740992", "\t-7"]
    others = ["", " 5.5", " 1152921504606846979"]
    path, first = tmp_path / "blanks.csv", tmp_path / "first.csv"
    path.write_text("x,y\n" + "".join(f"{v},1\n" for v in ints + others))
    first.write_text("x,y\n" + "".join(f"{v},1\n" for v in ints))
    chunks = list(open_source(str(path), target="y", numeric=["x"], batch_rows=4).chunks())
    expected = pd.read_csv(first)["x"]
    assert chunks[0].X["x"].dtype == expected.dtype == np.int64
    assert chunks[0].X["x"].tolist() == expected.tolist() == [2**53 + 1, 2**53 + 3, 2**53, -7]
    assert chunks[1].X["x"].tolist()[1:] == [5.5, 2**60 + 3]  # (an object column)
    hashed = FeatureCrossHasher([("x",)], n_features=2**60).fit_transform(chunks[0].X)
    assert len(set(hashed.indices)) == 4


def test_a_parquet_decimal_of_no_fraction_is_read_as_its_integers(tmp_path):
    # decimal(38, 0) and decimal(20, 0) (how warehouses write 64-bit ids and uint64 hashes)
    # were read as float64: 2**60 + 1 and + 2 one feature, where their Decimals in memory, and
    # the same rows as Int64 / UInt64, hash apart
    pa = _pyarrow()
    from decimal import Decimal

    import pyarrow.parquet as pq

    from sparsereg import FeatureCrossHasher

    ids = [2**60 + 1, 2**60 + 2, None, -(2**62) - 1, 7]
    hashes = [_BIG, 5, None, 2**64 - 1, 0]

    def decimals(values, precision):
        return pa.array(
            [None if v is None else Decimal(v) for v in values], pa.decimal128(precision, 0)
        )

    path = str(tmp_path / "ids.parquet")
    table = pa.table({"id": decimals(ids, 38), "hash": decimals(hashes, 20), "y": [0, 1] * 2 + [0]})
    pq.write_table(table, path)
    (chunk,) = open_source(path, target="y", numeric=["id", "hash"]).chunks()
    rows = pd.DataFrame(
        {"id": pd.array(ids, dtype="Int64"), "hash": pd.array(hashes, dtype="UInt64")}
    )
    assert chunk.X["id"].tolist() == rows["id"].tolist()
    assert chunk.X["hash"].tolist() == rows["hash"].tolist()
    assert (_hashed(chunk.X) != _hashed(rows)).nnz == 0
    in_memory = table.to_pandas()[["id", "hash"]]  # (Decimals)
    hasher = FeatureCrossHasher([("id",), ("hash",)], n_features=2**60)
    assert (hasher.fit_transform(chunk.X) != hasher.fit_transform(in_memory)).nnz == 0


def test_a_hexadecimal_or_signed_integer_text_is_read_as_before(tmp_path):
    # Arrow's cast to an integer reads "0x1f" (and "0xffffffffffffffff" as -1), which is not a
    # number to the float reading or to pandas: still a bad row; "+5" is a number, 5.0
    _pyarrow()
    path = tmp_path / "hex.csv"
    path.write_text("x,y\n3,1\n0x1f,0\n+5,1\n0xffffffffffffffff,1\n")
    source = open_source(str(path), target="y", numeric=["x"], skip_bad_rows=True)
    (chunk,) = source.chunks()
    assert chunk.X["x"].tolist() == [3, 5] and chunk.X["x"].dtype == np.float64
    assert source.bad_rows == 2
    assert source.bad_row_examples[0].endswith("row 2: column 'x': '0x1f' is not a number")


# ------------------------------------------------------------------------------ Parquet
def test_parquet_equals_csv(tmp_path):
    pa = _pyarrow()
    import pyarrow.parquet as pq

    frame = _frame(100, seed=2)
    frame["shop"] = np.arange(100) % 7  # an int column read as categories "0".."6"
    csv = _write_csv(frame, tmp_path / "d.csv")
    parquet = str(tmp_path / "d.parquet")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), parquet, row_group_size=13)
    kwargs = dict(target="clicked", numeric=["price"], batch_rows=30)
    from_csv = list(open_source(csv, **kwargs).chunks())
    from_parquet = list(open_source(parquet, **kwargs).chunks())
    assert [_chunk_key(c)[:2] + _chunk_key(c)[3:] for c in from_parquet] == [
        _chunk_key(c)[:2] + _chunk_key(c)[3:] for c in from_csv
    ]
    shop = from_parquet[0].X["shop"]
    assert isinstance(shop.dtype, pd.CategoricalDtype)
    assert set(shop.cat.categories) <= {str(k) for k in range(7)}


@pytest.mark.parametrize("batch_rows", [700, 50])  # (renumbered by a table / by a sort)
def test_a_chunk_of_a_large_row_group_has_the_categories_it_uses(tmp_path, batch_rows):
    # a Parquet column's dictionary is its row group's: every chunk of a large row group had
    # all of them as its categories (Python strings of the whole dictionary, hashed by pandas,
    # for every chunk: 7.0M rows of 20 such columns read in 22-34 s, now 9-10 s)
    pa = _pyarrow()
    import pyarrow.parquet as pq

    rng = np.random.default_rng(5)
    n = 5000
    words = np.array([f"w{k}" for k in range(3000)], dtype=object)
    site = words[rng.integers(0, words.shape[0], n)]
    site[rng.random(n) < 0.1] = None
    frame = pd.DataFrame({"site": site, "y": rng.integers(0, 2, n)})
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)  # one row group
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    start = 0
    for chunk in open_source(str(path), target="y", batch_rows=batch_rows).chunks():
        got = chunk.X["site"]
        expected = frame["site"].iloc[start : start + got.shape[0]]
        assert [v if isinstance(v, str) else None for v in got.tolist()] == [
            v if isinstance(v, str) else None for v in expected.tolist()
        ]
        assert set(got.cat.categories) == set(expected.dropna())
        start += got.shape[0]
    assert start == n


def test_a_parquet_file_is_read_in_memory_of_a_row_group_not_of_the_file(tmp_path):
    # pyarrow's default (pre_buffer) read every column chunk of the row groups asked for at
    # once: iter_batches over a whole file held all of it in Arrow's memory from the first
    # chunk on (~1.1x the file's column data here), so a file bigger than memory could not be
    # streamed
    pa = _pyarrow()
    import pyarrow.parquet as pq

    n, groups = 200_000, 80
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "site": rng.choice(["news", "shop", "mail"], n),
            "hour": rng.integers(0, 24, n),
            "price": rng.uniform(0, 100, n),
            "clicked": rng.integers(0, 2, n),
        }
    )
    path = str(tmp_path / "d.parquet")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, row_group_size=n // groups, compression="none")
    meta = pq.ParquetFile(path).metadata
    column_data = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
    before = pa.total_allocated_bytes()
    peak, rows = 0, 0
    for chunk in open_source(path, target="clicked", numeric=["price"], batch_rows=4096).chunks():
        peak = max(peak, pa.total_allocated_bytes() - before)
        rows += chunk.X.shape[0]
    assert rows == n
    # a row group is 1/80 of the data: a few of them, a chunk's columns and buffers (~1/9)
    assert peak < column_data / 3, (peak, column_data)


@pytest.mark.parametrize("damage", ["truncated", "a later row group's page header zeroed"])
def test_a_damaged_parquet_file_is_a_value_error_naming_it(tmp_path, damage):
    # its pages are read as the chunks need them: a damaged one is found when reached, after
    # the chunks before it, and named as the footer's absence is at the start
    pa = _pyarrow()
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    frame = _frame(3000, seed=4)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=1000)
    data = path.read_bytes()
    if damage == "truncated":
        data, rows_before = data[: len(data) // 2], 0
    else:
        column = pq.ParquetFile(path).metadata.row_group(2).column(0)
        start = column.dictionary_page_offset or column.data_page_offset
        data, rows_before = data[:start] + bytes(64) + data[start + 64 :], 2000
    path.write_bytes(data)
    rows = []
    with pytest.raises(ValueError, match=r"(?s)d\.parquet: cannot be read .*truncated or corrupt"):
        for chunk in open_source(str(path), target="clicked", batch_rows=500).chunks():
            rows.append(chunk.X.shape[0])
    # (the rows of the whole row groups before it, less what the reader had read ahead)
    assert (0 < sum(rows) <= rows_before) if rows_before else not rows


def test_parquet_columns_of_lists_or_structs_are_refused_by_name(tmp_path):
    pa = _pyarrow()
    import pyarrow.parquet as pq

    path = tmp_path / "nested.parquet"
    table = pa.table(
        {
            "tags": pa.array([[1, 2], [3]]),
            "where": pa.array([{"lat": 1.5}, {"lat": 2.5}]),
            "c": ["u", "v"],
            "y": [0, 1],
        }
    )
    pq.write_table(table, path)
    for categorical, name in ((None, "tags"), (["where"], "where")):
        with pytest.raises(ValueError, match=f"nested.parquet: column '{name}' holds"):
            list(open_source(str(path), target="y", categorical=categorical).chunks())
    chunks = list(open_source(str(path), target="y", categorical=["c"]).chunks())
    assert chunks[0].X["c"].tolist() == ["u", "v"]  # the flat column alone reads


def test_categories_are_text_as_each_file_holds_it(tmp_path):
    # (README: a float column reads "2" from Parquet, "2.0" from the CSV pandas writes)
    _pyarrow()
    frame = pd.DataFrame({"f": [2.0, 0.5], "i": [2, 7], "s": ["2.0", "a"], "y": [0, 1]})
    frame.to_parquet(tmp_path / "d.parquet")
    frame.to_csv(tmp_path / "d.csv", index=False)
    read = {
        suffix: next(open_source(str(tmp_path / f"d.{suffix}"), target="y").chunks()).X
        for suffix in ("parquet", "csv")
    }
    assert read["parquet"]["f"].tolist() == ["2", "0.5"]
    assert read["csv"]["f"].tolist() == ["2.0", "0.5"]
    for name in ("i", "s"):  # integers and strings: the same text in both
        assert read["parquet"][name].tolist() == read["csv"][name].tolist()


def test_parquet_string_numeric_column_bad_value(tmp_path):
    pa = _pyarrow()
    import pyarrow.parquet as pq

    path = str(tmp_path / "s.parquet")
    pq.write_table(pa.table({"y": [1.0, 0.0, 1.0], "v": ["1.5", "oops", "2"]}), path)
    with pytest.raises(ValueError, match=r"s\.parquet: row 2: column 'v': 'oops' is not a number"):
        list(open_source(path, target="y", numeric=["v"]).chunks())
    source = open_source(path, target="y", numeric=["v"], skip_bad_rows=True)
    (chunk,) = source.chunks()
    assert chunk.row_numbers.tolist() == [1, 3] and chunk.X["v"].tolist() == [1.5, 2.0]
    assert source.bad_rows == 1


def test_a_nan_stored_in_a_parquet_target_is_missing(tmp_path):
    # it was passed on as y = NaN: not skipped, and fit_stream then failed on it
    pa = _pyarrow()
    import pyarrow.parquet as pq

    path = str(tmp_path / "a.parquet")
    pq.write_table(pa.table({"y": [1.0, float("nan"), 0.0], "c": ["u", "v", "w"]}), path)
    with pytest.raises(ValueError, match=r"a\.parquet: row 2: target 'y' is missing"):
        list(open_source(path, target="y").chunks())
    source = open_source(path, target="y", skip_bad_rows=True)
    (chunk,) = source.chunks()
    assert chunk.row_numbers.tolist() == [1, 3] and chunk.y.tolist() == [1.0, 0.0]
    assert source.bad_rows == 1


def test_parquet_missing_target_and_a_later_file_without_the_column(tmp_path):
    pa = _pyarrow()
    import pyarrow.parquet as pq

    first, second = str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")
    pq.write_table(pa.table({"y": [1.0, None, 0.0], "c": ["u", "v", None]}), first)
    pq.write_table(pa.table({"label": [1.0], "c": ["w"]}), second)
    with pytest.raises(ValueError, match=r"a\.parquet: row 2: target 'y' is missing"):
        list(open_source(first, target="y").chunks())
    (chunk,) = open_source(first, target="y", skip_bad_rows=True).chunks()
    assert chunk.row_numbers.tolist() == [1, 3] and chunk.X["c"].tolist()[0] == "u"
    assert pd.isna(chunk.X["c"].tolist()[1])
    # every file's columns are checked when the source is opened, before anything is read
    with pytest.raises(
        ValueError,
        match=r"target column 'y' not found in .*b\.parquet; its "
        r"columns are \['label', 'c'\]",
    ):
        open_source([first, second], target="y")


# ------------------------------------------------------------------------------ bad rows
BAD_CSV = (
    "y,c,v\n"
    "1,a,1.0\n"  # 1
    "0,b\n"  # 2: too few fields
    "1,c,x1\n"  # 3: not a number
    "0,d,2.0\n"  # 4
    ",e,3.0\n"  # 5: missing target
    "1,f,4.0,9\n"  # 6: too many fields
    "q,g,5.0\n"  # 7: target not a number
    "1,h,6.0\n"
)  # 8


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 100])
def test_bad_rows_skipped_keep_row_numbers_and_positions(tmp_path, batch_rows):
    _pyarrow()
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    source = open_source(
        str(path), target="y", numeric=["v"], skip_bad_rows=True, batch_rows=batch_rows
    )
    chunks = list(source.chunks())
    assert np.concatenate([c.row_numbers for c in chunks]).tolist() == [1, 4, 8]
    assert _stack(chunks)[0]["c"].tolist() == ["a", "d", "h"]
    assert source.bad_rows == 5
    assert sum(c.bad_rows for c in chunks) <= 5  # a chunk of only bad rows is not yielded
    # in the order of the rows ("the first 10 skipped rows"; row 6, of too many fields, came
    # after row 7 in a chunk holding both)
    rows = [int(m.split("row ")[1].split(":")[0]) for m in source.bad_row_examples]
    assert rows == [2, 3, 5, 6, 7]
    assert all(m.startswith(f"{path}:row ") for m in source.bad_row_examples)
    for c in chunks:  # chunk boundaries are physical rows
        assert c.end.row % batch_rows == 0 or c.end.row == 8
        assert c.row_numbers.max() <= c.end.row
    # resuming after each chunk gives the rest
    for k, c in enumerate(chunks):
        rest = list(source.chunks(c.end))
        assert [_chunk_key(r) for r in rest] == [_chunk_key(r) for r in chunks[k + 1 :]]


@pytest.mark.parametrize(
    "text, message",
    [
        ("y,c,v\n1,a,1\n0,b\n", r"row 2: expected 3 fields, found 2"),
        ("y,c,v\n1,a,1\n0,b,1,2\n", r"row 2: expected 3 fields, found 4"),
        ("y,c,v\n1,a,1\n1,b,1\n0,b,zz\n", r"row 3: column 'v': 'zz' is not a number"),
        ("y,c,v\n1,a,1\nx,b,1\n", r"row 2: target 'y': 'x' is not a number"),
        ("y,c,v\n1,a,1\n\n,b,1\n", r"row 2: target 'y' is missing"),
        ("y,c,v\n1,a,1\n0,b,x\n1,a\n", r"row 2: column 'v': 'x' is not a number"),  # first first
        # infinite numbers parse, but no estimator takes them: the row is bad, as one that does
        # not parse (1e400 overflows to inf)
        ("y,c,v\n1,a,1\ninf,b,1\n", r"row 2: target 'y': 'inf' is not finite"),
        ("y,c,v\n1,a,1\n1,b,1\n1e400,b,1\n", r"row 3: target 'y': '1e400' is not finite"),
        ("y,c,v\n1,a,1\n0,b,-inf\n", r"row 2: column 'v': '-inf' is not finite"),
    ],
)
@pytest.mark.parametrize("batch_rows", [1, 1000])
def test_bad_row_messages_name_file_and_row(tmp_path, text, message, batch_rows):
    _pyarrow()
    path = tmp_path / "in.csv"
    path.write_text(text)
    source = open_source(str(path), target="y", numeric=["v"], batch_rows=batch_rows)
    with pytest.raises(ValueError, match=f"in\\.csv: {message}"):
        list(source.chunks())


def test_bad_row_far_into_a_file_has_its_row_number(tmp_path):
    _pyarrow()
    path = tmp_path / "big.csv"
    lines = ["y,c,v"] + [f"{k % 2},c{k % 13},{k}.5" for k in range(1, 60_001)]
    lines[45_678] = "1,c1"
    path.write_text("\n".join(lines) + "\n")
    seen = []
    with pytest.raises(ValueError, match=r"big\.csv: row 45678: expected 3 fields, found 2"):
        for chunk in open_source(str(path), target="y", numeric=["v"], batch_rows=10_000).chunks():
            seen.append(chunk.end.row)
    assert seen == [10_000, 20_000, 30_000, 40_000]  # rows before it were yielded


def test_a_file_of_only_malformed_rows_stops(tmp_path):
    _pyarrow()
    path = tmp_path / "semicolons.csv"
    path.write_text("a,b\n" + "1;2\n" * 120_000)  # the wrong delimiter: every row malformed
    source = open_source(str(path), target="a", skip_bad_rows=True)
    with pytest.raises(
        ValueError,
        match=r"semicolons\.csv: more than 100,000 rows in a row "
        r"\(up to row 100001\) are malformed .*delimiter ','",
    ):
        list(source.chunks())


def test_missing_column_empty_and_header_only_files(tmp_path):
    _pyarrow()
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(
        ValueError,
        match=r"target column 'clicked' not found in .*d\.csv; its "
        r"columns are \['a', 'b'\]",
    ):
        open_source(str(path), target="clicked")
    with pytest.raises(ValueError, match=r"numeric column 'v' not found in .*d\.csv"):
        open_source(str(path), target="a", numeric=["v"])
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"e\.csv is empty"):
        open_source(str(empty))
    zipped = tmp_path / "e.csv.gz"
    zipped.write_bytes(gzip.compress(b""))
    with pytest.raises(ValueError, match=r"e\.csv\.gz is empty"):
        open_source(str(zipped))
    header = tmp_path / "h.csv"
    header.write_text("a,b\n")
    assert list(open_source(str(header), target="a").chunks()) == []
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n\n")
    with pytest.raises(ValueError, match=r"blank\.csv is empty"):
        open_source(str(blank))
    for text in (b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n\r\n"):  # a spreadsheet's, empty
        blank.write_bytes(text)
        with pytest.raises(ValueError, match=r"blank\.csv is empty"):
            open_source(str(blank))


def test_a_csv_row_longer_than_a_block_is_refused_not_read_whole(tmp_path):
    # a long row among the first ones grew the header's block (up to 2 GiB), and the file
    # was then read in blocks of that size: a last line with no line end was taken whole
    first = tmp_path / "first.csv"
    first.write_bytes(b"y,x\n1," + b"7" * (20 << 20))
    with pytest.raises(ValueError, match=r"first\.csv: a row among the first ones is longer"):
        open_source(str(first), target="y")
    later = tmp_path / "later.csv"
    later.write_bytes(b"y,x\n" + b"1,2\n" * 300_000 + b'0,"' + b"7" * (5 << 20))
    with pytest.raises(ValueError, match=r"later\.csv: a row is longer than 2,097,152 bytes"):
        list(open_source(str(later), target="y").chunks())


def test_a_wide_csv_whose_first_rows_exceed_the_headers_block_is_read(tmp_path):
    # (the refusal of a long first row took a header read in a 4 MiB block and rows of 6.6 MB
    # as too long, though its rows are read in blocks of 8 MiB: it had trained before)
    _pyarrow()
    # its bytes are the point, not its columns: 2,000 columns of long names and values
    n = 2_000
    header = ",".join(["t"] + [f"c{k:06d}{'_' * 1_193}" for k in range(n)])
    rows = [
        f"{t},{v}," + ",".join(["x" * 3_330] * (n - 1)) for t, v in ((1, 12345678901234.5), (0, 8))
    ]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    # (the first row spans three of the header's 4 MiB blocks: pyarrow's "straddling")
    assert 2 << 20 < len(header) < 4 << 20 < len(rows[0]) < 8 << 20
    first = f"c{0:06d}{'_' * 1_193}"
    (chunk,) = open_source(str(path), target="t", numeric=[first], categorical=[]).chunks()
    assert chunk.y.tolist() == [1.0, 0.0]
    assert chunk.X[first].tolist() == [12345678901234.5, 8.0]
    # its rows are read at the 8 MiB the first one needed (not twice that)
    with open(path, "a") as f:
        f.write("0,1," + ",".join(["y" * 6_000] * (n - 1)) + "\n")  # a third row of 12 MB
    with pytest.raises(ValueError, match=r"wide\.csv: a row is longer than 8,388,608 bytes"):
        list(open_source(str(path), target="t", numeric=[first], categorical=[]).chunks())


def test_csv_header_longer_than_a_block(tmp_path):
    _pyarrow()
    # a 250 kB header, of 250 long names (each column costs ~0.2 ms to plan and read)
    names = [f"{'a_long_column_name_' * 52}{k:06d}" for k in range(250)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join(str(k % 3) for k in range(250)) + "\n")
    (chunk,) = open_source(str(path), target=names[0]).chunks()
    assert chunk.X.shape == (1, 249) and chunk.X.iloc[0, -1] == str(249 % 3)


@pytest.mark.parametrize("padding", [0, 5 << 20])
def test_a_line_end_in_a_quoted_csv_header_name_is_part_of_the_name(tmp_path, padding):
    # (RFC 4180): the header ends at the first line end outside quotes, whether it fits in
    # the first block read (64 kB) or not; a value may hold one too
    _pyarrow()
    target = 'cl\n"icked'
    frame = pd.DataFrame({target: [1, 0, 1], "city": ["Oslo", "Ro\nme", "Lima"]})
    for k in range(padding // 100_000):
        frame[f"{k}{'_' * 100_000}"] = 0
    path = tmp_path / "quoted.csv"
    frame.to_csv(path, index=False)
    assert path.read_bytes().startswith(b'"cl\n""icked",city')
    (chunk,) = open_source(str(path), target=target, categorical=["city"]).chunks()
    assert chunk.y.tolist() == [1.0, 0.0, 1.0]
    assert list(chunk.X.columns) == ["city"]
    assert chunk.X["city"].tolist() == ["Oslo", "Ro\nme", "Lima"]
    assert chunk.row_numbers.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "text, message",
    [
        ('"y,x\n1,2\n0,3\n', r"a quoted field of its header is left open"),
        ('y,"x\n1,2\n0,3\n', r"a quoted field of its header is left open"),
        ('"y\n"",x\n1,2\n', r"a quoted field of its header is left open"),
        ("y,x", r"its header has no line end"),
        ('"y\nz",x', r"its header has no line end"),
        # after what pyarrow skips before a header: empty lines, a UTF-8 byte-order mark
        ("\ny,x", r"its header has no line end"),
        ("\r\n\r\ny,x", r"its header has no line end"),
        ('\n"y,x\n1,2\n0,3\n', r"a quoted field of its header is left open"),
        ('\ufeff"y,x\n1,2\n0,3\n', r"a quoted field of its header is left open"),
    ],
)
def test_a_csv_header_that_never_ends_is_named(tmp_path, text, message):
    # pyarrow finds no header in any block; a file of a few bytes was said to have "a header
    # longer than 33,554,432 bytes"
    _pyarrow()
    path = tmp_path / "open.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"open\.csv: {message}"):
        open_source(str(path), target="y")


def _write_compressed(path, data):
    """Write `data` to `path`, compressed as its suffix says (.gz, .zst) or plain."""
    if str(path).endswith(".zst"):
        pa = _pyarrow()
        with pa.CompressedOutputStream(str(path), "zstd") as f:
            f.write(data)
    else:
        path.write_bytes(gzip.compress(data) if str(path).endswith(".gz") else data)
    return str(path)


@pytest.mark.parametrize(
    "text, categorical",
    [
        # in the last column: the row had its fields, and took the rest of the file as text
        ('y,x\n1,a\n0,"b\n1,c\n0,d\n', None),
        ('y,x\n1,a\n0,"b\n1,c\n0,d\n', []),  # (a last column that is not read)
        ('y,x\n1,a\n0,"b""\n1,c\n0,d', None),
        ('y,x\r\n1,a\r\n0,"b\r\n1,c\r\n', None),
        # in an earlier one: the row is short of fields, and was one bad row when skipping
        ('y,x,z\n1,a,q\n0,"b,q\n1,c,q\n0,d,q\n', None),
        ('y,x,z\n1,a,q\n0,"b,q\n1,c,q\n0,d,q\n', ["x"]),
    ],
)
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".csv.zst"])
@pytest.mark.parametrize("skip_bad_rows", [False, True])
@pytest.mark.parametrize("batch_rows", [1, 1000])
def test_a_quoted_field_left_open_to_the_end_of_a_csv_is_refused(
    tmp_path, text, categorical, suffix, skip_bad_rows, batch_rows
):
    # pyarrow reads the rest of the file as the field's text: the rows after it were lost
    # without a word (or counted as one bad row), where pandas refuses the file
    _pyarrow()
    path = _write_compressed(tmp_path / f"open{suffix}", text.encode())
    source = open_source(
        path,
        format="csv",  # (.zst: by pyarrow, not by the suffix)
        target="y",
        categorical=categorical,
        skip_bad_rows=skip_bad_rows,
        batch_rows=batch_rows,
    )
    seen = []
    with pytest.raises(
        ValueError,
        match=rf"open\.csv{re.escape(suffix[4:])}: row 2: a quoted field opened in this row is "
        r"never closed: the rest of the file would be read as its text",
    ):
        for chunk in source.chunks():
            seen += chunk.row_numbers.tolist()
    assert 2 not in seen  # the row holding the rest of the file is not yielded


@pytest.mark.parametrize(
    "text",
    [
        b'y,x,z\n1,a,q\n0,b,q\n1,"partial te',
        b'y,x,z\n1,a,q\n0,b,q\n1,"partial te\n\n',  # (only empty lines swallowed)
        b'y,x,z\r\n1,a,q\r\n0,b,q\r\n1,"partial te\r\n\r\n',
    ],
)
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_a_csv_cut_off_inside_a_quoted_field_of_an_earlier_column_has_one_bad_row(
    tmp_path, text, suffix
):
    # a file cut mid-write: the open field holds no line end, so no row is lost in it; it is
    # one malformed row (refused in error mode, skipped when skipping), as before the check of
    # quotes left open, not "the rest of the file would be read as its text"
    _pyarrow()
    path = _write_compressed(tmp_path / f"cut{suffix}", text)
    source = open_source(path, target="y", skip_bad_rows=True)
    chunks = list(source.chunks())
    assert [n for c in chunks for n in c.row_numbers.tolist()] == [1, 2]
    assert source.bad_rows == 1
    with pytest.raises(ValueError, match=r"row 3: expected 3 fields, found 2"):
        list(open_source(path, target="y").chunks())


@pytest.mark.parametrize("skip_bad_rows", [False, True])
@pytest.mark.parametrize("open_in", ["x", "y"])
def test_a_bad_value_before_a_quoted_field_left_open_is_named_first(
    tmp_path, skip_bad_rows, open_in
):
    # as for any malformed row: the first in the file is named; skipping, the open field
    # still refuses the file
    _pyarrow()
    path = tmp_path / "open.csv"
    row = '0,"c' if open_in == "x" else '"0,c'  # (the last column, or one short of fields)
    path.write_text(f"y,x\n1,a\nz,b\n{row}\n1,d\n")
    source = open_source(str(path), target="y", skip_bad_rows=skip_bad_rows)
    message = "row 3: a quoted field" if skip_bad_rows else "row 2: target 'y': 'z' is not"
    with pytest.raises(ValueError, match=rf"open\.csv: {message}"):
        list(source.chunks())


@pytest.mark.parametrize("batch_rows", [1_000, 100_000])
def test_a_bad_value_a_block_before_a_malformed_row_is_named_first(tmp_path, batch_rows):
    # pyarrow parses the next 2 MiB block (and refuses its malformed row) before it hands
    # over the rows before it: those were left unread, and the malformed row named instead
    _pyarrow()
    rows = ["x,y"] + [f"{k},1" for k in range(300_000)]
    rows[250_000] = "5,"  # the target missing
    rows[260_000] = "5,1,7"  # a field too many, 90 kB further
    path = tmp_path / "late.csv"
    path.write_text("\n".join(rows) + "\n")
    source = open_source(str(path), target="y", numeric=["x"], batch_rows=batch_rows)
    with pytest.raises(ValueError, match=r"late\.csv: row 250000: target 'y' is missing"):
        list(source.chunks())


@pytest.mark.parametrize(
    "text, last",
    [
        ('y,x\n1,a\n0,"b\n1"\n', "b\n1"),
        ('y,x\n1,a\n0,"b\n1"', "b\n1"),
        ('y,x\n1,a\n0,"b\n"\n\n', "b\n"),
        ('y,x\n1,a\n0,"\n"\n', "\n"),
        ('y,x\n1,a\n0,"b""\n""c"\n', 'b"\n"c'),
        ('y,x\n1,a\n0,"b,\n1,"c\n', "b,\n1,c"),  # (closed by the quote before c)
        ('x\n"a"\n"\n"\n', "\n"),  # one column: the value is the row
        ('y,x\n1,a\n0,"b', "b"),  # open, but no line end in it: no row is lost
        ('y,x\n1,a\n0,"b\n\n', "b\n\n"),  # open, only empty lines after it: none lost
        ('y,x\n1,a\n0,"b\r\n', "b\r\n"),
    ],
)
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_a_csv_ending_in_a_quoted_field_that_holds_line_ends_is_read(tmp_path, text, last, suffix):
    _pyarrow()
    path = _write_compressed(tmp_path / f"closed{suffix}", text.encode())
    target = "y" if text.startswith("y") else None
    for skip_bad_rows in (False, True):
        chunks = list(open_source(path, target=target, skip_bad_rows=skip_bad_rows).chunks())
        assert chunks[-1].X["x"].tolist()[-1] == last
        assert chunks[-1].row_numbers.tolist()[-1] == 2


def test_a_csv_read_for_no_column_still_gives_its_rows(tmp_path):
    # the last column, read for the check of quotes left open only, leaves each batch: a
    # batch rebuilt from no column had no row
    _pyarrow()
    path = tmp_path / "a.csv"
    path.write_bytes(b"x,z\n1,q\n2,r\n3,s\n")
    chunks = list(open_source(str(path), categorical=[]).chunks())
    assert [c.row_numbers.tolist() for c in chunks] == [[1, 2, 3]]
    assert chunks[0].X.shape == (3, 0)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_a_file_changed_between_passes_is_checked_for_an_open_quote_again(tmp_path, suffix):
    # a file's end found closed is not read again on the next passes (for a compressed file,
    # a whole decompression each pass), unless the file changed
    _pyarrow()
    closed = _write_compressed(tmp_path / f"f{suffix}", b'y,x\n1,a\n0,"b\n1"\n')
    source = open_source(closed, target="y")
    for _ in range(2):
        assert list(source.chunks())[-1].X["x"].tolist() == ["a", "b\n1"]
    _write_compressed(tmp_path / f"f{suffix}", b'y,x\n1,a\n0,"b\n1')  # now left open
    with pytest.raises(ValueError, match="row 2: a quoted field opened in this row is never"):
        list(source.chunks())


@pytest.mark.parametrize("skip_bad_rows", [False, True])
@pytest.mark.parametrize("categorical", [["x"], []])
def test_a_quote_left_open_in_a_last_column_named_twice_is_refused(
    tmp_path, skip_bad_rows, categorical
):
    # pyarrow reads a name's first column: the last one, named as an earlier one, was not
    # read, and a quote left open in it was not seen (the rows it swallowed were lost)
    _pyarrow()
    header = "y,z,x,z\n"
    path = tmp_path / "twice.csv"
    path.write_text(header + '1,a,p,b\n0,c,q,"d\n1,e,r,f\n0,g,s,h\n')
    source = open_source(
        str(path), target="y", categorical=categorical, skip_bad_rows=skip_bad_rows
    )
    with pytest.raises(ValueError, match="row 2: a quoted field opened in this row is never"):
        list(source.chunks())
    # closed, it is read as before, the columns read taken by their position
    path.write_text(header + '1,a,p,b\n0,c,q,"d\n1"\n')
    chunks = list(open_source(str(path), target="y", categorical=["x"]).chunks())
    assert [c.X["x"].tolist() for c in chunks] == [["p", "q"]]
    assert [c.y.tolist() for c in chunks] == [[1.0, 0.0]]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
@pytest.mark.parametrize(
    "header", ["y,t,x", "y,x,t,u", "y,t", "Y,x,t", '"y,x",t', "x,y,t", "y,x,t,t", ""]
)
def test_a_csv_whose_header_changed_between_passes_is_refused(tmp_path, suffix, header):
    # its columns were planned by the header read when it was opened: reordered, the file's
    # last column was no longer the one checked for a quote left open (the rows it swallowed
    # were lost without a word); a column read named twice was read by its first one
    _pyarrow()
    path = tmp_path / f"f{suffix}"
    _write_compressed(path, b"y,x,t\n1,a,p\n0,b,q\n1,c,r\n")
    source = open_source(str(path), target="y", categorical=["x"])
    assert [c.X["x"].tolist() for c in source.chunks()] == [["a", "b", "c"]]
    fields = header.split(",")
    row = ['"b' if name == "x" else "0" for name in fields]  # (a quote left open in x)
    _write_compressed(path, f"{header}\n{','.join(row)}\n1,1,1,1\n".encode())
    with pytest.raises(ValueError, match=r"f\.csv(\.gz)?: its header changed since the file"):
        list(source.chunks())
    _write_compressed(path, b"y,x,t\n1,d,p\n")  # the same header again
    assert [c.X["x"].tolist() for c in source.chunks()] == [["d"]]


@pytest.mark.parametrize("skip_bad_rows", [False, True])
@pytest.mark.parametrize("change", ["truncated", "appended"])
def test_a_csv_whose_size_changes_while_read_is_refused(
    tmp_path, monkeypatch, skip_bad_rows, change
):
    # pyarrow reads to whatever end the file has: rows past a cut were lost without a word,
    # and the last row read was cut off where the file was cut (a number cut short) or where
    # its writer was
    _pyarrow()
    import pyarrow.csv as pcsv

    path = tmp_path / "f.csv"
    path.write_bytes(b"y,x\n1,1000\n0,2000\n1,3000\n")
    source = open_source(str(path), target="y", numeric=["x"], skip_bad_rows=skip_bad_rows)
    open_csv = pcsv.open_csv

    def change_then_read(*args, **kwargs):  # the file changes once the pass began
        with open(path, "r+b") as f:
            if change == "truncated":
                f.truncate(len(b"y,x\n1,1000\n0,20"))
            else:
                f.seek(0, os.SEEK_END)
                f.write(b"0,40")
        return open_csv(*args, **kwargs)

    monkeypatch.setattr(pcsv, "open_csv", change_then_read)
    with pytest.raises(ValueError, match=r"f\.csv: it changed while this pass read it"):
        list(source.chunks())
    monkeypatch.setattr(pcsv, "open_csv", open_csv)
    expected = [1000, 20] if change == "truncated" else [1000, 2000, 3000, 40]
    assert [v for c in source.chunks() for v in c.X["x"].tolist()] == expected  # as it is now


@pytest.mark.parametrize("change", ["truncated", "appended", "replaced"])
def test_a_csv_changed_in_the_middle_of_a_pass_is_refused(tmp_path, change):
    # replaced: the end of the file, read again to check the quote left open in its last
    # field, was the new file's (closed): the rows that quote swallowed were lost silently
    _pyarrow()
    rows = b"".join(b"%d,%d,t\n" % (k % 2, k) for k in range(600_000))  # (several blocks)
    path = tmp_path / "f.csv"
    path.write_bytes(b"y,x,t\n" + rows + b'0,5,"b\n1')
    source = open_source(str(path), target="y", numeric=["x"], batch_rows=10_000)
    chunks = source.chunks()
    next(chunks)
    if change == "truncated":
        os.truncate(path, len(rows) // 2)
    elif change == "appended":
        with open(path, "ab") as f:
            f.write(b"1,2,t")
    else:
        (tmp_path / "new.csv").write_bytes(b"y,x,t\n" + rows + b'0,5,"b\n1"\n')
        os.replace(tmp_path / "new.csv", path)
    with pytest.raises(ValueError, match=r"f\.csv: it changed while this pass read it"):
        list(chunks)


@pytest.mark.parametrize("rows", [600_000, 250_000])
def test_a_csv_written_over_in_the_middle_of_a_pass_gives_no_row_read_after_the_change(
    tmp_path, monkeypatch, rows
):
    # the end-of-file check refused the pass after the chunks of every batch read after the
    # change had been given (with rows a whole number of chunks, the last one's too); each
    # batch is now checked once read, before its rows are given. (The file is written over
    # as the reader asks for its second batch: what pyarrow then gives may still be old bytes
    # it read ahead, so the test counts rows read after the change, not their labels.)
    # (250,000 rows: the last block's rows end a chunk)
    _pyarrow()
    import pyarrow.csv as pcsv

    body = b"".join(b"0,%07d\n" % k for k in range(rows))  # (blocks of 2 MiB: several)
    path = tmp_path / "f.csv"
    path.write_bytes(b"y,x\n" + body)
    open_csv, read_before_the_change = pcsv.open_csv, []

    class ChangedAtTheSecondBatch:
        def __init__(self, reader):
            self.reader, self.read = reader, 0

        def __getattr__(self, name):
            return getattr(self.reader, name)

        def read_next_batch(self):
            if self.read and not read_before_the_change:
                read_before_the_change.append(self.read)
                with open(path, "r+b") as f:  # the same size, every label 1
                    f.write(b"y,x\n" + body.replace(b"0,", b"1,"))
            batch = self.reader.read_next_batch()
            self.read += batch.num_rows
            return batch

    monkeypatch.setattr(
        pcsv, "open_csv", lambda *a, **k: ChangedAtTheSecondBatch(open_csv(*a, **k))
    )
    given = []
    with pytest.raises(ValueError, match=r"f\.csv: it changed while this pass read it"):
        for chunk in open_source(str(path), target="y", numeric=["x"], batch_rows=10_000).chunks():
            given.append(chunk)
    (before,) = read_before_the_change
    assert 0 < before < rows
    assert sum(len(c.y) for c in given) <= before  # no row of a batch read after the change
    assert np.array_equal(
        np.concatenate([c.X["x"].to_numpy() for c in given]), np.arange(10_000 * len(given))
    )
    assert not any(chunk.y.any() for chunk in given)


@pytest.mark.parametrize("rows", [60_000, 8 * 4096])
@pytest.mark.parametrize("change", ["written over in place", "replaced"])
def test_a_parquet_file_changed_in_the_middle_of_a_pass_is_refused(tmp_path, change, rows):
    # its pages are read as the chunks need them: written over in place, the rest of the pass
    # came from the new file's bytes without a word (its layout the same: numbers only); each
    # batch is checked before its rows are given, so no row of the new bytes is given (nor
    # the last batch's, when the rows are a whole number of chunks)
    pa = _pyarrow()
    import pyarrow.parquet as pq

    def table(y):
        return pa.table({"y": y, "x": np.arange(y.shape[0], dtype=np.float64)})

    path = tmp_path / "f.parquet"
    # (the same layout whatever the numbers: the bytes of the new file's pages where the old
    # file's were)
    same_layout = dict(
        row_group_size=4096, use_dictionary=False, compression="none", write_statistics=False
    )
    pq.write_table(table(np.zeros(rows)), path, **same_layout)
    chunks = open_source(str(path), target="y", numeric=["x"], batch_rows=4096).chunks()
    given = [next(chunks)]
    if change == "replaced":
        pq.write_table(table(np.ones(rows)), tmp_path / "new.parquet", **same_layout)
        os.replace(tmp_path / "new.parquet", path)
    else:
        pq.write_table(table(np.ones(rows)), path, **same_layout)
    with pytest.raises(ValueError, match=r"f\.parquet: it changed while this pass read it"):
        for chunk in chunks:
            given.append(chunk)
    assert 1 <= len(given) < -(-rows // 4096)
    assert not any(chunk.y.any() for chunk in given)  # every row given is the old file's


def test_a_parquet_file_changed_as_a_pass_opens_it_is_refused_before_any_chunk(
    tmp_path, monkeypatch
):
    # the state taken as the pass began is checked once the file is open, before its rows
    pa = _pyarrow()
    import pyarrow.parquet as pq

    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"y": np.zeros(10_000), "x": np.arange(10_000.0)}), path)
    source = open_source(str(path), target="y", numeric=["x"], batch_rows=1000)
    os_file = pa.OSFile

    def change_then_open(*args, **kwargs):  # the file is written over as the pass opens it
        pq.write_table(pa.table({"y": np.ones(10_000), "x": np.arange(10_000.0)}), path)
        monkeypatch.setattr(pa, "OSFile", os_file)
        return os_file(*args, **kwargs)

    monkeypatch.setattr(pa, "OSFile", change_then_open)
    given = []
    with pytest.raises(ValueError, match=r"f\.parquet: it changed while this pass read it"):
        for chunk in source.chunks():
            given.append(chunk)
    assert not given


@pytest.mark.parametrize(
    "columns",
    [
        {"y": [1, 0], "n": [1.0, 2.0]},  # x gone
        {"y": [1, 0], "x": [["a"], ["b"]], "n": [1.0, 2.0]},  # x of lists
        {"y": [1, 0], "x": ["a", "b"], "n": [[1.0], [2.0]]},
        {"y": [1, 0], "x": ["a", "b"], "n": [{"a": 1}, {"a": 2}]},
    ],
)
def test_a_parquet_column_gone_or_nested_between_passes_is_refused(tmp_path, columns):
    # the columns were checked (one number or string a row) when the file was opened: a
    # column gone or of lists failed with a KeyError or ArrowNotImplementedError
    pa = _pyarrow()
    import pyarrow.parquet as pq

    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"y": [1, 0], "x": ["a", "b"], "n": [1.0, 2.0]}), path)
    source = open_source(str(path), target="y", numeric=["n"], categorical=["x"])
    assert [c.X["n"].tolist() for c in source.chunks()] == [[1.0, 2.0]]
    pq.write_table(pa.table(columns), path)
    with pytest.raises(ValueError, match=r"f\.parquet: (its )?column '(x|n)' (is gone|holds)"):
        list(source.chunks())
    # reordered, of another flat type: read by name, as a file opened so
    pq.write_table(pa.table({"n": [3], "x": [4], "y": [1]}), path)
    assert [c.X["n"].tolist() for c in source.chunks()] == [[3.0]]
    assert [c.X["x"].tolist() for c in source.chunks()] == [["4"]]


@pytest.mark.parametrize("threaded", [True, False])
def test_line_ends_in_the_last_column_across_blocks_give_the_rows_of_pandas(tmp_path, threaded):
    # (a batch whose last row holds a line end in its last column waits for the next rows)
    _pyarrow()
    n = 200_000  # three 2 MiB blocks (the second ends in a row whose text holds a line end)
    text = [f'row {k}, a\n"line"' * (k % 3) for k in range(n)]
    frame = pd.DataFrame({"y": np.arange(n) % 2, "text": text})
    frame.loc[n - 1, "text"] = "end\n"
    path = tmp_path / "texts.csv"
    frame.to_csv(path, index=False)
    source = open_source(str(path), target="y", batch_rows=7_000, skip_bad_rows=not threaded)
    chunks = list(source.chunks())
    X, y = _stack(chunks)
    expected = pd.read_csv(path, keep_default_na=False, na_values={"text": [""]})
    _same_frame(X, expected[["text"]])
    np.testing.assert_array_equal(y, expected["y"].to_numpy(float))
    resumed = list(source.chunks(chunks[9].end))
    assert [_chunk_key(c) for c in resumed] == [_chunk_key(c) for c in chunks[10:]]


@pytest.mark.parametrize("cut", ["half", "garbage"])
def test_truncated_or_corrupt_gzip_names_the_file(tmp_path, cut):
    _pyarrow()
    frame = _frame(20_000, seed=4)
    data = gzip.compress(frame.to_csv(index=False).encode())
    if cut == "half":
        data = data[: len(data) // 2]
    else:
        data = data[:100] + bytes(range(256)) * 40 + data[100 + 256 * 40 :]
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"cut\.csv\.gz"):
        list(open_source(str(path), target="clicked", numeric=["price"], batch_rows=1000).chunks())


def test_a_compressed_suffix_in_capitals_is_refused(tmp_path):
    _pyarrow()
    path = _write_csv(_frame(20), tmp_path / "d.csv")
    shouted = tmp_path / "D.CSV.GZ"
    shouted.write_bytes(gzip.compress(open(path, "rb").read()))
    # pyarrow would read the gzip'd bytes as the text of one garbled row
    with pytest.raises(ValueError, match=r"suffix \.GZ is read as compressed in lower case only"):
        open_source(str(shouted), target="clicked")
    (tmp_path / "d.csv.gz").write_bytes(shouted.read_bytes())
    chunks = list(open_source(str(tmp_path / "d.csv.gz"), target="clicked").chunks())
    assert sum(len(c.y) for c in chunks) == 20


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_refused_as_no_regular_file(tmp_path):
    pipe = tmp_path / "rows.csv"
    os.mkfifo(pipe)
    with pytest.raises(ValueError, match="rows.csv is not a regular file"):
        open_source(str(pipe), target="y")


def test_unreadable_inputs(tmp_path):
    with pytest.raises(ValueError, match=r"format.*\['csv', 'parquet', 'svmlight'\]"):
        open_source(str(tmp_path / "data.xlsx"))
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        open_source(str(tmp_path / "nope.csv"))
    with pytest.raises(ValueError, match="several formats"):
        (tmp_path / "a.csv").write_text("a\n1\n")
        (tmp_path / "b.svm").write_text("1 1:1\n")
        open_source([str(tmp_path / "a.csv"), str(tmp_path / "b.svm")], n_features=3)
    with pytest.raises(ValueError, match="batch_rows"):
        open_source([], batch_rows=0)
    with pytest.raises(ValueError, match="numeric and as categorical"):
        open_source(str(tmp_path / "a.csv"), numeric=["a"], categorical=["a"])


# ------------------------------------------------------------------------------ resume
def _write(fmt, frame, path, bad_every):
    """Write `frame` (y, c, v) as fmt; every bad_every-th row malformed (0: none)."""
    lines = []
    for k, (y, c, v) in enumerate(frame.itertuples(index=False), start=1):
        bad = bad_every and k % bad_every == 0
        if fmt == "svmlight":
            lines.append(f"{y} {1 + (k % 5)}:{v}" + (" 2:x" if bad else ""))
        else:
            lines.append(f"{y},{c}" if bad else f"{y},{c},{v}")
    if fmt == "svmlight":
        path.write_text("\n".join(lines) + "\n")
    else:
        path.write_text("y,c,v\n" + "\n".join(lines) + "\n")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(0, 40),
    batch_rows=st.integers(1, 25),
    bad_every=st.sampled_from([0, 3, 7]),
    fmt=st.sampled_from(["csv", "svmlight", "frames", "parquet"]),
    files=st.integers(1, 2),
    pick=st.randoms(use_true_random=False),
)
def test_resume_from_chunk_ends_gives_the_remaining_chunks(
    tmp_path_factory, n, batch_rows, bad_every, fmt, files, pick
):
    if fmt in ("csv", "parquet"):
        _pyarrow()
    rng = np.random.default_rng(n * 31 + batch_rows)
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "c": rng.choice(["a", "b", "cc"], n),
            "v": np.round(rng.normal(size=n), 2),
        }
    )
    where = tmp_path_factory.mktemp("resume")
    if fmt == "frames":
        batches = [frame.iloc[k : k + batch_rows] for k in range(0, n, batch_rows)] * files
        source = open_source(batches, target="y")
    else:
        paths = []
        for f in range(files):
            if fmt == "parquet":
                pa = _pyarrow()
                import pyarrow.parquet as pq

                path = where / f"d{f}.parquet"
                pq.write_table(
                    pa.Table.from_pandas(frame, preserve_index=False),
                    str(path),
                    row_group_size=max(1, n // 3 or 1),
                )
            else:
                path = where / f"d{f}.{'svm' if fmt == 'svmlight' else 'csv'}"
                _write(fmt, frame, path, bad_every)
            paths.append(str(path))
        source = open_source(
            paths,
            target="y",
            numeric=["v"],
            batch_rows=batch_rows,
            skip_bad_rows=True,
            n_features=8,
        )
    chunks = list(source.chunks())
    keys = [_chunk_key(c) for c in chunks]
    assert keys == [_chunk_key(c) for c in source.chunks()]  # a second pass is the same
    assert all(len(c.row_numbers) > 0 for c in chunks)
    # resume from a few chunk ends (the first, the last, two at random): the rest, exactly
    ends = (
        sorted(
            {0, len(chunks) - 1, pick.randrange(len(chunks) or 1), pick.randrange(len(chunks) or 1)}
        )
        if chunks
        else []
    )
    for k in ends:
        assert [_chunk_key(r) for r in source.chunks(chunks[k].end)] == keys[k + 1 :]
    if fmt in ("csv", "svmlight", "parquet"):
        # a fresh source resumes the same way (nothing carried over in the object)
        fresh = open_source(
            paths,
            target="y",
            numeric=["v"],
            batch_rows=batch_rows,
            skip_bad_rows=True,
            n_features=8,
        )
        for k in ends[:2]:
            assert [_chunk_key(r) for r in fresh.chunks(chunks[k].end)] == keys[k + 1 :]
        total = sum(len(c.row_numbers) for c in chunks)
        expected_bad = 0 if fmt == "parquet" or not bad_every else n // bad_every
        assert total == files * (n - expected_bad)
        for c in chunks:  # chunks never span two files
            assert c.file == paths[c.end.file]


def test_start_outside_the_source_is_refused(tmp_path):
    _pyarrow()
    path = _write_csv(_frame(5), tmp_path / "d.csv")
    source = open_source(path, target="clicked")
    with pytest.raises(ValueError, match="not a position"):
        list(source.chunks(Position(file=2)))
    with pytest.raises(TypeError, match="Position"):
        list(source.chunks((0, 1)))
    assert list(source.chunks(Position(file=1))) == []


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet", "svm", "svm.gz"])
def test_a_start_past_a_files_end_is_refused_when_the_file_is_reached(tmp_path, fmt):
    _pyarrow()
    frame = _frame(50)
    path = tmp_path / f"d.{fmt}"
    if fmt.startswith("svm"):
        X = sp.csr_matrix(np.eye(50, 4))
        with (gzip.open if fmt.endswith(".gz") else open)(path, "wb") as f:
            dump_svmlight_file(X, frame["clicked"].to_numpy(), f)
        source = open_source(str(path), n_features=4)
    else:
        if fmt == "parquet":
            frame.to_parquet(path, row_group_size=20)
        else:
            _write_csv(frame, path)
        source = open_source(str(path), target="clicked")
    # the file's last row is a position (nothing after it); one row further is not: a source
    # that silently gave nothing there would resume a changed file as if it had been read
    assert list(source.chunks(Position(0, 50))) == []
    with pytest.raises(ValueError, match=r"row 51, lies past the file's end \(50 rows\)"):
        list(source.chunks(Position(0, 51)))
    assert sum(len(c.y) for c in source.chunks(Position(0, 45))) == 5


def test_a_start_past_the_end_of_a_list_of_batches_is_refused():
    batches = [pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})] * 3
    source = open_source(batches, target="y")
    assert list(source.chunks(Position(0, 3))) == []
    with pytest.raises(ValueError, match=r"batch 4, lies past the end of the batches \(3\)"):
        list(source.chunks(Position(0, 4)))


@pytest.mark.parametrize("skip_bad_rows", [False, True])
@pytest.mark.parametrize("batch_rows", [2, 1000])
def test_bytes_that_are_not_utf8_make_a_bad_row(tmp_path, skip_bad_rows, batch_rows):
    _pyarrow()
    path = tmp_path / "raw.csv"
    path.write_bytes(b"a,v,y\nok,1,0\nbad\xff\xfe,2,1\nfine,3,1\nok,4\xff,1\nlast,5,\xc3\n")
    source = open_source(
        str(path), target="y", numeric=["v"], batch_rows=batch_rows, skip_bad_rows=skip_bad_rows
    )
    if not skip_bad_rows:
        with pytest.raises(ValueError, match="raw.csv: row 2: column 'a' holds bytes that are not"):
            list(source.chunks())
        return
    X, y = _stack(list(source.chunks()))
    assert X["a"].tolist() == ["ok", "fine"] and X["v"].tolist() == [1.0, 3.0]
    assert y.tolist() == [0.0, 1.0]
    assert [m.split(": ", 1)[0] for m in source.bad_row_examples] == [
        f"{path}:row 2",
        f"{path}:row 4",
        f"{path}:row 5",
    ]


@pytest.mark.parametrize("width", [None, 2])  # binary, fixed-size binary
def test_a_parquet_column_of_bytes_that_are_not_utf8_makes_bad_rows(tmp_path, width):
    pa = _pyarrow()
    import pyarrow.parquet as pq

    path = tmp_path / "raw.parquet"
    kind = pa.binary() if width is None else pa.binary(width)
    column = pa.array([b"ok", b"\xff\xfe", b"zz"], kind)
    pq.write_table(pa.table({"b": column, "y": [0, 1, 1]}), path)
    with pytest.raises(ValueError, match="raw.parquet: row 2: column 'b' holds bytes"):
        list(open_source(str(path), target="y").chunks())
    source = open_source(str(path), target="y", skip_bad_rows=True)
    assert _stack(list(source.chunks()))[0]["b"].tolist() == ["ok", "zz"]


# pyarrow reports the UnicodeDecodeError of its call of the handler as unraisable
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_row_both_malformed_and_not_utf8_stops_the_run_even_when_skipping(tmp_path):
    # (README: pyarrow decodes a malformed row's text for the handler, and fails, before the
    # package can skip it)
    _pyarrow()
    path = tmp_path / "raw.csv"
    path.write_bytes(b"a,v,y\nok,1,0\nbad\xff,2,1,9\nfine,3,1\n")
    with pytest.raises(ValueError, match="raw.csv: .*Expected 3 columns, got 4"):
        list(open_source(str(path), target="y", numeric=["v"], skip_bad_rows=True).chunks())


def test_a_header_that_is_not_utf8_is_named(tmp_path):
    _pyarrow()
    path = tmp_path / "raw.csv"
    path.write_bytes(b"\xff\xfe,y\nok,0\n")
    with pytest.raises(ValueError, match="raw.csv: its header holds bytes that are not UTF-8"):
        list(open_source(str(path), target="y").chunks())


@pytest.mark.parametrize("fmt", ["csv", "svmlight"])
def test_readahead_gives_the_same_chunks_errors_and_stops(tmp_path, fmt):
    if fmt == "csv":
        _pyarrow()
    frame = pd.DataFrame(
        {"y": np.arange(300) % 2, "c": ["a", "b", "c"] * 100, "v": np.arange(300) / 4}
    )
    path = tmp_path / f"d.{'svm' if fmt == 'svmlight' else 'csv'}"
    _write(fmt, frame, path, bad_every=0)
    lines = path.read_text().splitlines(keepends=True)
    bad = 250 if fmt == "svmlight" else 251  # data row 250 (line 250; CSV line 251)
    lines[bad - 1] = "1,c\n" if fmt == "csv" else "1 2:x\n"
    path.write_text("".join(lines))
    kwargs = dict(target="y", numeric=["v"], batch_rows=40, n_features=8)
    base = [_chunk_key(c) for c in open_source(str(path), skip_bad_rows=True, **kwargs).chunks()]
    ahead = open_source(str(path), skip_bad_rows=True, readahead=2, **kwargs)
    assert [_chunk_key(c) for c in ahead.chunks()] == base
    assert ahead.bad_rows == 1
    seen = []
    with pytest.raises(ValueError, match=r"d\.(csv|svm): (row|line) 250: "):
        for chunk in open_source(str(path), readahead=2, **kwargs).chunks():
            seen.append(chunk.end.row)
    assert seen == [40, 80, 120, 160, 200, 240]
    before = python_thread_idents()
    stream = open_source(str(path), readahead=3, skip_bad_rows=True, **kwargs).chunks()
    next(stream)
    assert len(python_thread_idents() - before) == 1
    stream.close()  # the caller stops early: the reading thread ends
    assert threads_settle_at(before)


@pytest.mark.parametrize("fmt", ["csv", "svmlight"])
def test_readahead_without_a_thread_to_give_reads_in_the_callers(tmp_path, fmt, monkeypatch):
    # (the read raised "can't start new thread" where the process was at its thread limit;
    # no public input keeps a thread from starting, so it is injected)
    import _thread

    if fmt == "csv":
        _pyarrow()
    frame = pd.DataFrame({"y": np.arange(100) % 2, "c": ["a", "b"] * 50, "v": np.arange(100) / 4})
    path = tmp_path / f"d.{'svm' if fmt == 'svmlight' else 'csv'}"
    _write(fmt, frame, path, bad_every=0)
    kwargs = dict(target="y", numeric=["v"], batch_rows=30, n_features=8)
    base = [_chunk_key(c) for c in open_source(str(path), **kwargs).chunks()]

    def no_thread_starts(*args):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(_thread, "start_new_thread", no_thread_starts)
    ahead = open_source(str(path), readahead=2, **kwargs)
    assert [_chunk_key(c) for c in ahead.chunks()] == base
    stream = ahead.chunks()
    next(stream)
    stream.close()  # (closed early: the file's reader is closed with it)
    assert not files_left_open_under(tmp_path)


@pytest.mark.parametrize(
    "raising",
    [raising_at, raising_after_call_or_jump],
    ids=["function entries and exits", "after calls and at jumps back"],
)
def test_readahead_interrupted_at_each_call_neither_hangs_nor_leaves_its_thread(tmp_path, raising):
    # An exception at each function entry and exit of the reading thread in turn, then right
    # after each call and at each loop's jump back, as a signal handler's would land there
    # (Ctrl-C, a SIGALRM timeout): the read raises it within seconds, the read-ahead thread is
    # gone soon after, and the source reads the same chunks again. With queue.Queue and
    # threading.Thread instead, one such exception left the queue's lock held and the read
    # hung for good; others left a thread behind.
    frame = pd.DataFrame({"y": np.arange(100) % 2, "c": ["a", "b"] * 50, "v": np.arange(100.0)})
    path = tmp_path / "d.svm"  # (read-ahead is the same for every format)
    _write("svmlight", frame, path, bad_every=0)
    kwargs = dict(target="y", numeric=["v"], batch_rows=30, n_features=8, readahead=1)
    expected = [_chunk_key(c) for c in open_source(str(path), **kwargs).chunks()]
    before = python_thread_idents()  # (after a first read: a reader's own pools have started)
    for k in itertools.count(1):
        source, outcome, tracer = open_source(str(path), **kwargs), [], raising(k)

        def read(source=source, outcome=outcome, tracer=tracer):
            sys.settrace(tracer)
            try:
                outcome.append([_chunk_key(c) for c in source.chunks()])
            except Injected:  # (not kept: its traceback would keep the chunks' generator)
                outcome.append(None)
            finally:
                sys.settrace(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=20)
        assert not reader.is_alive(), f"the read hung after an exception at event {k}"
        assert threads_settle_at(before), f"a thread was left after an exception at event {k}"
        assert [_chunk_key(c) for c in source.chunks()] == expected
        if outcome[0] is not None:
            assert outcome[0] == expected
            if not tracer.reached:  # k is past the read's last event
                break
    assert k > 2 * len(expected)  # (each chunk's resumptions were among the places)


def _open_descriptors_of(path):
    """How many of this process's file descriptors are open on ``path`` (Linux)."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            found += os.readlink(f"/proc/self/fd/{fd}") == path
        except OSError:  # (closed meanwhile: the listing's own descriptor, say)
            pass
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_a_read_ahead_closed_early_has_closed_its_file_when_an_exception_comes_out(tmp_path):
    # The caller takes a chunk and closes the stream while the read-ahead thread is inside
    # the file; an exception right after each C function called in turn, as a signal
    # handler's would land there: when it comes out, the thread has finished and the file
    # is closed. (In Python, a handler's exception just after the stop was set skipped the
    # wait: the thread went on, the file open.) Not at function entries: a trace function's
    # exception at the entry of a generator resumed by close() ends it without its
    # `finally`, which no handler's exception can do (the entries and exits of a whole read:
    # test_readahead_interrupted_at_each_call_neither_hangs_nor_leaves_its_thread).
    path = str(tmp_path / "d.svm")
    with open(path, "w") as f:
        f.writelines(f"{i % 2} 1:{i}.0 3:1\n" for i in range(100_000))
    kwargs = dict(n_features=4, batch_rows=100, readahead=1)
    for k in itertools.count(1):
        source, outcome = open_source(path, **kwargs), []

        def read(source=source, outcome=outcome, k=k):
            sys.setprofile(raising_after_c_call(k))
            try:
                stream = source.chunks()
                next(stream)
                stream.close()
                outcome.append(True)
            except Injected:
                outcome.append(False)
            finally:
                sys.setprofile(None)
            outcome.append(_open_descriptors_of(path))  # at once: no time to settle

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=20)
        assert not reader.is_alive(), f"the close hung after an exception at place {k}"
        completed, still_open = outcome
        assert still_open == 0, f"the file was open after an exception at place {k}"
        if completed:
            break
    assert k > 10


@pytest.mark.parametrize("ctrl_c", [1, 2])
def test_ctrl_c_waits_for_a_read_ahead_to_leave_its_read_and_a_second_gives_up(ctrl_c):
    # A stream read ahead is closed while its thread is inside a read that blocks (a file on
    # a stalled network mount; none of open_source's inputs can be made to block here, so the
    # read-ahead is given such a source directly). Ctrl-C during the close's wait for the
    # thread: the close waits on until the thread has left the read and closed the source,
    # then raises KeyboardInterrupt. A second Ctrl-C gives the wait up (the read might block
    # for good): KeyboardInterrupt while the read still blocks.
    from sparsereg.stream._source import _ahead

    release, reading, read_ended, closed = threading.Event(), threading.Event(), [], []
    main = threading.main_thread().ident
    threads_before = python_thread_idents()

    def source():
        try:
            yield 0
            reading.set()
            release.wait(30)  # the read that blocks
            read_ended.append(True)
            yield 1
        finally:
            closed.append(True)

    def closing_waits():  # the main thread is in the compiled wait (end_read_ahead)
        frame = sys._current_frames().get(main)
        return (
            frame is not None
            and frame.f_code.co_name == "consume"
            and "end_read_ahead(" in linecache.getline(frame.f_code.co_filename, frame.f_lineno)
        )

    def press_ctrl_c():
        deadline = time.monotonic() + 30
        while not closing_waits() and time.monotonic() < deadline:
            time.sleep(0.002)
        for _ in range(ctrl_c):
            time.sleep(0.1)
            signal.pthread_kill(main, signal.SIGINT)
        if ctrl_c == 1:
            time.sleep(0.1)  # the close must still be waiting then
            release.set()

    # Ctrl-C raises KeyboardInterrupt in the close only; one that came anywhere else would
    # end the whole test session, so it is recorded instead
    in_close, stray = [False], []

    def on_ctrl_c(signum, frame):
        if in_close[0]:
            raise KeyboardInterrupt
        stray.append(signum)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    presser = threading.Thread(target=press_ctrl_c)
    outcome = "no KeyboardInterrupt"
    try:
        stream = _ahead(source(), 1)
        assert next(stream) == 0
        assert reading.wait(30)  # the thread is inside the second read
        presser.start()
        in_close[0] = True
        try:
            stream.close()
        except KeyboardInterrupt:
            outcome = {"read ended": bool(read_ended), "source closed": bool(closed)}
        in_close[0] = False
    finally:
        in_close[0] = False
        if presser.ident is not None:  # started
            presser.join()
        release.set()
        signal.signal(signal.SIGINT, previous)
    ended = ctrl_c == 1
    assert outcome == {"read ended": ended, "source closed": ended}
    assert not stray
    assert threads_settle_at(threads_before, timeout=30)  # the thread ends once the read does
    assert closed


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_closes_a_read_ahead_stream_without_waiting_for_its_parents_thread(
    tmp_path,
):
    # the reading thread is the parent's: a child that closes the stream it inherited must
    # not wait for it (it waited for good)
    frame = pd.DataFrame({"y": np.arange(100) % 2, "c": ["a", "b"] * 50, "v": np.arange(100.0)})
    path = tmp_path / "d.svm"
    _write("svmlight", frame, path, bad_every=0)
    stream = open_source(str(path), n_features=8, batch_rows=30, readahead=1).chunks()
    next(stream)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            stream.close()
        except BaseException:
            os._exit(1)
        os._exit(0)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.02)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the child hung closing the stream")
    assert os.waitstatus_to_exitcode(status) == 0
    stream.close()


# ------------------------------------------------------------------------------ SVMlight
def _svm_file(path, zero_based, n=57, n_features=9, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, n_features, density=0.3, random_state=seed, format="csr")
    if not zero_based:
        X[:, 0] = 0  # one-based on disk: no column would be written as index 0 anyway
        X.eliminate_zeros()
    y = rng.integers(0, 3, n).astype(float)
    dump_svmlight_file(X, y, str(path), zero_based=zero_based, comment="made for a test")
    return str(path)


@pytest.mark.parametrize("zero_based", [True, False, "auto"])
@pytest.mark.parametrize("on_disk_zero_based", [True, False])
@pytest.mark.parametrize("gz", [False, True])
def test_svmlight_chunks_equal_whole_file(tmp_path, zero_based, on_disk_zero_based, gz):
    path = _svm_file(tmp_path / "d.svm", on_disk_zero_based)
    if gz:
        with open(path, "rb") as f, gzip.open(path + ".gz", "wb") as g:
            g.write(f.read())
        path += ".gz"
    try:
        X0, y0 = load_svmlight_file(path, n_features=10, zero_based=zero_based)
    except ValueError as exc:  # e.g. an index 0 read one-based: the reader refuses it too
        with pytest.raises(ValueError, match=r"d\.svm.*: line \d+: "):
            list(open_source(path, n_features=10, zero_based=zero_based, batch_rows=8).chunks())
        assert "Invalid index 0" in str(exc)
        return
    source = open_source(path, n_features=10, zero_based=zero_based, batch_rows=8)
    chunks = list(source.chunks())
    assert all(c.X.shape[1] == 10 and c.X.dtype == np.float64 for c in chunks)
    assert (sp.vstack([c.X for c in chunks]) != X0).nnz == 0
    np.testing.assert_array_equal(np.concatenate([c.y for c in chunks]), y0)
    # the header comment lines of dump_svmlight_file are lines, not rows
    with (gzip.open if gz else open)(path, "rb") as f:
        data_lines = [k for k, line in enumerate(f, 1) if not line.startswith(b"#")]
    assert np.concatenate([c.row_numbers for c in chunks]).tolist() == data_lines


def test_svmlight_auto_is_decided_once_and_kept_on_resume(tmp_path):
    # the first chunk has no index 0 (one-based), a later one has: auto stays one-based,
    # where load_svmlight_file on the whole file would say zero-based
    path = tmp_path / "late.svm"
    path.write_text("1 1:1 3:2\n0 2:1\n1 0:5 1:1\n0 4:1\n")
    source = open_source(str(path), n_features=5, batch_rows=2)
    with pytest.raises(ValueError, match=r"late\.svm: line 3: "):
        list(source.chunks())
    assert source.zero_based is False
    fine = tmp_path / "fine.svm"
    fine.write_text("1 1:1 3:2\n0 2:1\n1 1:1 5:5\n0 4:1\n")
    uninterrupted = list(open_source(str(fine), n_features=5, batch_rows=2).chunks())
    resumed = list(open_source(str(fine), n_features=5, batch_rows=2).chunks(uninterrupted[0].end))
    assert [_chunk_key(c) for c in resumed] == [_chunk_key(c) for c in uninterrupted[1:]]
    assert resumed[0].X[0, 4] == 5.0  # index 5 one-based is column 4


def test_svmlight_auto_is_decided_on_a_block_whose_only_index_is_the_width(tmp_path):
    # block 2 holds index 3 of 3 features, on a line beside a bad one: the decision read it
    # zero-based, where it is past the width, and left it out; the block was then read
    # zero-based (line 4 skipped) where a resume, deciding one-based first, read it
    path = tmp_path / "width.svm"
    path.write_text("1\n1\nx 1:1\n1 3:1\n0 1:1\n1 2:1\n")
    source = open_source(str(path), n_features=3, batch_rows=2, skip_bad_rows=True)
    uninterrupted = list(source.chunks())
    assert source.zero_based is False
    assert [n for c in uninterrupted for n in c.row_numbers.tolist()] == [1, 2, 4, 5, 6]
    resumed = open_source(str(path), n_features=3, batch_rows=2, skip_bad_rows=True)
    chunks = list(resumed.chunks(uninterrupted[0].end))
    assert [_chunk_key(c) for c in chunks] == [_chunk_key(c) for c in uninterrupted[1:]]


def test_svmlight_bad_lines(tmp_path):
    path = tmp_path / "b.svm"
    path.write_text("1 1:0.5\n# a comment\n0 2:x\n1 9:1\n\n0 1:1\nfoo 1:1\n1 3:1\n")
    with pytest.raises(ValueError, match=r"b\.svm: line 3: "):
        list(open_source(str(path), n_features=6).chunks())
    source = open_source(str(path), n_features=6, skip_bad_rows=True, batch_rows=3)
    chunks = list(source.chunks())
    assert np.concatenate([c.row_numbers for c in chunks]).tolist() == [1, 6, 8]
    assert source.bad_rows == 3
    assert [m.split(":")[0] + ":" + m.split(":")[1] for m in source.bad_row_examples] == [
        f"{path}:line 3",
        f"{path}:line 4",
        f"{path}:line 7",
    ]
    assert "n_features" in source.bad_row_examples[1]
    with pytest.raises(ValueError, match="n_features"):
        open_source(str(path))


@pytest.mark.parametrize(
    "text, bad",
    [
        (  # (line 4: 1e400 is inf)
            "1 1:0.5\nnan 2:1\n0 1:inf\n1 2:1e400\n0 3:1\n",
            ["label nan is not finite", "value inf is not finite", "value inf is not finite"],
        ),
        (  # scikit-learn's parser raised OverflowError: no file, no line, not skippable
            "1 1:0.5\n0 9223372036854775808:1\n0 99999999999999999999:1\n"
            "0 -9223372036854775809:1\n1 2:1\n",
            ["a feature index is outside int64"] * 3,
        ),
    ],
)
def test_svmlight_bad_lines_are_named_or_skipped(tmp_path, text, bad):
    path = tmp_path / "b.svm"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"b\.svm: line 2: {bad[0]}"):
        list(open_source(str(path), n_features=6).chunks())
    source = open_source(str(path), n_features=6, skip_bad_rows=True)
    chunks = list(source.chunks())
    assert np.concatenate([c.row_numbers for c in chunks]).tolist() == [1, 5]
    assert source.bad_rows == len(bad)
    assert [m.split(": ", 1)[1][: len(b)] for m, b in zip(source.bad_row_examples, bad)] == bad


def test_an_svmlight_line_past_64_mib_stops_the_read_naming_it(tmp_path):
    # (a line was read whole, however long, and parsed into ~20x its bytes: a file without
    # line ends, or not SVMlight, of some GB exhausted memory)
    path = tmp_path / "long.svm"
    with open(path, "wb") as f:
        f.write(b"1 1:1\n0" + b" " * 2**26 + b"2:1\n1 3:1\n")
    for skip in (False, True):
        source = open_source(str(path), n_features=4, skip_bad_rows=skip)
        with pytest.raises(ValueError, match=r"long\.svm: line 2 is longer than 67,108,864 bytes"):
            list(source.chunks())


def test_svmlight_truncated_gzip(tmp_path):
    plain = _svm_file(tmp_path / "d.svm", True, n=3000)
    with open(plain, "rb") as f:
        data = gzip.compress(f.read())
    path = tmp_path / "d.svm.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"d\.svm\.gz"):
        list(open_source(str(path), n_features=10, batch_rows=100).chunks())


# ------------------------------------------------------------------------------ iterables
@pytest.mark.parametrize("bad, what", [(np.nan, "missing"), (np.inf, "not finite")])
@pytest.mark.parametrize("tuples", [False, True])
def test_a_non_finite_target_in_batches_is_named(bad, what, tuples):
    # it was passed on, and the estimator's "Input y contains NaN." named no batch or row
    frames = [
        pd.DataFrame({"x": [1.0, 2.0], "y": [0.0, 1.0]}),
        pd.DataFrame({"x": [3.0, 4.0], "y": [1.0, bad]}),
    ]
    batches = [(f[["x"]], f["y"].to_numpy()) for f in frames] if tuples else frames
    source = open_source(batches, target=None if tuples else "y")
    with pytest.raises(ValueError, match=rf"<batches>: row 4 \(batch 1\): the target is {what}"):
        list(source.chunks())


@contextlib.contextmanager
def _without_str_dtype():
    """pandas without its str dtype (pandas < 3 has none): astype(str) spells NaN "nan"."""
    if "infer_string" not in dir(pd.options.future):
        yield
        return
    with warnings.catch_warnings():  # (pandas 3 deprecates turning it off)
        warnings.filterwarnings("ignore", message=".*infer_string")
        with pd.option_context("future.infer_string", False):
            yield


@pytest.mark.parametrize("missing", [np.nan, None, pd.NA])
@pytest.mark.parametrize("str_dtype", [True, False])
def test_a_missing_str_target_in_frames_is_named_not_taken_as_a_label(missing, str_dtype):
    # astype(str) made it the label "nan", "None" or "<NA>" (pandas < 3, or pandas 3 without
    # its str dtype), trained on as a class of its own
    frames = [
        pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]}),
        pd.DataFrame({"x": [3.0, 4.0], "y": pd.Series(["a", missing], dtype=object)}),
    ]
    source = open_source(frames, target="y", target_dtype="str")
    with contextlib.nullcontext() if str_dtype else _without_str_dtype():
        assert next(iter(source.chunks())).y.tolist() == ["a", "b"]
        with pytest.raises(
            ValueError, match=r"<batches>: row 4 \(batch 1\): the target is missing"
        ):
            list(source.chunks())


@pytest.mark.parametrize("times", ["datetime", "timedelta"])
@pytest.mark.parametrize("tuples", [False, True])
def test_a_missing_time_target_in_batches_is_named_not_taken_as_a_number(times, tuples):
    # a NaT became -9.2e18 (the int64 it is stored as) and was trained on as a target (a
    # frame), or reached the estimator, which named no row (a tuple)
    values = ["2020-01-01", None] if times == "datetime" else ["1s", None]
    convert = pd.to_datetime if times == "datetime" else pd.to_timedelta
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": convert(values)})
    batch = (frame[["x"]], frame["y"].to_numpy()) if tuples else frame
    source = open_source([batch], target=None if tuples else "y")
    with pytest.raises(ValueError, match=r"<batches>: row 2 \(batch 0\): the target is missing"):
        list(source.chunks())


@pytest.mark.parametrize("X", [{"x": [1.0, 2.0]}, [[1.0], [2.0]], np.float64(1.0), np.array(3.0)])
def test_an_x_without_shape_in_a_batch_is_named(X):
    # "AttributeError: 'dict' object has no attribute 'shape'", naming no batch
    source = open_source([(np.ones((2, 1)), [0.0, 1.0]), (X, [0.0, 1.0])])
    with pytest.raises(TypeError, match=rf"batch 1: X is a {type(X).__name__}; expected a"):
        list(source.chunks())


def test_frames_multi_pass_and_resume():
    frames = [_frame(4, seed=s) for s in range(3)]
    source = open_source(frames, target="clicked")
    assert source.resumable
    first, second = list(source.chunks()), list(source.chunks())
    assert [_chunk_key(c) for c in first] == [_chunk_key(c) for c in second]
    assert [c.end for c in first] == [Position(0, 1), Position(0, 2), Position(0, 3)]
    assert first[2].row_numbers.tolist() == [9, 10, 11, 12]
    assert "clicked" not in first[0].X.columns
    np.testing.assert_array_equal(first[1].y, frames[1]["clicked"].to_numpy(float))
    resumed = list(source.chunks(Position(0, 2)))
    assert [_chunk_key(c) for c in resumed] == [_chunk_key(first[2])]
    assert frames[0].shape == (4, 4)  # the caller's frames are left whole


def test_generator_is_one_pass_and_tuples():
    def batches():
        for k in range(3):
            yield np.full((2, 3), k), np.array([k, k])

    source = open_source(batches())
    assert not source.resumable
    chunks = list(source.chunks())
    assert [c.row_numbers.tolist() for c in chunks] == [[1, 2], [3, 4], [5, 6]]
    assert chunks[2].y.tolist() == [2, 2]
    with pytest.raises(ValueError, match="pass a list"):
        list(source.chunks())
    reusable = open_source(
        [(np.ones((1, 2)), [1.0]), (np.zeros((0, 2)), []), (np.ones((2, 2)), [0.0, 1.0])]
    )
    got = list(reusable.chunks())
    assert [c.end for c in got] == [Position(0, 1), Position(0, 3)]  # the empty batch advances
    with pytest.raises(TypeError, match="batch 1"):
        list(open_source([(np.ones((1, 2)), [1.0]), "oops"]).chunks())
    with pytest.raises(ValueError, match="batch 0: X has 1 rows but y has 2"):
        list(open_source([(np.ones((1, 2)), [1.0, 2.0])]).chunks())


def test_without_pyarrow_csv_asks_for_the_extra(tmp_path, monkeypatch):
    import sys

    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r'pip install "sparsereg\[stream\]"'):
        open_source(str(path))
    svm = tmp_path / "d.svm"
    svm.write_text("1 1:1\n")
    (chunk,) = open_source(str(svm), n_features=2).chunks()  # SVMlight needs no pyarrow
    assert chunk.X.toarray().tolist() == [[1.0, 0.0]]


def test_source_is_returned_as_is_and_public_types():
    source = open_source([(np.ones((1, 1)), [1.0])])
    assert open_source(source) is source
    assert isinstance(source, Source)
    (chunk,) = source.chunks()
    assert isinstance(chunk, Chunk) and chunk.row_numbers.dtype == np.int64
    with pytest.raises(dataclasses.FrozenInstanceError):
        chunk.end.row = 3  # frozen


def test_text_that_spells_missing_is_text_in_csv_and_parquet(tmp_path):
    """ "NA" (Namibia) and "nan" are categories; an empty field or null is missing; in a number
    column pandas' spellings of missing are NaN. CSV and Parquet agree."""
    pa = _pyarrow()
    import pyarrow.parquet as pq

    (tmp_path / "c.csv").write_text("country,price,y\nNA,1.5,1\nFR,NA,0\n,nan,1\nnan,2,0\n")
    table = pa.table(
        {
            "country": ["NA", "FR", None, "nan"],
            "price": ["1.5", "NA", "nan", "2"],
            "y": [1, 0, 1, 0],
        }
    )
    pq.write_table(table, tmp_path / "c.parquet")
    for name in ("c.csv", "c.parquet"):
        (chunk,) = open_source(str(tmp_path / name), target="y", numeric=["price"]).chunks()
        assert chunk.X["country"].tolist()[:2] == ["NA", "FR"], name
        assert pd.isna(chunk.X["country"].iloc[2]) and chunk.X["country"].iloc[3] == "nan", name
        np.testing.assert_array_equal(chunk.X["price"], [1.5, np.nan, np.nan, 2.0])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_files_of_the_same_columns_in_another_order_give_batches_in_one_order(tmp_path, fmt):
    # the second file's columns in its own order: its batches were refused by the model
    # ("feature names must be in the same order"), or every row skipped as bad
    _pyarrow()
    frame = _frame(60)
    paths = [tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"]
    for path, part in zip(paths, (frame[:30], frame[30:][list(frame.columns)[::-1]])):
        if fmt == "csv":
            part.to_csv(path, index=False)
        else:
            part.to_parquet(path, index=False)
    chunks = list(open_source(paths, target="clicked", numeric=["price"], batch_rows=25).chunks())
    assert {tuple(c.X.columns) for c in chunks} == {("city", "price", "device")}
    X, y = _stack(chunks)
    alone = [
        _stack(list(open_source(p, target="clicked", numeric=["price"]).chunks())) for p in paths
    ]
    _same_frame(X, pd.concat([a[0][["city", "price", "device"]] for a in alone], ignore_index=True))
    np.testing.assert_array_equal(y, np.concatenate([a[1] for a in alone]))


@pytest.mark.parametrize("fmt", ["csv", "svmlight"])
def test_a_text_file_compressed_by_what_no_reader_decompresses_is_refused_naming_it(tmp_path, fmt):
    # an .xz CSV reached pyarrow, which parsed its compressed bytes as a row ("Expected 1
    # columns, got 2: <binary>", and a UnicodeDecodeError printed from the bad-row handler)
    import lzma

    for name in ("data.csv.xz", "data.csv.XZ", "data.csv.zip"):
        path = tmp_path / name
        path.write_bytes(lzma.compress(b"y,x\n1,2\n0,3\n"))
        with pytest.raises(
            ValueError, match=rf"{name}: \.(xz|XZ|zip) files are not decompressed"
        ) as info:
            open_source(str(path), format=fmt, target="y", n_features=8)
        # the suffixes that reader does decompress (SVMlight: gzip alone)
        expected = ".gz, .bz2, .lz4, .zst); " if fmt == "csv" else ".gz); "
        assert f"(it decompresses {expected}" in str(info.value)


def test_an_svmlight_file_compressed_other_than_by_gzip_is_refused_naming_it(tmp_path):
    # a .svm.bz2 was read as text: "could not convert string to float: b'BZh91...'"
    import bz2

    for name in ("data.svm.bz2", "data.svm.BZ2"):  # (not first told to rename it .bz2)
        path = tmp_path / name
        path.write_bytes(bz2.compress(b"1 1:1\n0 2:1\n"))
        with pytest.raises(ValueError, match=rf"{name}: SVMlight files are read plain or"):
            open_source(str(path), format="svmlight", n_features=8)


@pytest.mark.parametrize("fmt", ["csv", "svmlight"])
def test_a_readahead_beyond_the_chunks_a_file_holds_reads_them_all_at_once(tmp_path, fmt):
    # the reading thread was given one token per chunk it may read ahead, all made up front:
    # readahead=2**63 - 1 (or 10**8, ~1 GB of tokens) hung at the first chunk, making them
    if fmt == "csv":
        _pyarrow()
    frame = pd.DataFrame({"y": np.arange(90) % 2, "c": ["a", "b", "c"] * 30, "v": np.arange(90.0)})
    path = tmp_path / f"d.{'svm' if fmt == 'svmlight' else 'csv'}"
    _write(fmt, frame, path, bad_every=0)
    kwargs = dict(target="y", numeric=["v"], batch_rows=40, n_features=8)
    base = [_chunk_key(c) for c in open_source(str(path), **kwargs).chunks()]
    for readahead in (10**8, 2**63 - 1, 10**30):
        started = time.perf_counter()
        ahead = open_source(str(path), readahead=readahead, **kwargs)
        assert [_chunk_key(c) for c in ahead.chunks()] == base
        assert time.perf_counter() - started < 10


@pytest.mark.parametrize("name", ["batch_rows", "n_features"])
@pytest.mark.parametrize("value", [2**63, 10**30])
def test_counts_beyond_int64_are_refused_when_the_source_opens(tmp_path, name, value):
    # svmlight batch_rows=2**64 raised islice's "Stop argument for islice() must be None or
    # an integer: 0 <= x <= sys.maxsize" at the first chunk; n_features=2**63 was "line 1: a
    # feature index is outside int64 (Python int too large to convert to C long)", of a file
    # whose indices are all small
    path = tmp_path / "d.svm"
    path.write_text("1 1:1\n0 2:1\n")
    kwargs = {"n_features": 4, name: value}
    with pytest.raises(ValueError, match=rf"{name} must be at most 2\*\*63 - 1 \(an int64\)"):
        open_source(str(path), **kwargs)


@pytest.mark.parametrize("codec", [".gz", ".bz2", ".lz4", ".zst"])
@pytest.mark.parametrize("kind, sep", [("csv", ","), ("tsv", "\t")])
def test_a_compressed_csv_tells_its_format_and_delimiter_by_its_suffix(tmp_path, codec, kind, sep):
    # only .csv.gz and .tsv.gz were told by their suffix: a day.csv.zst needed format="csv",
    # and a .tsv.bz2 given it was read with "," (one column)
    pa = _pyarrow()
    text = "".join(f"{i % 2}{sep}{i}\n" for i in range(50)).encode()
    path = tmp_path / f"day.{kind}{codec}"
    name = {".gz": "gzip", ".bz2": "bz2", ".lz4": "lz4", ".zst": "zstd"}[codec]
    with pa.CompressedOutputStream(str(path), name) as f:
        f.write(f"y{sep}x\n".encode() + text)
    chunks = list(open_source(str(path), target="y", numeric=["x"]).chunks())
    np.testing.assert_array_equal(np.concatenate([c.y for c in chunks]), np.arange(50) % 2)
    np.testing.assert_array_equal(np.concatenate([c.X["x"] for c in chunks]), np.arange(50))


@pytest.mark.parametrize("text", ["abc", " inf", "nan ", "NAN", "+nan", "nan(1)", "\xa012"])
def test_text_after_a_csv_columns_first_64_kib_of_numbers_is_a_bad_row_naming_it(tmp_path, text):
    # an inferred column is read as numbers when its first 64 KiB are: a later text is its
    # row's fault, named (or skipped and counted), never a chunk of another type than the rest.
    # (" inf", "NAN", "\xa012"... are text to read_csv: they were read as numbers)
    _pyarrow()
    path = tmp_path / "late.csv"
    path.write_text("v,y\n" + "12345,1\n" * 10_000 + f"{text},0\n" + "7,1\n", encoding="utf-8")
    source = open_source(str(path), target="y", inferred=["v"], batch_rows=4096)
    message = r"late\.csv: row 10001: column 'v' \(numbers in the file's first rows\): "
    message += re.escape(repr(text))
    with pytest.raises(ValueError, match=message):
        list(source.chunks())
    source = open_source(str(path), target="y", inferred=["v"], batch_rows=4096, skip_bad_rows=True)
    chunks = list(source.chunks())
    values = np.concatenate([chunk.X["v"].to_numpy() for chunk in chunks])
    np.testing.assert_array_equal(values, [12345] * 10_000 + [7])
    assert source.bad_rows == sum(chunk.bad_rows for chunk in chunks) == 1
    assert "row 10001: column 'v'" in source.bad_row_examples[0]


def test_a_csv_column_with_no_value_in_its_first_64_kib_is_read_as_text(tmp_path):
    # a column missing in every row of its first 64 KiB was decided numbers: a coupon code
    # later stopped the read ("row 10001: column 'coupon' (numbers in the file's first
    # rows): 'SPRING10' is not a number"), where pandas reads the column as text
    _pyarrow()
    from sparsereg import FeatureCrossHasher

    path = tmp_path / "sparse.csv"
    path.write_text("coupon,y\n" + ",1\n" * 30_000 + "SPRING10,0\n" + ",1\n")  # 90 KB
    source = open_source(str(path), target="y", inferred=["coupon"], batch_rows=4096)
    chunks = list(source.chunks())
    values = pd.concat([chunk.X["coupon"].astype(object) for chunk in chunks])
    assert values.isna().sum() == 30_001 and values.iloc[30_000] == "SPRING10"
    hasher = FeatureCrossHasher([("coupon",)], n_features=2**40)
    streamed = sp.vstack([hasher.transform(chunk.X) for chunk in chunks])
    assert (streamed != hasher.transform(pd.read_csv(path).drop(columns="y"))).nnz == 0


def test_infinities_in_an_inferred_csv_column_are_read_as_pandas_reads_them(tmp_path):
    # "inf" in a column read as pandas reads it made a bad row ("not finite"), where
    # pd.read_csv reads inf and the hasher hashes it; a numeric (bucketed) column refuses it
    _pyarrow()
    from sparsereg import FeatureCrossHasher

    path = tmp_path / "inf.csv"
    path.write_text("v,y\n1,0\ninf,1\nInfinity,0\n+inf,1\nINF,0\n-inf,1\n1e400,0\n2.5,1\n")
    source = open_source(str(path), target="y", inferred=["v"], batch_rows=3)
    chunks = list(source.chunks())
    values = np.concatenate([chunk.X["v"].to_numpy() for chunk in chunks])
    np.testing.assert_array_equal(values, [1, *[np.inf] * 4, -np.inf, np.inf, 2.5])
    assert source.bad_rows == 0
    hasher = FeatureCrossHasher([("v",)], n_features=2**40)
    streamed = sp.vstack([hasher.transform(chunk.X) for chunk in chunks])
    assert (streamed != hasher.transform(pd.read_csv(path).drop(columns="y"))).nnz == 0
    with pytest.raises(ValueError, match=r"inf\.csv: row 2: column 'v': 'inf' is not finite"):
        list(open_source(str(path), target="y", numeric=["v"]).chunks())


@pytest.mark.parametrize("long", ["header", "first row"])
def test_inferred_columns_past_a_long_csv_header_or_first_row_are_read_as_numbers(tmp_path, long):
    # the first rows were read in a 64 KiB block: a longer header or first row raised there,
    # taken as "every column text" (ints hashed as "1" where pandas reads 1)
    _pyarrow()
    path = tmp_path / "wide.csv"
    if long == "header":
        # 70 KB in 700 long names (the header's bytes are the point, not its columns: each
        # column costs ~0.2 ms to plan and read)
        names = ["c00000"] + [f"c{k:05d}{'_' * 94}" for k in range(1, 700)]
        path.write_text(",".join(names) + ",y\n" + "1," * 700 + "0\n" + "2," * 700 + "1\n")
        assert path.read_text().index("\n") > 64 << 10
    else:
        names = ["t", "c00000"]
        path.write_text("t,c00000,y\n" + "x" * 70_000 + ",1,0\nb,2,1\n")
    (chunk,) = open_source(str(path), target="y", inferred=None, categorical=[]).chunks()
    read = pd.read_csv(path)
    assert chunk.X["c00000"].dtype == read["c00000"].dtype == np.int64
    assert chunk.X["c00000"].tolist() == [1, 2]


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"inferred": "v"}, TypeError, "numeric, categorical and inferred take lists"),
        ({"inferred": [1]}, TypeError, "column names must be str, got 1"),
        ({"inferred": ["v"], "numeric": ["v"]}, ValueError, r"\['v'\] are given as numeric and"),
        ({"inferred": ["c"], "categorical": ["c"]}, ValueError, "as categorical and as inferred"),
        ({"inferred": ["y"]}, ValueError, "the target 'y' is also given as a feature column"),
        ({"inferred": None}, ValueError, "inferred and categorical are both None"),
    ],
)
def test_inferred_columns_are_checked_as_the_other_columns_are(tmp_path, options, error, message):
    _pyarrow()
    path = tmp_path / "d.csv"
    path.write_text("y,c,v\n1,a,2\n")
    with pytest.raises(error, match=message):
        open_source(str(path), target="y", **options)


def test_inferred_none_reads_every_column_not_named_as_pandas_reads_it(tmp_path):
    _pyarrow()
    path = tmp_path / "d.csv"
    path.write_text("y,c,v,w,t\n1,a,2,0.5,x\n0,b,3,1.5,z\n")
    source = open_source(str(path), target="y", weight_column="w", categorical=["t"], inferred=None)
    (chunk,) = source.chunks()
    X = pd.read_csv(path).drop(columns=["y", "w"])
    assert list(chunk.X.columns) == list(X.columns)
    assert chunk.X["v"].tolist() == X["v"].tolist() == [2, 3]
    assert chunk.X["c"].astype(str).tolist() == X["c"].tolist()
    assert chunk.X["t"].astype(str).tolist() == ["x", "z"]


@pytest.mark.parametrize("kind", ["csv", "parquet", "svmlight", "batches"])
def test_iterating_a_source_is_a_pass_from_the_start(tmp_path, kind):
    # (a Source was not iterable: `for chunk in open_source(...)` was a TypeError, though a
    # file object, a DataLoader or a dask collection's partitions are iterated so)
    import pandas as pd

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=2500), "y": rng.randint(0, 2, 2500)})
    if kind == "csv":
        frame.to_csv(tmp_path / "f.csv", index=False)
        data, options = str(tmp_path / "f.csv"), dict(target="y", numeric=["x"])
    elif kind == "parquet":
        _pyarrow()
        frame.to_parquet(tmp_path / "f.parquet")
        data, options = str(tmp_path / "f.parquet"), dict(target="y", numeric=["x"])
    elif kind == "svmlight":
        dump_svmlight_file(frame[["x"]].to_numpy(), frame["y"].to_numpy(), str(tmp_path / "f.svm"))
        data, options = str(tmp_path / "f.svm"), dict(n_features=1)
    else:
        data, options = [frame[i : i + 1000] for i in range(0, 2500, 1000)], dict(target="y")
    source = open_source(data, batch_rows=1000, **options)
    by_chunks, first, second = list(source.chunks()), list(source), list(source)
    assert [len(c.y) for c in first] == [1000, 1000, 500]
    for a, b, c in zip(by_chunks, first, second, strict=True):
        assert a.end == b.end == c.end
        for x_a, x_b in ((a.X, b.X), (a.X, c.X)):
            if sp.issparse(x_a):
                assert (x_a != x_b).nnz == 0
            else:
                pd.testing.assert_frame_equal(x_a, x_b)
        np.testing.assert_array_equal(a.y, b.y)
        np.testing.assert_array_equal(a.y, c.y)
