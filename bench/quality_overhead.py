"""Cost of the live sample-quality panel: training throughput with and without a QualityMonitor.

The monitor (gan_core.monitor.QualityMonitor) measures `quick_quality` of n digits every `every` steps
on its own thread, from the CPU copy of G's weights that each snapshot makes anyway. This prints:

* the training thread's cost: time spent handing snapshots to the monitor (per hand-over);
* the worker's cost: seconds per measurement (load weights, draw n digits, classify, Fréchet distance),
  and its total as a share of the training time;
* images/s of the headless Trainer with the monitor against the same run without it (same config, data,
  device, threads and seed), alternating rounds, as a median ratio.

    python bench/quality_overhead.py [--seconds 30] [--rounds 3] [--every 200] [--n 256] [--preset dcgan]
                                     [--device cpu] [--data-dir DIR] [--record]

A smaller --every than the app's 200 makes the cost visible in a short run (the cost per measurement
does not depend on it); the share at the app's interval is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import environment, record

from gan_core import QualityMonitor, Trainer, get_reference, load_dataset, preset_config, resolve_device


class TimedMonitor(QualityMonitor):
    """A QualityMonitor that also times its hand-overs on the training thread."""

    handover_seconds = 0.0
    handovers = 0

    def _on_snapshot(self, trainer, snap) -> None:
        t0 = time.perf_counter()
        super()._on_snapshot(trainer, snap)
        self.handover_seconds += time.perf_counter() - t0
        self.handovers += 1


def one_run(cfg, data, device, reference, monitor_kw: dict | None):
    t = Trainer(cfg, data, device)
    mon = TimedMonitor(reference, **monitor_kw).attach(t) if monitor_kw else None
    t.run()
    if mon is not None:
        mon.join(60)
    ips = t.step * cfg.batch_size * cfg.d_steps / t.elapsed
    return ips, t, mon


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="training time per run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--every", type=int, default=200, help="steps between measurements (the app uses 200)")
    ap.add_argument("--n", type=int, default=256, help="digits per measurement (the app uses 256)")
    ap.add_argument("--snapshot-every", type=int, default=10, help="steps between snapshots (the app uses 10)")
    ap.add_argument("--preset", default="dcgan")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = ap.parse_args()
    device = resolve_device(args.device)
    data = load_dataset("mnist", data_dir=args.data_dir)
    reference = get_reference(data)  # computed once per process, as in the app
    cfg = preset_config(args.preset, max_seconds=args.seconds, max_steps=0, snapshot_every=args.snapshot_every)
    kw = dict(every=args.every, n=args.n)
    one_run(cfg.replace(max_seconds=1.0), data, device, reference, kw)  # warm-up (first-call costs)
    plain, watched, per_measure, shares, handover = [], [], [], [], []
    for r in range(args.rounds):
        ips0, _, _ = one_run(cfg, data, device, reference, None)
        ips1, t, mon = one_run(cfg, data, device, reference, kw)
        plain.append(ips0)
        watched.append(ips1)
        count = len(mon.records())
        per_measure.append(mon.busy_seconds / max(count, 1))
        shares.append(mon.busy_seconds / t.elapsed)
        handover.append(mon.handover_seconds / max(mon.handovers, 1))
        print(
            f"round {r + 1}: without {ips0:8.0f} img/s   with {ips1:8.0f} img/s   ratio {ips1 / ips0:.3f}   "
            f"{count} measurements in {t.step} steps, {per_measure[-1] * 1e3:.0f} ms each, worker busy "
            f"{shares[-1]:.2%} of training time, hand-over {handover[-1] * 1e6:.0f} us",
            flush=True,
        )
    ratio = statistics.median(w / p for w, p in zip(watched, plain))
    cost = statistics.median(per_measure)
    step_s = cfg.batch_size * cfg.d_steps / statistics.median(plain)
    at_app = cost / (200 * step_s)
    summary = (
        f"preset `{args.preset}`, n={args.n}, every {args.every} steps: a measurement costs "
        f"{cost * 1e3:.0f} ms on the worker thread and {statistics.median(handover) * 1e6:.0f} us on the "
        f"training thread; throughput with the monitor / without: median **{ratio:.3f}** "
        f"({args.rounds} alternating rounds of {args.seconds:g} s); at the app's 200-step interval the "
        f"worker's time is {at_app:.2%} of training time ({step_s * 1e3:.1f} ms/step)"
    )
    print(summary)
    if args.record:
        record("Live quality overhead (bench/quality_overhead.py)", environment(device), [f"- {summary}"])


if __name__ == "__main__":
    main()
