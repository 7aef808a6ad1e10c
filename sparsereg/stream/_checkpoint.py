"""Checkpoints of a stream run: the FTRL state, where the reader stands, and the history.

A checkpoint is an ``.npz`` of plain arrays (no pickle): the estimator's
``get_ftrl_state()`` under ``state.*``, the run's position and running sums, its
history, and a JSON description of the run (estimator, parameters, files) that a
resumed run must match. It is written to a temporary file and renamed, so an
interrupted write leaves the previous checkpoint intact. It is read with the same
bounded, header-first reader as model files: a checkpoint from elsewhere cannot run
code or exhaust memory, and its state is validated by ``set_ftrl_state``.
"""

import json
import os
from dataclasses import dataclass

import numpy as np

from .. import _npz
from .._atomic import atomic_file, write_npz
from .._state_protocol import OPTIONAL, REQUIRED
from ._history import MAX_ROWS, StreamHistory
from ._source import Position

FORMAT = "sparsereg.StreamCheckpoint"
# 2: the progress holds the run of refused rows (`RunProgress.refused_run`), and the curve
# records batches as the rows grow by 1 %; 3: the progress holds the weight of the rows
# trained and held out (the losses' weighted means), and the rows trained since the last
# checkpoint (`RunProgress.since_checkpoint`); checkpoints of versions 1 and 2 are read as well
# (their rows weighed 1 each, and they counted no rows since the last checkpoint)
VERSION = 3
_PROGRESS_INTS = {1: 6, 2: 7, 3: 8}  # the progress's integers in each version
_PROGRESS_FLOATS = {1: 3, 2: 3, 3: 5}  # ... and floats
MAX_META_CHARS = 2**24
_STATE_KEYS = {f"state.{k}" for k in REQUIRED + OPTIONAL}
_HISTORY_KEYS = {f"history.{k}" for k in StreamHistory._LISTS} | {"history.counts"}
_OWN_KEYS = {"format", "version", "meta", "progress.ints", "progress.floats"}
_ALLOWED = _STATE_KEYS | _HISTORY_KEYS | _OWN_KEYS


@dataclass
class RunProgress:
    """Where a run stands: its pass, the reader's position and the pass's running sums."""

    pass_index: int = 0
    position: Position = Position()
    train_loss_sum: float = 0.0
    train_rows: int = 0
    holdout_loss_sum: float = 0.0
    holdout_rows: int = 0
    seconds: float = 0.0
    complete: bool = False
    # rows in a row the transformers refused (skip_bad_rows) in the file of ``position``,
    # up to it (a checkpoint of an earlier version holds none: 0)
    refused_run: int = 0
    # the weight of the rows trained on and held out in this pass (their count without a
    # weight column): the progressive and holdout losses are weighted means
    train_weight: float = 0.0
    holdout_weight: float = 0.0
    # the rows trained in this pass since the last checkpoint written on the way (at
    # checkpoint_every rows or a pass's end; one written when a run is stopped is not one of
    # them): a resumed run writes its checkpoints at the rows an uninterrupted one does
    since_checkpoint: int = 0

    def next_pass(self):
        """Start the next pass from the first file, its sums at zero (in place)."""
        self.pass_index += 1
        self.position = Position()
        self.train_loss_sum = self.holdout_loss_sum = 0.0
        self.train_weight = self.holdout_weight = 0.0
        self.train_rows = self.holdout_rows = self.refused_run = self.since_checkpoint = 0

    def arrays(self):
        ints = [
            self.pass_index,
            self.position.file,
            self.position.row,
            self.train_rows,
            self.holdout_rows,
            int(self.complete),
            self.refused_run,
            self.since_checkpoint,
        ]
        floats = [
            self.train_loss_sum,
            self.holdout_loss_sum,
            self.seconds,
            self.train_weight,
            self.holdout_weight,
        ]
        return {
            "progress.ints": np.array(ints, dtype=np.int64),
            "progress.floats": np.array(floats, dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, arrays, version=VERSION):
        ints, floats = arrays["progress.ints"], arrays["progress.floats"]
        if ints.shape != (_PROGRESS_INTS[version],) or floats.shape != (_PROGRESS_FLOATS[version],):
            raise ValueError("checkpoint: progress arrays have the wrong shape.")
        if ints.dtype.kind not in "iu" or floats.dtype.kind != "f":
            raise ValueError(
                f"checkpoint: progress arrays have dtypes {ints.dtype} and {floats.dtype}; "
                "integers and floats were written."
            )
        if np.any(ints > np.iinfo(np.int64).max):
            raise ValueError("checkpoint: progress holds counts past 2**63.")
        if np.any(ints < 0) or ints[5] > 1:
            raise ValueError("checkpoint: progress holds negative counts.")
        # rows trained, held out and refused in a row: counts that training adds to
        if np.any(ints[3:5] > MAX_ROWS) or np.any(ints[6:] > MAX_ROWS):
            raise ValueError(
                "checkpoint: progress counts more than 2**62 rows (training adds to them, and "
                "they are saved again as int64)."
            )
        if not np.all(np.isfinite(floats)) or np.any(floats < 0):
            raise ValueError("checkpoint: progress holds negative or non-finite sums.")
        p, f, r, nt, nh, done, *counts = (int(v) for v in ints)
        refused_run, since_checkpoint = (counts + [0, 0])[:2]
        # (before version 3 every row weighed 1)
        weights = [float(v) for v in floats[3:]] if version >= 3 else [float(nt), float(nh)]
        return cls(
            p,
            Position(f, r),
            float(floats[0]),
            nt,
            float(floats[1]),
            nh,
            float(floats[2]),
            bool(done),
            refused_run,
            *weights,
            since_checkpoint,
        )


def save_checkpoint(path, *, state, meta, progress, history):
    """Write the checkpoint atomically (a temporary file renamed over ``path``)."""
    path = os.fspath(path)
    arrays = {
        "format": np.array(FORMAT),
        "version": np.int64(VERSION),
        "meta": np.array(json.dumps(meta, sort_keys=True)),
        **progress.arrays(),
        **history.to_arrays(),
        **{f"state.{k}": v for k, v in state.items()},
    }
    with atomic_file(path) as f:
        write_npz(f, arrays)


def _check_header(key, dtype, shape):
    if (
        dtype.hasobject
        or dtype.fields is not None
        or dtype.subdtype is not None
        or dtype.kind not in "biufU"
    ):
        raise ValueError(
            f"checkpoint: {key} has dtype {dtype}; only numbers, bools and str "
            "are read (never objects, which would need pickle)."
        )
    if len(shape) > 2:
        raise ValueError(f"checkpoint: {key} has {len(shape)} dimensions; at most 2.")
    if dtype.kind == "U" and dtype.itemsize // 4 > MAX_META_CHARS:
        raise ValueError(f"checkpoint: {key} is declared {dtype.itemsize // 4:,} characters long.")


_HISTORY_LIST_FACTOR = 5


def _refuse_a_model_file(archive, info, what):
    """Refuse a model file or an estimator's saved state given for a checkpoint, saying what
    it is (it was "unknown member(s)")."""
    from .._model_file import FORMAT as MODEL
    from .._state_protocol import FORMAT as STATE

    found = _npz.Member(archive, "format", info, what=what, check_header=_check_header).read()
    if found.dtype.kind != "U" or found.shape != ():
        return
    if str(found) == MODEL:
        raise ValueError(
            f"{what} is a model file ({MODEL}: train's --model, or export_model's), which holds "
            "no training state; give the checkpoint its run wrote (train's --checkpoint, or "
            "fit_stream's checkpoint)."
        )
    if str(found) == STATE:
        raise ValueError(
            f"{what} is an estimator's training state ({STATE}), not a run's checkpoint: "
            "est.set_ftrl_state(dict(np.load(path))) takes it back."
        )


def load_checkpoint(path, *, max_bytes):
    """``(state, meta, progress, history_arrays)`` read from ``path`` without pickle."""
    fp, owned = _npz.open_file(path)
    what = f"checkpoint {os.fspath(path)!r}" if owned else "checkpoint"
    try:
        with _npz.open_archive(fp, what=what, fmt=FORMAT, max_members=len(_ALLOWED)) as archive:
            by_key = _npz.members_by_key(archive, what=what, fmt=FORMAT, allowed=lambda k: True)
            _refuse_a_model_file(archive, by_key["format"], what)
            unknown = sorted(f"{k}.npy" for k in by_key if k not in _ALLOWED)
            if unknown:
                raise ValueError(f"{what}: unknown member(s) {unknown[:5]}.")
            members = {
                k: _npz.Member(archive, k, info, what=what, check_header=_check_header)
                for k, info in by_key.items()
            }
            # the history's arrays become lists of Python numbers (32 bytes an item, with the
            # array read first: 5x its bytes), counted so
            declared = sum(
                m.nbytes * (_HISTORY_LIST_FACTOR if k.startswith("history.") else 1)
                for k, m in members.items()
            )
            if declared > max_bytes:
                raise ValueError(
                    f"{what}: its arrays take {declared:,} bytes once read (the history's as "
                    f"Python lists), more than max_bytes={max_bytes:,}."
                )
            fmt = members["format"].read()
            if fmt.dtype.kind != "U" or fmt.shape != () or str(fmt) != FORMAT:
                raise ValueError(f"not a {FORMAT} file.")
            missing = sorted((_OWN_KEYS | _HISTORY_KEYS) - set(members))
            if missing:
                raise ValueError(f"{what} lacks the array(s) {missing}.")
            version = members["version"].read()
            if (
                version.shape != ()
                or version.dtype.kind not in "iu"
                or int(version) not in _PROGRESS_INTS
            ):
                raise ValueError(
                    f"{what}: version {version!r} is not one of {sorted(_PROGRESS_INTS)}; it "
                    "was written by another sparsereg."
                )
            version = int(version)
            arrays = {k: m.read() for k, m in members.items()}
    finally:
        if owned:
            fp.close()
    if arrays["meta"].dtype.kind != "U" or arrays["meta"].shape != ():
        raise ValueError(f"{what}: its description is not a string.")
    try:
        meta = json.loads(str(arrays["meta"]))
    except ValueError as exc:
        raise ValueError(f"{what}: its description is not JSON ({exc}).") from None
    except RecursionError:  # json's decoder recurses once per level of nesting
        raise ValueError(f"{what}: its description nests too deeply.") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{what}: its description is not a JSON object.")
    state = {k[len("state.") :]: v for k, v in arrays.items() if k.startswith("state.")}
    return state, meta, RunProgress.from_arrays(arrays, version), arrays
