"""Runs in Ray workers (gan_core.ray_runs) against a real local Ray with 2 CPUs, no mocks: a run trains to
the end and everything it made is here afterwards; it gives the same numbers as the same run in a
thread; pause, resume and stop; the scheduler's queue; quality measured in the worker; a worker killed
with SIGKILL mid-run; a cluster that cannot be reached. Every wait is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

pytest.importorskip("ray")

from thread_support import tiny_mlp as tiny  # noqa: E402
from thread_support import wait_for

from gan_core import Limits, Scheduler, Trainer  # noqa: E402
from gan_core.runs import TrainingRun, make_run, watch_quality  # noqa: E402
from gan_core.scheduler import QUEUED, RUNNING  # noqa: E402

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray with 2 CPUs for this module; shut down after it."""
    from gan_core import ray_runs

    t0 = time.perf_counter()
    ray_runs.connect(num_cpus=2)
    print(f"ray.init took {time.perf_counter() - t0:.1f} s")
    yield ray_runs
    ray_runs.shutdown()


@pytest.fixture
def runs(ray_cluster, mnist):
    """Make RayRuns of tiny configs; each is stopped and joined after the test (bounded)."""
    made = []

    def make(**kw):
        run = make_run(tiny(**kw), mnist, device="cpu", backend="ray")
        made.append(run)
        return run

    yield make
    for r in made:
        r.stop()
    for r in made:
        r.join(30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def same_numbers(a, b):
    """Records equal in everything but wall-clock time (elapsed, images/s)."""
    keys = ("step", "d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm", "d_grad_norm", "info_loss")
    return [[getattr(r, k) for k in keys] for r in a] == [[getattr(r, k) for k in keys] for r in b]


# ------------------------------------------------------------------------------------------ a whole run
def test_a_short_run_trains_to_the_end_and_everything_is_here_after(runs):
    run = runs(max_steps=60, snapshot_every=20)
    assert isinstance(run, TrainingRun) and run.status == "ready"
    seen = {"records": 0, "snapshots": [], "ends": []}
    run.add_callback("on_record", lambda r, recs: seen.__setitem__("records", seen["records"] + len(recs)))
    run.add_callback("on_snapshot", lambda r, s: seen["snapshots"].append(s.step))
    run.add_callback("on_end", lambda r: seen["ends"].append((r.status, len(r.history), r.export_generator())))
    t0 = time.perf_counter()
    run.start()
    assert time.perf_counter() - t0 < 2.0, "start() must not wait for the worker"
    assert run.join(120), "the run did not end in 120 s"
    assert run.status == "finished", run.message
    assert run.step == 60 and [r.step for r in run.records()] == list(range(1, 61))
    assert [s.step for s in run.snapshot_list()] == [0, 20, 40, 60] == seen["snapshots"]
    assert seen["records"] == 60
    assert len(seen["ends"]) == 1 and seen["ends"][0][:2] == ("finished", 60)  # on_end: all here already
    assert all(s.g_state is not None for s in run.snapshot_list())  # every kept snapshot's G
    assert run.snapshot_list()[-1].images.shape == (64, 28, 28)
    assert "MNIST" in run.data_description and run.device_name.startswith("CPU")
    G, D = run.export_generator(), run.export_discriminator()
    z = torch.randn(5, run.cfg.latent_dim)
    with torch.inference_mode():
        digits = G(z, None)
        verdict = D(digits, None)
    assert digits.shape == (5, 1, 28, 28) and verdict.shape == (5,)
    assert run.generator_at(run.snapshot_list()[1]) is not None
    pid = run.worker_pid
    wait_for(lambda: not alive(pid), 15, "the finished run's worker to be killed")


def test_a_ray_run_gives_the_numbers_of_the_same_run_in_a_thread(runs, mnist):
    """Same code, same seed, one thread in both: the records and the timeline are identical."""
    remote = runs(max_steps=40, snapshot_every=20, seed=7)
    remote.start()
    local = Trainer(tiny(max_steps=40, snapshot_every=20, seed=7), mnist, device="cpu").run()
    assert remote.join(120) and remote.status == "finished" == local.status
    assert same_numbers(remote.records(), local.records())
    for a, b in zip(remote.snapshot_list(), local.snapshot_list(), strict=True):
        assert a.step == b.step and torch.equal(a.images, b.images)
    for k, v in local.export_generator().state_dict().items():
        assert torch.equal(remote.export_generator().state_dict()[k], v), k


def test_pause_resume_and_stop_reach_the_worker(runs):
    run = runs(max_seconds=60.0)
    run.start()
    wait_for(lambda: run.step > 0, 60, "the run to train")
    run.pause()
    wait_for(lambda: run.status == "paused", 10, "the run to pause")
    held = run.step
    time.sleep(1.0)  # three polls later: not one more step
    assert run.step == held and run.status == "paused"
    run.resume()
    wait_for(lambda: run.step > held, 10, "the run to train again")
    run.stop("Stopped by the test.")
    assert run.join(30)
    assert run.status == "stopped" and run.message == "Stopped by the test."
    assert run.export_generator() is not None and run.export_discriminator() is not None
    pid = run.worker_pid
    wait_for(lambda: not alive(pid), 15, "the stopped run's worker to be killed")


# ------------------------------------------------------------------------------------------ the queue
def test_the_scheduler_queues_a_ray_run_and_starts_it_when_the_first_ends(runs):
    sched = Scheduler(Limits(max_concurrent=1))
    a = sched.submit("alice", runs(max_steps=40))
    b = sched.submit("bob", runs(max_steps=20))
    c = sched.submit("carol", runs(max_steps=20))
    assert a.state == RUNNING and b.state == QUEUED and b.position == 1 and c.position == 2
    assert sched.cancel_session("carol") == 1  # a tab closed while queued: no worker is ever made
    assert c.trainer.status == "stopped" and c.trainer.join(0) and c.trainer.worker_pid is None
    assert c.trainer._actor is None
    assert a.trainer.join(120) and a.trainer.status == "finished"
    assert b.trainer.join(120) and b.trainer.status == "finished" and b.trainer.step == 20
    assert b.waited > 0 and sched.counts()["running"] == 0


def test_a_paused_ray_run_gives_its_slot_to_a_waiting_one(runs):
    sched = Scheduler(Limits(max_concurrent=1, max_pause=0.5))
    a = sched.submit("alice", runs(max_seconds=60.0))
    wait_for(lambda: a.trainer.step > 0, 60, "alice's run to train")
    a.trainer.pause()
    wait_for(lambda: a.trainer.status == "paused", 10, "alice's run to pause")
    b = sched.submit("bob", runs(max_steps=10))
    assert a.trainer.join(30) and a.trainer.status == "stopped"
    assert "paused for more than 0.5 s" in a.trainer.message
    assert b.trainer.join(120) and b.trainer.status == "finished"


# ------------------------------------------------------------------------------------------ quality
def test_quality_is_measured_in_the_worker_and_read_here(runs):
    run = runs(max_steps=40, snapshot_every=20)
    mon = watch_quality(run, every=20, n=64)
    run.start()
    assert run.join(180) and run.status == "finished", run.message
    assert mon.done and mon.error is None
    assert [s for s, _ in mon.records()] == [0, 20, 40]
    assert mon.latest()[0] == 40 and len(mon.class_dist) == 10
    assert mon.real_scores()["inception_score"] > 5  # real digits: clear and varied


# ------------------------------------------------------------------------------------------ faults
def test_a_worker_killed_mid_run_is_reported_within_5_s_and_keeps_its_last_snapshot(runs):
    run = runs(max_seconds=60.0, snapshot_every=10)
    run.start()
    wait_for(
        lambda: any(s.g_state is not None and s.step > 0 for s in run.snapshot_list()),
        60,
        "a snapshot's weights to reach the web process",
    )
    kept = next(s for s in reversed(run.snapshot_list()) if s.g_state is not None)
    os.kill(run.worker_pid, signal.SIGKILL)
    t0 = time.monotonic()
    assert run.join(10), "the kill was not noticed in 10 s"
    noticed = time.monotonic() - t0
    assert noticed < 5.0, f"noticed after {noticed:.1f} s"
    assert run.status == "interrupted" and run.done
    expected = f"Interrupted at step {run.step}: the worker training this run stopped ("
    assert run.message.startswith(expected), run.message
    G = run.export_generator()  # the last pulled snapshot's G, still usable
    for k, v in kept.g_state.items():
        assert torch.equal(G.state_dict()[k], v), k
    assert run.export_discriminator() is None  # D only comes with the final weights


def test_an_unreachable_cluster_raises_backend_unavailable_fast():
    """In a fresh process (this one already has Ray): a wrong address fails in seconds with one clear error."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from gan_core import GANConfig\n"
        "from gan_core.runs import BackendUnavailable, make_run\n"
        "try:\n"
        "    make_run(GANConfig(), 'mnist', backend='ray')\n"
        "except BackendUnavailable as exc:\n"
        "    print('UNAVAILABLE', round(time.perf_counter() - t, 1), exc)\n"
    )
    env = dict(os.environ, GAN_CLASSROOM_RAY_ADDRESS="127.0.0.1:1", PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "UNAVAILABLE" in out.stdout, out.stdout + out.stderr
    assert "cannot be reached" in out.stdout and "127.0.0.1:1" in out.stdout
    assert float(out.stdout.split()[1]) < 10
