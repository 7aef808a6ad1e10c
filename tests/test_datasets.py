"""sparsereg.datasets: where files are found, how downloads are checked and cached, the real data.

Downloads are served by a loopback HTTP server on 127.0.0.1 (pooch does not read file://
addresses); no test reaches anything else. The real data sets are read from SPARSEREG_DATA (or
the download cache) and their tests are skipped where they are absent.
"""

import gzip
import hashlib
import io
import os
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

from sparsereg import datasets
from sparsereg.datasets import (
    fetch_a9a,
    fetch_california_housing_handson,
    fetch_sms_spam,
    load_california_housing_mlcc,
)

ROOT = Path(__file__).resolve().parents[1]
A9A_TEXT = b"-1 3:1 11:1 123:1\n+1 1:1 5:1\n-1 2:1\n"
SMS_TEXT = "ham\tsee you at 5\nspam\tWIN \u00a3100 now\twith a tab\nham\tok\n".encode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No SPARSEREG_DATA, and scikit-learn's data home (the download cache's parent) in tmp_path."""
    monkeypatch.delenv("SPARSEREG_DATA", raising=False)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))
    return tmp_path / "scikit_learn_data" / "sparsereg"


@pytest.fixture
def server(tmp_path, monkeypatch):
    """An HTTP server on 127.0.0.1 serving ``root``; ``requests`` lists the paths asked for."""
    root = tmp_path / "remote"
    root.mkdir()
    seen = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            seen.append(self.path)
            super().do_GET()

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
    try:
        yield SimpleNamespace(root=root, url=f"http://127.0.0.1:{httpd.server_port}", requests=seen)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def serve_a9a(server, monkeypatch, content=A9A_TEXT, published=None):
    (server.root / "a9a").write_bytes(content)
    remote = datasets._RemoteFile(
        "libsvm_a9a", "a9a", f"{server.url}/a9a", published or sha256(content)
    )
    monkeypatch.setitem(datasets._A9A, "train", remote)
    return remote


def local_a9a(folder, monkeypatch, content=A9A_TEXT, published=None):
    """A local copy of a made-up a9a under ``folder``, with no address it could be downloaded from."""
    path = folder / "libsvm_a9a" / "a9a"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    monkeypatch.setitem(
        datasets._A9A,
        "train",
        datasets._RemoteFile(
            "libsvm_a9a", "a9a", "http://127.0.0.1:9/not-served", published or sha256(content)
        ),
    )
    return path


def no_pooch(monkeypatch):
    monkeypatch.setitem(sys.modules, "pooch", None)  # any `import pooch` now raises ImportError


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


# ------------------------------------------------------------------------ downloads


def test_download_lands_checked_and_is_not_repeated(server, isolated, monkeypatch, tmp_path):
    serve_a9a(server, monkeypatch)
    home = tmp_path / "home"
    X, y = fetch_a9a(data_home=home, return_X_y=True)
    assert sp.isspmatrix_csr(X) and X.shape == (3, 123) and X.dtype == np.float64
    assert X.indices.dtype == np.int32
    assert X[0].indices.tolist() == [2, 10, 122] and y.tolist() == [-1, 1, -1]
    assert (home / "libsvm_a9a" / "a9a").read_bytes() == A9A_TEXT
    assert os.listdir(home / "libsvm_a9a") == ["a9a"]  # no temporary file or folder left
    assert server.requests == ["/a9a"]

    (server.root / "a9a").unlink()  # a second download would now fail
    X2, y2 = fetch_a9a(data_home=home, return_X_y=True)
    assert server.requests == ["/a9a"]
    assert (X2 != X).nnz == 0 and y2.tolist() == y.tolist()
    assert not isolated.exists()  # with data_home given, the default cache is not touched


def test_default_download_goes_to_the_scikit_learn_data_home(server, isolated, monkeypatch):
    serve_a9a(server, monkeypatch)
    bunch = fetch_a9a()
    assert (isolated / "libsvm_a9a" / "a9a").read_bytes() == A9A_TEXT
    assert bunch.data.shape == (3, 123) and "a9a" in bunch.DESCR
    assert bunch.target_names.tolist() == [-1, 1]


def test_wrong_checksum_raises_and_caches_nothing(server, isolated, monkeypatch, tmp_path):
    remote = serve_a9a(server, monkeypatch, published="0" * 64)
    home = tmp_path / "home"
    with pytest.raises(OSError) as info:
        fetch_a9a(data_home=home, n_retries=0)
    message = str(info.value)
    assert "a9a" in message and remote.url in message
    assert "0" * 64 in message and sha256(A9A_TEXT) in message
    assert os.listdir(home / "libsvm_a9a") == []
    with pytest.raises(FileNotFoundError):
        fetch_a9a(data_home=home, download_if_missing=False)


def test_zip_member_is_extracted_checked_and_the_archive_dropped(
    server, isolated, monkeypatch, tmp_path
):
    (server.root / "sms.zip").write_bytes(zip_bytes({"readme": "x", "SMSSpamCollection": SMS_TEXT}))
    monkeypatch.setattr(
        datasets,
        "_SMS",
        datasets._RemoteFile(
            "sms_spam_collection",
            "SMSSpamCollection",
            f"{server.url}/sms.zip",
            sha256(SMS_TEXT),
            member="SMSSpamCollection",
        ),
    )
    home = tmp_path / "home"
    sms = fetch_sms_spam(data_home=home)
    assert sms.data == ["see you at 5", "WIN \u00a3100 now\twith a tab", "ok"]
    assert sms.target.tolist() == ["ham", "spam", "ham"]
    assert os.listdir(home / "sms_spam_collection") == ["SMSSpamCollection"]
    fetch_sms_spam(data_home=home)
    assert server.requests == ["/sms.zip"]


@pytest.mark.parametrize(
    "members, expected",
    [
        ({"readme": "x"}, "no member 'SMSSpamCollection'"),
        ({"SMSSpamCollection": b"ham\tother text\n"}, sha256(b"ham\tother text\n")),
    ],
)
def test_a_bad_archive_raises_and_caches_nothing(
    server, isolated, monkeypatch, tmp_path, members, expected
):
    (server.root / "sms.zip").write_bytes(zip_bytes(members))
    monkeypatch.setattr(
        datasets,
        "_SMS",
        datasets._RemoteFile(
            "sms_spam_collection",
            "SMSSpamCollection",
            f"{server.url}/sms.zip",
            sha256(SMS_TEXT),
            member="SMSSpamCollection",
        ),
    )
    with pytest.raises(OSError, match=expected):
        fetch_sms_spam(data_home=tmp_path / "home", n_retries=0)
    assert os.listdir(tmp_path / "home" / "sms_spam_collection") == []


def test_download_without_pooch_says_what_to_install(isolated, monkeypatch, tmp_path):
    no_pooch(monkeypatch)
    with pytest.raises(ImportError, match=r"pip install 'sparsereg\[datasets\]'.*SPARSEREG_DATA"):
        fetch_a9a(data_home=tmp_path / "empty")


# ------------------------------------------------------------------------ local copies


def test_sparsereg_data_is_read_without_pooch_or_download(isolated, monkeypatch, tmp_path):
    local_a9a(tmp_path / "copy", monkeypatch)
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "copy"))
    no_pooch(monkeypatch)
    X, y = fetch_a9a(return_X_y=True)
    assert X.shape == (3, 123) and y.tolist() == [-1, 1, -1]
    assert not isolated.exists()
    with pytest.raises(FileNotFoundError):  # data_home, when given, is the only place looked in
        fetch_a9a(data_home=tmp_path / "elsewhere", download_if_missing=False)


def test_local_copy_is_checksum_checked_and_left_alone(isolated, monkeypatch, tmp_path):
    path = local_a9a(tmp_path / "copy", monkeypatch, published="f" * 64)
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "copy"))
    with pytest.raises(OSError) as info:
        fetch_a9a()
    message = str(info.value)
    assert str(path) in message and "f" * 64 in message and sha256(A9A_TEXT) in message
    assert path.read_bytes() == A9A_TEXT


def test_nothing_found_without_download_says_where_it_looked(isolated, monkeypatch, tmp_path):
    (tmp_path / "copy").mkdir()
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "copy"))
    with pytest.raises(FileNotFoundError) as info:
        fetch_a9a(subset="test", download_if_missing=False)
    message = str(info.value)
    assert str(tmp_path / "copy" / "libsvm_a9a" / "a9a.t") in message
    assert str(isolated / "libsvm_a9a" / "a9a.t") in message
    assert "SPARSEREG_DATA" in message and "download_if_missing=False" in message


def test_sparsereg_data_must_be_a_directory(isolated, monkeypatch, tmp_path):
    monkeypatch.setenv("SPARSEREG_DATA", str(tmp_path / "typo"))
    with pytest.raises(NotADirectoryError, match="SPARSEREG_DATA=.*typo"):
        fetch_sms_spam(download_if_missing=False)


def test_a_malformed_sms_line_is_named(isolated, monkeypatch, tmp_path):
    content = b"ham\tfine\nspam no tab here\n"
    path = tmp_path / "copy" / "sms_spam_collection" / "SMSSpamCollection"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    monkeypatch.setattr(
        datasets,
        "_SMS",
        datasets._RemoteFile(
            "sms_spam_collection", "SMSSpamCollection", "http://127.0.0.1:9/", sha256(content)
        ),
    )
    with pytest.raises(ValueError, match="line 2: expected 'ham' or 'spam'"):
        fetch_sms_spam(data_home=tmp_path / "copy")


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


HOUSING_TEXT = (
    b"longitude,total_bedrooms,ocean_proximity,median_house_value\n-122.2,,NEAR BAY,4526\n"
)


def a9a_rows(X_y):
    return X_y[0].shape, X_y[0].indices.tolist(), X_y[0].indptr.tolist(), X_y[1].tolist()


def sms_rows(X_y):
    return X_y[0], X_y[1].tolist()


def housing_rows(X_y):
    return X_y[0].to_csv(), X_y[1].tolist()


FETCHERS = {  # a made-up file, another one, and what the fetcher returns as plain values
    "a9a": (fetch_a9a, ("_A9A", "train"), A9A_TEXT, b"+1 7:1\n", a9a_rows),
    "sms": (fetch_sms_spam, ("_SMS",), SMS_TEXT, b"spam\tother\n", sms_rows),
    "housing": (
        fetch_california_housing_handson,
        ("_HANDSON",),
        HOUSING_TEXT,
        b"x,median_house_value\n1,2\n",
        housing_rows,
    ),
}


@pytest.mark.parametrize("name", FETCHERS)
def test_the_data_returned_are_the_bytes_checked(
    isolated, monkeypatch, tmp_path, replace_when_opened, name
):
    # (each fetcher checked the file's sha256, then opened it again to parse it: a file
    # replaced in between was read unchecked)
    if name == "housing":
        pytest.importorskip("pandas")
    fetch, where, content, other, rows = FETCHERS[name]
    remote = getattr(datasets, where[0])
    remote = remote[where[1]] if len(where) > 1 else remote
    local = datasets._RemoteFile(
        remote.folder, remote.filename, "http://127.0.0.1:9/", sha256(content)
    )
    if len(where) > 1:
        monkeypatch.setitem(getattr(datasets, where[0]), where[1], local)
    else:
        monkeypatch.setattr(datasets, where[0], local)
    path = tmp_path / "copy" / remote.folder / remote.filename
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    expected = rows(fetch(data_home=tmp_path / "copy", return_X_y=True))
    replaced = replace_when_opened(path, other)
    assert rows(fetch(data_home=tmp_path / "copy", return_X_y=True)) == expected
    assert replaced() and path.read_bytes() == other  # replaced while the fetcher had it open
    with pytest.raises(OSError, match="not the published"):  # and is checked at the next read
        fetch(data_home=tmp_path / "copy")


def test_a_download_returns_the_bytes_checked(
    server, isolated, monkeypatch, tmp_path, replace_when_opened
):
    # The downloaded file is replaced once pooch has it in place and before the fetcher opens
    # it to check it. Nothing public happens between those two moments but the return of
    # pooch's public Pooch.fetch, so the writer is started there (sparsereg is not patched).
    pooch = pytest.importorskip("pooch")
    serve_a9a(server, monkeypatch)
    download, replaced = pooch.Pooch.fetch, []

    def download_then_replace(self, *args, **kwargs):
        path = download(self, *args, **kwargs)
        replaced.append(replace_when_opened(Path(path), b"+1 7:1\n"))
        return path

    monkeypatch.setattr(pooch.Pooch, "fetch", download_then_replace)
    home = tmp_path / "home"
    X, y = fetch_a9a(data_home=home, return_X_y=True)
    assert len(replaced) == 1 and replaced[0]()  # replaced while the fetcher had it open
    assert X.shape == (3, 123) and X[0].indices.tolist() == [2, 10, 122]
    assert y.tolist() == [-1, 1, -1]
    # what the fetcher then moved into the cache is the replacement, checked at its next read
    assert (home / "libsvm_a9a" / "a9a").read_bytes() == b"+1 7:1\n"


def test_subset_is_validated():
    with pytest.raises(ValueError, match="subset must be 'train' or 'test', got 'valid'"):
        fetch_a9a(subset="valid")
    with pytest.raises(ValueError, match="subset must be 'train' or 'test'"):
        load_california_housing_mlcc(subset="all")


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


# where each fetcher's file is in a data folder (the layout the module's docstring gives)
REAL_FILES = {
    "a9a": "libsvm_a9a/a9a",
    "sms": "sms_spam_collection/SMSSpamCollection",
    "housing": "california_housing_handson/housing.csv",
}


def real_file(relative):
    """The local copy of a real data set's file (SPARSEREG_DATA, then the download cache), or
    skip the test, as the fetchers' tests do where the data are absent."""
    from sklearn.datasets import get_data_home

    folders = [os.environ.get("SPARSEREG_DATA"), Path(get_data_home()) / "sparsereg"]
    for folder in filter(None, folders):
        path = Path(folder).expanduser() / relative
        if path.is_file():
            return path
    pytest.skip(f"{relative} not found in SPARSEREG_DATA or the download cache")


@pytest.mark.parametrize("name", FETCHERS)
def test_real_data_replaced_while_read_are_read_as_checked(tmp_path, replace_when_opened, name):
    # a real file that another process cuts to its first lines while a fetcher has it open
    fetch, rows = FETCHERS[name][0], FETCHERS[name][-1]
    source = real_file(REAL_FILES[name])
    if name == "housing":
        pytest.importorskip("pandas")
    path = tmp_path / "copy" / REAL_FILES[name]
    path.parent.mkdir(parents=True)
    path.write_bytes(source.read_bytes())
    expected = rows(fetch(data_home=tmp_path / "copy", return_X_y=True))
    head = b"".join(source.read_bytes().splitlines(keepends=True)[:3])
    replaced = replace_when_opened(path, head)
    assert rows(fetch(data_home=tmp_path / "copy", return_X_y=True)) == expected
    assert replaced() and path.read_bytes() == head
    with pytest.raises(OSError, match="not the published"):
        fetch(data_home=tmp_path / "copy")


@pytest.mark.parametrize("subset, rows", [("train", 17000), ("test", 3000)])
def test_bundled_california_housing_mlcc_is_the_published_file(subset, rows):
    source = resources.files("sparsereg.data").joinpath(f"california_housing_{subset}.csv.gz")
    with source.open("rb") as f:
        assert sha256(gzip.decompress(f.read())) == datasets._MLCC[subset].sha256
    X, y = load_california_housing_mlcc(subset=subset, return_X_y=True)
    assert X.shape == (rows, 8) and y.shape == (rows,) and not np.isnan(X).any()
    frame = load_california_housing_mlcc(subset=subset, as_frame=True)
    assert list(frame.frame.columns) == frame.feature_names + frame.target_names
    np.testing.assert_array_equal(frame.data.to_numpy(), X)
    np.testing.assert_array_equal(frame.target.to_numpy(), y)
    assert 32.5 < X[:, 1].min() and X[:, 1].max() < 42 and y.max() == 500001
