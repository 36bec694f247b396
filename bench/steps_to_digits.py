"""Steps to digits: how many training steps a preset needs before its digits pass the quality bar, and how many
steps a second of training buys on this machine, idle or busy.

Time to digits (bench/time_to_digits.py) depends on the machine and on what else runs on it; steps to digits
does not. The Train page words the default preset's promise in steps, and tells a student how many steps
their budget buys at the pace their own run measures. This benchmark gives both halves: the trainer is paused
every `--every` steps, its sampling generator is judged by the same bar as time_to_digits (its clock stops
while it is judged), and the training pace is printed with the machine's load average beside it.

    python bench/steps_to_digits.py [--preset cdcgan] [--steps 1500] [--every 100] [--n 1000] [--threads 1]
                                    [--nice 10] [--data-dir DIR] [--record]

`--threads 1 --nice 10` is what the app's training thread gets on a 2-core server. Prints figures; never
fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from common import environment, pause_when, record
from time_to_digits import BAR_TEXT, Checkpoint, Evaluator

from gan_core import DEFAULT_PRESET, Trainer, load_dataset, preset_config, resolve_device
from gan_core.scheduler import lower_priority


def load() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"
    except OSError:
        return "load average unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--every", type=int, default=100, help="steps between checkpoints")
    ap.add_argument("--n", type=int, default=1000, help="samples per evaluation")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--nice", type=int, default=10, help="niceness added to the training thread, as in the app")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data = load_dataset("mnist", data_dir=args.data_dir)
    evaluate = Evaluator(data, args.n)
    cfg = preset_config(args.preset, max_steps=args.steps, max_seconds=0, seed=args.seed)
    Trainer(cfg.replace(max_steps=5), data, device).run()  # first-use costs out of the clock
    env = environment(device)
    print(
        f"data: {data.describe()}\npreset `{args.preset}`, {env['device']}, {env['threads']} threads, "
        f"nice +{args.nice}; bar: {BAR_TEXT}\n{load()} at the start"
    )
    t = Trainer(cfg, data, device)
    marks = list(range(args.every, args.steps, args.every))
    due = pause_when(t, lambda trainer: bool(marks) and trainer.step >= marks[0])
    t.start()
    lower_priority(getattr(t, "_thread", None), args.nice)
    rows: list[tuple[int, float, Checkpoint]] = []
    last = (0, 0.0)

    def judge() -> None:
        nonlocal last
        step, elapsed = t.step, t.elapsed
        r = evaluate(t.export_generator(), elapsed, elapsed)
        pace = (step - last[0]) / max(1e-9, elapsed - last[1])
        last = (step, elapsed)
        rows.append((step, elapsed, r))
        print(
            f"step {step:>5}  {elapsed:6.1f} s  {pace:5.1f} steps/s  {r.brief()}  "
            f"{'PASS' if r.passed else '-'}  ({load()})",
            flush=True,
        )

    while not t.done:
        due.wait()
        due.clear()
        while t.status != "paused" and not t.done:
            time.sleep(0.002)
        if t.done:
            break
        judge()
        while marks and marks[0] <= t.step:
            marks.pop(0)
        t.resume()
    t.join()
    judge()
    first = next(((s, e) for s, e, r in rows if r.passed), None)
    before = [s for s, _, r in rows if first and s < first[0]]
    steps_per_s = t.step / t.elapsed if t.elapsed else 0.0
    lines = [
        f"preset `{args.preset}`, {args.steps} steps, judged every {args.every} steps on n = {args.n:,} samples "
        f"(bar: {BAR_TEXT}); {env['threads']} thread(s), training thread at nice +{args.nice}; "
        f"data: {data.describe()}",
        (
            f"quality bar first passed at step {first[0]:,} (not at step {before[-1]:,})"
            if first and before
            else f"quality bar first passed at step {first[0]:,}"
            if first
            else f"quality bar not reached in {args.steps:,} steps"
        ),
        f"pace: {steps_per_s:.1f} steps/s over the run ({t.step:,} steps in {t.elapsed:.0f} s of training); "
        f"{load()} at the end",
        "per checkpoint: " + "; ".join(f"{s:,} steps {r.brief()}" for s, _, r in rows),
    ]
    print("\n".join(lines))
    if args.record:
        record("Steps to digits (bench/steps_to_digits.py)", env, [f"- {line}" for line in lines])


if __name__ == "__main__":
    main()
