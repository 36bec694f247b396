"""The server-wide training queue (gan_core.scheduler) with real Trainer runs on real MNIST digits:
a cap on concurrent runs, first-come-first-served start when a slot frees, one run per session,
cancellation of queued and running tickets, sessions that cannot touch each other's runs, waiting
estimates, and the per-run limits."""

from __future__ import annotations

import os
import threading
import time

import pytest
import torch
from thread_support import tiny_mlp as tiny
from thread_support import wait_for

from gan_core import ConfigError, Limits, Scheduler, SchedulerError, Trainer
from gan_core.scheduler import CANCELLED, DONE, QUEUED, RUNNING, default_max_concurrent, run_seconds_left


@pytest.fixture
def trainers(mnist):
    """Make tiny trainers on the real digits; every one is stopped and joined after the test."""
    made = []

    def make(**kw):
        t = Trainer(tiny(**kw), mnist, device="cpu")
        made.append(t)
        return t

    yield make
    for t in made:
        t.stop()
    for t in made:
        t.join(30)


def test_cap_one_second_run_waits_then_runs_by_itself(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    a = sched.submit("alice", trainers(max_steps=40))
    b = sched.submit("bob", trainers(max_steps=20))
    assert a.state == RUNNING and a.position == 0
    assert b.state == QUEUED and b.position == 1 and b.trainer.status == "ready"
    assert sched.counts()["running"] == 1 and sched.counts()["queued"] == 1
    assert b.trainer.step == 0  # it does not train while it waits
    assert a.trainer.join(60) and a.trainer.status == "finished" and a.trainer.step == 40
    wait_for(lambda: b.trainer.done, 60, "the queued run to start and finish")
    assert b.trainer.status == "finished" and b.trainer.step == 20
    assert a.state == DONE and b.state == DONE
    assert b.waited > 0 and b.started >= a.submitted
    assert sched.counts() == {"running": 0, "queued": 0, "slots": 1, "started": 2, "finished": 2}


def test_never_more_than_the_cap_train_at_once(trainers):
    sched = Scheduler(Limits(max_concurrent=2))
    peak, lock = [0], threading.Lock()
    live = set()

    def watch(t, recs):  # on_record: which runs are producing steps right now
        with lock:
            live.add(t.id)
            peak[0] = max(peak[0], len(live))

    def gone(t):
        with lock:
            live.discard(t.id)

    tickets = []
    for i in range(5):
        t = trainers(max_steps=30)
        t.add_callback("on_record", watch)
        t.add_callback("on_end", gone)
        tickets.append(sched.submit(f"s{i}", t))
    assert [tk.position for tk in tickets] == [0, 0, 1, 2, 3]
    wait_for(lambda: all(tk.trainer.done for tk in tickets), 120, "all five runs")
    assert all(tk.trainer.status == "finished" and tk.trainer.step == 30 for tk in tickets)
    assert peak[0] <= 2
    starts = [tk.started for tk in tickets]
    assert starts[2] <= starts[3] <= starts[4]  # first come, first served


def test_one_active_run_per_session(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    sched.submit("alice", trainers(max_seconds=30.0))
    with pytest.raises(SchedulerError, match="already has a run training"):
        sched.submit("alice", trainers(max_steps=5))
    sched.submit("bob", trainers(max_steps=5))
    with pytest.raises(SchedulerError, match="waiting in the queue"):
        sched.submit("bob", trainers(max_steps=5))


def test_cancel_a_queued_ticket_leaves_the_queue_and_the_next_moves_up(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    ended = []
    a = sched.submit("a", trainers(max_seconds=30.0))
    b_trainer = trainers(max_steps=5)
    b_trainer.add_callback("on_end", lambda t: ended.append(t.status))
    b = sched.submit("b", b_trainer)
    c = sched.submit("c", trainers(max_steps=5))
    assert (b.position, c.position) == (1, 2)
    assert sched.cancel(b, "b", "tab closed")
    assert b.state == CANCELLED and c.position == 1
    assert b.trainer.status == "stopped" and "Left the queue" in b.trainer.message
    assert ended == ["stopped"]  # on_end fired once for the never-started run
    assert sched.ticket_of("b") is None
    sched.cancel(a, "a")  # a running ticket: its run stops, c gets the slot
    assert a.trainer.join(30) and a.trainer.status == "stopped"
    wait_for(lambda: c.trainer.done, 60, "c to run after a stopped")
    assert c.trainer.status == "finished" and b.trainer.step == 0


def test_cancel_session_stops_the_run_of_a_closed_tab(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    a = sched.submit("a", trainers(max_seconds=30.0))
    b = sched.submit("b", trainers(max_seconds=30.0))
    assert sched.cancel_session("b") == 1 and b.state == CANCELLED
    assert sched.cancel_session("a") == 1
    assert a.trainer.join(30) and a.trainer.status == "stopped"
    assert sched.cancel_session("nobody") == 0
    assert sched.counts()["running"] == 0 and sched.counts()["queued"] == 0


def test_one_session_cannot_stop_another_sessions_run(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    a = sched.submit("alice", trainers(max_seconds=30.0))
    with pytest.raises(SchedulerError, match="another session"):
        sched.cancel(a, "mallory")
    assert a.state == RUNNING and not a.trainer._stop.is_set()


def test_wait_estimate_replays_the_queue_on_running_budgets(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    a = sched.submit("a", trainers(max_seconds=20.0))
    b = sched.submit("b", trainers(max_seconds=10.0))
    c = sched.submit("c", trainers(max_seconds=10.0))
    wait_for(lambda: a.trainer.elapsed > 0.2, 30, "a to train a little")
    left = run_seconds_left(a.trainer)
    assert 0 < left < 20
    eb, ec = sched.wait_estimate(b), sched.wait_estimate(c)
    assert abs(eb - run_seconds_left(a.trainer)) < 1.0  # b starts when a's budget is spent
    assert abs((ec - eb) - 10.0) < 1.0  # c waits for b's whole budget too
    assert sched.wait_estimate(a) == 0.0


def test_a_step_budget_is_estimated_from_the_runs_own_pace(trainers):
    t = trainers(max_steps=100_000, max_seconds=1e7)
    t.start()
    wait_for(lambda: t.step >= 30, 30, "some steps")
    left = run_seconds_left(t)
    assert left == pytest.approx((t.cfg.max_steps - t.step) * t.elapsed / t.step, rel=0.2)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread niceness on this OS")
def test_training_threads_yield_the_cpu_to_the_server(trainers):
    sched = Scheduler(Limits(max_concurrent=1, nice=7))
    t = sched.submit("a", trainers(max_seconds=30.0)).trainer
    tid = t._thread.native_id
    assert os.getpriority(os.PRIO_PROCESS, tid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 7)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == os.getpriority(os.PRIO_PROCESS, 0)


def test_a_started_trainer_is_refused(trainers):
    t = trainers(max_steps=3)
    t.run()
    with pytest.raises(SchedulerError, match="already been started"):
        Scheduler().submit("a", t)


def test_the_queue_has_a_size_limit(trainers):
    sched = Scheduler(Limits(max_concurrent=1, max_queue=2))
    for s in "abc":
        sched.submit(s, trainers(max_seconds=30.0))
    with pytest.raises(SchedulerError, match="queue is full"):
        sched.submit("d", trainers(max_steps=3))


def test_limits_refuse_oversized_configs_with_a_clear_message():
    lim = Limits(max_batch=256, max_width=128, max_latent=128, max_seconds=120, max_steps=20_000)
    with pytest.raises(ConfigError, match="Batch size 1024 is over this server's limit of 256") as e:
        lim.check(tiny(batch_size=1024, latent_dim=500, max_seconds=30.0))
    assert "Latent size 500" in str(e.value) and "teacher" in str(e.value)
    with pytest.raises(ConfigError, match="g_width 256"):
        lim.check(tiny(g_width=256, max_seconds=30.0))
    with pytest.raises(ConfigError, match="600 s is over"):
        lim.check(tiny(max_seconds=600.0))
    with pytest.raises(ConfigError, match="50,000 steps"):
        lim.check(tiny(max_steps=50_000))
    capped = lim.check(tiny(max_steps=500))  # a step budget still ends in bounded time
    assert capped.max_steps == 500 and capped.max_seconds == 120


def test_default_concurrency_follows_cores_and_gpu():
    assert default_max_concurrent(False, cpu_count=2, threads_per_run=1) == 1  # one core kept for the server
    assert default_max_concurrent(False, cpu_count=16, threads_per_run=4) == 3
    assert default_max_concurrent(False, cpu_count=16, threads_per_run=1) == 15
    assert default_max_concurrent(False, cpu_count=1, threads_per_run=4) == 1
    assert default_max_concurrent(True, cpu_count=2) == 4


# ------------------------------------------------------------------------------------------ faults
def test_a_run_whose_thread_raises_frees_its_slot_for_the_next(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    bad = trainers(max_seconds=30.0)
    real_step = bad.train_step

    def exploding_step():  # a fault inside the training thread after 7 good steps
        if bad.step == 7:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        real_step()

    bad.train_step = exploding_step
    a = sched.submit("a", bad)
    b = sched.submit("b", trainers(max_steps=10))
    assert bad.join(30) and bad.status == "failed" and "illegal memory access" in bad.message
    wait_for(lambda: b.trainer.done, 60, "the next run after the crash")
    assert b.trainer.status == "finished" and a.state == DONE and sched.counts()["running"] == 0


def test_a_diverging_run_frees_its_slot_for_the_next(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    diverging = trainers(max_seconds=30.0, snapshot_every=10)

    def poison(trainer, snap):  # what an exploding update does to D's weights
        if snap.step == 10:
            with torch.no_grad():
                for p in trainer.D.parameters():
                    p.fill_(float("inf"))

    diverging.add_callback("on_snapshot", poison)
    sched.submit("a", diverging)
    b = sched.submit("b", trainers(max_steps=10))
    assert diverging.join(30) and diverging.status == "diverged"
    wait_for(lambda: b.trainer.done, 60, "the next run after the divergence")
    assert b.trainer.status == "finished"


def test_a_run_paused_too_long_gives_its_slot_to_a_waiting_one(trainers):
    """A student who pauses must not hold up the class: with others queued, a run paused for longer than
    max_pause stops (keeping what it learned) and the next in line starts. Alone, it may stay paused."""
    sched = Scheduler(Limits(max_concurrent=1, max_pause=0.5))
    a = sched.submit("alice", trainers(max_steps=100_000))
    wait_for(lambda: a.trainer.step > 0, 30, "alice's run to train")
    a.trainer.pause()
    wait_for(lambda: a.trainer.status == "paused", 30, "alice's run to pause")
    time.sleep(1.5)  # past max_pause, but nobody waits: still paused
    assert a.trainer.status == "paused" and a.state == RUNNING
    b = sched.submit("bob", trainers(max_steps=10))
    assert b.state == QUEUED
    wait_for(lambda: a.trainer.done, 30, "the paused run to give up its slot")
    assert a.trainer.status == "stopped" and "paused for more than 0.5 s" in a.trainer.message
    assert a.trainer.step > 0 and a.trainer.snapshots  # what it learned is kept
    wait_for(lambda: b.trainer.done, 60, "the waiting run to start and finish")
    assert b.trainer.status == "finished" and b.trainer.step == 10


def test_an_adopted_run_holds_a_slot_and_the_session_rule_until_it_ends(trainers):
    """A run found training again (a Ray run after a web restart) is taken in as running: the next run waits
    for its slot, its session cannot start a second one, and its end starts the next in line."""
    sched = Scheduler(Limits(max_concurrent=1))
    found = trainers(max_steps=0, max_seconds=60.0).start()
    ticket = sched.adopt("alice", found)
    assert ticket.state == RUNNING and sched.counts()["running"] == 1
    with pytest.raises(SchedulerError):
        sched.submit("alice", trainers(max_steps=5))
    b = sched.submit("bob", trainers(max_steps=5))
    assert b.state == QUEUED and b.position == 1, "the adopted run holds the slot"
    assert sched.cancel(ticket, "alice", "stopped by the student")
    assert found.join(30) and found.status == "stopped"
    wait_for(lambda: b.trainer.done, 60, "the queued run to start once the adopted run ended")
    assert b.trainer.status == "finished" and ticket.state == DONE


def test_an_adopted_run_that_already_ended_frees_its_slot_at_once(trainers):
    sched = Scheduler(Limits(max_concurrent=1))
    ended = trainers(max_steps=3).start()
    assert ended.join(30)
    ticket = sched.adopt("alice", ended)
    assert ticket.state == DONE and sched.counts()["running"] == 0
    assert sched.submit("alice", trainers(max_steps=3)).state == RUNNING
