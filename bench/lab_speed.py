"""The latent lab's waits on one CPU thread: "Find my digit" and the principal directions.

For each shipped generator:

* inversion - `gan_core.inversion.invert` with the app's defaults (its 1.5 s deadline) on --n real
  MNIST digits of different classes: wall-clock p50 / max (the issue's target: <= 2 s), gradient steps
  taken, and the pixel RMSE reached beside the best of 1,000 random z (the ratio is the quality the
  time buys; < 1 means the search beat random sampling).
* directions - `gan_core.directions.principal_directions` (computed once per model and cached by the
  app): wall-clock seconds.

    python bench/lab_speed.py [--n 8] [--models dcgan,mlp] [--threads 1] [--record]

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import environment, record

from gan_core import list_pretrained, load_checkpoint, load_dataset, sample_z
from gan_core.directions import principal_directions
from gan_core.inversion import invert, rmse


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=8, help="real digits inverted per model")
    ap.add_argument("--models", default=",".join(list_pretrained()))
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the app's server default on 2 cores: 1)")
    ap.add_argument("--data-dir")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset("mnist", args.data_dir)
    g = torch.Generator().manual_seed(0)
    rows = torch.randperm(len(data), generator=g)[: args.n]
    env = environment(torch.device("cpu"))
    lines = [
        f"Real digits: {args.n} from {data.describe()}.",
        "",
        "| model | find my digit p50 | max | steps p50 | RMSE p50 | best of 1,000 random z p50 | ratio p50 | "
        "directions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in args.models.split(","):
        ck = load_checkpoint(name)
        G = ck.G
        invert(G, data.images[0], deadline=0.3)  # warm-up
        with torch.inference_mode():
            pool_z = sample_z(1000, G.latent_dim, seed=12345)
        secs, steps, errs, rand = [], [], [], []
        for r in rows:
            x = data.images[r]
            t0 = time.monotonic()
            res = invert(G, x)
            secs.append(time.monotonic() - t0)
            steps.append(res.steps)
            errs.append(res.error)
            target = x.float().div(127.5).sub(1)[None, None]
            with torch.inference_mode():
                if G.conditional:
                    best = min(float(rmse(G(pool_z, torch.full((1000,), c)), target).min()) for c in range(10))
                else:
                    best = float(rmse(G(pool_z), target).min())
            rand.append(best)
        t0 = time.monotonic()
        principal_directions(G)
        dir_s = time.monotonic() - t0
        ratio = np.array(errs) / np.array(rand)
        line = (
            f"| `{name}` | {np.median(secs):.2f} s | {max(secs):.2f} s | {int(np.median(steps))} | "
            f"{np.median(errs):.3f} | {np.median(rand):.3f} | {np.median(ratio):.2f} | {dir_s:.2f} s |"
        )
        print(line, flush=True)
        lines.append(line)
    print("\n".join(lines[:2]))
    if args.record:
        record("Latent lab: find my digit and principal directions", env, lines)


if __name__ == "__main__":
    main()
