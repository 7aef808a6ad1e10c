"""CTR-like data files for the streaming benchmarks, written in bounded memory, cached under _work/.

    python benchmarks/_ctr_files.py --size 200MB [--formats csv,parquet,vw] [--gzip] [--seed 0]

Each row has 20 categorical fields C1..C20 and a 0/1 target ``click``:

- tokens are short base-36 strings (3 to 5 characters), distinct within a field, drawn with a
  Zipf-like popularity (P(rank k) ~ 1 / k**s, s between 1.05 and 1.3 by field); the field
  cardinalities range from 10 to 10**6, modelled on Criteo's C1..C26;
- ``click`` is drawn from a logistic model: an intercept, per-token effects of nine fields, and
  two crosses (C1 x C2 and C3 x C4), so that crosses carry signal; about 21 % of rows are clicks.

The same rows are written, chunk by chunk (2**18 rows, so memory does not grow with the file), as

- ``ctr_<size>_<seed>.csv``: header ``C1,...,C20,click`` and unquoted tokens; optionally gzip'd
  (``.csv.gz``) with the same content;
- ``ctr_<size>_<seed>.parquet``: pyarrow, snappy, row groups of 65,536 rows; C* as strings and
  ``click`` as int64 (what a CSV reader infers);
- ``ctr_<size>_<seed>.vw``: Vowpal Wabbit text, ``-1 |a 3f1 |b k2 ... |t 9q`` (labels -1/1, one
  namespace per field: a = C1, b = C2, ..., t = C20). The namespace tells the fields apart, as the
  column name does for sparsereg's hasher; the token is written without a ``C1=`` prefix, so VW
  parses no more bytes than it needs to (this favours VW).

The target size is the CSV's byte count: chunks are written until the CSV reaches it. Row ``i``
depends on (seed, i) only, so a smaller file is a prefix of a larger one with the same seed, and
formats added later hold exactly the rows of those written before. A ``.json`` next to the files
records the rows, the bytes and the parameters; files are written under temporary names and
renamed when complete, so an interrupted run leaves nothing that looks finished.
"""

import argparse
import functools
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

WORK = Path(__file__).resolve().parent / "_work"
CHUNK_ROWS = 2**18
ROW_GROUP = 65_536
FIELDS = [f"C{i}" for i in range(1, 21)]
NAMESPACES = "abcdefghijklmnopqrst"
TARGET = "click"
# field cardinalities, Criteo-like (C1..C26 there range from 3 to 10**7)
CARDINALITY = [
    1_000,
    500,
    1_000_000,
    300_000,
    300,
    24,
    12_000,
    600,
    10,
    90_000,
    5_600,
    800_000,
    3_000,
    27,
    15_000,
    500_000,
    10,
    5_600,
    2_000,
    100,
]
ZIPF_S = [
    1.05,
    1.1,
    1.2,
    1.1,
    1.3,
    1.05,
    1.15,
    1.1,
    1.05,
    1.2,
    1.1,
    1.25,
    1.1,
    1.05,
    1.15,
    1.2,
    1.05,
    1.1,
    1.1,
    1.05,
]
MAIN_EFFECTS = {0: 0.6, 1: 0.5, 2: 0.4, 4: 0.5, 5: 0.7, 6: 0.4, 8: 0.8, 9: 0.3, 13: 0.6}
CROSS_EFFECTS = [(0, 1, 0.8), (2, 3, 0.6)]
INTERCEPT = -1.0
MODEL_SEED = 12345  # the true model; the rows' seed is separate


def parse_size(text):
    """'200MB', '1GB', '4GB', '1.5e9' -> bytes (decimal units)."""
    m = re.fullmatch(r"\s*([0-9.eE+]+)\s*([kKmMgG]?)[bB]?\s*", text)
    if not m:
        raise ValueError(f"size {text!r}: expected e.g. 200MB, 1GB, 4GB or a byte count")
    return int(float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2).lower()])


def size_label(n_bytes):
    for unit, scale in [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)]:
        if n_bytes >= scale and n_bytes % int(scale) == 0:
            return f"{n_bytes // int(scale)}{unit}"
    return f"{n_bytes}B"


def _mix64(x):
    """splitmix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


class Model:
    """Vocabularies, popularity CDFs and the true logistic model (a few tens of MB)."""

    def __init__(self):
        import pyarrow as pa

        rng = np.random.default_rng(MODEL_SEED)
        self.cdf, self.vocab, self.effects = [], [], {}
        for f, (card, s) in enumerate(zip(CARDINALITY, ZIPF_S)):
            w = np.arange(1, card + 1, dtype=np.float64) ** -s
            cdf = np.cumsum(w)
            self.cdf.append(cdf / cdf[-1])
            # token of rank k: base 36 of (k * M + offset) mod 36**L, a bijection (M prime to 6)
            length = max(3, int(np.ceil(np.log(card) / np.log(36))) + 1)
            mod = 36**length
            code = (np.arange(card, dtype=np.int64) * 1_000_003 + 7_919 * (f + 1)) % mod
            digits = np.empty((card, length), dtype=np.uint8)
            for j in range(length - 1, -1, -1):
                d = code % 36
                digits[:, j] = np.where(d < 10, 48 + d, 87 + d)  # 0-9 then a-z
                code //= 36
            self.vocab.append(pa.array(digits.view(f"S{length}").ravel()).cast(pa.string()))
            if f in MAIN_EFFECTS:
                self.effects[f] = rng.normal(0.0, MAIN_EFFECTS[f], card)

    def chunk(self, seed, index, n_rows):
        """Rows [index * CHUNK_ROWS, index * CHUNK_ROWS + n_rows): (list of token arrays, y)."""
        rng = np.random.default_rng([seed, index])
        ranks = [np.searchsorted(cdf, rng.random(n_rows)) for cdf in self.cdf]
        margin = np.full(n_rows, INTERCEPT)
        for f, eff in self.effects.items():
            margin += eff[ranks[f]]
        for a, b, scale in CROSS_EFFECTS:
            cell = ranks[a].astype(np.uint64) * np.uint64(CARDINALITY[b]) + ranks[b].astype(
                np.uint64
            )
            u = (
                _mix64(cell + np.uint64(0x9E3779B97F4A7C15 * (a + 1) % 2**64)) >> np.uint64(11)
            ).astype(np.float64) / 2.0**53
            margin += scale * 2.0 * (u - 0.5) * np.sqrt(3.0)  # uniform with sd = scale
        y = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-margin))).astype(np.int64)
        return [self.vocab[f].take(r) for f, r in enumerate(ranks)], y


@functools.lru_cache(maxsize=1)
def shared_model():
    """The Model, built once a process (~1.4 s): it depends on nothing but MODEL_SEED."""
    return Model()


def paths(size_bytes, seed, folder=WORK):
    stem = folder / f"ctr_{size_label(size_bytes)}_{seed}"
    return {
        "csv": stem.with_suffix(".csv"),
        "csv.gz": stem.with_suffix(".csv.gz"),
        "parquet": stem.with_suffix(".parquet"),
        "vw": stem.with_suffix(".vw"),
        "meta": stem.with_suffix(".json"),
    }


def ensure(size, formats=("csv",), seed=0, folder=WORK, verbose=True):
    """Make (if missing) the files of that CSV size in those formats; return their paths and meta.

    ``formats`` among "csv", "csv.gz", "parquet", "vw"; the CSV is always written (its size
    decides the number of rows).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    size_bytes = parse_size(size) if isinstance(size, str) else int(size)
    folder.mkdir(parents=True, exist_ok=True)
    p = paths(size_bytes, seed, folder)
    meta = json.loads(p["meta"].read_text()) if p["meta"].exists() else None
    wanted = set(formats) | {"csv"}
    unknown = wanted - {"csv", "csv.gz", "parquet", "vw"}
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}")
    have = {f for f in (meta or {}).get("formats", []) if p[f].exists()}
    todo = sorted(wanted - have)
    if not todo:
        return p, meta
    if meta is None and "csv" not in todo:
        todo.append("csv")
    write_csv = "csv" in todo
    n_rows_known = None if write_csv else meta["rows"]
    if verbose:
        print(
            f"writing {', '.join(todo)} of {size_label(size_bytes)} (seed {seed}) under {folder}",
            file=sys.stderr,
            flush=True,
        )
    model = shared_model()
    schema = pa.schema([(c, pa.string()) for c in FIELDS] + [(TARGET, pa.int64())])
    header = (",".join(FIELDS + [TARGET]) + "\n").encode()
    opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
    tmp = {f: Path(str(p[f]) + ".tmp") for f in todo}
    sinks, writers = {}, {}
    t0 = time.perf_counter()
    try:
        if write_csv:
            sinks["csv"] = pa.OSFile(str(tmp["csv"]), "wb")
            sinks["csv"].write(header)
        if "csv.gz" in todo:
            sinks["csv.gz"] = pa.CompressedOutputStream(str(tmp["csv.gz"]), "gzip")
            sinks["csv.gz"].write(header)
        if "parquet" in todo:
            writers["parquet"] = pq.ParquetWriter(str(tmp["parquet"]), schema, compression="snappy")
        if "vw" in todo:
            sinks["vw"] = pa.OSFile(str(tmp["vw"]), "wb")
        n_rows, index, csv_bytes, clicks = 0, 0, len(header), 0
        while True:
            if n_rows_known is not None and n_rows >= n_rows_known:
                break
            if n_rows_known is None and csv_bytes >= size_bytes:
                break
            # always a whole chunk of draws, then cut: row i depends on (seed, i) only
            cols, y = model.chunk(seed, index, CHUNK_ROWS)
            table = pa.Table.from_arrays(cols + [pa.array(y)], schema=schema)
            if n_rows_known is not None:
                rows = min(CHUNK_ROWS, n_rows_known - n_rows)
            else:
                # the last chunk is cut so that the CSV just reaches the target
                if n_rows:
                    per_row = (csv_bytes - len(header)) / n_rows
                else:  # first chunk: its own CSV size
                    buf = pa.BufferOutputStream()
                    pacsv.write_csv(table, buf, opts)
                    per_row = buf.getvalue().size / CHUNK_ROWS
                rows = min(CHUNK_ROWS, max(1, int(np.ceil((size_bytes - csv_bytes) / per_row))))
            if rows < CHUNK_ROWS:
                table, cols, y = table.slice(0, rows), [c[:rows] for c in cols], y[:rows]
            for name in ("csv", "csv.gz"):
                if name in sinks:
                    pacsv.write_csv(table, sinks[name], opts)
            if write_csv:
                csv_bytes = sinks["csv"].tell()
            if "parquet" in writers:
                writers["parquet"].write_table(table, row_group_size=ROW_GROUP)
            if "vw" in sinks:
                label = pa.array(np.where(y > 0, "1", "-1"))
                parts = [label]
                for ns, col in zip(NAMESPACES, cols):
                    parts += [pa.scalar("|" + ns), col]
                line = pc.binary_join_element_wise(*parts, " ")
                # one unquoted column: the lines hold no comma, quote or newline
                pacsv.write_csv(pa.table({"l": line}), sinks["vw"], opts)
            clicks += int(y.sum())
            n_rows += rows
            index += 1
            if verbose and index % 16 == 0:
                print(
                    f"  {n_rows:,} rows, {csv_bytes / 1e6:,.0f} MB CSV, "
                    f"{time.perf_counter() - t0:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for w in writers.values():
            w.close()
        for s in sinks.values():
            s.close()
    for f in todo:
        os.replace(tmp[f], p[f])
    if meta is None:
        meta = {
            "rows": n_rows,
            "seed": seed,
            "target_bytes": size_bytes,
            "fields": FIELDS,
            "target": TARGET,
            "cardinality": CARDINALITY,
            "zipf_s": ZIPF_S,
            "intercept": INTERCEPT,
            "main_effects": {FIELDS[k]: v for k, v in MAIN_EFFECTS.items()},
            "cross_effects": [[FIELDS[a], FIELDS[b], s] for a, b, s in CROSS_EFFECTS],
            "vw_namespaces": dict(zip(FIELDS, NAMESPACES)),
            "formats": [],
            "bytes": {},
        }
    meta["formats"] = sorted(set(meta["formats"]) | set(todo))
    meta["bytes"] = {f: p[f].stat().st_size for f in meta["formats"]}
    meta["click_rate"] = clicks / n_rows
    p["meta"].write_text(json.dumps(meta, indent=1))
    if verbose:
        print(
            f"done: {n_rows:,} rows in {time.perf_counter() - t0:.0f} s: "
            + ", ".join(f"{f} {meta['bytes'][f] / 1e6:,.0f} MB" for f in meta["formats"]),
            file=sys.stderr,
            flush=True,
        )
    return p, meta


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", action="append", required=True, help="CSV size: 200MB, 1GB, 4GB, ...")
    ap.add_argument(
        "--formats", default="csv", help="comma-separated among csv, csv.gz, parquet, vw"
    )
    ap.add_argument("--gzip", action="store_true", help="also write the .csv.gz")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--folder", type=Path, default=WORK)
    args = ap.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f] + (["csv.gz"] if args.gzip else [])
    for size in args.size:
        p, meta = ensure(size, formats, args.seed, args.folder)
        print(
            json.dumps(
                {
                    "paths": {k: str(v) for k, v in p.items() if k in meta["formats"]},
                    "rows": meta["rows"],
                    "bytes": meta["bytes"],
                }
            )
        )


if __name__ == "__main__":
    main()
