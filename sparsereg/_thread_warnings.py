"""Warnings that a helper thread (a stream's reader) raises for its caller, kept to be raised
again in the thread it works for, at that thread's caller's line.

A warning raised with a ``stacklevel`` that points past the helper's own frames (scikit-learn's
and sparsereg's point at their caller's caller, the user's line, which in the helper's thread
is not there) was shown at ``sys:1``, and a ``filterwarnings`` by module could not reach it.
Those are kept; a warning of a line in the helper's frames (a function of the pipeline's, say)
is shown there, as it would be in the caller's thread. The filters still apply where it is
raised (an 'error' filter raises it in the helper, which hands the exception over; 'ignore'
drops it). ``warnings.showwarning`` is replaced while a helper collects, each call going to the
collecting thread's list or, in any other thread and for any other warning, to the one it
replaced (a ``catch_warnings(record=True)`` entered before included); a hook installed over it
that calls it back (one that calls the one it replaced) is not passed round again. A
``catch_warnings`` entered before and left while a helper collects puts its own back: the
helper's warnings are then shown at ``sys:1``, as without this module. Kept warnings that the
thread worked for never takes (it stopped reading) are shown at ``sys:1`` too.
"""

import contextlib
import threading
import warnings

from ._column_kinds import caller_level

_lock = threading.Lock()
_collecting = {}  # thread ident: the list of the warnings that thread showed
# the showwarnings _show replaced, the last the one it passes the other warnings to: a hook
# installed over _show and calling the one it replaced (_show) is in it after the one _show
# replaced before it, which _show then passes to when called back (not round again). Its last
# entry is taken off when put back in place, but for the first (read without the lock: a
# thread inside _show as it is put back still finds one to pass to)
_replaced = []
_passing = threading.local()  # .depth: how many of _replaced this thread's call went past


def _show(message, category, filename, lineno, file=None, line=None):
    records = _collecting.get(threading.get_ident())
    # (where Python puts a warning whose stacklevel is past the thread's frames)
    if records is not None and (filename, lineno) == ("sys", 1):
        records.append(message if isinstance(message, Warning) else category(message))
        return
    depth = getattr(_passing, "depth", 0)
    chain = tuple(_replaced)  # (one read: another thread may add to it meanwhile)
    if depth >= len(chain):  # (called back by each: shown as Python shows it)
        warnings._showwarning_orig(message, category, filename, lineno, file, line)
        return
    _passing.depth = depth + 1
    try:
        chain[-1 - depth](message, category, filename, lineno, file, line)
    finally:
        _passing.depth = depth


@contextlib.contextmanager
def kept_warnings():
    """A list that the warnings this thread shows at ``sys:1`` go to (instead of being shown)
    while the block runs: ``raise_kept`` raises them again in another thread."""
    records = []
    ident = threading.get_ident()
    with _lock:
        if not _collecting and warnings.showwarning is not _show:
            if not _replaced or _replaced[-1] is not warnings.showwarning:
                _replaced.append(warnings.showwarning)
            warnings.showwarning = _show
        _collecting[ident] = records
    try:
        yield records
    finally:
        with _lock:
            del _collecting[ident]
            # (another catch_warnings entered meanwhile put its own in place: left to it)
            if not _collecting and warnings.showwarning is _show:
                warnings.showwarning = _replaced[-1]
                if len(_replaced) > 1:
                    _replaced.pop()
        show_untaken(records)  # (after the last item taken: a reader's close)


def show_untaken(records):
    """Show kept warnings that no thread takes (it stopped reading) where they were raised,
    at ``sys:1``, as without this module."""
    for message in records:
        warnings.warn_explicit(message, type(message), "sys", 1, module="sys")


def raise_kept(records):
    """Raise ``records`` (taken from a ``kept_warnings`` list) again in this thread, at the
    first caller outside sparsereg, scikit-learn and joblib (``caller_level``)."""
    for message in records:
        warnings.warn(message, stacklevel=caller_level())
