"""Reading an ``.npz`` that may come from anyone, without ``np.load``; and writing a
compressed one that this reading takes back (``savez_compressed``).

The zip is opened here: its directory is bounded, each ``.npy`` member's header is read
and checked (dtype, shape, declared against stored size) before any data is decompressed,
and deflated members may not expand beyond a ratio. Model files (``_model_file``) and
stream checkpoints (``sparsereg.stream``) are read this way; each names itself in the
messages (``what``) and checks the headers of its own keys (``check_header``).
"""

import io
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
# the bytes of a .npy header's length (format version 1.0: 2, 2.0: 4), and the longest header
# read (numpy's own default limit; the headers it writes for plain arrays take 128 bytes)
_HEADER_LENGTH_BYTES = {(1, 0): 2, (2, 0): 4}
_MAX_HEADER_BYTES = 10_000
_LARGEST_CODE_POINT = 0x10FFFF
# what zipfile raises on a damaged or crafted archive (NotImplementedError: a "version needed to
# extract" or a flag it does not read)
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


class Member:
    """One ``.npy`` member: its zip entry and its header, before any data is read."""

    def __init__(self, archive, key, info, *, what, check_header):
        self.archive, self.key, self.info, self.what = archive, key, info, what
        if info.flag_bits & 0x1:
            raise ValueError(f"{what}: member {info.filename!r} is encrypted.")
        # its data lies between its offset and the zip's directory: a size declared beyond the
        # file was allocated before the reading found the file short (MemoryError under a limit
        # of address space), a negative offset (a damaged end record) was an OSError
        end = info.header_offset + info.compress_size
        if (
            info.header_offset < 0
            or end > archive.start_dir
            or (info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size)
        ):
            raise ValueError(
                f"{what}: member {info.filename!r} declares {info.compress_size:,} bytes at "
                f"offset {info.header_offset:,}, which the file does not hold."
            )
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
                if version not in _HEADER_LENGTH_BYTES:
                    raise ValueError(
                        f"{what}: {key} has .npy format version {version}; "
                        "only 1.0 and 2.0 are read."
                    )
                shape, dtype = self._header(f, version)
                self.offset = f.tell()
        except _CORRUPT as exc:
            raise ValueError(f"{what}: member {info.filename!r} is corrupt: {exc}") from None
        check_header(key, dtype, shape)
        if dtype.itemsize == 0:
            raise ValueError(f"{what}: {key} has dtype {dtype}, of items of 0 bytes.")
        self.shape, self.dtype = shape, dtype
        self.nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if info.file_size != self.offset + self.nbytes:
            raise ValueError(
                f"{what}: {key} declares shape {shape} of {dtype} "
                f"({self.nbytes:,} bytes) but its zip entry holds "
                f"{info.file_size - self.offset:,} bytes of data."
            )

    def _header(self, f, version):
        """``(shape, dtype)`` of the header that follows the magic in ``f``. Its length is
        read and bounded here first: numpy's reader reads a header whole (a version 2.0 one
        may declare 4 GiB) before it checks the length, and its parser can raise
        RecursionError or MemoryError on a header of 10,000 characters of nested operators."""
        size = _HEADER_LENGTH_BYTES[version]
        length_bytes = f.read(size)
        length = int.from_bytes(length_bytes, "little") if len(length_bytes) == size else -1
        if not 0 <= length <= _MAX_HEADER_BYTES:
            raise ValueError(
                f"{self.what}: {self.key} declares a .npy header of {length:,} bytes; at most "
                f"{_MAX_HEADER_BYTES:,} are read."
            )
        text = f.read(length)
        read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        try:
            shape, fortran_order, dtype = read_header(io.BytesIO(length_bytes + text))
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            raise ValueError(f"{self.what}: {self.key} has an unreadable .npy header.") from None
        if fortran_order and len(shape) > 1:  # (read in C order, it would be transposed)
            raise ValueError(
                f"{self.what}: {self.key} is stored in Fortran order; the arrays are written "
                "in C order."
            )
        if not all(type(n) is int and n >= 0 for n in shape):  # (and not bools)
            raise ValueError(f"{self.what}: {self.key} declares the shape {shape!r}.")
        return shape, dtype

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
        if beyond_unicode(array):
            raise ValueError(
                f"{self.what}: {self.key} holds a character beyond U+10FFFF (not Unicode)."
            )
        return array.astype(self.dtype.newbyteorder("="), copy=False)


def beyond_unicode(array):
    """Whether a NumPy str array holds a code unit beyond U+10FFFF, which no Python str can
    hold (NumPy's conversion raises SystemError); False for any other array."""
    if array.dtype.kind != "U" or array.size == 0 or array.dtype.itemsize == 0:
        return False
    flat = np.ascontiguousarray(array).reshape(-1)  # (a view as code units needs it)
    return bool(flat.view(flat.dtype.byteorder + "u4").max() > _LARGEST_CODE_POINT)


def open_file(file):
    """``(binary file object, whether we opened it)`` for a path or an open file (seekable,
    and a regular file where it has a descriptor: ``_check_open_file``).

    A path must name a regular file: the zip reader reads to the end of what it is given, which
    a device (``/dev/zero``) never reaches, and opening a named pipe waits for a writer. It is
    opened without waiting (``O_NONBLOCK``) and checked once open, so that what is read is what
    was checked."""
    if hasattr(file, "read"):
        _check_open_file(file)
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


def _check_open_file(file):
    """Refuse an open file that the zip reader cannot read to its end: one without ``seek``,
    ``tell`` or ``seekable`` (an AttributeError from zipfile: an ``mmap`` before Python 3.13
    has no ``seekable``), or one open on a device, which may seek but never ends
    (``open("/dev/zero", "rb")``: zipfile's read of the last 22 bytes "to the end" filled the
    memory). One without a descriptor (``io.BytesIO``) is read as it is."""
    lacking = [name for name in ("seek", "tell", "seekable") if not hasattr(file, name)]
    if lacking:
        raise TypeError(
            f"file must be a path or a seekable binary file; a {type(file).__name__} has no "
            f"{' and '.join(lacking)} (give its path, or io.BytesIO of its bytes)."
        )
    try:
        mode = os.fstat(file.fileno()).st_mode
    except (AttributeError, OSError, ValueError, TypeError):  # (io.UnsupportedOperation)
        return
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"{getattr(file, 'name', type(file).__name__)!r} is open on something that is not "
            "a regular file (a device or a pipe); only files are read."
        )


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


def _npy_sizes(array):
    """``(bytes, bytes deflated)`` of ``array``'s ``.npy`` (header and data), deflated as
    zipfile deflates a member."""
    deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    size = deflated = 0

    class Counter:
        def write(self, data):
            nonlocal size, deflated
            size += len(data)
            deflated += len(deflate.compress(data))

    npy.write_array(Counter(), array, allow_pickle=False)
    return size, deflated + len(deflate.flush())


def savez_compressed(file, arrays):
    """``np.savez_compressed(file, **arrays)``, except that a member (``.npy`` header and
    data) larger than ``_RATIO_FLOOR`` that deflates more than ``_MAX_RATIO / 2`` to 1 is
    stored: ``Member`` refuses one that expands more than ``_MAX_RATIO`` to 1 (a zip bomb),
    and an array of the writer's own can (long str padding, constant weights)."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        for name, value in arrays.items():
            array = np.asanyarray(value)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            if array.nbytes > _RATIO_FLOOR // 2:  # (the member: its header too, as Member sees it)
                size, deflated = _npy_sizes(array)
                if size > _RATIO_FLOOR and size > _MAX_RATIO // 2 * deflated:
                    info.compress_type = zipfile.ZIP_STORED
            with z.open(info, "w", force_zip64=True) as member:
                npy.write_array(member, array, allow_pickle=False)
