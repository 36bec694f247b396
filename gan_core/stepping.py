"""Step mode on digits: one D update, one G update or one full iteration, and what each one changed.

A paused run can be stepped by hand. Each step runs the same phase of `Trainer.train_step` that
training runs (`Trainer.update_d`, `Trainer.update_g`), and returns plain data a page can draw:

* after a D step, D's verdict on 64 fixed real digits and on G's 64 fixed fakes, before and after:
  D ascends log D(x) + log(1 - D(G(z))), so on average real scores go up and fake scores go down
  ("D learned to reject these");
* after a G step, each fixed fake before and after, and |after - before| per pixel: G descends
  -log D(G(z)), so D's score on the fakes goes up ("G moved these pixels to fool D").

Scores are D's probability sigmoid(s) for the probabilistic losses, and the raw score s for the
others (WGAN-GP, hinge, least-squares), as in the run's charts (`losses.d_score`). Everything returned
is numpy: it crosses a process boundary (the Ray backend) as it is. Steps are not added to the run's
history: they are a slow-motion look at the game, not part of the recorded curve.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from .data import to_unit_range
from .i18n import _
from .losses import LOSS_INFO

PROBE = 64  # fixed real digits and fixed fakes shown (the fixed-noise grid is 64 too)


@dataclass
class StepResult:
    """What one step changed. Arrays are numpy; images are (64, 28, 28) floats in [0, 1]."""

    kind: str  # "d", "g" or "both"
    real_before: np.ndarray  # (64,) D's score on the fixed real digits
    real_after: np.ndarray
    fake_before: np.ndarray  # (64,) D's score on the fixed fakes
    fake_after: np.ndarray
    images_before: np.ndarray  # (64, 28, 28) G's fixed fakes before the step
    images_after: np.ndarray
    real_images: np.ndarray  # (64, 28, 28) the real digits scored
    probabilistic: bool  # scores are probabilities (else raw critic scores)
    seconds: float = 0.0

    @property
    def change(self) -> np.ndarray:
        """(64, 28, 28) |after - before| per pixel, in [0, 1]: where G moved each fake."""
        return np.abs(self.images_after - self.images_before)


def _real_probe(trainer) -> torch.Tensor:
    """The 64 real digits D is asked about: spread evenly over the data set, the same on every step."""
    n = len(trainer.images)
    idx = torch.linspace(0, n - 1, PROBE).long().to(trainer.device)  # (64,)
    return to_unit_range(trainer.images[idx]), (trainer.labels[idx] if trainer.cfg.conditional else None)


@torch.no_grad()
def _look(trainer, real, real_y):
    """D's scores on the real probe and on G(fixed z), and G(fixed z) as images in [0, 1].

    The nets are looked at in training mode, as the training phases see them (BatchNorm normalises
    with the probe batch's own statistics), and their buffers (BatchNorm's running statistics) are put
    back afterwards: a look changes nothing, so before/after differ only by the step's weight update."""
    G, D = trainer.G, trainer.D
    saved = [(b, b.clone()) for net in (G, D) for b in net.buffers()]
    try:
        return _scores(trainer, G, D, real, real_y)
    finally:
        for b, copy in saved:
            b.copy_(copy)


def _scores(trainer, G, D, real, real_y):
    fakes = G(trainer.fixed_z, trainer.fixed_y).float()  # (64, 1, 28, 28) in [-1, 1]
    s_real = D(real, real_y).float()  # (64,)
    s_fake = D(fakes, None if trainer.cfg.info_codes else trainer.fixed_y).float()  # (64,)
    if LOSS_INFO[trainer.cfg.loss].probabilistic:
        s_real, s_fake = torch.sigmoid(s_real), torch.sigmoid(s_fake)
    img = ((fakes[:, 0] + 1.0) / 2.0).clamp(0, 1)  # (64, 28, 28)
    return s_real.cpu().numpy(), s_fake.cpu().numpy(), img.cpu().numpy()


def can_step(run) -> bool:
    """Whether `run` can be stepped here: an in-process Trainer can; a run in a Ray worker cannot yet."""
    return hasattr(run, "update_d") and hasattr(run, "update_g")


def step(trainer, kind: str) -> StepResult:
    """Run one step of `kind` on a paused (or not yet started) Trainer and return what changed.

    kind "d": one D update (`update_d(1)`); "g": one G update on fresh fakes; "both": one full
    iteration, `train_step`'s two phases (cfg.d_steps D updates, then G on the last D update's fakes).
    """
    if kind not in ("d", "g", "both"):
        raise ValueError(f"kind must be 'd', 'g' or 'both', not {kind!r}")
    if not can_step(trainer):
        raise NotImplementedError(
            _("Step mode needs a run trained in this server's process; runs on Ray cannot be stepped yet.")
        )
    if trainer.status not in ("ready", "paused"):
        raise RuntimeError(_("Pause the run before stepping it (status: {status}).").format(status=trainer.status))
    t0 = time.perf_counter()
    real, real_y = _real_probe(trainer)
    real_b, fake_b, img_b = _look(trainer, real, real_y)
    if kind == "d":
        trainer.update_d(1)
    elif kind == "g":
        trainer.update_g(*trainer.fresh_fakes())
    else:
        trainer.update_g(*trainer.update_d()[:3])
    real_a, fake_a, img_a = _look(trainer, real, real_y)
    return StepResult(
        kind=kind,
        real_before=real_b,
        real_after=real_a,
        fake_before=fake_b,
        fake_after=fake_a,
        images_before=img_b,
        images_after=img_a,
        real_images=((real[:, 0] + 1.0) / 2.0).cpu().numpy(),
        probabilistic=LOSS_INFO[trainer.cfg.loss].probabilistic,
        seconds=time.perf_counter() - t0,
    )
