"""Exceptions raised where a signal handler's could land, and the threads left after them.

The package starts its threads with ``_thread.start_new_thread`` (``threading.Thread.start``
waits on an ``Event`` that a signal handler's exception can leave held), which
``threading.enumerate`` does not list; and native libraries (pyarrow's pools) start and end
threads of their own, which the OS counts: :func:`python_threads` counts the threads that
run Python code, :func:`python_thread_idents` tells them apart (a test compares the threads
before and after: another test's thread in the same process may end meanwhile).
"""

import _thread
import contextlib
import dis
import faulthandler
import gc
import inspect
import itertools
import os
import signal
import sys
import threading
import time
import weakref

import sparsereg

_PACKAGE = os.path.dirname(sparsereg.__file__)
_STDLIB = os.path.dirname(threading.__file__)
_SITE = "-packages"


class Injected(Exception):
    """Raised by :func:`raising_at`'s trace function."""


def _at_kth(k, counts, act):
    """A trace function (``sys.settrace``) that calls ``act(frame, event)`` at the k-th
    function entry or exit of its thread for which ``counts(frame, event)`` is true, then
    traces no more; its ``reached`` attribute says whether it got there."""
    seen = [0]

    def tracer(frame, event, arg):
        if event == "call":
            frame.f_trace_lines = False  # its returns are traced; its lines need no call here
        if event in ("call", "return") and counts(frame, event):
            seen[0] += 1
            if seen[0] == k:
                sys.settrace(None)
                tracer.reached = True
                act(frame, event)
        return tracer

    tracer.reached = False
    return tracer


def _at_kth_c_return(k, counts, act):
    """A profile function (``sys.setprofile``) that calls ``act(frame, function)`` at the
    k-th return from a C function (a builtin, or a method of a built-in type) called in a
    frame of its thread for which ``counts(frame)`` is true, then profiles no more. CPython
    runs a signal handler right after such a call returns; an exception raised here comes
    out of the call after it has taken effect, as the handler's would. Not seen: calls of
    Cython functions and of classes (the profiler reports none), after which CPython runs
    handlers too, and loops' jumps back: :func:`_at_kth_call_or_jump` reaches those."""
    seen = [0]

    def profiler(frame, event, arg):
        if event == "c_return" and counts(frame):
            seen[0] += 1
            if seen[0] == k:
                sys.setprofile(None)
                profiler.reached = True
                act(frame, arg)

    profiler.reached = False
    return profiler


# the instructions after which CPython runs a pending signal handler inside a function: a
# call (3.10 names its calls CALL_FUNCTION..., 3.13 adds CALL_KW), and a jump back taken (a
# loop's: JUMP_BACKWARD, a `while` loop's conditional POP_JUMP_BACKWARD_IF_... in 3.11,
# JUMP_ABSOLUTE or POP_JUMP_IF_... to an earlier offset in 3.10); not JUMP_BACKWARD_NO_INTERRUPT
_CALLS = frozenset(
    {"CALL", "CALL_KW", "CALL_FUNCTION", "CALL_FUNCTION_KW", "CALL_METHOD", "CALL_FUNCTION_EX"}
)
_JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)
# where a handler's exception at a jump back is looked up in the exception table: 3.11 and 3.12
# check for signals after the jump and look up the code unit before its target (CPython issue
# #108214); 3.13 checks before the jump
_RAISED_AT_JUMP = (lambda i: i.argval - 2) if sys.version_info < (3, 13) else (lambda i: i.offset)
_OFFSETS = weakref.WeakKeyDictionary()


def _handler_of(entries):
    """offset -> the handler (target, depth, lasti) of the exception table's entry holding the
    offset, or None: where an exception raised at that instruction goes (none in 3.10)."""

    def handler(offset):
        for e in entries:
            if e.start <= offset < e.end:
                return (e.target, e.depth, e.lasti)
        return None

    return handler


def _offsets(code):
    """``(calls, jumps)`` of ``code``: the offsets of its calls and of its jumps back
    (offset -> target) whose exception goes to the same handler whether it is raised at
    them or at the instruction the place comes before (the one after a call, a jump's
    target): elsewhere an exception raised at that instruction would skip a ``finally`` or
    an ``__exit__`` that the handler's runs (``return f()`` in a ``try``: the return is
    past the ``try``'s range)."""
    found = _OFFSETS.get(code)
    if found is None:
        handler = _handler_of(getattr(dis.Bytecode(code), "exception_entries", ()))
        instructions = list(dis.get_instructions(code))
        calls, jumps = set(), {}
        for i, after in zip(instructions, instructions[1:] + [None]):
            if i.opname in _CALLS:
                if after is not None and handler(i.offset) == handler(after.offset):
                    calls.add(i.offset)
            elif (
                i.opcode in _JUMPS
                and i.opname != "JUMP_BACKWARD_NO_INTERRUPT"
                and isinstance(i.argval, int)
                and i.argval < i.offset
                and handler(_RAISED_AT_JUMP(i)) == handler(i.argval)
            ):
                jumps[i.offset] = i.argval
        found = _OFFSETS[code] = (frozenset(calls), jumps)
    return found


def _call_or_jump_places(counts, watch, at_place):
    """A trace function (``sys.settrace``) that finds, in its thread, the places where
    CPython runs a signal handler within a function: right after a call returns (of a Cython
    function or a class too, which the profiler does not report) and at a loop's jump back
    taken. Only in frames for which ``counts(frame)`` is true at their entry; those entries
    are numbered from 1 in the order they come (a generator's resumption is an entry), and an
    entry's instructions are traced (``f_trace_opcodes``) only if ``watch(entry, frame)``.
    At each place of a traced entry, ``at_place(frame, entry, index, where)`` is called
    (``index``: the place's number within its entry, from 1); if it returns a function, the
    tracer stops tracing and calls it. An exception raised here comes out of the instruction
    after the call, or the jump's target, where it goes where the handler's would (places
    where it would not are left out: :func:`_offsets`). Not after a call during which Python
    code ran (a Python function, a class with a Python ``__init__``, a Cython function that
    called back into Python): the place at that code's exit is :func:`_at_kth`'s."""
    entries = [0]
    done = [False]
    state = {}  # frame -> [the call or jump (its offset) it ran last, or None]

    def tracer(frame, event, arg):
        if event != "call" or done[0]:
            return None
        caller = state.get(frame.f_back)
        if caller is not None:  # a call of Python code: its exit is the place
            caller[0] = None
        if not counts(frame):
            return None
        entries[0] += 1
        entry = entries[0]
        if not watch(entry, frame):
            # not traced; nor by the local trace function of a watched entry of the same
            # frame (a generator resumed), which would count on into this entry
            frame.f_trace = None
            frame.f_trace_opcodes = False
            return None
        calls, jumps = _offsets(frame.f_code)
        last = state[frame] = [None]
        index = [0]
        frame.f_trace_lines = False
        frame.f_trace_opcodes = True

        def local(frame, event, arg):
            if event == "opcode":
                if done[0]:
                    return None  # this frame is traced no more
                offset, before = frame.f_lasti, last[0]
                if before is not None and (before in calls or offset == jumps.get(before)):
                    index[0] += 1
                    where = "after the call at" if before in calls else "jump back from"
                    then = at_place(frame, entry, index[0], f"{where} offset {before}")
                    if then is not None:
                        sys.settrace(None)
                        done[0] = True
                        state.clear()
                        then()
                        return None
                last[0] = offset if offset in calls or offset in jumps else None
            elif event == "exception":  # the call raised: no handler runs after it
                last[0] = None
            elif event == "return":
                state.pop(frame, None)
            return local

        return local

    return tracer


def _at_kth_call_or_jump(k, counts, act, plan=None):
    """A trace function that calls ``act(frame, place)`` at the k-th place of its thread
    (:func:`_call_or_jump_places`, in frames for which ``counts(frame)`` is true at their
    entry), then acts no more; its ``reached`` attribute says whether it got there.

    With a ``plan`` (:class:`_Places`, the entries and places of an earlier run of the same
    call), it traces the instructions of the k-th place's entry alone: the run comes to the
    same place at a fraction of the cost, provided it runs as the planned one did up to
    there. Where it enters other functions than the plan's, or its place's entry comes to
    another place, it does not act (``reached`` stays false). With ``k=None`` it records the
    run's entries and places into ``plan``, and never acts."""
    if k is None:

        def enter(entry, frame):
            plan.entries.append(frame.f_code)
            return True

        def record(frame, entry, index, where):
            plan.places.append((entry, index, frame.f_code, where))

        return _call_or_jump_places(counts, enter, record)
    if plan is None:
        seen = [0]

        def kth(frame, entry, index, where):
            seen[0] += 1
            if seen[0] == k:
                tracer.reached = True
                return lambda: act(frame, where)
            return None

        tracer = _call_or_jump_places(counts, lambda entry, frame: True, kth)
    else:
        planned_entry, planned_index, code, planned_where = plan.places[k - 1]
        diverged = [False]

        def enter(entry, frame):
            if (
                diverged[0]
                or entry > len(plan.entries)
                or frame.f_code is not plan.entries[entry - 1]
            ):
                diverged[0] = True  # another run than the planned one: it will not act
                return False
            return entry == planned_entry

        def at_planned(frame, entry, index, where):
            if diverged[0] or (index == planned_index and where != planned_where):
                return lambda: None  # another run than the planned one: stop, not acting
            if index != planned_index:
                return None
            tracer.reached = True
            return lambda: act(frame, where)

        tracer = _call_or_jump_places(counts, enter, at_planned)
    tracer.reached = False
    return tracer


class _Places:
    """The counted entries (their code) of one run of a call, and its places in the order it
    came to them, each as its entry's number, its number within the entry, the entry's code
    and where in it (:func:`_call_or_jump_places`)."""

    def __init__(self):
        self.entries, self.places = [], []

    def same_run(self, other):
        return self.entries == other.entries and self.places == other.places


def _ours(frame):
    """Whether ``frame`` runs code of the package or of Python's standard library."""
    file = frame.f_code.co_filename
    return file.startswith(_PACKAGE) or (file.startswith(_STDLIB) and _SITE not in file)


_GENERATORS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def _yielding(frame, event):
    """Whether ``event`` in ``frame`` is a generator's yield (a trace function's ``return``)."""
    return event == "return" and bool(frame.f_code.co_flags & inspect.CO_GENERATOR)


def raising_at(k):
    """A trace function that raises :class:`Injected` at the k-th entry to or exit from a
    function of the package or of Python's standard library in its thread: where a signal
    handler's exception can land in the calling thread (CPython runs a handler on entering
    a function, a generator's resumption included, and after a call). Not at a generator's
    yield: an exception raised there by a trace function ends the generator without running
    its ``finally``, which no handler's exception can do. (Nor can one at the entry of a
    generator resumed by ``close()`` or ``throw()``, where a trace function's exception
    does the same in CPython 3.11: a sweep that closes a generator early should count the
    places after C calls, :func:`raising_after_c_call`.)"""

    def counts(frame, event):
        return _ours(frame) and not _yielding(frame, event)

    def act(frame, event):
        raise Injected(f"{event} of {frame.f_code.co_name}")

    return _at_kth(k, counts, act)


def signalling_at(k, signum):
    """A trace function that sends ``signum`` to this process at the k-th entry to or exit
    from a function of the package in its thread: the handler then runs where Python would
    run it, or is held back where the package holds handlers back. Not at a generator's
    yield, where the handler would run inside the trace function (:func:`raising_at`). The
    entry of a package generator resumed by ``close()`` or ``throw()`` is counted, though no
    handler can land there either (:func:`raising_at`): a sweep that closes one early should
    send its signals after C calls."""
    return _at_kth(
        k,
        lambda frame, event: (
            frame.f_code.co_filename.startswith(_PACKAGE) and not _yielding(frame, event)
        ),
        lambda frame, event: signal.raise_signal(signum),
    )


def signalling_anywhere_at(k, signum):
    """:func:`signalling_at` counting the entries to and exits from functions of any code
    (scikit-learn's, pandas'...), not only the package's: where a handler's exception can
    land inside a library's ``except Exception``. Not at a generator's entries either: the
    garbage collector closes other code's generators at any moment, and a trace function's
    exception at such an entry ends the generator without its ``finally``
    (:func:`raising_at`)."""

    def counts(frame, event):
        return not (frame.f_code.co_flags & _GENERATORS and event in ("call", "return"))

    return _at_kth(k, counts, lambda frame, event: signal.raise_signal(signum))


def raising_after_c_call(k):
    """A profile function that raises :class:`Injected` right after the k-th call of a C
    function made by the package or Python's standard library in its thread returns (the
    places :func:`raising_at` does not reach: a handler also runs after a call of
    ``list.append`` or ``os.getpid``)."""

    def act(frame, function):
        raise Injected(
            f"after {getattr(function, '__qualname__', function)} in {frame.f_code.co_name}"
        )

    return _at_kth_c_return(k, _ours, act)


def signalling_after_c_call(k, signum):
    """A profile function that sends ``signum`` to this process right after the k-th call
    of a C function made by the package in its thread returns: the handler then runs there,
    or is held back where the package holds handlers back."""
    return _at_kth_c_return(
        k,
        lambda frame: frame.f_code.co_filename.startswith(_PACKAGE),
        lambda frame, function: signal.raise_signal(signum),
    )


def signalling_anywhere_after_call_or_jump(k, signum, plan=None):
    """:func:`signalling_after_call_or_jump` in functions of any code (scikit-learn's,
    numpy's, zipfile's...), not only the package's."""
    return _at_kth_call_or_jump(
        k, lambda frame: True, lambda frame, place: signal.raise_signal(signum), plan
    )


def raising_after_call_or_jump(k):
    """A trace function that raises :class:`Injected` at the k-th place right after a call
    returns or at a loop's jump back, in a function of the package or of Python's standard
    library in its thread (:func:`_at_kth_call_or_jump`)."""

    def act(frame, place):
        raise Injected(f"{place} in {frame.f_code.co_name}")

    return _at_kth_call_or_jump(k, _ours, act)


def signalling_after_call_or_jump(k, signum, plan=None):
    """A trace function that sends ``signum`` to this process at the k-th place right after
    a call returns or at a loop's jump back, in a function of the package in its thread:
    the handler then runs there, or is held back where the package holds handlers back."""
    return _at_kth_call_or_jump(
        k,
        lambda frame: frame.f_code.co_filename.startswith(_PACKAGE),
        lambda frame, place: signal.raise_signal(signum),
        plan,
    )


# the sweeps that signal_each_place runs from a plan (_at_kth_call_or_jump)
_PLANNED = frozenset({signalling_after_call_or_jump, signalling_anywhere_after_call_or_jump})


class Timeout(Exception):
    """What the tests' SIGALRM handler raises (:func:`raise_timeout`): an Exception, as a
    timeout's would be (not a KeyboardInterrupt, which no ``except Exception`` catches)."""


def raise_timeout(signum, frame):
    raise Timeout


# where a signal handler runs, swept place by place: at each entry to and exit from a function
# of the package (sys.settrace), right after each C function it calls (sys.setprofile), and
# right after each call of anything and at each loop's jump back (sys.settrace, instructions)
SIGNAL_SWEEPS = {
    "function entries and exits": (sys.settrace, signalling_at),
    "after C calls": (sys.setprofile, signalling_after_c_call),
    "after calls and at jumps back": (sys.settrace, signalling_after_call_or_jump),
}

# the same places in any code (scikit-learn's, numpy's, zipfile's...): for
# alarm_each_place_of_any_code
ANY_CODE_SWEEPS = {
    "function entries and exits": signalling_anywhere_at,
    "after calls and at jumps back": signalling_anywhere_after_call_or_jump,
}


def signal_each_place(
    install, signalling, signum, raised, prepare, call, after, planned=False, runs=None
):
    """Sweep: for ``k = 1, 2, ...``, ``subject = prepare()``, then ``call(subject)`` with
    ``install(signalling(k, signum))``, where every call must raise ``raised`` (what the
    caller's handler for ``signum`` raises) or complete; ``after(subject, k, completed)``
    runs after each. The sweep ends with the first call that completes without having come
    to its place: one that came to it and completed all the same lost the handler's
    exception (CPython ignores one raised in a finalizer, ``__del__``), and the places after
    it are still swept. Returns how many places there were.

    ``planned``, for a sweep after each call and at each jump back (``_PLANNED``) of a
    call that runs alike each time from the subject ``prepare()`` makes afresh: the call is
    first run without a signal, its entries and places recorded, until two runs in a row
    agree (at most three); then each run traces only the entry of its place (a run's cost
    grows with the instructions before its place: a sweep's is quadratic). A run that enters
    other functions than the plan's, or does not come to its planned place, is run again
    traced throughout, as are the runs past the plan's end and every run if no two recorded
    runs agreed. A run that enters the same functions but comes to another number of places
    in one before its own (a loop of C calls run another number of times) is not told apart
    from the plan's: it lands on a place of its own, not on its k-th. So: not where the runs
    share a subject that a whole run changes (a cache that a completed call fills, which
    each interrupted run of the sweep finds empty). ``runs``, a list, gets "planned" or
    "traced throughout" for each run of the sweep."""
    plan = None
    if planned and signalling in _PLANNED:
        recorded = []
        while plan is None and len(recorded) < 3:
            recorded.append(_Places())
            subject = prepare()
            install(signalling(None, signum, recorded[-1]))
            try:
                call(subject)
            finally:
                install(None)
            if len(recorded) > 1 and recorded[-1].same_run(recorded[-2]):
                plan = recorded[-1]
    for k in itertools.count(1):
        from_plan = plan is not None and k <= len(plan.places)
        while True:
            subject = prepare()
            tracer = signalling(k, signum, plan) if from_plan else signalling(k, signum)
            install(tracer)
            try:
                call(subject)
                completed = True
            except raised:
                completed = False
            finally:
                install(None)
            if runs is not None:
                runs.append("planned" if from_plan else "traced throughout")
            if tracer.reached or not from_plan:
                break
            from_plan = False  # not the planned run: again, traced throughout
        after(subject, k, completed)
        if completed and not tracer.reached:
            return k


def alarm_each_place_of_any_code(
    handler,
    raised,
    prepare,
    call,
    after,
    signalling=signalling_anywhere_at,
    planned=False,
    runs=None,
):
    """:func:`signal_each_place` with a ``SIGALRM`` whose handler is ``handler`` (raising
    ``raised``) at each function entry and exit of any code (:func:`signalling_anywhere_at`;
    or, with :func:`signalling_anywhere_after_call_or_jump`, after each call and at each jump
    back), the garbage collector off (:func:`no_garbage_collection`); the previous handler
    is put back. Returns how many places there were; ``planned``, ``runs``:
    :func:`signal_each_place`'s."""
    previous = signal.signal(signal.SIGALRM, handler)
    try:
        with no_garbage_collection():
            return signal_each_place(
                sys.settrace,
                signalling,
                signal.SIGALRM,
                raised,
                prepare,
                call,
                after,
                planned,
                runs,
            )
    finally:
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def no_garbage_collection():
    """Collect the garbage, then keep the cyclic collector off for the block: it runs
    finalizers (``__del__``, weakref callbacks) of other code at any moment, and CPython
    ignores an exception raised in one, a signal handler's included, so a sweep of "any
    code" could find it lost there, at places that depend on earlier tests' garbage.
    (Finalizers that reference counting runs stay where the code puts them.)"""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ctrl_c_came_during(call, after, guard=120.0):
    """Whether Ctrl-C (``_thread.interrupt_main``), ``after`` seconds into ``call()``, came out
    of it as KeyboardInterrupt before it returned. A call still running ``guard`` seconds on
    (one that held Ctrl-C back to its end, say) ends the test run, loudly (faulthandler).
    Another exception from ``call()`` comes out as itself: a Ctrl-C that the timer sends
    meanwhile is taken here (it replaced the error and stopped pytest's whole run), unless
    it lands in the few instructions between the error and ``_take_a_late_ctrl_c``."""
    timer = threading.Timer(after, _thread.interrupt_main)
    faulthandler.dump_traceback_later(guard, exit=True)
    try:
        timer.start()
        try:
            call()
        except KeyboardInterrupt:
            return True
        except BaseException:
            _take_a_late_ctrl_c(timer)
            raise
        try:
            time.sleep(5)  # reached only if the interrupt came after the call
        except KeyboardInterrupt:
            pass
        return False
    finally:
        faulthandler.cancel_dump_traceback_later()
        _take_a_late_ctrl_c(timer)


def _take_a_late_ctrl_c(timer):
    """Stop ``timer``, and take the KeyboardInterrupt it raised if it fired: once it has
    ended, an interrupt it sent is raised at the next instruction, here."""
    while True:
        try:
            timer.cancel()
            timer.join()
            time.sleep(0)
            return
        except KeyboardInterrupt:
            continue


def files_open_under(folder):
    """The files under ``folder`` that this process holds a descriptor open on (Linux's
    /proc/self/fd; none found elsewhere): what an interrupted write may leave open."""
    fds = "/proc/self/fd"
    targets = []
    for fd in os.listdir(fds) if os.path.isdir(fds) else ():
        try:
            targets.append(os.readlink(os.path.join(fds, fd)))
        except OSError:  # (closed meanwhile: the listing's own descriptor)
            pass
    return [t for t in targets if t.startswith(os.path.join(str(folder), ""))]


def files_left_open_under(folder, seconds=10.0):
    """``files_open_under(folder)`` once the files are closed, or after ``seconds``: pyarrow's
    CSV reader closes its file on its own I/O threads once a read under way there ends, a
    moment after the reader is released (under load, that moment came after the check)."""
    deadline = time.monotonic() + seconds
    while (left := files_open_under(folder)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def python_threads():
    """How many threads of this process run Python code now."""
    return len(sys._current_frames())


def python_thread_idents():
    """The threads of this process that run Python code now, each as its ident and its
    outermost frame (the C library gives an ended thread's ident to the next thread it
    starts, at once: the frame, held here so that no other takes its place, tells a new
    thread from an ended one)."""
    threads = set()
    for ident, frame in sys._current_frames().items():
        while frame.f_back is not None:
            frame = frame.f_back
        threads.add((ident, frame))
    return frozenset(threads)


def settled_thread_idents(quiet=0.2, timeout=10.0):
    """:func:`python_thread_idents` once they have not changed for ``quiet`` seconds (threads
    that a call started for good, a pool's, are all running), or after ``timeout``."""
    deadline = time.monotonic() + timeout
    idents, since = python_thread_idents(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.01)
        now = python_thread_idents()
        if now != idents:
            idents, since = now, time.monotonic()
    return idents


def threads_settle_at(expected, timeout=5.0):
    """Whether within ``timeout`` seconds every thread that runs Python code is one of
    ``expected`` (idents, :func:`python_thread_idents`): none started since is left (a thread
    that has done its work still takes a moment to end). One of ``expected`` may have ended
    meanwhile: another test's thread in the same process, say."""
    deadline = time.monotonic() + timeout
    while not python_thread_idents() <= expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
