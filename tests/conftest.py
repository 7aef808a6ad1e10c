import os
import signal
from pathlib import Path

import pytest

# Ctrl-C as a terminal gives it, whoever started the tests: a shell without job control (a
# script) starts a command in the background (`... &`) with SIGINT ignored, and Python then leaves
# it ignored, so the tests that send SIGINT to this process or to a command they start would
# see nothing happen (each waited for its timeout, and the suite took minutes longer). The
# commands they start inherit the default action and install Python's own handler.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

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
