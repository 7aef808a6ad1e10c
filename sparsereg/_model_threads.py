"""One-vs-rest models trained in threads (``n_jobs``), one model at a time per thread, on the
state they share."""

import _thread
import functools
import itertools

from joblib import effective_n_jobs

from ._decision import MAX_THREADS
from ._interrupts import Task, finish


def _outcome(train, *args):
    """``(train(*args), None)``, or ``(None, the exception)`` it raised."""
    try:
        return train(*args), None
    except Exception as exc:  # noqa: BLE001 - handed to the caller once every model is done
        return None, exc


def _train_models_in_threads(one_model, order, t, n_models, workers):
    """``_outcome(one_model, k, order, t, worker)`` of each model ``k``, in ``workers`` threads
    (:func:`_model_workers`; ``worker``: the thread's number, from 0, the caller's): the
    calling thread and threads started for this call take the next model until none is left.
    Each model's failure is returned, not raised, once every model is done.

    Not joblib: a signal handler's exception landing while joblib started its thread pool left
    the pool's four threads waiting for good, and one landing in its wait for the results left
    the models' threads training after the call had raised. Here the threads train the state
    in place (the models share it), and the call returns or raises only once every thread has
    ended its model (``finish``, compiled: no handler runs in its wait). Not the scoring
    threads either: a model's epoch held one for its whole length, and predictions (or
    another fit) meanwhile found none free."""
    outcomes = [None] * n_models
    taken = itertools.count()  # next() on it is atomic under the GIL
    stopped = [False]  # the caller raised: the threads take no further model

    def work(worker=0):
        while not stopped[0]:
            k = next(taken)
            if k >= n_models:
                return
            outcomes[k] = _outcome(one_model, k, order, t, worker)

    tasks = [Task(functools.partial(work, worker)) for worker in range(1, workers)]
    try:
        for task in tasks:  # (a task its thread begins after finish took it back: nothing)
            if not thread_started(task.run, ()):
                break  # the others take its models
        work()
    finally:
        # (a subscript store, not a call: no signal handler runs between it and finish)
        stopped[0] = True
        finish(tasks)
    return outcomes


def thread_started(function, args):
    """Start ``function(*args)`` in a new thread (``_thread``: ``Thread.start`` waits on an
    ``Event``, which a signal handler's exception can leave locked); False where the system
    has no thread left to give ("can't start new thread"), so that the threads started take
    its work. Any other ``RuntimeError`` (a signal handler's, raised as the call returned)
    is raised."""
    try:
        _thread.start_new_thread(function, args)
    except RuntimeError as exc:
        if "can't start new thread" not in str(exc):
            raise
        return False
    return True


def _model_workers(n_jobs, n_models):
    """The threads, the caller's included, for ``n_models`` one-vs-rest models under ``n_jobs``
    (joblib's convention: -1 is every CPU): no more than the models, nor than ``MAX_THREADS``
    (prediction's bound)."""
    return min(effective_n_jobs(n_jobs), n_models, MAX_THREADS)
