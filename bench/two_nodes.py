"""Two machines' worth of workers: a real two-node Ray cluster on loopback trains twice the runs at once that one
node does, and each run as fast (issue #20).

The cluster is the one the two-node e2e test builds (tests/ray_cluster_support.py): `ray start --head --num-cpus 1`
and a second `ray start --address ... --num-cpus 1`, each its own raylet; every run asks Ray for 1 CPU and trains
with 1 thread, so one node holds one run at a time. Each round, on the same cluster:

* **alone**: one run for --seconds of training time;
* **two nodes**: two runs started together; Ray puts one on each node;
* then, after the last round, the second node is stopped (SIGKILL to its processes) and **one node** trains a pair:
  the second run waits in Ray's queue until the first ends.

Reported: each run's images/s over its own training time (per-run speed: a pair's runs against a run alone), and
the wall-clock from starting a pair until both have ended (runs at once: about one run's wall-clock with two
nodes, about two with one). Loopback only; prints figures with the load average, never fails on a timing.

    python bench/two_nodes.py [--seconds 10] [--rounds 3] [--preset cdcgan] [--record]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import torch
from common import report, run_args

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ray_cluster_support import start_head, start_worker  # noqa: E402

from gan_core import load_dataset, preset_config  # noqa: E402
from gan_core.runs import make_run  # noqa: E402


def train_together(cfg, data, n: int) -> tuple[list[float], float]:
    """Start n runs at once on the Ray backend; ([images/s of each over its training time], wall-clock s)."""
    runs = [make_run(cfg.replace(seed=cfg.seed + i), data, device="cpu", backend="ray", threads=1) for i in range(n)]
    t0 = time.perf_counter()
    for run in runs:
        run.start()
    for run in runs:
        if not run.join(cfg.max_seconds * 6 + 300):
            run.stop()
            raise RuntimeError("a run did not end")
    wall = time.perf_counter() - t0
    for run in runs:
        if run.status != "finished":
            raise RuntimeError(f"a run ended {run.status}: {run.message}")
    return [r.step * cfg.batch_size * cfg.d_steps / max(r.elapsed, 1e-9) for r in runs], wall


def main() -> None:
    args = run_args(__doc__).parse_args()
    torch.set_num_threads(1)
    from gan_core import ray_runs

    load_before = os.getloadavg()[0]
    address, head, tmp = start_head(num_cpus=1)
    worker = start_worker(address, tmp, num_cpus=1)
    data = load_dataset("mnist")
    cfg = preset_config(args.preset, max_seconds=args.seconds, max_steps=0)
    alone, pair, pair_wall, alone_wall = [], [], [], []
    try:
        ray_runs.connect(address=address)
        train_together(cfg.replace(max_seconds=1.0), data, 2)  # both nodes' first workers, unmeasured
        for r in range(args.rounds):
            speeds, wall = train_together(cfg, data, 1)
            alone += speeds
            alone_wall.append(wall)
            speeds, wall = train_together(cfg, data, 2)
            pair += speeds
            pair_wall.append(wall)
            print(
                f"round {r + 1}: alone {alone[-1]:6.0f} img/s ({alone_wall[-1]:.1f} s wall)   two nodes "
                f"{speeds[0]:6.0f} + {speeds[1]:6.0f} img/s ({wall:.1f} s wall)   load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        worker.kill()
        time.sleep(5)  # Ray notices the node is gone
        one_node, one_node_wall = train_together(cfg, data, 2)
        print(f"one node: {one_node[0]:6.0f} + {one_node[1]:6.0f} img/s ({one_node_wall:.1f} s wall)", flush=True)
    finally:
        ray_runs.shutdown()
        worker.kill()
        head.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()[0]
    a, p = statistics.median(alone), statistics.median(pair)
    command = f"python bench/two_nodes.py --seconds {args.seconds:g} --rounds {args.rounds} --preset {args.preset}"
    lines = [
        f"- `{command}` (load average {load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores)",
        "",
        "| | runs at once | images/s per run (median) | wall-clock, start → all ended |",
        "|---|---|---|---|",
        f"| one run alone | 1 | {a:,.0f} | {statistics.median(alone_wall):.1f} s |",
        f"| a pair, two nodes | 2 | {p:,.0f} ({p / a:.2f}x alone) | {statistics.median(pair_wall):.1f} s |",
        f"| a pair, one node (the second stopped) | 1 (the other queued) | "
        f"{statistics.median(one_node):,.0f} | {one_node_wall:.1f} s |",
    ]
    report("Two nodes (bench/two_nodes.py)", lines, args.record)


if __name__ == "__main__":
    main()
