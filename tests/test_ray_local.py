"""A local Ray started by the app (no GAN_CLASSROOM_RAY_ADDRESS) outlives the thread that started it.

Streamlit runs every page script in a thread that ends with the script run, and the first page that asks
for the Ray backend is where `gan_core.ray_cluster.connect()` starts the local Ray. Ray's own processes
die with the *thread* that started them (PR_SET_PDEATHSIG), so without a thread kept for them the class's
server lost its Ray, and then itself, seconds after the first page. Run in a subprocess: Ray's driver aborts
the whole process when its GCS is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("ray")

from ray_cluster_support import ENV  # noqa: E402

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent(
    """
    import threading, time
    import ray
    from gan_core import ray_cluster

    page = threading.Thread(target=ray_cluster.connect, kwargs={"num_cpus": 1})  # a page's script thread
    page.start()
    page.join()
    time.sleep(3)  # long enough for Ray's processes to have received their parent's death signal

    @ray.remote(num_cpus=1)
    def answer():
        return 42

    print("ANSWER", ray.get(answer.remote(), timeout=60), flush=True)
    ray_cluster.shutdown()
    """
)


def test_a_local_ray_started_from_a_short_lived_thread_keeps_working():
    env = {k: v for k, v in ENV.items() if k != "GAN_CLASSROOM_RAY_ADDRESS"}
    env["PYTHONPATH"] = ROOT
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=ROOT, timeout=240
    )
    assert "ANSWER 42" in done.stdout, f"rc {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, done.stderr[-3000:]
