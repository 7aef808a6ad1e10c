"""The memory a call allocates, as tracemalloc sees it (NumPy's arrays included), and the
interpreters that run code under a memory limit of its own (run_python, ForkedPythons)."""

import json
import os
import signal
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

replies = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # (what the preamble prints is not a reply, nor in each call's output)
preamble = {"__name__": "__main__"}
exec(compile(sys.argv[1], "<preamble>", "exec"), preamble)
sys.stdout.flush()
with open("/proc/self/status") as f:  # (a thread's malloc arena would be room in each fork)
    threads = next(line.split()[1] for line in f if line.startswith("Threads:"))
if threads != "1":
    sys.exit(f"the preamble left {threads} threads: forks would not start as fresh processes")
for line in sys.stdin:
    code, args, timeout = json.loads(line)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # the case, in a process of its own: this one never runs any
        status = 1
        try:
            replies.close()  # (the pipe to the tests: a call outliving the server held it open)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            sys.argv = ["-c", *args]
            exec(compile(code, "<string>", "exec"), preamble)  # (after it, as one script)
            status = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                status = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        sys.stdout.flush()  # (what it printed is kept should its end hang: a timeout)
        sys.stderr.flush()
        # and it ends as the interpreter running the code alone would (its threads joined,
        # atexit's functions run, every object freed): a crash there is in its status
        raise SystemExit(status)
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
"""


class ForkedPythons:
    """Runs code as :func:`run_python` does, each call in a process of its own, forked from one
    interpreter that ran ``preamble`` once (its imports, the data its calls share: the code
    sees the preamble's names): the ~1.5 s of CPU of importing scikit-learn, scipy and
    pandas is paid once, not per call. The interpreter forking them runs no call's code
    itself: each call starts from the same state (memory freed by another call cannot serve
    it) and ends as an interpreter does (threads joined, atexit, every object freed); a
    memory limit or a mount namespace set in a call stays in its process.

    Not quite a fresh interpreter: the interpreter must have one thread after ``preamble``
    (it refuses to go on otherwise), since another thread is not in the forked processes and
    its malloc arena would be free there for their own allocations. So pyarrow's jemalloc
    keeps no background thread here (``JE_ARROW_MALLOC_CONF``; importing pandas or
    scikit-learn loads pyarrow), which leaves a call ~70 MB more address space than a fresh
    interpreter (what a limit set relative to the address space at the time does not see),
    nor OpenBLAS threads (``OPENBLAS_NUM_THREADS=1``, as in :func:`run_python`); a call
    inherits a few more open files. Linux only (``os.pidfd_open``)."""

    def __init__(self, preamble):
        self._preamble = preamble
        self._start()

    def _start(self):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self._server = subprocess.Popen(
            [sys.executable, "-c", _FORK_SERVER, self._preamble],
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
            start_new_session=True,  # (its group: the server and whatever it forked)
        )

    def _stop(self):
        try:
            os.killpg(self._server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._server.wait()
        for stream in (self._server.stdin, self._server.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def run(self, code, *args, timeout=120):
        """``code`` run after the preamble with ``args`` as its ``sys.argv[1:]``: a
        ``CompletedProcess``. A server that ended, or a call interrupted before its reply
        (which would be the next call's), leaves a new server for the next call."""
        argv = [sys.executable, "-c", code, *args]
        try:
            self._server.stdin.write(json.dumps([code, list(args), timeout]) + "\n")
            self._server.stdin.flush()
            reply = self._server.stdout.readline()
        except BrokenPipeError:
            reply = ""
        except BaseException:
            self._stop()
            self._start()
            raise
        if not reply:
            ended = self._server.wait()
            self._stop()
            self._start()
            raise RuntimeError(f"the forking interpreter ended ({ended}): see its stderr")
        returncode, stdout, stderr, timed_out = json.loads(reply)
        if timed_out:
            raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
        return subprocess.CompletedProcess(argv, returncode, stdout, stderr)

    def close(self):
        try:
            self._server.stdin.close()
            self._server.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._stop()
