"""How the command line shows a run: a progress bar on a terminal, plain lines otherwise."""

import math
import sys
import time

_LINE_SECONDS = 5.0  # plain lines: at most one per this many seconds
_NONZERO_SECONDS = 2.0  # non-zero weights are a pass over the state: count them this seldom


def _loss_text(name, value):
    return "-" if math.isnan(value) else f"{value:.5f}"


class ProgressDisplay:
    """A ``progress`` callback for :func:`~sparsereg.stream.fit_stream`.

    ``mode``: 'bar' (tqdm, on a terminal), 'lines' (periodic plain lines, e.g. in a
    log file) or 'none'.
    """

    def __init__(self, mode, loss, stream=None):
        self.loss, self.stream = loss, stream or sys.stderr
        self.bar = None
        self.last_line = self.last_count = -math.inf
        self.nonzero = None
        if mode == "bar":
            try:
                from tqdm import tqdm
            except ImportError:
                print(
                    'sparsereg: a progress bar needs tqdm (pip install "sparsereg[stream]"); '
                    "printing lines instead.",
                    file=self.stream,
                )
                mode = "lines"
            else:
                self.bar = tqdm(unit=" rows", unit_scale=True, file=self.stream, smoothing=0.1)
        self.mode = mode

    def _count(self, model, now):
        if now - self.last_count >= _NONZERO_SECONDS:
            count = getattr(model, "count_nonzero", None)
            if callable(count):
                self.nonzero = int(sum(int(c) for c in count().ravel()))
            self.last_count = now
        return "-" if self.nonzero is None else f"{self.nonzero:,}"

    def __call__(self, p):
        if self.mode == "none":
            return
        now = time.perf_counter()
        if self.bar is not None:
            self.bar.update(p.rows - self.bar.n)
            self.bar.set_postfix_str(
                f"pass {p.pass_index + 1}, {self.loss} {_loss_text(self.loss, p.progressive_loss)}"
                f", holdout {_loss_text(self.loss, p.holdout_loss)}"
                f", non-zero {self._count(p.model, now)}",
                refresh=False,
            )
            return
        if now - self.last_line >= _LINE_SECONDS:
            self.last_line = now
            rate = p.rows / p.seconds if p.seconds > 0 else float("nan")
            print(
                f"pass {p.pass_index + 1}  rows {p.rows:,}  rows/s {rate:,.0f}  "
                f"progressive {self.loss} {_loss_text(self.loss, p.progressive_loss)}  "
                f"holdout {_loss_text(self.loss, p.holdout_loss)}  "
                f"non-zero {self._count(p.model, now)}",
                file=self.stream,
                flush=True,
            )

    def close(self):
        if self.bar is not None:
            self.bar.close()
