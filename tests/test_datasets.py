"""sparsereg.datasets: where files are found, how downloads are checked and cached, the real data.

Downloads are served by a loopback HTTP server on 127.0.0.1 (pooch does not read file://
addresses); no test reaches anything else. The real data sets are read from SPARSEREG_DATA (or
the download cache) and their tests are skipped where they are absent.
"""

import gzip
import hashlib
import io
import os
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


def replaced_once_checked(monkeypatch, files, content):
    """Stand for another process that replaces each of ``files()`` with ``content`` (whole, by a
    rename) as soon as a fetcher has computed a sha256: between its check and its parse, where
    the fetchers read the file a second time."""
    done = []

    class Sha256:
        def __init__(self, *args):
            self.digest = hashlib.sha256(*args)

        def update(self, data):
            self.digest.update(data)

        def hexdigest(self):
            value = self.digest.hexdigest()
            if not done:
                for path in files():
                    path.with_name("replacement").write_bytes(content)
                    os.replace(path.with_name("replacement"), path)
                    done.append(path)
            return value

    monkeypatch.setattr(datasets, "hashlib", SimpleNamespace(sha256=Sha256))
    return done


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
def test_the_data_returned_are_the_bytes_checked(isolated, monkeypatch, tmp_path, name):
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
    replaced = replaced_once_checked(monkeypatch, lambda: [path], other)
    assert rows(fetch(data_home=tmp_path / "copy", return_X_y=True)) == expected
    assert replaced == [path] and path.read_bytes() == other  # the file was replaced once checked
    with pytest.raises(OSError, match="not the published"):  # and is checked at the next read
        fetch(data_home=tmp_path / "copy")


def test_a_download_returns_the_bytes_checked(server, isolated, monkeypatch, tmp_path):
    serve_a9a(server, monkeypatch)
    home = tmp_path / "home"
    replaced = replaced_once_checked(monkeypatch, lambda: list(home.rglob("a9a")), b"+1 7:1\n")
    X, y = fetch_a9a(data_home=home, return_X_y=True)
    assert replaced and X.shape == (3, 123) and y.tolist() == [-1, 1, -1]


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


def real_file(remote):
    """The local copy of a real data set's file (SPARSEREG_DATA, then the download cache), or
    skip the test, as the fetchers' tests do where the data are absent."""
    from sklearn.datasets import get_data_home

    folders = [os.environ.get("SPARSEREG_DATA"), Path(get_data_home()) / "sparsereg"]
    for folder in filter(None, folders):
        path = Path(folder).expanduser() / remote.folder / remote.filename
        if path.is_file():
            return path
    pytest.skip(f"{remote.filename} not found in SPARSEREG_DATA or the download cache")


@pytest.mark.parametrize("name", FETCHERS)
def test_real_data_replaced_once_checked_are_read_as_checked(monkeypatch, tmp_path, name):
    # a real file that another process cuts to its first lines just after the check
    fetch, where, _, _, rows = FETCHERS[name]
    remote = getattr(datasets, where[0])
    remote = remote[where[1]] if len(where) > 1 else remote
    source = real_file(remote)
    if name == "housing":
        pytest.importorskip("pandas")
    path = tmp_path / "copy" / remote.folder / remote.filename
    path.parent.mkdir(parents=True)
    path.write_bytes(source.read_bytes())
    expected = rows(fetch(data_home=tmp_path / "copy", return_X_y=True))
    head = b"".join(source.read_bytes().splitlines(keepends=True)[:3])
    replaced = replaced_once_checked(monkeypatch, lambda: [path], head)
    assert rows(fetch(data_home=tmp_path / "copy", return_X_y=True)) == expected
    assert replaced == [path]


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
