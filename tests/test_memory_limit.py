"""The memory guards' limit read from the cgroup file system as a container shows it: the memory
controller mounted elsewhere than /sys/fs/cgroup, from a cgroup below the hierarchy's root, and
hostile files in place of /proc/self/mountinfo, /proc/self/cgroup or a limit's file.

Each case runs in a process of its own (forked from one interpreter that imported the package
once) in a private mount namespace (``unshare(CLONE_NEWNS)``) whose mounts play the container's
layout on this machine's own cgroup file system: root, ``unshare`` and a memory controller
(cgroup v1 ``memory`` or v2) are needed, and the cases are skipped without."""

import os
import shutil
import subprocess
import sys

import pytest

from .memory_helpers import ForkedPythons

_GUARDED_FIT = """
import resource, sys
import numpy as np, scipy.sparse as sp
from sparsereg import SparseFTRLRegressor
if int(sys.argv[1]):  # an address-space limit, the guard's bound when the cgroups say nothing
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), resource.RLIM_INFINITY))
columns = int(sys.argv[2])
wide = sp.csr_matrix(
    (np.ones(2), np.array([0, columns - 1]), np.array([0, 1, 2])), shape=(2, columns)
)
try:
    SparseFTRLRegressor(state_store="dense").fit(wide, [1.0, 2.0])
    print("fitted")
except ValueError as exc:
    print("ValueError:", exc)
"""


def _memory_cgroup():
    """``(mount point, limit file, this process's cgroup)`` of the memory controller, or None."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f]
    except OSError:
        return None
    places = []  # a v1 memory hierarchy first, else the v2 one
    for hierarchy, controllers, path in lines:
        if "memory" in controllers.split(","):
            places.insert(0, ("/sys/fs/cgroup/memory", "memory.limit_in_bytes", path))
        elif hierarchy == "0" and controllers == "":
            places.append(("/sys/fs/cgroup", "memory.max", path))
    for mount, limit_file, path in places:
        if os.path.isfile(os.path.join(mount + path, limit_file)):
            return mount, limit_file, path
    return None


def _can_mount():
    if os.geteuid() != 0 or shutil.which("unshare") is None or _memory_cgroup() is None:
        return False
    done = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return done.returncode == 0


needs_mounts = pytest.mark.skipif(
    sys.platform != "linux" or not _can_mount(),
    reason="needs root, unshare and a cgroup memory controller",
)


# a mount namespace of the process's own, the shell lines of sys.argv[1] run in it ($TMP:
# sys.argv[2]; $SELF: this process's id, /proc/$SELF its /proc/self), then _GUARDED_FIT with the
# arguments after them
_IN_MOUNT_NAMESPACE = (
    """
import ctypes, os, subprocess, sys
if ctypes.CDLL(None, use_errno=True).unshare(0x00020000) != 0:  # CLONE_NEWNS
    raise OSError(ctypes.get_errno(), "unshare")
env = {**os.environ, "TMP": sys.argv[2], "SELF": str(os.getpid())}
setup = subprocess.run(["sh", "-c", sys.argv[1]], env=env, capture_output=True, text=True)
if setup.returncode != 0:
    sys.exit("the setup failed: " + setup.stderr)
del sys.argv[1:3]
"""
    + _GUARDED_FIT
)


@pytest.fixture(scope="module")
def forks():
    # _GUARDED_FIT's imports, and those run before it
    forks = ForkedPythons(
        "import ctypes, os, resource, subprocess, sys\n"
        "import numpy as np, scipy.sparse as sp\n"
        "from sparsereg import SparseFTRLRegressor\n"
    )
    yield forks
    forks.close()


def _run_in_mount_namespace(forks, setup, tmp_path, *args, timeout=120):
    """Run ``_GUARDED_FIT`` after the shell lines ``setup``, in a process of its own in a private
    mount namespace (``/proc/$SELF`` is that process's own)."""
    script = "set -e\nmount --make-rprivate /\n" + setup + "\n"
    return forks.run(_IN_MOUNT_NAMESPACE, script, str(tmp_path), *args, timeout=timeout)


@needs_mounts
def test_a_limit_of_a_memory_controller_mounted_elsewhere_from_below_its_root_counts(
    forks, tmp_path
):
    # the cgroup's directory was found under /sys/fs/cgroup by its path in /proc/self/cgroup
    # only: a container's layout (the hierarchy mounted from its own cgroup down, somewhere
    # else, its mount point's name escaped in /proc/self/mountinfo) hid the limit, and the
    # guards let a state past it (the kernel killed the process)
    mount, limit_file, path = _memory_cgroup()
    parent, name = os.path.split(path)
    (tmp_path / "limit").write_text("1048576\n")  # 1 MiB, as the container's limit says
    setup = f"""
mkdir -p "$TMP/cgroup mount"
mount --bind "{mount}{parent}" "$TMP/cgroup mount"
mount --bind "$TMP/limit" "$TMP/cgroup mount/{name}/{limit_file}"
umount -l "{mount}"
"""
    done = _run_in_mount_namespace(forks, setup, tmp_path, "0", str(2**17))  # a state of 2 MiB
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError: the dense state store needs 2,097,152 bytes" in done.stdout
    assert "(1,048,576 bytes)" in done.stdout


@needs_mounts
def test_a_v1_limit_above_the_cgroups_a_container_sees_counts(forks, tmp_path):
    # under cgroup v1, a limit set on a cgroup above the container's (which its mount does not
    # show) is said only by the kernel's hierarchical_memory_limit in the memory.stat of the
    # container's cgroup: it was not read, and the guards let a state past it
    mount, limit_file, path = _memory_cgroup()
    if limit_file != "memory.limit_in_bytes":
        pytest.skip("needs a cgroup v1 memory controller")
    (tmp_path / "stat").write_text(
        "cache 0\nrss 0\nhierarchical_memory_limit 1048576\nhierarchical_memsw_limit 1048576\n"
    )
    setup = f'mount --bind "$TMP/stat" "{mount}{path}/memory.stat"'
    done = _run_in_mount_namespace(forks, setup, tmp_path, "0", str(2**17))  # a state of 2 MiB
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError: the dense state store needs 2,097,152 bytes" in done.stdout
    assert "(1,048,576 bytes)" in done.stdout


@needs_mounts
@pytest.mark.parametrize("lowest", ["parent", "root", "own"])
def test_the_lowest_v2_memory_max_up_the_hierarchy_counts(forks, tmp_path, lowest):
    # a cgroup v2 hierarchy (made of files, named by a /proc/self/mountinfo and a
    # /proc/self/cgroup of its own) whose cgroup /job/step has no limit but one above it has
    tree = tmp_path / "cgroup v2"
    (tree / "job" / "step").mkdir(parents=True)
    for directory, name in [
        (tree, "root"),
        (tree / "job", "parent"),
        (tree / "job" / "step", "own"),
    ]:
        (directory / "memory.max").write_text("1048576\n" if name == lowest else "max\n")
        (directory / "memory.high").write_text("max\n")
    (tree / "job" / "memory.high").write_text("4096\n")  # throttles only: not a limit
    escaped = str(tree).replace(" ", "\\040")
    (tmp_path / "mountinfo").write_text(f"99 1 0:99 / {escaped} rw - cgroup2 cgroup2 rw\n")
    (tmp_path / "cgroup").write_text("0::/job/step\n")
    setup = (
        'mount --bind "$TMP/mountinfo" /proc/$SELF/mountinfo\n'
        'mount --bind "$TMP/cgroup" /proc/$SELF/cgroup'
    )
    done = _run_in_mount_namespace(forks, setup, tmp_path, "0", str(2**17))  # a state of 2 MiB
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError: the dense state store needs 2,097,152 bytes" in done.stdout
    assert "(1,048,576 bytes)" in done.stdout


_HOSTILE = {
    "an endless mountinfo": "mount --bind /dev/zero /proc/$SELF/mountinfo",
    "a garbled mountinfo": "head -c 5000000 /dev/urandom > $TMP/junk\n"
    "mount --bind $TMP/junk /proc/$SELF/mountinfo",
    "an endless /proc/self/cgroup": "mount --bind /dev/zero /proc/$SELF/cgroup",
    "an endless limit file": 'mount --bind /dev/zero "{limit}"',
    "a FIFO as the limit file": 'mkfifo $TMP/fifo\nmount --bind $TMP/fifo "{limit}"',
    "an endless memory.stat": 'mount --bind /dev/zero "{stat}"',
    "a garbled memory.stat": "head -c 5000000 /dev/urandom > $TMP/junk\n"
    'mount --bind $TMP/junk "{stat}"',
    "a FIFO as memory.stat": 'mkfifo $TMP/fifo\nmount --bind $TMP/fifo "{stat}"',
}


@needs_mounts
@pytest.mark.parametrize("case", list(_HOSTILE))
def test_hostile_cgroup_files_fall_back_to_the_other_limits(forks, tmp_path, case):
    # each file was read whole, and opened blocking: an endless one exhausted the memory
    # (a MemoryError from the guard), a FIFO stopped it for ever
    mount, limit_file, path = _memory_cgroup()
    limit = os.path.join(mount + path, limit_file)
    stat = os.path.join(mount + path, "memory.stat")
    limit_bytes = 3 * 2**30
    setup = _HOSTILE[case].format(limit=limit, stat=stat)
    done = _run_in_mount_namespace(forks, setup, tmp_path, str(limit_bytes), str(2**28), timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError: the dense state store needs 4,294,967,296 bytes" in done.stdout
    assert f"({limit_bytes:,} bytes)" in done.stdout
