"""One lock per estimator for the calls that train it (and ``set_params``): two threads
calling ``partial_fit`` on one estimator take turns, and a call trains with the parameters
it read when it started, whatever another thread's ``set_params`` asks meanwhile."""

import threading


class TrainingLock:
    """``_training_lock`` and a ``set_params`` that waits for it (before ``BaseEstimator`` in
    a class's bases). The lock is made on first use and is not pickled (``__getstate__``
    leaves ``_training_lock_`` out)."""

    @property
    def _training_lock(self):
        lock = self.__dict__.get("_training_lock_")
        if lock is None:  # dict.setdefault is atomic: two threads asking get the same lock
            lock = self.__dict__.setdefault("_training_lock_", threading.RLock())
        return lock

    def set_params(self, **params):
        """Set the parameters of this estimator (scikit-learn's ``set_params``).

        Waits for a call that trains this estimator in another thread to end: the call
        trains with the parameters it read when it started, and one that fails puts back
        what it changed, not the parameters set meanwhile.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : object
            The estimator.
        """
        with self._training_lock:
            return super().set_params(**params)

    def __getstate__(self):
        state = dict(super().__getstate__())  # (a copy: it may be the instance's __dict__)
        state.pop("_training_lock_", None)  # a lock neither pickles nor means anything elsewhere
        return state
