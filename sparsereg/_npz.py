"""Reading an ``.npz`` that may come from anyone, without ``np.load``.

The zip is opened here: its directory is bounded, each ``.npy`` member's header is read
and checked (dtype, shape, declared against stored size) before any data is decompressed,
and deflated members may not expand beyond a ratio. Model files (``_model_file``) and
stream checkpoints (``sparsereg.stream``) are read this way; each names itself in the
messages (``what``) and checks the headers of its own keys (``check_header``).
"""

import os
import stat
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy

_MAX_DIRECTORY_BYTES = 2**16  # the zip's central directory: ~100 bytes per member
# A deflated member may expand at most this much (legitimate arrays: 1-3x; zeros: 1000x),
# once it is larger than _RATIO_FLOOR.
_MAX_RATIO = 100
_RATIO_FLOOR = 2**20
_CHUNK = 2**20
# what zipfile raises on a damaged or crafted archive (NotImplementedError: a "version needed to
# extract" or a flag it does not read)
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


class Member:
    """One ``.npy`` member: its zip entry and its header, before any data is read."""

    def __init__(self, archive, key, info, *, what, check_header):
        self.archive, self.key, self.info, self.what = archive, key, info, what
        if info.flag_bits & 0x1:
            raise ValueError(f"{what}: member {info.filename!r} is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(
                f"{what}: member {info.filename!r} uses compression method "
                f"{info.compress_type}; only stored and deflated members are read."
            )
        if (
            info.compress_type == zipfile.ZIP_DEFLATED
            and info.file_size > _RATIO_FLOOR
            and info.file_size > _MAX_RATIO * info.compress_size
        ):
            raise ValueError(
                f"{what}: member {info.filename!r} expands from "
                f"{info.compress_size:,} to {info.file_size:,} bytes (more than "
                f"{_MAX_RATIO}:1); plain arrays do not compress that well."
            )
        try:  # a tiny member is read to its end here, where the zip checks its CRC
            with self._open() as f:
                version = npy.read_magic(f)
                if version == (1, 0):
                    shape, fortran_order, dtype = npy.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran_order, dtype = npy.read_array_header_2_0(f)
                else:
                    raise ValueError(
                        f"{what}: {key} has .npy format version {version}; "
                        "only 1.0 and 2.0 are read."
                    )
                self.offset = f.tell()
        except _CORRUPT as exc:
            raise ValueError(f"{what}: member {info.filename!r} is corrupt: {exc}") from None
        check_header(key, dtype, shape)
        self.shape, self.dtype = shape, dtype
        self.nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if info.file_size != self.offset + self.nbytes:
            raise ValueError(
                f"{what}: {key} declares shape {shape} of {dtype} "
                f"({self.nbytes:,} bytes) but its zip entry holds "
                f"{info.file_size - self.offset:,} bytes of data."
            )

    def _open(self):
        try:
            return self.archive.open(self.info)
        except _CORRUPT as exc:
            raise ValueError(
                f"{self.what}: member {self.info.filename!r} is corrupt: {exc}"
            ) from None

    def read(self):
        """The array, read in chunks into one buffer of the declared size."""
        buffer = np.empty(self.nbytes, dtype=np.uint8)
        try:
            with self._open() as f:
                f.read(self.offset)
                done = 0
                while done < self.nbytes:
                    chunk = f.read(min(_CHUNK, self.nbytes - done))
                    if not chunk:
                        break
                    buffer[done : done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
                    done += len(chunk)
        except _CORRUPT as exc:
            raise ValueError(
                f"{self.what}: member {self.info.filename!r} is corrupt: {exc}"
            ) from None
        if done != self.nbytes:
            raise ValueError(
                f"{self.what}: {self.key} holds {done:,} bytes of data; its header "
                f"declares {self.nbytes:,}."
            )
        array = buffer.view(self.dtype).reshape(self.shape)
        return array.astype(self.dtype.newbyteorder("="), copy=False)


def open_file(file):
    """``(binary file object, whether we opened it)`` for a path or an open file.

    A path must name a regular file: the zip reader reads to the end of what it is given, which
    a device (``/dev/zero``) never reaches, and opening a named pipe waits for a writer. It is
    opened without waiting (``O_NONBLOCK``) and checked once open, so that what is read is what
    was checked."""
    if hasattr(file, "read"):
        return file, False
    path = os.fspath(file)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(
                f"{path!r} is not a regular file (a folder, a device or a pipe); only files "
                "are read."
            )
        if hasattr(os, "O_NONBLOCK"):  # (os.set_blocking on Windows is for pipes only)
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), True
    except BaseException:
        os.close(fd)
        raise


def open_archive(fp, *, what, fmt, max_members):
    """The zip in ``fp``, after checking that its directory is small."""
    try:
        end = zipfile._EndRecData(fp)  # the end-of-directory record, as ZipFile reads it
    except OSError:
        end = None
    if end is None:
        raise ValueError(f"not a {fmt} file (not a zip archive).")
    if (
        end[zipfile._ECD_SIZE] > _MAX_DIRECTORY_BYTES
        or end[zipfile._ECD_ENTRIES_TOTAL] > max_members
    ):
        raise ValueError(
            f"{what}: its zip directory lists {end[zipfile._ECD_ENTRIES_TOTAL]:,} "
            f"members in {end[zipfile._ECD_SIZE]:,} bytes; a {what} has at most "
            f"{max_members}."
        )
    try:
        return zipfile.ZipFile(fp)
    except _CORRUPT as exc:
        raise ValueError(f"not a {fmt} file ({exc}).") from None


def members_by_key(archive, *, what, fmt, allowed):
    """Key -> zip entry of the ``.npy`` members; repeated, unknown or non-npy ones refused.

    ``allowed(key)`` tells whether a key may appear.
    """
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise ValueError(f"{what}: its zip lists a member twice.")
    by_key = {name[:-4]: info for name, info in zip(names, infos) if name.endswith(".npy")}
    if "format" not in by_key:
        raise ValueError(f"not a {fmt} file (no 'format' array).")
    unknown = sorted(name for name in names if not (name.endswith(".npy") and allowed(name[:-4])))
    if unknown:
        raise ValueError(f"{what}: unknown member(s) {unknown[:5]}.")
    return by_key
