"""The parameters one training call reads (``_CallParams``), and what a ``partial_fit`` call
can reuse from the last one that passed the full checks: the parameters as they were
validated (``_ParamSnapshot``, told unchanged in one C call) and the numbers derived from
them (``_CallMemo``)."""

import operator
from types import SimpleNamespace

import numpy as np

_PARAM_GETTERS = {}


def _param_getter(cls):
    """``(names, getter)``: the class's parameter names and one C call reading them all
    (``get_params`` finds the names by inspecting ``__init__`` on every call)."""
    found = _PARAM_GETTERS.get(cls)
    if found is None:
        names = tuple(cls._get_param_names())
        getter = (
            operator.attrgetter(*names)
            if len(names) > 1
            else (lambda est, _get=operator.attrgetter(*names): (_get(est),))
        )
        found = _PARAM_GETTERS[cls] = (names, getter)
    return found


class _CallParams(SimpleNamespace):
    """The parameters of one training call, read once (``of``) and then checked: the call reads
    these, never the estimator's attributes, which another thread may assign meanwhile (no
    ``set_params``, so no lock): a loss assigned between two reads trained a regressor with
    'hinge', and a store chosen for one ``inclusion`` was trained with the other."""

    @classmethod
    def of(cls, estimator, values=None):
        """``estimator``'s parameters, or ``values``, as its getter read them (one read)."""
        names, getter = _param_getter(type(estimator))
        values = getter(estimator) if values is None else values
        # (a dict parameter copied: mutated in place, it was read twice too)
        return cls(**{n: dict(v) if type(v) is dict else v for n, v in zip(names, values)})


_IMMUTABLE_PARAM_TYPES = (str, int, float, bool, type(None), np.number, np.bool_, np.str_)


def _frozen_dict(d):
    return tuple((type(k), k, type(v), v) for k, v in d.items())


class _ParamSnapshot:
    """The parameters of an estimator as they were validated, to tell cheaply whether
    they changed since (a set_params, or an attribute assigned directly).

    Holds each value and its type (``True == 1`` but only one of them is a valid
    ``fit_intercept``) and a frozen copy of each dict (``class_weight`` may be mutated in
    place). Only values whose validity cannot change without a new value or type are
    snapshotted: immutable scalars, ``RandomState`` instances (valid whatever their
    state) and dicts of immutable scalars; for anything else :meth:`of` gives None and
    the parameters are validated on every call.
    """

    __slots__ = ("values", "types", "dicts")

    @classmethod
    def of(cls, estimator, values=None):
        """``values``: the parameters as the caller read them (else read here)."""
        if values is None:
            values = _param_getter(type(estimator))[1](estimator)
        dicts = []
        for i, value in enumerate(values):
            if isinstance(value, _IMMUTABLE_PARAM_TYPES) or type(value) is np.random.RandomState:
                continue
            if type(value) is dict and all(
                isinstance(item, _IMMUTABLE_PARAM_TYPES) for pair in value.items() for item in pair
            ):
                dicts.append((i, _frozen_dict(value)))
                continue
            return None
        snapshot = cls()
        snapshot.values = values
        snapshot.types = tuple(map(type, values))
        snapshot.dicts = tuple(dicts)
        return snapshot

    def matches(self, estimator):
        """Whether ``estimator``'s parameters are still the ones snapshotted."""
        values = _param_getter(type(estimator))[1](estimator)
        # tuple equality tries identity first, so unchanged values compare at C speed
        return (
            tuple(map(type, values)) == self.types
            and values == self.values
            and all(_frozen_dict(values[i]) == frozen for i, frozen in self.dicts)
        )


class _CallMemo:
    """What a ``partial_fit`` call can reuse from the last one that passed the full checks.

    ``params``: the parameters validated for ``partial_fit`` (a ``_ParamSnapshot``);
    ``state``: a weak reference to the state they were checked against (``fit`` and
    ``set_ftrl_state`` replace it); ``hypers``: the kernel's numbers per model;
    ``labels``: the float64 labels a batch's ``y`` may hold without a further check
    (None: classes that need the full label checks), ``positives``: each one-vs-rest
    model's positive label (None for a regressor); ``call``: ``params`` as the
    ``_CallParams`` the calls train with (read again after matching them, a parameter could
    have another value, assigned meanwhile); ``grows_with_p``: whether ``call.loss``'s
    derivative grows with the prediction.
    """

    __slots__ = ("params", "state", "hypers", "labels", "positives", "call", "grows_with_p")
