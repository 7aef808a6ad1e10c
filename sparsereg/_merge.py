"""Mixing the states of several copies of one FTRL model (data-parallel training)."""

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ._state import sorted_union
from ._state_params import differing_keys, spelt
from ._state_protocol import _LARGEST, FORMAT, VERSION, check_ftrl_state
from ._typing import ArrayLike

_CARRIED = ("rng_state", "rng_pos", "rng_has_gauss", "rng_cached_gaussian")


def _checked(state, what):
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{what} must be an FTRL state (a dict of arrays), got {type(state).__name__}."
        )
    return check_ftrl_state(state, classifier="classes" in state)


def _same_model(first, other, what):
    for key in ("n_features_in", "coef_dtype"):
        if other[key] != first[key]:
            raise ValueError(
                f"{what} has {key}={other[key]}, states[0] {first[key]}: they are "
                "not copies of one model."
            )
    if ("classes" in other) != ("classes" in first) or (
        "classes" in first and not np.array_equal(other["classes"], first["classes"])
    ):
        raise ValueError(
            f"{what} has other classes than states[0]: "
            f"{other.get('classes')!r} vs {first.get('classes')!r}."
        )
    if other["multi_class"] != first["multi_class"]:
        raise ValueError(
            f"{what} is a multi_class={other['multi_class']!r} model's state, "
            f"states[0] a {first['multi_class']!r} one's."
        )
    if other["z"].shape[0] != first["z"].shape[0]:
        raise ValueError(
            f"{what} holds {other['z'].shape[0]} models, states[0] {first['z'].shape[0]}."
        )
    names = [s.get("feature_names_in") for s in (first, other)]
    if (names[0] is None) != (names[1] is None) or (
        names[0] is not None and not np.array_equal(names[0], names[1])
    ):
        raise ValueError(f"{what} has other feature names than states[0].")


def _same_params(checked, names):
    """Refuse states (named ``names``) whose recorded model parameters differ, of those that
    record them."""
    recording = [(name, s["params"]) for name, s in zip(names, checked) if "params" in s]
    for name, params in recording[1:]:
        first_name, first = recording[0]
        differ = differing_keys(first, params, unrecorded_differ=False)
        if differ:
            theirs = ", ".join(f"{key}={spelt(params[key])}" for key in differ)
            ours = ", ".join(f"{key}={spelt(first[key])}" for key in differ)
            raise ValueError(
                f"{name} comes from an estimator with {theirs}, {first_name} from one with "
                f"{ours}: they are not copies of one model."
            )


def merge_ftrl_states(
    states: Sequence[Mapping[str, ArrayLike]],
    weights: ArrayLike | None = None,
    *,
    base: Mapping[str, ArrayLike] | None = None,
) -> dict[str, np.ndarray]:
    """Combine the FTRL states of several copies of one model by averaging ``z`` and ``n``.

    The copies are trained on different rows (shards of the data), each from the same
    starting state ``base`` (or from scratch); the result is one state, in the protocol
    of :meth:`~sparsereg.SparseFTRLClassifier.get_ftrl_state`, that any estimator with
    the same parameters takes with ``set_ftrl_state``. The rules:

    - ``columns``: the union of the copies' columns. ``z``, ``n`` and the intercepts'
      ``z`` and ``n``: their weighted average, a column that a copy does not list
      counting there as ``z = n = 0`` (the state of a column that copy never touched);
      ``held``: held by any copy;
    - ``t``: the samples seen by all copies together, ``base_t + sum(t_i - base_t)``
      (``base_t = 0`` without ``base``), so that mean-scaled penalties
      (``penalty_scale='mean'``) grow as in one sequential run over the same rows;
    - inclusion counters (``bloom``): counted the same way, ``base + sum(b_i - base)``,
      saturated at 255 as in training: an occurrence seen by any copy counts once;
    - the class labels, width, feature names and coefficient dtype must agree (with
      ``base`` too), and with Bloom counters so must the inclusion seeds and a
      ``base``'s number of counters; the seed and the shuffling generator are the first
      copy's; the history (``nnz_history``, ``n_iter``) is not carried; a copy of weight
      0 is left out entirely;
    - ``params``: the model parameters of the copies' estimators, which must agree where
      states record them (copies under another ``alpha`` are not copies of one model).

    Parameters
    ----------
    states : sequence of dict
        States given by ``get_ftrl_state()`` (or by this function).
    weights : array-like of shape (len(states),), default=None
        Non-negative weights of the average, e.g. the rows each copy trained on; equal
        weights when None.
    base : dict, default=None
        The state every copy started from, when they did not start from scratch.

    Returns
    -------
    state : dict of str to ndarray

    Raises
    ------
    TypeError, ValueError
        For an empty list, a state that is not valid (see ``set_ftrl_state``), states
        of different models (classes, width, number of models), or bad weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLRegressor, merge_ftrl_states
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(200, 5)), rng.normal(size=200)
    >>> a = SparseFTRLRegressor(random_state=0).partial_fit(X[:100], y[:100])
    >>> b = SparseFTRLRegressor(random_state=0).partial_fit(X[100:], y[100:])
    >>> merged = merge_ftrl_states([a.get_ftrl_state(), b.get_ftrl_state()])
    >>> int(merged["t"])
    200
    >>> SparseFTRLRegressor().set_ftrl_state(merged).predict(X[:2]).shape
    (2,)
    """
    if isinstance(states, Mapping):
        states = [states]
    elif isinstance(states, Iterable) and not isinstance(states, (str, bytes)):
        states = list(states)
    else:
        raise TypeError(
            f"states must be a list of FTRL states (dicts of arrays), got {type(states).__name__}."
        )
    if not states:
        raise ValueError("merge_ftrl_states needs at least one state.")
    checked = [_checked(state, f"states[{i}]") for i, state in enumerate(states)]
    first = checked[0]
    for i, other in enumerate(checked[1:], 1):
        _same_model(first, other, f"states[{i}]")
    _same_params(checked, [f"states[{i}]" for i in range(len(checked))])
    if weights is None:
        weights = np.ones(len(checked))
    else:
        given = np.asarray(weights)
        if given.dtype.kind not in "biuf":
            raise TypeError(f"weights must be numbers; got {weights!r} (dtype {given.dtype}).")
        weights = given.astype(np.float64)
        if (
            weights.shape != (len(checked),)
            or not np.all(np.isfinite(weights))
            or weights.min() < 0
            or weights.max() <= 0
        ):
            raise ValueError(
                f"weights must be {len(checked)} finite non-negative numbers, not "
                f"all zero; got {weights!r}."
            )
    # a copy of weight 0 contributes nothing, its samples included; told apart before
    # scaling, which takes a weight of 5e-324 beside 1e308 to 0
    kept = weights > 0
    weights = weights / weights.max()  # (1e308 twice summed to inf: every share 0)
    checked, weights = [c for c, k in zip(checked, kept) if k], weights[kept]
    first = checked[0]  # the seed and generator of a kept copy, not of one left out
    share = weights / weights.sum()
    start = None if base is None else _checked(base, "base")
    for other in [start] if start is not None else []:
        _same_model(first, other, "base")
        _same_params([other, *checked], ["base", *(["a state"] * len(checked))])
    with_base = checked if start is None else [*checked, start]
    if any(c["bloom"].shape[1] for c in with_base) and len({c["seed"] for c in with_base}) > 1:
        raise ValueError(
            "the states' inclusion seeds differ (base's included), so their Bloom counters "
            "count different hashes: train the copies with the same random_state, from base."
        )
    if start is not None and any(c["t"] < start["t"] for c in checked):
        raise ValueError("a copy has seen fewer samples (t) than base: it did not start from it.")

    columns = sorted_union([s["columns"] for s in checked])
    n_models = first["z"].shape[0]
    z, n = np.zeros((n_models, columns.size)), np.zeros((n_models, columns.size))
    held = np.zeros((n_models, columns.size), dtype=bool)
    for s, w in zip(checked, share):
        at = np.searchsorted(columns, s["columns"])
        z[:, at] += w * s["z"]
        n[:, at] += w * s["n"]
        held[:, at] |= s["held"]

    base_t = 0 if start is None else start["t"]
    t = base_t + sum(s["t"] - base_t for s in checked)
    if t > _LARGEST:  # (Python ints: no wrap; a state set_ftrl_state would refuse)
        raise ValueError(
            f"the merged state would have seen t = {t:,} samples, more than {_LARGEST:,}."
        )
    counters = max(s["bloom"].shape[1] for s in checked)
    if any(s["bloom"].shape[1] not in (0, counters) for s in checked):
        raise ValueError("the states' Bloom filters have different sizes.")
    if start is not None and start["bloom"].shape[1] not in (0, counters):
        # (a copy keeps the counters of the state it started from, whatever its bloom_size:
        # these were summed as if base had none, its occurrences counted once per copy)
        raise ValueError(
            f"base has Bloom filters of {start['bloom'].shape[1]} counters, the copies of "
            f"{counters}: they did not start from it."
        )
    bloom = np.zeros((n_models, counters), dtype=np.int64)
    base_bloom = (
        np.zeros_like(bloom)
        if start is None or start["bloom"].shape[1] != counters
        else start["bloom"].astype(np.int64)
    )
    for s in checked:
        if s["bloom"].shape[1]:
            bloom += s["bloom"].astype(np.int64) - base_bloom
    bloom = np.clip(bloom + base_bloom, 0, 255).astype(np.uint8)

    merged = {
        "format": np.array(FORMAT),
        "version": np.int64(VERSION),
        "columns": columns,
        "z": z,
        "n": n,
        "held": held,
        "intercept_z": sum(w * s["intercept_z"] for s, w in zip(checked, share)),
        "intercept_n": sum(w * s["intercept_n"] for s, w in zip(checked, share)),
        "t": np.int64(t),
        "n_features_in": np.int64(first["n_features_in"]),
        "seed": np.int64(first["seed"]),
        "bloom": bloom,
        "coef_dtype": np.array(first["coef_dtype"].name),
    }
    if "classes" in first:
        merged["classes"] = first["classes"]
    if first["multi_class"] == "multinomial":
        merged["multi_class"] = np.array("multinomial")
    given = next((s["params_text"] for s in checked if "params" in s), None)
    if given is not None:  # (the copies agree on them: _same_params; the text as given)
        merged["params"] = np.array(given)
    if "feature_names_in" in first:
        merged["feature_names_in"] = np.asarray(first["feature_names_in"], dtype=str)
    if "rng" in first:
        _, words, pos, has_gauss, cached = first["rng"]
        merged.update(
            zip(
                _CARRIED,
                (
                    np.asarray(words, dtype=np.uint32),
                    np.int64(pos),
                    np.int64(has_gauss),
                    np.float64(cached),
                ),
            )
        )
    return merged
