"""One model trained by several threads at once (``n_threads``): Hogwild! (Niu et al. 2011)
with each thread holding the most frequent columns itself.

Threads updating one shared state without locks scale only as far as they do not write the
same cache lines: on hashed click data a few hundred popular columns (and the intercept) are
in nearly every row, and each row would pass their lines from one core to the other. Each
thread therefore trains its own copy of the ``HOT_COLUMNS`` most frequent columns (counted in
``HOT_SAMPLE_ROWS`` rows spread over the epoch) and of the intercept; every ``REFRESH_ROWS`` rows
it publishes its changes to them and adds the other threads' (``_ftrl_fast.refresh_hot``, no
lock: each thread writes only its own sums). Every other column is read and written in the
shared state at once, without locks, as in Hogwild!. A thread sees the others' updates of its
hot columns up to ``REFRESH_ROWS`` rows late: like the unlocked updates, this makes the model
depend on the interleaving, and it is documented as not reproducible. Threads whose rows
share no column give one thread's model to the bit.
"""

import threading
from dataclasses import replace

import numpy as np

from ._epoch import CSR_LANES_FROM, IN_ORDER, run_epoch
from ._ftrl_fast import CsrScratch, combine_hot, ftrl_epoch_shared, mark_hot
from ._interrupts import interrupts_deferred

# rows of the epoch's order that a thread takes at a time
THREAD_CHUNK_ROWS = 16384
# columns each thread holds itself, the most frequent in HOT_SAMPLE_ROWS rows of the epoch
HOT_COLUMNS = 1024
HOT_SAMPLE_ROWS = 2048
# rows a thread trains between two exchanges of its hot columns' changes with the others
REFRESH_ROWS = 512
LINE = 8  # float64 numbers in a 64-byte cache line


def hot_columns(X, order, in_order):
    """The (at most ``HOT_COLUMNS``) columns most often non-zero in ``HOT_SAMPLE_ROWS`` rows
    spread evenly over the epoch's order (not its first rows: a file's head may not look like
    the rest of it), as int64."""
    n_rows = X.shape[0] if in_order else order.shape[0]
    positions = np.unique(np.linspace(0, n_rows - 1, min(n_rows, HOT_SAMPLE_ROWS)).astype(np.int64))
    rows = positions if in_order else order[positions]
    starts, ends = X.indptr[rows].astype(np.int64), X.indptr[rows + 1].astype(np.int64)
    lengths = ends - starts
    # the positions of the sampled rows' entries, row after row
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    sample = X.indices[offsets + np.arange(offsets.shape[0])]
    columns, counts = np.unique(sample, return_counts=True)
    if columns.shape[0] > HOT_COLUMNS:
        columns = columns[np.argpartition(counts, -HOT_COLUMNS)[-HOT_COLUMNS:]]
    return columns.astype(np.int64)


def padded(shape):
    """``np.zeros(shape)`` starting on a cache line, with two free lines after it: the
    threads write their own arrays all the time, and must not share a line."""
    size = int(np.prod(shape))
    flat = np.zeros(size + 3 * LINE)
    start = (-flat.ctypes.data % 64) // 8
    return flat[start : start + size].reshape(shape)


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
    since it was read, as Hogwild! does. Returns the sum of the progressive losses. Ctrl-C
    raises ``KeyboardInterrupt`` in the calling thread (when ``hyper.check_signals``); the
    other threads stop after their chunk, the hot columns' numbers are written back, and all
    threads have stopped when this returns or raises.
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
    hot = hot_columns(X, order, in_order)
    n_hot = hot.shape[0]
    n_workers = min(n_threads, n_chunks)
    start = np.vstack([zn[hot], intercept_zn])  # the hot columns' numbers, then the intercept's
    rows_per_thread = -(-(n_hot + 1) // (LINE // 2)) * (LINE // 2) + LINE // 2
    published = padded((n_workers, rows_per_thread, 2))
    owns = [padded(start.shape) for _ in range(n_workers)]
    chunk_lock = threading.Lock()
    running = []  # the other threads that have begun to work
    next_chunk = [0]
    stop = threading.Event()
    losses, errors = [], []

    def work(me, hyp):
        if me:  # another thread: joined at the end only if it got here before the stop
            with chunk_lock:
                if stop.is_set():
                    return
                running.append(threading.current_thread())
        loss = 0.0
        longest = max(batch.longest_row, 1)
        scratch = padded((longest, CsrScratch.CSR_SCRATCH_COLUMNS))
        slots = padded(longest).view(np.int64)
        own, seen, taken = owns[me], padded(start.shape), padded(start.shape)
        own[:] = seen[:] = start
        try:
            while not stop.is_set():
                with chunk_lock:
                    c = next_chunk[0]
                    next_chunk[0] += 1
                if c >= n_chunks:
                    break
                begin, end = c * THREAD_CHUNK_ROWS, min((c + 1) * THREAD_CHUNK_ROWS, n_rows)
                loss += ftrl_epoch_shared(
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
                    scratch,
                    slots,
                    CSR_LANES_FROM,
                    hyp.kernel_fields,
                    t0 + begin,
                )
        except BaseException as exc:  # Ctrl-C in the calling thread
            stop.set()
            errors.append(exc)
        finally:
            losses.append(loss)

    others = [
        threading.Thread(target=work, args=(i, quiet), name=f"sparsereg-fit-{i}", daemon=True)
        for i in range(1, n_workers)
    ]
    try:
        mark_hot(zn, hot)
        for thread in others:
            thread.start()
        work(0, hyper)
        if errors:
            raise errors[0]
    finally:
        _stop_and_write_back(
            stop, chunk_lock, running, hot, start, published, owns, zn, intercept_zn
        )
    if errors:  # pragma: no cover
        raise errors[0]
    return sum(losses)


def _stop_and_write_back(stop, chunk_lock, running, hot, start, published, owns, zn, intercept_zn):
    """Stop and join the threads, then write the hot columns' and the intercept's numbers
    back over the marks; to the end whatever is raised meanwhile (Ctrl-C is held back, a
    signal handler's exception is raised afterwards): a thread left training, or a mark left
    in the state, would corrupt the model."""
    n_hot = hot.shape[0]
    numbers = np.empty_like(start)
    raised = None
    while True:
        try:
            with interrupts_deferred():
                stop.set()
                with chunk_lock:  # no thread joins `running` once the stop is set
                    threads = list(running)
                for thread in threads:
                    thread.join()
                combine_hot(start, published[:, : n_hot + 1], np.stack(owns), numbers)
                zn[hot] = numbers[:n_hot]  # (the marks go)
                intercept_zn[:] = numbers[n_hot]
            break
        except BaseException as exc:  # every step above can be done again
            raised = raised or exc
    if raised is not None:
        raise raised
