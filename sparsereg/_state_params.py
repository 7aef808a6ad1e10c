"""The model parameters of the estimator a training state comes from: recorded by
``get_ftrl_state`` under ``params`` (the estimator's at that moment, under which it predicts
and would train on), compared by ``set_ftrl_state`` with the taking estimator's own."""

import hashlib
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
# characters of a state's params: a record is a few hundred (a class_weight of more than
# LONGEST_PAIRS is recorded by its digest)
LONGEST_RECORD = 2**16
LONGEST_PAIRS = 2**12  # characters of a class_weight recorded as [label, weight] pairs
DEEPEST = 3  # containers within a record: a class_weight's list of pairs, each a list
_UNRECORDED = object()  # a value JSON does not spell
_LARGEST_INT = 10**4000


def _scalar(value):
    """``value`` as a JSON scalar (a finite number, str, bool or None), else ``_UNRECORDED``."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, numbers.Integral):  # (JSON spells ints of up to 4,300 digits)
        return int(value) if abs(int(value)) < _LARGEST_INT else _UNRECORDED
    if isinstance(value, str):
        return str(value)
    try:  # (a float, a 0-d array, a Decimal: class_weight takes them)
        number = float(value) if not isinstance(value, (bytes, bytearray)) else None
    except (TypeError, ValueError):
        return _UNRECORDED
    return number if number is not None and math.isfinite(number) else _UNRECORDED


def _label(key):
    label = _scalar(key)
    if isinstance(label, bool):  # (True is the key 1 of a dict)
        return int(label)
    if isinstance(label, float) and label.is_integer() and abs(label) < 2**63:
        return int(label)
    return label


def _weight(value):
    weight = _scalar(value)
    return float(weight) if isinstance(weight, int) else weight  # (bools too)


def _label_order(label):
    if label is None:
        return (2, "")
    return (1, label) if isinstance(label, str) else (0, label)


def _plain(value):
    """``value`` as a JSON scalar; a dict (``class_weight``) as a sorted list of ``[label,
    weight]`` pairs, or ``{"sha256": digest of them}`` past ``LONGEST_PAIRS`` characters; for
    anything else ``{"unrecorded": its type}``, which no value equals (a state of it is
    taken with a warning by any estimator, never silently by one of another value)."""
    if isinstance(value, dict):
        # equal dicts recorded alike: a label 1.0 as 1 (one key of a dict), weights as floats,
        # the labels in order, numbers before str
        pairs = [[_label(k), _weight(v)] for k, v in value.items()]
        if not any(_UNRECORDED in pair for pair in pairs):
            pairs.sort(key=lambda pair: _label_order(pair[0]))
            text = json.dumps(pairs, allow_nan=False)
            if len(text) <= LONGEST_PAIRS:
                return pairs
            return {"sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()}
    else:
        scalar = _scalar(value)
        if scalar is not _UNRECORDED:
            return scalar
    return {"unrecorded": type(value).__qualname__}


def recorded_params(estimator):
    """The state's ``params``: the estimator's model parameters as a JSON object (0-d str)."""
    params = estimator.get_params(deep=False)
    plain = {key: _plain(params[key]) for key in MODEL_PARAMS if key in params}
    return np.array(json.dumps(plain, sort_keys=True, allow_nan=False, ensure_ascii=False))


def _refuse_constant(name):
    raise ValueError(f"{name} is no number a parameter takes")


def _finite(text):
    number = float(text)
    if not math.isfinite(number):  # (1e999)
        raise ValueError(f"{text} is beyond float64")
    return number


def _depth(value):
    """How many containers deep ``value`` (parsed JSON) nests, counted without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth + 1)
            todo.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def read_params(text):
    """A state's ``params`` (its text, at most ``LONGEST_RECORD`` characters: checked) as a
    dict; ``ValueError`` naming the key for anything but a JSON object of finite numbers
    nested at most ``DEEPEST`` containers within it."""
    try:
        params = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"FTRL state 'params' is not a JSON object: {exc}") from None
    if not isinstance(params, dict):
        raise ValueError(
            f"FTRL state 'params' must be a JSON object, got a JSON {type(params).__name__}."
        )
    if _depth(params) > DEEPEST + 1:
        raise ValueError(
            f"FTRL state 'params' nests values more than {DEEPEST} containers deep; a "
            "parameter is a number, a str or a class_weight's pairs."
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


def differing_keys(recorded, other, unrecorded_differ=True):
    """The model parameters, in ``MODEL_PARAMS``' order, that two records both hold, that
    differ, and that change the model under either's other parameters; with
    ``unrecorded_differ`` a value not recorded differs from every value (else from those of
    another type: copies of one estimator merged)."""
    return [
        key
        for key in MODEL_PARAMS
        if key in recorded
        and key in other
        and (_applies(key, recorded) or _applies(key, other))
        and (
            (unrecorded_differ and _unrecorded(recorded[key]))
            or not _same(recorded[key], other[key])
        )
    ]


def without_params(state):
    """``state`` without its ``params``: for an estimator of the parameters it records (a
    copy made with them, a run whose parameters were compared), which must take it silently
    even where a value could not be recorded."""
    return {key: value for key, value in state.items() if key != "params"}


def _unrecorded(value):
    return isinstance(value, dict) and "unrecorded" in value


LONGEST_SPELT = 200  # characters of a value a warning shows


def spelt(value):
    """A value as a warning shows it: a recorded class_weight's pairs as a dict; at most
    ``LONGEST_SPELT`` characters."""
    text = _spelt_whole(value)
    return text if len(text) <= LONGEST_SPELT else text[:LONGEST_SPELT] + "..."


def _spelt_whole(value):
    if isinstance(value, dict) and isinstance(value.get("sha256"), str):
        text = f"<a class_weight of sha256 {value['sha256'][:16]}...>"
    elif _unrecorded(value):
        text = f"<a {value['unrecorded']} not recorded>"
    elif isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and not isinstance(pair[0], (list, dict))
        for pair in value
    ):
        text = _repr(dict(value))
    else:
        text = _repr(value)
    return text


def _repr(value):
    try:
        return repr(value)
    except ValueError:  # (an int of more digits than Python spells)
        return f"<a {type(value).__qualname__}>"


def warn_of_other_params(recorded, estimator):
    """Warn, naming them, of the model parameters of the state's estimator that ``estimator``
    does not have: it predicts and trains with its own."""
    differ = differing_params(recorded, estimator)
    if not differ:
        return
    trained = ", ".join(f"{key}={spelt(was)}" for key, (was, _) in differ.items())
    own = ", ".join(f"{key}={spelt(now)}" for key, (_, now) in differ.items())
    # (a value shown cut, or by its digest, is no argument set_params takes)
    spelt_whole = all(
        not isinstance(was, dict) and len(_spelt_whole(was)) <= LONGEST_SPELT
        for was, _ in differ.values()
    )
    advice = f"set_params({trained})" if spelt_whole else "set_params with its parameters"
    warnings.warn(
        f"the FTRL state comes from an estimator with {trained}; this "
        f"{type(estimator).__name__} has {own}, with which it predicts and trains from now "
        f"on. To go on as that estimator, {advice} first.",
        UserWarning,
        stacklevel=caller_level(),
    )
