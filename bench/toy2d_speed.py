"""Training speed of the 2-D playground: ToyTrainer iterations per second on one CPU thread.

One iteration = d_steps D updates + one G update (batch 128, 2x64 hidden MLPs). Times `train(n)` without
frames (the page's bursts add ~2 ms per recorded frame: D on the 40x40 grid, the arrows, the mesh),
best of --rounds, for the default and a few settings that cost more (WGAN-GP's double backward, spectral norm).

    python bench/toy2d_speed.py [--iterations 2000] [--rounds 3] [--record]

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from common import environment, record

from gan_core.toy2d import ToyConfig, ToyTrainer

CASES = {
    "default (non-saturating, Adam)": {},
    "minimax": {"loss": "minimax"},
    "SGD": {"optimizer": "sgd"},
    "spectral norm": {"spectral_norm": True},
    "WGAN-GP, 1 critic step": {"loss": "wgan-gp"},
    "WGAN-GP, 5 critic steps": {"loss": "wgan-gp", "d_steps": 5},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    lines = [
        f"Iterations/s, best of {args.rounds} rounds of {args.iterations}; torch threads = 1; load average "
        f"{os.getloadavg()[0]:.2f} at the start.",
        "",
        "| settings | iterations/s | one frame() |",
        "|---|---|---|",
    ]
    for name, changes in CASES.items():
        t = ToyTrainer(ToyConfig(**changes))
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
