"""Runs found again after the web process dies: a real Ray head started by the test (its own process
group, loopback), a "web process" that starts a run for a tab token and is killed with SIGKILL, and the
test process finding that run by its token and watching it progress; then its worker killed too, and
the tab told "Interrupted at step N" with the last snapshot's G read from the shared runs directory.
No mocks; every wait is bounded."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

pytest.importorskip("ray")

from ray_cluster_support import ENV, start_head  # noqa: E402
from thread_support import wait_for  # noqa: E402

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WEB = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from thread_support import tiny_mlp
    from gan_core.ray_runs import RayRun
    run = RayRun(tiny_mlp(max_steps=0, max_seconds=120.0, snapshot_every=20), "mnist", "cpu", 1,
                 token={token!r}, save_dir={save_dir!r}).start()
    deadline = time.monotonic() + 120
    while run.step < 40 and time.monotonic() < deadline:
        time.sleep(0.1)
    print("STEP", run.step, flush=True)
    time.sleep(600)
    """
)


@pytest.fixture(scope="module")
def cluster():
    address, head, tmp = start_head(num_cpus=2)
    os.environ["GAN_CLASSROOM_RAY_ADDRESS"] = address
    os.environ["RAY_AUTH_MODE"] = "disabled"
    from gan_core import ray_runs

    try:
        yield address
    finally:
        ray_runs.shutdown()
        os.environ.pop("GAN_CLASSROOM_RAY_ADDRESS", None)
        head.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def web_process_starts_a_run(token: str, save_dir: str, orphan_after: str = "") -> None:
    """A separate Python process starts the tab's run, sees it train, and is killed with SIGKILL."""
    code = WEB.format(tests=os.path.join(ROOT, "tests"), token=token, save_dir=save_dir)
    env = {**ENV, "GAN_CLASSROOM_RAY_ADDRESS": os.environ["GAN_CLASSROOM_RAY_ADDRESS"], "PYTHONPATH": ROOT}
    env["GAN_CLASSROOM_RAY_ORPHAN_AFTER"] = orphan_after
    web = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = web.stdout.readline()
        assert line.startswith("STEP "), f"the web process printed {line!r}"
        assert int(line.split()[1]) >= 40
    finally:
        web.send_signal(signal.SIGKILL)
        web.wait(30)


def test_a_run_is_found_again_by_its_token_after_its_web_process_was_killed(cluster, tmp_path):
    from gan_core.ray_runs import RayRun

    token = uuid.uuid4().hex
    web_process_starts_a_run(token, str(tmp_path))
    run = RayRun.find(token, save_dir=str(tmp_path))
    assert run is not None, "the detached worker was not found by its tab's token"
    try:
        wait_for(lambda: run.step >= 40 and len(run.history) > 0, 60, "the found run's mirror")
        step = run.step
        assert run.status == "running", run.message
        assert run.records()[0].step == 1, "records come back from the start of the run"
        assert run.snapshot_list(), "snapshots come back too"
        wait_for(lambda: run.step > step + 20, 60, "the found run to keep training")
        assert RayRun.find(uuid.uuid4().hex, save_dir=str(tmp_path)) is None, "an unknown token finds nothing"
    finally:
        run.stop()
        assert run.join(60)
    assert run.status == "stopped"
    assert run.export_generator() is not None
    assert not (tmp_path / f"ray-{token}.safetensors").exists(), "a run that ended normally leaves no fault file"


def test_a_run_whose_worker_died_too_is_reported_interrupted_with_its_weights(cluster, tmp_path):
    import ray
    import torch

    from gan_core.ray_names import actor_name, namespace
    from gan_core.ray_runs import RayRun

    token = uuid.uuid4().hex
    web_process_starts_a_run(token, str(tmp_path))
    assert (tmp_path / f"ray-{token}.safetensors").is_file(), "the worker keeps its newest snapshot on disk"
    from gan_core.ray_cluster import connect

    connect()
    actor = ray.get_actor(actor_name(token), namespace=namespace())
    pid = ray.get(actor.poll.remote(0, -1, 0), timeout=30)["pid"]
    os.kill(pid, signal.SIGKILL)  # the worker's process, as an OOM kill would
    wait_for(lambda: _gone(token), 30, "the killed worker to be gone from Ray")
    run = RayRun.find(token, save_dir=str(tmp_path))
    assert run is not None and run.done
    assert run.status == "interrupted"
    assert run.message.startswith(f"Interrupted at step {run.step}:"), run.message
    assert run.step >= 20
    G = run.export_generator()
    with torch.no_grad():
        out = G(torch.randn(3, run.cfg.latent_dim))
    assert out.shape[0] == 3 and torch.isfinite(out).all()
    assert run.snapshot_list()[0].images.dtype == torch.uint8


def _gone(token: str) -> bool:
    import ray

    from gan_core.ray_names import actor_name, namespace

    try:
        actor = ray.get_actor(actor_name(token), namespace=namespace())
        ray.get(actor.describe.remote(), timeout=2)
        return False
    except Exception:  # noqa: BLE001 - any failure to reach it means it is gone
        return True


def test_an_orphan_stops_itself_when_nobody_polls_it(cluster, tmp_path):
    token = uuid.uuid4().hex
    web_process_starts_a_run(token, str(tmp_path), orphan_after="4")  # then killed: nobody polls any more
    assert not _gone(token)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _gone(token):
        time.sleep(0.5)
    assert _gone(token), "an unwatched detached worker stopped itself"
