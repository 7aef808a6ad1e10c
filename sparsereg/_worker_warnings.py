"""Warnings raised in a Dask task, recorded on the worker and raised again on the client (the
client never saw them: they went to the worker's log).

``warnings.catch_warnings`` swaps process-wide state: two tasks recording at once in a worker's
threads (or in the client's process, with ``LocalCluster(processes=False)``) restored each
other's, and left a dead recorder in place for good. Here the first task to record installs one
recorder (every warning shown, ``'always'``: the worker's registry of warnings already shown
would hide a second fit's); each thread's warnings go to its own task's list, other threads'
where they went before (under the filter 'always' meanwhile); the last task to finish restores
the filters, unless another ``catch_warnings`` put its own state in place meanwhile (a client in
this process whose ``catch_warnings`` ended while a task of a failed ``fit`` ran on: the state
found at the start was that client's dead recorder, which swallowed every later warning).
"""

import contextlib
import sys
import threading
import warnings

_lock = threading.Lock()
_this_thread = threading.local()  # .records: the list of the task running in this thread
# the catch_warnings entered, and the filters list and showwarning it installed
_installed = {"tasks": 0, "context": None, "filters": None, "showwarning": None}


def _shown(shown_before, message, category, filename, lineno, file=None, line=None):
    records = getattr(_this_thread, "records", None)
    if records is None:  # a thread not recording (the client's, with a cluster of threads)
        shown_before(message, category, filename, lineno, file, line)
    else:
        records.append((category.__module__, category.__qualname__, str(message)))


@contextlib.contextmanager
def recorded_warnings():
    """A list of ``(category's module, its qualified name, message)`` of every warning raised
    in this thread while the block runs (none shown): picklable whatever the category."""
    records = []
    with _lock:
        if _installed["tasks"] == 0:
            context = warnings.catch_warnings()
            context.__enter__()
            warnings.simplefilter("always")
            shown_before = warnings.showwarning
            warnings.showwarning = lambda *args, **kwargs: _shown(shown_before, *args, **kwargs)
            _installed.update(
                context=context, filters=warnings.filters, showwarning=warnings.showwarning
            )
        _installed["tasks"] += 1
    outer = getattr(_this_thread, "records", None)
    _this_thread.records = records
    try:
        yield records
    finally:
        _this_thread.records = outer
        with _lock:
            _installed["tasks"] -= 1
            if _installed["tasks"] == 0:
                context, filters, shown = (
                    _installed[name] for name in ("context", "filters", "showwarning")
                )
                _installed.update(context=None, filters=None, showwarning=None)
                # (catch_warnings puts a new filters list in place, entering and leaving)
                if warnings.filters is filters and warnings.showwarning is shown:
                    context.__exit__(None, None, None)


def with_recorded_warnings(function, *args):
    """``(function(*args), the warnings it raised)``, for a task."""
    with recorded_warnings() as records:
        result = function(*args)
    return result, records


def joined(*record_lists):
    """The distinct records of ``record_lists``, in their order."""
    return list(dict.fromkeys(record for records in record_lists for record in records))


def _category(module, qualname):
    """The warning class named, if the client has imported its module; else UserWarning."""
    found = sys.modules.get(module)
    for name in qualname.split("."):
        found = getattr(found, name, None)
    if isinstance(found, type) and issubclass(found, Warning):
        return found
    return UserWarning


def _warning(module, qualname, message):
    """The warning of a record: of its category, or a UserWarning naming the category where
    the client has no such class or the class does not take the message alone (a category
    whose ``__init__`` asks for more: ``warnings.warn`` raised its TypeError, failing a fit
    whose training had succeeded)."""
    category = _category(module, qualname)
    if category is not UserWarning or (module, qualname) == ("builtins", "UserWarning"):
        with contextlib.suppress(Exception):
            return category(message)
    return UserWarning(f"{module}.{qualname}: {message}")


def reissue(records, stacklevel):
    """Raise each distinct recorded warning once, on the client; ``stacklevel`` as
    ``warnings.warn``'s, counted from the caller of this function."""
    for record in joined(records):
        warnings.warn(_warning(*record), stacklevel=stacklevel + 1)
