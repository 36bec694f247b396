"""Training throughput: GAN Classroom's trainer against the textbook DCGAN loop, on the identical model.

The textbook loop (pytorch/examples dcgan style): a torch Dataset that turns each uint8 digit into a
PIL image and runs torchvision's ToTensor + Normalize per sample, a DataLoader (batch 64, shuffle),
nn.BCELoss on sigmoid outputs, label tensors built every step, `.item()` every step for logging,
Adam(2e-4, beta1 0.5). Our trainer runs the same G and D (same config) from its preloaded uint8
tensor. The two run alternately in one process, several rounds, so the ratio holds on a noisy
machine.

    python bench/train_speed.py [--seconds 15] [--rounds 3] [--device cpu] [--preset dcgan] [--precision auto]
                                 [--graph auto|on|off|both] [--data-dir DIR] [--record]

`--graph both` (on a GPU) times our trainer twice per round, its step replayed as one CUDA graph
(gan_core/cuda_graph.py) and eager, beside the same textbook round.

Our trainer keeps its own optimisations (bf16 autocast where the chip has bf16 units, EMA if the preset has it);
the textbook loop is float32, as the examples are.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn as nn
from common import environment, record
from PIL import Image

from gan_core import Trainer, load_dataset, preset_config, resolve_device
from gan_core.models import build_models


class TextbookMNIST(torch.utils.data.Dataset):
    """What torchvision.datasets.MNIST does per item: uint8 -> PIL image -> transform."""

    def __init__(self, images_u8: torch.Tensor):
        from torchvision import transforms

        self.images = images_u8
        self.tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.tf(Image.fromarray(self.images[i].numpy())), 0


def textbook_loop(cfg, data, device, seconds: float, checkpoint=None, at=()):
    """Train G and D the textbook way for `seconds` of training time; returns (G, images seen, seconds trained).

    checkpoint(G, elapsed): called once training time passes each of the times in `at` (seconds; G is
    the live, train-mode module: copy it before use); the time it takes is not counted as training.
    """
    G, D = build_models(cfg, device)
    loader = torch.utils.data.DataLoader(
        TextbookMNIST(data.images), batch_size=cfg.batch_size, shuffle=True, drop_last=True
    )
    crit = nn.BCELoss()
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    n_images, elapsed, t_last = 0, 0.0, time.perf_counter()
    pending = sorted(t for t in at if t < seconds) if checkpoint is not None else []
    while True:
        for x, _ in loader:
            x = x.to(device)
            b = x.size(0)
            real_label = torch.full((b,), 1.0, device=device)
            fake_label = torch.full((b,), 0.0, device=device)
            # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
            D.zero_grad()
            err_real = crit(torch.sigmoid(D(x)), real_label)
            err_real.backward()
            z = torch.randn(b, cfg.latent_dim, device=device)
            fake = G(z)
            err_fake = crit(torch.sigmoid(D(fake.detach())), fake_label)
            err_fake.backward()
            opt_d.step()
            # (2) Update G: maximize log(D(G(z)))
            G.zero_grad()
            err_g = crit(torch.sigmoid(D(fake)), real_label)
            err_g.backward()
            opt_g.step()
            _ = (err_real + err_fake).item(), err_g.item()  # per-step logging, as the examples do
            n_images += b
            now = time.perf_counter()
            elapsed += now - t_last
            t_last = now
            if pending and pending[0] <= elapsed < seconds:
                checkpoint(G, elapsed)
                while pending and pending[0] <= elapsed:
                    pending.pop(0)
                t_last = time.perf_counter()  # the checkpoint's time is not training time
            if elapsed >= seconds:
                return G, n_images, elapsed


def textbook_images_per_s(cfg, data, device, seconds: float) -> float:
    _, n_images, elapsed = textbook_loop(cfg, data, device, seconds)
    return n_images / elapsed


def trainer_images_per_s(cfg, data, device, seconds: float, graph: bool | None = None) -> tuple[float, str]:
    t = Trainer(cfg.replace(max_seconds=seconds, max_steps=0), data, device, graph=graph).run()
    return t.step * cfg.batch_size * cfg.d_steps / t.elapsed, t.precision


def _graph_label(mode: bool | None) -> str:
    return {None: "", True: " (CUDA graph)", False: " (eager)"}[mode]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--preset", default="dcgan")
    ap.add_argument("--data-dir", default=None, help="folder with MNIST IDX files (default: gan_core's sources)")
    ap.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16"],
        help="the trainer's arithmetic (the textbook loop is always float32, as the examples are)",
    )
    ap.add_argument(
        "--graph",
        default="auto",
        choices=["auto", "on", "off", "both"],
        help="our step as one CUDA graph: the Trainer's choice (auto), on, off, or both in turn (GPU only)",
    )
    ap.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = ap.parse_args()
    device = resolve_device(args.device)
    modes = {"auto": [None], "on": [True], "off": [False], "both": [True, False]}[args.graph]
    data = load_dataset("mnist", data_dir=args.data_dir)
    cfg = preset_config(
        args.preset,
        loss="non-saturating",
        d_steps=1,  # identical model and loss for both
        precision=args.precision,
    )
    ours, book = {m: [] for m in modes}, []
    for r in range(args.rounds):
        book.append(textbook_images_per_s(cfg, data, device, args.seconds))
        line = f"round {r + 1}: textbook {book[-1]:8.0f} img/s"
        for m in modes:
            ips, precision = trainer_images_per_s(cfg, data, device, args.seconds, graph=m)
            ours[m].append(ips)
            line += f"   gan_core{_graph_label(m)} {ips:8.0f} img/s ({ips / book[-1]:.2f}x)"
        print(line, flush=True)
    env = environment(device)
    summaries = []
    for m, got in ours.items():
        ratio = statistics.median(o / b for o, b in zip(got, book))
        summaries.append(
            f"preset `{args.preset}` ({cfg.arch}, G width {cfg.g_width}, batch {cfg.batch_size}): "
            f"gan_core{_graph_label(m)} ({precision}) {statistics.median(got):.0f} img/s vs textbook (fp32) "
            f"{statistics.median(book):.0f} img/s, "
            f"median ratio **{ratio:.2f}x** ({args.rounds} alternating rounds of {args.seconds:g} s)"
        )
    summary = "\n".join(summaries)
    print(summary)
    if args.record:
        record("Training throughput (bench/train_speed.py)", env, [f"- {line}" for line in summaries])


if __name__ == "__main__":
    main()
