"""One model trained by several threads at once (``n_threads``): Hogwild! (Niu et al. 2011),
with each thread holding the intercept and the most frequent columns itself.

The threads read and write the shared state of most columns at once, without locks: an
update of a column that another thread wrote between this thread's read and its write is
lost (Hogwild!'s races; rare on sparse rows, but for the most frequent columns, whose cache
lines the threads would also pass to and fro on every row). So those are held apart:

- the intercept, in every row: each thread trains its own copy and every ``REFRESH_ROWS``
  rows publishes its changes and adds the other threads' (``_ftrl_fast.refresh_own``, no
  lock: each thread writes only its own sums);
- the hot columns, the ``HOT_COLUMNS`` most frequent of the epoch's first
  ``HOT_SAMPLE_ROWS`` rows: each thread trains copies of them, found through a table of
  ``HOT_TABLE`` slots (a column at slot ``column % HOT_TABLE``; a column whose slot a more
  frequent one took stays shared), and every ``HOT_REFRESH_ROWS`` rows adds its changes to
  the shared state atomically and takes the other threads' (``_ftrl_fast.refresh_hot``).
  The kernel looks every non-zero up in the table one row ahead, as it prefetches, with no
  branch in the look-up (``_hot_columns.h``).

No update of the intercept or of a hot column is lost; a thread sees the others' changes to
them up to a refresh late. The model depends on the interleaving, and this is documented as
not reproducible. Threads whose rows share no column (and no intercept) give one thread's
model to the bit: a number only one thread changed is written back as that thread holds it.

A scheme that marked the held columns in the shared state, tested on every non-zero, cost
more than the cache lines it saved and was dropped in December 2026 (benchmarks/RESULTS.md,
"#16 fourth session"); the table looked up a row ahead is the "#16 fifth session".
"""

import threading
from dataclasses import replace

import numpy as np

from ._epoch import CSR_LANES_FROM, IN_ORDER, refuse_changed_x, run_epoch
from ._ftrl_fast import Ahead, CsrScratch, HotTable, Status, combine_own, ftrl_epoch_shared
from ._interrupts import Latch, call_until_done, interrupts_deferred
from ._model_threads import thread_started
from ._state import DENSE_SLOT

# rows of the epoch's order that a thread takes at a time
THREAD_CHUNK_ROWS = 16384
# rows a thread trains between two exchanges of its intercept's changes with the others
REFRESH_ROWS = 512
# the hot columns (the module's docstring): how many at most, the slots of their table (the
# kernel's, ``HotTable``: 16 KiB read on every non-zero; a table of 64 KiB made the threads'
# epoch ~15 % slower here), the rows sampled to find them, and the rows a thread trains
# between two exchanges of its copies
HOT_COLUMNS = 1024  # at most HOT_TABLE: a column's copy number is kept in its slot's low bits
HOT_TABLE = 2 ** int(HotTable.SLOT_BITS)
HOT_SAMPLE_ROWS = 2048
HOT_REFRESH_ROWS = 4096
WIDEST_WITH_HOT = 2**31  # the table holds a column as an int32: in wider models none is held
RING_ROWS = int(Ahead.PREFETCH_ROWS) + 1  # the rows whose columns the kernel has resolved
LINE = 8  # float64 numbers in a 64-byte cache line


def padded(shape, dtype=np.float64):
    """``np.zeros(shape, dtype)`` (of 8-byte numbers) starting on a cache line, with two
    free lines after it: the threads write their own arrays all the time, and must not
    share a line."""
    size = int(np.prod(shape))
    flat = np.zeros(size + 3 * LINE, dtype=dtype)
    start = (-flat.ctypes.data % 64) // 8
    return flat[start : start + size].reshape(shape)


def hot_columns(X, order, n_rows):
    """``(table, columns)``: ``ftrl_epoch_shared``'s hot columns, ``columns[i]`` held as
    copy ``i``, and their table: column ``c`` at slot ``c % HOT_TABLE`` as ``c - c %
    HOT_TABLE + i`` (``-1`` where none is; ``_hot_columns.h``). They are the
    ``HOT_COLUMNS`` most frequent of the epoch's first ``HOT_SAMPLE_ROWS`` rows among those
    that occur there more than once, the more frequent taking a slot first."""
    table = np.full(HOT_TABLE, -1, dtype=np.int32)
    if X.shape[1] > WIDEST_WITH_HOT:
        return table, np.empty(0, dtype=np.int64)
    # X's arrays are read once into arrays of this call and checked (another thread may
    # write to them after X was checked: a row end read as 2**30 asked np.repeat for 8 GiB)
    nnz = X.indices.shape[0]
    if order.shape[0] == 0:
        end = int(X.indptr[min(n_rows, HOT_SAMPLE_ROWS)])
        sample = X.indices[: min(max(end, 0), nnz)].copy()
    else:  # the first rows of the order: each row's indices, one gather
        rows = order[:HOT_SAMPLE_ROWS]
        starts, ends = X.indptr[rows], X.indptr[rows + 1]  # (copies)
        lengths = ends - starts
        if starts.size and (starts.min() < 0 or lengths.min() < 0 or ends.max() > nnz):
            refuse_changed_x(Status.X_CHANGED)
        to_sample = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        sample = X.indices[to_sample + np.arange(to_sample.shape[0])]
    if sample.size and (sample.min() < 0 or sample.max() >= X.shape[1]):
        refuse_changed_x(Status.X_CHANGED)
    columns, counts = np.unique(sample, return_counts=True)
    frequent = np.argsort(-counts, kind="stable")[:HOT_COLUMNS]
    columns = columns[frequent[counts[frequent] > 1]].astype(np.int64)
    _, first = np.unique(columns % HOT_TABLE, return_index=True)
    columns = columns[np.sort(first)]  # each slot's most frequent column, most frequent first
    slots = columns % HOT_TABLE
    table[slots] = columns - slots + np.arange(columns.shape[0])
    return table, columns


def hot_copies(zn):
    """A thread's arrays of hot copies ``(own, seen)`` (a row per hot column) and the
    number of rows of ``zn`` from ``zn[0]`` to ``own[0]``: ``own`` starts at the same
    offset in its cache line as ``zn`` (any float64 array's address is a multiple of 8), so
    that the distance is a whole number of 16-byte rows. Like :func:`padded`, ``own``
    shares no cache line with memory outside ``flat``."""
    flat = np.zeros(DENSE_SLOT * HOT_COLUMNS + 3 * LINE)
    start = LINE + (zn.ctypes.data - flat.ctypes.data) % 64 // 8
    own = flat[start : start + DENSE_SLOT * HOT_COLUMNS].reshape(HOT_COLUMNS, DENSE_SLOT)
    return own, padded(own.shape), (own.ctypes.data - zn.ctypes.data) // (8 * DENSE_SLOT)


def run_epoch_threads(batch, state, k, hyper, n_threads, *, order=IN_ORDER, t0=0):
    """:func:`~sparsereg._epoch.run_epoch` in ``n_threads`` threads updating model ``k``'s
    state together (this module's scheme); dense store only.

    The epoch's order is cut into chunks of ``THREAD_CHUNK_ROWS`` consecutive positions;
    the calling thread and ``n_threads - 1`` others each take the next chunk until none is
    left (a thread kept off its core by another process delays the epoch by one chunk, not
    by a share of the rows). Every row is trained once, with the lambdas of its position in
    the order (as one thread would), against a state the other threads are updating: the
    result depends on the interleaving (the module's docstring). The kernel,
    ``ftrl_epoch_shared``, writes each coordinate's update over whatever other threads wrote
    since it was read (losing theirs), as Hogwild! does. Returns the sum of the progressive
    losses. Ctrl-C raises ``KeyboardInterrupt`` in the calling thread (when
    ``hyper.check_signals``); the other threads stop after their chunk, the intercept's
    numbers are written back, and all threads have finished their work when this returns
    or raises.
    """
    if state.in_table:  # a backstop: the estimators refuse the table store with threads
        raise ValueError("threads training one model need the dense state store")
    in_order = order.shape[0] == 0
    X = batch.X
    n_rows = X.shape[0] if in_order else order.shape[0]
    n_chunks = -(-n_rows // THREAD_CHUNK_ROWS)
    if n_threads <= 1 or n_chunks < 2:
        return run_epoch(batch, state, k, hyper, order=order, t0=t0)
    quiet = replace(hyper, check_signals=False)  # only the main thread receives signals
    _, zn, _, _, intercept_zn = state.kernel_arrays(k)
    n_workers = min(n_threads, n_chunks)
    start = intercept_zn.reshape(1, 2).copy()  # the numbers each thread holds, before
    published = padded((n_workers, LINE, 2))  # a thread's sums: one line, one line apart
    owns = [padded(start.shape) for _ in range(n_workers)]
    # the clean-up's arrays, made before any thread starts: the clean-up allocates nothing
    # that could fail again each time it is retried
    sums, stacked, numbers = published[:, :1], np.empty((n_workers, 1, 2)), np.empty_like(start)
    table, hot = hot_columns(X, order, n_rows)
    # every thread's arrays, made before any thread trains: made by each thread as it began,
    # a MemoryError for one left the rows the others had trained in the state
    longest = max(batch.longest_row, 1)
    arrays = [
        (
            padded((longest, CsrScratch.CSR_SCRATCH_COLUMNS)),
            padded(start.shape),
            padded(start.shape),
            hot_copies(zn),
            padded((RING_ROWS, longest), np.int64),
        )
        for _ in range(n_workers)
    ]
    chunk_lock = threading.Lock()
    running = []  # the latches of the other threads that have begun to work
    next_chunk = [0]
    # set by one assignment (no lock: see _stop_and_write_back), read by each thread
    stop = [False]
    losses, errors = [0.0] * n_workers, []

    def work(me, hyp):
        done = Latch()
        if me:  # another thread: waited for at the end only if it got here before the stop
            with chunk_lock:
                if stop[0]:
                    return
                running.append(done)
        loss = 0.0
        try:  # from here on, whatever happens ends in done.open(): the caller waits for it
            scratch, seen, taken, (hot_own, hot_seen, hot_offset), ring = arrays[me]
            own = owns[me]
            own[:] = seen[:] = start
            np.take(zn, hot, axis=0, out=hot_own[: hot.shape[0]])
            hot_seen[: hot.shape[0]] = hot_own[: hot.shape[0]]
            while not stop[0]:
                with chunk_lock:
                    c = next_chunk[0]
                    next_chunk[0] += 1
                if c >= n_chunks:
                    break
                begin, end = c * THREAD_CHUNK_ROWS, min((c + 1) * THREAD_CHUNK_ROWS, n_rows)
                part, status = ftrl_epoch_shared(
                    *batch.csr_rows,
                    order,
                    begin,
                    end,
                    zn,
                    own,
                    seen,
                    taken,
                    published,
                    me,
                    REFRESH_ROWS,
                    HOT_REFRESH_ROWS,
                    table,
                    hot,
                    hot_own,
                    hot_seen,
                    hot_offset,
                    ring,
                    scratch,
                    CSR_LANES_FROM,
                    hyp.kernel_fields,
                    t0 + begin,
                )
                loss += part
                refuse_changed_x(status)
        except BaseException as exc:  # Ctrl-C in the calling thread, or any failure
            stop[0] = True
            errors.append(exc)
        finally:
            try:
                losses[me] = loss
            finally:
                done.open()  # the last thing this thread does to anything the caller reads

    try:
        for i in range(1, n_workers):
            # not threading.Thread: its start() waits on a threading.Event, where a signal
            # handler's exception can leave the Event's lock held and the new thread blocked
            # on it for good, holding its arguments (X and the state among them)
            if not thread_started(work, (i, quiet)):
                break  # (no stack for it: the threads started take its chunks; raised, it
                # left theirs trained)
        work(0, hyper)
        if errors:
            raise errors[0]
    finally:
        # Done to the end whatever is raised meanwhile (Ctrl-C is held back, a signal
        # handler's exception is raised afterwards): a thread left training would go on
        # changing the model. Nothing between `finally` and this call runs a handler (one
        # runs on entering a Python function, after a call and on a jump back), and the
        # compiled retries leave none a moment between two attempts.
        call_until_done(
            _stop_and_write_back,
            stop,
            chunk_lock,
            running,
            start,
            sums,
            owns,
            stacked,
            numbers,
            intercept_zn,
        )
    if errors:  # pragma: no cover
        raise errors[0]
    return sum(losses)


def _stop_and_write_back(
    stop, chunk_lock, running, start, sums, owns, stacked, numbers, intercept_zn
):
    """Stop the threads and wait until each has finished, then write the intercept's numbers
    back (Ctrl-C held back meanwhile); every step can be done again if something raises.
    Each thread's own latch says it finished, not ``Thread.join``: a join that a signal
    handler's exception interrupts marks the thread stopped while it still runs (CPython
    3.11), and the join tried again returns at once. Nor a ``threading.Event``, for the
    latches or the stop: a handler's exception inside its Python lock can leave the lock
    held, and the next ``wait()`` or ``set()`` then blocks for good (``Latch``)."""
    with interrupts_deferred():
        stop[0] = True
        with chunk_lock:  # no thread joins `running` once the stop is set
            finished = list(running)
        for done in finished:
            done.wait()
        for me, own in enumerate(owns):
            stacked[me] = own
        combine_own(start, sums, stacked, numbers)
        intercept_zn[:] = numbers[0]
