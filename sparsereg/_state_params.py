"""The model parameters of the estimator a training state comes from: recorded by
``get_ftrl_state`` under ``params`` (the estimator's at that moment, under which it predicts
and would train on), compared by ``set_ftrl_state`` with the taking estimator's own."""

import json
import math
import numbers
import warnings

import numpy as np

from ._column_kinds import caller_level

# the parameters that decide what a state's numbers mean (the weights are read from z and n
# through the penalties and the rates) and how training goes on from it; the others (the
# store, threads, fit's epochs and stopping, the seed, which the state's own generator
# replaces, bloom_size, which the state's own counters replace) leave both as they are
MODEL_PARAMS = (
    "loss",
    "epsilon",
    "penalty",
    "alpha",
    "l1_ratio",
    "penalty_scale",
    "eta0",
    "beta",
    "fit_intercept",
    "class_weight",
    "shuffle",
    "inclusion",
    "inclusion_p",
    "inclusion_count",
)
EPSILON_LOSSES = ("huber", "epsilon_insensitive", "squared_epsilon_insensitive")
LONGEST_RECORD = 2**16  # characters of a state's params: far more than any estimator's
_UNRECORDED = object()  # a value JSON does not spell: not recorded


def _plain(value):
    """``value`` as a JSON scalar, or for ``class_weight`` a sorted list of ``[label, weight]``
    pairs; ``_UNRECORDED`` for anything else."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else _UNRECORDED
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        pairs = [[_plain(k), _plain(v)] for k, v in value.items()]
        if any(_UNRECORDED in pair or isinstance(pair[0], list) for pair in pairs):
            return _UNRECORDED
        try:
            return sorted(pairs, key=lambda pair: (type(pair[0]).__name__, pair[0]))
        except TypeError:
            return _UNRECORDED
    return _UNRECORDED


def recorded_params(estimator):
    """The state's ``params``: the estimator's model parameters as a JSON object (0-d str)."""
    params = estimator.get_params(deep=False)
    plain = {key: _plain(params[key]) for key in MODEL_PARAMS if key in params}
    plain = {key: value for key, value in plain.items() if value is not _UNRECORDED}
    return np.array(json.dumps(plain, sort_keys=True, allow_nan=False))


def _refuse_constant(name):
    raise ValueError(f"{name} is no number a parameter takes")


def read_params(array):
    """A state's ``params``, a 0-d str array (checked so) of a JSON object, as a dict;
    ``ValueError`` naming the key for anything else."""
    if array.dtype.itemsize // 4 > LONGEST_RECORD:  # (before a copy of it as a str)
        raise ValueError(
            f"FTRL state 'params' holds {array.dtype.itemsize // 4:,} characters; at most "
            f"{LONGEST_RECORD:,} are taken."
        )
    try:
        params = json.loads(str(array), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"FTRL state 'params' is not a JSON object: {exc}") from None
    if not isinstance(params, dict):
        raise ValueError(
            f"FTRL state 'params' must be a JSON object, got a JSON {type(params).__name__}."
        )
    return params


def _same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _applies(key, params):
    """Whether parameter ``key`` changes the model under the others of ``params``."""
    if key == "epsilon":
        return params.get("loss") in EPSILON_LOSSES
    if key == "l1_ratio":
        return params.get("penalty") == "elasticnet"
    if key in ("alpha", "penalty_scale"):
        return params.get("penalty") is not None
    if key == "inclusion_p":
        return params.get("inclusion") == "poisson"
    if key == "inclusion_count":
        return params.get("inclusion") == "bloom"
    return True


def differing_params(recorded, estimator):
    """``{name: (recorded, own)}`` of the model parameters that ``recorded`` (a state's, read)
    and ``estimator`` both have, that differ, and that change the model under either's other
    parameters (an ``epsilon`` under a loss that has none changes nothing)."""
    given = estimator.get_params(deep=False)
    own = {key: _plain(given[key]) for key in MODEL_PARAMS if key in given}
    return {key: (recorded[key], given[key]) for key in differing_keys(recorded, own)}


def differing_keys(recorded, other):
    """The model parameters, in ``MODEL_PARAMS``' order, that two records both hold, that
    differ, and that change the model under either's other parameters."""
    return [
        key
        for key in MODEL_PARAMS
        if key in recorded
        and key in other
        and (_applies(key, recorded) or _applies(key, other))
        and (other[key] is _UNRECORDED or not _same(recorded[key], other[key]))
    ]


def _spelt(value):
    """A recorded value as the parameter is given: a class_weight's pairs as a dict."""
    if isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and not isinstance(pair[0], (list, dict))
        for pair in value
    ):
        return repr(dict(value))
    return repr(value)


def warn_of_other_params(recorded, estimator):
    """Warn, naming them, of the model parameters of the state's estimator that ``estimator``
    does not have: it predicts and trains with its own."""
    differ = differing_params(recorded, estimator)
    if not differ:
        return
    trained = ", ".join(f"{key}={_spelt(was)}" for key, (was, _) in differ.items())
    own = ", ".join(f"{key}={now!r}" for key, (_, now) in differ.items())
    warnings.warn(
        f"the FTRL state comes from an estimator with {trained}; this "
        f"{type(estimator).__name__} has {own}, with which it predicts and trains from now "
        f"on. To go on as that estimator, set_params({trained}) first.",
        UserWarning,
        stacklevel=caller_level(),
    )
