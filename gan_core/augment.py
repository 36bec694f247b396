"""GANs as data augmentation: does adding a conditional GAN's digits help a classifier trained on few real ones?

The experiment, kept honest:

1. Draw N real digits (class-balanced, N/10 per digit) as the small training set, and a disjoint set of
   real digits as the test set. Both come from the same data and never overlap.
2. Train `classifier.DigitClassifier` on the N real digits alone  -> accuracy A_real on the test set.
3. Train the same network, from the same initial weights and the same number of optimiser steps, on the
   N real digits plus K digits drawn by a conditional generator, each labelled with the digit it was
   asked for                                                           -> accuracy A_aug.
4. Repeat for several seeds (a different small real set each time) and report every pair, their mean
   difference, and how many seeds the generated digits helped on. No claim beyond what was measured:
   a cGAN's digits carry no information its training data did not, and a mislabelled or blurry fake
   can hurt as easily as a clean one can help.

The conditional generator is the shipped `cdcgan` by default; it was trained on 15,000 real digits, so
this measures "can knowledge distilled from a larger dataset, passed through a GAN, help a small-data
classifier", which is the realistic use of GAN augmentation.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import torch

from .checkpoints import load_checkpoint
from .classifier import ClassifierSplit, train_classifier
from .data import ImageData
from .i18n import _
from .sampling import generate, sample_z

DEFAULT_REAL = 200  # 20 digits per class: small enough that a classifier clearly lacks data
DEFAULT_FAKE = 1000  # 5x the real set: enough generated digits to matter either way
DEFAULT_TEST = 1000  # held-out real digits: the accuracy's standard error is ~1 point at 90 %
TRAIN_STEPS = 300  # optimiser steps for both arms, so the augmented arm gets no extra training


@dataclass
class AugmentTrial:
    seed: int
    acc_real: float  # test accuracy trained on the N real digits only
    acc_aug: float  # test accuracy trained on the N real + K generated digits

    @property
    def gain(self) -> float:
        return self.acc_aug - self.acc_real


@dataclass
class AugmentResult:
    n_real: int
    n_fake: int
    n_test: int
    generator: str
    trials: list = field(default_factory=list)  # [AugmentTrial]
    seconds: float = 0.0

    @property
    def mean_real(self) -> float:
        return sum(t.acc_real for t in self.trials) / len(self.trials)

    @property
    def mean_aug(self) -> float:
        return sum(t.acc_aug for t in self.trials) / len(self.trials)

    @property
    def helped(self) -> int:
        """Seeds on which the generated digits raised the accuracy."""
        return sum(t.gain > 0 for t in self.trials)

    def summary(self) -> str:
        """One paragraph for the reader, in the current language (gan_core.i18n)."""
        gain = self.mean_aug - self.mean_real
        verdict = (
            _("helped on average")
            if gain > 0.005
            else _("hurt on average")
            if gain < -0.005
            else _("made no clear difference")
        )
        return _(
            "{n_real} real digits: {acc_real} test accuracy; plus {n_fake} generated: {acc_aug} ({gain} points, "
            "better on {helped} of {trials} seeds). The generated digits {verdict}, measured on {n_test} held-out "
            "real digits."
        ).format(
            n_real=self.n_real,
            acc_real=f"{self.mean_real:.1%}",
            n_fake=self.n_fake,
            acc_aug=f"{self.mean_aug:.1%}",
            gain=f"{gain * 100:+.1f}",
            helped=self.helped,
            trials=len(self.trials),
            verdict=verdict,
            n_test=self.n_test,
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(mean_real=self.mean_real, mean_aug=self.mean_aug, helped=self.helped)
        return d


def balanced_rows(
    labels: torch.Tensor, per_class: int, generator: torch.Generator, exclude: torch.Tensor | None = None
) -> torch.Tensor:
    """per_class random row indices of each class (sorted), avoiding `exclude`. Raises if a class runs short."""
    taken = torch.zeros(len(labels), dtype=torch.bool)
    if exclude is not None:
        taken[exclude] = True
    rows = []
    for c in range(int(labels.max()) + 1):
        idx = torch.nonzero((labels == c) & ~taken).flatten()
        if len(idx) < per_class:
            raise ValueError(f"Only {len(idx)} unused digits of class {c}; {per_class} needed.")
        rows.append(idx[torch.randperm(len(idx), generator=generator)[:per_class]])
    return torch.cat(rows).sort().values


def generated_digits(G, n: int, num_classes: int = 10, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n digits from a conditional G, an equal share of each class, labelled by the digit asked for.
    Returns (uint8 (n, 28, 28), int64 (n,))."""
    labels = torch.arange(n) % num_classes  # (n,)
    z = sample_z(n, G.latent_dim, seed=seed)  # (n, latent)
    return generate(G, z, labels), labels


def run_augmentation(
    data: ImageData,
    n_real: int = DEFAULT_REAL,
    n_fake: int = DEFAULT_FAKE,
    n_test: int = DEFAULT_TEST,
    seeds=(0, 1, 2),
    generator: str = "cdcgan",
    steps: int = TRAIN_STEPS,
    progress=None,
) -> AugmentResult:
    """The experiment of the module docstring. progress(done, total, text) is called after each training."""
    if data.name != "mnist":
        raise ValueError("The augmentation experiment uses MNIST digits and the digit classifier.")
    k = 10
    if n_real < k or n_real % k or n_test < k or n_test % k:
        raise ValueError(f"n_real and n_test must be positive multiples of {k} (an equal number per digit).")
    if n_fake < 0:
        raise ValueError("n_fake must be >= 0.")
    t0 = time.perf_counter()
    ckpt = load_checkpoint(generator)
    if not ckpt.config.conditional:
        raise ValueError(f"{generator} is not a conditional generator: its digits would carry no label.")
    G = ckpt.G
    result = AugmentResult(n_real, n_fake, n_test, generator)
    seeds = list(seeds)
    done = 0
    for seed in seeds:
        rng = torch.Generator().manual_seed(10_000 + int(seed))
        test_rows = balanced_rows(data.labels, n_test // k, rng)
        real_rows = balanced_rows(data.labels, n_real // k, rng, exclude=test_rows)
        fake_x, fake_y = generated_digits(G, n_fake, k, seed=20_000 + int(seed))
        accs = []
        for with_fake in (False, True):
            parts_x = [data.images[real_rows], data.images[test_rows]]
            parts_y = [data.labels[real_rows], data.labels[test_rows]]
            if with_fake and n_fake:
                parts_x.insert(1, fake_x)
                parts_y.insert(1, fake_y)
            x, y = torch.cat(parts_x), torch.cat(parts_y)
            n_train = len(x) - len(test_rows)
            pool = ImageData("mnist", x, y, data.source, {})
            split = ClassifierSplit(
                torch.arange(n_train),
                torch.arange(n_train, len(x)),
                f"{n_real} real digits" + (f" + {n_fake} generated" if with_fake else ""),
            )
            # the same number of optimiser steps for both arms: epochs scaled to the training-set size
            epochs = max(1, round(steps * 64 / n_train))
            batch = min(64, n_train)
            _, report = train_classifier(pool, epochs=epochs, seed=seed, batch_size=batch, device="cpu", split=split)
            accs.append(report.heldout_accuracy)
            done += 1
            if progress is not None:
                progress(
                    done,
                    2 * len(seeds),
                    f"seed {seed}, {'with' if with_fake else 'without'} generated digits: "
                    f"{report.heldout_accuracy:.1%}",
                )
        result.trials.append(AugmentTrial(int(seed), *accs))
    result.seconds = time.perf_counter() - t0
    if any(not math.isfinite(t.acc_real) or not math.isfinite(t.acc_aug) for t in result.trials):
        raise RuntimeError("The experiment produced a non-finite accuracy.")
    return result
