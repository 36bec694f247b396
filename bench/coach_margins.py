"""The margins behind the coach's behaviour tests: over many seeds, how often each preset's short
real run raises each alert, read the way tests/test_coach.py reads it (the coach over the records
so far, every 5 steps).

    python bench/coach_margins.py [--preset swings] [--steps 150] [--seeds 10] [--set lr_g=0.1 ...]

Prints one line per seed (first and last step each alert was raised, how many checks raised it) and
the share of seeds that oscillated within 100 steps and that D won after step 100. The tests assert
shares well inside what this prints, so that they pass on every torch build we tried and still fail
when a preset stops showing what its lesson promises. Not a test, no timing.
"""

from __future__ import annotations

import argparse
import ast

import common  # noqa: F401  (puts the repository on sys.path)
import torch

from gan_core import LOSS_INFO, Trainer, load_dataset, preset_config
from gan_core.coach import alerts_along


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="swings")
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--set", nargs="*", default=[], help="config overrides, key=python-literal")
    args = ap.parse_args()
    torch.set_num_threads(1)
    overrides = {k: ast.literal_eval(v) for k, v in (s.split("=", 1) for s in args.set)}
    data = load_dataset("mnist")
    osc = won = 0
    for seed in range(args.seeds):
        cfg = preset_config(
            args.preset, max_steps=args.steps, max_seconds=0, snapshot_every=args.steps, seed=seed, **overrides
        )
        found = alerts_along(Trainer(cfg, data, device="cpu").run().history, LOSS_INFO[cfg.loss].probabilistic)
        osc += any(s <= 100 for s in found.get("oscillating", []))
        won += any(s >= 100 for s in found.get("d_winning", []))
        print(f"seed {seed}: " + ", ".join(f"{k} {v[0]}-{v[-1]} ({len(v)}x)" for k, v in found.items()), flush=True)
    print(f"torch {torch.__version__} · {args.preset} {overrides or ''} · {args.steps} steps · {data.describe()}")
    print(f"oscillating within 100 steps: {osc}/{args.seeds} seeds; D winning after step 100: {won}/{args.seeds}")


if __name__ == "__main__":
    main()
