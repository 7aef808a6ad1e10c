"""The memory a call allocates, as tracemalloc sees it (NumPy's arrays included)."""

import os
import subprocess
import sys
import tracemalloc


def result_and_peak(call, *args):
    """``(call(*args), the most bytes it had allocated at once)``."""
    tracemalloc.start()
    try:
        result = call(*args)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def peak_bytes(call, *args):
    """The most bytes ``call(*args)`` had allocated at once."""
    return result_and_peak(call, *args)[1]


def run_python(code, *args):
    """Run ``code`` in a fresh interpreter, this checkout first on its path (a memory limit
    set there stays in it), and return the ``CompletedProcess``."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root, "OPENBLAS_NUM_THREADS": "1"},
        timeout=120,
    )


_FORK_SERVER = r"""
import json, os, select, signal, sys, tempfile, traceback

exec(compile(sys.argv[1], "<preamble>", "exec"), {"__name__": "__preamble__"})
with open("/proc/self/status") as f:  # (a thread's malloc arena would be room in each fork)
    threads = next(line.split()[1] for line in f if line.startswith("Threads:"))
if threads != "1":
    sys.exit(f"the preamble left {threads} threads: forks would not start as fresh processes")
replies = os.fdopen(os.dup(1), "w")
for line in sys.stdin:
    code, args, timeout = json.loads(line)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # the case, in a process of its own: this one never runs any
        status = 1
        try:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            sys.argv = ["-c", *args]
            exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
            status = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                status = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status)
    pidfd = os.pidfd_open(pid)
    timed_out = not select.select([pidfd], [], [], timeout)[0]
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    os.close(pidfd)
    texts = []
    for f in (out, err):
        f.seek(0)
        texts.append(f.read().decode("utf-8", "replace"))
        f.close()
    replies.write(json.dumps([status, *texts, timed_out]) + "\n")
    replies.flush()
os._exit(0)  # (nothing to finalize)
"""


class ForkedPythons:
    """Runs code as :func:`run_python` does, each call in a process of its own, forked from one
    fresh interpreter that ran ``preamble`` (its imports) once: the ~1.5 s of CPU of importing
    scikit-learn, scipy and pandas is paid once, not per call. The interpreter forking them
    runs no call's code itself: each call starts from the same state, as a fresh interpreter
    after ``preamble`` would (memory freed by another call cannot serve it); a memory limit
    or a mount namespace set in a call stays in its process. The interpreter must have one
    thread after ``preamble`` (it refuses to go on otherwise): another thread is not in the
    forked processes, and its malloc arena would be free there for their own allocations,
    room that a fresh interpreter has not. So pyarrow's jemalloc keeps no background thread
    here (``JE_ARROW_MALLOC_CONF``; importing pandas or scikit-learn loads pyarrow), nor
    OpenBLAS threads (``OPENBLAS_NUM_THREADS=1``, as in :func:`run_python`)."""

    def __init__(self, preamble):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self._server = subprocess.Popen(
            [sys.executable, "-c", _FORK_SERVER, preamble],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={
                **os.environ,
                "PYTHONPATH": root,
                "OPENBLAS_NUM_THREADS": "1",
                "JE_ARROW_MALLOC_CONF": "background_thread:false",
            },
        )

    def run(self, code, *args, timeout=120):
        """``code`` run with ``args`` as its ``sys.argv[1:]``: a ``CompletedProcess``."""
        import json

        argv = [sys.executable, "-c", code, *args]
        self._server.stdin.write(json.dumps([code, list(args), timeout]) + "\n")
        self._server.stdin.flush()
        reply = self._server.stdout.readline()
        if not reply:
            raise RuntimeError(f"the forking interpreter ended ({self._server.wait()})")
        returncode, stdout, stderr, timed_out = json.loads(reply)
        if timed_out:
            raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
        return subprocess.CompletedProcess(argv, returncode, stdout, stderr)

    def close(self):
        self._server.stdin.close()
        self._server.wait(timeout=60)
