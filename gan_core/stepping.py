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
import weakref
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

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


def _state(net) -> tuple:
    """What G's or D's output on a fixed batch depends on, copied: its weights and its buffers, except BatchNorm's
    running statistics in training mode (there BatchNorm normalises with the batch's own statistics; spectral
    norm's vectors, by contrast, always count). A copy, not a version counter: optimisers update weights in place
    without bumping `Tensor._version`. A few MB at most, copied and compared in milliseconds."""
    tensors = list(net.parameters()) + [
        b
        for m in net.modules()
        if not (isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training)
        for b in m.buffers(recurse=False)
    ]
    return id(net), net.training, [t.detach().clone() for t in tensors]


def _same(a: tuple, b: tuple) -> bool:
    return a[:2] == b[:2] and len(a[2]) == len(b[2]) and all(torch.equal(x, y) for x, y in zip(a[2], b[2]))


@dataclass
class _Look:
    """One look at the two players: D's scores on the probes, G's fixed fakes, and the nets' signatures."""

    real: np.ndarray  # (64,) D's score on the real probe
    fake: np.ndarray  # (64,) D's score on G's fixed fakes
    images: np.ndarray  # (64, 28, 28) the fixed fakes in [0, 1]
    fakes: torch.Tensor  # (64, 1, 28, 28) the same fakes in [-1, 1], as D is shown them
    g_state: tuple  # G's and D's weights when looked at (_state)
    d_state: tuple


# The last look after a step, per trainer: the next click's "before" when nothing moved in between (a run in step
# mode is paused), so a click looks once instead of twice. Weak: a trainer that goes away takes its look with it.
_LAST: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@torch.inference_mode()
def _look(trainer, real, real_y, before: _Look | None = None) -> _Look:
    """D's scores on the real probe and on G(fixed z), and G(fixed z) as images in [0, 1].

    With `before`, only what the step could have changed is computed again: after a D step G is the same, so
    are its fakes (only D scores again); after a G step D is the same, so are its scores on the real digits.

    The nets are looked at in training mode, as the training phases see them (BatchNorm normalises
    with the probe batch's own statistics), and their buffers (BatchNorm's running statistics) are put
    back afterwards: a look changes nothing, so before/after differ only by the step's weight update."""
    G, D = trainer.G, trainer.D
    g_state, d_state = _state(G), _state(D)
    same_g = before is not None and _same(before.g_state, g_state)
    same_d = before is not None and _same(before.d_state, d_state)
    if same_g and same_d:
        return before
    saved = [(b, b.clone()) for net in (G, D) for b in net.buffers()]
    try:
        if same_g:
            fakes, images = before.fakes, before.images
        else:
            fakes = G(trainer.fixed_z, trainer.fixed_y).float()  # (64, 1, 28, 28) in [-1, 1]
            images = ((fakes[:, 0] + 1.0) / 2.0).clamp(0, 1).cpu().numpy()  # (64, 28, 28)
        s_fake = D(fakes, None if trainer.cfg.info_codes else trainer.fixed_y).float()  # (64,)
        if LOSS_INFO[trainer.cfg.loss].probabilistic:
            s_fake = torch.sigmoid(s_fake)
        if same_d:
            s_real = before.real
        else:
            s_real = D(real, real_y).float()  # (64,)
            s_real = (torch.sigmoid(s_real) if LOSS_INFO[trainer.cfg.loss].probabilistic else s_real).cpu().numpy()
    finally:
        for b, copy in saved:
            b.copy_(copy)
    return _Look(s_real, s_fake.cpu().numpy(), images, fakes, g_state, d_state)


def can_step(run) -> bool:
    """Whether `run` can be stepped here: an in-process Trainer can; a run in a Ray worker cannot yet."""
    return hasattr(run, "update_d") and hasattr(run, "update_g")


def update(trainer, kind: str) -> None:
    """The update itself, the same code as training: "d" one D update, "g" one G update on fresh fakes, "both"
    `train_step`'s two phases (cfg.d_steps D updates, then G on the last D update's fakes)."""
    if kind == "d":
        trainer.update_d(1)
    elif kind == "g":
        trainer.update_g(*trainer.fresh_fakes())
    else:
        trainer.update_g(*trainer.update_d()[:3])


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
    before = _look(trainer, real, real_y, _LAST.get(trainer))  # the last step's "after" when nothing moved since
    update(trainer, kind)
    _LAST[trainer] = after = _look(trainer, real, real_y, before)
    return StepResult(
        kind=kind,
        real_before=before.real,
        real_after=after.real,
        fake_before=before.fake,
        fake_after=after.fake,
        images_before=before.images,
        images_after=after.images,
        real_images=((real[:, 0] + 1.0) / 2.0).cpu().numpy(),
        probabilistic=LOSS_INFO[trainer.cfg.loss].probabilistic,
        seconds=time.perf_counter() - t0,
    )
