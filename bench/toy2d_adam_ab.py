"""A/B: the Playground's default 2-D MLP trained with torch.optim.Adam(fused=True) vs gan_core.fast_adam.FastAdam.

Rounds alternate the two in the same minutes, so a busy shared machine slows both alike; the ratio per
round is the figure to read. Also checks both give the same weights after 50 iterations.

    python bench/toy2d_adam_ab.py [--rounds 6] [--iterations 1000]

Prints figures; never fails on a timing.
"""

from __future__ import annotations

import argparse
import time

import torch
from common import ROOT  # noqa: F401  (puts the repository on sys.path)

from gan_core.toy2d import ToyConfig, ToyTrainer


def make(fast: bool) -> ToyTrainer:
    t = ToyTrainer(ToyConfig())  # FastAdam by default
    if not fast:
        c = t.cfg
        t.opt_g = torch.optim.Adam(t.G.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2), fused=True)
        t.opt_d = torch.optim.Adam(t.D.parameters(), lr=c.lr_d, betas=(c.beta1, c.beta2), fused=True)
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--iterations", type=int, default=1000)
    args = ap.parse_args()
    torch.set_num_threads(1)
    a, b = make(False), make(True)
    a.train(50)
    b.train(50)
    same = all(torch.allclose(x, y, atol=1e-6) for x, y in zip(a.G.parameters(), b.G.parameters()))
    print(f"same weights after 50 iterations: {same}")
    res = {False: [], True: []}
    for _ in range(args.rounds):
        for fast in (False, True):
            t = make(fast)
            t.train(100)
            t0 = time.perf_counter()
            t.train(args.iterations)
            res[fast].append(args.iterations / (time.perf_counter() - t0))
    print("torch.optim.Adam(fused)", [round(x) for x in res[False]])
    print("FastAdam               ", [round(x) for x in res[True]])
    print("ratio per round        ", [round(f / s, 2) for s, f in zip(res[False], res[True])])


if __name__ == "__main__":
    main()
