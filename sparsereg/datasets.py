"""Real data sets for the examples, benchmarks and tests, loaded the scikit-learn way.

``fetch_*`` functions look for a data set's file in a local copy, then in a download cache, and
download it from its canonical public address when it is in neither; ``load_*`` functions read
data that ship with the package. Every file a ``fetch_*`` function reads, local or downloaded,
is checked against its published size (before it is read) and sha256 first, and read once: the
data returned are parsed from the very bytes checked, so a file replaced meanwhile is not read
unchecked (the files shipped with the package are checked by the tests, which decompress them
and compare with the published hashes).

Where files are looked for, in order:

1. ``data_home`` when given (and nowhere else); downloads go there too;
2. otherwise the folder named by the ``SPARSEREG_DATA`` environment variable, if set, then
   ``sklearn.datasets.get_data_home() / "sparsereg"``, where downloads go.

Each folder is laid out by data set: ``libsvm_a9a/a9a``, ``libsvm_a9a/a9a.t``,
``sms_spam_collection/SMSSpamCollection``, ``california_housing_handson/housing.csv``.

Where files are downloaded from: each file's canonical public address, or, when the
``SPARSEREG_DATA_MIRROR`` environment variable is set, a mirror: an ``http://`` or ``https://``
base address (an internal server, for a site with no access to the internet) laid out like a
data folder but holding the files as published, ``{mirror}/libsvm_a9a/a9a``,
``{mirror}/libsvm_a9a/a9a.t``, ``{mirror}/sms_spam_collection/sms+spam+collection.zip`` (the
archive, not its member) and ``{mirror}/california_housing_handson/housing.csv``. A download
from a mirror is checked against the same published sha256, so a mirror cannot serve other
data. The variable is read when a file has to be downloaded (an empty one counts as unset); a
value that is not an http(s) address, or that holds a user name or password (the downloader
reads those from ``~/.netrc``), raises a ``ValueError`` naming it.

Downloads use `pooch <https://www.fatiando.org/pooch/>`_ (``pip install "sparsereg[datasets]"``),
imported only when a file has to be downloaded, so reading a local copy needs nothing beyond
sparsereg's own dependencies. Pooch brings HTTP(S) with retries; it does not read ``file://``
addresses, so a mirror is an HTTP(S) server (the tests run one on the loopback). A file is
downloaded into a temporary folder beside its final place, checked, and only then renamed into
place: a failed or corrupt download leaves no file in the cache (the data set's empty folder may
remain). A download stops as soon as the server has sent more bytes than the file's published
size (for a zip archive, than the member's size and 1 MiB), so a huge or endless response is
refused with a ``ValueError`` after at most that much is on disk; a file shorter than published
is refused too. A file kept is made as ``open`` makes files: as the umask (and the folder's
default ACL) allows, so a cache shared by a group is readable by the group.
Downloads into a data set's folder take turns (each holds a lock on the folder, where
the system has ``fcntl``), so the temporary folder that a process killed mid-download left is
removed by the next download of that file. A download waits for another process's while that
one makes progress (its partial file grows) and gives up with a ``TimeoutError`` naming the
folder once nothing changed there for ``stall_timeout`` seconds (a stopped or hung process);
the same allowance bounds each wait for a server that sends nothing. Where the folder cannot be locked
(Windows, a file system without locks) a download goes ahead without the lock: two processes
may then both download the file, and such temporary folders are left where they are.

The download addresses below are the canonical ones as best known; they were not reachable from
the machine this module was written on, so only the local-copy path and a loopback server have
been exercised.
"""

import contextlib
import glob
import gzip
import hashlib
import io
import numbers
import os
import shutil
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from sklearn.utils import Bunch

from ._typing import FileLike

try:
    import fcntl
except ImportError:  # (Windows)
    fcntl = None

__all__ = [
    "fetch_a9a",
    "fetch_california_housing_handson",
    "fetch_sms_spam",
    "load_california_housing_mlcc",
]

ENV_DATA = "SPARSEREG_DATA"
ENV_MIRROR = "SPARSEREG_DATA_MIRROR"


@dataclass(frozen=True)
class _RemoteFile:
    """A file of a data set: where it lives in a data folder, where it comes from, its sha256
    and size in bytes (checked first: a file of another size is refused without being read).

    ``member`` names the file inside the zip archive at ``url``; the sha256 and size are the
    member's.
    """

    folder: str
    filename: str
    url: str
    sha256: str
    size: int
    member: str | None = None

    @property
    def download_limit(self):
        """The most bytes a download of this file may have: the file's size, or for a zip
        archive (whose own size is not published) the member's size and room for the archive's
        headers and other members, as when the member is stored uncompressed."""
        return self.size if self.member is None else self.size + _ARCHIVE_ROOM


_ARCHIVE_ROOM = 2**20
# the longest wait without progress: a socket's timeout in milliseconds fits in a C int
_MAX_STALL_TIMEOUT = 10**6


_LIBSVM = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary"
_A9A = {
    "train": _RemoteFile(
        "libsvm_a9a",
        "a9a",
        f"{_LIBSVM}/a9a",
        "f5d5ffd8d865ff41328e7ee043e4b020816914ff6843ff15b98905ddbedce906",
        2_329_875,
    ),
    "test": _RemoteFile(
        "libsvm_a9a",
        "a9a.t",
        f"{_LIBSVM}/a9a.t",
        "1f448a153f0320399a7e40836eb207655b0bde0f21fc941cc472193daa9f5de9",
        1_164_628,
    ),
}
_SMS = _RemoteFile(
    "sms_spam_collection",
    "SMSSpamCollection",
    "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip",
    "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d",
    477_907,
    member="SMSSpamCollection",
)
_HANDSON = _RemoteFile(
    "california_housing_handson",
    "housing.csv",
    "https://raw.githubusercontent.com/ageron/handson-ml2/master/datasets/housing/housing.csv",
    "8a3727f4cf54ac1a327f69b1d5b4db54c5834ea81c6e4efc0d163300022a685e",
    1_423_529,
)
# The crash-course split ships with the package (sparsereg/data/*.csv.gz); these are its sources
# and the sha256 of the uncompressed files.
_MLCC = {
    "train": _RemoteFile(
        "california_housing_mlcc",
        "california_housing_train.csv",
        "https://download.mlcc.google.com/mledu-datasets/california_housing_train.csv",
        "ad03b415ac056277f1c37c1cd46dddd69286619352f2b2b2b1bd0ee8027715aa",
        831_500,
    ),
    "test": _RemoteFile(
        "california_housing_mlcc",
        "california_housing_test.csv",
        "https://download.mlcc.google.com/mledu-datasets/california_housing_test.csv",
        "d1a02d81a735b806d9654c13a83704bb072aac48ae46edc6181616e43b334491",
        146_649,
    ),
}

HOUSING_FEATURES = [
    "longitude",
    "latitude",
    "housing_median_age",
    "total_rooms",
    "total_bedrooms",
    "population",
    "households",
    "median_income",
]
HOUSING_TARGET = "median_house_value"

_A9A_DESCR = """a9a (LIBSVM binary classification, from the UCI Adult census income data)
Rows: 32,561 train (a9a), 16,281 test (a9a.t). Columns: 123 binary features (one-hot
encodings of the Adult attributes), CSR float64. Labels: +1 (income > $50k, 7,841 train /
3,846 test) and -1. A plain logistic regression reaches about 0.85 test accuracy.
Source: https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary.html. Licence: CC BY 4.0."""

_SMS_DESCR = """SMS Spam Collection v.1 (Almeida and Hidalgo, UCI)
5,574 English SMS messages, 4,827 ham and 747 spam; no train/test split.
Source: https://archive.ics.uci.edu/dataset/228/sms+spam+collection. Licence: CC BY 4.0."""

_MLCC_DESCR = """California housing, the Google Machine Learning Crash Course split
1990 US census block groups (Pace & Barry, 1997, via StatLib): 17,000 train and 3,000 test
rows, 8 numeric features, target median_house_value in dollars (capped at 500,001).
No missing values. Ships with sparsereg; source: {url}"""

_HANDSON_DESCR = """California housing, as in "Hands-On Machine Learning" (Geron)
The 20,640 block groups of the 1990 US census (Pace & Barry, 1997), 8 numeric features plus the
categorical ocean_proximity; total_bedrooms is missing in 207 rows. Target median_house_value
in dollars (capped at 500,001). No split.
Source: https://github.com/ageron/handson-ml2 (datasets/housing/housing.csv)."""


# -------------------------------------------------------------------------- finding files


def _cache_home():
    from sklearn.datasets import get_data_home

    return Path(get_data_home()) / "sparsereg"


def _data_folders(data_home):
    """The folders to look in, in order; the last one is where a download goes."""
    if data_home is not None:
        return [Path(data_home).expanduser()]
    folders = []
    env = os.environ.get(ENV_DATA)
    if env:
        local = Path(env).expanduser()
        if not local.is_dir():
            raise NotADirectoryError(
                f"{ENV_DATA}={env!r} is not a directory; point it at a folder "
                "laid out as libsvm_a9a/, sms_spam_collection/, ... or unset it"
            )
        folders.append(local)
    folders.append(_cache_home())
    return folders


def _download_url(remote):
    """Where ``remote`` is downloaded from: its canonical address, or its place on the mirror
    named by ``SPARSEREG_DATA_MIRROR`` (``{mirror}/{folder}/{name of the downloaded file}``)."""
    mirror = os.environ.get(ENV_MIRROR)
    if not mirror:  # (unset or empty, as SPARSEREG_DATA)
        return remote.url
    try:
        parts = urlsplit(mirror)
        valid = (
            parts.scheme in ("http", "https")
            and parts.hostname
            and parts.username is None  # (it would be shown in messages: ~/.netrc holds it)
            and parts.port != 0
            and not parts.query
            and not parts.fragment
            and mirror.isprintable()
            and " " not in mirror
        )
    except ValueError:  # an unclosed "[" in the host, a port not a number from 0 to 65535
        valid = False
    if not valid:
        raise ValueError(
            f"{ENV_MIRROR}={mirror!r} is not an http:// or https:// base address (a host, no "
            "user name or password (the downloader reads them from ~/.netrc), no space, query "
            "or fragment): set it to the address of a mirror laid out as libsvm_a9a/, "
            "sms_spam_collection/, ..., or unset it to download from the data sets' public "
            "addresses"
        )
    name = remote.url.rsplit("/", 1)[-1]
    return f"{mirror.rstrip('/')}/{remote.folder}/{name}"


def _read_checked(path, remote, what, advice):
    """The bytes of the file at ``path``, read once and returned only if their sha256 is
    ``remote``'s: the caller parses these bytes, never the file again (which another process
    could replace after the check). A file (or what a link leads to) that is not a regular
    file of ``remote``'s size is refused before anything is read: a link to a large file or to
    a device (``/dev/zero``) was read whole, then hashed."""
    with open(path, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{what} is not a regular file; {advice}")
        if info.st_size != remote.size:
            raise OSError(
                f"{what} is {info.st_size:,} bytes, not the published {remote.size:,}: the "
                f"file is corrupt or another version; {advice}"
            )
        data = f.read(remote.size + 1)  # (one more: a file grown meanwhile fails the hash)
    actual = hashlib.sha256(data).hexdigest()
    if actual != remote.sha256:
        raise OSError(
            f"the sha256 of {what} is {actual}, not the published {remote.sha256}: the file "
            f"is corrupt or another version; {advice}"
        )
    return data


def _check_n_retries(n_retries):
    # (pooch took it as given: -1 made no attempt, then a temporary file was not found; "2" and
    # None raised TypeErrors of its arithmetic, after the data set's folder was made)
    if isinstance(n_retries, (bool, np.bool_)) or not isinstance(n_retries, numbers.Integral):
        raise TypeError(f"n_retries must be an int >= 0, got {n_retries!r}")
    if n_retries < 0:
        raise ValueError(f"n_retries must be an int >= 0, got {n_retries!r}")


def _check_stall_timeout(stall_timeout):
    if isinstance(stall_timeout, (bool, np.bool_)) or not isinstance(stall_timeout, numbers.Real):
        raise TypeError(f"stall_timeout must be a number of seconds > 0, got {stall_timeout!r}")
    # (nan too: a wait for ever); beyond the bound, the socket's timeout overflowed mid-download
    # (OverflowError: 1e10 s), and an int beyond float's range was no float
    if not 0 < stall_timeout <= _MAX_STALL_TIMEOUT:
        raise ValueError(
            f"stall_timeout must be a number of seconds > 0 and at most {_MAX_STALL_TIMEOUT:,} "
            f"(11 days), got {stall_timeout!r:.100}"
        )


def _refuse_wrong_kind(path, remote):
    """Raise if a folder is where the file ``path`` of ``remote`` is expected, or a file where
    its data set's folder is, or anything but a regular file (a device, a FIFO) or a broken
    symbolic link where the file is: in a local copy it was passed over (and the file
    downloaded instead); in the cache the download failed at its final rename (or replaced
    the link)."""
    for place, kind in ((path.parent, "folder"), (path, "file")):
        error = NotADirectoryError if kind == "folder" else IsADirectoryError
        if place.exists() and place.is_dir() != (kind == "folder"):
            what = f"is not a {kind}"
        elif kind == "file" and place.exists() and not place.is_file():
            what, error = "is not a regular file", OSError
        elif place.is_symlink() and not place.exists():
            # (a folder's: mkdir then raised a raw FileExistsError for it, before the download)
            what = f"is a symbolic link to {os.readlink(place)}, which does not exist"
            error = NotADirectoryError if kind == "folder" else FileNotFoundError
        else:
            continue
        raise error(
            f"{place} {what}, where the data set's {remote.folder}/{remote.filename} is "
            "looked for: remove it (or move it away) and put the published file there "
            f"(sha256 {remote.sha256}), or let it be downloaded"
        )


def _fetch_file(remote, data_home, download_if_missing, n_retries, stall_timeout):
    """``(path, data)``: where ``remote`` is, in the first folder that has it (downloaded there
    if in none), and its checked bytes."""
    _check_n_retries(n_retries)
    _check_stall_timeout(stall_timeout)
    stall_timeout = float(stall_timeout)
    folders = _data_folders(data_home)
    for folder in folders:
        path = folder / remote.folder / remote.filename
        _refuse_wrong_kind(path, remote)
        if path.is_file():
            data = _read_checked(
                path,
                remote,
                str(path),
                "replace it with the published file, or delete it to download it again",
            )
            return path, data
    looked = ", ".join(str(folder / remote.folder / remote.filename) for folder in folders)
    if not download_if_missing:  # (nothing to download: a mirror is named, not checked)
        try:
            url = _download_url(remote)
        except ValueError:
            url = remote.url
        raise FileNotFoundError(
            f"{remote.filename} not found (looked for {looked}) and download_if_missing=False. "
            f"Set the {ENV_DATA} environment variable (or pass data_home=) to a folder holding "
            f"{remote.folder}/{remote.filename}, or allow the download from {url}."
        )
    url = _download_url(remote)
    target = folders[-1] / remote.folder / remote.filename
    return target, _download(remote, url, target, n_retries, stall_timeout)


def _import_pooch():
    try:
        import pooch
    except ImportError as exc:
        raise ImportError(
            "downloading a data set needs pooch: pip install 'sparsereg[datasets]' (or pip install "
            f"pooch), or set {ENV_DATA} to a folder that already holds the data"
        ) from exc
    return pooch


@contextlib.contextmanager
def _download_lock(folder, stall_timeout):
    """Hold an exclusive lock on the data set's ``folder`` (``flock`` of the folder itself,
    released by the system when the process ends, however it ends): downloads into it take
    turns, so that the temporary folders found there by the holder are abandoned ones. Where
    there is no ``fcntl`` (Windows) or the folder cannot be locked (a file system without
    locks), yields False: the download goes ahead without the lock. The wait for another
    holder lasts while its download makes progress: see :func:`_wait_for_lock`."""
    try:
        descriptor = None if fcntl is None else os.open(folder, os.O_RDONLY)
    except OSError:
        descriptor = None
    if descriptor is None:
        yield False
        return
    try:
        try:
            _wait_for_lock(descriptor, folder, stall_timeout)
            locked = True
        except TimeoutError:
            raise
        except OSError:  # (ENOLCK: a file system without locks)
            locked = False
        yield locked
    finally:
        os.close(descriptor)


def _wait_for_lock(descriptor, folder, stall_timeout):
    """Take the lock on ``folder`` (open as ``descriptor``), waiting while another process
    holds it and its download makes progress: raise a ``TimeoutError`` once nothing in the
    folder (its temporary download folders included) has changed for ``stall_timeout``
    seconds. A stopped or hung holder made every other download of the data set wait for
    ever (the lock is released only when its process ends)."""
    seen, since, pause = None, time.monotonic(), 0.01
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        progress = _download_progress(folder)
        if progress != seen:
            seen, since = progress, time.monotonic()
        elif time.monotonic() - since >= stall_timeout:
            parts = sorted(name for name, *_ in progress if ".part-" in name and "/" not in name)
            holding = f"its partial download {', '.join(parts)}" if parts else "the download"
            raise TimeoutError(
                f"another download into {folder} holds the folder's lock, and neither the "
                f"folder nor {holding} changed for {stall_timeout} s (stall_timeout): "
                "gave up waiting. The other process is stopped or hung: end it, then try "
                "again (or wait longer with a larger stall_timeout)"
            )
        time.sleep(pause)
        pause = min(2 * pause, 0.25)


def _download_progress(folder):
    """What a download into ``folder`` changes: the name, size and modification time of each
    entry of the folder and of its temporary download folders (down to their files)."""
    progress = set()
    pending = [(folder, "")]
    while pending:
        place, prefix = pending.pop()
        try:
            entries = list(os.scandir(place))
        except OSError:  # (a temporary folder removed meanwhile)
            continue
        for entry in entries:
            name = prefix + entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            progress.add((name, info.st_size, info.st_mtime_ns))
            if (prefix or ".part-" in entry.name) and stat.S_ISDIR(info.st_mode):
                pending.append((entry.path, name + "/"))
    return frozenset(progress)


def _remove_abandoned_downloads(folder, remote):
    """Remove the temporary folders of downloads of ``remote`` into ``folder`` that a process
    killed mid-download left (kept for ever, each as large as the part downloaded)."""
    for part in folder.glob(f".{glob.escape(remote.filename)}.part-*"):
        if part.is_dir() and not part.is_symlink():
            shutil.rmtree(part, ignore_errors=True)


def _download(remote, url, target, n_retries, stall_timeout):
    """Download ``remote`` from ``url`` to ``target`` through a temporary folder beside it;
    check, then rename. Returns the checked bytes."""
    pooch = _import_pooch()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:  # (raw: "[Errno 17] File exists")
        raise NotADirectoryError(
            f"cannot make the folder {target.parent} to download {remote.filename} into: "
            f"{exc.filename} is in its way ({exc.strerror}: a file, or a symbolic link to a "
            "folder that does not exist); point data_home elsewhere, or remove it"
        ) from exc
    with _download_lock(target.parent, stall_timeout) as locked:
        if locked:
            _remove_abandoned_downloads(target.parent, remote)
        if target.is_file():  # (downloaded by another process while this one waited)
            return _read_checked(
                target,
                remote,
                str(target),
                "replace it with the published file, or delete it to download it again",
            )
        return _download_unlocked(pooch, remote, url, target, n_retries, stall_timeout)


class _RefusedDownload(Exception):
    """Raised by :class:`_CappedDownloader` and caught around pooch's fetch: not a ValueError
    nor a requests error, which pooch would retry (the server would send the same bytes)."""


class _WrongSizeDownload(ValueError, OSError):
    """A download of more, or fewer, bytes than the published size: a ValueError, and an
    OSError as every other file of a size or sha256 not the published one."""


class _CappedDownloader:
    """Pooch's HTTP downloader for ``remote``, stopped as soon as the response holds more than
    ``remote.download_limit`` bytes (a mirror sending a huge file, or an endless one, was
    written to disk whole before its size was checked); a file (not an archive) of fewer bytes
    is refused too. The file pooch made for the download (mode 0600, as ``tempfile`` makes
    files) is made again as ``open`` makes files, as the umask (and the folder's default ACL)
    allows: it is the file kept, which a data cache shared by a group is read through."""

    def __init__(self, pooch, remote, timeout):
        self.http = pooch.HTTPDownloader(timeout=timeout)
        self.remote = remote

    def __call__(self, url, output_file, pooch, check_only=False):
        remote, limit = self.remote, self.remote.download_limit
        relative = f"{remote.folder}/{remote.filename}"
        os.remove(output_file)
        with open(output_file, "xb") as f:
            capped = _CappedFile(f, limit)
            try:
                self.http(url, capped, pooch)
            except _RefusedDownload:
                pass
        if capped.too_large and remote.member is None:
            raise _RefusedDownload(
                f"{url} sent more than the published size of {relative}, {limit:,} bytes"
            )
        if capped.too_large:
            raise _RefusedDownload(
                f"{url} sent more than the {limit:,} bytes an archive of {relative} (published "
                f"size {remote.size:,} bytes) may have"
            )
        if remote.member is None and capped.written != limit:
            raise _RefusedDownload(
                f"{url} sent {capped.written:,} bytes, not the published size of {relative}, "
                f"{limit:,} bytes"
            )


class _CappedFile:
    """A file that takes at most ``limit`` bytes; the write that would go beyond writes nothing
    and raises (pooch's downloader then stops reading the response)."""

    def __init__(self, file, limit):
        self.file, self.limit, self.written, self.too_large = file, limit, 0, False

    def write(self, chunk):
        if self.written + len(chunk) > self.limit:
            self.too_large = True
            raise _RefusedDownload("too large")
        self.written += self.file.write(chunk)

    def flush(self):
        self.file.flush()


def _download_unlocked(pooch, remote, url, target, n_retries, stall_timeout):
    """:func:`_download`'s download, check and rename, with the folder's lock held."""
    name = url.rsplit("/", 1)[-1]
    with tempfile.TemporaryDirectory(prefix=f".{remote.filename}.part-", dir=target.parent) as tmp:
        # no known hash for pooch: the published sha256 is of the file we keep, which for a zip
        # is a member of the download, so it is checked below, with one message for both cases
        fetcher = pooch.create(
            path=tmp,
            base_url="",
            registry={name: None},
            urls={name: url},
            retry_if_failed=int(n_retries),
        )
        downloader = _CappedDownloader(pooch, remote, stall_timeout)
        try:
            downloaded = Path(fetcher.fetch(name, downloader=downloader))
        except _RefusedDownload as exc:
            raise _WrongSizeDownload(
                f"{exc}: refused, nothing was saved in {target.parent}. The server serves "
                f"another file: point {ENV_MIRROR} at a mirror that serves the published one, "
                f"or set {ENV_DATA} (or pass data_home=) to a folder holding it"
            ) from None
        except OSError as exc:  # (requests' errors are OSErrors naming a URL only)
            relative = f"{remote.folder}/{remote.filename}"
            raise OSError(
                f"could not download {relative} from {url} ({exc}); nothing was saved in "
                f"{target.parent}. Set the {ENV_DATA} environment variable (or pass data_home=) "
                f"to a folder holding {relative} (sha256 {remote.sha256}), or "
                f"{ENV_MIRROR} to a mirror that serves it"
            ) from exc
        if remote.member is not None:
            downloaded = _extract(downloaded, remote, Path(tmp), url)
        data = _read_checked(
            downloaded,
            remote,
            f"{remote.filename} downloaded from {url}",
            f"nothing was saved in {target.parent}",
        )
        os.replace(downloaded, target)
    return data


def _extract(archive, remote, folder, url):
    """Extract ``remote``'s member of the zip ``archive`` into ``folder``, unless the archive
    says it has another size (a member of gigabytes was extracted, then read whole)."""
    member = remote.member
    with zipfile.ZipFile(archive) as z:
        if member not in z.namelist():
            raise OSError(f"{archive.name} has no member {member!r} (it has {z.namelist()})")
        size = z.getinfo(member).file_size
        if size != remote.size:
            raise OSError(
                f"{remote.filename} in {archive.name} downloaded from {url} is {size:,} bytes, "
                f"not the published {remote.size:,}: the file is corrupt or another version"
            )
        return Path(z.extract(member, folder / "extracted"))


def _check_subset(subset):
    if subset not in ("train", "test"):
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}")


def _require_pandas(function):
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            f'{function} returns pandas objects: pip install "sparsereg[datasets]" (or pandas)'
        ) from exc
    return pd


# -------------------------------------------------------------------------- data sets


_FETCH_PARAMETERS = """    download_if_missing : bool, default=True
        If False, raise a ``FileNotFoundError`` when the file is not found locally instead of
        downloading it, from its public address or, when the ``SPARSEREG_DATA_MIRROR``
        environment variable is set, from that mirror (laid out as the module's docstring says).
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    n_retries : int, default=3
        How many more times a failed download is tried. Values must be in the range `[0, inf)`.
    stall_timeout : float, default=60
        Seconds a download may go without progress. A download waits for another process's
        download into the same data set's folder while that one progresses, and raises a
        ``TimeoutError`` once its folder and partial file did not change for that long (a
        stopped or hung process); a server that sends nothing for that long fails the download
        attempt (an ``OSError`` once ``n_retries`` are spent). Values must be in the range
        `(0, 1e6]`."""

_FETCH_RAISES = """    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the file is not found and ``download_if_missing`` is False.
    OSError
        If a file's size or sha256 is not the published one, a folder, a broken symbolic link or
        anything but a regular file is in its place, or its download failed; a
        ``TimeoutError`` if another process's download into the data set's folder made no
        progress for ``stall_timeout`` seconds.
    ValueError
        If the file is to be downloaded and ``SPARSEREG_DATA_MIRROR`` is set to anything but
        an http(s) address, or if the server sends more (or fewer) bytes than the published
        size: the download stops there (the error is also an ``OSError``)."""


def _fetcher_doc(function):
    """Fill in the parameters and errors every fetcher shares (their docstrings name them once)."""
    function.__doc__ = function.__doc__.replace(
        "    %(fetch_parameters)s", _FETCH_PARAMETERS
    ).replace("    %(fetch_raises)s", _FETCH_RAISES)
    return function


@_fetcher_doc
def fetch_a9a(
    *,
    subset: str = "train",
    data_home: FileLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    n_retries: int = 3,
    stall_timeout: float = 60,
) -> Bunch | tuple:
    """Load the a9a binary classification data set (LIBSVM's version of UCI Adult).

    ============  =====================================
    Classes       2 (-1, +1)
    Samples       32,561 (train), 16,281 (test)
    Features      123, binary, CSR float64
    ============  =====================================

    Parameters
    ----------
    subset : {'train', 'test'}, default='train'
        ``'train'`` is the file ``a9a``, ``'test'`` the file ``a9a.t``.
    data_home : str or path-like, default=None
        Folder to read the data from and download them to, laid out as ``libsvm_a9a/a9a``. By
        default the folder named by ``SPARSEREG_DATA``, then
        ``sklearn.datasets.get_data_home() / "sparsereg"``, where downloads go.
    %(fetch_parameters)s

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data``: CSR matrix of shape (n_samples, 123), float64 with int32 indices;
        ``target``: int64 array of -1 and +1; ``target_names``; ``DESCR``.
    %(fetch_raises)s

    Examples
    --------
    >>> from sparsereg.datasets import fetch_a9a
    >>> X, y = fetch_a9a(return_X_y=True)  # doctest: +SKIP
    >>> X.shape, int((y == 1).sum())  # doctest: +SKIP
    ((32561, 123), 7841)
    """
    from sklearn.datasets import load_svmlight_file

    _check_subset(subset)
    _, raw = _fetch_file(_A9A[subset], data_home, download_if_missing, n_retries, stall_timeout)
    # n_features: feature 123 occurs in one training row only, and never in a9a.t
    X, y = load_svmlight_file(io.BytesIO(raw), n_features=123, dtype=np.float64)
    X = X.tocsr()
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
    y = y.astype(np.int64)
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, target_names=np.array([-1, 1]), DESCR=_A9A_DESCR)


@_fetcher_doc
def fetch_sms_spam(
    *,
    data_home: FileLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    n_retries: int = 3,
    stall_timeout: float = 60,
) -> Bunch | tuple:
    """Load the SMS Spam Collection (5,574 text messages labelled ham or spam).

    ============  =====================================
    Classes       2 ('ham' 4,827, 'spam' 747)
    Samples       5,574, no train/test split
    Features      text (one str per message)
    ============  =====================================

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder to read the data from and download them to, laid out as
        ``sms_spam_collection/SMSSpamCollection``. By default the folder named by
        ``SPARSEREG_DATA``, then ``sklearn.datasets.get_data_home() / "sparsereg"``.
    %(fetch_parameters)s

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data``: list of str, the messages in file order; ``target``: array of ``'ham'`` and
        ``'spam'``; ``target_names``; ``DESCR``.
    %(fetch_raises)s

    Examples
    --------
    >>> from sparsereg.datasets import fetch_sms_spam
    >>> texts, labels = fetch_sms_spam(return_X_y=True)  # doctest: +SKIP
    >>> len(texts), int((labels == "spam").sum())  # doctest: +SKIP
    (5574, 747)
    """
    path, raw = _fetch_file(_SMS, data_home, download_if_missing, n_retries, stall_timeout)
    labels, texts = [], []
    for number, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        label, tab, text = line.partition("\t")
        if not tab or label not in ("ham", "spam"):
            raise ValueError(
                f"{path}, line {number}: expected 'ham' or 'spam', a tab, then the "
                f"message; got {line[:60]!r}"
            )
        labels.append(label)
        texts.append(text)
    target = np.array(labels)
    if return_X_y:
        return texts, target
    return Bunch(
        data=texts, target=target, target_names=np.array(["ham", "spam"]), DESCR=_SMS_DESCR
    )


def load_california_housing_mlcc(
    *, subset: str = "train", as_frame: bool = False, return_X_y: bool = False
) -> Bunch | tuple:
    """Load the Google ML crash course split of California housing, shipped with sparsereg.

    ============  =====================================
    Target        median_house_value, dollars
    Samples       17,000 (train), 3,000 (test)
    Features      8, numeric, no missing values
    ============  =====================================

    Nothing is downloaded: the two files ship compressed in ``sparsereg/data``.

    Parameters
    ----------
    subset : {'train', 'test'}, default='train'
        ``california_housing_train.csv`` or ``california_housing_test.csv``.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series, and the Bunch has ``frame``,
        the whole table (needs pandas).
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data``: array of shape (n_samples, 8) (or DataFrame); ``target``: the house values in
        dollars; ``feature_names``; ``target_names``; ``frame`` (with ``as_frame``); ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from sparsereg.datasets import load_california_housing_mlcc
    >>> X, y = load_california_housing_mlcc(subset="test", return_X_y=True)
    >>> X.shape, float(y.max())
    ((3000, 8), 500001.0)
    """
    _check_subset(subset)
    source = resources.files("sparsereg.data").joinpath(f"california_housing_{subset}.csv.gz")
    with source.open("rb") as raw, gzip.open(raw, "rt") as f:
        if as_frame:
            frame = _require_pandas("load_california_housing_mlcc(as_frame=True)").read_csv(f)
        else:
            table = np.loadtxt(f, delimiter=",", skiprows=1)
    if as_frame:
        data, target = frame[HOUSING_FEATURES], frame[HOUSING_TARGET]
    else:
        frame, data, target = None, table[:, :8], table[:, 8]
    if return_X_y:
        return data, target
    bunch = Bunch(
        data=data,
        target=target,
        feature_names=list(HOUSING_FEATURES),
        target_names=[HOUSING_TARGET],
        DESCR=_MLCC_DESCR.format(url=_MLCC[subset].url),
    )
    if as_frame:
        bunch.frame = frame
    return bunch


@_fetcher_doc
def fetch_california_housing_handson(
    *,
    data_home: FileLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    n_retries: int = 3,
    stall_timeout: float = 60,
) -> Bunch | tuple:
    """Load California housing with ``ocean_proximity`` and missing values, as pandas objects.

    ============  ==================================================
    Target        median_house_value, dollars
    Samples       20,640, no train/test split
    Features      8 numeric (total_bedrooms missing in 207 rows) and
                  ocean_proximity (5 categories, str)
    ============  ==================================================

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder to read the data from and download them to, laid out as
        ``california_housing_handson/housing.csv``. By default the folder named by
        ``SPARSEREG_DATA``, then ``sklearn.datasets.get_data_home() / "sparsereg"``.
    %(fetch_parameters)s

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data``: DataFrame of the 9 feature columns; ``target``: Series of house values in
        dollars; ``frame``: the whole table as read; ``feature_names``; ``target_names``;
        ``DESCR``. Needs pandas: the table mixes numbers, strings and missing values.
    %(fetch_raises)s

    Examples
    --------
    >>> from sparsereg.datasets import fetch_california_housing_handson
    >>> housing = fetch_california_housing_handson()  # doctest: +SKIP
    >>> int(housing.data["total_bedrooms"].isna().sum())  # doctest: +SKIP
    207
    """
    pd = _require_pandas("fetch_california_housing_handson")
    _, raw = _fetch_file(_HANDSON, data_home, download_if_missing, n_retries, stall_timeout)
    frame = pd.read_csv(io.BytesIO(raw))
    features = [c for c in frame.columns if c != HOUSING_TARGET]
    data, target = frame[features], frame[HOUSING_TARGET]
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=features,
        target_names=[HOUSING_TARGET],
        DESCR=_HANDSON_DESCR,
    )
