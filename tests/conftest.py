import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# The plain-C FTRL reference loop (ftrl_limit.py), where SPARSEREG_C_LIMIT names it.
C_LIMIT = Path(os.environ["SPARSEREG_C_LIMIT"]) if os.environ.get("SPARSEREG_C_LIMIT") else None


@pytest.fixture
def local_dataset():
    """Call a ``sparsereg.datasets`` fetcher without downloading; skip the test if it finds nothing.

    The fetchers look in ``SPARSEREG_DATA``, then in the download cache: tests never download.
    """
    def fetch(fetcher, **kwargs):
        try:
            return fetcher(download_if_missing=False, **kwargs)
        except FileNotFoundError as exc:
            pytest.skip(str(exc))

    return fetch


@pytest.fixture
def shared_data():
    """Path of ``../shared/data``; the test is skipped where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared datasets not found at {SHARED_DATA}")
    return SHARED_DATA
