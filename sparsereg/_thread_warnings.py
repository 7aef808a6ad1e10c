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
replaced (a ``catch_warnings(record=True)`` entered before included).
"""

import contextlib
import threading
import warnings

from ._column_kinds import caller_level

_lock = threading.Lock()
_collecting = {}  # thread ident: the list of the warnings that thread showed
_replaced = [None]  # the showwarning that _show passes the other threads' warnings to


def _show(message, category, filename, lineno, file=None, line=None):
    records = _collecting.get(threading.get_ident())
    # (where Python puts a warning whose stacklevel is past the thread's frames)
    if records is None or (filename, lineno) != ("sys", 1):
        _replaced[0](message, category, filename, lineno, file, line)
    else:
        records.append(message if isinstance(message, Warning) else category(message))


@contextlib.contextmanager
def kept_warnings():
    """A list that the warnings this thread shows at ``sys:1`` go to (instead of being shown)
    while the block runs: ``raise_kept`` raises them again in another thread."""
    records = []
    ident = threading.get_ident()
    with _lock:
        if not _collecting and warnings.showwarning is not _show:
            _replaced[0] = warnings.showwarning
            warnings.showwarning = _show
        _collecting[ident] = records
    try:
        yield records
    finally:
        with _lock:
            del _collecting[ident]
            # (another catch_warnings entered meanwhile put its own in place: left to it)
            if not _collecting and warnings.showwarning is _show:
                warnings.showwarning = _replaced[0]


def raise_kept(records):
    """Raise ``records`` (taken from a ``kept_warnings`` list) again in this thread, at the
    first caller outside sparsereg and scikit-learn."""
    for message in records:
        warnings.warn(message, stacklevel=caller_level())
