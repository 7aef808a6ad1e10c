"""Ctrl-C held back until a call that updates a model in place has finished.

``partial_fit`` trains the state in place (copying a state of millions of columns
per call would cost more than the call), so an interrupt that landed between the
kernel's update and the new ``t_`` would leave a model that predicts one thing now
and another after a pickle round trip. :func:`interrupts_deferred` delays SIGINT to
the end of the block instead: the estimator is then exactly as after the call, and
the interrupt is raised (or handed to the handler that was installed) right after.

Compiled, so that no signal handler runs inside these functions: CPython runs a Python
handler (a ``SIGALRM`` handler that raises, say) on entering a Python function, after a call
and on a loop's jump back, which in a Python ``__exit__`` left SIGINT caught by the deferred
block for good when the handler's exception landed on its first line (7-11 of 3,000 alarms
during 4-row ``partial_fit`` calls, none in 16,000 since), and in a Python loop of retries let
a second exception escape between two attempts.
"""

import signal
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


cdef class interrupts_deferred:
    """Hold SIGINT back until the block has run (main thread only; elsewhere a no-op).

    A context manager: ``with interrupts_deferred(): ...``.
    """

    cdef list _caught
    cdef object _previous
    cdef bint _active

    def __cinit__(self):
        self._caught = []
        self._previous = None
        self._active = False

    def _catch(self, signum, frame):
        if self._active:
            self._caught.append(frame)
            return
        # still installed after the block: __exit__ could not put the previous handler back
        # (it gave up), so this one answers as that one would, rather than swallow Ctrl-C
        previous = self._previous
        if previous is None or previous == signal.SIG_DFL:
            raise KeyboardInterrupt
        if callable(previous):
            previous(signum, frame)

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self  # signals are only ever delivered to the main thread
        # the handler to restore is read and the block marked active before the swap: a
        # signal handler's exception just after it would otherwise leave SIGINT caught
        # here for good (a `with` whose __enter__ raises never runs __exit__)
        self._previous = _get_handler(_SIGINT)
        self._active = True
        try:
            _set_handler(_SIGINT, self._catch)
        except ValueError:  # pragma: no cover - not the main interpreter
            self._active = False
            return self
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        if not self._active:
            return False
        previous = self._previous
        # None: a handler installed from C, which Python cannot reinstall
        restore = previous if previous is not None else signal.default_int_handler
        raised = None
        for _ in range(MOST_ATTEMPTS):  # a handler's exception must not leave SIGINT caught
            try:
                _set_handler(_SIGINT, restore)
                break
            except BaseException as exc:
                raised = _kept(raised, exc)
        self._active = False
        if self._caught:  # Ctrl-C came first: the installed handler's answer, then the rest
            if previous is None or previous == signal.SIG_DFL:
                _raise_with_context(KeyboardInterrupt(), raised)
            if callable(previous):
                try:
                    previous(_SIGINT, self._caught[0])
                except BaseException as exc:
                    _raise_with_context(exc, raised)
        if raised is not None:
            raise raised
        return False


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
        try:
            self.function()
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
            continue
        task.done.wait()
        if error is None:
            error = task.error
    if error is not None:
        raise error
