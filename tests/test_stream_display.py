"""What the command line shows while it trains: a progress bar, or plain lines."""

import io
import sys

import numpy as np
import pytest

from sparsereg.stream import StreamProgress
from sparsereg.stream._display import ProgressDisplay


class Counted:
    def count_nonzero(self):
        return np.array([3, 4])  # one-vs-rest: summed


def progress(rows, loss=0.5, holdout=float("nan")):
    return StreamProgress(
        pass_index=0,
        rows=rows,
        pass_rows=rows,
        progressive_loss=loss,
        holdout_rows=0,
        holdout_loss=holdout,
        seconds=2.0,
        file="a.csv",
        model=Counted(),
    )


def test_lines_name_rows_rate_losses_and_nonzeros_at_most_every_few_seconds():
    out = io.StringIO()
    display = ProgressDisplay("lines", "log_loss", stream=out)
    display(progress(1000))
    display(progress(2000))  # within 5 seconds of the first line: not printed
    lines = out.getvalue().splitlines()
    assert lines == [
        "pass 1  rows 1,000  rows/s 500  progressive log_loss 0.50000  holdout -  non-zero 7"
    ]


def test_the_bar_shows_rows_loss_and_nonzeros():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    display = ProgressDisplay("bar", "log_loss", stream=out)
    display(progress(1000, holdout=0.25))
    display.close()
    text = out.getvalue()
    assert "1.00k rows" in text
    assert "log_loss 0.50000" in text and "holdout 0.25000" in text and "non-zero 7" in text


def test_without_tqdm_the_bar_says_what_to_install_and_prints_lines(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    out = io.StringIO()
    display = ProgressDisplay("bar", "squared_error", stream=out)
    display(progress(10, loss=2.0))
    text = out.getvalue()
    assert 'pip install "sparsereg[stream]"' in text
    assert "progressive squared_error 2.00000" in text


def test_quiet_prints_nothing():
    out = io.StringIO()
    ProgressDisplay("none", "log_loss", stream=out)(progress(10))
    assert out.getvalue() == ""
