"""An error of a batch or partition, named: the estimators' messages ("Input y contains NaN")
say nothing of where the rows came from."""

import copy


def with_message(exc, message):
    """An exception of ``exc``'s type (and attributes) saying ``message``; a ValueError or
    TypeError when its type cannot be made to say it (another constructor)."""
    try:
        named = copy.copy(exc)
        named.args = (message,)
        if str(named) == message:
            return named
    except Exception:  # (a constructor of other arguments, a __str__ of its own)
        pass
    return (TypeError if isinstance(exc, TypeError) else ValueError)(message)
