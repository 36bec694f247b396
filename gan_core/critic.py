"""Ask the discriminator: what a trained D thinks of any digit, a student's own included.

D was trained to tell the training digits from G's fakes, so its score on a new picture says how
much the picture looks like "the real digits *as D learned them*" (for a conditional D: like a real
digit of the given class). How to read the score depends on the loss it was trained with:

    minimax / non-saturating   D(x) = sigmoid(s(x)), a probability: 1 = surely real, 0 = surely fake
    least-squares              s(x) regressed toward 1 for real and 0 for fake: near 1 = real
    hinge, WGAN-GP             s(x) is a score with no fixed scale: only comparisons mean something
                               ("my digit scores higher than G's digit")

That last point is why the app always shows the score of a real digit and of a generated digit
beside the student's: D's opinion is a comparison, not an absolute verdict. And D is not a digit
classifier: at the end of a good training D is *meant* to be unsure (D(x) ~ 1/2 everywhere).

D is used in eval mode (BatchNorm with its running statistics) under inference_mode; it may be
shared by many sessions and is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .i18n import _
from .losses import LOSS_INFO


@dataclass
class DScore:
    logit: float  # s(x), D's raw output
    probability: float | None  # sigmoid(s(x)) for the BCE losses, else None
    scale: str  # how to read it, in words

    @property
    def value(self) -> float:
        """The number to show: a probability where D gives one, else the raw score."""
        return self.probability if self.probability is not None else self.logit


def score_scale(loss: str) -> str:
    info = LOSS_INFO[loss]
    if info.probabilistic:
        return _("D(x): {meaning}").format(meaning=_(info.score_meaning))
    if info.targets:
        return _("D's score: {meaning}").format(meaning=_(info.score_meaning))
    return _("D's score (higher = more real-looking), {meaning}; it has no fixed scale, so compare the three").format(
        meaning=_(info.score_meaning)
    )


def ask_discriminator(D: torch.nn.Module, images, loss: str, labels=None) -> list[DScore]:
    """D's verdict on each image. images: (n, 28, 28) uint8 pixels (or one (28, 28)); labels: one int
    or (n,) for a conditional D."""
    if D.training:
        raise RuntimeError("Ask a discriminator in eval mode (D.eval()): BatchNorm must use its running statistics.")
    x = torch.as_tensor(np.asarray(images))
    if x.dtype != torch.uint8:
        raise ValueError("Give D uint8 pixels (0..255).")
    x = x.reshape(-1, 1, 28, 28).float() / 127.5 - 1.0  # (n, 1, 28, 28) in [-1, 1]
    y = None
    if getattr(D, "conditional", False):
        if labels is None:
            raise ValueError("This discriminator is conditional: say which digit the picture is meant to be.")
        y = torch.as_tensor(labels, dtype=torch.long)
        y = y.expand(len(x)) if y.dim() == 0 else y  # (n,)
    device = next(D.parameters()).device
    with torch.inference_mode():
        logits = D(x.to(device), None if y is None else y.to(device)).float().cpu()  # (n,)
    prob = LOSS_INFO[loss].probabilistic
    scale = score_scale(loss)
    return [DScore(float(s), float(torch.sigmoid(s)) if prob else None, scale) for s in logits]
