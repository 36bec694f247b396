"""Honest speed: how many steps a run will get in its budget at the pace it actually trains, and why it is slow.

A preset's quality depends on steps, not seconds: the default recipe passes the quality bar after a number of
steps that does not depend on the machine (`Preset.digits_after_steps`, measured by bench/steps_to_digits.py),
while the steps a 30 s budget buys depend on the machine and on everything else running on it. On a class
server several runs share the cores, and training threads run at a lower priority (nice 10) so that slider
moves stay responsive, so any other load slows a run further. This module turns a run's own measurements into
the numbers a student needs ("expect ~K steps in your budget; the recipe needs ~N"); the Train page words them.

Pure functions of plain numbers (and os.getloadavg); no torch, no UI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MIN_SECONDS = 3.0  # a pace measured over less training time than this is mostly start-up
MIN_STEPS = 10  # ... or over fewer steps
BUSY_MARGIN = 1.0  # runnable tasks beyond the cores before the machine counts as busy: at least one always waits.
# One run training beside the student's own browser on a 2-core laptop keeps the load near 2.2; that is the
# normal case, not a busy server


@dataclass(frozen=True)
class Pace:
    steps_per_s: float  # the run's own pace so far
    expected_steps: int  # steps at the end of its budget at that pace
    budget_steps: int  # the step budget, 0 for a time budget


def expected_steps(step: int, elapsed: float, max_seconds: float, max_steps: int) -> Pace | None:
    """The steps a run will have done when its budget ends, at the pace it has trained so far (None until it
    has trained long enough to tell). A step budget still ends at the server's time cap (max_seconds)."""
    if elapsed < MIN_SECONDS or step < MIN_STEPS:
        return None
    rate = step / elapsed
    by_time = step + rate * max(0.0, max_seconds - elapsed) if max_seconds else float("inf")
    end = min(by_time, max_steps) if max_steps else by_time
    if end == float("inf"):
        return None
    return Pace(rate, int(end), int(max_steps or 0))


def machine_load() -> tuple[float | None, int]:
    """(load average over the last minute, CPU cores): None where the system cannot tell."""
    cores = os.cpu_count() or 1
    try:
        return os.getloadavg()[0], cores
    except (OSError, AttributeError):
        return None, cores


@dataclass(frozen=True)
class Busy:
    runs: int  # runs training on this server now (this one included)
    load: float | None  # load average (1 min)
    cores: int

    @property
    def busy(self) -> bool:
        """Other runs train beside this one, or the machine has more work than its cores can run: a load average of
        at least cores + BUSY_MARGIN (the load counts the tasks running and waiting for a core)."""
        return self.runs > 1 or (self.load is not None and self.load >= self.cores + BUSY_MARGIN)


def busy_state(running_runs: int) -> Busy:
    load, cores = machine_load()
    return Busy(running_runs, load, cores)
