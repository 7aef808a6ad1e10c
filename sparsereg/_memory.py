"""The memory this process may use, the bound of what a state, a filter or a checkpoint may ask
for."""

import functools
import os
import sys


@functools.cache
def memory_limit():
    """Bytes of memory this process may use: the machine's physical memory, or less where a
    container's cgroup (v1 ``memory.limit_in_bytes``, v2 ``memory.max``) or the address-space
    limit (``ulimit -v``) says so; 2**62 where the system says nothing. Read once per process,
    as ``distributed.system.memory_limit`` does (a state larger than a container's limit got
    past the guards, and the container's out-of-memory killer ended the process)."""
    limits = [2**62]
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        pass
    if sys.platform == "linux":
        for path in ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"):
            try:
                with open(path) as f:
                    value = f.read().strip()
            except OSError:
                continue
            if value.isdigit() and int(value) > 0:  # ("max": no limit)
                limits.append(int(value))
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft > 0:
            limits.append(soft)
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        pass
    return min(limits)
