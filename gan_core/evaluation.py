"""The complete evaluation of a generator: `evaluate_generator(G)` and its table (`python -m gan_core evaluate`).

It draws n samples (2,000 by default) from fixed noise and reports every measure of `gan_core.metrics`
beside what real digits score under the same conditions: the Fréchet distance and its real-vs-real
floor, the classifier Inception Score, mean confidence, the predicted-class histogram with classes
present and KL(q || p_data), a conditional G's accuracy on the requested digit, an InfoGAN's code
purity, and the memorization check (each sample's nearest real training digit). The README's model
cards are its output.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from .classifier import DigitClassifier, predict
from .data import ImageData
from .metrics import (
    class_histogram,
    class_kl,
    classes_present,
    code_report,
    get_reference,
    inception_score,
    mean_confidence,
)

# One draw of 2,000 digits gives a Fréchet distance that moves by about +-10 % from draw to draw (the
# shipped InfoGAN against the earlier reference: 6.7 to 8.8 over ten seeds, sd 0.75), enough to pass or
# fail a "3x the floor" target by luck. So the reported value is the mean of FD_DRAWS independent draws,
# beside its spread, and the floor is averaged the same way. Five draws cost a few seconds on a CPU.
FD_DRAWS = 5


@dataclass
class Evaluation:
    model: str  # name or file of the generator
    n: int  # samples drawn
    seed: int
    data: str  # the real data compared against, in words
    reference: str  # which real digits form the FD reference set
    classifier: str  # which classifier, and its held-out accuracy
    frechet: float  # FD(generated, reference) on fd_n samples: mean over fd_draws draws
    frechet_floor: float  # FD(real, reference) on fd_n real digits: mean over fd_draws subsets
    fd_n: int
    inception_score: float
    confidence: float
    histogram: list  # (10,) predicted-class counts of the generated samples
    classes_present: list
    class_kl: float
    data_class_dist: list  # (10,) p_data
    real: dict  # the same metrics for fd_n real digits
    label_accuracy: float | None = None  # conditional G: fraction classified as the requested digit
    per_label_accuracy: list | None = None  # (10,) per requested digit
    code_digits: list | None = None  # InfoGAN G: per code [majority digit, its share] ([None, 0] if unused)
    code_purity: float | None = None  # InfoGAN G: fraction of samples read as their code's majority digit
    memorization: dict | None = None
    fd_draws: int = 1  # independent draws averaged for frechet and frechet_floor
    frechet_sd: float = 0.0  # their standard deviations (0 for a single draw)
    frechet_floor_sd: float = 0.0
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    @property
    def frechet_ratio(self) -> float:
        """FD / floor: 1 is as close as real digits get; issue #4's target for the best model is <= 3."""
        return self.frechet / self.frechet_floor if self.frechet_floor > 0 else float("inf")

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        return format_evaluation(self)


def _sample(G, n: int, labels, seed: int):
    from .sampling import generate, sample_labels, sample_z

    z = sample_z(n, G.latent_dim, seed)
    y = None
    if getattr(G, "conditional", False):
        if labels is None:
            y = sample_labels(n, G.num_classes, seed)  # uniform over the digits
        else:
            y = torch.as_tensor(labels, dtype=torch.long)
            y = y.expand(n).clone() if y.dim() == 0 else y
            if len(y) != n:
                raise ValueError(f"Give one label or {n} labels; got {len(y)}.")
    elif labels is not None:
        raise ValueError("This generator is not conditional, so labels cannot be requested.")
    return generate(G, z, y), y


def evaluate_generator(
    G,
    n: int = 2000,
    labels=None,
    seed: int = 0,
    data: ImageData | None = None,
    classifier: DigitClassifier | None = None,
    memorization: bool = True,
    name: str | None = None,
    draws: int = FD_DRAWS,
) -> Evaluation:
    """Draw n samples from G (a generator module in eval mode, or a Checkpoint) and measure everything.

    Every metric is measured on the draw from `seed`, except the Fréchet distance: it is the mean over
    `draws` independent draws (seeds seed, seed + 1, ...), FD = (1/K) sum_k FD_k, reported with its
    sample standard deviation, and its floor is the mean over as many subsets of real digits.

    labels: for a conditional G, one digit or n digits to request (default: uniform over 0..9); the
    result then includes the fraction classified as requested. data: the real digits (default
    `load_dataset("mnist")`); the memorization check compares against all of them.
    """
    t0 = time.perf_counter()
    if n < 2:
        raise ValueError("Evaluate at least 2 samples (2,000 is a good number).")
    if int(draws) < 1:
        raise ValueError(f"Average the Fréchet distance over at least 1 draw; got {draws}.")
    if hasattr(G, "G") and hasattr(G, "config"):  # a Checkpoint
        if G.config.dataset != "mnist":
            raise ValueError(
                f"{G.name} was trained on {G.config.dataset}; the digit classifier only judges MNIST digits."
            )
        name = name or G.name
        G = G.G
    ref = get_reference(data, classifier)
    images, y = _sample(G, n, labels, seed)  # (n, 28, 28) uint8
    probs, feats = predict(ref.classifier, images)
    counts = class_histogram(probs, len(ref.class_dist))
    m = ref.fd_n(n)
    notes = []
    if m < n:
        notes.append(
            f"Fréchet distances use the first {m:,} samples: only {ref.floor_max:,} real digits "
            f"are available for the real-vs-real floor."
        )
    label_acc = per_label = code_digits = purity = None
    if y is not None and getattr(G, "info", False):
        code_digits, purity = code_report(probs.argmax(1), y, G.num_classes, len(ref.class_dist))
    elif y is not None:
        hit = probs.argmax(1) == y
        label_acc = float(hit.float().mean())
        per_label = [
            float(hit[y == c].float().mean()) if bool((y == c).any()) else None for c in range(len(ref.class_dist))
        ]
    fds = [ref.frechet(feats[:m])]
    more_labels = labels  # the later draws need only the m digits the FD uses
    if labels is not None and torch.as_tensor(labels).dim() > 0:
        more_labels = torch.as_tensor(labels)[:m]
    for k in range(1, int(draws)):
        more, _ = _sample(G, m, more_labels, seed + k)  # (m, 28, 28) another draw
        fds.append(ref.frechet(predict(ref.classifier, more)[1]))  # (m, F) features -> FD
    floors = ref.floor_draws(m, int(draws))
    info = getattr(ref.classifier, "info", {}) or {}
    acc = info.get("heldout_accuracy")
    clf_words = getattr(ref.classifier, "source", "in-memory classifier")
    if acc is not None:
        clf_words += f" (held-out accuracy {acc:.2%})"
    return Evaluation(
        model=name or type(G).__name__,
        n=n,
        seed=seed,
        data=ref.data.describe(),
        reference=ref.description,
        classifier=clf_words,
        frechet=float(np.mean(fds)),
        frechet_floor=float(np.mean(floors)),
        fd_n=m,
        inception_score=inception_score(probs),
        confidence=mean_confidence(probs),
        histogram=counts.tolist(),
        classes_present=classes_present(counts),
        class_kl=class_kl(counts, ref.class_dist),
        data_class_dist=[round(float(p), 5) for p in ref.class_dist],
        real=dict(ref.real_scores(m)),
        label_accuracy=label_acc,
        per_label_accuracy=per_label,
        code_digits=code_digits,
        code_purity=purity,
        memorization=ref.memorization(images) if memorization else None,
        fd_draws=len(fds),
        frechet_sd=_sd(fds),
        frechet_floor_sd=_sd(floors),
        seconds=time.perf_counter() - t0,
        notes=notes,
    )


def _sd(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _bar(frac: float, width: int = 24) -> str:
    return "#" * int(round(frac * width))


def format_evaluation(ev: Evaluation) -> str:
    """A readable table: each metric for the generated samples beside the real digits' value."""
    r = ev.real
    k = len(ev.histogram)
    W = 50  # width of the metric-name column
    lines = [
        f"Evaluation of {ev.model}: {ev.n:,} samples (seed {ev.seed}), {ev.seconds:.1f} s",
        f"  data:       {ev.data}",
        f"  reference:  {ev.reference}",
        f"  classifier: {ev.classifier}",
        "",
        f"  {'metric':<{W}}{'generated':>12}{'real digits':>14}",
        f"  {'-' * (W + 26)}",
        f"  {'Fréchet distance, classifier features (n=' + format(ev.fd_n, ',') + ')':<{W}}"
        f"{ev.frechet:>12.3f}{ev.frechet_floor:>14.3f}  <- floor",
        *(
            [
                f"  {'  mean of ' + str(ev.fd_draws) + ' draws; sd between draws':<{W}}"
                f"{ev.frechet_sd:>12.3f}{ev.frechet_floor_sd:>14.3f}",
                f"  {'  ratio to the floor':<{W}}{ev.frechet_ratio:>12.2f}",
            ]
            if ev.fd_draws > 1 and ev.frechet_floor > 0
            else []
        ),
        f"  {'classifier Inception Score (max ' + str(k) + ')':<{W}}"
        f"{ev.inception_score:>12.3f}{r['inception_score']:>14.3f}",
        f"  {'mean confidence (max softmax)':<{W}}{ev.confidence:>12.3f}{r['confidence']:>14.3f}",
        f"  {'classes present (>= 1 % of samples)':<{W}}{str(len(ev.classes_present)) + '/' + str(k):>12}"
        f"{str(len(r['classes_present'])) + '/' + str(k):>14}",
        f"  {'KL(predicted classes || data classes)':<{W}}{ev.class_kl:>12.4f}{r['class_kl']:>14.4f}",
    ]
    if ev.label_accuracy is not None:
        lines.append(f"  {'classified as the requested digit':<{W}}{ev.label_accuracy:>12.2%}{'':>14}")
    lines += ["", "  predicted-class histogram (generated | data)"]
    total = max(1, sum(ev.histogram))
    top = max(max(ev.histogram) / total, max(ev.data_class_dist), 1e-9)
    for c, count in enumerate(ev.histogram):
        frac = count / total
        lines.append(f"    {c}  {frac:6.1%} {_bar(frac / top):<24} | {ev.data_class_dist[c]:5.1%}")
    if ev.code_digits is not None:
        digits = {d for d, _ in ev.code_digits if d is not None}
        lines.append("")
        lines.append(
            f"  InfoGAN codes (learned without labels) -> the digit each one draws, and its share; "
            f"purity {ev.code_purity:.1%}, {len(digits)} different digits"
        )
        lines.append(
            "    "
            + "  ".join(
                f"c{c}:{d}({share:.0%})" if d is not None else f"c{c}:-" for c, (d, share) in enumerate(ev.code_digits)
            )
        )
    if ev.per_label_accuracy is not None:
        accs = "  ".join(f"{c}:{a:.0%}" if a is not None else f"{c}:-" for c, a in enumerate(ev.per_label_accuracy))
        lines += ["", f"  per requested digit: {accs}"]
    mem = ev.memorization
    if mem:
        lines += [
            "",
            "  memorization (L2 distance to the nearest training digit, pixels in [0, 1])",
            f"    generated: median {mem['generated_median']:.3f}, closest {mem['generated_min']:.3f}",
            f"    real (leave-one-out): median {mem['real_median']:.3f}, 1st percentile {mem['real_p1']:.3f}",
            f"    generated closer than the real 1st percentile: {mem['fraction_below_real_p1']:.1%} "
            f"(~1 % expected) -> {mem['verdict']}",
        ]
    for note in ev.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


__all__ = ["Evaluation", "evaluate_generator", "format_evaluation"]
