"""Files written whole or not at all: a model, a checkpoint, a file of predictions."""

import os
from contextlib import contextmanager


@contextmanager
def atomic_file(path, mode="wb", **open_kwargs):
    """Open a temporary file beside ``path``; rename it over ``path`` when the block ends
    without an error, remove it otherwise. An interrupted write leaves ``path`` as it was."""
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
