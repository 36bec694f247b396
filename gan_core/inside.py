"""Look inside: what G computes on its way from one z to a digit, and what D makes of the result.

A DCGAN generator builds the digit in three stages, each a stack of feature maps (channels):

    z (latent,)  --project + reshape-->  (2w, 7, 7)  --up-conv-->  (w, 14, 14)  --up-conv + tanh-->  (1, 28, 28)

Every channel of a stage is one learned detector laid over the image: after training, some light up
where a stroke will be, some on the background. The MLP generator has no spatial layers: its hidden
layers are plain vectors (4w and 8w numbers), shown as strips of values.

D's verdict: D outputs a score s(x) (a logit). For the minimax and non-saturating losses
D(x) = sigmoid(s) is a probability that x is real. For least-squares, hinge and WGAN-GP the score
is *not* a probability (least-squares aims real digits at 1 and fakes at 0; hinge wants real > 1
and fake < -1; a Wasserstein critic's score has no fixed scale, only differences mean something),
so the verdict also ranks the score among D's scores of `reference` random digits from the same G.

Activations come from G.trace (every model in gan_core.models names its intermediate results), run
under inference_mode on a generator in eval mode: safe on a model shared between sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .data import to_pixels
from .i18n import _, format_number, format_percent
from .losses import LOSS_INFO


@dataclass
class Stage:
    name: str  # "7x7", "14x14", "hidden 1", ...
    activations: np.ndarray  # (C, H, W) feature maps, or (N,) for an MLP's hidden vector; float32
    top_channels: list[int] = field(default_factory=list)  # channels by mean activation, strongest first

    @property
    def spatial(self) -> bool:
        return self.activations.ndim == 3

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.activations.shape)

    def describe(self) -> str:
        if self.spatial:
            c, h, w = self.shape
            return f"{c} feature maps of {h}x{w}"
        return f"a vector of {self.shape[0]} numbers"


@dataclass
class Verdict:
    loss: str
    score: float  # D's raw output s(x) for the digit
    probability: float | None  # sigmoid(s) when the loss makes D a probability, else None
    reference_scores: np.ndarray  # D's scores of random digits from the same G (for context)

    @property
    def probabilistic(self) -> bool:
        return self.probability is not None

    @property
    def rank(self) -> float:
        """Share of the reference digits that D scores lower than this one (0..1): higher = looks more real to D."""
        if len(self.reference_scores) == 0:
            return float("nan")
        return float((self.reference_scores < self.score).mean())

    def sentence(self) -> str:
        """D's verdict in words."""
        if self.probabilistic:
            p = self.probability
            said = (
                _("D says this digit is real with probability {p}, so it calls it real.")
                if p >= 0.5
                else _("D says this digit is real with probability {p}, so it calls it fake.")
            )
            return said.format(p=format_number(p, 2)) + f" (D(x) = sigmoid(score) = sigmoid({self.score:.2f}).)"
        what = _(LOSS_INFO[self.loss].score_meaning)
        return _(
            "D's score is {score}, {what}; it is not a probability. It is higher than "
            "{share} of the scores D gives {n} random digits of this G."
        ).format(
            score=format_number(self.score, 2),
            what=what,
            share=format_percent(self.rank),
            n=len(self.reference_scores),
        )


@dataclass
class Inside:
    stages: list[Stage]  # G's intermediate activations, input side first (the image excluded)
    image: np.ndarray  # (28, 28) uint8: the digit G drew
    verdict: Verdict | None  # None when no discriminator is available


def top_channels(act: np.ndarray, k: int | None = None) -> list[int]:
    """Channels of a (C, H, W) stack ordered by mean activation, strongest first (all of them when k is None)."""
    order = np.argsort(-act.reshape(act.shape[0], -1).mean(axis=1), kind="stable")
    return [int(c) for c in (order if k is None else order[:k])]


@torch.inference_mode()
def look_inside(
    G: torch.nn.Module,
    z: torch.Tensor,
    label: int | None = None,
    D: torch.nn.Module | None = None,
    loss: str = "non-saturating",
    reference: int = 256,
    seed: int = 0,
) -> Inside:
    """G's intermediate activations for one z (latent,), the digit, and D's verdict on it.

    G and D must be in eval mode (BatchNorm uses its running statistics, so one z is enough).
    `reference` random digits of G (seeded) give a non-probabilistic score something to compare with.
    """
    if G.training or (D is not None and D.training):
        raise RuntimeError("Look inside models in eval mode: BatchNorm must use its running statistics.")
    if loss not in LOSS_INFO:
        raise ValueError(f"Unknown loss {loss!r}; known: {', '.join(LOSS_INFO)}.")
    z = torch.as_tensor(z, dtype=torch.float32).reshape(1, -1)  # (1, latent)
    if z.shape[1] != G.latent_dim:
        raise ValueError(f"This generator takes {G.latent_dim}-dimensional z, got {z.shape[1]}.")
    device = next(G.parameters()).device
    y = None
    if G.conditional:
        if label is None:
            raise ValueError("This generator is conditional: say which digit (label) to draw.")
        y = torch.tensor([int(label)], device=device)  # (1,)
    trace = G.trace(z.to(device), y)
    *hidden, (_, img) = trace  # img: (1, 1, 28, 28)
    stages = []
    for name, act in hidden:
        a = act[0].float().cpu().numpy()  # (C, H, W) or (N,)
        stages.append(Stage(name, a, top_channels(a) if a.ndim == 3 else []))
    image = to_pixels(img).cpu()[0].numpy()  # (28, 28) uint8
    verdict = None
    if D is not None:
        score = float(D(img, y)[0])
        gen = torch.Generator().manual_seed(seed)
        zr = torch.randn(reference, G.latent_dim, generator=gen).to(device)  # (R, latent)
        yr = torch.randint(G.num_classes, (reference,), generator=gen).to(device) if G.conditional else None
        ref = D(G(zr, yr), yr).float().cpu().numpy() if reference else np.zeros(0)  # (R,)
        prob = float(torch.sigmoid(torch.tensor(score))) if LOSS_INFO[loss].probabilistic else None
        verdict = Verdict(loss, score, prob, ref)
    return Inside(stages, image, verdict)


def feature_map_pixels(maps: np.ndarray) -> np.ndarray:
    """(k, H, W) float feature maps as uint8 images, each scaled to its own range (black = its lowest value,
    white = its highest), so a weak channel still shows its pattern. A constant map is mid grey."""
    maps = np.asarray(maps, dtype=np.float32)
    lo = maps.min(axis=(1, 2), keepdims=True)
    hi = maps.max(axis=(1, 2), keepdims=True)
    span = np.where(hi - lo > 1e-8, hi - lo, 1.0)
    out = np.where(hi - lo > 1e-8, (maps - lo) / span, 0.5)
    return np.round(out * 255).astype(np.uint8)  # (k, H, W)


def vector_strip(values: np.ndarray, width: int = 32) -> np.ndarray:
    """An MLP's hidden vector (N,) as a (ceil(N / width), width) uint8 picture, scaled to its own range."""
    v = np.asarray(values, dtype=np.float32).ravel()
    rows = -(-len(v) // width)
    padded = np.full(rows * width, np.nan, dtype=np.float32)
    padded[: len(v)] = v
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    scaled = (padded - lo) / (hi - lo) if hi - lo > 1e-8 else np.full_like(padded, 0.5)
    pixels = np.where(np.isnan(scaled), 0.0, scaled)
    return np.round(pixels * 255).astype(np.uint8).reshape(rows, width)
