"""The Playground's loss lesson, measured: minimax (saturating) against non-saturating when D is ahead.

The preset ring-d-ahead trains D alone first (ToyConfig.d_head_start), so D rejects G's points, D(G(z)) near 0,
as at the start of real training. From that same start (same seed: the head start does not depend on G's
loss), each loss plays the next --iterations iterations. Per seed and loss it prints D's mean verdict on G's
shown points at the start, the mean push on them |-dL_G/dx| at the start (the arrows' length), and how far G's
shown points moved on average over the iterations (mean distance from where they started).

    OMP_NUM_THREADS=1 python bench/toy2d_loss_lesson.py [--seeds 5] [--iterations 100] [--settings '{...}']
        [--record]

Prints figures; never fails. --record appends a block to BENCHMARKS.md ("Playground loss lesson").
"""

from __future__ import annotations

import argparse
import json
import statistics

import numpy as np
import torch
from common import environment, record

from gan_core.toy2d import ToyTrainer, toy_preset

PRESET = "ring-d-ahead"
LOSSES = ("minimax", "non-saturating")


def measure(loss: str, seed: int, iterations: int, settings: dict) -> tuple[float, float, float]:
    """(D's mean verdict on G's points at the start, mean push at the start, mean distance moved)."""
    t = ToyTrainer(toy_preset(PRESET, loss=loss, seed=seed, **settings))
    start = t.frame()
    t.train(iterations)
    moved = float(np.linalg.norm(t.fakes() - start["fake"], axis=1).mean())
    return start["verdict"], start["push_norm"], moved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--settings", default="", help="JSON of settings on top of the preset (to try others)")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    settings = json.loads(args.settings) if args.settings else {}
    cfg = toy_preset(PRESET, **settings)
    lines = [
        f"Preset {PRESET} ({cfg.d_head_start} D steps alone first, {cfg.optimizer}, lr_g {cfg.lr_g:g}, "
        f"lr_d {cfg.lr_d:g}{', ' + json.dumps(settings) if settings else ''}); seeds 0-{args.seeds - 1}; "
        f"the next {args.iterations} iterations under each loss, from the same start.",
        "",
        "| seed | D(G(z)) at the start | push, minimax | push, non-sat. | push ratio | moved, minimax "
        "| moved, non-sat. | moved ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    push_ratios, move_ratios = [], []
    for seed in range(args.seeds):
        (v, p_mm, m_mm), (_, p_ns, m_ns) = (measure(loss, seed, args.iterations, settings) for loss in LOSSES)
        push_ratios.append(p_ns / max(p_mm, 1e-12))
        move_ratios.append(m_ns / max(m_mm, 1e-12))
        line = (
            f"| {seed} | {v:.4f} | {p_mm:.4f} | {p_ns:.3f} | {push_ratios[-1]:.0f}x | {m_mm:.4f} | {m_ns:.3f} "
            f"| {move_ratios[-1]:.0f}x |"
        )
        print(line, flush=True)
        lines.append(line)
    lines.append(
        f"\nNon-saturating / minimax: push {min(push_ratios):.0f}-{max(push_ratios):.0f}x (median "
        f"{statistics.median(push_ratios):.0f}x), distance moved {min(move_ratios):.0f}-{max(move_ratios):.0f}x "
        f"(median {statistics.median(move_ratios):.0f}x)."
    )
    print(lines[-1])
    if args.record:
        record("Playground loss lesson (bench/toy2d_loss_lesson.py)", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
