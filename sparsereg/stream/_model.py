"""What a stream trains: the transformers before the model, the model, and the columns to read."""

from dataclasses import dataclass

from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from .._datetimes import is_datetime_spec
from .._interrupts import interrupts_deferred
from ..crosses import FeatureCrossHasher


def has_method(estimator, name):
    """``hasattr(estimator, name)`` with signal handlers held back: scikit-learn's
    ``available_if`` turns an ``Exception`` raised while it checks into ``AttributeError``,
    which ``hasattr`` swallows, so a handler's (a ``SIGALRM`` timeout) was lost there."""
    with interrupts_deferred():
        return hasattr(estimator, name)


@dataclass(frozen=True)
class StreamModel:
    """A model split into stateless transformers and the final incremental estimator."""

    model: object  # what the caller passed: an estimator or a Pipeline
    transformers: tuple
    final: object

    @classmethod
    def of(cls, model):
        steps = getattr(model, "steps", None)
        if steps is not None:
            transformers = tuple(
                step for _, step in steps[:-1] if step is not None and step != "passthrough"
            )
            final = steps[-1][1]
        else:
            transformers, final = (), model
        if not has_method(final, "partial_fit"):
            raise TypeError(
                f"{type(final).__name__} has no partial_fit: a stream trains an "
                "incremental estimator (e.g. SparseFTRLClassifier) or a Pipeline "
                "ending with one."
            )
        if not (is_classifier(final) or is_regressor(final)):
            raise TypeError(f"{type(final).__name__} is neither a classifier nor a regressor.")
        for step in transformers:
            if not has_method(step, "transform"):
                raise TypeError(f"pipeline step {type(step).__name__} has no transform.")
            if get_tags(step).requires_fit:
                if not has_method(step, "fit"):
                    raise TypeError(
                        f"pipeline step {type(step).__name__} has no fit: it is not an "
                        "estimator, so whether it is fitted cannot be told."
                    )
                try:
                    check_is_fitted(step)
                except NotFittedError as exc:
                    raise ValueError(
                        f"pipeline step {type(step).__name__} must be fitted before the stream: "
                        "a stream cannot fit a transformer that learns from the data (only "
                        "stateless ones such as FeatureCrossHasher are fitted on the fly)."
                    ) from exc
        return cls(model, transformers, final)

    @property
    def classifier(self):
        return is_classifier(self.final)

    def _unprepared(self):
        # check_is_fitted passes for estimators that need no fit: look at the attribute
        return [
            step
            for step in self.transformers
            if not get_tags(step).requires_fit and not hasattr(step, "n_features_in_")
        ]

    @property
    def needs_prepare(self):
        """Whether a stateless transformer is still to be fitted (see `prepare`)."""
        return bool(self._unprepared())

    def prepare(self, X):
        """Fit the stateless transformers that are not fitted yet (validation only) on X. A
        FeatureCrossHasher given ``datetime_aware_`` before (an earlier run's, which
        ``sparsereg train --initial`` continues) keeps it over X's: its model was first
        trained on those, and X's of the other kind are warned of."""
        for step in self._unprepared():
            earlier = getattr(step, "datetime_aware_", None)
            step.fit(X)
            if earlier:
                step.datetime_aware_ = {**getattr(step, "datetime_aware_", {}), **earlier}

    def transform(self, X):
        if self.transformers:
            X = as_fitted_frame(self.transformers[0], X)
        for step in self.transformers:
            X = step.transform(X)
        return X

    def columns_to_read(self):
        """(numeric, inferred, categorical) input columns to read, see `columns_to_read`."""
        return columns_to_read(self.transformers)


def _read_as_text(first, names):
    """'text' for each column a fitted hasher hashes without buckets (and notes kinds of) that
    is in ``names`` (None: every one)."""
    if names is not None and not names:
        return {}
    columns = getattr(first, "feature_names_in_", None)
    if columns is None:
        return {}
    chosen = None if names is None else set(names)
    return {n: "text" for n in first._kind_columns(list(columns)) if chosen is None or n in chosen}


def columns_to_read(transformers, inferred=True):
    """(numeric, inferred, categorical) input columns, when a FeatureCrossHasher names them.

    Bucketed columns are read as numbers; every other column of a cross as pandas reads it
    (``inferred``: numbers or text, so that a file streamed and the file read into memory hash
    alike); datetime-bucketed columns as text (the hasher parses their ISO 8601 strings), and
    a bucketed column that no cross uses as text (the hasher requires it in X but does not
    read it). ``inferred`` is None when the hasher reads every column (no crosses, or crosses
    by position: the file's column order decides): every column not otherwise named then.
    ``categorical`` is None when the first transformer is not a FeatureCrossHasher.

    With ``inferred=False`` the columns read as pandas reads them are read as text instead
    (``inferred`` empty), as they were for the model of a file that does not say how (format
    version 2-5: ``hashed_columns`` absent).
    """
    numeric, guessed, text = _columns_to_read(transformers)
    if inferred or text is None:
        return numeric, guessed, text
    return numeric, (), None if guessed is None else [*guessed, *text]


def _columns_to_read(transformers):
    first = transformers[0] if transformers else None
    if not isinstance(first, FeatureCrossHasher):
        return (), (), None
    # datetime-bucketed columns are read as text: the hasher parses their ISO 8601 strings
    numeric = [
        key
        for key, spec in (first.buckets or {}).items()
        if isinstance(key, str) and not is_datetime_spec(spec)
    ]
    text = [k for k in first.buckets or {} if isinstance(k, str) and k not in numeric]
    if first.crosses is None:
        return tuple(numeric), None, text
    used = []
    for cross in first.crosses:
        for key in cross if isinstance(cross, (tuple, list)) else (cross,):
            if not isinstance(key, str):
                return tuple(numeric), None, text  # positions: the file's column order decides
            if key not in used:
                used.append(key)
    # a bucketed column that no cross uses: the hasher needs it in X but never reads its values,
    # so it is read as text (any cell accepted, as the hasher accepts it)
    unused = [k for k in (first.buckets or {}) if isinstance(k, str) and k not in used]
    return (
        tuple(k for k in numeric if k in used),
        tuple(k for k in used if k not in numeric and k not in text),
        [*(k for k in used if k in text), *unused],
    )


def as_fitted_frame(first, X):
    """A DataFrame ``X`` with the columns ``first`` (a pipeline's first step) was fitted on, in
    their order, where it holds them in another (a file's columns are read by name) or lacks
    only columns that a FeatureCrossHasher first does not read (a stream reads the columns it
    hashes, not the others of the frame it was fitted on), given as missing values: its
    fitted checks refuse another order and other columns, as scikit-learn's do. Else ``X``
    as it is, for the step to name what differs."""
    expected = getattr(first, "feature_names_in_", None)
    columns = getattr(X, "columns", None)
    if expected is None or columns is None:
        return X
    names, expected = list(columns), list(expected)
    if names == expected or not set(names) <= set(expected):
        return X
    have = set(names)
    missing = [name for name in expected if name not in have]
    if missing:
        if not isinstance(first, FeatureCrossHasher):
            return X
        numeric, inferred, text = columns_to_read([first])
        if inferred is None or not set(missing).isdisjoint({*numeric, *inferred, *text}):
            return X
        X = X.assign(**dict.fromkeys(missing))
    return X[expected]


def fitted_column_kinds(first, inferred):
    """The kinds a FeatureCrossHasher first noted of the DataFrame it was fitted on (its
    ``column_kinds_``), of the columns ``inferred`` (read as pandas reads them; None: every
    column but those it reads otherwise); None without."""
    kinds = getattr(first, "column_kinds_", None) if isinstance(first, FeatureCrossHasher) else None
    if not kinds:
        return None
    # (the hasher notes only columns read as pandas reads them; a name ending in NUL a file
    # cannot hold: no kind, as before kinds were noted; dates are no kind of a file's column)
    kept = {
        n: kinds[n]
        for n in (kinds if inferred is None else inferred)
        if n in kinds and not n.endswith("\0") and kinds[n] != "datetime"
    }
    return kept or None


def note_column_kinds(first, kinds, text=()):
    """Set a fitted FeatureCrossHasher's ``column_kinds_`` to the kinds a stream read its
    files' columns as, and 'text' for those of its columns hashed without buckets that the
    caller had read as categorical text (``text``: their names, None for every one); none: no
    attribute."""
    if not isinstance(first, FeatureCrossHasher) or not hasattr(first, "n_features_in_"):
        return
    kinds = {**_read_as_text(first, text), **kinds}
    first.__dict__.pop("column_kinds_", None)
    if kinds:
        first.column_kinds_ = kinds
