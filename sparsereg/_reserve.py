"""A table store grown before a ``partial_fit`` trains, so that a ``MemoryError`` leaves it as
it was.

Training grows a full table between two rows (``_epoch.run_epoch``): had that allocation
failed, the rows trained before it stayed in the state while ``t_`` did not count them. A
``partial_fit`` on the estimator's own table store whose growth could fail therefore first
finds the size training would grow each table to (``_ftrl_fast.table_growth``: the same
growth, as if every column that may enter did, one table probe per non-zero) and allocates
it; training then never grows it. That pass is done only when the growth could fail
(:func:`growth_may_fail`): when the call's rows can grow a table (the columns held, plus as
many new ones as the call has non-zeros or the width has columns left, plus a row, do not
fit) and the largest tables they could grow to, with every table of the doublings up to them
alive at once and a margin of ``SAFETY``, do not fit in the memory the process may still
take (``_memory.allocation_may_fail``: the address space left under ``ulimit -v`` as it
stands at the call's start, the commit limit under strict overcommit, the memory limit less
the resident size read within the last second; where the process's sizes cannot be read, not
on Linux, an address-space limit alone). Otherwise training grows the tables between rows as
before, the same model to the bit. So the call is atomic when a growth fails for want of
address space or memory as seen at its start; another thread
or process taking the memory meanwhile can still make a growth between rows fail (the rows
before it then stay trained, ``t_`` not counting them). The table's size changes no number
of the model: only its bytes (``nbytes``) and when it grows next.
"""

import numpy as np

from ._epoch import refuse_changed_x
from ._ftrl_fast import EMPTY_KEY, Inclusion, Status, seen_rehash, table_growth
from ._memory import allocation_may_fail

_NO_BLOOM = np.empty(0, dtype=np.uint8)
_FIRST_SEEN = 1 << 10  # slots of the first set of columns entering (8 KiB)
SAFETY = 2  # times its bound the memory left must hold for a growth left to training


def growth_may_fail(largest_bytes):
    """Whether growing tables to ``largest_bytes`` in all (:func:`largest_table_bytes`) could
    meet a ``MemoryError``, as the memory stands now. Each growth at least doubles a table
    and frees the old one only once the new one is filled: counting every table of the
    doublings as still held (freed memory need not go back to the system), a table grown to
    ``B`` bytes has taken at most ``B + B/2 + ... < 2 B`` more."""
    return largest_bytes > 0 and allocation_may_fail(SAFETY * 2 * largest_bytes)


def largest_table_bytes(zn, table, batch, room, n_features):
    """The bytes of the largest table training on ``batch`` can grow ``zn`` (``table = [held,
    most allowed]``) to, a row holding ``room`` columns at most: every non-zero a new column
    (as the width allows), plus a row; 0 when it cannot grow."""
    held, allowed = table.tolist()  # (one call: a 1-row partial_fit asks this)
    reach = held + min(batch.X.nnz, n_features - held) + room
    if reach <= allowed:
        return 0
    return max(_set_slots(reach), zn.shape[0]) * zn.shape[1] * zn.itemsize


def may_grow(table, batch, room, n_features):
    """Whether training on ``batch`` can grow the table of ``table = [held, most allowed]``."""
    held, allowed = table.tolist()
    return held + min(batch.X.nnz, n_features - held) + room > allowed


def grown_slots(zn, table, batch, *, order, t0, room, n_features, hyper=None, bloom=_NO_BLOOM):
    """The slots of the table (``zn``'s rows, ``table = [held, most allowed]``) after training
    on ``batch``'s rows in ``order`` from ``t0`` samples, growing it by ``room`` columns at a
    time, if every column that may enter (``hyper``'s inclusion; None: all) did; at least its
    slots now. Needs a set of those columns (16-32 bytes each) and a copy of ``bloom``."""
    slots = zn.shape[0]
    if not may_grow(table, batch, room, n_features):
        return slots
    X = batch.X
    if hyper is None or hyper.inclusion == Inclusion.INCLUDE_ALL:
        inclusion = (int(Inclusion.INCLUDE_ALL), 0.0, 0, 0)
    else:
        inclusion = (hyper.inclusion, hyper.inclusion_p, hyper.inclusion_count, hyper.seed)
    counters = bloom.copy() if inclusion[0] == Inclusion.INCLUDE_BLOOM else _NO_BLOOM
    seen = _empty_set(max(_FIRST_SEEN, _set_slots(room)))
    progress = np.array([0, 0, int(table[0]), slots], dtype=np.int64)
    while True:
        status = table_growth(
            X.data, X.indices, X.indptr, order, zn, seen, counters, *inclusion,
            t0, room, n_features, progress,
        )  # fmt: skip
        if status != Status.TABLE_FULL:
            refuse_changed_x(status)
            return int(progress[3])
        bigger = _empty_set(_set_slots(int(progress[1]) + room))
        seen_rehash(seen, bigger)
        seen = bigger


def _set_slots(n_columns):
    """Smallest power of two holding ``n_columns`` under half load."""
    return 1 << max(2 * n_columns - 1, 1).bit_length()


def _empty_set(slots):
    return np.full(slots, EMPTY_KEY, dtype=np.int64)
