"""The app's side of runs that outlive their web process (the Ray backend): a tab's run started through
`SessionStore.start` in a "web process" (a separate Python process, killed with SIGKILL as a crashed or
restarted server would be), then the tab coming back to another web process (this test process: a new
store of that tab, `gan_ui.state.attach`, as a restarted server or a second replica makes it).

* Its worker still training: the tab finds its run again, training on, not reported lost in a restart;
  then the worker is killed with SIGKILL and the tab reads "Interrupted at step N" and keeps a usable G
  (a download, a shelved copy for Explore).
* Its worker killed too before the tab comes back: the tab reads "Interrupted at step N" with the last
  snapshot's G from the shared runs folder.

A real Ray head on loopback (tests/ray_cluster_support.py), real MNIST digits, no mocks; every wait bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
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
    from gan_ui import state
    store = state.attach({tab!r})
    handle = store.start(tiny_mlp(max_steps=0, max_seconds=120.0, snapshot_every=20))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (
        handle.step >= 40 and any(s.g_state is not None for s in handle.snapshots())
    ):
        time.sleep(0.1)
    print("STEP", handle.step, handle.status, flush=True)
    time.sleep(600)
    """
)


@pytest.fixture(scope="module")
def ray_app(tmp_path_factory):
    """A Ray head (2 CPUs) and the app's environment for the Ray backend, runs kept in a shared folder."""
    address, head, tmp = start_head(num_cpus=2)
    runs = tmp_path_factory.mktemp("runs")
    env = {
        "GAN_CLASSROOM_BACKEND": "ray",
        "GAN_CLASSROOM_RAY_ADDRESS": address,
        "GAN_CLASSROOM_RUNS_DIR": str(runs),
        "GAN_CLASSROOM_TEST_MODE": "1",
        "GAN_CLASSROOM_RAY_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
        "RAY_AUTH_MODE": "disabled",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    from gan_core import ray_runs
    from gan_ui import server

    server._backend = server._scheduler = server._journal = None  # this process's server: on Ray, in `runs`
    try:
        yield runs
    finally:
        from e2e_support import stop_all_runs

        stop_all_runs()
        ray_runs.shutdown()
        server._backend = server._scheduler = server._journal = None
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        head.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def web_process_starts_a_run(tab: str) -> int:
    """A separate web process starts the tab's run through SessionStore.start, sees it train and hold a
    snapshot's weights, and is killed with SIGKILL. Returns the step it saw."""
    code = WEB.format(tests=os.path.join(ROOT, "tests"), tab=tab)
    env = {**ENV, **{k: v for k, v in os.environ.items() if k.startswith("GAN_CLASSROOM_")}, "PYTHONPATH": ROOT}
    web = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
    )
    try:
        line = web.stdout.readline()
        assert line.startswith("STEP "), f"the web process printed {line!r}"
        _, step, status = line.split()
        assert status == "running", line
        return int(step)
    finally:
        web.send_signal(signal.SIGKILL)
        web.wait(30)


def restart_this_web_process() -> None:
    """This process becomes a new web server: its journal (read afresh from the shared folder, so the killed
    process's runs are in it) and its registry of tabs."""
    from gan_ui import server

    server._journal = None
    assert server.server_journal().interrupted, "the killed web process's run is in the journal it left"


def worker_pid(token: str) -> int:
    import ray

    from gan_core.ray_cluster import connect
    from gan_core.ray_names import actor_name, namespace

    connect()
    actor = ray.get_actor(actor_name(token), namespace=namespace())
    return ray.get(actor.poll.remote(0, -1, 0), timeout=30)["pid"]


def shelved(tab: str) -> list[str]:
    from gan_ui.server import server_shelf

    return [name for name, _data in server_shelf().load(tab)]


def test_a_tab_finds_its_run_training_on_after_its_web_process_died_then_sees_it_interrupted(ray_app):
    from gan_ui import state

    tab = uuid.uuid4().hex
    seen = web_process_starts_a_run(tab)
    assert seen >= 40
    restart_this_web_process()
    store = state.attach(tab)  # the tab's first page on this web process: a new store of the tab
    assert len(store.runs) == 1, "the tab's run on Ray was found again by its tab"
    handle = store.runs[0]
    token = handle._run.token
    assert token.startswith(tab + "-")
    assert store.interrupted == [], f"a run found training is not reported lost: {store.interrupted}"
    assert store.viewing == handle.number, "the Train page shows the found run"
    wait_for(lambda: handle.step > seen and handle.records(), 120, "the found run's mirror to catch up")
    assert handle.active and handle.status == "running", handle.message
    assert handle.records()[0].step == 1, "its records come back from the start of the run"
    assert store.active_run() is handle
    assert handle.ticket is not None and handle.ticket.state == "running", "it holds a slot of this server's queue"
    step = handle.step
    wait_for(lambda: handle.step > step + 20, 120, "the found run to keep training")
    wait_for(lambda: any(s.g_state is not None for s in handle.snapshots()), 30, "a snapshot's weights")

    os.kill(worker_pid(token), signal.SIGKILL)  # as an OOM kill would
    assert handle.join(90), "a killed worker is reported to its tab"
    assert handle.status == "interrupted"
    assert handle.message.startswith(f"Interrupted at step {handle.step}:"), handle.message
    assert handle.usable, "the last snapshot's weights are kept"
    assert handle.checkpoint()[:8], "and downloadable"
    from gan_ui.server import server_scheduler

    assert server_scheduler().counts()["running"] == 0, "its slot is free again"
    wait_for(lambda: shelved(tab), 30, "the interrupted run on the tab's shelf")
    assert shelved(tab)[0].startswith(f"run{handle.number}-")
    assert not (ray_app / f"ray-{token}.safetensors").exists(), "the fault file goes once the shelf has the run"


def test_a_tab_whose_run_died_with_its_web_process_gone_reads_interrupted_at_step_n(ray_app):
    import torch

    from gan_ui import state

    tab = uuid.uuid4().hex
    web_process_starts_a_run(tab)
    files = list(ray_app.glob(f"ray-{tab}-*.safetensors"))
    assert len(files) == 1, "the worker keeps its newest snapshot in the shared runs folder"
    token = files[0].name[len("ray-") : -len(".safetensors")]
    os.kill(worker_pid(token), signal.SIGKILL)
    wait_for(lambda: not _alive(token), 30, "the killed worker to be gone from Ray")

    restart_this_web_process()
    store = state.attach(tab)
    assert len(store.runs) == 1, "the run is found from its snapshot file"
    handle = store.runs[0]
    assert handle.status == "interrupted" and not handle.active
    assert handle.message.startswith(f"Interrupted at step {handle.step}:"), handle.message
    assert handle.step >= 20
    assert store.interrupted == [], "told once, as its run, not again as a run lost in a restart"
    assert handle.usable
    G = handle.model_entry().G  # what Explore opens
    with torch.no_grad():
        out = G(torch.randn(4, handle.cfg.latent_dim))
    assert out.shape[0] == 4 and torch.isfinite(out).all()
    assert shelved(tab), "shelved at once: a later web process gives it back as a saved model"
    assert not files[0].exists()
    assert state.attach(uuid.uuid4().hex).runs == [], "another tab finds none of it"


def _alive(token: str) -> bool:
    try:
        worker_pid(token)
        return True
    except Exception:  # noqa: BLE001 - any failure to reach it means it is gone
        return False
