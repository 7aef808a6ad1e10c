"""Files the package writes by name (an exported model's ``save``, a stream's checkpoint) are
written whole or not at all: into a new file of a random name beside the target, renamed over
it at the end. A write that fails leaves the file that was there; two writes of one name at
once leave one whole file; a file or link planted under a name known in advance is neither
written nor removed."""

import os
import signal
import threading

import numpy as np
import pytest
import scipy.sparse as sp

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg._atomic import atomic_file
from sparsereg.export import export_model, load_model
from sparsereg.stream import fit_stream

from .interruptions import (
    ANY_CODE_SWEEPS,
    Timeout,
    alarm_each_place_of_any_code,
    files_open_under,
    raise_timeout,
)


def exported(seed, alpha=1e-4):
    X = sp.random(300, 2**12, density=0.02, format="csr", random_state=0)
    model = SparseFTRLClassifier(random_state=seed, alpha=alpha).fit(X, np.arange(300) % 2)
    return export_model(model), X


def test_two_threads_saving_one_name_leave_one_whole_model(tmp_path):
    # (both wrote into one temporary name, "<name>.tmp-<pid>": 69 % of the pairs left a
    # file that did not load)
    (a, X), (b, _) = exported(0), exported(1, alpha=1e-2)
    expected = [a.predict_proba(X), b.predict_proba(X)]
    assert not np.array_equal(*expected)
    path = tmp_path / "model.npz"
    errors = []

    def save(model):
        try:
            model.save(path)
        except BaseException as exc:  # (a thread's exception would only be printed)
            errors.append(exc)

    for _ in range(30):
        threads = [threading.Thread(target=save, args=(m,)) for m in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        got = load_model(path).predict_proba(X)
        assert any(np.array_equal(got, e) for e in expected)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


@pytest.mark.skipif(
    not hasattr(signal, "SIGXFSZ") or pytest.importorskip("resource") is None, reason="POSIX"
)
def test_a_save_that_fails_leaves_the_model_that_was_there(tmp_path):
    # a file-size limit stands for a full disk: the write fails half way (the model was
    # written over in place, and the failed write left half a file)
    import resource

    rng = np.random.RandomState(0)  # (sp.random takes 2 s to draw 262,144 distinct places)
    rows, cols = np.repeat(np.arange(200), 1311), rng.randint(0, 2**17, 200 * 1311)
    X = sp.csr_matrix((rng.uniform(0.5, 1.5, rows.size), (rows, cols)), shape=(200, 2**17))
    model = export_model(SparseFTRLRegressor(penalty=None).fit(X, np.arange(200.0)))
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()
    assert len(before) > 2**20  # far above the small files pytest writes meanwhile
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a killed process
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) // 2, hard))
        with pytest.raises(OSError):
            model.save(path, compressed=False)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_links_planted_under_the_old_temporary_names_are_left_alone(tmp_path):
    # The temporary file was "<name>.tmp-<pid>", opened to be written through whatever was
    # there: a link planted under that name had the package write into the file it named
    # (and then remove the link).
    victim = tmp_path / "victim.txt"
    victim.write_text("not to be written")
    model, X = exported(0)
    path, checkpoint = tmp_path / "model.npz", tmp_path / "run.ckpt"
    planted = [tmp_path / f"{p.name}.tmp-{os.getpid()}" for p in (path, checkpoint)]
    for link in planted:
        link.symlink_to(victim)
    model.save(path)
    pd = pytest.importorskip("pandas")
    batch = pd.DataFrame({"x": np.arange(20.0), "y": np.arange(20.0) % 2})
    fit_stream(SparseFTRLClassifier(), [batch], target="y", checkpoint=checkpoint)
    assert victim.read_text() == "not to be written"
    assert all(link.is_symlink() for link in planted)
    np.testing.assert_array_equal(load_model(path).predict_proba(X), model.predict_proba(X))
    assert checkpoint.stat().st_size > 0
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["victim.txt", "model.npz", "run.ckpt", *(p.name for p in planted)]
    )


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_a_link_planted_under_the_temporary_name_drawn_is_neither_written_nor_removed(
    tmp_path, monkeypatch
):
    # as if the random name had been guessed: the first name drawn is taken by a planted
    # link; the file is created new (never opened through what is there), another name is
    # drawn, and the planted link, not the writer's, is left where it is
    victim = tmp_path / "victim.txt"
    victim.write_text("not to be written")
    model, X = exported(0)
    draws = iter([bytes(8)])  # the name's 8 random bytes (os.urandom's), drawn first
    real = os.urandom
    monkeypatch.setattr(os, "urandom", lambda n: next(draws, None) or real(n))
    planted = tmp_path / f".model.npz.{'00' * 8}.tmp"
    planted.symlink_to(victim)
    model.save(tmp_path / "model.npz")
    assert next(draws, None) is None, "the planted name was never drawn"
    assert victim.read_text() == "not to be written" and planted.is_symlink()
    np.testing.assert_array_equal(
        load_model(tmp_path / "model.npz").predict_proba(X), model.predict_proba(X)
    )
    assert sorted(os.listdir(tmp_path)) == sorted(["victim.txt", "model.npz", planted.name])


@pytest.mark.parametrize("places", sorted(ANY_CODE_SWEEPS))
def test_a_signal_anywhere_in_a_failed_writes_clean_up_leaves_nothing(tmp_path, places):
    # A write that fails (here a ValueError in the block), and a SIGALRM whose handler
    # raises at each place of any code in turn, the clean-up included: the temporary file is
    # removed and its descriptor closed, whichever exception comes out. (The hold over the
    # clean-up was made in the finally: a handler's exception just before it skipped both.)
    path = tmp_path / "out.bin"

    def failed_write(_):
        try:
            with atomic_file(path) as f:
                f.write(b"half")
                raise ValueError("the write failed")
        except ValueError:
            pass

    def nothing_left(_, k, completed):
        assert os.listdir(tmp_path) == [], f"at place {k}"
        assert files_open_under(tmp_path) == [], f"at place {k}"

    count = alarm_each_place_of_any_code(
        raise_timeout, Timeout, lambda: None, failed_write, nothing_left, ANY_CODE_SWEEPS[places]
    )
    assert count > 10  # (the places of the Python code a write calls: posixpath's, the test's)


@pytest.mark.parametrize("places", sorted(ANY_CODE_SWEEPS))
def test_a_signal_anywhere_in_a_write_leaves_nothing_while_its_exception_is_held(tmp_path, places):
    # A write that succeeds unless a SIGALRM's handler raises at a place of any code: when the
    # exception comes out, before anything lets it go, the target is the old file or the
    # new one, whole, and no temporary file is there or open. (The generator-based context
    # manager left both while its exception lived: a handler's exception between its yield
    # and the caller's block kept the generator suspended in the traceback.)
    path = tmp_path / "out.bin"

    def write(_):
        try:
            with atomic_file(path) as f:
                f.write(b"new")
        except Timeout:
            assert os.listdir(tmp_path) == ["out.bin"], "a temporary file is left"
            assert path.read_bytes() in (b"old", b"new")
            assert files_open_under(tmp_path) == [], "a temporary file is left open"
            raise

    def whole(_, k, completed):
        assert path.read_bytes() in ((b"new",) if completed else (b"old", b"new")), f"at {k}"
        assert os.listdir(tmp_path) == ["out.bin"], f"at place {k}"

    count = alarm_each_place_of_any_code(
        raise_timeout,
        Timeout,
        lambda: path.write_bytes(b"old"),
        write,
        whole,
        ANY_CODE_SWEEPS[places],
    )
    assert count > 10  # (the places of the Python code a write calls: posixpath's, the test's)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604])
def test_a_file_written_again_keeps_its_permissions(tmp_path, mode):
    # (the new file renamed over it had the umask's mode: a model or checkpoint made private
    # with chmod 600 became readable by all, 644, when written again)
    model, _ = exported(0)
    path = tmp_path / "model.npz"
    model.save(path)
    os.chmod(path, mode)
    exported(1)[0].save(path)
    assert os.stat(path).st_mode & 0o7777 == mode
    checkpoint = tmp_path / "run.ckpt"
    rng = np.random.RandomState(0)
    batches = [(rng.normal(size=(50, 3)), rng.normal(size=50)) for _ in range(3)]
    fit_stream(SparseFTRLRegressor(random_state=0), batches[:1], checkpoint=checkpoint)
    os.chmod(checkpoint, mode)
    fit_stream(SparseFTRLRegressor(random_state=0), batches, checkpoint=checkpoint)
    assert os.stat(checkpoint).st_mode & 0o7777 == mode
    # a new file has the umask's mode, as open() gives
    umask = os.umask(0o022)
    os.umask(umask)
    model.save(tmp_path / "new.npz")
    assert os.stat(tmp_path / "new.npz").st_mode & 0o7777 == 0o666 & ~umask


@pytest.mark.skipif(os.name != "posix" or not hasattr(os, "symlink"), reason="POSIX modes, links")
def test_a_file_written_again_takes_neither_set_id_bits_nor_a_linked_files_mode(tmp_path):
    # the mode kept is the replaced file's permission bits: a setuid target stayed setuid,
    # and a link to a setuid program gave the new (root-owned, here) file its 04711
    model, _ = exported(0)
    path = tmp_path / "model.npz"
    model.save(path)
    os.chmod(path, 0o4750)
    model.save(path)
    assert os.stat(path).st_mode & 0o7777 == 0o750
    program = tmp_path / "program"
    program.write_bytes(b"#!/bin/sh\n")
    os.chmod(program, 0o4711)
    link = tmp_path / "link.npz"
    os.symlink(program, link)
    model.save(link)
    # written through the link: the file it names keeps its permission bits, not its set-id
    assert os.path.islink(link)
    assert os.stat(program).st_mode & 0o7777 == 0o711
    assert load_model(link).n_features_in_ == model.n_features_in_


def test_a_checkpoint_named_by_bytes_is_written_and_resumed(tmp_path):
    # (a bytes path met the temporary name's str: "Can't mix strings and bytes", nothing
    # written; a name that is not UTF-8 as well, as os.fsencode gives it)
    X = sp.random(200, 64, density=0.1, format="csr", random_state=0)
    y = np.arange(200) % 2
    batches = [(X[:100], y[:100]), (X[100:], y[100:])]
    path = os.fsencode(tmp_path) + b"/run-\xff.npz"
    first, _ = fit_stream(SparseFTRLClassifier(), batches, classes=[0, 1], checkpoint=path)
    assert os.listdir(tmp_path) == [os.fsdecode(b"run-\xff.npz")]
    resumed, history = fit_stream(
        SparseFTRLClassifier(), batches, classes=[0, 1], checkpoint=path, resume=True
    )
    assert history.resumed_rows == 200
    np.testing.assert_array_equal(resumed.predict_proba(X), first.predict_proba(X))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_a_link_is_written_through_and_kept(tmp_path):
    # (the file renamed over the link replaced it: the link was lost, and the file it named,
    # elsewhere, was left stale)
    first, X = exported(0)
    second, _ = exported(1, alpha=1e-2)
    (tmp_path / "store").mkdir()
    (tmp_path / "work").mkdir()
    target = tmp_path / "store" / "model.npz"
    first.save(target)
    os.symlink("../store/model.npz", tmp_path / "work" / "link.npz")  # relative, as ln -s
    os.symlink(tmp_path / "work" / "link.npz", tmp_path / "work" / "chain.npz")
    second.save(tmp_path / "work" / "chain.npz")
    assert os.readlink(tmp_path / "work" / "link.npz") == "../store/model.npz"
    assert os.path.islink(tmp_path / "work" / "chain.npz")
    np.testing.assert_array_equal(load_model(target).predict_proba(X), second.predict_proba(X))
    # the new file was made beside the target, and nothing is left beside the links
    assert sorted(os.listdir(tmp_path / "store")) == ["model.npz"]
    assert sorted(os.listdir(tmp_path / "work")) == ["chain.npz", "link.npz"]
    # a checkpoint through a link: written to its target, and resumed from it
    rng = np.random.RandomState(0)
    batches = [(rng.normal(size=(50, 3)), rng.normal(size=50)) for _ in range(3)]
    checkpoint = tmp_path / "work" / "run.ckpt"
    os.symlink("../store/run.ckpt", checkpoint)  # dangling until the first save
    fit_stream(SparseFTRLRegressor(random_state=0), batches, checkpoint=checkpoint)
    assert os.path.islink(checkpoint) and os.path.isfile(tmp_path / "store" / "run.ckpt")
    _, history = fit_stream(
        SparseFTRLRegressor(random_state=0), batches, checkpoint=checkpoint, resume=True
    )
    assert history.resumed_rows == 150


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="a link of another user (root)"
)
def test_another_users_link_in_a_sticky_folder_is_not_followed(tmp_path):
    # as Linux's protected_symlinks has open() refuse: a link planted in /tmp by another
    # user does not get the user's file written over
    model, _ = exported(0)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    link = shared / "model.npz"
    os.symlink(victim, link)
    os.lchown(link, 65534, 65534)
    with pytest.raises(PermissionError, match="another user"):
        model.save(link)
    rng = np.random.RandomState(0)
    batches = [(rng.normal(size=(50, 3)), rng.normal(size=50))]
    with pytest.raises(ValueError, match="another user"):
        fit_stream(SparseFTRLRegressor(random_state=0), batches, checkpoint=link)
    assert victim.read_bytes() == b"precious" and os.path.islink(link)
    assert sorted(os.listdir(shared)) == ["model.npz"]
