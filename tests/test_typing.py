"""The public API carries type hints (the package ships ``py.typed``), and they resolve."""

import inspect
import typing
from pathlib import Path

import pytest

import sparsereg
import sparsereg.datasets
import sparsereg.model_selection
import sparsereg.stream
from sparsereg import (
    ExportedLinearModel,
    FeatureCrossHasher,
    SparseFTRLClassifier,
    SparseFTRLClassifierCV,
    SparseFTRLRegressor,
    SparseFTRLRegressorCV,
)

FUNCTIONS = [
    sparsereg.export_model,
    sparsereg.load_model,
    sparsereg.export_sizes,
    sparsereg.sparsity_report,
    sparsereg.top_weights,
    sparsereg.merge_ftrl_states,
    sparsereg.expected_collision_rate,
    sparsereg.model_selection.select_model,
    sparsereg.stream.fit_stream,
    sparsereg.stream.open_source,
    *(getattr(sparsereg.datasets, name) for name in sparsereg.datasets.__all__),
]
METHODS = {
    SparseFTRLRegressor: [
        "fit",
        "partial_fit",
        "predict",
        "count_nonzero",
        "sparsity_report",
        "sparsify",
        "densify",
        "get_ftrl_state",
        "set_ftrl_state",
    ],
    SparseFTRLClassifier: [
        "fit",
        "partial_fit",
        "predict",
        "decision_function",
        "predict_proba",
        "predict_log_proba",
        "get_ftrl_state",
        "set_ftrl_state",
    ],
    FeatureCrossHasher: ["fit", "transform", "explain", "collision_stats"],
    SparseFTRLClassifierCV: [
        "fit",
        "partial_fit",
        "predict",
        "decision_function",
        "predict_proba",
        "estimator_at",
        "get_ftrl_state",
    ],
    SparseFTRLRegressorCV: ["fit", "partial_fit", "predict", "count_nonzero", "sparsity_report"],
    ExportedLinearModel: ["predict", "decision_function", "predict_proba", "save"],
}
CASES = [(f.__qualname__, f) for f in FUNCTIONS] + [
    (f"{cls.__name__}.{name}", getattr(cls, name))
    for cls, names in METHODS.items()
    for name in names
]


def test_package_ships_py_typed():
    assert (Path(sparsereg.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize("name, function", CASES, ids=[name for name, _ in CASES])
def test_public_signature_is_annotated_and_resolves(name, function):
    function = inspect.unwrap(function)
    hints = typing.get_type_hints(function)  # raises if an annotation names nothing
    parameters = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    missing = [p.name for p in parameters if p.name not in hints]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    assert "return" in hints, f"{name}: no return type"


SELF_RETURNING = {
    SparseFTRLRegressor: ["fit", "partial_fit", "sparsify", "densify", "set_ftrl_state"],
    SparseFTRLClassifier: ["fit", "partial_fit", "sparsify", "densify", "set_ftrl_state"],
    SparseFTRLClassifierCV: ["fit", "partial_fit"],
    SparseFTRLRegressorCV: ["fit", "partial_fit"],
}
try:  # (the [dask] extra)
    from sparsereg.dask import DaskSparseFTRLClassifier, DaskSparseFTRLRegressor
except ImportError:  # pragma: no cover
    pass
else:
    SELF_RETURNING.update({DaskSparseFTRLClassifier: ["fit"], DaskSparseFTRLRegressor: ["fit"]})


@pytest.mark.parametrize(
    "cls, name",
    [(cls, name) for cls, names in SELF_RETURNING.items() for name in names],
    ids=[f"{cls.__name__}.{name}" for cls, names in SELF_RETURNING.items() for name in names],
)
def test_a_method_returning_self_is_typed_as_the_estimators_own_class(cls, name):
    # a private base class as the return type made a type checker refuse
    # SparseFTRLClassifierCV().fit(X, y).predict_proba(X)
    hints = typing.get_type_hints(getattr(cls, name))
    returned = hints["return"]
    if isinstance(returned, typing.TypeVar):  # self-typed: the class it is called on
        assert hints.get("self") is returned
        bound = returned.__bound__  # (a forward reference to a base of cls)
        assert getattr(bound, "__forward_arg__", bound) in [c.__name__ for c in cls.__mro__]
    else:
        assert returned is cls
    assert getattr(cls(), name).__name__ == name  # (and it is the public method)
