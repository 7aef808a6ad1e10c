import os
from pathlib import Path

import pytest

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
