"""Time to digits: seconds of training until a generator draws recognisable, varied digits; ours vs the textbook loop.

The project's Trainer trains a preset (default: the project's default preset) for a budget of training time. At
checkpoints in training time (every `--every` s, plus 30, 60 and 120 s) the run is paused, the
current sampling generator (Trainer.export_generator(): the EMA copy when EMA is on) is evaluated
with gan_core.metrics on n samples, and the run resumes. Pauses stop the trainer's clock, so the
evaluation time is never counted as training time. The textbook unconditional DCGAN in the loop of
bench/train_speed.py (the `dcgan` preset's G and D, BCE non-saturating loss, one D step per G step,
float32, no EMA) is measured the same way as the reference, in the same process, whatever the preset.
Both loops first take a few unmeasured steps (--no-warmup skips them), so first-use costs are not
charged to whichever runs first.

The quality bar (all must hold at one checkpoint):

    all 10 classes present (>= 1 % of the samples each), KL(predicted classes || data classes) <= 0.05,
    classifier Inception Score >= 8.5, mean confidence >= 0.9, Fréchet distance <= 10x its real-vs-real floor

The Fréchet floor is what n real digits score against the reference set, i.e. the best a perfect
generator can get at that n; the other metrics are printed for the same n real digits too. The time
to the bar is known to within the checkpoint spacing: "<= t s" means the checkpoint at t passed and
the one before it did not.

    python bench/time_to_digits.py [--preset dcgan] [--seconds 120] [--every 5] [--n 1000] [--device auto]
                                   [--data-dir DIR] [--threads N] [--seed S] [--no-reference] [--no-warmup] [--record]
                                   [--set FIELD=VALUE ...] [--graph auto|on|off]

`--set` changes the preset's settings (e.g. a GPU's batch and learning rates: `--set batch_size=1024 lr_g=4e-3
lr_d=4e-3`); `--graph` replays our step as one CUDA graph (gan_core/cuda_graph.py; auto: on wherever it can be).

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import copy
import math
import time
from dataclasses import dataclass

import torch
from common import environment, pause_when, record
from train_speed import textbook_loop

from gan_core import DEFAULT_PRESET, Trainer, load_dataset, preset_config, resolve_device
from gan_core.config import GANConfig
from gan_core.evaluation import evaluate_generator
from gan_core.metrics import get_reference

# The reference: the textbook unconditional DCGAN (the `dcgan` preset's G and D, BCE non-saturating loss,
# Adam 2e-4 / 0.5, batch 64, no EMA) in the textbook loop of bench/train_speed.py, whatever the preset.
TEXTBOOK = preset_config("dcgan", loss="non-saturating", d_steps=1, ema=0.0, conditional=False)
MILESTONES = (30.0, 60.0, 120.0)  # training seconds at which the metrics are always reported
BAR = {"classes": 10, "class_kl": 0.05, "inception_score": 8.5, "confidence": 0.9, "fd_over_floor": 10.0}
BAR_TEXT = (
    f"all {BAR['classes']} classes present, KL <= {BAR['class_kl']}, IS >= {BAR['inception_score']}, "
    f"confidence >= {BAR['confidence']}, FD <= {BAR['fd_over_floor']:g}x floor"
)


@dataclass
class Checkpoint:
    target: float  # the scheduled training time (s)
    elapsed: float  # the training time actually reached when the run was paused (s)
    classes: int
    class_kl: float
    inception_score: float
    confidence: float
    frechet: float
    floor: float
    eval_seconds: float

    @property
    def fd_ratio(self) -> float:
        return self.frechet / self.floor if self.floor > 0 else math.inf

    @property
    def passed(self) -> bool:
        return (
            self.classes >= BAR["classes"]
            and self.class_kl <= BAR["class_kl"]
            and self.inception_score >= BAR["inception_score"]
            and self.confidence >= BAR["confidence"]
            and self.fd_ratio <= BAR["fd_over_floor"]
        )

    def brief(self) -> str:
        return (
            f"classes {self.classes}/10, KL {self.class_kl:.3f}, IS {self.inception_score:.2f}, "
            f"conf {self.confidence:.3f}, FD {self.frechet:.2f} ({self.fd_ratio:.1f}x floor)"
        )


def schedule(seconds: float, every: float) -> list[float]:
    """Checkpoint times strictly inside the budget: multiples of `every` and the milestones. (The end
    of the budget is always evaluated as well.)"""
    times = set(m for m in MILESTONES if m < seconds)
    if every > 0:
        k = 1
        while k * every < seconds - 1e-9:
            times.add(round(k * every, 6))
            k += 1
    return sorted(times)


class Evaluator:
    """gan_core.evaluation.evaluate_generator on the same n latent vectors (fixed seed) at every checkpoint."""

    def __init__(self, data, n: int, seed: int = 0):
        self.data, self.n, self.seed = data, n, seed
        self.ref = get_reference(data)  # built once, before any clock starts

    def __call__(self, G: torch.nn.Module, target: float, elapsed: float) -> Checkpoint:
        ev = evaluate_generator(G, n=self.n, seed=self.seed, data=self.data, memorization=False, draws=1)
        return Checkpoint(
            target,
            elapsed,
            len(ev.classes_present),
            ev.class_kl,
            ev.inception_score,
            ev.confidence,
            ev.frechet,
            ev.frechet_floor,
            ev.seconds,
        )


def _target_for(times: list[float], elapsed: float, seconds: float) -> float:
    passed = [t for t in times if t <= elapsed + 1e-9]
    return passed[-1] if passed else seconds


def run_ours(
    cfg, data, device, seconds: float, times: list[float], evaluate: Evaluator, log, graph: bool | None = None
) -> tuple[list, Trainer]:
    """The Trainer in its background thread; at each checkpoint time it is paused (its clock stops),
    evaluated and resumed. The pause is asked for from the trainer's own on_record callback (every
    10 steps, in the training thread) as soon as its clock passes a checkpoint time, so nothing polls
    the trainer from another thread while it trains (a 5 ms polling loop cost it ~30 % of its steps
    here, through the GIL); the run stops within 10 steps of the checkpoint, and the time actually
    reached is the one reported."""
    t = Trainer(cfg.replace(max_seconds=seconds, max_steps=0), data, device, graph=graph)
    pending = list(times)
    rows: list[Checkpoint] = []
    due = pause_when(t, lambda trainer: bool(pending) and trainer.elapsed >= pending[0])
    t.start()
    while not t.done:
        due.wait()
        due.clear()
        while t.status != "paused" and not t.done:  # the loop notices the pause at its next iteration
            time.sleep(0.002)
        if t.done:
            break
        elapsed = t.elapsed
        row = evaluate(t.export_generator(), _target_for(times, elapsed, seconds), elapsed)
        rows.append(row)
        log("gan_core", row, t.step)
        while pending and pending[0] <= elapsed:
            pending.pop(0)
        t.resume()
    t.join()
    if t.status in ("finished", "stopped", "diverged"):
        row = evaluate(t.export_generator(), seconds, t.elapsed)
        rows.append(row)
        log("gan_core", row, t.step)
    if t.status != "finished":
        print(f"  gan_core run ended early ({t.status}): {t.message}")
    return rows, t


def run_textbook(cfg, data, device, seconds: float, times: list[float], evaluate: Evaluator, log) -> list:
    torch.manual_seed(cfg.seed)  # the textbook loop draws from the global RNG
    rows: list[Checkpoint] = []
    batch = cfg.batch_size

    def frozen(G):
        return copy.deepcopy(G).to("cpu").eval().requires_grad_(False)

    def checkpoint(G, elapsed):
        rows.append(evaluate(frozen(G), _target_for(times, elapsed, seconds), elapsed))
        log("textbook", rows[-1], None)

    G, n_images, elapsed = textbook_loop(cfg, data, device, seconds, checkpoint=checkpoint, at=times)
    rows.append(evaluate(frozen(G), seconds, elapsed))
    log("textbook", rows[-1], n_images // batch)
    return rows


def first_pass(rows: list[Checkpoint]) -> str | None:
    for i, r in enumerate(rows):
        if r.passed:
            before = f" (not at {rows[i - 1].elapsed:.1f} s)" if i > 0 else " (the first checkpoint)"
            return f"<= {r.elapsed:.1f} s{before}"
    return None


def at_milestones(rows: list[Checkpoint], seconds: float) -> list[tuple[float, Checkpoint | None]]:
    out = []
    for m in MILESTONES:
        hit = [r for r in rows if r.target == m] if m <= seconds else []
        out.append((m, hit[0] if hit else None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument("--seconds", type=float, default=120.0, help="training-time budget of each loop (s)")
    ap.add_argument("--every", type=float, default=5.0, help="seconds of training between checkpoints")
    ap.add_argument("--n", type=int, default=1000, help="samples per evaluation")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--data-dir", default=None, help="folder with MNIST IDX files (default: gan_core's sources)")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's choice)")
    ap.add_argument("--seed", type=int, default=0, help="the preset's seed (run several for the spread)")
    ap.add_argument(
        "--reference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the textbook loop (default: yes)",
    )
    ap.add_argument(
        "--warmup",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a few unmeasured steps of each loop first (default: yes)",
    )
    ap.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE", help="change the preset's settings")
    ap.add_argument("--graph", default="auto", choices=["auto", "on", "off"], help="our step as one CUDA graph")
    ap.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = ap.parse_args()
    graph = {"auto": None, "on": True, "off": False}[args.graph]
    changes = {k.strip(): GANConfig.parse_field(k.strip(), v) for k, _, v in (item.partition("=") for item in args.set)}
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data = load_dataset("mnist", data_dir=args.data_dir)
    cfg = preset_config(args.preset, seed=args.seed, **changes)
    evaluate = Evaluator(data, args.n)
    times = schedule(args.seconds, args.every)
    real = evaluate.ref.real_scores(args.n)
    fd_n = evaluate.ref.fd_n(args.n)
    floor = evaluate.ref.floor(args.n)
    env = environment(device)

    print(f"data: {data.describe()}")
    print(f"reference: {evaluate.ref.description}")
    print(
        f"preset `{args.preset}`: {cfg.arch}, {cfg.loss} loss, batch {cfg.batch_size}, d_steps {cfg.d_steps}, "
        f"ema {cfg.ema:g}, lr {cfg.lr_g:g}/{cfg.lr_d:g}, seed {cfg.seed}; device {env['device']}, "
        f"{env['threads']} threads; settings changed: {changes or 'none'}; CUDA graph: {args.graph}"
    )
    print(
        f"n = {args.n:,} samples per evaluation (Fréchet on {fd_n:,}); real-vs-real floor at that n: FD {floor:.3f}; "
        f"{fd_n:,} real digits score IS {real['inception_score']:.2f}, conf {real['confidence']:.3f}, "
        f"KL {real['class_kl']:.4f}, classes {len(real['classes_present'])}/10"
    )
    print(f"quality bar: {BAR_TEXT}")
    print(
        f"checkpoints (training s): {', '.join(f'{t:g}' for t in times)}, {args.seconds:g}; "
        "evaluation time is excluded from training time\n"
    )
    print(
        f"{'loop':<9}{'train s':>8}{'steps':>8}{'classes':>8}{'KL':>8}{'IS':>7}{'conf':>7}{'FD':>8}"
        f"{'xfloor':>8}{'eval s':>7}  bar"
    )

    def log(loop: str, r: Checkpoint, steps) -> None:
        print(
            f"{loop:<9}{r.elapsed:>8.1f}{(str(steps) if steps is not None else '-'):>8}{r.classes:>6}/10"
            f"{r.class_kl:>8.3f}{r.inception_score:>7.2f}{r.confidence:>7.3f}{r.frechet:>8.2f}"
            f"{r.fd_ratio:>8.1f}{r.eval_seconds:>7.2f}  {'PASS' if r.passed else '-'}",
            flush=True,
        )

    if args.warmup:  # first-use costs (kernel selection, lazy init) out of both loops' clocks
        Trainer(cfg.replace(max_seconds=0.0, max_steps=5), data, device, graph=graph).run()
        if args.reference:
            textbook_loop(TEXTBOOK, data, device, 0.5)
    ours, trainer = run_ours(cfg, data, device, args.seconds, times, evaluate, log, graph=graph)
    book = None
    if args.reference:
        book = run_textbook(TEXTBOOK, data, device, args.seconds, times, evaluate, log)

    def reached(rows) -> str:
        return first_pass(rows) or f"not reached in {args.seconds:g} s"

    lines = [
        f"preset `{args.preset}` ({cfg.arch}, {cfg.loss}, batch {cfg.batch_size}), budget {args.seconds:g} s of "
        f"training per loop, checkpoints every {args.every:g} s (evaluation excluded), n = {args.n:,} samples "
        f"(FD floor {floor:.3f} at n = {fd_n:,}); data: {data.describe()}",
        f"bar: {BAR_TEXT}",
        f"gan_core Trainer ({trainer.step} steps; settings changed: {changes or 'none'}; "
        f"CUDA graph: {'replayed' if trainer._graphed is not None and trainer._graphed.replays else 'no'}): "
        f"quality bar {reached(ours)}",
    ]
    if book is not None:
        lines.append(f"textbook loop: quality bar {reached(book)}")
        a, b = first_pass(ours), first_pass(book)
        if a and b:
            ta = next(r.elapsed for r in ours if r.passed)
            tb = next(r.elapsed for r in book if r.passed)
            lines.append(
                f"time-to-bar ratio textbook / gan_core: **{tb / ta:.2f}x** (to within the checkpoint spacing)"
            )
    for m, r in at_milestones(ours, args.seconds):
        rb = dict(at_milestones(book, args.seconds)).get(m) if book is not None else None
        if r is None and rb is None:
            continue
        text = f"at {m:g} s: gan_core " + (f"({r.elapsed:.1f} s) {r.brief()}" if r else "-")
        if book is not None:
            text += "; textbook " + (f"({rb.elapsed:.1f} s) {rb.brief()}" if rb else "-")
        lines.append(text)
    print()
    for line in lines:
        print(line)
    if args.record:
        record("Time to digits (bench/time_to_digits.py)", env, [f"- {line}" for line in lines])


if __name__ == "__main__":
    main()
