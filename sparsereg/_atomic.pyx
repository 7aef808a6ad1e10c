"""Files written whole or not at all: a model, a checkpoint, a file of predictions.

Compiled, so that no signal handler runs on entering ``__enter__`` or ``__exit__`` (CPython
runs a Python handler on entering a Python function, after a call and at a loop's jump back):
a handler's exception there left the temporary file, and its descriptor open, for as long as
the exception lived. A generator's context manager left them so when the exception came
between its ``yield`` and the caller's block (its traceback kept the generator suspended); a
Python class's ``__exit__``, on its first line, for good.
"""

import errno
import os
import stat
import zipfile

import numpy as np
from numpy.lib.format import write_array

from ._interrupts import interrupts_deferred

# a new file, never one that is there (a file, or a link to another file, planted under the
# name): O_EXCL; binary at the OS's level, as open() makes every file (text mode translates
# line ends itself)
cdef int _NEW_FILE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
cdef int _NAMES_TRIED = 100  # random names taken before giving up (tempfile tries 10,000)
cdef int _LINKS_FOLLOWED = 40  # as Linux's (ELOOP past it)


def resolved_path(path):
    """``path``, or the file its symbolic link (a chain of them) names, as ``open`` reaches
    it: a file written through a link is its target, written beside the target and renamed
    over it, and the link is kept (as ``open(path, "w")``, editors and npm's
    write-file-atomic do; renaming over the link replaced it, and left its target stale).

    A link in a sticky, world-writable folder (``/tmp``) is followed only if it is the
    user's or the folder owner's, as Linux's ``protected_symlinks`` has ``open`` do: another
    user's link planted there is a PermissionError, not a way to have the user's file
    written over."""
    path = os.fsdecode(path)
    for _ in range(_LINKS_FOLLOWED):
        try:
            link = os.lstat(path)
        except OSError:  # (not there, or not to be looked at: the path as it is)
            return path
        if not stat.S_ISLNK(link.st_mode):
            return path
        folder = os.path.dirname(path) or os.curdir
        if hasattr(os, "geteuid") and link.st_uid != os.geteuid():
            held = os.stat(folder)
            sticky = held.st_mode & stat.S_ISVTX and held.st_mode & stat.S_IWOTH
            if sticky and link.st_uid != held.st_uid:
                raise PermissionError(
                    errno.EACCES,
                    "a symbolic link of another user in a sticky, world-writable folder is "
                    "not followed (as open() does not, with protected_symlinks)",
                    path,
                )
        # (a relative target is the link's folder's; not normalized: ".." after a folder
        # that is itself a link is the link's target's parent, as the system resolves it)
        path = os.path.join(folder, os.readlink(path))
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)


cdef class atomic_file:
    """Open a new temporary file beside ``path``; rename it over ``path`` when the block ends
    without an error, remove it otherwise. A symbolic link is written through: its target
    is the file written (``resolved_path``), and the link is kept. An interrupted or failed
    write leaves ``path`` as it was; of two writes of one path at once (two threads, two
    processes), each writes a file of its own, and ``path`` is the whole file of the one that
    ends last.

    ``with atomic_file(path, mode="wb", **open_kwargs) as f:`` (``open``'s arguments). The
    temporary file's name is random (``.<name>.<16 hex digits>.tmp``) and it is created on
    entering the block, so nothing under a name known in advance is written or removed.
    Signal handlers are held back while it is created and opened, and while it is closed and
    removed after an error; when the block's exception, or a handler's, comes out, nothing
    of the temporary file is left."""

    cdef object _path, _mode, _open_kwargs, _file, _cleaning
    cdef list _created  # the temporary file's name, once created here

    def __init__(self, path, mode="wb", **open_kwargs):
        self._path = os.fsdecode(path)  # (str: the temporary name beside it is one)
        self._mode, self._open_kwargs = mode, open_kwargs
        self._file = None
        self._created = []
        # made here, not in the clean-up: a hold made there would be Python code run before
        # it holds anything (its class's call)
        self._cleaning = interrupts_deferred()

    def _new_file(self, candidate, flags):  # (open's opener: the file object owns the fd)
        fd = os.open(candidate, _NEW_FILE, 0o666)  # (the umask applies)
        self._created.append(candidate)
        try:
            # a regular file rewritten keeps its permission bits (a model or checkpoint made
            # 0600 stays so), not set-id bits; a new one has the umask's (the path is the
            # link's target: a link whose target went meanwhile is not a regular file)
            target = os.lstat(self._path)
        except OSError:  # (not there, or not to be looked at: a new file's mode)
            return fd
        if stat.S_ISREG(target.st_mode):
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, target.st_mode & 0o777)
                else:  # pragma: no cover - Windows before Python 3.13
                    os.chmod(candidate, target.st_mode & 0o777)
            except BaseException:
                os.close(fd)  # (not yet owned by a file object; the file itself is removed)
                raise
        return fd

    def __enter__(self):
        if self._file is not None or self._created:
            raise RuntimeError("an atomic_file is entered once")
        self._path = resolved_path(self._path)  # (nothing made yet: no clean-up)
        directory, name = os.path.split(self._path)
        try:
            with interrupts_deferred():  # (the held-back handlers answer at its end)
                for attempt in range(_NAMES_TRIED):
                    candidate = os.path.join(directory, f".{name}.{os.urandom(8).hex()}.tmp")
                    try:
                        self._file = open(
                            candidate, self._mode, opener=self._new_file, **self._open_kwargs
                        )
                        break
                    except FileExistsError:
                        if attempt == _NAMES_TRIED - 1:
                            raise  # another's each time: neither written nor removed
        except BaseException:
            self._discard()
            raise
        return self._file

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                f = self._file
                f.flush()
                os.fsync(f.fileno())
                f.close()
                os.replace(self._created[0], self._path)
                self._created.clear()  # renamed over path: nothing to remove
        finally:
            self._discard()
        return False

    cdef _discard(self):
        """Close and remove the temporary file, unless it was renamed over the target."""
        with self._cleaning:
            f = self._file
            if f is not None and not f.closed:  # the block failed: the file is thrown away
                try:
                    f.close()
                except OSError:
                    pass  # its buffer's flush failing again (a full disk), the error raised
            for tmp in self._created:
                try:
                    os.remove(tmp)
                except FileNotFoundError:
                    pass
            self._created.clear()


def write_npz(f, arrays):
    """Write to the binary file ``f`` what ``np.savez(f, **arrays)`` writes (each array a
    stored member ``name.npy``, in zip64, without pickle), with signal handlers held back
    while zipfile opens and closes the archive and each member, and answered while the
    arrays are written (a checkpoint holds a whole state, which can take seconds).

    Compiled, as the rest of this module: a handler's exception that landed in zipfile's
    bookkeeping of a member (inside ``np.savez``, or between two Python lines of a writer
    like this one) left the member marked open; the archive's close then raised zipfile's
    ValueError "Can't close the ZIP file while there is an open writing handle" in the
    handler's exception's place, and again, printed, when the archive was collected."""
    cdef object archive = None, member = None
    cleaning = interrupts_deferred()
    try:
        with interrupts_deferred():
            archive = zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True)
        for name, array in arrays.items():
            with interrupts_deferred():
                member = archive.open(f"{name}.npy", "w", force_zip64=True)
            write_array(member, np.asanyarray(array), allow_pickle=False)
            with interrupts_deferred():
                member.close()
        with interrupts_deferred():
            archive.close()
    except BaseException:
        # closed for good, whatever their own closes raise (a full disk fails them again, a
        # file object's write may raise anything): the error raised is the first (a member's
        # close after an error does nothing)
        with cleaning:
            for opened in (member, archive):
                if opened is not None:
                    try:
                        opened.close()
                    except Exception:
                        pass
        raise
