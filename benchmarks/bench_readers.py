"""Streaming readers (issue #14): rows/s and peak RSS of sparsereg.stream.open_source on CSV.

    flock /tmp/sparsereg-bench.lock python benchmarks/bench_readers.py [--rows 2000000] [--reps 5]
    flock /tmp/sparsereg-bench.lock python benchmarks/bench_readers.py --memory [--sizes 200,1000]
        [--format parquet]
    flock /tmp/sparsereg-bench.lock python benchmarks/bench_readers.py --overlap [--rows N]
    python benchmarks/bench_readers.py --quick [--memory] [--work DIR]

--quick: tiny files, one rep, each run in this process rather than a fresh interpreter: it
checks that the script runs and what it counts, and measures nothing.

speed   A CTR-like CSV (20 categorical string fields of 6 characters, a 0/1 target) read into
        chunks of 65,536 rows by ``open_source(...).chunks()`` (categories as pandas Categorical,
        y float64) against ``pandas.read_csv(path, engine="pyarrow", dtype="category")`` of the
        whole file; each rep in a fresh interpreter, the two interleaved, medians.
overlap The same chunks, each hashed by FeatureCrossHasher (20 columns into 2**24), read in the
        caller's thread (readahead=0) or one chunk ahead in a background thread (readahead=1).
memory  Peak RSS of a fresh interpreter that reads every chunk of a generated CSV of about
        200 MB and of about 1 GB (only the chunk at hand is held); --format parquet: of the
        same rows written as Parquet (pyarrow's default row groups of 1,048,576 rows).
The files are written once under benchmarks/_work/readers/ (not committed).
"""

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work" / "readers"
FIELDS = 20
BYTES_PER_ROW = 20 * 7 + 2  # 20 six-character fields and their commas, a 0/1 target, a newline
PARQUET_ROW_GROUP = 1 << 20  # pyarrow's default for write_table


def make_csv(rows, seed=0, work=WORK):
    """A CTR-like CSV of `rows` rows, made once: 20 categorical fields, Zipf-popular values."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    path = Path(work) / f"ctr_{rows}_{seed}.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype="S1")
    vocabularies = []
    for _ in range(FIELDS):
        size = int(10 ** rng.uniform(1, 5.5))  # 10 to ~300k distinct values
        words = rng.choice(letters, size=(size, 6)).view("S6").ravel().astype(str)
        vocabularies.append(pa.array(words))
    tmp = path.with_suffix(".tmp")
    with pcsv.CSVWriter(
        str(tmp),
        write_options=pcsv.WriteOptions(quoting_style="none"),
        schema=pa.schema([("click", pa.int8())] + [(f"c{j}", pa.string()) for j in range(FIELDS)]),
    ) as writer:
        for start in range(0, rows, 500_000):
            n = min(500_000, rows - start)
            columns = [pa.array((rng.random(n) < 0.2).astype(np.int8))]
            for vocab in vocabularies:
                ranks = (rng.zipf(1.2, n) - 1) % len(vocab)
                columns.append(vocab.take(pa.array(ranks)))
            writer.write_table(
                pa.table(columns, names=["click"] + [f"c{j}" for j in range(FIELDS)])
            )
    tmp.rename(path)
    return path


def make_parquet(rows, seed=0, work=WORK):
    """The rows of ``make_csv(rows, seed)`` as a Parquet file (pyarrow's defaults: snappy,
    row groups of 1,048,576 rows), made once."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    csv = make_csv(rows, seed, work)
    path = csv.with_suffix(".parquet")
    if path.exists():
        return path
    tmp = path.with_suffix(".parquet.tmp")
    with pcsv.open_csv(str(csv)) as reader, pq.ParquetWriter(str(tmp), reader.schema) as writer:
        # (write_batch makes a row group of each batch: the CSV reader's, ~1 MB of text)
        held, rows_held = [], 0
        for batch in reader:
            held.append(batch)
            rows_held += batch.num_rows
            if rows_held >= PARQUET_ROW_GROUP:
                table = pa.Table.from_batches(held)
                whole = rows_held - rows_held % PARQUET_ROW_GROUP  # (write_table cuts it)
                writer.write_table(table.slice(0, whole), PARQUET_ROW_GROUP)
                held = table.slice(whole).to_batches()
                rows_held -= whole
        if rows_held:
            writer.write_table(pa.Table.from_batches(held, reader.schema), PARQUET_ROW_GROUP)
    tmp.rename(path)
    return path


def peak_rss():
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent that
    forked it, which may be large after writing a file)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(args, in_process=False):
    """Run ``run_child(args)`` in a fresh interpreter (``in_process``: in this one)."""
    if in_process:
        return run_child(args)
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_child(a):
    started = peak_rss()
    if a["tool"] == "imports":  # the baseline: what reading imports, no file read
        import pandas  # noqa: F401
        import pyarrow.compute  # noqa: F401
        import pyarrow.csv  # noqa: F401
        import sklearn.datasets  # noqa: F401

        from sparsereg.stream import open_source  # noqa: F401

        seconds, rows, chunks = 0.0, 0, 0
    elif a["tool"] == "sparsereg":
        import pandas  # noqa: F401  (imported before the clock, as for the peer)

        from sparsereg.stream import open_source

        hasher = None
        if a.get("hash"):
            from sparsereg import FeatureCrossHasher

            hasher = FeatureCrossHasher(n_features=2**24)
        t = time.perf_counter()
        source = open_source(
            a["path"], target="click", batch_rows=a["batch_rows"], readahead=a.get("readahead", 0)
        )
        rows = 0
        chunks = 0
        for chunk in source.chunks():
            if hasher is not None:
                hasher.transform(chunk.X)
            rows += len(chunk.row_numbers)
            chunks += 1
        seconds = time.perf_counter() - t
    else:
        import pandas as pd
        import pyarrow  # noqa: F401

        t = time.perf_counter()
        frame = pd.read_csv(a["path"], engine="pyarrow", dtype="category")
        seconds = time.perf_counter() - t
        rows, chunks = len(frame), 1
    return {
        "seconds": seconds,
        "rows": rows,
        "chunks": chunks,
        "peak_rss": peak_rss(),
        "rss_at_start": started,
    }


def speed(args):
    path = make_csv(args.rows, work=args.work)
    size = path.stat().st_size
    print(
        f"## speed: {args.rows:,} rows, {size / 1e6:.0f} MB, {FIELDS} categorical fields + a 0/1 "
        f"target; chunks of {args.batch_rows:,} rows; fresh interpreter per rep, interleaved"
    )
    times = {"sparsereg": [], "pandas": []}
    for rep in range(args.reps):
        for tool in times:
            r = child({"tool": tool, "path": str(path), "batch_rows": args.batch_rows}, args.quick)
            assert r["rows"] == args.rows, r
            times[tool].append(r["seconds"])
            print(
                f"rep {rep}: {tool:9s} {r['seconds']:.2f} s  {args.rows / r['seconds'] / 1e6:.2f} "
                f"M rows/s  peak RSS {r['peak_rss'] / 2**20:.0f} MiB",
                flush=True,
            )
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"median: open_source chunks {args.rows / med['sparsereg'] / 1e6:.2f} M rows/s "
        f"({size / med['sparsereg'] / 1e6:.0f} MB/s), pandas.read_csv(engine='pyarrow', "
        f"dtype='category') {args.rows / med['pandas'] / 1e6:.2f} M rows/s; time ratio "
        f"open_source / read_csv = {med['sparsereg'] / med['pandas']:.2f}"
    )
    return med


def overlap(args):
    """Read + hash every chunk, with and without a background reading thread."""
    path = make_csv(args.rows, work=args.work)
    print(
        f"## read + FeatureCrossHasher.transform of every chunk ({args.rows:,} rows, 20 columns "
        "into 2**24), readahead=0 vs 1; fresh interpreter per rep, interleaved"
    )
    times = {0: [], 1: []}
    for rep in range(args.reps):
        for ahead in times:
            r = child(
                {
                    "tool": "sparsereg",
                    "path": str(path),
                    "batch_rows": args.batch_rows,
                    "hash": True,
                    "readahead": ahead,
                },
                args.quick,
            )
            assert r["rows"] == args.rows, r
            times[ahead].append(r["seconds"])
            print(
                f"rep {rep}: readahead={ahead} {r['seconds']:.2f} s  "
                f"{args.rows / r['seconds'] / 1e6:.2f} M rows/s",
                flush=True,
            )
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"median: readahead=0 {args.rows / med[0] / 1e6:.2f} M rows/s, readahead=1 "
        f"{args.rows / med[1] / 1e6:.2f} M rows/s; time ratio 1 / 0 = {med[1] / med[0]:.2f}"
    )
    return med


def memory(args):
    print(
        f"## memory: peak RSS of a fresh interpreter reading every chunk of a {args.format} file "
        f"(chunks of {args.batch_rows:,} rows)"
    )
    results = {}
    base = child({"tool": "imports"}, args.quick)
    print(
        f"imports only (pandas, pyarrow, sparsereg.stream): peak RSS "
        f"{base['peak_rss'] / 2**20:.0f} MiB"
    )
    for mb in args.sizes:
        rows = int(mb * 1e6 / BYTES_PER_ROW)
        make = make_parquet if args.format == "parquet" else make_csv
        path = make(rows, work=args.work)
        r = child(
            {"tool": "sparsereg", "path": str(path), "batch_rows": args.batch_rows}, args.quick
        )
        assert r["rows"] == rows, r
        results[mb] = {**r, "path": str(path)}
        print(
            f"{path.stat().st_size / 1e6:7.0f} MB, {rows:,} rows: {r['seconds']:.1f} s, "
            f"peak RSS {r['peak_rss'] / 2**20:.0f} MiB ({(r['peak_rss'] - base['peak_rss']) / 2**20:.0f}"
            " MiB over the imports)",
            flush=True,
        )
    small, large = results[args.sizes[0]], results[args.sizes[-1]]
    sizes = f"{args.sizes[-1]} MB / {args.sizes[0]} MB file"
    if args.format == "parquet":
        sizes = f"{args.sizes[-1]} MB / {args.sizes[0]} MB of CSV rows, as Parquet"
    print(f"peak RSS {sizes}: {large['peak_rss'] / small['peak_rss']:.3f}")
    return base, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batch-rows", type=int, default=65536)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--overlap", action="store_true", help="read + hash, readahead 0 vs 1")
    parser.add_argument(
        "--sizes", default="200,1000", type=lambda s: [int(v) for v in s.split(",")]
    )
    parser.add_argument("--work", default=str(WORK), help="where the files are written")
    parser.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="the files --memory reads"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, one rep, in this process: measures nothing",
    )
    parser.add_argument("--child")
    args = parser.parse_args(argv)
    if args.format != "csv" and not args.memory:
        parser.error("--format parquet is for --memory")
    if args.quick:
        args.rows, args.reps, args.sizes, args.batch_rows = 20_000, 1, [1, 3], 4096
    if args.child:
        print(json.dumps(run_child(json.loads(args.child))))
        return
    import pandas
    import pyarrow

    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
        f"{platform.processor() or ''} python {platform.python_version()}, pyarrow "
        f"{pyarrow.__version__}, pandas {pandas.__version__}"
    )
    if args.quick:
        print("# --quick: tiny files, each run in this process: the times and RSS mean nothing")
    if args.memory:
        return memory(args)
    if args.overlap:
        return overlap(args)
    return speed(args)


if __name__ == "__main__":
    main()
