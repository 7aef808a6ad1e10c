"""The memory this process may use, the bound of what a state, a filter or a checkpoint may ask
for."""

import os
import sys
import time


def memory_limit():
    """Bytes of memory this process may use: the machine's physical memory, or less where the
    process's cgroup or one above it (a container's, a systemd unit's, a batch job's: v2
    ``memory.max``, v1 ``memory.limit_in_bytes``) or the address-space limit (``ulimit -v``)
    says so; 2**62 where the system says nothing. The address-space limit is read on each
    call, the cgroups' at most once a second, so a limit changed while the process runs
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
    cgroup file system say them ("max": none), in bytes."""
    places = []  # (the controller's mount, the cgroup's path under it, the limit's file)
    try:
        with open("/proc/self/cgroup", "rb") as f:  # (a cgroup's name may be any bytes)
            lines = f.read().split(b"\n")
    except OSError:
        lines = []
    for line in lines:
        hierarchy, controllers, path = (os.fsdecode(line).split(":", 2) + ["", ""])[:3]
        if hierarchy == "0" and controllers == "":
            places.append(("/sys/fs/cgroup", path, "memory.max"))
        elif "memory" in controllers.split(","):
            places.append(("/sys/fs/cgroup/memory", path, "memory.limit_in_bytes"))
    # the mount's own root: a container's cgroup namespace shows its cgroup there as "/"
    places += [
        ("/sys/fs/cgroup", "/", "memory.max"),
        ("/sys/fs/cgroup/memory", "/", "memory.limit_in_bytes"),
    ]
    files = {}  # each limit's file once (a cgroup's walk up ends at the root too), in order
    for mount, path, name in places:
        parts = [part for part in path.split("/") if part and part != ".."]
        for depth in range(len(parts), -1, -1):  # the cgroup, then each one above it
            files[os.path.join(mount, *parts[:depth], name)] = None
    limits = []
    for file in files:
        try:
            with open(file) as f:
                value = f.read().strip()
        except OSError:
            continue
        if value.isdigit() and int(value) > 0:
            limits.append(int(value))
    return limits
