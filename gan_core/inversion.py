"""Find my digit: GAN inversion, the z (and label) for which G draws a given digit.

Given a target digit x (28x28, in [-1, 1]) and a trained, frozen generator G, look for

    z* = argmin_z  L(G(z, y), x) + lambda * |z|^2 / d,        z kept inside the sliders' box [-3, 3]^d

    L(a, b) = mean (a - b)^2  +  mean (blur(a) - blur(b))^2

G has no encoder, so the only way back from an image to a z is to search. Two stages, both
batched so that one forward pass tries many candidates at once:

1. **Best of many random starts.** Draw `starts` z from the prior (for a conditional G, shared
   among all ten labels, so the label is searched too), score each by L, keep the `keep` best
   (z, label) pairs. Stage 1 stops early on a slow machine to leave time for stage 2. The loss surface of G is far from
   convex; a good start matters more than a clever optimiser.
2. **Gradient descent on z** (Adam) from those starts, G frozen: the gradient flows through G
   into z only. After every step z is clipped to [-3, 3] (the sliders' range, +-3 sigma of the
   prior), so the found z can be put straight into the sliders.

The blurred term gives a useful gradient even where a generated stroke and the target stroke do
not overlap yet (pixel MSE alone only sees pixels that overlap). The small prior term lambda |z|^2
keeps z where the prior has mass, where G's digits look like digits.

Time is bounded by a deadline (default 1.5 s of wall clock), not only by a step count, so it
stays interactive on a slow CPU; `callback(fraction, best_error)` reports progress.

The generator is never modified: it stays in eval mode (it may be shared by many sessions), its
parameters are never handed to an optimiser, and gradients are only asked of z.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .data import to_pixels, to_unit_range
from .sampling import LATENT_RANGE

DEADLINE_S = 1.5  # wall-clock budget: under the 2 s a student waits for a button on one CPU thread
STARTS = 512  # random z tried in stage 1, shared among the labels of a conditional G: ~0.2 s (DCGAN)
START_SHARE = 0.4  # stage 1 stops after this share of the deadline, whatever is left to try
MIN_PER_LABEL = 48  # a conditional G still gets this many starts per label
KEEP = 4  # best starts refined in stage 2, in one batch (4 vs 8: more steps in the same time, measured better)
LR = 0.1  # Adam step on z: ~1/10 of the prior's sigma per step (0.05 converged slower within 1.5 s)
PRIOR_WEIGHT = 0.002  # lambda: a gentle pull toward the prior's shell, small next to a pixel error of ~0.05
MAX_STEPS = 400  # enough to converge on a fast machine; the deadline usually ends first
BLUR = 3  # box-blur kernel for the coarse term (px)


@dataclass
class InversionResult:
    z: torch.Tensor  # (latent,) the best z found, inside [-3, 3]
    label: int | None  # the class label found (conditional G), else None
    image: np.ndarray  # (28, 28) uint8: G(z, label)
    error: float  # root mean squared pixel error vs the target, pixels in [0, 1]
    start_error: float  # the same for the best random start (before gradient descent)
    steps: int  # gradient steps taken
    seconds: float
    history: list = field(default_factory=list)  # best error after each step

    def to_dict(self) -> dict:
        return {
            "z": [round(float(v), 4) for v in self.z],
            "label": self.label,
            "rmse": round(self.error, 5),
            "start_rmse": round(self.start_error, 5),
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
        }


def _target(x) -> torch.Tensor:
    """uint8 pixels (28, 28) or floats in [-1, 1] -> (1, 1, 28, 28) float32 in [-1, 1]."""
    t = torch.as_tensor(np.asarray(x))
    if t.dtype == torch.uint8:
        return to_unit_range(t.reshape(1, 28, 28))
    return t.float().reshape(1, 1, 28, 28)


def _blur(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, BLUR, stride=1, padding=BLUR // 2, count_include_pad=False)


def pixel_loss(images: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L per candidate: MSE plus blurred MSE. images (B, 1, 28, 28), target (1, 1, 28, 28) -> (B,)"""
    fine = (images - target).square().mean(dim=(1, 2, 3))
    coarse = (_blur(images) - _blur(target)).square().mean(dim=(1, 2, 3))
    return fine + coarse


def rmse(images: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Root mean squared error on pixels in [0, 1] (a quarter of the [-1, 1] scale's MSE). (B,)"""
    return ((images - target).square().mean(dim=(1, 2, 3)) / 4.0).sqrt()


def _labels(G, label) -> list[int] | None:
    if not getattr(G, "conditional", False):
        return None
    if label is None:
        return list(range(G.num_classes))
    if not 0 <= int(label) < G.num_classes:
        raise ValueError(f"Labels must be in 0..{G.num_classes - 1}.")
    return [int(label)]


def invert(
    G: torch.nn.Module,
    target,
    label: int | None = None,
    deadline: float = DEADLINE_S,
    starts: int = STARTS,
    keep: int = KEEP,
    max_steps: int = MAX_STEPS,
    seed: int = 0,
    callback=None,
) -> InversionResult:
    """Search for z (and, for a conditional G without a given `label`, the label) with G(z) ~ target.

    target: (28, 28) uint8 pixels or floats in [-1, 1]. G must be in eval mode; it is not changed.
    callback(fraction_done, best_rmse) is called after the starts and every few steps.
    """
    if G.training:
        raise RuntimeError("Invert a generator in eval mode (G.eval()): BatchNorm must use its running statistics.")
    t0 = time.monotonic()
    end = t0 + deadline
    device = next(G.parameters()).device
    x = _target(target).to(device)  # (1, 1, 28, 28)
    labels = _labels(G, label)
    gen = torch.Generator().manual_seed(int(seed))

    # 1. best of many random starts (every label for a conditional G)
    with torch.no_grad():
        per_label = starts if labels is None else max(MIN_PER_LABEL, starts // len(labels))
        z0 = torch.randn(per_label, G.latent_dim, generator=gen).clamp_(-LATENT_RANGE, LATENT_RANGE)  # (S, latent)
        if labels is None:
            zs, ys = z0, None
        else:
            zs = z0.repeat(len(labels), 1)  # (S*L, latent)
            ys = torch.tensor(labels).repeat_interleave(per_label)  # (S*L,)
        if ys is not None:  # interleave labels, so a cut-short stage 1 tries them all
            order = torch.randperm(len(zs), generator=gen)
            zs, ys = zs[order], ys[order]
        losses = []
        for i in range(0, len(zs), 256):
            yb = ys[i : i + 256].to(device) if ys is not None else None
            losses.append(pixel_loss(G(zs[i : i + 256].to(device), yb), x).cpu())
            if time.monotonic() > t0 + START_SHARE * deadline:  # a slow machine: keep time for stage 2
                break
        losses = torch.cat(losses)  # (scored,)
        zs = zs[: len(losses)]
        ys = ys[: len(losses)] if ys is not None else None
    best = torch.argsort(losses)[:keep]
    z = zs[best].clone().to(device).requires_grad_(True)  # (K, latent)
    y = ys[best].to(device) if ys is not None else None  # (K,)
    with torch.no_grad():
        start_err = float(rmse(G(zs[best[:1]].to(device), None if y is None else y[:1]), x)[0])
    if callback:
        callback(min(1.0, (time.monotonic() - t0) / deadline), start_err)

    # 2. Adam on z only, written out (torch.optim's first use imports its compiler stack: seconds)
    m, v = torch.zeros_like(z), torch.zeros_like(z)  # Adam's moment estimates
    b1, b2, eps = 0.9, 0.999, 1e-8
    history, steps = [], 0
    best_z, best_err, best_y = z[0].detach().clone(), start_err, (None if y is None else int(y[0]))
    with torch.enable_grad():
        while steps < max_steps and time.monotonic() < end:
            z_before = z.detach().clone()  # (K, latent)
            images = G(z, y)  # (K, 1, 28, 28)
            per = pixel_loss(images, x) + PRIOR_WEIGHT * z.square().mean(dim=1)  # (K,)
            (grad,) = torch.autograd.grad(per.sum(), z)  # candidates are independent; only z gets a gradient
            with torch.no_grad():
                m.mul_(b1).add_(grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
                step_size = LR * math.sqrt(1 - b2 ** (steps + 1)) / (1 - b1 ** (steps + 1))
                z.sub_(step_size * m / (v.sqrt() + eps))
                z.clamp_(-LATENT_RANGE, LATENT_RANGE)  # stay in the sliders' box
                errs = rmse(images.detach(), x)  # (K,) error of z_before
            steps += 1
            i = int(torch.argmin(errs))
            if float(errs[i]) < best_err:
                best_err, best_z = float(errs[i]), z_before[i]
                best_y = None if y is None else int(y[i])
            history.append(best_err)
            if callback and steps % 10 == 0:
                callback(min(1.0, (time.monotonic() - t0) / deadline), best_err)
    # the last step's z has not been scored yet: score the final batch once more
    with torch.no_grad():
        errs = rmse(G(z.detach(), y), x)
        i = int(torch.argmin(errs))
        if float(errs[i]) < best_err:
            best_err, best_z, best_y = float(errs[i]), z[i].detach().clone(), (None if y is None else int(y[i]))
        image = G(best_z[None], None if best_y is None else torch.tensor([best_y], device=device))
    if callback:
        callback(1.0, best_err)
    pixels = to_pixels(image)[0].cpu().numpy()  # (28, 28) uint8
    return InversionResult(best_z.cpu(), best_y, pixels, best_err, start_err, steps, time.monotonic() - t0, history)
