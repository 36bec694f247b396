"""How the 2-D playground's presets behave: modes covered and high-quality share on the ring, over seeds.

For each preset (or candidate settings given as JSON), trains a ToyTrainer from seeds 0..n-1 on one CPU
thread and prints, at each checkpoint, the modes covered (of 8 on the ring, of 25 on the grid) and the share
of high-quality samples (within 3 sigma of a mode), from 2,500 samples (gan_core/toy2d_data.py: the rule).

    OMP_NUM_THREADS=1 python bench/toy2d_presets.py [--presets ring-collapse,ring-collapse-fixed]
        [--seeds 5] [--iterations 1000,2000,3000] [--extra '{"name": {"loss": "minimax", ...}}'] [--record]

Prints figures; never fails. --record appends a block to BENCHMARKS.md ("2-D playground presets").
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from common import environment, record

from gan_core.toy2d import TOY_PRESETS, ToyConfig, ToyTrainer


def run(cfg: ToyConfig, checkpoints: list[int]) -> list[tuple[int, int, float]]:
    t = ToyTrainer(cfg)
    out = []
    for n in checkpoints:
        t.train(n - t.iterations)
        m = t.measure()
        out.append((n, m.covered, m.high_quality))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", default="ring,ring-collapse,ring-collapse-fixed")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--iterations", default="1000,2000,3000")
    ap.add_argument("--extra", default="", help="JSON {name: {setting: value}} of candidate settings")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    checkpoints = [int(v) for v in args.iterations.split(",")]
    configs = {name: TOY_PRESETS[name].config() for name in args.presets.split(",") if name}
    for name, changes in (json.loads(args.extra) if args.extra else {}).items():
        configs[name] = ToyConfig().replace(**changes)
    lines = [
        f"Seeds 0-{args.seeds - 1}; modes covered / high-quality share at "
        f"{', '.join(map(str, checkpoints))} iterations; one CPU thread.",
        "",
        "| preset | settings | " + " | ".join(f"covered @{n}" for n in checkpoints) + " | HQ share @"
        f"{checkpoints[-1]} | s/run |",
        "|---|---|" + "---|" * (len(checkpoints) + 2),
    ]
    for name, cfg in configs.items():
        t0 = time.perf_counter()
        runs = [run(cfg.replace(seed=s), checkpoints) for s in range(args.seeds)]
        secs = (time.perf_counter() - t0) / args.seeds
        changes = {k: v for k, v in cfg.to_dict().items() if v != getattr(ToyConfig(), k) and k != "seed"}
        cols = [" ".join(str(r[i][1]) for r in runs) for i in range(len(checkpoints))]
        hq = " ".join(f"{r[-1][2]:.2f}" for r in runs)
        line = f"| {name} | {json.dumps(changes)} | " + " | ".join(cols) + f" | {hq} | {secs:.1f} |"
        print(line, flush=True)
        lines.append(line)
    if args.record:
        record("2-D playground presets (bench/toy2d_presets.py)", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
