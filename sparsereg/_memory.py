"""The machine's memory, the bound of what a state, a filter or a checkpoint may ask for."""

import os


def physical_memory():
    """Bytes of physical memory (2**62 where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 2**62
