"""Signals held back during an update in place, and waits for threads that no signal
handler can leave blocked.

``partial_fit`` trains the state in place (copying a state of millions of columns
per call would cost more than the call), so an interrupt that landed between the
kernel's update and the new ``t_`` would leave a model that predicts one thing now
and another after a pickle round trip. :func:`interrupts_deferred` delays SIGINT, and
every signal whose handler is a Python function, to the end of the block instead: the
estimator is then exactly as after the call, and each handler answers right after.

:class:`Latch` and :class:`Task` let the calling thread wait for other threads without
entering a lock or condition written in Python, where a handler's exception can leave the
lock held and a thread blocked on it for good.

Compiled, so that no signal handler runs inside these functions: CPython runs a Python
handler (a ``SIGALRM`` handler that raises, say) on entering a Python function, after a call
and on a loop's jump back, which in a Python ``__exit__`` left SIGINT caught by the deferred
block for good when the handler's exception landed on its first line (7-11 of 3,000 alarms
during 4-row ``partial_fit`` calls, none in 16,000 since), and in a Python loop of retries let
a second exception escape between two attempts.
"""

import os
import signal
import sys
import threading

from cpython.pythread cimport (
    WAIT_LOCK,
    PyThread_acquire_lock,
    PyThread_allocate_lock,
    PyThread_free_lock,
    PyThread_release_lock,
    PyThread_type_lock,
)

try:  # signal.signal and getsignal without their enum conversions (~5 us a call)
    from _signal import getsignal as _get_handler
    from _signal import signal as _set_handler
except ImportError:  # pragma: no cover - not CPython
    from signal import getsignal as _get_handler
    from signal import signal as _set_handler

cdef int _SIGINT = int(signal.SIGINT)

# the holds active (in the main thread), outermost first: a child forked from another thread
# meanwhile inherits their handlers, which no block of the child will put back
cdef list _holding = []


def _release_holds_in_child():
    """In a child forked while the main thread held signals back: each hold ends, its
    handlers put back and the signals it caught for the parent dropped (its Ctrl-C was
    caught for good)."""
    cdef interrupts_deferred hold
    while _holding:
        hold = _holding.pop()
        hold._release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_release_holds_in_child)

# the signals other than SIGINT whose Python handler is held back too, when one is installed
cdef tuple _OTHER_SIGNALS = tuple(
    sorted(
        int(s)
        for s in signal.valid_signals()
        if s not in (signal.SIGINT, getattr(signal, "SIGKILL", None), getattr(signal, "SIGSTOP", None))
    )
)


cdef class interrupts_deferred:
    """Hold back SIGINT, and every signal whose handler is a Python function, until the
    block has run (main thread only; elsewhere a no-op); then each handler answers, in the
    order the signals came.

    A context manager: ``with interrupts_deferred(): ...``. Not only Ctrl-C: a handler that
    raises (``SIGTERM`` to ``SystemExit``, a ``SIGALRM`` timeout) would otherwise land
    between a model's update in place and its bookkeeping. A signal whose handler is not a
    Python function (the default, ignored, or one installed from C) is left alone.
    """

    cdef list _caught  # (signum, frame), each signal once, in the order they came
    cdef dict _previous  # signum -> the handler to put back
    cdef bint _active

    def __cinit__(self):
        self._caught = []
        self._previous = {}
        self._active = False

    def _catch(self, signum, frame):
        if self._active:
            for caught, _ in self._caught:
                if caught == signum:
                    return
            self._caught.append((signum, frame))
            return
        # still installed after the block: __exit__ could not put the previous handler back
        # (it gave up), so this one answers as that one would, rather than swallow the signal
        _answer(signum, self._previous.get(signum), frame)

    def __enter__(self):
        # (in another thread the first swap raises ValueError, CPython's own test of the
        # main thread: threading.current_thread() is Python code, on whose entry a handler
        # ran before anything was held, and gevent gives threading other idents than C's)
        # the handlers to restore are read and the block marked active before the swaps: a
        # signal handler's exception just after one (signal.signal runs the handlers of
        # signals pending) would otherwise leave a signal caught here for good (a `with`
        # whose __enter__ raises never runs __exit__)
        cdef object get_handler = _get_handler
        cdef object signum, handler
        previous = {_SIGINT: get_handler(_SIGINT)}
        for signum in _OTHER_SIGNALS:  # ~1 us for 60 signals
            handler = get_handler(signum)
            if callable(handler):
                previous[signum] = handler
        self._previous = previous
        self._active = True
        _holding.append(self)
        try:
            for signum in previous:
                _set_handler(signum, self._catch)
        except ValueError:  # not the main thread (of the main interpreter): signals never come
            self._active = False
            self._forget()
            return self
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    cdef _forget(self):
        cdef Py_ssize_t i
        for i in range(len(_holding) - 1, -1, -1):
            if _holding[i] is self:
                del _holding[i]
                return

    cdef _release(self):
        """End the hold without answering what it caught (a forked child's, above)."""
        for signum, previous in self._previous.items():
            try:
                _set_handler(signum, _reinstallable(previous))
            except BaseException:
                pass
        self._active = False
        self._caught = []

    def __exit__(self, *exc_info):
        if not self._active:
            return False
        raised = None
        for signum, previous in self._previous.items():
            restore = _reinstallable(previous)
            for _ in range(MOST_ATTEMPTS):  # a handler's exception must not leave it caught
                try:
                    _set_handler(signum, restore)
                    break
                except BaseException as exc:
                    raised = _ranked(raised, exc)
        self._active = False
        self._forget()
        caught, self._caught = self._caught, []
        # each held-back signal's handler answers, in the order they came; of their
        # exceptions and the restores', one is raised: a request to stop (KeyboardInterrupt,
        # SystemExit) ahead of an ordinary exception, else the first, with the one it beat as
        # its context (any others are dropped; if the block itself raised, Python makes that
        # exception the context instead)
        answered = None
        for signum, frame in caught:
            try:
                _answer(signum, self._previous[signum], frame)
            except BaseException as exc:
                answered = _ranked(answered, exc)
        raised = _ranked(answered, raised)
        if raised is not None:
            raise raised
        return False


cdef object _reinstallable(object previous):
    """The handler to put back for ``previous``: None is a handler installed from C, which
    Python cannot reinstall (only SIGINT's is swapped whatever it is)."""
    return previous if previous is not None else signal.default_int_handler


cdef object _ranked(object first, object second):
    """Which of two exceptions (either may be None) to raise: a request to stop
    (KeyboardInterrupt first, then any other that is not an ``Exception``, such as
    SystemExit) ahead of an ordinary exception, else ``first``; the other as its context."""
    if first is None:
        return second
    if second is None:
        return first
    if _stop_rank(second) > _stop_rank(first):
        return _chained(second, first)
    return _chained(first, second)


cdef int _stop_rank(object exc):
    if isinstance(exc, KeyboardInterrupt):
        return 2
    return 0 if isinstance(exc, Exception) else 1


cdef _answer(int signum, object handler, object frame):
    """What ``handler`` does on ``signum``: a SIGINT left to the default (or to C) raises
    KeyboardInterrupt; a Python handler is called; an ignored signal does nothing."""
    if signum == _SIGINT and (handler is None or handler == signal.SIG_DFL):
        raise KeyboardInterrupt
    if callable(handler):
        handler(signum, frame)


# attempts after which a retry loop here gives up: an error that recurs on every attempt
# (MemoryError, say) is not a signal handler's, and retrying it would never end
MOST_ATTEMPTS = 10_000


cdef object _kept(object raised, object exc):
    """The exception to raise of an earlier one and a later one: the earlier, unless only
    the later is a KeyboardInterrupt (Ctrl-C must not be lost behind another handler's
    exception), which then gets the earlier as its context."""
    if raised is None:
        return exc
    if isinstance(exc, KeyboardInterrupt) and not isinstance(raised, KeyboardInterrupt):
        return _chained(exc, raised)
    return raised


cdef bint _leads_to(object start, object target):
    """Whether ``target`` is ``start`` or in its chain of contexts (a chain may be long, or
    already a cycle: at most 100 links are followed)."""
    for _ in range(100):
        if start is None:
            return False
        if start is target:
            return True
        start = start.__context__
    return True


cdef object _chained(object exc, object context):
    """``exc``, with ``context`` as its context if it has none and that makes no cycle."""
    if context is not None and exc.__context__ is None and not _leads_to(context, exc):
        exc.__context__ = context
    return exc


cdef _raise_with_context(exc, context):
    raise _chained(exc, context)


def call_until_done(function, *args):
    """Call ``function(*args)`` until a call returns, then raise what the calls raised (a
    signal handler's exception, arriving while one ran): the first exception, or the first
    KeyboardInterrupt. For clean-ups whose every step can be done again: the retries run
    here, where no handler can run between two of them. After ``MOST_ATTEMPTS`` failed
    calls it gives up and raises."""
    raised = None
    for _ in range(MOST_ATTEMPTS):
        try:
            function(*args)
            break
        except BaseException as exc:
            raised = _kept(raised, exc)
    if raised is not None:
        raise raised


def end_read_ahead(list stop, list running, finished, list ended, parent):
    """The end of a read-ahead (``sparsereg.stream._readers._ahead``): set ``stop``, then,
    if its thread has begun (``running``), in process ``parent`` and not at the
    interpreter's exit, wait until the thread has released ``finished``.

    Compiled, so that no signal handler's exception can land between the stop and the
    wait. In Python one could, after each call there, and the wait was skipped: the thread
    went on inside the source, its file open, after the read had raised. The wait is the
    one place here where a handler runs. The thread may be inside the source's generator,
    which the caller closes next ("generator already executing"), so a first exception
    (Ctrl-C) is raised only once the thread has finished (``ended`` says it has). A second
    gives up the wait (a read that blocks for good), and the first is raised.
    """
    stop.append(True)
    if not running or os.getpid() != parent or sys.is_finalizing():
        return
    try:
        finished.acquire()
    except BaseException:
        if not ended:
            try:
                finished.acquire()
            except BaseException:
                pass
        raise


cdef class Latch:
    """A gate that starts closed and is opened once, by any thread: ``wait()`` returns once
    it is open (at once if it already is), and can be called again and again.

    For a thread that waits for another to finish while signal handlers may raise:
    ``threading.Event.wait`` enters its condition in Python, where a handler's exception
    can land just after the condition's lock was taken and leave it held, so that the
    wait tried again (``call_until_done``), or the other thread's ``set()``, blocks for
    good (about once in 1,000 alarms during ``partial_fit`` with threads). Here both calls
    are compiled, and ``wait()`` waits with the GIL released: no handler runs inside them,
    and the lock is never left held by a waiter.
    """

    cdef PyThread_type_lock _lock
    cdef bint _opened

    def __cinit__(self):
        self._lock = PyThread_allocate_lock()
        if self._lock == NULL:
            raise MemoryError("no lock for a latch")
        PyThread_acquire_lock(self._lock, WAIT_LOCK)  # closed: taken, free when opened
        self._opened = False

    def __dealloc__(self):
        if self._lock != NULL:
            if not self._opened:  # (a thread that stopped before its work): free it unheld
                PyThread_release_lock(self._lock)
            PyThread_free_lock(self._lock)

    def open(self):
        """Open the gate (the first call; any later one does nothing)."""
        if not self._opened:
            self._opened = True
            PyThread_release_lock(self._lock)

    def wait(self):
        """Return once the gate is open."""
        with nogil:
            PyThread_acquire_lock(self._lock, WAIT_LOCK)  # retried on EINTR: never early
            PyThread_release_lock(self._lock)


cdef class Task:
    """A call of ``function()`` handed to another thread, which the caller can take back
    until a thread has begun it: that thread calls :meth:`run`, the caller :func:`finish`.

    Both are compiled, so that no signal handler runs inside them: the caller's side of
    ``concurrent.futures`` (``Future.result`` and ``cancel``, the executor's semaphore)
    enters conditions in Python, where a handler's exception can leave a lock held, the
    next call blocked on it for good, and the pool's threads with it.
    """

    cdef object function
    cdef bint claimed  # by the thread that runs it, or by the caller taking it back
    cdef object error
    cdef Latch done

    def __cinit__(self, function):
        self.function = function
        self.claimed = False
        self.error = None
        self.done = Latch()

    def run(self):
        """Call the function, unless the task was taken back; its exception is kept for
        the caller."""
        if self.claimed:  # (test and set in one step: no other thread runs in between)
            return
        self.claimed = True
        function, self.function = self.function, None  # (its arrays not kept by the queue)
        try:
            function()
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.open()


def finish(tasks):
    """Take back each task that no thread has begun, wait for the others to end, then raise
    the first exception one of them raised."""
    cdef Task task
    error = None
    for task in tasks:
        if not task.claimed:
            task.claimed = True
            task.function = None  # (a queued task would keep its arrays until a thread came)
            continue
        task.done.wait()
        if error is None:
            error = task.error
    if error is not None:
        raise error


cdef extern from *:
    """
    #ifndef _WIN32
    #include <signal.h>
    #endif
    /* 1 if the process's disposition of signum is the default, 0 if it is a handler (one
       installed from C: faulthandler.register, an embedding host) or ignored, -1 if it cannot
       be told */
    static int sparsereg_default_disposition(int signum) {
    #ifdef _WIN32
        return -1;
    #else
        struct sigaction current;
        if (sigaction(signum, NULL, &current) != 0) return -1;
        if (current.sa_flags & SA_SIGINFO) return 0;
        return current.sa_handler == SIG_DFL;
    #endif
    }
    """
    int sparsereg_default_disposition(int signum) nogil


def default_disposition(int signum):
    """Whether the process's disposition of ``signum`` is the default: True, False, or None
    where it cannot be told. ``signal.getsignal`` says ``SIG_DFL`` for a handler installed
    from C after the interpreter started (``faulthandler.register``); the process knows."""
    cdef int answer = sparsereg_default_disposition(signum)
    return None if answer < 0 else bool(answer)
