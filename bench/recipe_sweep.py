"""Recipe sweep: which settings of a preset reach the quality bar in the fewest seconds on this machine, measured
by two figures that a shared, noisy machine cannot spoil.

1. Steps to the bar (`--mode steps`): each variant trains in this process's main thread and is judged every
   `--every` steps (from `--start` on) by the bar of bench/time_to_digits.py; the run stops at the first
   checkpoint that passes (with `--full` it trains on to `--max-steps`, for the quality of a longer run).
   Quality per step does not depend on the machine or its load.
2. Seconds per step (`--mode speed`): the variants train in turn, `--rounds` alternating rounds of `--seconds`
   each, in one process; each round's steps/s is divided by the first variant's in the same round, and the
   median ratio is reported. The load hits every variant of a round alike, so the ratio holds where the
   absolute steps/s do not.

Steps to the bar x seconds per step (relative to the first variant) is the time to the bar, relative.

A variant is `name:field=value,field=value` over GANConfig fields (`default` alone = the preset as it is), plus
three knobs that are not config fields: `threads=N` (torch's intra-op threads for that variant's rounds),
`g_channels_last=0|1` (G and its EMA copy channels-last on the CPU, the Trainer's choice there; 0: plain layout) and
`graph=0|1` (the step replayed as one CUDA graph, gan_core/cuda_graph.py; default: the Trainer's choice).

    python bench/recipe_sweep.py --mode steps --variants default "lr2x:lr_g=4e-4,lr_d=4e-4" --seeds 0 1 2 \
        [--preset cdcgan] [--max-steps 900] [--every 50] [--start 150] [--n 1000] [--threads 1] [--data-dir DIR]
    python bench/recipe_sweep.py --mode speed --variants default "b128:batch_size=128" --seconds 4 --rounds 5
    python bench/recipe_sweep.py --device cuda --mode speed --variants "eager:graph=0" "graph:graph=1"

Prints figures with the load average beside them; never fails on a timing; records nothing by itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from common import environment
from time_to_digits import BAR_TEXT, Evaluator

from gan_core import DEFAULT_PRESET, Trainer, load_dataset, preset_config, resolve_device
from gan_core.config import GANConfig

EXTRA_KNOBS = ("threads", "g_channels_last", "graph")


def load() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"load {one:.1f}/{five:.1f}"
    except OSError:
        return "load ?"


def parse_variant(text: str) -> tuple[str, dict, dict]:
    """`name:field=value,...` -> (name, config changes, extra knobs)."""
    name, _, spec = text.partition(":")
    changes, extra = {}, {}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        key = key.strip()
        if key in EXTRA_KNOBS:
            extra[key] = int(value)
        else:
            changes[key] = GANConfig.parse_field(key, value)
    return name, changes, extra


def make_trainer(cfg: GANConfig, extra: dict, data, device) -> Trainer:
    t = Trainer(cfg, data, device, graph=bool(extra["graph"]) if "graph" in extra else None)
    if "g_channels_last" in extra and device.type == "cpu" and cfg.arch == "dcgan":
        # Module.to() swaps the parameters' storage in place, so the optimisers keep the same Parameter objects.
        for G in (t.G, t.G_ema):
            if G is not None:
                G.memory_layout(bool(extra["g_channels_last"]))
    return t


def steps_to_bar(cfg, extra, data, device, evaluate, args) -> tuple[int | None, list, float, float]:
    """Train until the bar passes (judged every args.every steps from args.start) or args.max_steps; returns
    (first passing step or None, [(step, checkpoint)], training seconds, seconds spent judging)."""
    t = make_trainer(cfg.replace(max_steps=args.max_steps, max_seconds=0), extra, data, device)
    rows, judging = [], [0.0]

    def on_record(trainer, _records):
        step = trainer.step
        if step < args.start or step % args.every:
            return
        t0 = time.perf_counter()
        r = evaluate(trainer.export_generator(), trainer.elapsed, trainer.elapsed)
        rows.append((step, r))
        print(f"    step {step:>5}  {r.brief()}  {'PASS' if r.passed else '-'}  ({load()})", flush=True)
        if r.passed and not args.full:
            trainer.stop("passed")
        judging[0] += time.perf_counter() - t0

    t.add_callback("on_record", on_record)
    t.run()
    first = next((s for s, r in rows if r.passed), None)
    return first, rows, t.elapsed - judging[0], judging[0]


def steps_per_s(cfg, extra, data, device, seconds: float) -> float:
    if "threads" in extra:
        torch.set_num_threads(extra["threads"])
    t = make_trainer(cfg.replace(max_steps=0, max_seconds=seconds, snapshot_every=10**5), extra, data, device)
    t.run()
    return t.step / t.elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=["steps", "speed"], default="steps")
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument("--variants", nargs="+", default=["default"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--max-steps", type=int, default=900)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--start", type=int, default=150)
    ap.add_argument("--n", type=int, default=1000, help="samples per judgement")
    ap.add_argument("--full", action="store_true", help="train to --max-steps instead of stopping at the bar")
    ap.add_argument("--seconds", type=float, default=4.0, help="speed mode: seconds per variant per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data = load_dataset("mnist", data_dir=args.data_dir)
    variants = [parse_variant(v) for v in args.variants]
    base = preset_config(args.preset)
    configs = [(name, base.replace(**changes).validate(), extra) for name, changes, extra in variants]
    env = environment(device)
    print(f"preset `{args.preset}`, {env['device']}, torch {env['torch']}, commit {env['commit']}, {load()}")
    print(f"data: {data.describe()}")
    Trainer(base.replace(max_steps=5, max_seconds=0), data, device).run()  # first-use costs out of the way

    if args.mode == "speed":
        rates: dict[str, list[float]] = {name: [] for name, _, _ in configs}
        for r in range(args.rounds):
            line = []
            for name, cfg, extra in configs:
                rates[name].append(steps_per_s(cfg, extra, data, device, args.seconds))
                torch.set_num_threads(args.threads)
                line.append(f"{name} {rates[name][-1]:.1f}")
            print(f"round {r + 1}: " + ", ".join(line) + f" steps/s ({load()})", flush=True)
        ref = configs[0][0]
        for name, cfg, _ in configs:
            ratios = [a / b for a, b in zip(rates[name], rates[ref])]
            print(
                f"{name:>14}: median {statistics.median(rates[name]):6.1f} steps/s, "
                f"{statistics.median(rates[name]) * cfg.batch_size:6.0f} img/s; vs {ref}: median "
                f"{statistics.median(ratios):.2f}x (rounds {', '.join(f'{x:.2f}' for x in ratios)})"
            )
        return

    evaluate = Evaluator(data, args.n)
    print(f"bar: {BAR_TEXT}; judged every {args.every} steps from {args.start}, at most {args.max_steps}")
    found: dict[str, list] = {name: [] for name, _, _ in configs}
    for seed in args.seeds:
        for name, cfg, extra in configs:
            print(f"  {name} seed {seed} ({load()})", flush=True)
            first, rows, train_s, _ = steps_to_bar(cfg.replace(seed=seed), extra, data, device, evaluate, args)
            found[name].append(first)
            pace = (rows[-1][0] / train_s) if rows and train_s > 0 else 0.0
            print(
                f"  => {name} seed {seed}: bar at step {first if first else f'> {args.max_steps}'} "
                f"({pace:.1f} steps/s while training, {load()})",
                flush=True,
            )
    print("summary (first passing checkpoint per seed; '-' = not within the step budget):")
    for name, steps in found.items():
        known = [s for s in steps if s]
        med = statistics.median(s or args.max_steps + args.every for s in steps)
        print(
            f"{name:>14}: seeds {args.seeds} -> {', '.join(str(s) if s else '-' for s in steps)}; median {med:g}"
            f"{'' if len(known) == len(steps) else ' (misses counted as max+every)'}"
        )


if __name__ == "__main__":
    main()
