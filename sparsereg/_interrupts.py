"""Ctrl-C held back until a call that updates a model in place has finished.

``partial_fit`` trains the state in place (copying a state of millions of columns
per call would cost more than the call), so an interrupt that landed between the
kernel's update and the new ``t_`` would leave a model that predicts one thing now
and another after a pickle round trip. :func:`interrupts_deferred` delays SIGINT to
the end of the block instead: the estimator is then exactly as after the call, and
the interrupt is raised (or handed to the handler that was installed) right after.
"""

import signal
import threading
from contextlib import contextmanager


@contextmanager
def interrupts_deferred():
    """Hold SIGINT back until the block has run (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only ever delivered to the main thread
        return
    caught = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(frame))
    except ValueError:  # pragma: no cover - not the main interpreter
        yield
        return
    try:
        yield
    finally:
        # None: a handler installed from C, which Python cannot reinstall
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
        if caught:
            if previous is None:
                raise KeyboardInterrupt
            if callable(previous):
                previous(signal.SIGINT, caught[0])
            elif previous == signal.SIG_DFL:  # pragma: no cover - Python installs its own
                raise KeyboardInterrupt
