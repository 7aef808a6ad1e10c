"""sparsereg.datasets: where files are found, how downloads are checked and cached, the real data.

Downloads come from a mirror (SPARSEREG_DATA_MIRROR), a loopback HTTP server on 127.0.0.1
(pooch does not read file:// addresses); no test reaches anything else. Every file is checked
against its published sha256, so a test that needs a valid download serves the real file, read
from SPARSEREG_DATA (or the download cache), and is skipped where it is absent, as the tests of
the real data sets are; a test of a wrong checksum serves made-up bytes.
"""

import contextlib
import dataclasses
import functools
import gzip
import hashlib
import io
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from sparsereg.datasets import (
    fetch_a9a,
    fetch_california_housing_handson,
    fetch_sms_spam,
    load_california_housing_mlcc,
)

ROOT = Path(__file__).resolve().parents[1]
A9A_TEXT = b"-1 3:1 11:1 123:1\n+1 1:1 5:1\n-1 2:1\n"
# made-up a9a of the published a9a's size (a file of another size is refused before its hash)
A9A_SIZE = 2_329_875
A9A_SAME_SIZE = A9A_TEXT.ljust(A9A_SIZE, b"\n")
# the published sha256 of the files (MANIFEST of the data folder, and the data sets' sources)
PUBLISHED = {
    "libsvm_a9a/a9a": "f5d5ffd8d865ff41328e7ee043e4b020816914ff6843ff15b98905ddbedce906",
    "libsvm_a9a/a9a.t": "1f448a153f0320399a7e40836eb207655b0bde0f21fc941cc472193daa9f5de9",
    "sms_spam_collection/SMSSpamCollection": (
        "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d"
    ),
    "california_housing_mlcc/california_housing_train.csv": (
        "ad03b415ac056277f1c37c1cd46dddd69286619352f2b2b2b1bd0ee8027715aa"
    ),
    "california_housing_mlcc/california_housing_test.csv": (
        "d1a02d81a735b806d9654c13a83704bb072aac48ae46edc6181616e43b334491"
    ),
}
SMS_ZIP = "sms_spam_collection/sms+spam+collection.zip"  # where the SMS archive is on a mirror
# where the real data sets' files are looked for, as the fetchers do: read before a test's
# monkeypatch moves SPARSEREG_DATA and scikit-learn's data home (SCIKIT_LEARN_DATA) away
REAL_DATA_FOLDERS = [
    Path(folder).expanduser()
    for folder in (
        os.environ.get("SPARSEREG_DATA"),
        os.path.join(os.environ.get("SCIKIT_LEARN_DATA", "~/scikit_learn_data"), "sparsereg"),
    )
    if folder
]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def real_file(relative):
    """The bytes of a real data set's file (from SPARSEREG_DATA, then the download cache), or
    skip the test, as the fetchers' tests do where the data are absent."""
    for folder in REAL_DATA_FOLDERS:
        path = folder / relative
        if path.is_file():
            return path.read_bytes()
    pytest.skip(f"{relative} not found in SPARSEREG_DATA or the download cache")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No SPARSEREG_DATA or SPARSEREG_DATA_MIRROR, and scikit-learn's data home (the download
    cache's parent) in tmp_path."""
    monkeypatch.delenv("SPARSEREG_DATA", raising=False)
    monkeypatch.delenv("SPARSEREG_DATA_MIRROR", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))
    return tmp_path / "scikit_learn_data" / "sparsereg"


@pytest.fixture
def server(isolated, tmp_path, monkeypatch):
    """An HTTP server on 127.0.0.1 serving ``root``, named by SPARSEREG_DATA_MIRROR: every
    download comes from it; ``requests`` lists the paths asked for. ``streams`` maps a path to
    a function returning the chunks to send instead (``sent``: how many bytes were sent,
    ``ended``: set once the client closed the connection or all were sent)."""
    root = tmp_path / "remote"
    root.mkdir()
    seen, streams, sent, ended = [], {}, {}, {}

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            seen.append(self.path)
            if self.path not in streams:
                return super().do_GET()
            self.send_response(200)  # (no Content-Length: a body that ends when it ends)
            self.end_headers()
            sent[self.path], ended[self.path] = 0, threading.Event()
            try:
                for chunk in streams[self.path]():
                    self.wfile.write(chunk)
                    sent[self.path] += len(chunk)
            except OSError:  # (the client closed the connection)
                pass
            finally:
                ended[self.path].set()
            self.close_connection = True

        def log_message(self, *args):
            pass

    for var in ("http_proxy", "https_proxy", "all_proxy"):  # keep requests on the loopback
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_port}"
    monkeypatch.setenv("SPARSEREG_DATA_MIRROR", url)
    try:
        yield SimpleNamespace(
            root=root, url=url, requests=seen, streams=streams, sent=sent, ended=ended
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def serve(server, relative, content):
    """Put ``content`` at ``relative`` on the mirror; returns the path a download asks for."""
    path = server.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return f"/{relative}"


def local_copy(folder, relative, content):
    path = folder / relative
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    return path


def no_pooch(monkeypatch):
    monkeypatch.setitem(sys.modules, "pooch", None)  # any `import pooch` now raises ImportError


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def a9a_test_is_whole(X, y):
    """a9a.t as published: its shape, non-zeros, labels, the dtypes fetch_a9a promises."""
    assert sp.isspmatrix_csr(X) and X.shape == (16281, 123) and X.nnz == 225_731
    assert X.dtype == np.float64 and X.indices.dtype == np.int32 and X.indptr.dtype == np.int32
    assert y.dtype == np.int64 and np.sum(y == 1) == 3846 and np.sum(y == -1) == 12435


# ------------------------------------------------------------------------ downloads


def test_download_lands_checked_and_is_not_repeated(server, isolated, tmp_path):
    content = real_file("libsvm_a9a/a9a.t")
    served = serve(server, "libsvm_a9a/a9a.t", content)
    home = tmp_path / "home"
    X, y = fetch_a9a(subset="test", data_home=home, return_X_y=True)
    a9a_test_is_whole(X, y)
    assert (home / "libsvm_a9a" / "a9a.t").read_bytes() == content
    assert os.listdir(home / "libsvm_a9a") == ["a9a.t"]  # no temporary file or folder left
    assert server.requests == [served]

    (server.root / served[1:]).unlink()  # a second download would now fail
    X2, y2 = fetch_a9a(subset="test", data_home=home, return_X_y=True)
    assert server.requests == [served]
    assert (X2 != X).nnz == 0 and y2.tolist() == y.tolist()
    assert not isolated.exists()  # with data_home given, the default cache is not touched


def test_default_download_goes_to_the_scikit_learn_data_home(server, isolated):
    content = real_file("libsvm_a9a/a9a.t")
    serve(server, "libsvm_a9a/a9a.t", content)
    bunch = fetch_a9a(subset="test")
    assert (isolated / "libsvm_a9a" / "a9a.t").read_bytes() == content
    a9a_test_is_whole(bunch.data, bunch.target)
    assert "a9a" in bunch.DESCR and bunch.target_names.tolist() == [-1, 1]


def test_wrong_checksum_raises_and_caches_nothing(server, isolated, tmp_path):
    served = serve(server, "libsvm_a9a/a9a", A9A_SAME_SIZE)  # not the published a9a
    home = tmp_path / "home"
    with pytest.raises(OSError) as info:
        fetch_a9a(data_home=home, n_retries=0)
    message = str(info.value)
    assert f"a9a downloaded from {server.url}{served}" in message
    assert PUBLISHED["libsvm_a9a/a9a"] in message and sha256(A9A_SAME_SIZE) in message
    assert os.listdir(home / "libsvm_a9a") == []
    with pytest.raises(FileNotFoundError):
        fetch_a9a(data_home=home, download_if_missing=False)
    assert server.requests == [served]


def test_zip_member_is_extracted_checked_and_the_archive_dropped(server, isolated, tmp_path):
    content = real_file("sms_spam_collection/SMSSpamCollection")
    served = serve(server, SMS_ZIP, zip_bytes({"readme": "x", "SMSSpamCollection": content}))
    home = tmp_path / "home"
    sms = fetch_sms_spam(data_home=home)
    lines = content.decode("utf-8").splitlines()
    assert sms.data == [line.partition("\t")[2] for line in lines]
    assert sms.target.tolist() == [line.partition("\t")[0] for line in lines]
    assert len(sms.data) == 5574 and int((sms.target == "spam").sum()) == 747
    assert any("\u00a3" in text for text in sms.data)  # decoded as UTF-8
    assert os.listdir(home / "sms_spam_collection") == ["SMSSpamCollection"]
    assert (home / "sms_spam_collection" / "SMSSpamCollection").read_bytes() == content
    fetch_sms_spam(data_home=home)
    assert server.requests == [served]


@pytest.mark.parametrize(
    "members, expected",
    [
        ({"readme": "x"}, "no member 'SMSSpamCollection'"),
        ({"SMSSpamCollection": b"ham\tother text\n"}, "is 15 bytes, not the published 477,907"),
    ],
)
def test_a_bad_archive_raises_and_caches_nothing(server, isolated, tmp_path, members, expected):
    serve(server, SMS_ZIP, zip_bytes(members))
    with pytest.raises(OSError, match=expected):
        fetch_sms_spam(data_home=tmp_path / "home", n_retries=0)
    assert os.listdir(tmp_path / "home" / "sms_spam_collection") == []


@contextlib.contextmanager
def closed_port():
    """A loopback port nothing listens on: a download from it is refused, as from a machine
    with no network. Held bound (not listening) for the block, so that no other process (a
    test server of another worker) takes it meanwhile."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@contextlib.contextmanager
def files_limited_to(size):
    """Any write that would make a file larger than ``size`` bytes fails (EFBIG) within the
    block: what a download writes to disk is bounded without filling the disk."""
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if hard != resource.RLIM_INFINITY and hard < size:
        pytest.skip(f"the hard limit of file sizes is {hard} bytes")
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # (else the process is killed)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


A9A_T_SIZE = 1_164_628  # the published size of a9a.t


def test_a_download_larger_than_published_stops_and_the_right_file_works(
    server, isolated, tmp_path
):
    # (a mirror sending a huge or endless file had it written to disk whole, then refused by
    # size: 100 times a9a.t's size here, or a disk filled)
    path = "/libsvm_a9a/a9a.t"
    chunk = b"+1 7:1\n" * 8192
    total = 100 * A9A_T_SIZE
    server.streams[path] = lambda: (chunk for _ in range(total // len(chunk) + 1))
    home = tmp_path / "home"
    with files_limited_to(A9A_T_SIZE + 1024), pytest.raises(ValueError) as info:
        fetch_a9a(subset="test", data_home=home, n_retries=2)
    message = str(info.value)
    assert isinstance(info.value, OSError)  # as every file not of the published size
    assert f"{server.url}{path} sent more than the published size" in message
    assert "1,164,628 bytes" in message and str(home / "libsvm_a9a") in message
    assert server.requests == [path]  # refused, not tried again
    assert os.listdir(home / "libsvm_a9a") == []
    assert server.ended[path].wait(timeout=30)  # the client closed the connection early
    assert server.sent[path] < total // 10

    del server.streams[path]
    serve(server, path[1:], real_file("libsvm_a9a/a9a.t"))
    X, y = fetch_a9a(subset="test", data_home=home, return_X_y=True)
    a9a_test_is_whole(X, y)
    assert os.listdir(home / "libsvm_a9a") == ["a9a.t"]


def test_a_download_shorter_than_published_is_refused(server, isolated, tmp_path):
    # (refused by the OSError of the size check after it was saved: now a ValueError too)
    path = serve(server, "libsvm_a9a/a9a.t", b"+1 7:1\n" * 1000)
    home = tmp_path / "home"
    with pytest.raises(ValueError, match=re.escape(f"{path} sent 7,000 bytes, not the publish")):
        fetch_a9a(subset="test", data_home=home, n_retries=0)
    assert os.listdir(home / "libsvm_a9a") == []


def test_an_archive_larger_than_its_member_allows_stops(server, isolated, tmp_path):
    path = f"/{SMS_ZIP}"
    server.streams[path] = lambda: (b"PK" * 32768 for _ in range(1000))  # 64 MiB
    with files_limited_to(477_907 + 2**20 + 1024), pytest.raises(ValueError) as info:
        fetch_sms_spam(data_home=tmp_path / "home", n_retries=0)
    assert "sent more than the 1,526,483 bytes an archive of sms_spam_collection/" in str(
        info.value
    )
    assert os.listdir(tmp_path / "home" / "sms_spam_collection") == []


@pytest.mark.skipif(sys.platform == "win32", reason="file modes and the umask are POSIX's")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
@pytest.mark.parametrize("name", ["a9a", "sms"])
def test_a_downloaded_file_is_made_as_the_umask_allows(
    server, isolated, tmp_path, umask, mode, name
):
    # (the downloaded a9a files were kept with the mode 0600 of a temporary file: a data cache
    # shared by a group could not be read by the group)
    if name == "a9a":
        serve(server, "libsvm_a9a/a9a.t", real_file("libsvm_a9a/a9a.t"))
        fetch, kept = functools.partial(fetch_a9a, subset="test"), "libsvm_a9a/a9a.t"
    else:
        content = real_file("sms_spam_collection/SMSSpamCollection")
        serve(server, SMS_ZIP, zip_bytes({"SMSSpamCollection": content}))
        fetch, kept = fetch_sms_spam, "sms_spam_collection/SMSSpamCollection"
    previous = os.umask(umask)
    try:
        fetch(data_home=tmp_path / "home", n_retries=0)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "home" / kept).st_mode) == mode


@pytest.mark.parametrize("where", ["unreachable", "not served"])
def test_a_failed_download_names_the_file_and_what_to_set(server, isolated, monkeypatch, where):
    # (the error was requests' own, naming a URL only: not the data set's file, its sha256, nor
    # SPARSEREG_DATA, data_home or the mirror)
    with contextlib.ExitStack() as held:
        if where == "unreachable":
            port = held.enter_context(closed_port())
            monkeypatch.setenv("SPARSEREG_DATA_MIRROR", f"http://127.0.0.1:{port}")
        url = f"{os.environ['SPARSEREG_DATA_MIRROR']}/libsvm_a9a/a9a.t"
        with pytest.raises(OSError) as info:
            fetch_a9a(subset="test", n_retries=0)
    message = str(info.value)
    assert f"could not download libsvm_a9a/a9a.t from {url}" in message
    assert PUBLISHED["libsvm_a9a/a9a.t"] in message
    for advice in ("SPARSEREG_DATA", "data_home=", "SPARSEREG_DATA_MIRROR"):
        assert advice in message
    assert os.listdir(isolated / "libsvm_a9a") == []  # nothing saved, no partial file


def test_download_without_pooch_says_what_to_install(isolated, monkeypatch, tmp_path):
    no_pooch(monkeypatch)
    with pytest.raises(ImportError, match=r"pip install 'sparsereg\[datasets\]'.*SPARSEREG_DATA"):
        fetch_a9a(data_home=tmp_path / "empty")


# ------------------------------------------------------------------------ the mirror


def test_mirror_may_have_a_path_and_a_trailing_slash(server, isolated, monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEREG_DATA_MIRROR", f"{server.url}/data/sets/")
    served = serve(server, "data/sets/libsvm_a9a/a9a.t", b"+1 7:1\n")
    with pytest.raises(OSError, match=re.escape(f"{server.url}{served} sent 7 bytes, not the")):
        fetch_a9a(subset="test", data_home=tmp_path / "home", n_retries=0)
    assert server.requests == [served]


def test_without_download_the_mirror_address_is_named(server, isolated, tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        fetch_sms_spam(data_home=tmp_path / "home", download_if_missing=False)
    assert f"allow the download from {server.url}/{SMS_ZIP}." in str(info.value)
    assert server.requests == []


def test_an_empty_mirror_is_unset(isolated, monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEREG_DATA_MIRROR", "")  # as an empty SPARSEREG_DATA
    with pytest.raises(FileNotFoundError) as info:
        fetch_a9a(data_home=tmp_path / "home", download_if_missing=False)
    assert "allow the download from https://www.csie.ntu.edu.tw/" in str(info.value)


@pytest.mark.parametrize(
    "mirror",
    [
        "ftp://127.0.0.1/data",
        "http://user:secret@127.0.0.1/data",
        "http://user@127.0.0.1/data",
        "file:///srv/data",
        "127.0.0.1/data",
        "http://",
        "http:///data",
        "http://127.0.0.1:port/data",
        "http://127.0.0.1:0/data",
        "http://127.0.0.1:65536/data",
        "http://[127.0.0.1/data",
        "https://127.0.0.1/data?token=1",
        "https://127.0.0.1/data#top",
        " http://127.0.0.1/data",
        "http://127.0.0.1/my data",
        "http://127.0.0.1/data\n",
    ],
)
def test_mirror_must_be_an_http_address(isolated, monkeypatch, tmp_path, mirror):
    monkeypatch.setenv("SPARSEREG_DATA_MIRROR", mirror)
    no_pooch(monkeypatch)  # refused before pooch is needed, with nothing created
    with pytest.raises(ValueError, match=r"SPARSEREG_DATA_MIRROR=.* is not an http:// or"):
        fetch_a9a(data_home=tmp_path / "home")
    assert not (tmp_path / "home").exists()
    # nothing to download: the file is not found, whatever the mirror (the public address named)
    with pytest.raises(FileNotFoundError, match="allow the download from https://www.csie"):
        fetch_a9a(data_home=tmp_path / "home", download_if_missing=False)


# ------------------------------------------------------------------------ local copies


def test_sparsereg_data_is_read_without_pooch_or_download(server, isolated, monkeypatch, tmp_path):
    local_copy(tmp_path / "copy", "libsvm_a9a/a9a.t", real_file("libsvm_a9a/a9a.t"))
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "copy"))
    no_pooch(monkeypatch)
    X, y = fetch_a9a(subset="test", return_X_y=True)
    a9a_test_is_whole(X, y)
    assert not isolated.exists() and server.requests == []
    with pytest.raises(FileNotFoundError):  # data_home, when given, is the only place looked in
        fetch_a9a(subset="test", data_home=tmp_path / "elsewhere", download_if_missing=False)


def test_local_copy_is_checksum_checked_and_left_alone(server, isolated, monkeypatch, tmp_path):
    path = local_copy(tmp_path / "copy", "libsvm_a9a/a9a", A9A_SAME_SIZE)  # not the published
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "copy"))
    with pytest.raises(OSError) as info:
        fetch_a9a()
    message = str(info.value)
    assert str(path) in message and PUBLISHED["libsvm_a9a/a9a"] in message
    assert sha256(A9A_SAME_SIZE) in message
    assert path.read_bytes() == A9A_SAME_SIZE
    assert server.requests == [] and not isolated.exists()  # not downloaded instead


def test_nothing_found_without_download_says_where_it_looked(isolated, monkeypatch, tmp_path):
    (tmp_path / "copy").mkdir()
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "copy"))
    with pytest.raises(FileNotFoundError) as info:
        fetch_a9a(subset="test", download_if_missing=False)
    message = str(info.value)
    assert str(tmp_path / "copy" / "libsvm_a9a" / "a9a.t") in message
    assert str(isolated / "libsvm_a9a" / "a9a.t") in message
    assert "SPARSEREG_DATA" in message and "download_if_missing=False" in message


@pytest.mark.parametrize("where", ["cache", "SPARSEREG_DATA"])
@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_folder_in_the_place_of_a_file_is_refused_before_downloading(
    server, isolated, monkeypatch, tmp_path, where, what
):
    # (a folder at the file's place in the cache was found after the download, by the final
    # rename's raw IsADirectoryError; in SPARSEREG_DATA, the copy was passed over and the file
    # downloaded instead; the data set's folder a file: mkdir's FileExistsError)
    serve(server, "libsvm_a9a/a9a.t", b"+1 7:1\n")  # (what a download would have got)
    folder = isolated if where == "cache" else tmp_path / "copy"
    if where == "SPARSEREG_DATA":
        monkeypatch.setenv("SPARSEREG_DATA", str(folder))
    folder.mkdir(parents=True)
    if what == "file":
        (folder / "libsvm_a9a" / "a9a.t" / "old").mkdir(parents=True)
        wrong = folder / "libsvm_a9a" / "a9a.t"
    else:
        wrong = folder / "libsvm_a9a"
        wrong.write_bytes(b"")
    with pytest.raises(OSError) as info:
        fetch_a9a(subset="test", n_retries=0)
    message = str(info.value)
    assert f"{wrong} is not a {what}" in message and "remove it" in message
    assert server.requests == []


def test_sparsereg_data_must_be_a_directory(isolated, monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "typo"))
    with pytest.raises(NotADirectoryError, match="SPARSEREG_DATA=.*typo"):
        fetch_sms_spam(download_if_missing=False)


# Another process that replaces a file while a fetcher has it open, at a moment made certain by
# the kernel rather than by luck: it holds a write lease on the file (Linux, fcntl F_SETLEASE),
# so the fetcher's open() of it blocks until the lease is given up. Told of the open by SIGIO,
# the writer renames the replacement over the path, then gives the lease up. The blocked open
# goes on with the file its path lookup had found, so the fetcher gets the old bytes from that
# open and the replacement from any later one (a read of the file after its check).
LEASE_WRITER = r"""
import errno, fcntl, os, signal, sys

path, replacement = sys.argv[1:]
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGIO})
F_SETLEASE = getattr(fcntl, "F_SETLEASE", 1024)
# first a file nobody else opened: a refusal there is the kernel's or the file system's (some
# refuse every write lease with EAGAIN), not a sign that a fetcher kept a file open
control = os.open(replacement, os.O_RDONLY)
try:
    fcntl.fcntl(control, F_SETLEASE, fcntl.F_WRLCK)
    fcntl.fcntl(control, F_SETLEASE, fcntl.F_UNLCK)
except OSError as exc:
    sys.exit(f"no lease: {exc}")
os.close(control)
fd = os.open(path, os.O_RDONLY)
try:
    fcntl.fcntl(fd, F_SETLEASE, fcntl.F_WRLCK)
except OSError as exc:  # EAGAIN: the file is open elsewhere (a fetcher kept it open), no skip
    sys.exit(f"{'open elsewhere' if exc.errno == errno.EAGAIN else 'no lease'}: {exc}")
print("leased", flush=True)
if signal.sigtimedwait({signal.SIGIO}, 20) is None:
    sys.exit(f"nothing opened {path}")
os.replace(replacement, path)
fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
"""


@pytest.fixture
def replace_when_opened():
    """``replace_when_opened(path, content)`` starts a LEASE_WRITER for ``path``; it returns a
    function that waits for the writer and says whether it replaced the file (which it does
    once something opened the file, before that open returns)."""
    if sys.platform != "linux":
        pytest.skip("the writer's lease (fcntl F_SETLEASE) is Linux's")
    writers = []

    def start(path, content):
        replacement = path.with_name(path.name + ".replacement")
        replacement.write_bytes(content)
        writer = subprocess.Popen(
            [sys.executable, "-c", LEASE_WRITER, str(path), str(replacement)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        writers.append(writer)
        if writer.stdout.readline() != "leased\n":
            error = writer.communicate(timeout=30)[1]
            if "no lease" in error:
                pytest.skip(f"{path.parent} refuses leases: {error.strip()}")
            raise AssertionError(error)

        def replaced():
            error = writer.communicate(timeout=30)[1]
            assert writer.returncode == 0, error
            return not replacement.exists()

        return replaced

    yield start
    for writer in writers:
        if writer.poll() is None:
            writer.kill()
        writer.communicate()


def a9a_rows(X_y):
    return X_y[0].shape, X_y[0].indices.tolist(), X_y[0].indptr.tolist(), X_y[1].tolist()


def sms_rows(X_y):
    return X_y[0], X_y[1].tolist()


def housing_rows(X_y):
    return X_y[0].to_csv(), X_y[1].tolist()


# each fetcher, the place of its real file in a data folder (the layout the module's docstring
# gives), and what the fetcher returns as plain values
FETCHERS = {
    "a9a": (fetch_a9a, "libsvm_a9a/a9a", a9a_rows),
    "sms": (fetch_sms_spam, "sms_spam_collection/SMSSpamCollection", sms_rows),
    "housing": (
        fetch_california_housing_handson,
        "california_housing_handson/housing.csv",
        housing_rows,
    ),
}


@pytest.mark.parametrize("name", FETCHERS)
def test_the_data_returned_are_the_bytes_checked(tmp_path, replace_when_opened, name):
    # (each fetcher checked the file's sha256, then opened it again to parse it: a file replaced
    # in between was read unchecked) A real file that another process cuts to its first lines
    # while a fetcher has it open.
    fetch, relative, rows = FETCHERS[name]
    content = real_file(relative)
    if name == "housing":
        pytest.importorskip("pandas")
    path = local_copy(tmp_path / "copy", relative, content)
    expected = rows(fetch(data_home=tmp_path / "copy", return_X_y=True))
    head = b"".join(content.splitlines(keepends=True)[:3])
    replaced = replace_when_opened(path, head)
    assert rows(fetch(data_home=tmp_path / "copy", return_X_y=True)) == expected
    assert replaced() and path.read_bytes() == head  # replaced while the fetcher had it open
    with pytest.raises(OSError, match="not the published"):  # and is checked at the next read
        fetch(data_home=tmp_path / "copy")


def test_a_download_returns_the_bytes_checked(
    server, isolated, monkeypatch, tmp_path, replace_when_opened
):
    # The downloaded file is replaced once pooch has it in place and before the fetcher opens
    # it to check it. Nothing public happens between those two moments but the return of
    # pooch's public Pooch.fetch, so the writer is started there (sparsereg is not patched).
    pooch = pytest.importorskip("pooch")
    serve(server, "libsvm_a9a/a9a.t", real_file("libsvm_a9a/a9a.t"))
    download, replaced = pooch.Pooch.fetch, []

    def download_then_replace(self, *args, **kwargs):
        path = download(self, *args, **kwargs)
        replaced.append(replace_when_opened(Path(path), b"+1 7:1\n"))
        return path

    monkeypatch.setattr(pooch.Pooch, "fetch", download_then_replace)
    home = tmp_path / "home"
    X, y = fetch_a9a(subset="test", data_home=home, return_X_y=True)
    assert len(replaced) == 1 and replaced[0]()  # replaced while the fetcher had it open
    a9a_test_is_whole(X, y)
    # what the fetcher then moved into the cache is the replacement, checked at its next read
    assert (home / "libsvm_a9a" / "a9a.t").read_bytes() == b"+1 7:1\n"
    with pytest.raises(OSError, match="not the published"):
        fetch_a9a(subset="test", data_home=home)


def test_subset_is_validated():
    with pytest.raises(ValueError, match="subset must be 'train' or 'test', got 'valid'"):
        fetch_a9a(subset="valid")
    with pytest.raises(ValueError, match="subset must be 'train' or 'test'"):
        load_california_housing_mlcc(subset="all")


@pytest.mark.parametrize("where", ["cache", "SPARSEREG_DATA"])
def test_a_broken_link_in_the_place_of_a_data_set_folder_is_refused_naming_it(
    server, isolated, monkeypatch, tmp_path, where
):
    # (in the cache, mkdir raised a raw FileExistsError naming the folder only)
    serve(server, "libsvm_a9a/a9a.t", b"+1 7:1\n")
    folder = isolated if where == "cache" else tmp_path / "copy"
    if where == "SPARSEREG_DATA":
        monkeypatch.setenv("SPARSEREG_DATA", str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "libsvm_a9a").symlink_to(tmp_path / "unmounted")
    with pytest.raises(OSError) as info:
        fetch_a9a(subset="test", n_retries=0)
    message = str(info.value)
    assert f"{folder / 'libsvm_a9a'} is a symbolic link to {tmp_path / 'unmounted'}" in message
    assert "remove it" in message and PUBLISHED["libsvm_a9a/a9a.t"] in message
    assert server.requests == []


@pytest.mark.parametrize("in_the_way", ["broken link", "file"])
def test_a_data_home_that_cannot_be_a_folder_is_refused_naming_it(
    server, isolated, tmp_path, in_the_way
):
    # (mkdir raised a raw "[Errno 17] File exists" for a broken link, "[Errno 20] Not a
    # directory" naming the data set's folder for a file)
    serve(server, "libsvm_a9a/a9a.t", b"+1 7:1\n")
    home = tmp_path / "home"
    if in_the_way == "file":
        home.write_bytes(b"")
    else:
        home.symlink_to(tmp_path / "unmounted")
    with pytest.raises(NotADirectoryError) as info:
        fetch_a9a(subset="test", data_home=home, n_retries=0)
    message = str(info.value)
    assert f"cannot make the folder {home / 'libsvm_a9a'} to download a9a.t" in message
    assert str(home) in message.partition(": ")[2] and "point data_home elsewhere" in message
    assert server.requests == [] and not (tmp_path / "unmounted").exists()


@pytest.fixture
def small_a9a_test(monkeypatch):
    """The registry's a9a.t made A9A_TEXT (its sha256 and size): downloads of it need no real
    file."""
    from sparsereg import datasets

    published = datasets._A9A["test"]
    small = dataclasses.replace(published, sha256=sha256(A9A_TEXT), size=len(A9A_TEXT))
    monkeypatch.setitem(datasets._A9A, "test", small)


def test_a_download_killed_midway_leaves_nothing_for_ever(server, isolated, small_a9a_test):
    # the temporary folder of a download whose process was killed (SIGKILL, a power cut) was
    # kept for ever beside the file, each new one beside the last
    served = serve(server, "libsvm_a9a/a9a.t", A9A_TEXT)
    abandoned = isolated / "libsvm_a9a" / ".a9a.t.part-k1ll3d"
    abandoned.mkdir(parents=True)
    (abandoned / "a9a.t").write_bytes(A9A_TEXT[:9])
    other = isolated / "libsvm_a9a" / ".a9a.part-0ther"  # another file's: not this download's
    other.mkdir()
    X, y = fetch_a9a(subset="test", return_X_y=True, n_retries=0)
    assert X.shape == (3, 123) and y.tolist() == [-1, 1, -1]
    assert sorted(os.listdir(isolated / "libsvm_a9a")) == [".a9a.part-0ther", "a9a.t"]
    assert server.requests == [served]


@pytest.mark.skipif(sys.platform == "win32", reason="the lock is fcntl's flock")
def test_a_download_waits_for_one_under_way_and_takes_its_file(server, isolated, small_a9a_test):
    # two processes downloading a file at once each downloaded it; with the temporary
    # folders of killed downloads now removed, one must not remove those of a live one
    import fcntl

    serve(server, "libsvm_a9a/a9a.t", A9A_TEXT)
    folder = isolated / "libsvm_a9a"
    folder.mkdir(parents=True)
    live = folder / ".a9a.t.part-l1ve"  # the other download's, under way
    live.mkdir()
    other = os.open(folder, os.O_RDONLY)  # its lock on the data set's folder
    fcntl.flock(other, fcntl.LOCK_EX)
    results = []
    waiting = threading.Thread(
        target=lambda: results.append(fetch_a9a(subset="test", return_X_y=True, n_retries=0))
    )
    waiting.start()
    try:
        waiting.join(timeout=0.5)
        assert waiting.is_alive() and live.is_dir()  # it waits, and leaves the folder alone
        (folder / "a9a.t").write_bytes(A9A_TEXT)  # the other download ends
        live.rmdir()
    finally:
        os.close(other)
        waiting.join(timeout=30)
    assert len(results) == 1 and results[0][1].tolist() == [-1, 1, -1]
    assert server.requests == []  # the file the other download left, not a second download


@pytest.fixture
def lock_held_elsewhere(isolated):
    """The cache's libsvm_a9a folder locked as another process's download locks it, with that
    download's temporary folder: yields the folder, ``live`` (the temporary folder) and
    ``release``; the lock is released at the end of the test at the latest."""
    fcntl = pytest.importorskip("fcntl")
    folder = isolated / "libsvm_a9a"
    folder.mkdir(parents=True)
    live = folder / ".a9a.t.part-l1ve"
    live.mkdir()
    other = os.open(folder, os.O_RDONLY)
    fcntl.flock(other, fcntl.LOCK_EX)
    released = []

    def release():
        if not released:
            released.append(os.close(other))

    try:
        yield SimpleNamespace(folder=folder, live=live, release=release)
    finally:
        release()


def fetch_in_a_thread(**kwargs):
    """Start fetch_a9a(subset="test", **kwargs) in a thread; returns the thread and the list
    that receives its result or its exception."""
    outcome = []

    def fetch():
        try:
            outcome.append(fetch_a9a(subset="test", return_X_y=True, n_retries=0, **kwargs))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=fetch, daemon=True)
    thread.start()
    return thread, outcome


def test_a_download_gives_up_on_one_that_makes_no_progress(server, lock_held_elsewhere):
    # (a stopped (SIGSTOP) or hung process holding the data set folder's lock made every
    # other download of it wait for ever)
    held = lock_held_elsewhere
    (held.live / "tmp1234").write_bytes(b"+1 7:1\n")  # its partial download, which never grows
    thread, outcome = fetch_in_a_thread(stall_timeout=0.3)
    thread.join(timeout=20)
    held.release()
    thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], TimeoutError)
    message = str(outcome[0])
    assert f"another download into {held.folder} holds the folder's lock" in message
    assert ".a9a.t.part-l1ve" in message and "0.3 s (stall_timeout)" in message
    assert os.listdir(held.folder) == [held.live.name]  # its download left alone
    assert server.requests == []


def test_a_download_waits_for_one_that_makes_progress(server, lock_held_elsewhere, small_a9a_test):
    held = lock_held_elsewhere
    # 2 s of a download, a step each 0.1 s: the waiter, which looks every 0.25 s at most, gives
    # up only if no step lands for 1.5 s (with 0.3 s, a step 0.1 s late on a busy machine did)
    thread, outcome = fetch_in_a_thread(stall_timeout=1.5)
    with open(held.live / "tmp1234", "wb") as partial:
        for _ in range(20):
            partial.write(A9A_TEXT)
            partial.flush()
            thread.join(timeout=0.1)
    assert thread.is_alive()  # still waiting, after more than stall_timeout in all
    (held.folder / "a9a.t").write_bytes(A9A_TEXT)  # the other download ends
    shutil.rmtree(held.live)
    held.release()
    thread.join(timeout=30)
    assert len(outcome) == 1 and not isinstance(outcome[0], Exception), outcome
    assert outcome[0][1].tolist() == [-1, 1, -1]
    assert server.requests == []  # the file the other download left


@pytest.mark.parametrize(
    "stall_timeout, error",
    [
        (0, ValueError),
        (-1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (1e10, ValueError),  # (an OverflowError of the socket's timeout, mid-download)
        pytest.param(10**400, ValueError, id="10**400"),  # (an OverflowError: no float)
        ("60", TypeError),
        (None, TypeError),
        (True, TypeError),
    ],
)
def test_stall_timeout_is_validated_before_anything_is_made(server, tmp_path, stall_timeout, error):
    # (the server: a value not refused is tried on the loopback, never on the network)
    home = tmp_path / "home"
    with pytest.raises(error, match=r"stall_timeout must be a .*number of seconds > 0.*, got"):
        fetch_a9a(subset="test", data_home=home, stall_timeout=stall_timeout)
    assert not home.exists()


@pytest.mark.parametrize("where", ["cache", "SPARSEREG_DATA"])
def test_a_broken_link_in_the_place_of_a_file_is_refused_naming_it(
    server, isolated, monkeypatch, tmp_path, where
):
    # (in SPARSEREG_DATA it was passed over and the file downloaded into the cache instead; in
    # the cache the download replaced the link)
    serve(server, "libsvm_a9a/a9a.t", b"+1 7:1\n")
    folder = isolated if where == "cache" else tmp_path / "copy"
    if where == "SPARSEREG_DATA":
        monkeypatch.setenv("SPARSEREG_DATA", str(folder))
    (folder / "libsvm_a9a").mkdir(parents=True)
    (folder / "libsvm_a9a" / "a9a.t").symlink_to(tmp_path / "unmounted" / "a9a.t")
    with pytest.raises(FileNotFoundError) as info:
        fetch_a9a(subset="test", n_retries=0)
    message = str(info.value)
    link = folder / "libsvm_a9a" / "a9a.t"
    assert f"{link} is a symbolic link to {tmp_path / 'unmounted' / 'a9a.t'}, which" in message
    assert "remove it" in message and PUBLISHED["libsvm_a9a/a9a.t"] in message
    assert server.requests == [] and (folder / "libsvm_a9a" / "a9a.t").is_symlink()


def test_a_file_of_another_size_is_refused_before_it_is_read(isolated, monkeypatch, tmp_path):
    # (a link to a large file, or the file itself, was read whole, then hashed: a link to a
    # file of 64 GiB was a MemoryError; one to a device such as /dev/zero was passed over)
    copy = tmp_path / "copy" / "libsvm_a9a"
    copy.mkdir(parents=True)
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "copy"))
    large = tmp_path / "large"
    with open(large, "wb") as f:
        f.truncate(8 * 2**20)  # (sparse: no disk)
    (copy / "a9a").symlink_to(large)
    with pytest.raises(OSError, match=r"a9a is 8,388,608 bytes, not the published 2,329,875"):
        fetch_a9a(download_if_missing=False)
    if os.path.exists("/dev/zero"):
        (copy / "a9a.t").symlink_to("/dev/zero")
        with pytest.raises(OSError, match=r"a9a.t is not a regular file, where .* looked for"):
            fetch_a9a(subset="test", download_if_missing=False)


@pytest.mark.parametrize(
    "n_retries, error",
    [(-1, ValueError), ("2", TypeError), (2.5, TypeError), (None, TypeError), (True, TypeError)],
)
def test_n_retries_is_validated_before_anything_is_made(isolated, tmp_path, n_retries, error):
    # (pooch got it as given: -1 made no attempt and a FileNotFoundError of a temporary file
    # followed; "2", 2.5 and None raised TypeErrors of pooch's arithmetic, naming nothing)
    home = tmp_path / "home"
    with pytest.raises(error, match=r"n_retries must be an int >= 0, got"):
        fetch_a9a(subset="test", data_home=home, n_retries=n_retries)
    assert not home.exists()


# ------------------------------------------------------------------------ the real data


def test_a9a(local_dataset):
    train = local_dataset(fetch_a9a)
    assert train.data.shape == (32561, 123) and train.data.nnz == 451_592
    assert np.all(train.data.data == 1.0)
    assert np.sum(train.target == 1) == 7841 and np.sum(train.target == -1) == 24720
    X, y = local_dataset(fetch_a9a, subset="test", return_X_y=True)
    assert X.shape == (16281, 123) and X.nnz == 225_731 and np.sum(y == 1) == 3846


def test_sms_spam(local_dataset):
    texts, labels = local_dataset(fetch_sms_spam, return_X_y=True)
    assert len(texts) == labels.size == 5574
    assert np.sum(labels == "spam") == 747 and np.sum(labels == "ham") == 4827
    assert all(isinstance(t, str) and t for t in texts)


def test_california_housing_handson(local_dataset):
    housing = local_dataset(fetch_california_housing_handson)
    assert housing.frame.shape == (20640, 10) and housing.data.shape == (20640, 9)
    assert int(housing.data["total_bedrooms"].isna().sum()) == 207
    assert housing.frame.isna().sum().sum() == 207
    assert housing.data["ocean_proximity"].value_counts().to_dict() == {
        "<1H OCEAN": 9136,
        "INLAND": 6551,
        "NEAR OCEAN": 2658,
        "NEAR BAY": 2290,
        "ISLAND": 5,
    }
    assert housing.target.max() == 500001


@pytest.mark.parametrize("subset, rows", [("train", 17000), ("test", 3000)])
def test_bundled_california_housing_mlcc_is_the_published_file(subset, rows):
    source = resources.files("sparsereg.data").joinpath(f"california_housing_{subset}.csv.gz")
    with source.open("rb") as f:
        published = PUBLISHED[f"california_housing_mlcc/california_housing_{subset}.csv"]
        assert sha256(gzip.decompress(f.read())) == published
    X, y = load_california_housing_mlcc(subset=subset, return_X_y=True)
    assert X.shape == (rows, 8) and y.shape == (rows,) and not np.isnan(X).any()
    frame = load_california_housing_mlcc(subset=subset, as_frame=True)
    assert list(frame.frame.columns) == frame.feature_names + frame.target_names
    np.testing.assert_array_equal(frame.data.to_numpy(), X)
    np.testing.assert_array_equal(frame.target.to_numpy(), y)
    assert 32.5 < X[:, 1].min() and X[:, 1].max() < 42 and y.max() == 500001
