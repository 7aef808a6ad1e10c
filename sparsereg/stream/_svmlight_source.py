"""SVMlight / LIBSVM files read as a :class:`~sparsereg.stream.Source`, ``batch_rows`` lines at a
time through scikit-learn's ``load_svmlight_file``."""

import gzip
import io
from contextlib import nullcontext
from itertools import islice

import numpy as np

from ._source import Chunk, Position, Source, _FileErrors, _past_the_end

# with skip_bad_rows, this many lines with no good one among them stop the read: each is
# parsed alone (slow), and such a file is rather of another format
_MAX_BAD_LINE_RUN = 10_000  # SVMlight: each bad line costs ~2 parses of its own


# a line is read whole, and parsed into ~20x its bytes: a longer one (a file without line
# ends, or of another format) stops the read, as a CSV row longer than pyarrow's block does
MAX_LINE_BYTES = 1 << 26


def _lines(f, n, path, first_line):
    """The next ``n`` lines of ``f`` (fewer at its end), each of at most `MAX_LINE_BYTES`;
    ``first_line``: the number of the first, to name a longer one."""
    lines = []
    for k in range(n):
        line = f.readline(MAX_LINE_BYTES + 1)
        if not line:
            break
        if len(line) > MAX_LINE_BYTES:
            raise ValueError(
                f"{path}: line {first_line + k} is longer than {MAX_LINE_BYTES:,} bytes (a line "
                "end missing, or not an SVMlight file?)."
            )
        lines.append(line)
    return lines


class _TooMany(Exception):
    """Too many SVMlight lines in a row do not parse (carries the index of the last)."""


def _has_data(line):
    """Whether scikit-learn's parser makes a row of this line (not blank, not only a comment)."""
    return bool(line.split(b"#", 1)[0].split())


class _SVMLightSource(Source):
    """SVMlight / LIBSVM files, ``batch_rows`` lines at a time through ``load_svmlight_file``."""

    def __init__(self, files, *, batch_rows, skip_bad_rows, n_features, zero_based, readahead):
        super().__init__()
        self.readahead = readahead
        self.files = files
        self.batch_rows = batch_rows
        self.skip_bad_rows = skip_bad_rows
        self.n_features = n_features
        # "auto" until decided on the first batch of the first file that holds an index
        self.zero_based = zero_based
        for path in files:
            self._check_not_empty(path)

    def _check_not_empty(self, path):
        with _FileErrors(path):
            with self._open(path) as f:
                if not f.read(1):
                    raise ValueError(f"{path} is empty.")

    @staticmethod
    def _open(path):
        return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")

    def _load(self, block, zero_based, n_features):
        from sklearn.datasets import load_svmlight_file

        try:
            X, y = load_svmlight_file(
                io.BytesIO(block), n_features=n_features, zero_based=zero_based, dtype=np.float64
            )
        except OverflowError as exc:  # an index past 2**63 - 1: a bad line too
            raise ValueError(f"a feature index is outside int64 ({exc})") from None
        # a bad line, as one that does not parse: named, or skipped with skip_bad_rows
        for what, values in (("label", y), ("value", X.data)):
            infinite = ~np.isfinite(values)
            if infinite.any():
                raise ValueError(f"{what} {float(values[infinite][0])} is not finite")
        return X, y

    def _bad_lines(
        self, lines, zero_based, lo, hi, out, first_only=False, run=None, any_width=False
    ):
        """Indices of lines[lo:hi] the parser refuses, with the reason (bisection, in order;
        slow path). `first_only`: stop at the first. `run`: a one-item list counting refused
        lines since the last good one, which stops the search past _MAX_BAD_LINE_RUN.
        `any_width`: indices past n_features are not refused."""
        if first_only and out:
            return
        try:
            n_features = None if any_width else self.n_features
            self._load(b"".join(lines[lo:hi]), zero_based, n_features)
            if run is not None:
                run[0] = 0
            return
        except ValueError as exc:
            if hi - lo == 1:
                out.append((lo, str(exc)))
                if run is not None:
                    run[0] += 1
                    if run[0] > _MAX_BAD_LINE_RUN:
                        raise _TooMany(lo) from None
                return
        mid = (lo + hi) // 2
        self._bad_lines(lines, zero_based, lo, mid, out, first_only, run, any_width)
        self._bad_lines(lines, zero_based, mid, hi, out, first_only, run, any_width)

    def _decide_zero_based(self, lines):
        """sklearn's "auto" on one block: one-based unless an index 0 appears. None: no index."""
        rows = [line for line in lines if _has_data(line)]
        if not rows:
            return None
        try:
            X, _ = self._load(b"".join(rows), True, None)
        except ValueError:  # a bad line: decide on the lines that parse
            bad = []
            # (read as zero-based, an index equal to n_features is past the width: were such
            # a line left out, a one-based file would be decided later than its first index)
            self._bad_lines(rows, True, 0, len(rows), bad, any_width=True)
            skip = {k for k, _ in bad}
            rows = [line for k, line in enumerate(rows) if k not in skip]
            if not rows:
                return None
            X, _ = self._load(b"".join(rows), True, None)
        if X.nnz == 0 and len(X.indices) == 0:
            return None
        return bool(X.indices.min() == 0)

    def _resolve_zero_based(self):
        """Decide "auto" from the first file's blocks, as an uninterrupted first pass does."""
        for path in self.files:
            with _FileErrors(path), self._open(path) as f:
                first_line = 1
                while True:
                    lines = _lines(f, self.batch_rows, path, first_line)
                    if not lines:
                        break
                    first_line += len(lines)
                    decided = self._decide_zero_based(lines)
                    if decided is not None:
                        self.zero_based = decided
                        return
        self.zero_based = True  # no index anywhere: nothing to shift

    def _block(self, path, lines, first_line):
        """(X, y, line numbers, bad count) of a block of lines starting at line `first_line`."""
        if self.zero_based == "auto":
            decided = self._decide_zero_based(lines)
            if decided is not None:
                self.zero_based = decided
        zero_based = True if self.zero_based == "auto" else self.zero_based  # no index yet
        numbers = np.array(
            [first_line + k for k, line in enumerate(lines) if _has_data(line)], dtype=np.int64
        )
        try:
            X, y = self._load(b"".join(lines), zero_based, self.n_features)
            if X.shape[0] == len(numbers):
                if len(numbers):
                    self._run = 0
                return X, y, numbers, 0
        except ValueError:
            pass
        rows = [lines[k - first_line] for k in numbers]
        bad = []
        run = [self._run] if self.skip_bad_rows else None
        try:
            self._bad_lines(
                rows, zero_based, 0, len(rows), bad, first_only=not self.skip_bad_rows, run=run
            )
        except _TooMany as many:
            raise ValueError(
                f"{path}: more than {_MAX_BAD_LINE_RUN:,} lines in a row (up to line "
                f"{numbers[many.args[0]]}) do not parse as SVMlight ({bad[-1][1]}); "
                "is it an SVMlight file?"
            ) from None
        if not bad:  # the whole block failed but no line alone does: refuse the block
            raise ValueError(
                f"{path}: lines {first_line}-{first_line + len(lines) - 1} do not "
                "parse as SVMlight."
            )
        if not self.skip_bad_rows:
            k, reason = bad[0]
            raise ValueError(f"{path}: line {numbers[k]}: {reason}")
        for k, reason in bad:
            self._note_bad(path, "line", int(numbers[k]), reason)
        self._run = run[0]
        drop = {k for k, _ in bad}
        keep = [k for k in range(len(rows)) if k not in drop]
        X, y = self._load(b"".join(rows[k] for k in keep), zero_based, self.n_features)
        return X, y, numbers[keep], len(bad)

    def _chunks(self, start):
        self._run = 0  # lines that did not parse since the last good one (skip_bad_rows)
        if self.zero_based == "auto" and start != Position():
            self._resolve_zero_based()
        for i in range(start.file, len(self.files)):
            path = self.files[i]
            line = start.row if i == start.file else 0
            with _FileErrors(path), self._open(path) as f:
                skipped = sum(1 for _ in islice(f, line))  # lines consumed before the resume point
                if skipped < line:
                    raise _past_the_end(path, line, skipped)
                while True:
                    lines = _lines(f, self.batch_rows, path, line + 1)
                    if not lines:
                        break
                    X, y, numbers, bad = self._block(path, lines, line + 1)
                    line += len(lines)
                    if len(numbers):
                        yield Chunk(
                            X=X,
                            y=y,
                            file=path,
                            row_numbers=numbers,
                            end=Position(i, line),
                            bad_rows=bad,
                        )


class _StdinSVMLightSource(_SVMLightSource):
    """SVMlight lines from a stream read once, as they come (standard input: ``zcat
    day.svm.gz | sparsereg train - ...``): one pass, no resume; gzip'd bytes are decompressed."""

    resumable = False

    def __init__(self, stream, *, name="<stdin>", **options):
        # (peek: a byte read to tell a gzip'd or an empty stream would be lost to the rows; no
        # SVMlight line starts with gzip's first byte)
        self._stream = gzip.GzipFile(fileobj=stream) if stream.peek(1)[:1] == b"\x1f" else stream
        self._opened = False
        super().__init__([name], **options)

    def _check_not_empty(self, path):
        with _FileErrors(path):
            if not self._stream.peek(1):
                raise ValueError(f"{path} is empty.")

    def _open(self, path):
        if self._opened:  # (what was read is gone)
            raise ValueError(f"{path} is a stream, read once: it cannot be read again.")
        self._opened = True
        return nullcontext(self._stream)
