"""``interrupts_deferred`` (the hold over the updates in place and the file writes) tells the
main thread by its ident in C, with no Python code run before the hold: in a child forked
from another thread, that thread is the child's main thread, whose handlers are held back."""

import os
import signal
import threading
import time

import pytest

from sparsereg._interrupts import interrupts_deferred


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")
def test_a_child_forked_from_another_thread_holds_its_handlers_back():
    statuses = []

    def fork_and_wait():
        pid = os.fork()
        if pid == 0:  # the child: this thread alone, its main thread
            code = 2
            try:
                answered, during = [], []
                signal.signal(signal.SIGUSR1, lambda signum, frame: answered.append(signum))
                with interrupts_deferred():
                    os.kill(os.getpid(), signal.SIGUSR1)
                    time.sleep(0.05)  # (a handler not held back has run by now)
                    during.extend(answered)
                code = 0 if during == [] and answered == [signal.SIGUSR1] else 1
            finally:
                os._exit(code)
        statuses.append(os.waitpid(pid, 0)[1])

    thread = threading.Thread(target=fork_and_wait)
    thread.start()
    thread.join()
    assert os.waitstatus_to_exitcode(statuses[0]) == 0
