"""One run alone, in-process (a Trainer thread) against the Ray backend (a RayRun in a worker process).

Each round trains the same config for --seconds of training time on each backend, alternating which
goes first, so the ratio holds on a noisy machine. Reported per backend (median over rounds):

* images/s over the run's own training time (what the worker achieves once it trains);
* wall-clock seconds from start() until join() returns with everything local: for Ray this adds the
  worker's start (a new process imports torch and loads the digits), the final weight fetch and the
  actor's end;
* and once, the time `gan_core.ray_runs.connect()` (ray.init of a local Ray) takes.

Both train with one intra-op thread (the app's default on 2 cores; the Ray worker asks Ray for 1 CPU).
The load average before and after is printed beside the figures: record only from a quiet machine.

    python bench/backend_speed.py [--seconds 10] [--rounds 3] [--preset cdcgan] [--record]
"""

from __future__ import annotations

import os
import statistics
import time

import torch
from common import report, run_args

from gan_core import load_dataset, preset_config
from gan_core.runs import make_run


def one(backend: str, cfg, data) -> tuple[float, float, int]:
    """(images/s over training time, wall-clock start -> joined, steps) of one run on `backend`."""
    run = make_run(cfg, data, device="cpu", backend=backend, threads=1)
    t0 = time.perf_counter()
    run.start()
    if not run.join(cfg.max_seconds * 4 + 120):
        run.stop()
        raise RuntimeError(f"the {backend} run did not end")
    wall = time.perf_counter() - t0
    if run.status != "finished":
        raise RuntimeError(f"the {backend} run ended {run.status}: {run.message}")
    return run.step * cfg.batch_size * cfg.d_steps / max(run.elapsed, 1e-9), wall, run.step


def main() -> None:
    args = run_args(__doc__).parse_args()

    torch.set_num_threads(1)
    from gan_core import ray_runs

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    ray_runs.connect(num_cpus=os.cpu_count())
    init_s = time.perf_counter() - t0
    print(f"ray.init (local Ray, {os.cpu_count()} CPUs): {init_s:.1f} s")
    data = load_dataset("mnist")
    cfg = preset_config(args.preset, max_seconds=args.seconds, max_steps=0)
    res = {"inprocess": [], "ray": []}
    try:
        for r in range(args.rounds):
            order = ("inprocess", "ray") if r % 2 == 0 else ("ray", "inprocess")
            for backend in order:
                res[backend].append(one(backend, cfg, data))
            print(
                f"round {r + 1}: "
                + "   ".join(
                    f"{b} {res[b][-1][0]:7.0f} img/s, {res[b][-1][1]:5.1f} s wall" for b in ("inprocess", "ray")
                )
            )
    finally:
        ray_runs.shutdown()
    load_after = os.getloadavg()

    med = {b: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for b, v in res.items()}
    ratio = med["ray"][0] / med["inprocess"][0]
    command = f"python bench/backend_speed.py --seconds {args.seconds:g} --rounds {args.rounds} --preset {args.preset}"
    lines = [
        f"- `{command}`"
        f" (one run alone, 1 thread; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after, "
        f"on {os.cpu_count()} cores shared with other jobs)",
        "",
        f"| backend | images/s (training time) | wall-clock start → joined for a {args.seconds:g} s budget |",
        "|---|---|---|",
        f"| in-process thread | {med['inprocess'][0]:,.0f} | {med['inprocess'][1]:.1f} s |",
        f"| Ray worker | {med['ray'][0]:,.0f} ({ratio:.2f}x) | {med['ray'][1]:.1f} s |",
        "",
        f"- `ray.init` of a local Ray: {init_s:.1f} s, once per server process.",
    ]
    report("Training backends: in-process vs Ray (bench/backend_speed.py)", lines, args.record)


if __name__ == "__main__":
    main()
