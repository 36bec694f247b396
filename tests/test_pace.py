"""gan_core.pace: the steps a run's budget buys at the pace it measures, and when a server counts as busy."""

from __future__ import annotations

import pytest

from gan_core.pace import MIN_SECONDS, Busy, busy_state, expected_steps, machine_load


def test_no_estimate_from_the_first_seconds_or_steps():
    assert expected_steps(5, 10.0, 30.0, 0) is None  # too few steps
    assert expected_steps(100, MIN_SECONDS / 2, 30.0, 0) is None  # too little time


def test_a_time_budget_is_projected_at_the_measured_pace():
    pace = expected_steps(100, 10.0, 30.0, 0)  # 10 steps/s, 20 s left
    assert pace.steps_per_s == pytest.approx(10.0)
    assert pace.expected_steps == 300
    assert pace.budget_steps == 0


def test_a_step_budget_ends_at_its_steps_or_at_the_time_cap():
    assert expected_steps(100, 10.0, 120.0, 500).expected_steps == 500  # reached well within the cap
    slow = expected_steps(20, 10.0, 120.0, 100_000)  # 2 steps/s: the cap ends it
    assert slow.expected_steps == 240
    assert slow.budget_steps == 100_000


def test_busy_means_other_runs_or_more_work_than_cores():
    assert not Busy(runs=1, load=0.5, cores=2).busy
    assert Busy(runs=2, load=0.5, cores=2).busy
    assert Busy(runs=1, load=3.0, cores=2).busy  # one task always waiting for a core
    assert not Busy(runs=1, load=2.2, cores=2).busy  # a run and the student's own browser on a 2-core laptop
    assert Busy(runs=1, load=17.5, cores=16).busy and not Busy(runs=1, load=16.5, cores=16).busy
    assert not Busy(runs=1, load=None, cores=2).busy  # no load average: only the runs count


def test_the_machine_load_is_read_from_the_system():
    load, cores = machine_load()
    assert cores >= 1
    assert load is None or load >= 0
    assert busy_state(3).runs == 3
