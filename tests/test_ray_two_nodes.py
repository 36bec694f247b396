"""Two Ray nodes on one machine, on loopback: `ray start --head --num-cpus 1` and a second
`ray start --address=... --num-cpus 1 --resources {"lab_b": 1}` as its own node (own raylet, own
process group). Two one-CPU runs train at once, one on each node (one node alone fits one); then the
second node is killed mid-run (SIGKILL to its process group, as a machine pulled from the lab) and its
run ends "Interrupted at step N" with its last snapshot's G, while the other run goes on to a normal end.
"""

from __future__ import annotations

import os
import shutil

import pytest
import torch

pytest.importorskip("ray")

from ray_cluster_support import start_head, start_worker  # noqa: E402
from thread_support import tiny_mlp, wait_for  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_nodes():
    address, head, tmp = start_head(num_cpus=1)
    worker = None
    os.environ["GAN_CLASSROOM_RAY_ADDRESS"] = address
    os.environ["RAY_AUTH_MODE"] = "disabled"
    from gan_core import ray_runs

    try:
        worker = start_worker(address, tmp, num_cpus=1, resources='{"lab_b": 1}')
        yield worker
    finally:
        ray_runs.shutdown()
        os.environ.pop("GAN_CLASSROOM_RAY_ADDRESS", None)
        if worker is not None:
            worker.kill()
        head.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_warm_run_whose_node_is_full_trains_on_the_node_with_room(two_nodes):
    """A warm worker holds no CPU, so it may sit on a node that is full when its run starts: Ray grants the
    lease on the node with room, and the run starts there on a new worker (before the node is lost below)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from gan_core.ray_cluster import connect
    from gan_core.ray_runs import RayRun

    connect()
    wait_for(lambda: ray.cluster_resources().get("CPU", 0) >= 2, 60, "both nodes' CPUs in the cluster")
    run = RayRun(tiny_mlp(max_seconds=120.0), "mnist", "cpu", 1)
    assert run.warm()
    try:
        wait_for(lambda: run.warmed, 120, "the warm worker")
        warm_pid, warm_node = run.worker_pid, run.worker_node
        hold = ray.remote(num_cpus=1)(lambda seconds: __import__("time").sleep(seconds))  # holds a CPU
        held = hold.options(scheduling_strategy=NodeAffinitySchedulingStrategy(warm_node, soft=False)).remote(90.0)
        wait_for(lambda: ray.available_resources().get("CPU", 0) <= 1, 60, "the warm worker's node full")
        run.start()
        wait_for(lambda: run.step > 20, 180, "the run to train on the other node")
        assert run.worker_node != warm_node and run.worker_pid != warm_pid, (run.worker_node, warm_node)
        ray.cancel(held, force=True)
    finally:
        run.stop()
        run.join(60)
    assert run.status == "stopped", run.message


def test_two_nodes_train_two_runs_at_once_and_a_lost_node_interrupts_only_its_run(two_nodes, tmp_path):
    import ray

    from gan_core.ray_cluster import connect
    from gan_core.ray_runs import RayRun

    connect()
    wait_for(lambda: ray.cluster_resources().get("CPU", 0) >= 2, 60, "both nodes' CPUs in the cluster")
    assert ray.cluster_resources().get("lab_b") == 1
    runs = [
        RayRun(
            tiny_mlp(max_seconds=120.0, snapshot_every=20), "mnist", "cpu", 1, token=f"two-{i}", save_dir=str(tmp_path)
        )
        for i in range(2)
    ]
    for run in runs:
        run.start()
    try:
        wait_for(lambda: all(r.status == "running" and r.step >= 40 for r in runs), 120, "both runs training")
        under_b = two_nodes.descendants()
        on_b = [r for r in runs if r.worker_pid in under_b]
        on_head = [r for r in runs if r not in on_b]
        assert len(on_b) == 1 and len(on_head) == 1, "one run on each node: one node has room for one"
        lost, kept = on_b[0], on_head[0]
        wait_for(lambda: any(s.g_state is not None for s in lost.snapshot_list()), 30, "a snapshot's G pulled")
        two_nodes.kill()
        assert lost.join(60), "the lost node's run was not reported"
        assert lost.status == "interrupted", lost.message
        assert lost.message.startswith(f"Interrupted at step {lost.step}:"), lost.message
        G = lost.export_generator()
        with torch.no_grad():
            assert torch.isfinite(G(torch.randn(2, lost.cfg.latent_dim))).all()
        step = kept.step
        wait_for(lambda: kept.step > step + 20, 60, "the other node's run to keep training")
        assert kept.status == "running"
    finally:
        for run in runs:
            run.stop()
        for run in runs:
            run.join(60)
    assert kept.status == "stopped", kept.message
    assert kept.export_generator() is not None and kept.export_discriminator() is not None
