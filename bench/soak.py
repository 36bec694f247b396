"""Soak: many start/stop cycles through the app's own tab stores and the server queue; threads and memory
must stay flat.

Each cycle is what a student does: a tab opens (a SessionStore), starts a run through the server's
queue (with the live quality monitor, as the Train page does), lets it train a few steps, then
either presses Stop, closes the tab, or lets a tiny budget finish. The process's thread count and
resident memory (after gc) are sampled every `every` cycles.

    OMP_NUM_THREADS=1 python bench/soak.py --cycles 200    # --record: figures to BENCHMARKS.md ("Classroom load")

In-process on purpose: it measures the training side (trainers, monitors, stores, queue) without a
browser, so a leak shows as a slope, not as noise from 30 Chromium tabs.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from pathlib import Path

from gan_ui.run_handle import attach_quality
from gan_ui.server import reset_scheduler
from gan_ui.store import SessionStore

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process from /proc (Linux), in MB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def soak(
    cycles: int = 200,
    data=None,
    stop_after_steps: int = 5,
    every: int = 20,
    preset: str = "dcgan",
    quality: bool = True,
    log=None,
) -> dict:
    """Run `cycles` open-start-stop cycles; return thread/RSS samples and any errors."""
    from gan_core import Limits, Trainer, load_dataset, preset_config
    from gan_ui import state

    data = data or load_dataset("mnist")
    # One slot, at normal priority: on a machine shared with other jobs a niced training thread is
    # starved by them, which only makes the soak slow; niceness has nothing to do with leaks.
    reset_scheduler(Limits(max_concurrent=1, nice=0))
    errors, statuses, samples = [], [], []

    def sample(i):
        gc.collect()
        samples.append((i, threading.active_count(), rss_mb()))
        if log:
            log(f"cycle {i:4d}: {samples[-1][1]} threads, {samples[-1][2]:.0f} MB")

    def wait(pred, timeout=60.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end and not pred():
            time.sleep(0.005)
        return pred()

    t0 = time.monotonic()
    for i in range(cycles + 1):
        if i == 1 or (i > 1 and (i - 1) % every == 0) or i == cycles:
            sample(i)  # cycle 0 warms up (dataset, classifier, thread pools)
        if i == cycles:
            break
        store = SessionStore()
        try:
            way = i % 3  # 0: Stop button, 1: tab closed, 2: tiny budget runs out
            cfg = preset_config(
                preset,
                max_steps=stop_after_steps * (1 if way == 2 else 1000),
                max_seconds=60.0,
                snapshot_every=2,
                seed=i,
            )
            trainer = Trainer(cfg, data, device="cpu")
            handle = store.add_run(trainer)
            if quality:
                handle.quality, handle.quality_note = attach_quality(trainer, data)
            store.submit(handle)
            if not wait(lambda trainer=trainer: trainer.step >= stop_after_steps or trainer.done):
                errors.append(f"cycle {i}: no progress (status {handle.status})")
            if way == 0:
                store.stop_run(handle)
            elif way == 1:
                state.release_store(store)  # grace 0 in the soak: close at once
            if not trainer.join(60) or not wait(lambda handle=handle: not handle.active, 30):
                errors.append(f"cycle {i}: run did not end (status {handle.status})")
            if handle.quality is not None and not handle.quality.flush(30):
                errors.append(f"cycle {i}: quality monitor did not finish")
            statuses.append(trainer.status)
            if trainer.status == "failed":
                errors.append(f"cycle {i}: {trainer.message}")
        except Exception as exc:  # the soak reports every failure, it does not stop at one
            errors.append(f"cycle {i}: {type(exc).__name__}: {exc}")
        finally:
            store.close()
    (_, th0, rss0), (_, th1, rss1) = samples[0], samples[-1]
    return {
        "cycles": cycles,
        "seconds": time.monotonic() - t0,
        "errors": errors,
        "statuses": statuses,
        "samples": samples,
        "threads_start": th0,
        "threads_end": th1,
        "rss_start": rss0,
        "rss_end": rss1,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--steps", type=int, default=5, help="steps each run trains before it is stopped")
    ap.add_argument("--record", action="store_true", help="append the figures to BENCHMARKS.md")
    args = ap.parse_args()
    os.environ.setdefault("GAN_CLASSROOM_DISCONNECT_GRACE", "0")
    os.environ.setdefault("GAN_CLASSROOM_TAB_KEEP", "0")
    os.environ.setdefault("GAN_CLASSROOM_OFFLINE", "1")
    import torch

    from bench.common import environment, record

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    r = soak(args.cycles, stop_after_steps=args.steps, log=print)
    from collections import Counter

    settled = r["samples"][1] if len(r["samples"]) > 2 else r["samples"][0]
    trend = ", ".join(f"{i}: {th} thr / {mb:.0f} MB" for i, th, mb in r["samples"])
    lines = [
        f"- soak (`bench/soak.py`, in-process through the tab stores and the server queue, dcgan runs with the "
        f"live quality monitor; each cycle opens a tab, starts a run, trains {args.steps} steps, then Stop / "
        f"tab closed / budget spent in turn): **{r['cycles']} cycles in {r['seconds']:.0f} s, "
        f"{len(r['errors'])} errors**; ended {dict(Counter(r['statuses']))}",
        f"- threads {r['threads_start']} after warm-up -> {r['threads_end']} at the end; RSS "
        f"{r['rss_start']:.0f} MB after cycle 1 -> {r['rss_end']:.0f} MB at the end; over the last "
        f"{r['cycles'] - settled[0]} cycles (from cycle {settled[0]}, allocator pools grown) "
        f"{settled[2]:.0f} -> {r['rss_end']:.0f} MB ({r['rss_end'] - settled[2]:+.0f} MB), range "
        f"{min(mb for _, _, mb in r['samples'][1:]):.0f}-{max(mb for _, _, mb in r['samples'][1:]):.0f} MB",
        f"- samples (cycle: threads / RSS): {trend}",
    ]
    for e in r["errors"][:10]:
        lines.append(f"  - error: {e}")
    print("\n".join(lines))
    if args.record:
        record("Classroom load", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
