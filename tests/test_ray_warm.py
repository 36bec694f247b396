"""Warm starts on the Ray backend (gan_core.ray_runs.RayRun.warm), against a real local Ray with 2 CPUs, no
mocks: a queued run's worker is made while it waits (holding no CPU) and reports ready; it trains in that
same process once its slot frees; Ray grants the CPUs, so never more runs train than the cluster has CPUs
even when more are started; cancelling a warm queued run ends its process; a warm worker lost while queued
costs only the head start; a web process that finds a warm worker of a queue it does not know ends it; the
training thread runs at the scheduler's niceness. Every wait is bounded."""

from __future__ import annotations

import os
import signal
import uuid

import pytest

pytest.importorskip("ray")

from thread_support import tiny_mlp as tiny  # noqa: E402
from thread_support import wait_for  # noqa: E402

from gan_core import Limits, Scheduler  # noqa: E402
from gan_core.runs import make_run  # noqa: E402
from gan_core.scheduler import QUEUED, RUNNING  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray with 2 CPUs for this module; shut down after it. Its workers start at this process's niceness
    (Ray's worker_niceness 0, not its default 15), so the training thread's own lowering can be seen."""
    from gan_core import ray_runs

    ray_runs.connect(num_cpus=2, worker_niceness=0)
    yield ray_runs
    ray_runs.shutdown()


@pytest.fixture
def runs(ray_cluster, mnist):
    """Make RayRuns of tiny configs; each is stopped (or cancelled) and joined after the test (bounded)."""
    made = []

    def make(token=None, **kw):
        run = make_run(tiny(**kw), mnist, device="cpu", backend="ray", token=token)
        made.append(run)
        return run

    yield make
    for r in made:
        if r._started or r.done:
            r.stop()
        else:
            r.cancel_unstarted("test over")
    for r in made:
        r.join(30)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone for our purposes
    except OSError:
        return False


def threads_of(pid: int) -> dict[int, tuple[int, int]]:
    """Thread id -> (cpu ticks used, niceness) for each thread of a process, from /proc."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12]), int(fields[16]))  # utime + stime, nice
    return out


# ------------------------------------------------------------------------------------------ the queue
def test_a_queued_run_is_warm_before_its_slot_frees_and_trains_in_that_process(runs):
    sched = Scheduler(Limits(max_concurrent=1))
    a = sched.submit("alice", runs(max_seconds=60.0))
    b = sched.submit("bob", runs(max_steps=30))
    c = sched.submit("carol", runs(max_steps=10))
    wait_for(lambda: b.trainer.warmed, 120, "bob's queued run to be warm")
    assert b.state == QUEUED and b.position == 1, (b.state, b.position)
    assert b.trainer.status == "ready" and b.trainer.step == 0 and b.trainer.records() == []
    warm_pid = b.trainer.worker_pid
    assert alive(warm_pid) and warm_pid != a.trainer.worker_pid
    assert c.trainer._actor is None  # only the first in line is warm (one per slot)
    wait_for(lambda: a.trainer.step > 0, 60, "alice's run to train")
    step_a = a.trainer.step
    wait_for(lambda: a.trainer.step > step_a + 50, 60, "alice's run to go on training")
    assert b.trainer.step == 0 and b.state == QUEUED  # warm, yet it waits for its slot
    a.trainer.stop()
    assert a.trainer.join(60) and b.state == RUNNING  # its "on_end" gave bob the slot
    assert b.trainer.join(120) and b.trainer.status == "finished" and b.trainer.step == 30
    assert b.trainer.worker_pid == warm_pid  # trained by the worker made while it waited
    assert c.state == RUNNING  # next in line, started by bob's end
    assert c.trainer.join(120) and c.trainer.status == "finished" and c.trainer.step == 10
    assert sched.counts()["running"] == 0


def test_ray_grants_the_cpus_so_no_more_runs_train_than_it_has(runs):
    """Three warm runs started together on 2 CPUs: two train, the third waits for a lease until one ends."""
    trio = [runs(max_seconds=60.0) for _ in range(3)]
    for run in trio:
        assert run.warm()
    wait_for(lambda: all(r.warmed for r in trio), 180, "three warm workers")
    for run in trio:
        run.start()
    wait_for(lambda: sum(r.step > 0 for r in trio) == 2, 60, "two runs to train")
    first = [r for r in trio if r.step > 0]
    third = next(r for r in trio if r.step == 0)
    marks = [r.step for r in first]
    wait_for(lambda: all(r.step > m + 50 for r, m in zip(first, marks)), 60, "the two to go on training")
    assert third.step == 0 and third.status == "ready", (third.step, third.status)
    first[0].stop()
    assert first[0].join(60) and first[0].status == "stopped"
    wait_for(lambda: third.step > 0, 60, "the third run to train once a lease is free")
    assert first[1].status == "running"


def test_cancelling_a_warm_queued_run_ends_its_process(runs):
    sched = Scheduler(Limits(max_concurrent=1))
    sched.submit("alice", runs(max_seconds=60.0))
    b = sched.submit("bob", runs(max_steps=20))
    wait_for(lambda: b.trainer.warmed, 120, "bob's queued run to be warm")
    pid = b.trainer.worker_pid
    assert sched.cancel_session("bob", "the tab closed") == 1
    assert b.trainer.status == "stopped" and b.trainer.join(0), b.trainer.status
    assert "the tab closed" in b.trainer.message
    wait_for(lambda: not alive(pid), 30, "the warm worker's process to end")
    assert sched.counts() == {**sched.counts(), "running": 1, "queued": 0}


def test_a_warm_worker_lost_while_queued_costs_only_the_head_start(runs):
    sched = Scheduler(Limits(max_concurrent=1))
    a = sched.submit("alice", runs(max_seconds=60.0))
    b = sched.submit("bob", runs(max_steps=20))
    wait_for(lambda: b.trainer.warmed, 120, "bob's queued run to be warm")
    os.kill(b.trainer.worker_pid, signal.SIGKILL)
    wait_for(lambda: b.trainer._actor is None, 30, "the lost warm worker to be noticed")
    assert b.state == QUEUED and b.trainer.status == "ready"
    a.trainer.stop()
    assert a.trainer.join(60) and b.state == RUNNING
    assert b.trainer.join(180) and b.trainer.status == "finished" and b.trainer.step == 20


def test_a_web_process_that_finds_a_warm_worker_of_an_unknown_queue_ends_it(runs):
    from gan_core.ray_runs import RayRun

    token = f"warmtest-{uuid.uuid4().hex[:8]}"
    queued = runs(token=token, max_steps=20)
    assert queued.warm()
    wait_for(lambda: queued.warmed, 120, "the named warm worker")
    pid = queued.worker_pid
    assert RayRun.find(token) is None  # never started: nothing to mirror, and its queue is not here
    wait_for(lambda: not alive(pid), 30, "the warm worker's process to end")
    queued.start()  # its own queue (this process) still starts it: cold now
    assert queued.join(180) and queued.status == "finished" and queued.step == 20


# ------------------------------------------------------------------------------------------ priority
@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_the_training_thread_runs_at_the_schedulers_niceness(runs, warm):
    sched = Scheduler(Limits(max_concurrent=1, nice=7))
    run = runs(max_seconds=60.0)
    if warm:
        run.warm()
        wait_for(lambda: run.warmed, 120, "the warm worker")
    ticket = sched.submit("alice", run)
    assert ticket.state == RUNNING
    wait_for(lambda: run.step > 50, 120, "the run to train")
    before, step = threads_of(run.worker_pid), run.step
    wait_for(lambda: run.step > step + 500, 120, "the run to train a while more")
    after = threads_of(run.worker_pid)
    training = max(after, key=lambda tid: after[tid][0] - before.get(tid, (0, 0))[0])  # the busiest meanwhile
    base = after[run.worker_pid][1]  # the process's main thread: the niceness it started at
    assert base <= 12, after  # this test needs room to see the lowering (run it at nice <= 12)
    assert after[training][1] == base + 7, (training, after)
