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


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")
def test_a_child_forked_while_the_main_thread_holds_signals_back_answers_them():
    # The child inherits the hold's catching handler, and no block of the child ends the
    # hold: the child's signals were caught for good (its Ctrl-C too). At the fork, the
    # child's holds end, their handlers put back.
    answered, statuses = [], []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: answered.append(signum))

    def fork_and_wait():
        pid = os.fork()
        if pid == 0:
            code = 2
            try:
                os.kill(os.getpid(), signal.SIGUSR1)
                time.sleep(0.05)
                code = 0 if answered == [signal.SIGUSR1] else 1
            finally:
                os._exit(code)
        statuses.append(os.waitpid(pid, 0)[1])

    try:
        with interrupts_deferred():
            thread = threading.Thread(target=fork_and_wait)
            thread.start()
            thread.join()
        assert answered == []  # (the parent received none)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert os.waitstatus_to_exitcode(statuses[0]) == 0


def test_another_thread_holds_nothing_back_and_leaves_the_handlers():
    # signals come to the main thread only: in another thread the hold is a no-op
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGUSR1)}
    seen = []

    def block():
        with interrupts_deferred():
            seen.append({s: signal.getsignal(s) for s in before})

    thread = threading.Thread(target=block)
    thread.start()
    thread.join()
    assert seen == [before]
    assert {s: signal.getsignal(s) for s in before} == before
