"""Reading and hashing the next batch in a thread while the current one trains.

pyarrow parses and the kernel trains without the GIL, so on two cores the reader's
work hides behind training's. The batches, their order and every error are those of
the plain loop: an exception of the reader is raised where its batch would have come.
"""

import queue
import threading

_DONE = object()


class Prefetched:
    """Iterate ``work(item)`` for the items of ``iterable``, computed ``depth`` ahead in a thread.

    Use as a context manager: leaving it (normally, by an exception or Ctrl-C) stops the
    thread and closes ``iterable``.
    """

    def __init__(self, iterable, work, depth=1):
        self._iterable, self._work = iterable, work
        self._queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sparsereg-reader", daemon=True)

    def _put(self, item):
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self):
        iterator = iter(self._iterable)
        try:
            for item in iterator:
                if not self._put((True, self._work(item))):
                    return
        except BaseException as exc:  # handed to the consumer, raised there in order
            self._put((False, exc))
            return
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        self._put((True, _DONE))

    def __enter__(self):
        self._thread.start()
        return self

    def __iter__(self):
        while True:
            ok, value = self._queue.get()
            if not ok:
                raise value
            if value is _DONE:
                return
            yield value

    def __exit__(self, *exc_info):
        self._stop.set()
        while self._thread.is_alive():
            try:  # unblock a reader waiting to put
                self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=0.05)
        return False
