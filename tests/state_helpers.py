"""An estimator's training state for tests, read through the public state protocol."""

import numpy as np


def dense_state(est):
    """``(n_models, n_features, 2)``: every coordinate's ``(z, n)``, from ``get_ftrl_state()``."""
    state = est.get_ftrl_state()
    out = np.zeros((state["z"].shape[0], int(state["n_features_in"]), 2))
    out[:, state["columns"], 0] = state["z"]
    out[:, state["columns"], 1] = state["n"]
    return out


def intercept_state(est):
    """``(n_models, 2)``: the intercepts' ``(z, n)``."""
    state = est.get_ftrl_state()
    return np.column_stack([state["intercept_z"], state["intercept_n"]])


def held_columns(est, k=0):
    """The columns model ``k``'s store holds."""
    state = est.get_ftrl_state()
    return state["columns"][state["held"][k]]


def assert_same_state(a, b, but=()):
    """Every array of the two estimators' states is equal, to the bit, but the keys ``but``."""
    sa, sb = a.get_ftrl_state(), b.get_ftrl_state()
    assert sorted(sa) == sorted(sb)
    for key in set(sa) - set(but):
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)
