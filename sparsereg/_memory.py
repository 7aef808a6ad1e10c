"""The memory this process may use, the bound of what a state, a filter or a checkpoint may ask
for."""

import os
import re
import sys
import time


def memory_limit():
    """Bytes of memory this process may use: the machine's physical memory, or less where the
    process's cgroup or one above it (a container's, a systemd unit's, a batch job's: v2
    ``memory.max``, v1 ``memory.limit_in_bytes``, and v1 ``memory.stat``'s
    ``hierarchical_memory_limit``, which counts the cgroups above those a container sees) or
    the address-space limit (``ulimit -v``) says so; 2**62 where the system says nothing. The
    cgroups' files are found where ``/proc/self/mountinfo`` says the memory controller is
    mounted (a container's layout), and a file that is missing, endless or garbled is
    skipped. The address-space limit is read on
    each call, the cgroups' at most once a second, so a limit changed while the process runs
    counts. The guards compared a state with the physical memory only: one larger than a
    container's limit got past them, and the kernel's out-of-memory killer ended the
    process."""
    limits = [2**62]
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        pass
    if sys.platform == "linux":
        limits += _recent_cgroup_limits()
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft > 0:
            limits.append(soft)
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        pass
    return min(limits)


_CGROUP_SECONDS = 1.0  # how long the cgroups' limits, as last read, stand
_cgroup_read = [float("-inf"), []]  # when they were last read, and what they said


def _recent_cgroup_limits():
    """:func:`_cgroup_limits`, read again when the last reading is older than a second: the
    files take ~50-100 us to read, and some callers ask once per batch (``partial_fit`` with
    Bloom filters, the CV grid); a limit changed meanwhile (``docker update``) counts within
    a second. (Under the GIL; two threads reading at once read the same files.)"""
    now = time.monotonic()
    if now - _cgroup_read[0] > _CGROUP_SECONDS:
        _cgroup_read[:] = [now, _cgroup_limits()]
    return _cgroup_read[1]


def _cgroup_limits():
    """The memory limits of this process's cgroup and of those above it, as the files of the
    cgroup file system say them ("max": none), in bytes: each one's that the mounts show, and
    under v1 the kernel's lowest of them all (``hierarchical_memory_limit``). Where the memory controller is
    mounted, and which cgroup each mount shows at its mount point, is read from
    ``/proc/self/mountinfo`` (a v1 hierarchy may be mounted anywhere, with other controllers,
    or from a cgroup below its root: a container's, bind-mounted); where that file says
    nothing, the usual places under ``/sys/fs/cgroup``. Every file is read in a bounded number
    of bytes, and one that is missing, unreadable or garbled is skipped."""
    paths = _cgroup_paths(_read_head("/proc/self/cgroup", _MOST_CGROUP_BYTES) or b"")
    mounts = _memory_mounts(_read_head("/proc/self/mountinfo", _MOST_MOUNTINFO_BYTES) or b"")
    if not mounts:  # (no /proc, or a mount namespace that hides them): the usual places
        mounts = [(b"/", b"/sys/fs/cgroup", "v2"), (b"/", b"/sys/fs/cgroup/memory", "v1")]
    files = {}  # each limit's file once, in order
    stats = {}  # v1: the memory.stat of the lowest cgroup each mount shows
    for root, mount, version in mounts:
        if version not in paths:  # (no /proc/self/cgroup): the mount's own cgroup
            directories = [mount]
        else:
            directories = _cgroup_directories(paths[version], root, mount)
        for directory in directories:
            files[os.path.join(directory, _LIMIT_FILES[version])] = None
        if version == "v1" and directories:
            # its hierarchical_memory_limit is the kernel's lowest limit of the cgroup and of
            # those above it, those the mount does not show included (a container's parent);
            # read for that cgroup only: a v1 memory.stat sums the cgroups below its own, which
            # at a busy hierarchy's root is slow, and says no more about the limit
            stats[os.path.join(directories[0], b"memory.stat")] = None
    limits = [_limit(_read_head(file, _MOST_LIMIT_BYTES) or b"") for file in files]
    limits += [_hierarchical_limit(_read_head(file, _MOST_STAT_BYTES) or b"") for file in stats]
    return [limit for limit in limits if limit is not None]


def _limit(text):
    """The bytes a limit's text says (digits), or None ("max", garbled, 0, too long)."""
    value = text.strip()
    if len(value) < _MOST_LIMIT_BYTES and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def _hierarchical_limit(text):
    """The ``hierarchical_memory_limit`` line's limit of a v1 ``memory.stat``'s text, or None
    where no whole line says it (the file's last line, cut at the bound read, is not one)."""
    for line in text.split(b"\n")[:-1]:
        name, _, value = line.partition(b" ")
        if name == b"hierarchical_memory_limit":
            return _limit(value)
    return None


# (not v2's memory.high nor v1's soft limit: past those the kernel reclaims and throttles, an
# allocation does not fail and the process is not killed; memory.max is the hard limit)
_LIMIT_FILES = {"v1": b"memory.limit_in_bytes", "v2": b"memory.max"}
_MOST_CGROUP_BYTES = 1 << 16  # a line per v1 hierarchy, a path of at most 4096 bytes in each
_MOST_MOUNTINFO_BYTES = 1 << 22  # some 20,000 mounts (a busy Kubernetes node has thousands)
_MOST_LIMIT_BYTES = 64  # a limit is at most 20 digits: more is not a limit
_MOST_STAT_BYTES = 1 << 14  # a v1 memory.stat: some 40 lines of a name and a number
_MOST_PATH_BYTES = 4096  # PATH_MAX: a longer cgroup path is not one
_MOST_MOUNTS = 16  # memory mounts looked at (a hierarchy is seldom mounted more than twice)


def _read_head(path, size):
    """The first ``size`` bytes of the file at ``path``, or None where it cannot be read. Opened
    without blocking: a FIFO put in a file's place must not stop the caller."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    try:
        chunks, left = [], size
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _cgroup_paths(text):
    """``{"v1": path, "v2": path}``: this process's cgroup in the v1 hierarchy holding the memory
    controller and in the v2 one, from the lines ``hierarchy:controllers:path`` of
    ``/proc/self/cgroup``."""
    paths = {}
    for line in text.split(b"\n"):
        fields = line.split(b":", 2)
        if len(fields) != 3 or not fields[2].startswith(b"/") or len(fields[2]) > _MOST_PATH_BYTES:
            continue
        hierarchy, controllers, path = fields
        if hierarchy == b"0" and controllers == b"":
            paths["v2"] = path
        elif hierarchy.isdigit() and b"memory" in controllers.split(b","):
            paths["v1"] = path
    return paths


def _memory_mounts(text):
    """``(root, mount point, "v1" or "v2")`` of each mount of a cgroup hierarchy that may hold
    the memory controller, from the lines of ``/proc/self/mountinfo``: ``id parent major:minor
    root mount-point options [optional fields...] - type source super-options`` (proc(5)),
    paths with space, tab, newline and backslash written as octal escapes (``\\040``)."""
    if len(text) == _MOST_MOUNTINFO_BYTES:  # the last line may be cut
        text = text[: text.rfind(b"\n") + 1]
    mounts = []
    for line in text.split(b"\n"):
        fields = line.split(b" ")
        try:
            separator = fields.index(b"-", 6)
        except ValueError:
            continue
        if len(fields) != separator + 4:
            continue
        kind, super_options = fields[separator + 1], fields[separator + 3]
        if kind == b"cgroup2":
            version = "v2"
        elif kind == b"cgroup" and b"memory" in super_options.split(b","):
            version = "v1"
        else:
            continue
        root, mount = _unescape(fields[3]), _unescape(fields[4])
        if root.startswith(b"/") and mount.startswith(b"/"):
            mounts.append((root, mount, version))
        if len(mounts) == _MOST_MOUNTS:
            break
    return mounts


_ESCAPE = re.compile(rb"\\([0-3][0-7][0-7])")


def _unescape(path):
    return _ESCAPE.sub(lambda match: bytes([int(match[1], 8)]), path)


def _cgroup_directories(path, root, mount):
    """The directories, under ``mount`` (which shows the cgroup ``root`` of the hierarchy), of
    the cgroup ``path`` and of each one above it up to ``mount``: none where the cgroup is not
    under that root (the mount shows another branch), ``mount`` alone where the root is above
    this cgroup namespace's (shown as ``/..``: its limit bounds this cgroup's, whose place under
    it is not known)."""
    parts = [part for part in path.split(b"/") if part]
    root_parts = [part for part in root.split(b"/") if part]
    if b".." in parts or b"." in parts:
        return []
    if root_parts and all(part == b".." for part in root_parts):
        return [mount]
    if parts[: len(root_parts)] != root_parts:
        return []
    below = parts[len(root_parts) :]
    return [os.path.join(mount, *below[:depth]) for depth in range(len(below), -1, -1)]


def allocation_may_fail(size):
    """Whether allocating ``size`` more bytes could raise ``MemoryError`` as the process stands
    now: past the address-space limit (``ulimit -v``; the process's virtual size is read on
    each call where one is set), past the commit limit where the kernel refuses memory it
    cannot back (``vm.overcommit_memory = 2``), or past :func:`memory_limit` less the process's
    resident size (read at most once a second: past it the kernel ends the process rather
    than refuse an allocation, but for one larger than the machine). ~1 us with no limit set
    (a call may be made per ``partial_fit``); where the process's sizes cannot be read
    (``/proc/self/statm``: not Linux), only a set address-space limit answers "may fail"."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        limited = soft != resource.RLIM_INFINITY and soft > 0
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        limited = False
    if limited:
        sizes = _process_sizes()
        if sizes is None or size > soft - sizes[0]:
            return True
    now = time.monotonic()
    read = _sizes_read
    if now - read[0] > _SIZES_SECONDS:
        sizes = _process_sizes()
        left = None if sizes is None else memory_limit() - sizes[1]
        read = _sizes_read[:] = [now, left, _strict_overcommit()]
    if read[2] and size > _commit_room():
        return True
    return read[1] is not None and size > read[1]


_SIZES_SECONDS = 1.0  # how long the memory left and the overcommit rule, as last read, stand
# when they were last read, memory_limit() less the resident size (None: unknown), and whether
# the kernel refuses memory it cannot back
_sizes_read = [float("-inf"), None, False]


def _process_sizes():
    """``(virtual, resident)`` bytes of this process, or None where ``/proc/self/statm`` cannot
    be read."""
    pages = (_read_head("/proc/self/statm", 256) or b"").split()
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return int(pages[0]) * page, int(pages[1]) * page
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _strict_overcommit():
    """Whether the kernel refuses memory it cannot back (``vm.overcommit_memory = 2``)."""
    return (_read_head("/proc/sys/vm/overcommit_memory", 16) or b"").strip() == b"2"


def _commit_room():
    """Bytes the kernel's commit accounting still grants (``CommitLimit - Committed_AS``); 0
    where ``/proc/meminfo`` does not say (under strict overcommit: as if none were left)."""
    fields = {}
    for line in (_read_head("/proc/meminfo", 1 << 16) or b"").split(b"\n"):
        name, _, value = line.partition(b":")
        fields[name] = value.split()[:1]
    try:
        return (int(fields[b"CommitLimit"][0]) - int(fields[b"Committed_AS"][0])) * 1024
    except (KeyError, IndexError, ValueError):
        return 0
