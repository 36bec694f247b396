"""Training speed of the 2-D playground: ToyTrainer iterations per second on one CPU thread.

One iteration = d_steps D updates + one G update (batch 128, 2x64 hidden MLPs). Times `train(n)` without
frames (the page's bursts add ~2 ms per recorded frame: D on the 40x40 grid, the arrows, the mesh),
best of --rounds, for the default and a few settings that cost more (WGAN-GP's double backward, spectral norm).
The plain-MLP settings train with gan_core.toy2d_fast's hand-written backward; "autograd" rows use the reference
path (ToyTrainer(fast=False)) for comparison.

    python bench/toy2d_speed.py [--iterations 2000] [--rounds 3] [--record]
    python bench/toy2d_speed.py --ab [--rounds 6]    # A/B: autograd vs hand-written backward, alternating rounds

--ab alternates the two paths on the default settings in the same process, round by round, so a busy shared
machine slows both alike: the ratio per round is the figure to read.

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from common import environment, record

from gan_core.toy2d import ToyConfig, ToyTrainer

CASES = {  # name: (changes, fast)
    "default (non-saturating, Adam)": ({}, True),
    "default, autograd path": ({}, False),
    "minimax": ({"loss": "minimax"}, True),
    "SGD": ({"optimizer": "sgd"}, True),
    "spectral norm (autograd)": ({"spectral_norm": True}, True),
    "WGAN-GP, 1 critic step (autograd)": ({"loss": "wgan-gp"}, True),
    "WGAN-GP, 5 critic steps (autograd)": ({"loss": "wgan-gp", "d_steps": 5}, True),
}


def ab(rounds: int, iterations: int) -> None:
    """Alternate the autograd path and the hand-written backward, default settings, same process."""
    trainers = {fast: ToyTrainer(ToyConfig(), fast=fast) for fast in (False, True)}
    for t in trainers.values():
        t.train(100)
    print(f"load average {os.getloadavg()[0]:.2f} at the start; {iterations} iterations a round")
    ratios = []
    for r in range(rounds):
        rate = {}
        for fast, t in trainers.items():
            t0 = time.perf_counter()
            t.train(iterations)
            rate[fast] = iterations / (time.perf_counter() - t0)
        ratios.append(rate[True] / rate[False])
        print(f"round {r + 1}: autograd {rate[False]:,.0f}/s, hand-written {rate[True]:,.0f}/s, ratio {ratios[-1]:.2f}")
    print(f"median ratio {sorted(ratios)[len(ratios) // 2]:.2f}; load average {os.getloadavg()[0]:.2f} at the end")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--ab", action="store_true", help="alternate the autograd and hand-written paths")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.ab:
        ab(args.rounds, args.iterations)
        return
    lines = [
        f"Iterations/s, best of {args.rounds} rounds of {args.iterations}; torch threads = 1; load average "
        f"{os.getloadavg()[0]:.2f} at the start.",
        "",
        "| settings | iterations/s | one frame() |",
        "|---|---|---|",
    ]
    for name, (changes, fast) in CASES.items():
        t = ToyTrainer(ToyConfig(**changes), fast=fast)
        t.train(100)
        best = 0.0
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            t.train(args.iterations)
            best = max(best, args.iterations / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for _ in range(20):
            t.frame()
        frame_ms = (time.perf_counter() - t0) / 20 * 1000
        line = f"| {name} | {best:,.0f} | {frame_ms:.1f} ms |"
        print(line, flush=True)
        lines.append(line)
    lines.append(f"\nLoad average at the end: {os.getloadavg()[0]:.2f} (2 cores, shared).")
    if args.record:
        record("2-D playground speed (bench/toy2d_speed.py)", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
