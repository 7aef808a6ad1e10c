"""The tests' sweeps of a signal at each place (``tests/interruptions.py``): a sweep that runs
from a plan (each run traces the instructions of its place's function call alone) sends the
signal at the places, in the order, of the sweep that traces every run throughout, for a call
that runs alike each time; a run that enters other functions than the plan's, or does not
come to its planned place, is run again traced throughout."""

import contextlib
import signal
import sys

from . import interruptions
from .interruptions import ANY_CODE_SWEEPS, alarm_each_place_of_any_code


class Landed(Exception):
    pass


class Box:
    def __init__(self, items):
        self.items = list(items)


def squares(n):
    for i in range(n):
        yield i * i


def work(subject):
    total = 0
    if subject.longer:  # calls and a loop before the rest: every later place moves
        total += sum(len(str(i)) for i in range(3))
    for value in squares(4):
        total += abs(-value)
    with contextlib.suppress(ValueError):
        int("not a number")
    box = Box(range(3))
    while box.items:
        total += box.items.pop()
    return total


def places_of_a_sweep(planned, longer):
    """The places (function, instruction) where the signal's handler ran, in order, the
    sweep's count and its runs; ``longer(i)``: whether the i-th subject made takes the
    longer way."""
    landed, made, runs = [], [], []

    def handler(signum, frame):
        while frame.f_code.co_filename == interruptions.__file__:  # (the tracer sent it)
            frame = frame.f_back
        landed.append((frame.f_code.co_name, frame.f_lasti))
        raise Landed

    def prepare():
        made.append(None)
        return type("Subject", (), {"longer": longer(len(made))})()

    count = alarm_each_place_of_any_code(
        handler,
        Landed,
        prepare,
        work,
        lambda *_: None,
        ANY_CODE_SWEEPS["after calls and at jumps back"],
        planned=planned,
        runs=runs,
    )
    return landed, count, runs


def test_a_planned_sweep_lands_where_the_sweep_traced_throughout_does():
    traced, count, runs = places_of_a_sweep(planned=False, longer=lambda i: False)
    assert count > 20 and len({name for name, _ in traced}) >= 4  # work, squares, __init__...
    assert runs == ["traced throughout"] * count
    planned, planned_count, runs = places_of_a_sweep(planned=True, longer=lambda i: False)
    assert planned == traced and planned_count == count
    # every run but the one past the last place, which completes, came to its place by plan
    assert runs == ["planned"] * (count - 1) + ["traced throughout"]


def test_runs_unlike_the_planned_one_are_traced_throughout():
    # the recorded runs (the first two subjects) go the shorter way, every later run the
    # longer, with calls of other functions before the rest: no run comes to its planned
    # place, and each is run again traced throughout, as the sweep without a plan runs it
    handler_before = signal.getsignal(signal.SIGALRM)
    traced, count, _ = places_of_a_sweep(planned=False, longer=lambda i: True)
    planned, planned_count, runs = places_of_a_sweep(planned=True, longer=lambda i: i > 2)
    shorter, shorter_count, _ = places_of_a_sweep(planned=False, longer=lambda i: False)
    assert traced != shorter and shorter_count < count
    assert planned == traced and planned_count == count
    # (a planned run, then the same place traced throughout; the last run past the plan)
    assert runs[: 2 * shorter_count - 2] == ["planned", "traced throughout"] * (shorter_count - 1)
    assert runs[2 * shorter_count - 2 :] == ["traced throughout"] * (count - shorter_count + 1)
    assert sys.gettrace() is None and signal.getsignal(signal.SIGALRM) is handler_before


def test_runs_that_do_not_repeat_themselves_are_swept_without_a_plan():
    # every subject goes another way than the one before: no two of the three recorded runs
    # agree, and the sweep is the one without a plan from the fourth subject on
    planned, planned_count, runs = places_of_a_sweep(planned=True, longer=lambda i: i % 2 == 0)
    traced, count, _ = places_of_a_sweep(planned=False, longer=lambda i: i % 2 == 1)
    assert planned == traced and planned_count == count
    assert runs == ["traced throughout"] * count


def generator_of_sums(first_loop):
    for step in range(2):
        total = 0
        for i in range(first_loop if step == 0 else 4):
            total += abs(i)
        yield total


def test_a_planned_run_acts_only_in_its_own_entry_of_a_resumed_generator():
    # The planned place is the last of the generator's first part (between its start and its
    # first yield) in a run whose loop there is longer; the run's first part has fewer places,
    # so it does not come to it: the tracer must not act. (The first part's trace function,
    # left on the generator's frame, counted on into its resumption, and acted there.)
    plan = interruptions._Places()
    sys.settrace(interruptions.signalling_anywhere_after_call_or_jump(None, 0, plan))
    try:
        sum(generator_of_sums(6))
    finally:
        sys.settrace(None)
    code = generator_of_sums.__code__
    first = min(entry for entry, _, c, _ in plan.places if c is code)
    k = max(k for k, (entry, *_) in enumerate(plan.places, start=1) if entry == first)
    assert plan.places[k - 1][1] > 8  # (the shorter loop's first part has fewer places)
    acted = []
    tracer = interruptions._at_kth_call_or_jump(
        k, lambda frame: True, lambda frame, where: acted.append(where), plan
    )
    sys.settrace(tracer)
    try:
        sum(generator_of_sums(2))
    finally:
        sys.settrace(None)
    assert acted == [] and not tracer.reached
