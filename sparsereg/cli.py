"""The ``sparsereg`` command: train on files bigger than memory, predict, report.

``sparsereg train`` streams CSV, gzip'd CSV, Parquet or SVMlight files through a
:class:`~sparsereg.FeatureCrossHasher` into an FTRL model with
:func:`sparsereg.stream.fit_stream` (progressive validation, holdout, passes,
checkpoints) and writes the exported model; ``sparsereg predict`` streams files
through an exported model; ``sparsereg report`` prints a model's sparsity and its
largest weights, named by the hasher when data is given. Run ``sparsereg -h``.
"""

import _signal
import argparse
import csv
import dataclasses
import io
import json
import math
import os
import re
import resource
import signal
import sys
import time
import uuid
import warnings
from contextlib import contextmanager, nullcontext

import numpy as np

from ._atomic import atomic_file, resolved_path
from ._cli_warnings import each_warning_once
from ._interrupts import call_until_done, default_disposition
from ._output_path import OutputPathError, check_output_path

__all__ = ["main"]

_FORMATS = ("csv", "parquet", "svmlight")
_EXIT_ERROR, _EXIT_INTERRUPTED, _EXIT_TERMINATED = 1, 130, 143  # 128 + SIGINT, + SIGTERM
_EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool its reader left


class UsageError(ValueError):
    """A combination of options that does not make sense."""


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C is: a run stopped by ``kill`` or a service manager saves its
    checkpoint and leaves no temporary file of a write it cut short."""


def _terminate(signum, frame):
    raise _Terminated


@contextmanager
def _sigterm_stops_like_ctrl_c():
    """SIGTERM raises `_Terminated` while the command runs, where it would kill the process
    (its default); a handler of the caller's, SIG_IGN or another thread than the main one:
    left alone. So is a handler installed from C (`faulthandler.register`, an embedding
    host), which `signal.getsignal` reports as SIG_DFL or None: the process's disposition is
    asked too, since a handler replaced here could not be put back (it would end as SIG_DFL).
    The `yield` is in no `try` that catches: an error of the command (a `UsageError` is a
    ValueError) passes through as raised."""
    ours = False
    try:
        try:
            if (
                signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
                and default_disposition(signal.SIGTERM) is not False
            ):
                ours = True  # (set first: a SIGTERM right after the install restores it too)
                signal.signal(signal.SIGTERM, _terminate)
        except ValueError:  # not the main thread: nothing installed
            ours = False
        yield
    finally:
        if ours:
            # compiled retries of the C function: no handler runs between two (a SIGTERM in
            # the Python wrapper's restore left _terminate installed); its _Terminated after
            call_until_done(_signal.signal, _signal.SIGTERM, _signal.SIG_DFL)


# ---------------------------------------------------------------- option parsing
def _count(text):
    """An int written as digits, ``2**k`` or ``1e6``."""
    match = re.fullmatch(r"\s*(\d+)\s*\*\*\s*(\d+)\s*", text)
    if match:
        base, power = int(match[1]), int(match[2])
        if power > 64:
            raise argparse.ArgumentTypeError(f"{text!r} is too large.")
        return base**power
    try:
        value = float(text) if re.fullmatch(r"\s*\d+(\.\d*)?[eE]\d+\s*", text) else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number (e.g. 1000000, 1e6, 2**24)."
        ) from None
    if not math.isfinite(value):  # 1e400
        raise argparse.ArgumentTypeError(f"{text!r} is too large.")
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number.")
    return int(value)


def _positive_count(text):
    """A count in [1, 2**63 - 1] (an int64: 2**64 rows per batch failed), as `_count` takes it."""
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= 1.")
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is too large (at most 2**63 - 1).")
    return value


def _random_seed(text):
    """A random_state: a whole number in [0, 2**32 - 1] (numpy's seeds), as `_count` takes it."""
    value = _count(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number in [0, 2**32 - 1].")
    return value


def _seed(text):
    """A hash seed: a whole number in [0, 2**64 - 1], written as `_count` takes it."""
    value = _count(text)
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number in [0, 2**64 - 1].")
    return value


def _number(text):
    """A float written as a decimal or a fraction ``a/b`` (e.g. 1/60)."""
    try:
        if "/" in text:
            num, den = text.split("/", 1)
            return float(num) / float(den)
        return float(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 0.5 or 1/60).") from None


def _non_negative(text):
    """A finite number >= 0 (e.g. 0.1)."""
    value = _number(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number >= 0.")
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= 0.")
    return value


_FEW_COLUMNS = 64  # --n-features this small is noted: a number of bits, as vw's -b takes?


def _bucket(text):
    name, sep, width = text.rpartition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(
            f"--bucket takes COLUMN=WIDTH (e.g. lat=1/60, ts=hour,"
            f"dayofweek or ts=15min), got {text!r}."
        )
    misspelt = re.fullmatch(r"\s*[0-9]+\s*[A-Za-z]+\s*", width)  # (a unit: 1H, 1d)
    if (
        width[:1].isalpha()
        or width.rstrip(" ").endswith(("ns", "us", "ms", "s", "min", "h", "D", "W"))
        or misspelt
    ):
        # a datetime column: calendar parts (hour,dayofweek) or a time width (15min)
        from ._datetimes import DatetimeBuckets

        parts = [p.strip() for p in width.split(",")]
        spec = {"datetime": parts if len(parts) > 1 or parts[0][:1].isalpha() else parts[0]}
        try:
            DatetimeBuckets(name, spec)
        except ValueError as exc:
            message = str(exc)
            # (a word or a unit alone: a list of calendar parts is a datetime bucket's)
            if "is neither a calendar part" in message and (width.isalpha() or misspelt):
                message = (
                    f"{message.rstrip('.')}; a column of numbers takes a number "
                    f"({name}=0.5, {name}=1/60)."
                )
            raise argparse.ArgumentTypeError(f"--bucket {text!r}: {message}") from None
        return name, spec
    value = _number(width)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"--bucket {text!r}: the width must be a number > 0.")
    return name, value


def _delimiter(text):
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"give one character (e.g. ';'), got {text!r}.")
    if text in '"\r\n':  # (each row was read as one field: "no column 'click'")
        raise argparse.ArgumentTypeError(
            f"{text!r} quotes fields or ends lines; give another character (e.g. ';')."
        )
    if not "\x01" <= text <= "\x7f":  # (the header was read as one column: "no column")
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ASCII character other than NUL (pyarrow reads one byte)."
        )
    return text


def _names(text, what="column names"):
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r}: give {what} separated by commas.")
    return names


def _labels(text):
    return _names(text, "labels")


def _holdout(text):
    """Every K-th row (an int K >= 2, 5.0 taken as 5) or a share (0 < K < 1)."""
    try:
        value = int(text)
    except ValueError:
        value = _number(text)
        if math.isfinite(value) and value >= 1 and value == int(value):  # 5.0: every 5th
            value = int(value)
    if isinstance(value, int) and 2 <= value < 2**63 or isinstance(value, float) and 0 < value < 1:
        return value  # (K of 1e30 was taken: OverflowError and a traceback at the first batch)
    raise argparse.ArgumentTypeError(
        f"{text!r}: give K >= 2 (every K-th row of each file) or a share 0 < K < 1."
    )


class _Once(argparse.Action):
    """An option that names one column, refused when given again with another: a second
    ``--target`` reads as a second target, which train has not (the first was dropped)."""

    def __call__(self, parser, namespace, value, option_string=None):
        given = getattr(namespace, self.dest)
        if given is not None and given != value:
            raise argparse.ArgumentError(
                self, f"given twice ({given!r}, then {value!r}); name one column."
            )
        setattr(namespace, self.dest, value)


class _CommandParser(argparse.ArgumentParser):
    """A command's parser: its files and options in any order (``train a.svm --model m.npz
    b.svm``, as Vowpal Wabbit and most Unix tools take them): argparse's
    ``parse_known_intermixed_args``, which argparse's own parsing of a command (the
    subparsers' ``parse_known_args``) does not use."""

    # (before Python 3.12.8 / 3.13.1, parse_known_intermixed_args calls parse_known_args)
    _intermixed = False

    def parse_known_args(self, args=None, namespace=None):
        if self._intermixed:
            return super().parse_known_args(args, namespace)
        args = list(sys.argv[1:] if args is None else args)
        after = {}
        k = args.index("--") if "--" in args else -1
        for arg in args[: k if k >= 0 else len(args)]:
            # argparse before Python 3.12.8 / 3.13.1 reads `--features=--` as no value at all
            # ([]: trained with no column), later ones as "--"
            name, equals, value = arg.partition("=") if isinstance(arg, str) else ("", "", "")
            if equals and value == "--" and name in self._option_string_actions:
                self.error(f"argument {name}: expected one argument, not '--'")
        before = self._option_string_actions.get(args[k - 1]) if k > 0 else None
        if k >= 0 and (before is None or before.nargs == 0):
            # every argument after "--" is a file: each is parsed as a stand-in that no
            # argument can be (a NUL: none in a program's argv) and that is no option, since
            # the intermixed parsing of Python 3.10-3.12.7 and 3.13.0 took "--" away and then
            # a file named "-x" for an unknown option. Not after an option that wants a value
            # (`--model -- b.csv`): it would take the first file for it, and a model written
            # over b.csv; argparse says "expected one argument" there.
            mark = f"\0{uuid.uuid4().hex}:"
            after = {f"{mark}{i}": arg for i, arg in enumerate(args[k + 1 :])}
            args = args[:k] + list(after)
        self._intermixed = True
        try:
            namespace, extras = self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixed = False
        for name, value in vars(namespace).items():
            if isinstance(value, str):
                setattr(namespace, name, after.get(value, value))
            elif isinstance(value, list):
                setattr(
                    namespace, name, [after.get(v, v) if isinstance(v, str) else v for v in value]
                )
        return namespace, [after.get(arg, arg) for arg in extras]


def _parser():
    from . import __version__

    # no abbreviated long options (argparse's default takes --hold for --holdout): an
    # abbreviation a script relies on would change meaning, or stop working, when an option
    # that shares its prefix is added; a mistyped option is then an error, not another option
    parser = argparse.ArgumentParser(
        prog="sparsereg",
        description="FTRL-Proximal models on hashed feature crosses, trained "
        "from files bigger than memory.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_CommandParser
    )

    train = commands.add_parser(
        "train",
        allow_abbrev=False,
        help="train a model on CSV, Parquet or SVMlight files",
        description="Stream the files (in order, batch by batch), hash each row's columns and "
        "crosses, score each batch before training on it (progressive validation) and train "
        "with FTRL-Proximal; write the model (an .npz without pickle) at the end.",
    )
    train.add_argument(
        "data",
        nargs="+",
        metavar="DATA",
        help="input files, all of one format (a .gz file is decompressed as it is read); - "
        "reads SVMlight lines from stdin, for one pass (--format svmlight)",
    )
    train.add_argument("--model", required=True, metavar="OUT.npz", help="where to write the model")
    train.add_argument(
        "--weights",
        default="float64",
        choices=("float64", "float16", "q2.13"),
        help="how the model file stores the weights: float64 (default), float16, or the "
        "16-bit fixed point q2.13 with seeded randomized rounding (see export_model)",
    )
    _add_reading(train)
    train.add_argument(
        "--target", action=_Once, metavar="COL", help="the target column (CSV, Parquet)"
    )
    train.add_argument(
        "--weight-column",
        action=_Once,
        metavar="COL",
        help="a numeric column of each row's weight (CSV, Parquet), given to the model as "
        "sample_weight and not hashed; the losses reported are weighted means. A weight that "
        "is missing, not a number, infinite or negative makes its row bad",
    )
    hashing = train.add_argument_group("features (CSV, Parquet)")
    hashing.add_argument(
        "--features",
        type=_names,
        action="extend",
        metavar="A,B,...",
        help="columns hashed alone (default: every column but the target; repeatable)",
    )
    hashing.add_argument(
        "--cross",
        type=_names,
        action="append",
        default=[],
        metavar="A,B",
        help="a cross of columns, hashed as one feature (repeatable)",
    )
    hashing.add_argument(
        "--bucket",
        type=_bucket,
        action="append",
        default=[],
        metavar="COL=WIDTH",
        help="bucket a numeric column by WIDTH (e.g. "
        "lat=1/60), or a datetime column (ISO 8601 text) by calendar parts "
        "(ts=hour,dayofweek) or a time width (ts=15min); other columns are "
        "read as pandas reads them, numbers or text (repeatable)",
    )
    hashing.add_argument(
        "--text",
        type=_names,
        action="extend",
        metavar="A,B,...",
        help="CSV columns read as text whatever their values (default: as pandas reads them, "
        "their kind decided by the first file whose first rows hold a value; a Parquet "
        "column is read by its type; repeatable)",
    )
    hashing.add_argument(
        "--n-features",
        type=_positive_count,
        default=2**24,
        metavar="N",
        help="hashed columns, e.g. 2**24 (default); for SVMlight, its width",
    )
    hashing.add_argument("--hash-seed", type=_seed, metavar="S", help="hash seed (0)")
    model = train.add_argument_group("model (see SparseFTRLClassifier / SparseFTRLRegressor)")
    model.add_argument(
        "--loss",
        default="log_loss",
        help="log_loss (default), hinge, modified_huber, squared_hinge, "
        "perceptron (classifiers); squared_error, huber, epsilon_insensitive, "
        "squared_epsilon_insensitive (regressors)",
    )
    model.add_argument("--penalty", default="l1", choices=("l1", "l2", "elasticnet", "none"))
    model.add_argument("--alpha", type=float, default=1e-4)
    model.add_argument("--l1-ratio", type=float, default=0.15)
    model.add_argument("--penalty-scale", default="mean", choices=("mean", "sum"))
    model.add_argument("--eta0", type=float, default=0.1)
    model.add_argument("--beta", type=float, default=1.0)
    model.add_argument(
        "--epsilon",
        type=_non_negative,
        help="the margin of the huber and epsilon-insensitive losses (regressors; 0.1)",
    )
    model.add_argument("--no-intercept", action="store_true", help="learn no intercept")
    model.add_argument("--state-store", default="auto", choices=("auto", "dense", "sparse"))
    model.add_argument("--inclusion", choices=("poisson", "bloom"))
    model.add_argument(
        "--shuffle",
        action="store_true",
        help="shuffle the rows inside each batch (default: file order)",
    )
    model.add_argument("--seed", type=_random_seed, default=0, help="random_state (0)")
    model.add_argument(
        "--classes",
        type=_labels,
        action="extend",
        metavar="A,B,...",
        help="every label of the stream (default: those of the first batch, read as "
        "numbers: labels that are text must be listed here; repeatable)",
    )
    run = train.add_argument_group("run")
    run.add_argument("--passes", type=_positive_count, default=1)
    run.add_argument(
        "--holdout",
        type=_holdout,
        metavar="K",
        help="hold out every K-th row of each file (K >= 2) or a share (0 < K < 1)",
    )
    run.add_argument(
        "--early-stop",
        type=_positive_count,
        metavar="N",
        help="with --holdout: stop after N passes without a better holdout loss",
    )
    run.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="save the training state here: every --checkpoint-every rows, after "
        "each pass, at the end, and on Ctrl-C",
    )
    run.add_argument("--checkpoint-every", type=_positive_count, metavar="ROWS")
    run.add_argument("--resume", action="store_true", help="continue the run in --checkpoint")
    run.add_argument(
        "--initial",
        metavar="CKPT",
        help="train on from the model of an earlier run's --checkpoint, on these files (as "
        "Vowpal Wabbit's -i): its hashing options and target must be this run's",
    )
    _add_output(train)

    predict = commands.add_parser(
        "predict",
        allow_abbrev=False,
        help="predict with a model, streaming the files",
        description="Stream the files through the model (hasher included) and write one "
        "prediction per row, in order, as CSV.",
    )
    predict.add_argument("model", metavar="MODEL.npz")
    predict.add_argument(
        "data",
        nargs="+",
        metavar="DATA",
        help="input files; - reads SVMlight lines from stdin (--format svmlight)",
    )
    predict.add_argument(
        "--out",
        default="-",
        metavar="PREDS.csv",
        help="output (default: stdout); a .gz or .bz2 name is written compressed",
    )
    predict.add_argument(
        "--proba", action="store_true", help="also write each class's probability (classifiers)"
    )
    predict.add_argument(
        "--target",
        action=_Once,
        metavar="COL",
        help="the label column of labelled rows (CSV, Parquet): the model's loss on them is "
        "printed on stderr, as Vowpal Wabbit's -t does (log loss and accuracy, or the mean "
        "squared error); a row without a label is predicted, not scored, as is one whose label "
        "is no class of the model with --skip-bad-rows (without, it stops the run)",
    )
    predict.add_argument(
        "--weight-column",
        action=_Once,
        metavar="COL",
        help="with --target: a numeric column of each row's weight, which weighs the loss "
        "printed (weighted means, as train's --weight-column weighs its losses); not a "
        "feature. A weight that is missing, not a number, infinite or negative makes its row bad",
    )
    _add_reading(predict, predicting=True)
    predict.add_argument(
        "--quiet", action="store_true", help="print nothing but errors (and --target's loss)"
    )

    report = commands.add_parser(
        "report",
        allow_abbrev=False,
        help="sparsity and the largest weights of a model",
        description="Print the model's sparsity report and its largest weights; with DATA, "
        "each weight's column is named by the readable cells that hash to it.",
    )
    report.add_argument("model", metavar="MODEL.npz")
    report.add_argument("data", nargs="*", metavar="DATA", help="rows to name the columns with")
    report.add_argument("--top", type=_non_negative_int, default=20, help="weights to list (20)")
    report.add_argument(
        "--explain-rows",
        type=_positive_count,
        metavar="N",
        help="rows of DATA read to name the columns (100000)",
    )
    report.add_argument("--format", choices=_FORMATS)
    report.add_argument(
        "--delimiter", type=_delimiter, help="CSV field delimiter (default: ',', tab for .tsv)"
    )
    report.add_argument(
        "--zero-based",
        action="store_true",
        help="SVMlight column indices start at 0 (default: at 1)",
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    for command in (train, predict, report):
        # a UsageError of the command is printed with its usage line, as argparse's own are
        command.set_defaults(command_parser=command)
    return parser


def _add_reading(parser, predicting=False):
    group = parser.add_argument_group("reading")
    group.add_argument("--format", choices=_FORMATS, help="default: from the file suffix")
    group.add_argument(
        "--delimiter", type=_delimiter, help="CSV field delimiter (default: ',', tab for .tsv)"
    )
    group.add_argument(
        "--batch-rows",
        type=_positive_count,
        default=65536,
        metavar="N",
        help="rows per batch (65536)",
    )
    group.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="skip malformed rows (counted and reported) instead of stopping"
        + (
            "; with --target, a row whose label is no class of the model is predicted, not scored"
            if predicting
            else ""
        ),
    )
    if not predicting:
        group.add_argument(
            "--zero-based",
            action="store_true",
            help="SVMlight column indices start at 0 (default: at 1, as LIBSVM's)",
        )
        return
    # (a model trained on zero-based files records it: its columns are those files' indices)
    base = group.add_mutually_exclusive_group()
    base.add_argument(
        "--zero-based",
        action="store_true",
        default=None,
        help="SVMlight column indices start at 0 (default: as in the files the model was "
        "trained on; at 1, as LIBSVM's, unless train had --zero-based or the model was "
        "exported with svmlight_zero_based=True)",
    )
    base.add_argument(
        "--one-based",
        dest="zero_based",
        action="store_false",
        help="SVMlight column indices start at 1 (for a model trained with --zero-based)",
    )


def _add_output(parser):
    group = parser.add_argument_group("output")
    group.add_argument("--quiet", action="store_true", help="no progress output")
    group.add_argument(
        "--json",
        action="store_true",
        help="print a JSON summary on stdout (rows, rows/s, passes, losses, non-zeros, seconds, "
        "peak RSS)",
    )


# ---------------------------------------------------------------- helpers
def _format_of(paths, given):
    """The files' format: ``--format``, or the first file's suffix."""
    from .stream._readers import _format_of as format_and_delimiter

    if given:
        return given
    fmt, _ = format_and_delimiter(paths[0])
    if fmt is None:
        raise UsageError(
            f"cannot tell the format of {paths[0]} from its suffix; give --format "
            f"({', '.join(_FORMATS)})."
        )
    # (each file was read as the first one's format: an SVMlight file as a CSV of one column)
    for path in paths[1:]:
        other, _ = format_and_delimiter(path)
        if other is not None and other != fmt:
            raise UsageError(
                f"{path} is {other} by its suffix but {paths[0]} is {fmt}; the files of a run "
                "are read in one format: give files of one format (or --format to read them "
                "all as one)."
            )
    return fmt


def _reading(args):
    """``(format, delimiter)`` of the input files."""
    fmt = _format_of(args.data, args.format)
    # (train's and report's --zero-based is False when not given; predict's None, False for
    # --one-based)
    given = args.zero_based or (args.command == "predict" and args.zero_based is False)
    if given and fmt != "svmlight":  # (it was taken and not used)
        option = "--zero-based" if args.zero_based else "--one-based"
        raise UsageError(f"{option} is for SVMlight files; these are read as {fmt}.")
    if args.delimiter is None:
        # (not the first file's alone: it read every file, a .tsv as one column)
        return fmt, _implied_delimiter(args.data) if fmt == "csv" else ","
    if fmt != "csv":
        raise UsageError(f"--delimiter is for CSV files; these are read as {fmt}.")
    return fmt, args.delimiter


def _implied_delimiter(paths):
    """The delimiter the CSV files' suffixes give (a tab for ``.tsv``, else ","), as
    `open_source` takes it: files of both kinds are refused; a file whose suffix names no
    format (read with ``--format csv``) gives none."""
    from .stream._readers import delimiters_by_suffix

    first_of = delimiters_by_suffix(paths)
    if len(first_of) > 1:
        tabbed, other = first_of["\t"], first_of[","]
        raise UsageError(
            f"{tabbed} is tab-delimited by its suffix but {other} is not; the files "
            "are read with one delimiter: give --delimiter, or files of one kind."
        )
    return next(iter(first_of), ",")


def _csv_header(path, delimiter):
    from .stream._source import _import_pyarrow

    pa = _import_pyarrow()
    try:
        # as the reader (pyarrow) takes it: decompressed as its name says (.gz, .bz2...), a
        # byte-order mark dropped, blank lines skipped
        # (bytes that are not UTF-8 kept as lone surrogates: the wrapper decodes a block at a
        # time, and a bad byte in a row after the header failed the header)
        with (
            pa.input_stream(os.fspath(path), compression="detect") as raw,
            io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as f,
        ):
            row = next((row for row in csv.reader(f, delimiter=delimiter) if row), None)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error, pa.ArrowException) as exc:
        raise ValueError(f"{path}: cannot read its header: {exc}") from None
    for cell in row or ():
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError as exc:
            byte = ord(cell[exc.start]) - 0xDC00
            raise ValueError(
                f"{path}: cannot read its header: byte 0x{byte:02x} is not UTF-8."
            ) from None
    if not row:
        raise ValueError(f"{path} is empty (no header).")
    return row


def _header(path, fmt, delimiter):
    from .stream._readers import _check_arrow_readable_name, _check_readable_path

    _check_readable_path(path)
    _check_arrow_readable_name(path)
    if fmt == "parquet":
        from .stream._source import _import_pyarrow

        _import_pyarrow()
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises its own ArrowInvalid / OSError
            raise ValueError(f"{path}: not a readable Parquet file ({exc}).") from None
    return _csv_header(path, delimiter)


def _peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _finite_or_none(value):
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def _check_writable(option, path):
    """Refuse, before any work, an output that exists but is no regular file (a folder: the
    file renamed over it at the end would fail) or whose folder is missing or not writable."""
    if path == "-":  # (a file named "-" was written: "-" is stdout for predict's --out)
        raise UsageError(f"{option} -: give the path of a file to write, not stdout.")
    try:
        check_output_path(path)
    except OutputPathError as exc:
        shown = repr(path) if exc.quoted else path
        raise (UsageError if exc.misnamed else ValueError)(
            f"{option} {shown} {exc.reason}"
        ) from None


def _check_stdin(args):
    """``-`` as DATA reads SVMlight lines from standard input, once, as they come (``zcat
    day.svm.gz | sparsereg train - --format svmlight``). Refused where it cannot be: beside
    other files, CSV and Parquet (read by position and more than once: the header first, rows
    again to name a bad one), ``report``, and train's runs that read their data again
    (``--passes``, a ``--checkpoint`` to resume from)."""
    if "-" not in args.data:
        return
    model = "" if args.command == "train" else " MODEL.npz"
    file_instead = (
        f"Give the file itself (one compressed as .gz is decompressed as it is read: sparsereg "
        f"{args.command}{model} day.csv.gz; a CSV as .bz2, .lz4 or .zst too), or save the "
        "stream to a file first."
    )
    fmt = getattr(args, "format", None)
    if args.command == "report" or fmt in ("csv", "parquet"):
        what, first = "CSV files", "the header first, rows again to name a bad one"
        if args.command == "report":
            what = "report's DATA"
        elif fmt == "parquet":
            what, first = "Parquet files", "the footer at their end first"
        raise UsageError(
            "DATA -: standard input cannot be read here (train and predict read SVMlight lines "
            f"from it, with --format svmlight): {what} are read by position and more than once "
            f"({first}). {file_instead}"
        )
    if args.data != ["-"]:
        raise UsageError("DATA -: standard input is read alone; give - as the only DATA.")
    if fmt is None:
        raise UsageError(
            "DATA -: standard input has no suffix to tell its format by; it is read as SVMlight "
            "lines, with --format svmlight (CSV and Parquet are read from files: save the "
            "stream to a file and give the file)."
        )
    if args.command != "train":
        return
    if args.passes > 1:
        # (Vowpal Wabbit's answer is its cache file: here, the file the passes read)
        raise UsageError(
            f"--passes {args.passes}: standard input is read once, and each pass reads the "
            "data again. Save the stream to a file and give the file (gzip'd, it is "
            f"decompressed as it is read: ... | gzip > day.svm.gz; sparsereg train day.svm.gz "
            f"--passes {args.passes} ...)."
        )
    if args.checkpoint is not None:
        raise UsageError(
            "--checkpoint: a run on standard input cannot be resumed (--resume reads the data "
            "again from the checkpoint's position); give the data as a file to checkpoint it."
        )


def _data(args, n_features):
    """What the readers read: the DATA files, or a source of standard input's SVMlight lines."""
    if args.data != ["-"]:
        return list(args.data)
    from .stream._svmlight_source import _StdinSVMLightSource

    # (the reader peeks at its first byte, to tell gzip'd lines; sys.stdin is None where the
    # program's stdin is closed, and main() called as a library may be given another stream)
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise UsageError(
            "DATA -: standard input cannot be read as bytes here (it is closed, or not a binary "
            "stream); give the file itself."
        )
    return _StdinSVMLightSource(
        stream if hasattr(stream, "peek") else io.BufferedReader(stream),
        batch_rows=args.batch_rows,
        skip_bad_rows=args.skip_bad_rows,
        n_features=n_features,
        zero_based=args.zero_based,
        readahead=0,
    )


def _check_not_an_input(option, path, data):
    """Refuse, before any work, an output that names one of the input files: it would be
    written over while, or after, it is read (the data lost, or a pass reading a model)."""
    for name in data:
        if _same_file(path, name):
            raise UsageError(f"{option} {path} is the input file {name}: it would be written over.")


def _same_file(path, other):
    if os.path.abspath(path) == os.path.abspath(other):
        return True
    try:
        return os.path.samefile(path, other)
    except OSError:  # (either not there yet)
        return False


def _load_model(path, data):
    """The exported model at `path`, refused if it is also given as DATA (its zip bytes read
    as rows, with pyarrow's decoding errors); a refusal of the file names it."""
    from .export import load_model

    for name in data:
        if _same_file(path, name):
            raise UsageError(f"{name} is the model file: give the rows to read as DATA.")
    try:
        return load_model(path)
    except ValueError as exc:
        if str(path) in str(exc):
            raise
        raise ValueError(f"{path}: {exc}") from None  # ("not a ... file": which one?)


# ---------------------------------------------------------------- train
# the options that set an estimator's or the hasher's parameter, by parameter
_OPTION_OF_PARAMETER = {
    "penalty": "--penalty",
    "alpha": "--alpha",
    "l1_ratio": "--l1-ratio",
    "penalty_scale": "--penalty-scale",
    "eta0": "--eta0",
    "beta": "--beta",
    "epsilon": "--epsilon",
    "random_state": "--seed",
    "state_store": "--state-store",
    "inclusion": "--inclusion",
    "n_features": "--n-features",
    "seed": "--hash-seed",
}


# the losses --epsilon is the margin of
_LOSSES_WITH_A_MARGIN = ("huber", "epsilon_insensitive", "squared_epsilon_insensitive")


def _validated(estimator):
    """`estimator`, its parameters checked as its fit checks them, before any file is read; a
    value out of range is a `UsageError` naming the option typed, not the parameter."""
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        estimator._validate_params()
    except InvalidParameterError as exc:
        # scikit-learn's "The 'alpha' parameter of X must be ... Got -1.0 instead."
        found = re.fullmatch(
            r"The '(\w+)' parameter of \w+ (must be .*)\. Got (.*) instead\.", str(exc), re.S
        )
        if found is None or found[1] not in _OPTION_OF_PARAMETER:
            raise
        option, must, value = _OPTION_OF_PARAMETER[found[1]], found[2], found[3]
        raise UsageError(f"argument {option}: {value}: {must}.") from None
    return estimator


def _estimator(args):
    from . import SparseFTRLClassifier, SparseFTRLRegressor
    from ._losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

    params = dict(
        penalty=None if args.penalty == "none" else args.penalty,
        alpha=args.alpha,
        l1_ratio=args.l1_ratio,
        penalty_scale=args.penalty_scale,
        eta0=args.eta0,
        beta=args.beta,
        fit_intercept=not args.no_intercept,
        shuffle=args.shuffle,
        random_state=args.seed,
        state_store=args.state_store,
        inclusion=args.inclusion,
    )
    if args.inclusion and args.state_store == "dense":
        raise UsageError(
            f"--inclusion {args.inclusion} needs the sparse state store (a column left out "
            "holds no state): give --state-store sparse or auto."
        )
    a_loss = args.loss in CLASSIFICATION_LOSSES + REGRESSION_LOSSES
    if args.epsilon is not None and a_loss and args.loss not in _LOSSES_WITH_A_MARGIN:
        raise UsageError(  # (it was taken and not used)
            "--epsilon is the margin of the huber and epsilon-insensitive losses; --loss "
            f"{args.loss} has none."
        )
    if args.loss in CLASSIFICATION_LOSSES:
        return _validated(SparseFTRLClassifier(loss=args.loss, **params))
    if args.loss in REGRESSION_LOSSES:
        epsilon = 0.1 if args.epsilon is None else args.epsilon
        return _validated(SparseFTRLRegressor(loss=args.loss, epsilon=epsilon, **params))
    raise UsageError(
        f"--loss {args.loss!r} is not a loss; use one of "
        f"{', '.join(CLASSIFICATION_LOSSES + REGRESSION_LOSSES)}."
    )


def _start_from_initial(args, model, fmt, reader_options):
    """Set ``model``'s estimator to the state of --initial's checkpoint, and have the files read
    with the kinds that run read their columns as (a zip read as text there is read as text
    here, whatever these files' first rows hold), but for those --text names. Refused where
    that run's model hashed or numbered its rows otherwise, learnt another target, or did not
    finish: its weights would be read as other features'. Options of the model that differ
    are said (they apply from here on, as after set_params). With --resume (the interrupted
    run's own command again) only the kinds are taken: the run's checkpoint holds its state."""
    from ._memory import memory_limit
    from .stream._checkpoint import load_checkpoint
    from .stream._model import columns_to_read
    from .stream._stable_text import plain

    where = f"--initial {args.initial}"
    try:
        state, meta, run, _ = load_checkpoint(args.initial, max_bytes=memory_limit() // 2)
    except ValueError as exc:  # (the path named once)
        named = str(args.initial) in str(exc)
        raise ValueError(f"{'--initial' if named else where}: {exc}") from None
    given = _classes(args)
    if given is not None and "classes" in state and not args.resume:
        from .stream._fit import same_classes

        then = np.asarray(state["classes"])
        if not same_classes(np.unique(given), then):  # (--classes: numbers or text alone)
            raise ValueError(
                f"{where}: its run has the classes {then.tolist()!r:.300}; a model trained on "
                f"keeps its classes, and --classes gives {given.tolist()!r:.300}."
            )
    if not args.resume and not run.complete:
        raise ValueError(
            f"{where} holds a run stopped before its end (pass {run.pass_index + 1}): its model "
            "is part of one. Resume that run first (its command with --resume), or give the "
            "checkpoint of a run that finished."
        )
    steps = model.steps if hasattr(model, "steps") else [("model", model)]
    final, transformers = steps[-1][1], [step for _, step in steps[:-1]]
    ours = {
        "estimator": type(final).__name__,
        "transformers": [
            [type(t).__name__, plain(t.get_params(deep=False), True)] for t in transformers
        ],
        "target": args.target,
    }
    if fmt == "svmlight":  # (the files' columns: numbered from 0 or 1, so many)
        ours["reader_options"] = {k: reader_options.get(k) for k in ("n_features", "zero_based")}
    # (an SVMlight run names no target and has its files' width; a CSV or Parquet run's target
    # is a column)
    then_options = meta.get("reader_options")
    numbered = isinstance(then_options, dict) and "n_features" in then_options
    hashed = None if meta.get("target") is None and not numbered else not numbered
    if hashed == (fmt == "svmlight"):
        then_read = (
            "hashed the columns of CSV or Parquet files" if hashed else "read SVMlight files"
        )
        now_read = (
            "reads SVMlight files" if hashed else "hashes the columns of CSV or Parquet files"
        )
        raise ValueError(
            f"{where}: its run {then_read}, and this one {now_read}: the columns of one are no "
            "columns of the other's model. Train on files of that run's format."
        )
    differ = []
    for key, now in ours.items():
        then = meta.get(key)
        if key == "reader_options" and isinstance(then, dict):
            then = {k: then.get(k) for k in now}
        pairs = _one_transformer_params(then, now) if key == "transformers" else None
        if pairs is not None:
            old, new = pairs
            differ += [
                f"{k!s:.100}: {old.get(k)!r:.300} -> {new.get(k)!r:.300}"
                for k in sorted(set(old) | set(new), key=str)
                if old.get(k) != new.get(k)
            ]
        elif then != now:
            differ.append(f"{key}: {then!r:.300} -> {now!r:.300}")
    if differ:
        raise ValueError(
            f"{where}: its run trained another model than this one would (its weights would "
            "be read as other features'); give the options of that run (--features, --cross, "
            "--bucket, --n-features, --hash-seed, --target, --loss, --zero-based). "
            "Differences (that run -> this one): " + "; ".join(differ) + "."
        )
    if fmt != "svmlight":
        _read_as_initial_run(args, meta, columns_to_read(transformers)[1], reader_options)
        # (after the options are compared: a checkpoint of other buckets is said to be so)
        _carry_initial_awareness(args, model, meta.get("datetime_aware"), where)
    if args.resume:
        return
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            final.set_ftrl_state(state)
        except (ValueError, TypeError) as exc:
            if "multi_class" in str(exc):  # (an option train does not have)
                raise ValueError(
                    f"{where}: its model is a multinomial (softmax) one, which train does not "
                    "train (one-vs-rest): continue it in Python, with fit_stream."
                ) from None
            raise ValueError(f"{where}: {exc}") from None
    for warning in said:  # (the state's parameters that differ: said in the options' terms)
        text = str(warning.message).split(" To go on as that estimator")[0]
        if text != str(warning.message):
            text += " Give that run's options to train on as it did."
        print(f"sparsereg: {where}: {text}", file=sys.stderr)


def _one_transformer_params(then, now):
    """``(that run's params, this run's)`` of one transformer of the same class in both
    descriptions (``[[class name, params]]``), else None (compared whole)."""
    if not (isinstance(then, list) and len(then) == len(now) == 1):
        return None
    if not (isinstance(then[0], list) and len(then[0]) == 2 and then[0][0] == now[0][0]):
        return None
    return (then[0][1], now[0][1]) if isinstance(then[0][1], dict) else None


def _read_as_initial_run(args, meta, inferred, reader_options):
    """Have the files' columns read as pandas reads them (``inferred``; None: every one) read
    with the kinds --initial's run read them as (its checkpoint's ``column_kinds``), but for
    those --text names; said where the checkpoint records none (an earlier sparsereg's)."""
    from ._model_checks import COLUMN_KINDS

    kinds = meta.get("column_kinds")
    if kinds is None:
        if not args.quiet:
            print(
                f"sparsereg: --initial {args.initial} records no kinds of its columns (an "
                "earlier sparsereg wrote it): these files' columns are read by their own first "
                "rows; --text names those that run read as text",
                file=sys.stderr,
            )
        return
    if not (
        isinstance(kinds, dict)
        and all(isinstance(k, str) and v in COLUMN_KINDS for k, v in kinds.items())
    ):
        raise ValueError(
            f"--initial {args.initial}: its column_kinds are not column names and their kinds "
            f"({', '.join(COLUMN_KINDS)}); it was not written by sparsereg."
        )
    kept = {n: k for n, k in kinds.items() if inferred is None or n in inferred}
    given = reader_options.get("column_kinds") or {}  # (--text's)
    if kept:
        reader_options["column_kinds"] = {**kept, **given}
        args.initial_kinds = sorted(set(kept) - set(given))


def _carry_initial_awareness(args, model, aware, where):
    """Give the model's FeatureCrossHasher the awareness of the datetimes --initial's run's
    hasher noted (its checkpoint's ``datetime_aware``), which it keeps when it is fitted on
    these files' first rows (``StreamModel.prepare``): these files' of the other kind are
    warned of, and the model and its checkpoint record that run's. Refused unless it names
    columns bucketed as datetimes without tz; said where a checkpoint of an earlier sparsereg
    records none."""
    from ._datetimes import is_datetime_spec

    hasher = model.steps[0][1] if hasattr(model, "steps") else None
    buckets = getattr(hasher, "buckets", None) or {}
    dated = {
        key
        for key, spec in buckets.items()
        if isinstance(key, str) and is_datetime_spec(spec) and spec.get("tz") is None
    }
    if aware is None:
        if dated and not args.quiet:
            print(
                f"sparsereg: {where} records no awareness of its datetimes (an earlier "
                "sparsereg wrote it): these files' first rows decide whether they are "
                "timezone-aware",
                file=sys.stderr,
            )
        return
    if not (
        isinstance(aware, dict)
        and all(isinstance(k, str) and isinstance(v, bool) for k, v in aware.items())
        and set(aware) <= dated
    ):
        raise ValueError(
            f"{where}: its datetime_aware is not the columns --bucket buckets as datetimes "
            "without tz, each true or false; it was not written by sparsereg for these options."
        )
    if aware:
        hasher.datetime_aware_ = dict(aware)


def _model(args, fmt, delimiter):
    from sklearn.pipeline import Pipeline

    from .crosses import FeatureCrossHasher

    estimator = _estimator(args)
    if fmt == "svmlight":
        if args.weight_column is not None:
            raise UsageError(
                "--weight-column: SVMlight files have no weight column (a line holds a label "
                "and features); give the rows as CSV or Parquet with a weight column."
            )
        if (
            args.features
            or args.cross
            or args.bucket
            or args.text
            or args.target
            or args.hash_seed is not None
        ):
            raise UsageError(
                "SVMlight rows are already numeric columns: --features, --cross, "
                "--bucket, --text, --hash-seed and --target apply to CSV and Parquet only."
            )
        return estimator
    if not args.target:
        raise UsageError(f"--target names the target column of the {fmt.upper()} files.")
    _validated(FeatureCrossHasher(n_features=args.n_features))  # before the header is read
    if args.n_features <= _FEW_COLUMNS and not args.quiet:  # (vw's -b 22 habit: 22 columns)
        print(
            f"sparsereg: --n-features {args.n_features} hashes every feature into "
            f"{args.n_features} columns, where most collide (Vowpal Wabbit's -b "
            f"{args.n_features} is --n-features 2**{args.n_features})",
            file=sys.stderr,
        )
    header = _header(args.data[0], fmt, delimiter)
    if args.target not in header:
        raise ValueError(
            f"{args.data[0]}: no column {args.target!r}; its columns are {header[:30]}."
        )
    weight = args.weight_column
    if weight is not None:
        if weight == args.target:
            raise UsageError(f"--weight-column {weight!r} is the target; name another column.")
        if weight not in header:
            raise ValueError(
                f"{args.data[0]}: no column {weight!r}; its columns are {header[:30]}."
            )
    labels = {args.target, weight}
    features = args.features or [c for c in header if c not in labels]
    if args.target in features:
        raise UsageError(f"--features lists the target {args.target!r}.")
    if weight in features:
        raise UsageError(f"--features lists the weight column {weight!r}.")
    for cross in args.cross:
        if args.target in cross:
            raise UsageError(f"--cross {','.join(cross)} crosses the target {args.target!r}.")
        if weight in cross:
            raise UsageError(f"--cross {','.join(cross)} crosses the weight column {weight!r}.")
    crosses = [(f,) for f in features] + [tuple(c) for c in args.cross]
    # (a header naming a column twice is the reader's to refuse: "has the columns [...] more
    # than once")
    listed = features if args.features else list(dict.fromkeys(features))
    _check_no_repeats([(f,) for f in listed] + [tuple(c) for c in args.cross], len(listed))
    buckets = dict(args.bucket)
    if len(buckets) < len(args.bucket):  # (the last one given was taken)
        named = [name for name, _ in args.bucket]
        twice = next(name for name in named if named.count(name) > 1)
        specs = [spec for name, spec in args.bucket if name == twice]
        hint = "give one width"
        if all(isinstance(spec, dict) and isinstance(spec["datetime"], list) for spec in specs):
            # (calendar parts each, which one --bucket takes together)
            parts = dict.fromkeys(part for spec in specs for part in spec["datetime"])
            hint = f"give its calendar parts in one: --bucket {twice}={','.join(parts)}"
        raise UsageError(f"--bucket {twice}: the column is bucketed twice; {hint}.")
    used = {n for cross in crosses for n in cross}
    unused = [n for n in buckets if n not in used]
    if unused:
        raise UsageError(
            f"--bucket {unused[0]}: the column is in no --features or --cross, so its "
            "buckets would not be used; add it to --features or to a --cross."
        )
    for name in args.text or ():
        if name in labels:
            what = "the target" if name == args.target else "the weight column"
            raise UsageError(f"--text {name}: the column is {what}, not a feature.")
        if name not in header:
            raise ValueError(
                f"--text {name}: {args.data[0]} has no column {name!r}; its columns are "
                f"{header[:30]}."
            )
        if name in buckets:
            raise UsageError(f"--text {name}: the column is bucketed (--bucket), so read as such.")
        if name not in used:
            raise UsageError(
                f"--text {name}: the column is in no --features or --cross; add it to one."
            )
    for name in {n for cross in crosses for n in cross} | set(buckets):
        if name not in header:
            raise ValueError(f"{args.data[0]}: no column {name!r}; its columns are {header[:30]}.")
    hasher = FeatureCrossHasher(
        crosses,
        buckets=buckets or None,
        n_features=args.n_features,
        seed=0 if args.hash_seed is None else args.hash_seed,
    )
    return Pipeline([("hasher", hasher), ("model", estimator)])


def _check_no_repeats(crosses, n_features):
    """Refuse a column or cross given twice (the hasher hashes each of them as a feature of
    its own: two columns of one value each row) and a cross that repeats a column; the first
    ``n_features`` crosses are the --features columns."""
    seen = {}
    for k, cross in enumerate(crosses):
        option = "--features" if k < n_features else "--cross"
        if len(set(cross)) < len(cross):
            raise UsageError(f"{option} {','.join(cross)} repeats a column.")
        key = frozenset(cross)
        if key in seen:
            first = seen[key]
            if k < n_features:
                raise UsageError(f"--features lists {cross[0]} twice.")
            raise UsageError(
                f"{option} {','.join(cross)}: {','.join(crosses[first])} is already "
                + ("a feature" if first < n_features else "a cross")
                + " (each would be hashed as a feature of its own)."
            )
        seen[key] = k


def _classes(args):
    if not args.classes:
        return None
    try:
        classes = np.array([float(c) for c in args.classes])
    except ValueError:
        classes = np.array(args.classes)
    if classes.dtype.kind == "f" and not np.isfinite(classes).all():  # (no row's label matches)
        raise UsageError(f"--classes {','.join(args.classes)}: labels must be finite numbers.")
    if np.unique(classes).size < 2:
        raise UsageError(f"--classes {','.join(args.classes)}: give at least 2 distinct labels.")
    return classes


def _train(args):
    from .export import export_model
    from .stream import fit_stream
    from .stream._display import ProgressDisplay
    from .stream._scoring import loss_name

    if args.resume and not args.checkpoint:
        raise UsageError("--resume continues the run saved in --checkpoint: give its path.")
    if args.checkpoint_every and not args.checkpoint:
        raise UsageError("--checkpoint-every: give --checkpoint, the file to save the run in.")
    if args.early_stop and not args.holdout:
        raise UsageError("--early-stop watches the holdout loss: give --holdout too.")
    if args.resume and not os.path.exists(args.checkpoint):
        raise ValueError(f"--resume: there is no checkpoint at {args.checkpoint}.")
    if args.initial is not None:
        if not os.path.exists(args.initial):
            raise ValueError(f"--initial: there is no checkpoint at {args.initial}.")
        if not os.path.isfile(args.initial):
            raise ValueError(
                f"--initial {args.initial} is not a regular file (a folder, a device or a "
                "pipe); give the checkpoint an earlier run wrote."
            )
        if _same_file(resolved_path(args.initial), resolved_path(args.model)):
            raise ValueError(  # (the model file written over it: the training state lost)
                "--model and --initial must be different files."
            )
    _classes(args)  # (checked before any file is read)
    _check_writable("--model", args.model)
    _check_not_an_input("--model", args.model, args.data)
    if args.checkpoint is not None:  # ("" too: it names no file)
        _check_writable("--checkpoint", args.checkpoint)
        _check_not_an_input("--checkpoint", args.checkpoint, args.data)
        # (a link is written through: one to the model, or to where it will be, is the model)
        if _same_file(resolved_path(args.checkpoint), resolved_path(args.model)):
            raise UsageError("--model and --checkpoint must be different files.")
    fmt, delimiter = _reading(args)
    model = _model(args, fmt, delimiter)
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    reader_options = _reader_options(args, fmt, delimiter)
    if args.initial is not None:
        _start_from_initial(args, model, fmt, reader_options)
    classes = _classes(args)
    loss = loss_name(final)
    mode = "none" if args.quiet else ("bar" if sys.stderr.isatty() else "lines")
    display = ProgressDisplay(mode, loss)
    start = time.perf_counter()
    try:
        model, history = fit_stream(
            model,
            _data(args, args.n_features),
            target=args.target,
            weight_column=args.weight_column,
            classes=classes,
            passes=args.passes,
            batch_rows=args.batch_rows,
            holdout=args.holdout,
            early_stop=args.early_stop,
            checkpoint=args.checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
            skip_bad_rows=args.skip_bad_rows,
            format=fmt,
            progress=display,
            reader_options=reader_options,
        )
    except ValueError as exc:
        from .stream._arrow_source import GIVEN_KINDS_SAID

        if GIVEN_KINDS_SAID in str(exc):  # (--text gave them, or --initial's run read so)
            said = (
                "as the --initial run read it"
                if not args.text
                else "as --text or the --initial run says"
                if getattr(args, "initial_kinds", None)
                else "as --text says"
            )
            raise ValueError(str(exc).replace(GIVEN_KINDS_SAID, said)) from exc
        hint = (
            _text_target_hint(args, final, exc)
            or _first_file_columns_hint(args, exc)
            or _text_column_hint(exc)
        )
        if hint is None:
            raise
        text = str(exc)
        raise ValueError(f"{text[:-1]}{hint}." if text.endswith(".") else text + hint) from exc
    finally:
        display.close()
    seconds = time.perf_counter() - start
    # (the kinds the files' columns were read as: predict reads them so, whatever a file holds)
    options = dict(
        random_state=args.seed,
        hashed_columns=history.column_kinds or "inferred",
        # (predict reads SVMlight files so unless told: their columns are the model's)
        svmlight_zero_based=fmt == "svmlight" and args.zero_based,
    )
    try:
        exported = export_model(model, weights=args.weights, **options)
    except ValueError as exc:  # (16 bits that cannot hold the weights: the run is not lost)
        if args.weights == "float64":
            raise
        raise ValueError(_kept_as_float64(args.model, export_model(model, **options), exc)) from exc
    with atomic_file(args.model) as f:
        exported.save(f)
    nonzero = int(exported.coef_.nnz)
    summary = {
        "rows": history.rows,
        "passes": history.n_passes,
        "loss": loss,
        "progressive_loss": _finite_or_none(history.progressive_loss),
        "holdout_loss": _finite_or_none(history.holdout_loss),
        "nonzero": nonzero,
        "weights": args.weights,
        "seconds": round(seconds, 3),
        "rows_per_second": round((history.rows - history.resumed_rows) / seconds)
        if seconds > 0
        else None,
        "peak_rss_bytes": _peak_rss_bytes(),
        "bad_rows": history.bad_rows,
        "stopped_early": history.stopped_early,
        "model": args.model,
        "model_bytes": os.path.getsize(args.model),
    }
    if args.json:
        print(json.dumps(summary))
    elif not args.quiet:
        print(
            f"trained on {history.rows:,} rows in {history.n_passes} pass(es), "
            f"{seconds:.1f} s ({summary['rows_per_second'] or 0:,} rows/s); progressive "
            f"{loss} {history.progressive_loss:.5f}"
            + (
                f", holdout {history.holdout_loss:.5f}"
                if history.pass_holdout_rows and history.pass_holdout_rows[-1]
                else ""
            )
            + f"; {nonzero:,} non-zero weights; model {args.model} "
            f"({summary['model_bytes']:,} bytes)" + _bad_rows_skipped(history),
            file=sys.stderr,
        )
    return 0


def _kept_as_float64(path, exported, exc):
    """Write the float64 export beside ``path`` (``m.float64.npz``) when no file is there, and
    say so after ``exc`` (the 16-bit export's refusal)."""
    stem = path[: -len(".npz")] if path.endswith(".npz") else path
    kept = f"{stem}.float64.npz"
    if os.path.lexists(kept):
        return f"{str(exc).rstrip('.')}; {kept} exists, so the trained model was not written."
    with atomic_file(kept) as f:
        exported.save(f)
    return (
        f"{str(exc).rstrip('.')}; the trained model is written with float64 weights to {kept} "
        "instead (predict reads it)."
    )


def _bad_rows_skipped(history):
    """The summary's count of bad rows, which are counted in each pass that reads them."""
    if not history.bad_rows:
        return ""
    passes = f" over {history.n_passes} passes" if history.n_passes > 1 else ""
    return f"; {history.bad_rows:,} bad rows skipped{passes}"


def _text_target_hint(args, final, exc):
    """What to add to the reader's "target 'y': 'yes' is not a number" (a text label read as a
    number, as it is without --classes), or to scikit-learn's "Unknown label type: continuous"
    (a regression target given to the default classifier); None for another error."""
    from sklearn.base import is_classifier

    if (
        args.target is not None
        and is_classifier(final)
        and "Unknown label type: continuous" in str(exc)
    ):
        return (
            f"; the target {args.target!r} holds numbers that are not class labels: for a "
            f"regression give a regressor's loss, --loss squared_error (--loss {args.loss}"
            f"{', the default,' if args.loss == 'log_loss' else ''} trains a classifier)"
        )
    if args.target is None or f"target {args.target!r}: " not in str(exc):
        return None
    if "is not a number" not in str(exc):
        return None
    if not is_classifier(final):
        return f" (a regressor's target is a number; --loss {args.loss} is a regressor's loss)"
    if args.classes is None:
        return (
            "; labels that are text must be listed with --classes (every label of the "
            "stream, e.g. --classes no,yes)"
        )
    return f"; --classes {','.join(args.classes)} are numbers: list the labels as the file has them"


def _first_file_columns_hint(args, exc):
    """What to add to the reader's "inferred column 'x' not found in b.csv" when the features
    were not named: they are then the first file's columns, which a later file may lack."""
    if args.features or len(args.data) < 2 or args.format == "svmlight":
        return None
    found = re.search(r"^(?:.*: )?inferred column '(.*)' not found in ", str(exc))
    # (a column a --cross or --bucket names is needed whatever --features says)
    named = {c for cross in args.cross for c in cross} | {n for n, _ in args.bucket or ()}
    if found is None or found.group(1) in named:
        return None
    return (
        f"; without --features the features are the columns of the first file, "
        f"{args.data[0]} (but the target and the weight column): give --features to name "
        "those every file has"
    )


def _text_column_hint(exc):
    """What to add to a bad row's "column 'zip' (numbers in the first rows of a.csv): ..."
    (a column read as pandas reads it, whose kind its first rows decided)."""
    found = re.search(
        r"column '(.*?)' \((?:numbers|True or False) in the (?:file's )?first rows", str(exc)
    )
    if found is None or "," in found.group(1):  # (--text would read two names)
        return None
    return (
        f"; --text {found.group(1)} reads the column as text whatever its values, and "
        "--skip-bad-rows skips such rows"
    )


def _reader_options(args, fmt, delimiter):
    """Options fit_stream passes on to the reader."""
    options = {"delimiter": delimiter}
    classes = _classes(args)
    if classes is not None and classes.dtype.kind == "U":
        options["target_dtype"] = "str"
    if fmt == "svmlight":
        options["n_features"] = args.n_features
        options["zero_based"] = args.zero_based
    elif args.text:
        options["column_kinds"] = dict.fromkeys(args.text, "text")
    return options


# ---------------------------------------------------------------- predict
# predictions written compressed as --out's suffix says, as train reads its files
_OUT_COMPRESSION = {".gz": "gzip", ".bz2": "bz2"}
_UNWRITTEN_COMPRESSION = (".zst", ".zstd", ".lz4", ".xz", ".zip")


def _check_out_compression(path):
    """Refuse an --out whose suffix names a compression that is not written (a CSV of plain
    text was written under a .zst name)."""
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix in _UNWRITTEN_COMPRESSION:
        raise UsageError(
            f"--out {path}: predictions are written as CSV, compressed for a .gz or .bz2 name "
            f"only; {suffix} is not written."
        )


@contextmanager
def _prediction_file(path):
    """The text file of ``path``, written beside it and renamed at the end (an error leaves
    no partial file), gzip'd or bzip2'd as its suffix says."""
    compression = _OUT_COMPRESSION.get(os.path.splitext(str(path))[1].lower())
    if compression is None:
        with atomic_file(path, "w", newline="") as out:
            yield out
        return
    import bz2
    import gzip

    with atomic_file(path, "wb") as raw:
        # (no time, no name, that of the file written beside it: the same predictions make
        # the same bytes)
        packed = (
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0)
            if compression == "gzip"
            else bz2.BZ2File(raw, "wb")
        )
        with packed, io.TextIOWrapper(packed, encoding="utf-8", newline="") as out:
            yield out


def _predict(args):
    from .stream._model import columns_to_read

    model = _load_model(args.model, args.data)
    fmt, delimiter = _reading(args)
    _check_format_fits(model, fmt)
    # the files' base as the model was trained on them, unless told
    given_base = args.zero_based is not None
    base_from_model = not given_base and fmt == "svmlight" and model.svmlight_zero_based_
    if args.zero_based is None:
        args.zero_based = model.svmlight_zero_based_
    if fmt == "svmlight" and not args.quiet and not given_base:
        # (a file numbered otherwise than the model's columns is read one column off)
        print(
            "sparsereg: reading SVMlight indices from 0, as the model was trained "
            "(--one-based reads files numbered from 1)"
            if base_from_model
            else "sparsereg: reading SVMlight indices from 1, LIBSVM's numbering (--zero-based "
            "reads files numbered from 0, as scikit-learn's dump_svmlight_file writes them)",
            file=sys.stderr,
        )
    numeric, inferred, categorical = columns_to_read(
        model.transformers, inferred=model._hashed_columns == "inferred"
    )
    options = (
        {"n_features": model.n_features_in_, "zero_based": args.zero_based}
        if fmt == "svmlight"
        else {}
    )
    options["delimiter"] = delimiter
    read = {*numeric, *(inferred or ()), *(categorical or ())}
    fitted_on = (
        getattr(model.transformers[0], "feature_names_in_", None) if model.transformers else None
    )
    if (inferred is None or categorical is None) and fitted_on is not None:  # (every column)
        read |= set(np.asarray(fitted_on).tolist())
    scores = _TestLoss.for_run(args, model, fmt, read)
    if scores is not None and scores.text_labels:
        options["target_dtype"] = "str"  # (labels that are text: read as text, as train does)
    source = _open_for_model(
        _data(args, model.n_features_in_),
        format=fmt,
        target=args.target,
        weight_column=args.weight_column,
        numeric=numeric,
        inferred=inferred,
        categorical=categorical,
        batch_rows=args.batch_rows,
        skip_bad_rows=args.skip_bad_rows,
        column_kinds=model.column_kinds_,
        **options,
    )
    if scores is not None:
        source.unlabelled_kept = True  # (predicted, not scored, as -t does)
    if args.proba and model.proba is None:
        raise UsageError(f"--proba: this {model.source} model has no probabilities.")
    classes = model.classes_
    whole = _whole_labels(classes)
    to_file = args.out != "-"
    if to_file:
        _check_writable("--out", args.out)
        _check_not_an_input("--out", args.out, [*args.data, args.model])
        _check_out_compression(args.out)
    rows = not_scored = 0
    # rows skipped leave no line: each line then says which row it predicts
    # a regressor of several targets: a column each, prediction_0, prediction_1...
    targets = model.n_models if model.kind == "regressor" and model.n_models > 1 else 0
    predictions = [f"prediction_{k}" for k in range(targets)] if targets else ["prediction"]
    header = ["file", "row", *predictions] if args.skip_bad_rows else predictions
    if args.proba:
        header += [f"proba_{c}" for c in (classes.astype(np.int64) if whole else classes)]
    # lines end as pandas' to_csv ends them ("\n"; csv's "\r\n" left a "\r" on each value
    # that cut or awk read of the last column). csv then quotes no field holding a "\r": where
    # a label or a file name holds one, every text field is quoted
    texts = [*header, *(classes if classes is not None else ()), *args.data]
    carriage = any("\r" in str(text) for text in texts)
    quoting = csv.QUOTE_NONNUMERIC if carriage else csv.QUOTE_MINIMAL
    with_proba = args.proba or (scores is not None and scores.log_loss)
    with _prediction_file(args.out) if to_file else nullcontext(sys.stdout) as out:
        writer = csv.writer(out, lineterminator="\n", quoting=quoting)
        writer.writerow(header)
        for chunk in _one_based_hinted(source.chunks(), base_from_model):
            if chunk.X.shape[0] == 0:
                continue
            chunk = dataclasses.replace(chunk, X=_in_model_order(model, chunk.X))
            kept, predicted, proba = _scored_rows(model, chunk, with_proba, args.skip_bad_rows)
            not_scored += chunk.X.shape[0] - kept.size
            if not kept.size:
                continue
            if scores is not None:
                scores.add(chunk, kept, predicted, proba)
            columns = (
                [np.full(kept.size, chunk.file, dtype=object), chunk.row_numbers[kept]]
                if args.skip_bad_rows
                else []
            )
            if targets:
                columns += list(predicted.reshape(-1, targets).T)
            else:
                columns.append(predicted.astype(np.int64) if whole else predicted)
            if args.proba:
                columns += list(proba.T)
            writer.writerows(zip(*(c.tolist() for c in columns)))
            rows += kept.size
    if scores is not None:
        print(f"sparsereg: {scores}", file=sys.stderr)
    if not args.quiet:
        skipped = source.bad_rows + not_scored
        print(
            f"{rows:,} predictions written to {args.out if args.out != '-' else 'stdout'}"
            + (f"; {skipped:,} bad rows skipped" if skipped else "")
            + (
                f" ({_ONE_BASED_HINT})"
                if base_from_model
                and any(_TOO_WIDE in example for example in source.bad_row_examples)
                else ""
            ),
            file=sys.stderr,
        )
    return 0


# scikit-learn's SVMlight reader's words for an index past n_features, and what a file
# numbered from 1 read from 0 (as a model trained with --zero-based reads it) makes of its last
_TOO_WIDE = "but input file contains"
_ONE_BASED_HINT = (
    "the model was trained on files numbered from 0 (train --zero-based, or "
    "svmlight_zero_based=True); --one-based reads files numbered from 1"
)


def _whole_labels(classes):
    """Whether a classifier's labels are floats of whole numbers, written as integers (a
    numeric target is read as float64: labels 0.0 and 1.0 are written 0 and 1)."""
    return bool(
        classes is not None
        and classes.dtype.kind == "f"
        and np.all(
            np.isfinite(classes) & (classes == np.round(classes)) & (np.abs(classes) < 2**53)
        )
    )


def _one_based_hinted(chunks, base_from_model):
    """The chunks, an index past the model's width said to be maybe a file numbered from 1
    when the files are read from 0 for a model trained so."""
    try:
        yield from chunks
    except ValueError as exc:
        if not base_from_model or _TOO_WIDE not in str(exc):
            raise
        raise ValueError(f"{str(exc).rstrip('.')}; {_ONE_BASED_HINT}.") from exc
    finally:
        chunks.close()


def _check_format_fits(model, fmt):
    """Refuse files of a format the model does not read: SVMlight rows for a model whose
    first step hashes named columns, CSV or Parquet for one that reads numbered columns."""
    if fmt == "svmlight" and model.transformers:
        raise UsageError(
            f"DATA are SVMlight rows, but the model reads the columns of CSV or Parquet files "
            f"(its first step is a {model._transformer_specs[0]['class']}): give such files."
        )
    if fmt != "svmlight" and not model.transformers:  # (the files' columns are read as text)
        raise UsageError(
            f"DATA are {'CSV' if fmt == 'csv' else 'Parquet'} files, but the model hashes no "
            "column: predict reads "
            "its rows from SVMlight files (score a frame of numbers with load_model in Python)."
        )


def _open_for_model(data, **options):
    """``open_source`` of files read for a model whose column kinds it may give: a message
    says they are the model's."""
    from .stream._readers import open_saying_whose_kinds

    return open_saying_whose_kinds("when the model was trained", data, **options)


def _in_model_order(model, X):
    """``X`` as the model's first step was fitted on it (``as_fitted_frame``)."""
    from .stream._model import as_fitted_frame

    return as_fitted_frame(model.transformers[0] if model.transformers else model, X)


class _TestLoss:
    """The model's loss on labelled rows (``predict --target``): log loss (where the model
    gives probabilities) and accuracy of a classifier, the mean squared error of a regressor,
    summed chunk by chunk."""

    def __init__(self, model, skip_bad_rows=False):
        # (with skip_bad_rows, a row whose label is no class of the model is predicted, not
        # scored, and counted; else it stops the run, naming its row)
        self.skip = skip_bad_rows
        self.classifier = model.kind != "regressor"
        self.log_loss = self.classifier and model.proba is not None
        classes = model.classes_
        self.text_labels = self.classifier and classes.dtype.kind == "U"
        # (the classes in order, and where each is: a file's may be in any order)
        self.order = np.argsort(classes) if self.classifier else None
        self.classes = classes
        # (labels read from files as floats, as train read them: shown as the predictions are)
        self.whole = self.classifier and _whole_labels(classes)
        self.rows = 0
        self.unlabelled = 0
        self.unknown = 0
        self.weighted = False
        self.weight_sum = 0.0
        self.loss_sum = 0.0
        self.correct = 0.0

    @classmethod
    def for_run(cls, args, model, fmt, read):
        weight = args.weight_column
        if args.target is None:
            if weight is not None:
                raise UsageError(
                    f"--weight-column {weight!r} weighs the loss of --target's labels: give "
                    "--target too."
                )
            return None
        if args.target in read:  # (the columns the model's hasher reads)
            raise UsageError(
                f"--target {args.target!r}: the model reads that column as a feature, so it "
                "cannot be scored as the label."
            )
        if weight is not None and weight in read:
            raise UsageError(
                f"--weight-column {weight!r}: the model reads that column as a feature, so it "
                "cannot weigh the loss."
            )
        if weight is not None and weight == args.target:
            raise UsageError(f"--weight-column {weight!r} is the target; name another column.")
        if fmt == "svmlight":
            raise UsageError(
                "--target names the label column of CSV or Parquet files; an SVMlight line's "
                "label is its first field, which predict does not score."
            )
        if model.kind == "regressor" and model.n_models > 1:
            raise UsageError(
                f"--target: this model predicts {model.n_models} targets; one label column "
                "cannot score it."
            )
        return cls(model, args.skip_bad_rows)

    def add(self, chunk, kept, predicted, proba):
        # (weights near 1.8e308 sum to inf, which __str__ says: not a NumPy warning each chunk)
        with np.errstate(over="ignore", invalid="ignore"):
            self._add(chunk, kept, predicted, proba)

    def _add(self, chunk, kept, predicted, proba):
        from .stream._scoring import label_positions

        labels = chunk.y[kept]
        # a row without a label (kept by the reader: NaN, or None as text) is not scored
        unlabelled = (
            np.equal(labels, None)  # (elementwise on objects: no Python loop over the rows)
            if labels.dtype == object
            else np.isnan(labels.astype(np.float64, copy=False))
        )
        if unlabelled.any():
            self.unlabelled += int(np.count_nonzero(unlabelled))
            kept, labels, predicted, proba = _rows_of(~unlabelled, kept, labels, predicted, proba)
        if self.classifier:
            position, outside = label_positions(self.classes[self.order], np.asarray(labels))
            if np.any(outside):
                if not self.skip:
                    self._refuse_label(chunk, kept, labels, int(np.flatnonzero(outside)[0]))
                self.unknown += int(np.count_nonzero(outside))
                kept, labels, predicted, proba = _rows_of(~outside, kept, labels, predicted, proba)
                position = position[~outside]
        self.rows += kept.size
        # (each row's weight, as scikit-learn's metrics take sample_weight: weighted means)
        weight = None if chunk.sample_weight is None else chunk.sample_weight[kept]
        self.weighted |= weight is not None
        self.weight_sum += float(kept.size if weight is None else np.sum(weight))
        if not self.classifier:
            errors = np.asarray(predicted, dtype=np.float64).ravel() - labels.astype(np.float64)
            self.loss_sum += float(np.dot(errors, errors if weight is None else errors * weight))
            return
        at = self.order[position]
        right = self.classes[at] == predicted
        self.correct += float(np.count_nonzero(right) if weight is None else np.dot(right, weight))
        if self.log_loss:
            # (as scikit-learn's log_loss: each probability clipped to its dtype's eps)
            probability = proba[np.arange(kept.size), at]
            kind = probability.dtype if probability.dtype.kind == "f" else np.float64
            eps = np.finfo(kind).eps
            taken = np.log(np.clip(probability, eps, 1 - eps)).astype(np.float64)
            self.loss_sum -= float(np.sum(taken) if weight is None else np.dot(taken, weight))

    def _refuse_label(self, chunk, kept, labels, i):
        label = labels[i].item() if isinstance(labels[i], np.generic) else labels[i]
        numbers = self.whole or self.classes.dtype.kind in "iu"
        if numbers and isinstance(label, float) and label.is_integer():
            label = int(label)
        raise ValueError(
            f"{chunk.file}, row {chunk.row_numbers[kept[i]]}: label {label!r} is not one of "
            f"the model's classes {self._shown_classes()}, so its loss cannot be scored "
            "(--skip-bad-rows predicts such rows without scoring them)."
        )

    def _shown_classes(self):
        return (self.classes.astype(np.int64) if self.whole else self.classes).tolist()[:20]

    def __str__(self):
        said = self._said()
        if self.unlabelled:
            rows = f"{self.unlabelled:,} row{'s' if self.unlabelled != 1 else ''}"
            said += f" ({rows} without a label predicted, not scored)"
        if self.unknown:
            rows = f"{self.unknown:,} row{'s' if self.unknown != 1 else ''}"
            said += (
                f" ({rows} of a label that is not one of the model's classes "
                f"{self._shown_classes()} predicted, not scored)"
            )
        return said

    def _said(self):
        if not self.rows:
            return "no labelled row was scored."
        rows = f"{self.rows:,} labelled rows"
        if self.weighted:
            if not self.weight_sum:
                return f"the {rows} scored weigh 0: no loss is a mean of them."
            if not math.isfinite(self.weight_sum):  # (weights near 1.8e308)
                return f"the weights of the {rows} scored sum beyond float64: no loss is a mean."
            rows += f" of weight {self.weight_sum:.6g}"
        if not self.classifier:
            mse = self.loss_sum / self.weight_sum
            return f"on {rows}: mean squared error {mse:.6g} (RMSE {math.sqrt(mse):.6g})"
        said = f"accuracy {self.correct / self.weight_sum:.6g}"
        if self.log_loss:
            said = f"log loss {self.loss_sum / self.weight_sum:.6g}, " + said
        return f"on {rows}: {said}"


def _rows_of(chosen, kept, labels, predicted, proba):
    """The rows ``chosen`` (a mask) of a chunk's kept rows, their labels and predictions."""
    return kept[chosen], labels[chosen], predicted[chosen], None if proba is None else proba[chosen]


def _scored_rows(model, chunk, proba, skip):
    """``(kept, predictions, probabilities or None)`` of a chunk's rows: every row, or with
    ``skip`` those whose scores are numbers (a row whose products overflow float64 both ways
    is bad: without ``skip`` its error names its file and row). Nothing is predicted when no
    row is kept."""
    from ._decision import ScoresNotNumbers

    kept = np.arange(chunk.X.shape[0])
    X = chunk.X
    while kept.size:
        try:
            return kept, model.predict(X), model.predict_proba(X) if proba else None
        except ScoresNotNumbers as exc:
            if not skip:
                raise ValueError(
                    f"{chunk.file}, row {chunk.row_numbers[kept[exc.rows[0]]]}: the products "
                    "x * w of the row overflow float64 (|x * w| > 1.8e308), so its score is "
                    "not a number; the model's weights or the row's values are too large "
                    "(--skip-bad-rows skips such rows)."
                ) from None
            kept = np.delete(kept, exc.rows)  # (each call refuses every row it cannot score)
            X = chunk.X.iloc[kept] if hasattr(chunk.X, "iloc") else chunk.X[kept]
    return kept, None, None


# ---------------------------------------------------------------- report
def _named_columns(model, paths, fmt, delimiter, columns, max_rows, zero_based=False):
    """Readable cells of each column, from the first ``max_rows`` rows of the files."""
    from .crosses import FeatureCrossHasher
    from .stream._model import columns_to_read
    from .weights import name_columns

    _check_format_fits(model, fmt)
    hasher = model.transformers[0] if model.transformers else None
    if not isinstance(hasher, FeatureCrossHasher):
        raise UsageError(
            "DATA: naming columns needs a model exported with a FeatureCrossHasher; "
            "give no DATA to report this model."
        )
    numeric, inferred, categorical = columns_to_read(
        model.transformers, inferred=model._hashed_columns == "inferred"
    )
    source = _open_for_model(
        list(paths),
        format=fmt,
        target=None,
        numeric=numeric,
        inferred=inferred,
        categorical=categorical,
        batch_rows=min(max_rows, 65536),
        delimiter=delimiter,
        column_kinds=model.column_kinds_,
        **(
            {"n_features": model.n_features_in_, "zero_based": zero_based}
            if fmt == "svmlight"
            else {}
        ),
    )

    def batches():
        seen = 0
        for chunk in source.chunks():
            yield _in_model_order(model, chunk.X)
            seen += chunk.X.shape[0]
            if seen >= max_rows:
                break

    return name_columns(hasher, batches(), columns)


def _report(args):
    from .sparsity import sparsity_report
    from .weights import largest_weights

    reading_options = (args.format, args.delimiter, args.zero_based or None, args.explain_rows)
    if not args.data and any(option is not None for option in reading_options):
        raise UsageError(  # (they were taken and not used)
            "--format, --delimiter, --zero-based and --explain-rows tell how to read DATA: give "
            "DATA too, or leave them out."
        )
    model = _load_model(args.model, args.data)
    # (checked also when no weight is named, and DATA not read: --top 0, a model of zeros)
    reading = _reading(args) if args.data else None
    coef = model.coef_.tocsr()
    top = args.top
    # the selection (and naming) of sparsereg.top_weights, without pandas: a multi-output
    # regressor's weights are labelled by their target's index, as top_weights' class
    if coef.shape[0] == 1:
        labels = [None]
    else:
        classes = model.classes_
        labels = (
            list(range(coef.shape[0]))
            if classes is None
            else classes.astype(np.int64).tolist()
            if _whole_labels(classes)
            else classes.tolist()
        )
    weights = [(labels[k], column, weight) for k, column, weight in largest_weights(coef, top)]
    names = {}
    if args.data and weights:
        fmt, delimiter = reading
        names = _named_columns(
            model,
            args.data,
            fmt,
            delimiter,
            sorted({c for _, c, _ in weights}),
            100_000 if args.explain_rows is None else args.explain_rows,
            args.zero_based,
        )
    # a model fitted on a DataFrame, its columns read as they are, names them (as top_weights)
    column_names = None if model.transformers else model.feature_names_in_
    features = {}
    for _, c, _ in weights:
        if names.get(c):
            features[c] = "; ".join(names[c])
        elif column_names is not None:
            features[c] = str(column_names[c])
        else:
            features[c] = None
    report = sparsity_report(model)
    if args.json:
        print(
            json.dumps(
                {
                    "n_models": int(coef.shape[0]),
                    "n_features": int(coef.shape[1]),
                    "nonzero": int(coef.nnz),
                    "intercept": model.intercept_.tolist(),
                    "top_weights": [
                        {
                            "model": None if label is None else str(label),
                            "column": c,
                            "weight": w,
                            "feature": features[c],
                            "cells": names.get(c, []),
                        }
                        for label, c, w in weights
                    ],
                }
            )
        )
        return 0
    print(report)
    print(f"\nintercept: {', '.join(f'{v:.6g}' for v in model.intercept_)}")
    print(f"largest weights (by |weight|, at most {top} per model):")
    for label, column, weight in weights:
        cells = names.get(column)
        text = (
            "; ".join(cells[:3]) + (" ..." if cells and len(cells) > 3 else "")
            if cells
            else ("(not in the rows read)" if args.data else features[column] or "")
        )
        prefix = f"[{label}] " if label is not None else ""
        print(f"  {prefix}{weight:+.6f}  column {column:>12,}  {text}".rstrip())
    return 0


# ---------------------------------------------------------------- main
def main(argv=None):
    """Run the ``sparsereg`` command line in this process; returns the exit status.

    ``argv`` is the arguments (default: ``sys.argv[1:]``). An error ends the command with
    status 1, a usage error with 2 (raised as argparse's ``SystemExit``), Ctrl-C with 130
    after saving the checkpoint. SIGTERM is left as the caller has set it (by default it ends
    the process, as during any other call): only the ``sparsereg`` program (``python -m
    sparsereg``) turns it into a stop like Ctrl-C's, with status 143, since a program that
    calls ``main`` and goes on would not expect a SIGTERM meant for it to end one command.
    Each warning of a run is passed once to the caller's ``warnings.showwarning``; one that
    the caller's filters make an error ends the command as an error (status 1, its message on
    stderr), as a ValueError does.

    Examples
    --------
    >>> import os, tempfile
    >>> from sparsereg.cli import main
    >>> temporary = tempfile.TemporaryDirectory()
    >>> folder = temporary.name
    >>> data, model = os.path.join(folder, "clicks.csv"), os.path.join(folder, "ctr.npz")
    >>> with open(data, "w") as f:
    ...     _ = f.write("site,click\\n" + "news,1\\nshop,0\\n" * 50)
    >>> main(["train", data, "--target", "click", "--model", model, "--quiet"])
    0
    >>> main(["predict", model, data, "--out", os.path.join(folder, "preds.csv"), "--quiet"])
    0
    >>> with open(os.path.join(folder, "preds.csv")) as f:
    ...     f.read().splitlines()[:3]
    ['prediction', '1', '0']
    >>> temporary.cleanup()
    """
    return _run(argv, sigterm_stops=False)


def _main_as_program():
    """`main` as the ``sparsereg`` program runs it (``sparsereg.__main__``): SIGTERM, where it
    would kill the process, stops the command as Ctrl-C does (status 143)."""
    return _run(None, sigterm_stops=True)


def _labels_joined(argv):
    """``--classes -1,1`` as ``--classes=-1,1``: argparse takes a value that starts with "-" for
    an option unless it is one number ("expected one argument"), and SVMlight's labels are
    -1 and +1. Labels of text too (``--classes -no,yes``): an option name holds no comma, and
    ``--classes --features=a,b`` (its value forgotten) is left to argparse to refuse."""
    joined = []
    for k, arg in enumerate(argv):
        if arg == "--":  # (file names follow)
            return joined + argv[k:]
        if joined[-1:] == ["--classes"] and re.match(r"-[^-]", arg) and "," in arg:
            joined[-1] = f"--classes={arg}"
        else:
            joined.append(arg)
    return joined


def _run(argv, sigterm_stops):
    parser = _parser()
    argv = _labels_joined(sys.argv[1:] if argv is None else list(argv))
    args, unrecognized = parser.parse_known_args(argv)
    if unrecognized:
        # reported by the command's parser, with its usage (parse_args has the top-level
        # parser report them), unless given before the command's name
        before_command = unrecognized[0] in argv[: argv.index(args.command)]
        (parser if before_command else args.command_parser).error(
            f"unrecognized arguments: {' '.join(unrecognized)}"
        )
    commands = {"train": _train, "predict": _predict, "report": _report}
    try:
        _check_stdin(args)
        with (
            _sigterm_stops_like_ctrl_c() if sigterm_stops else nullcontext(),
            each_warning_once(as_program=sigterm_stops),
        ):
            status = commands[args.command](args)
            sys.stdout.flush()  # here, where a reader that left is caught, not at the exit
        return status
    except UsageError as exc:
        args.command_parser.error(str(exc))  # exits with status 2
    except KeyboardInterrupt as exc:
        checkpoint = getattr(args, "checkpoint", None)
        where = (
            f"; the last checkpoint is {checkpoint}"
            if checkpoint and os.path.exists(checkpoint)
            else ("; no checkpoint was written yet" if checkpoint else "")
        )
        terminated = isinstance(exc, _Terminated)
        print(
            f"sparsereg: {'terminated' if terminated else 'interrupted'}{where}.", file=sys.stderr
        )
        return _EXIT_TERMINATED if terminated else _EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader of the output left (`sparsereg predict ... | head`): end without a message,
        # as the tools of a pipeline do; stdout then goes nowhere, or Python would report the
        # broken pipe again as it flushes stdout at exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            finally:
                os.close(devnull)
        except (AttributeError, OSError, ValueError):  # a stdout without a file descriptor
            pass
        return _EXIT_BROKEN_PIPE
    except (ValueError, TypeError, OSError, ImportError, Warning) as exc:  # (-W error's)
        hint = (
            " (SVMlight indices start at 1 unless --zero-based is given)"
            if "Invalid index 0" in str(exc)
            else ""
        )
        print(f"sparsereg: error: {exc}{hint}", file=sys.stderr)
        return _EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main_as_program())
