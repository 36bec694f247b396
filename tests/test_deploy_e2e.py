"""The deployment of deploy/, on loopback: one Ray head, two Streamlit replicas training on it (the Ray
backend, one shared runs folder), nginx (Debian's) in front with the repository's own config template
(sticky cookie). A headless Chromium student starts a run; the replica that serves the tab is killed;
the tab's page, re-routed by nginx to the other replica, finds its run again training on Ray. Then the
run's worker is killed too and the page reads "Interrupted at step N" with the run still usable.

Heavy for a 2-core machine (a Ray head, two app processes, nginx, Chromium, a worker): every wait is
bounded, and the whole test gives up after DEADLINE seconds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

pytest.importorskip("ray")

from e2e_support import ARTIFACTS, ROOT, StreamlitServer, browser, chromium_or_skip, free_port, wait_for  # noqa: E402, F401
from ray_cluster_support import Node, start_head, start_worker  # noqa: E402
from test_e2e import VIEWPORT, no_exception, open_page, start_run, step_count  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
START = '[data-testid="stBaseButton-primary"]'
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEADLINE = 540.0  # seconds for the whole test, set-up included


class Nginx:
    """nginx in the foreground with deploy/nginx.conf.template filled in (as deploy/compose.yaml does)."""

    def __init__(self, state: Path, upstreams: list[int]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        state.mkdir(parents=True, exist_ok=True)
        conf = (ROOT / "deploy" / "nginx.conf.template").read_text()
        servers = " ".join(f"server 127.0.0.1:{p};" for p in upstreams)
        conf = conf.replace("@LISTEN@", f"127.0.0.1:{self.port}").replace("@SERVERS@", servers)
        conf = conf.replace("@STATE@", str(state))
        self.conf = state / "nginx.conf"
        self.conf.write_text(conf)
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(state), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=open(state / "stdout.log", "wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._up, 30, what="nginx to answer")

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {self.proc.returncode}")
        try:
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@dataclasses.dataclass
class Deployment:
    proxy: Nginx
    replicas: list[StreamlitServer]
    head: Node
    workers: list[Node]  # worker nodes joined to the head (`ray start --address`), each its own raylet
    runs: Path  # the runs folder the replicas and the Ray workers share


@contextlib.contextmanager
def deployed(tmp_path: Path, head_cpus: int = 2, worker_nodes: tuple[str, ...] = (), name: str = "deploy"):
    """A Ray head of `head_cpus` CPUs, a worker node per entry of `worker_nodes` (its Ray resources, e.g.
    '{"lab_b": 1}', with one CPU), two replicas on the Ray backend over one runs folder and nginx in front;
    this test process's environment set to join the cluster in the replicas' namespace. Everything stopped
    afterwards. The replicas' logs are artifacts, e2e-<name>-replica<i>.log."""
    chromium_or_skip()
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed (apt-get install nginx)")
    address, head, ray_tmp = start_head(num_cpus=head_cpus)
    env = {
        "GAN_CLASSROOM_BACKEND": "ray",
        "GAN_CLASSROOM_RAY_ADDRESS": address,
        "GAN_CLASSROOM_RUNS_DIR": str(tmp_path / "runs"),  # shared by both replicas and the worker
        "GAN_CLASSROOM_RAY_NAMESPACE": f"e2e-{uuid.uuid4().hex[:8]}",
        "RAY_AUTH_MODE": "disabled",
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    replicas, workers, proxy = [], [], None
    try:
        workers += [start_worker(address, ray_tmp, num_cpus=1, resources=r) for r in worker_nodes]
        for i in (1, 2):
            replicas.append(StreamlitServer(ARTIFACTS / f"e2e-{name}-replica{i}.log", env=env).start(timeout=180))
        proxy = Nginx(tmp_path / "nginx", [r.port for r in replicas])
        proxy.ray_address = address
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # this test process asks Ray for the worker's process (the same namespace)
        yield Deployment(proxy, replicas, head, workers, tmp_path / "runs")
    finally:
        from gan_core import ray_cluster

        ray_cluster.shutdown()
        for k, v in locals().get("saved", {}).items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if proxy is not None:
            proxy.stop()
        for r in replicas:
            r.stop()
        for w in workers:
            w.kill()
        head.kill()
        shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.fixture
def deployment(tmp_path):
    """(nginx, [replica 1, replica 2]) on a fresh Ray head of two CPUs."""
    with deployed(tmp_path) as d:
        yield d.proxy, d.replicas


def serving(replicas: list[StreamlitServer], tab: str) -> StreamlitServer:
    """The replica whose log says it started the tab's run (the gan_ui logger names the tab's store)."""
    found = [r for r in replicas if "training queue:" in r.log()]
    assert len(found) == 1, "exactly one replica started the tab's run: " + ", ".join(r.url for r in found)
    return found[0]


def test_a_tab_rerouted_to_another_replica_finds_its_run_on_ray(deployment, browser):
    t0 = time.monotonic()
    proxy, replicas = deployment
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        page = open_page(ctx, proxy.url + "/train", START)
        assert any(c["name"] == "gc_route" for c in ctx.cookies()), "nginx gave the browser its sticky cookie"
        tab = re.search(r"tab=([0-9a-f]{32})", page.url).group(1)
        start_run(page, "Steps", 100_000)
        wait_for(lambda: step_count(page) >= 20, 180, what="the run to train on Ray")
        first = serving(replicas, tab)
        other = next(r for r in replicas if r is not first)
        assert "training queue:" not in other.log(), "sticky: the other replica never served this tab"
        page.screenshot(path=str(ARTIFACTS / "e2e-deploy-before.png"))

        first.proc.kill()  # the tab's replica dies (no clean stop)
        first.proc.wait(10)
        before = step_count(page)
        # The page reconnects through nginx to the other replica, whose new store of the tab finds the run.
        wait_for(lambda: "found its run" in other.log(), 180, what="the other replica to find the tab's run")
        wait_for(lambda: _steps(page) > before + 20, 180, what="the page to show the found run training on")
        assert page.locator("text=/when the server restarted/").count() == 0, "not reported lost"
        no_exception(page)
        page.screenshot(path=str(ARTIFACTS / "e2e-deploy-rerouted.png"))
        assert time.monotonic() - t0 < DEADLINE

        os.kill(_worker_pid(proxy, tab), signal.SIGKILL)  # its worker dies too
        note = page.wait_for_selector("text=/Interrupted at step [0-9,]+/", timeout=120_000)
        step = int(re.search(r"Interrupted at step ([0-9,]+)", note.inner_text()).group(1).replace(",", ""))
        assert step > before, "where it was on the other replica, not where the first one left it"
        no_exception(page)
        page.screenshot(path=str(ARTIFACTS / "e2e-deploy-interrupted.png"), full_page=True)
    finally:
        ctx.close()


def _steps(page) -> int:
    try:
        return step_count(page)
    except Exception:  # noqa: BLE001 - the page is reconnecting: no metric for a moment
        return -1


def _worker_pid(proxy: Nginx, tab: str) -> int:
    """The process of the tab's Ray worker, asked of Ray from this test process (named after the tab)."""
    import ray

    from gan_core.ray_cluster import connect
    from gan_core.ray_names import actor_name, namespace

    connect(proxy.ray_address)
    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["namespace"] == namespace()]
    mine = [n for n in names if n.startswith(actor_name(tab))]
    assert len(mine) == 1, names
    actor = ray.get_actor(mine[0], namespace=namespace())
    return ray.get(actor.poll.remote(0, -1, 0), timeout=30)["pid"]
