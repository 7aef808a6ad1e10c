"""Streaming from files (issue #14): `sparsereg train`'s memory against the file size, and its
end-to-end speed against Vowpal Wabbit reading its own text format.

    flock /tmp/sparsereg-bench.lock python benchmarks/bench_stream.py rss [--sizes 1GB,4GB] [--reps 1]
    flock /tmp/sparsereg-bench.lock python benchmarks/bench_stream.py speed [--size 200MB] [--reps 5]
    common options: [--sparsereg "python -m sparsereg"] [--batch-rows N] [--l1 1.0]
                    [--json-out F] [--work DIR] [--seed 0] [--quick]

Data: benchmarks/_ctr_files.py (20 categorical fields C1..C20 with Zipf-like popularity and
cardinalities from 10 to 10**6, a 0/1 target ``click``), generated once and cached under
benchmarks/_work/ (the sizes are the CSV's bytes; Parquet and VW text hold the same rows).

Both parts run ``sparsereg train`` as a user would, in a subprocess:

    sparsereg train FILE --target click --model OUT.npz --format csv|parquet
        --cross C1,C2 --cross C3,C4 --n-features 2**24 --loss log_loss --penalty l1
        --alpha L1 --penalty-scale sum --eta0 0.1 --beta 1 --passes 1 --quiet --json

(each of the 20 fields hashed alone, the default, plus the two crosses: 22 features a row).

rss    peak RSS of that command on the 1 GB and the 4 GB CSV, read three ways: the command's own
       ``peak_rss_bytes`` (--json), ``/usr/bin/time -v``'s "Maximum resident set size", and
       ``ru_maxrss`` of the child from ``os.wait4`` (what ``getrusage(RUSAGE_CHILDREN)`` reports).
       The last one is an upper bound: Linux carries the parent's RSS at fork into the child's
       ``ru_maxrss`` across exec, so it reads max(this script's RSS, the child's peak); it is
       exact here because this script stays far smaller than the child (/usr/bin/time forks
       from a 2 MB process, so its reading is clean). Goal (issue #14): 4 GB / 1 GB < 1.10.
speed  end-to-end rows/s on the same rows, interleaved reps (the order of the tools rotates
       each rep), medians:
         sparsereg csv      ``sparsereg train`` on the CSV;
         sparsereg parquet  ``sparsereg train`` on the Parquet file;
         VW ftrl            Vowpal Wabbit 9 through its Python ``Workspace`` (the wheel ships no
                            ``vw`` binary) given ``-d FILE.vw``: the constructor runs VW's own C++
                            parser and learner over the text file (``pylibvw.vw.run_parser``, its
                            parse thread feeding the learner), as the ``vw`` command does; no
                            cache file. Arguments: ``--ftrl --ftrl_alpha 0.1 --ftrl_beta 1
                            --l1 L1 --l2 0 --loss_function logistic -b 24 --interactions ab
                            --interactions cd --quiet -f OUT.vw`` (namespaces a..t = C1..C20, so
                            ab = C1 x C2 and cd = C3 x C4; VW adds its constant feature as
                            sparsereg adds its intercept).
       Two timings per run: the tool's own (sparsereg's ``seconds`` from --json; VW's
       ``Workspace(...)`` + ``finish()`` timed in the child, i.e. read + parse + hash + train +
       model written) and the wall time of the whole process (interpreter start and imports
       included). rows/s = rows / time. CPU seconds (user + sys, all threads) are reported too:
       VW parses in a second thread and pyarrow reads with its thread pool, on a 2-core machine.
       Progressive log loss (each row scored before it is learnt; VW's "average loss") is the
       sanity check. Goals (issue #14): sparsereg on CSV faster than VW, on Parquet 3x faster.
       The page cache is warmed by reading every file once before the first timed run.

Penalties: absolute lambda1 = L1 (sparsereg ``--penalty-scale sum``, as in VW) and no L2; the
learning rate eta0 = 0.1 (VW's ``--ftrl_alpha``) and beta = 1 for both.
--quick: 2 MB and 4 MB files, one rep, 2**18 columns (VW -b 18), to check that the script runs;
the RSS part takes the speed part's run of the 2 MB CSV (the same command) instead of a second.
"""

import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _ctr_files import WORK, ensure  # noqa: E402

ETA0, BETA = 0.1, 1.0
CROSSES = [("C1", "C2"), ("C3", "C4")]
VW_INTERACTIONS = ["ab", "cd"]
TIME_BIN = "/usr/bin/time"


# --------------------------------------------------------------------------------------------
# the VW child: run in a fresh interpreter by the parent


def vw_child(path, args):
    import resource

    from vowpalwabbit import Workspace

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    vw = Workspace(args + f" -d {path}")  # -d: the C++ parser runs over the file in here
    sum_loss, examples = vw.get_sum_loss(), vw.get_weighted_examples()
    vw.finish()  # writes the -f model
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": int(examples),
                "progressive_loss": sum_loss / examples if examples else None,
                "cpu_in_call": cpu,
                "peak_rss_bytes": r1.ru_maxrss * 1024,
            }
        )
    )


def vw_args(l1, model_path, bits=24):
    inter = " ".join(f"--interactions {i}" for i in VW_INTERACTIONS)
    return (
        f"--ftrl --ftrl_alpha {ETA0} --ftrl_beta {BETA} --l1 {l1} --l2 0 "
        f"--loss_function logistic -b {bits} {inter} --quiet -f {model_path}"
    )


# --------------------------------------------------------------------------------------------
# running a command and measuring it


def run_measured(cmd, use_time=True):
    """Run cmd (stdout/stderr to files), reap it with os.wait4: (returncode, out, err, wall, ru)."""
    full = ([TIME_BIN, "-v"] + cmd) if use_time and os.path.exists(TIME_BIN) else list(cmd)
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=fo, stderr=fe)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read().decode(errors="replace"), fe.read().decode(errors="replace")
    time_rss = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    if m:
        time_rss = int(m.group(1)) * 1024
    return proc.returncode, out, err, wall, ru, time_rss


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON line in the output:\n{text[-2000:]}")


def sparsereg_cmd(base, path, fmt, model, l1, batch_rows, bits=24):
    cmd = list(base) + [
        "train",
        str(path),
        "--target",
        "click",
        "--model",
        str(model),
        "--format",
        fmt,
    ]
    for a, b in CROSSES:
        cmd += ["--cross", f"{a},{b}"]
    cmd += [
        "--n-features",
        f"2**{bits}",
        "--loss",
        "log_loss",
        "--penalty",
        "l1",
        "--alpha",
        str(l1),
        "--penalty-scale",
        "sum",
        "--eta0",
        str(ETA0),
        "--beta",
        str(BETA),
        "--passes",
        "1",
        "--quiet",
        "--json",
    ]
    if batch_rows:
        cmd += ["--batch-rows", str(batch_rows)]
    return cmd


def run_tool(tool, files, args, tmp):
    """One run of one tool: a dict of its figures (or raises with the tool's stderr)."""
    if tool == "VW ftrl":
        model = tmp / "vw_model.vw"
        cmd = [
            sys.executable,
            __file__,
            "--vw-child",
            str(files["vw"]),
            f"--vw-args={vw_args(args.l1, model, args.bits)}",
        ]
    else:
        fmt = tool.split()[-1]
        model = tmp / f"sparsereg_{fmt}.npz"
        cmd = sparsereg_cmd(
            args.sparsereg, files[fmt], fmt, model, args.l1, args.batch_rows, args.bits
        )
    if args.quick and shlex.join(cmd) in args.quick_runs:
        return dict(args.quick_runs[shlex.join(cmd)])
    load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else None
    code, out, err, wall, ru, time_rss = run_measured(cmd)
    if code != 0:
        raise RuntimeError(f"{tool} failed (exit {code}): {shlex.join(cmd)}\n{err[-3000:]}")
    rec = last_json(out)
    stray = "\n".join(
        line
        for line in err.splitlines()
        if not line.startswith("\t") and "Command being timed" not in line
    ).strip()
    rows = rec["rows"]
    own = rec["seconds"]
    record = {
        "tool": tool,
        "cmd": shlex.join(cmd),
        "rows": rows,
        "seconds": own,
        "wall": wall,
        "rows_per_s": rows / own,
        "rows_per_s_wall": rows / wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "progressive_loss": rec.get("progressive_loss"),
        "holdout_loss": rec.get("holdout_loss"),
        "nonzero": rec.get("nonzero"),
        "rss_self": rec.get("peak_rss_bytes"),
        "rss_wait4": ru.ru_maxrss * 1024,
        "rss_time": time_rss,
        "bad_rows": rec.get("bad_rows"),
        "model_bytes": model.stat().st_size if model.exists() else None,
        "stderr": stray[-2000:],
        "loadavg_before": load,
    }
    args.quick_runs[record["cmd"]] = record
    return dict(record)


# --------------------------------------------------------------------------------------------


def machine():
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    versions = []
    for mod in ["numpy", "pyarrow", "sklearn", "sparsereg", "vowpalwabbit"]:
        try:
            m = __import__(mod)
            versions.append(f"{mod} {getattr(m, '__version__', '?')}")
        except Exception:  # noqa: BLE001 - only a label
            versions.append(f"{mod} missing")
    return (
        f"{os.cpu_count()} cores, {cpu}; {platform.platform()}; python "
        f"{platform.python_version()}; " + ", ".join(versions)
    )


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def warm(paths):
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


def mb(x):
    return f"{x / 2**20:,.0f}" if x is not None else "-"


def part_rss(args, tmp):
    sizes = ["2MB", "4MB"] if args.quick else args.sizes.split(",")
    files = {s: ensure(s, ["csv"], args.seed, args.work)[0] for s in sizes}
    metas = {s: json.loads(files[s]["meta"].read_text()) for s in sizes}
    warm([files[s]["csv"] for s in sizes])
    runs = []
    for rep in range(1 if args.quick else args.rss_reps):
        for s in sizes:
            rec = run_tool("sparsereg csv", {"csv": files[s]["csv"]}, args, tmp)
            rec.update(
                size=s, rep=rep, file_bytes=metas[s]["bytes"]["csv"], file_rows=metas[s]["rows"]
            )
            runs.append(rec)
            print(
                f"  rep {rep} {s}: rows {rec['rows']:,} ({rec['file_rows']:,} in the file), "
                f"{rec['seconds']:.1f} s ({rec['rows_per_s']:,.0f} rows/s), peak RSS MiB: "
                f"self {mb(rec['rss_self'])}, wait4 {mb(rec['rss_wait4'])}, "
                f"time -v {mb(rec['rss_time'])}",
                flush=True,
            )
    print(f"\n# peak RSS of `sparsereg train` on CSV ({machine()})")
    print(f"# {runs[0]['cmd']}")
    print(
        "size   rows          CSV MB   seconds  rows/s     prog.loss  RSS self  wait4  "
        "time -v (MiB, medians)"
    )
    summary = {}
    for s in sizes:
        rr = [r for r in runs if r["size"] == s]
        row = {
            k: median([r[k] for r in rr])
            for k in [
                "rows",
                "seconds",
                "rows_per_s",
                "progressive_loss",
                "rss_self",
                "rss_wait4",
                "rss_time",
            ]
        }
        summary[s] = row
        print(
            f"{s:6} {row['rows']:>12,.0f}  {metas[s]['bytes']['csv'] / 1e6:7,.0f}  "
            f"{row['seconds']:7.1f}  {row['rows_per_s']:>9,.0f}  {row['progressive_loss']:.4f}     "
            f"{mb(row['rss_self']):>6}  {mb(row['rss_wait4']):>6}  {mb(row['rss_time']):>6}"
        )
    if len(sizes) >= 2:
        a, b = sizes[0], sizes[-1]
        for key in ["rss_self", "rss_wait4", "rss_time"]:
            if summary[a][key] and summary[b][key]:
                ratio = summary[b][key] / summary[a][key]
                print(
                    f"ratio {b}/{a} by {key}: {ratio:.3f}  (goal < 1.10: "
                    f"{'met' if ratio < 1.10 else 'NOT met'})"
                )
    return {"runs": runs, "summary": summary}


def part_speed(args, tmp):
    size = "2MB" if args.quick else args.size
    files, meta = ensure(size, ["csv", "parquet", "vw"], args.seed, args.work)
    tools = [
        t
        for t in ["sparsereg csv", "sparsereg parquet", "VW ftrl"]
        if t.split()[-1] in args.tools.split(",") or (t == "VW ftrl" and "vw" in args.tools)
    ]
    warm([files[k] for k in ["csv", "parquet", "vw"]])
    runs = []
    for rep in range(1 if args.quick else args.reps):
        order = tools[rep % len(tools) :] + tools[: rep % len(tools)]
        for tool in order:
            rec = run_tool(tool, files, args, tmp)
            rec["rep"] = rep
            runs.append(rec)
            print(
                f"  rep {rep} {tool:18}: load {rec['loadavg_before']}, {rec['rows']:,} rows, {rec['seconds']:6.2f} s "
                f"(wall {rec['wall']:6.2f} s, cpu {rec['cpu']:6.2f} s), "
                f"{rec['rows_per_s']:>9,.0f} rows/s, prog. loss {rec['progressive_loss']:.4f}, "
                f"peak RSS {mb(rec['rss_wait4'])} MiB",
                flush=True,
            )
            if rec["stderr"]:
                print(f"    stderr: {rec['stderr'][:500]}")
    print(
        f"\n# end to end, {size} CSV = {meta['rows']:,} rows "
        f"(CSV {meta['bytes']['csv'] / 1e6:,.0f} MB, Parquet {meta['bytes']['parquet'] / 1e6:,.0f} MB, "
        f"VW text {meta['bytes']['vw'] / 1e6:,.0f} MB); medians of {args.reps if not args.quick else 1} "
        f"interleaved reps; {machine()}"
    )
    print(
        "tool               rows/s (own)  rows/s (wall)  seconds  wall    cpu     prog.loss  "
        "nonzero    peak RSS MiB"
    )
    summary = {}
    for tool in tools:
        rr = [r for r in runs if r["tool"] == tool]
        row = {
            k: median([r[k] for r in rr])
            for k in [
                "rows",
                "seconds",
                "wall",
                "rows_per_s",
                "rows_per_s_wall",
                "cpu",
                "progressive_loss",
                "nonzero",
                "rss_wait4",
            ]
        }
        row["cmd"] = rr[0]["cmd"]
        summary[tool] = row
        nz = f"{row['nonzero']:>9,.0f}" if row["nonzero"] is not None else "        -"
        print(
            f"{tool:18} {row['rows_per_s']:>12,.0f}  {row['rows_per_s_wall']:>13,.0f}  "
            f"{row['seconds']:7.2f}  {row['wall']:6.2f}  {row['cpu']:6.2f}  "
            f"{row['progressive_loss']:.4f}     {nz}  {mb(row['rss_wait4']):>8}"
        )
    rows_seen = {t: summary[t]["rows"] for t in tools}
    if len(set(rows_seen.values())) > 1:
        print(f"WARNING: the tools saw different row counts: {rows_seen}")
    if "VW ftrl" in summary:
        vw = summary["VW ftrl"]
        best = {t: max(r["rows_per_s"] for r in runs if r["tool"] == t) for t in tools}
        for tool, goal in [("sparsereg csv", 1.0), ("sparsereg parquet", 3.0)]:
            if tool in summary:
                r_own = summary[tool]["rows_per_s"] / vw["rows_per_s"]
                r_wall = summary[tool]["rows_per_s_wall"] / vw["rows_per_s_wall"]
                # the same rep's runs are neighbours in time: their ratio sees similar load
                paired = [
                    next(r for r in runs if r["tool"] == tool and r["rep"] == rep)["rows_per_s"]
                    / next(r for r in runs if r["tool"] == "VW ftrl" and r["rep"] == rep)[
                        "rows_per_s"
                    ]
                    for rep in sorted({r["rep"] for r in runs})
                ]
                r_pair = statistics.median(paired)
                r_best = best[tool] / best["VW ftrl"]
                r_cpu = vw["cpu"] / summary[tool]["cpu"]
                summary[tool]["ratios_to_vw"] = {
                    "own": r_own,
                    "wall": r_wall,
                    "paired_median": r_pair,
                    "paired": paired,
                    "best": r_best,
                    "cpu": r_cpu,
                }
                met = min(r_own, r_wall, r_pair, r_best) > goal
                print(
                    f"{tool} / VW rows/s: {r_own:.2f}x (medians, own timings), {r_wall:.2f}x "
                    f"(medians, process wall), {r_pair:.2f}x (median of per-rep ratios: "
                    f"{', '.join(f'{p:.2f}' for p in paired)}), {r_best:.2f}x (best rep of each); "
                    f"VW CPU s / sparsereg CPU s {r_cpu:.2f}  (goal > {goal:g}x: "
                    f"{'met by every measure' if met else 'NOT met by every measure'})"
                )
    for tool in tools:
        print(f"# {tool}: {summary[tool]['cmd']}")
    return {"runs": runs, "summary": summary, "rows": meta["rows"], "size": size}


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("part", nargs="?", choices=["rss", "speed", "all"], default="all")
    ap.add_argument("--sizes", default="1GB,4GB", help="CSV sizes for the RSS part")
    ap.add_argument("--rss-reps", type=int, default=1)
    ap.add_argument("--size", default="200MB", help="CSV size for the speed part")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--tools", default="csv,parquet,vw")
    ap.add_argument(
        "--sparsereg",
        default=f"{shlex.quote(sys.executable)} -m sparsereg",
        help="the command that runs sparsereg's CLI",
    )
    ap.add_argument("--batch-rows", type=int, default=None)
    ap.add_argument("--l1", type=float, default=1.0, help="absolute lambda1 of both tools")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--work", type=Path, default=WORK, help="where the data files are cached")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--vw-child", help=argparse.SUPPRESS)
    ap.add_argument("--vw-args", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.vw_child:
        return vw_child(args.vw_child, args.vw_args)
    args.sparsereg = shlex.split(args.sparsereg)
    # --quick hashes into 2**18 columns: 2**24 costs each of its runs ~2 s of zeroed pages
    args.bits = 18 if args.quick else 24
    args.quick_runs = {}  # each command's first run, which --quick takes again (run_tool)
    args.work.mkdir(parents=True, exist_ok=True)
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "argv": sys.argv,
    }
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        tmp = Path(tmp)
        if args.part in ("speed", "all"):
            result["speed"] = part_speed(args, tmp)
        if args.part in ("rss", "all"):
            result["rss"] = part_rss(args, tmp)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1, default=str))
    return result


if __name__ == "__main__":
    main()
