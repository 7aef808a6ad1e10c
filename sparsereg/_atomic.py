"""Files written whole or not at all: a model, a checkpoint, a file of predictions."""

import os
import secrets
from contextlib import contextmanager

from ._interrupts import interrupts_deferred

# a new file, never one that is there (a file, or a link to another file, planted under the
# name): O_EXCL; binary at the OS's level, as open() makes every file (text mode translates
# line ends itself)
_NEW_FILE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
_NAMES_TRIED = 100  # random names taken before giving up (tempfile tries 10,000)


@contextmanager
def atomic_file(path, mode="wb", **open_kwargs):
    """Open a new temporary file beside ``path``; rename it over ``path`` when the block ends
    without an error, remove it otherwise. An interrupted or failed write leaves ``path`` as
    it was; of two writes of one path at once (two threads, two processes), each writes a
    file of its own, and ``path`` is the whole file of the one that ends last.

    The temporary file's name is random (``.<name>.<16 hex digits>.tmp``) and it is created
    by this call, so nothing under a name known in advance is written or removed. Signal
    handlers are held back while the file is created and opened, and while it is closed and
    removed after an error (a handler's exception there left the descriptor open, or the
    file). One that comes between this function's ``yield`` and the caller's ``with`` leaves
    them until its exception is let go (the generator is then closed, and removes them)."""
    path = os.fspath(path)
    directory, name = os.path.split(path)
    created = []  # the temporary file's name, once created here
    # made before the try: in the finally, a call before the hold's __enter__ is a place
    # where a handler could run and skip the clean-up
    cleaning = interrupts_deferred()
    f = None

    def new_file(candidate, flags):  # (open's opener: the file object owns the descriptor)
        fd = os.open(candidate, _NEW_FILE, 0o666)  # (the umask applies)
        created.append(candidate)
        return fd

    try:
        with interrupts_deferred():  # (the held-back handlers answer at its end)
            for attempt in range(_NAMES_TRIED):
                candidate = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.tmp")
                try:
                    f = open(candidate, mode, opener=new_file, **open_kwargs)
                    break
                except FileExistsError:
                    if attempt == _NAMES_TRIED - 1:
                        raise  # another's each time: neither written nor removed
        yield f
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.replace(created[0], path)
        created.clear()  # renamed over path: nothing to remove
    finally:
        with cleaning:
            if f is not None and not f.closed:  # the block failed: the file is thrown away
                try:
                    f.close()
                except OSError:
                    pass  # its buffer's flush failing again (a full disk), the error raised
            for tmp in created:
                try:
                    os.remove(tmp)
                except FileNotFoundError:
                    pass
