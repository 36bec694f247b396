"""Ray backend events, timed (issue #20's targets): Ray's start, a queued run's start once a slot frees, and a
killed worker reported to its run.

Everything goes through the app's own pieces on a local Ray started here (`gan_core.ray_runs.connect`, the
machine's cores): runs made by `gan_core.runs.make_run(..., backend="ray")` and queued by the app's
`gan_core.Scheduler` with room for one run at a time (the cap of a 2-core server).

1. **Ray start**: `connect()` (ray.init of a local Ray), once.
2. **Queued run**: run A trains `--first-seconds` while run B waits in the scheduler's queue. Timed from the
   moment A's slot frees (A's "on_end" callback, where the scheduler starts the next run) to B's first step
   record arriving in this process, i.e. B training (the first record comes with its 10th step: records are
   flushed every 10 steps), and to B's step-0 grid arriving here (taken as B's Trainer starts). Without a warm
   start, B's start includes its worker's start (a new process that imports torch and loads the digits); with
   one (the scheduler warms the first in line, `RayRun.warm`), that happened while A trained, as long as A
   trains longer than a worker takes to start (a student's run trains 20-120 s). Each round says whether B's
   worker was warm when the slot freed.
3. **Killed worker**: a run trains; its worker process gets SIGKILL (`kill -9`, as the OOM killer does). Timed
   from the kill to the run's status reading "interrupted" here (what its tab shows at its next refresh).

Medians over --rounds; the load average before and after is printed beside them. Not a test: it never fails on
a timing.

    python bench/ray_events.py [--rounds 3] [--preset cdcgan] [--first-seconds 15] [--events queued,killed]

The same file runs against an older checkout (it only uses what both have), for A/B runs that alternate the
two: `cp bench/ray_events.py OLD/bench/ && python OLD/bench/ray_events.py --rounds 1 ...`.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import threading
import time

import torch
from common import ROOT  # noqa: F401 - puts the repository on sys.path, as for every benchmark

from gan_core import DEFAULT_PRESET, load_dataset, preset_config
from gan_core.runs import make_run
from gan_core.scheduler import Limits, Scheduler


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.01)


def rss_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory and its proportional share (shared pages split among their users), in MB."""
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        kb = {line.split(":")[0]: int(line.split()[1]) for line in fh if line.startswith(("Rss:", "Pss:"))}
    return kb["Rss"] / 1024, kb["Pss"] / 1024


def queued_start(cfg, data, first_seconds: float) -> tuple[float, bool, float]:
    """Seconds from run A's slot freeing to run B's first record here; whether B's worker was warm then; seconds
    to B's step-0 grid here (taken as its Trainer starts, before its first step: what the tab shows first)."""
    sched = Scheduler(Limits(max_concurrent=1))
    a = make_run(cfg.replace(max_seconds=first_seconds), data, device="cpu", backend="ray", threads=1)
    b = make_run(cfg.replace(max_seconds=2.0), data, device="cpu", backend="ray", threads=1)
    freed = {}

    def slot_freed(run):
        freed.setdefault("warm", bool(getattr(b, "warmed", False)))  # before the scheduler's callback starts B
        freed.setdefault("t", time.monotonic())
        if freed["warm"]:
            freed.setdefault("rss", rss_mb(b.worker_pid))

    a.add_callback("on_end", slot_freed)
    first = {}
    b.add_callback("on_record", lambda run, recs: first.setdefault("t", time.monotonic()))
    b.add_callback("on_snapshot", lambda run, snap: first.setdefault("grid", time.monotonic()))
    sched.submit("student-a", a)
    sched.submit("student-b", b)
    wait_until(lambda: "t" in first, 600, "run B's first record")
    wait_until(lambda: b.done, 300, "run B's end")
    if "rss" in freed:
        rss, pss = freed["rss"]
        print(f"  (run B's warm worker held {rss:.0f} MB resident, {pss:.0f} MB its own share, while it waited)")
    return first["t"] - freed["t"], freed["warm"], first["grid"] - freed["t"]


def killed_worker(cfg, data) -> float:
    """Seconds from SIGKILL of a run's worker to its status reading "interrupted" here."""
    run = make_run(cfg.replace(max_seconds=120.0), data, device="cpu", backend="ray", threads=1)
    run.start()
    wait_until(lambda: run.worker_pid is not None and run.step > 0, 600, "the worker training")
    t0 = time.monotonic()
    os.kill(run.worker_pid, signal.SIGKILL)
    wait_until(lambda: run.status == "interrupted", 120, "the run reported interrupted")
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument("--first-seconds", type=float, default=15.0, help="run A's budget while B waits in line")
    ap.add_argument("--events", default="queued,killed", help="which events to time (comma-separated)")
    args = ap.parse_args()
    events = set(args.events.split(","))
    torch.set_num_threads(1)
    from gan_core import ray_runs

    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    ray_runs.connect(num_cpus=os.cpu_count())
    init_s = time.perf_counter() - t0
    cfg = preset_config(args.preset)
    data = load_dataset(cfg.dataset)
    queued, warm, grids, killed = [], [], [], []
    try:
        for i in range(args.rounds):
            said = []
            if "queued" in events:
                q, w, g = queued_start(cfg, data, args.first_seconds)
                queued.append(q)
                warm.append(w)
                grids.append(g)
                said.append(
                    f"queued run trains {q:.2f} s after the slot frees (its step-0 grid here after {g:.2f} s; "
                    f"{'warm' if w else 'cold'} worker)"
                )
            if "killed" in events:
                killed.append(killed_worker(cfg, data))
                said.append(f"killed worker reported after {killed[-1]:.2f} s")
            print(f"round {i + 1}: {'; '.join(said)} (load {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        ray_runs.shutdown()
    print(
        f"- `python bench/ray_events.py --rounds {args.rounds} --preset {args.preset} --first-seconds "
        f"{args.first_seconds:g} --events {args.events}` ({threading.active_count()} "
        f"threads at the end; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"{os.cpu_count()} cores)"
    )
    print(f"  - Ray start (local `ray.init`): **{init_s:.1f} s**")
    if queued:
        print(
            f"  - queued run: slot freed -> its first step here, median **{statistics.median(queued):.2f} s** "
            f"({', '.join(f'{q:.2f}' for q in queued)}; warm worker in {sum(warm)} of {len(warm)})"
        )
        print(
            f"  - queued run: slot freed -> its step-0 grid here (its Trainer started), median "
            f"**{statistics.median(grids):.2f} s** ({', '.join(f'{g:.2f}' for g in grids)})"
        )
    if killed:
        print(
            f"  - killed worker (SIGKILL) -> run reads interrupted, median **{statistics.median(killed):.2f} s** "
            f"({', '.join(f'{k:.2f}' for k in killed)})"
        )


if __name__ == "__main__":
    main()
