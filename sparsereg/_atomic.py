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


@contextmanager
def atomic_file(path, mode="wb", **open_kwargs):
    """Open a new temporary file beside ``path``; rename it over ``path`` when the block ends
    without an error, remove it otherwise. An interrupted or failed write leaves ``path`` as
    it was; of two writes of one path at once (two threads, two processes), each writes a
    file of its own, and ``path`` is the whole file of the one that ends last.

    The temporary file's name is random (``.<name>.<16 hex digits>.tmp``) and it is created
    by this call, so nothing under a name known in advance is written or removed. Signal
    handlers are held back while the file is created and while it is removed: a handler's
    exception between the creation and the file object's ``with`` left the descriptor open,
    and one before the removal left the file."""
    path = os.fspath(path)
    directory, name = os.path.split(path)
    tmp = f = None
    try:
        with interrupts_deferred():  # (the held-back handlers answer at its end)
            while True:
                candidate = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.tmp")
                try:
                    fd = os.open(candidate, _NEW_FILE, 0o666)  # (the umask applies)
                    break
                except FileExistsError:
                    continue  # another's: neither written nor removed
            tmp = candidate
            try:
                f = os.fdopen(fd, mode, **open_kwargs)
            except BaseException:
                os.close(fd)
                raise
        yield f
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.replace(tmp, path)
    finally:
        with interrupts_deferred():
            if f is not None and not f.closed:  # the block failed: the file is thrown away
                try:
                    f.close()
                except OSError:
                    pass  # its buffer's flush failing again (a full disk), the error raised
            if tmp is not None:
                try:
                    os.remove(tmp)
                except FileNotFoundError:
                    pass  # renamed over path
