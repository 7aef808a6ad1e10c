"""Files written whole or not at all: a model, a checkpoint, a file of predictions."""

import os
import secrets
from contextlib import contextmanager

from ._interrupts import interrupts_deferred

# a new file, never one that is there (a file, or a link to another file, planted under the
# name): O_EXCL; binary where the OS tells text from binary
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


@contextmanager
def atomic_file(path, mode="wb", **open_kwargs):
    """Open a new temporary file beside ``path``; rename it over ``path`` when the block ends
    without an error, remove it otherwise. An interrupted or failed write leaves ``path`` as
    it was; of two writes of one path at once (two threads, two processes), each writes a
    file of its own, and ``path`` is the whole file of the one that ends last.

    The temporary file's name is random (``.<name>.<16 hex digits>.tmp``) and it is created
    by this call, so nothing under a name known in advance is written or removed."""
    path = os.fspath(path)
    directory, name = os.path.split(path)
    flags = _NEW_FILE | (getattr(os, "O_BINARY", 0) if "b" in mode else 0)
    tmp = None
    try:
        # held back: a signal handler's exception between the file's creation and the file
        # object that owns it would leave its descriptor open
        with interrupts_deferred():
            while True:
                tmp = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.tmp")
                try:
                    fd = os.open(tmp, flags, 0o666)  # (the process's umask applies)
                    break
                except FileExistsError:
                    tmp = None  # another's: not ours to remove
            try:
                f = os.fdopen(fd, mode, **open_kwargs)
            except BaseException:
                os.close(fd)
                raise
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp is not None and os.path.lexists(tmp):
            os.remove(tmp)
