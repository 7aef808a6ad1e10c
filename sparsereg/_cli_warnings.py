"""Each warning of a command line's run shown once, and by the ``sparsereg`` program as its
other messages are (``sparsereg: warning: ...`` on stderr).

Python shows a warning once per line of code (its "default" action), but every
``catch_warnings`` (pandas enters one on each dtype it reads, so on each batch) clears that
record: a run over a thousand batches showed the same warning a thousand times. The filters
still decide (``-W error`` raises, ``-W ignore`` drops); only what passes them is shown once.
"""

import contextlib
import sys
import warnings


@contextlib.contextmanager
def each_warning_once(as_program):
    """Within the block, a warning (its category and text) that was shown is not shown again;
    ``as_program``: shown as ``sparsereg: warning: <text>`` (``sparsereg: <category>: <text>``
    for a category other than UserWarning) without the line of code it names, else passed to
    the ``warnings.showwarning`` in place when the block began (a caller's record, say)."""
    shown = set()
    previous = warnings.showwarning

    def show_once(message, category, filename, lineno, file=None, line=None):
        key = (category, str(message))
        if key in shown:
            return
        shown.add(key)
        if not as_program:
            previous(message, category, filename, lineno, file, line)
            return
        kind = "warning" if category is UserWarning else category.__name__
        out = file if file is not None else sys.stderr
        if out is None:  # (no stderr, as under pythonw: lost, as Python's own display loses it)
            return
        try:
            print(f"sparsereg: {kind}: {message}", file=out)
        except OSError:  # (as Python's own display: a closed stderr loses the warning)
            pass

    warnings.showwarning = show_once
    try:
        yield
    finally:
        # (a catch_warnings entered in the block and left after it put its own back: kept)
        if warnings.showwarning is show_once:
            warnings.showwarning = previous
