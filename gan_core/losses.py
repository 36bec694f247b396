r"""GAN losses, each beside the math it computes.

D outputs a logit s; for the probabilistic losses D(x) = sigmoid(s(x)). The original GAN plays

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]                    (Goodfellow et al. 2014)

D ascends V, i.e. minimises the summed binary cross-entropy

    L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]

whose value when D is maximally confused (D = 1/2 everywhere) is log 2 + log 2 = ln 4 ~ 1.386: the
equilibrium line on the D-loss chart. The losses below differ in what G minimises and, for the last
three, in what D outputs:

* minimax (saturating)   L_G = E_z[log(1 - D(G(z)))]     equilibrium -ln 2. When D confidently rejects
                         fakes, D(G(z)) ~ 0 and dL_G/ds = -sigmoid(s) ~ 0: G's gradient vanishes.
* non-saturating         L_G = -E_z[log D(G(z))]         equilibrium ln 2 ~ 0.693. Same fixed point,
                         but dL_G/ds = sigmoid(s) - 1 ~ -1 when D wins: strong gradients early on.
* least-squares (LSGAN)  L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2],  L_G = 1/2 E[(D(G(z)) - 1)^2]
                         on raw outputs D = s (Mao et al. 2017).
* hinge                  L_D = E[max(0, 1 - s(x))] + E[max(0, 1 + s(G(z)))],  L_G = -E[s(G(z))]
* wgan-gp                L_D = E[s(G(z))] - E[s(x)] + lambda E[(||grad_x_hat s(x_hat)||_2 - 1)^2],
                         x_hat = eps x + (1 - eps) G(z),  L_G = -E[s(G(z))]  (Gulrajani et al. 2017).
                         -L_D without the penalty estimates the Wasserstein-1 distance.

InfoGAN (Chen et al. 2016) adds a code c ~ Uniform{0..K-1} to G's input and plays

    min_{G,Q} max_D  V(D, G) - lambda L_I(G, Q),   L_I = E_{z,c}[log Q(c | G(z, c))] + H(c) <= I(c; G(z, c))

so besides its usual loss G (and the head Q on D) minimise the code's cross-entropy -E[log Q(c | G(z, c))]
(`info_loss_fn`). At its best value 0, the code can be read off every picture: I(c; G(z, c)) = H(c) = ln K.

One-sided label smoothing (Salimans et al. 2016) replaces D's real target 1 by 1 - smoothing, so D
never becomes over-confident about real data; fakes keep target 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .i18n import N_

LN4 = math.log(4.0)
LN2 = math.log(2.0)


# Each loss as two functions of D's logits s, beside its formula. Real batch (B,), fake batch (B,).
def _bce_d(real_logits, fake_logits, real_target):
    # -E[log D(x)] - E[log(1 - D(G(z)))] as BCE on logits (numerically stable, no log(0)).
    # With smoothing the real term is BCE against 1 - s: -(1-s) log D(x) - s log(1 - D(x)).
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_target))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def _minimax_g(fake_logits):
    # E[log(1 - D(G(z)))] = E[log(1 - sigmoid(s))] = -E[softplus(s)]
    return -F.softplus(fake_logits).mean()


def _non_saturating_g(fake_logits):
    # -E[log D(G(z))] = -E[log sigmoid(s)] = E[softplus(-s)]
    return F.softplus(-fake_logits).mean()


def _least_squares_d(real_logits, fake_logits, real_target):
    # 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2] on raw scores D = s
    return 0.5 * ((real_logits - real_target) ** 2).mean() + 0.5 * (fake_logits**2).mean()


def _least_squares_g(fake_logits):
    # 1/2 E[(D(G(z)) - 1)^2]
    return 0.5 * ((fake_logits - 1.0) ** 2).mean()


def _hinge_d(real_logits, fake_logits, real_target):
    # E[max(0, 1 - s(x))] + E[max(0, 1 + s(G(z)))]: only scores inside the margin [-1, 1] count
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def _wasserstein_d(real_logits, fake_logits, real_target):
    # E[s(G(z))] - E[s(x)]: minus the critic's estimate of the Wasserstein-1 distance (penalty added apart)
    return fake_logits.mean() - real_logits.mean()


def _score_g(fake_logits):
    # -E[s(G(z))]: G raises the score D gives its fakes (hinge and WGAN)
    return -fake_logits.mean()


@dataclass(frozen=True)
class LossInfo:
    """Everything the rest of gan_core needs to know about a loss: a new loss is one entry in LOSS_INFO
    (or `register_loss`) with its two functions; the trainer, the config checks, the models, D's verdict
    in words and the charts all read it from here."""

    name: str
    description: str  # marked N_() (English), translated where shown: _(info.description)
    d_loss: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]  # (real_logits, fake_logits, real_target)
    g_loss: Callable[[torch.Tensor], torch.Tensor]  # (fake_logits,)
    probabilistic: bool  # D's output is a probability sigmoid(s): D(x) plots on [0, 1]
    d_equilibrium: float | None  # L_D when D is maximally confused (None: no such level)
    g_equilibrium: float | None
    score_meaning: str  # what D's number means, in words (for "ask D" and the charts)
    targets: bool = True  # D is trained toward targets (1 real, 0 fake): label smoothing applies
    gradient_penalty: bool = False  # D pays WGAN-GP's penalty: per-sample gradients, so no BatchNorm,
    # spectral norm or minibatch statistic in D (they would change them)
    title: str = ""  # the name in sentences ("WGAN-GP"); the key itself when empty

    @property
    def label(self) -> str:
        return self.title or self.name

    @property
    def d_batchnorm(self) -> bool:
        """Whether D may use BatchNorm: not when a per-sample gradient penalty is part of its loss."""
        return not self.gradient_penalty


_PROBABILITY = "the probability D gives that x is real (1 = real, 0 = fake)"
LOSS_INFO: dict[str, LossInfo] = {}


def register_loss(info: LossInfo) -> LossInfo:
    """Add a loss to LOSS_INFO (the Train page's loss menu, GANConfig.validate and the trainer read it)."""
    if info.name in LOSS_INFO:
        raise ValueError(f"A loss named {info.name!r} exists already.")
    LOSS_INFO[info.name] = info
    return info


for _info in (
    LossInfo(
        "minimax",
        N_("The original saturating loss: G minimises log(1 - D(G(z)))."),
        _bce_d,
        _minimax_g,
        True,
        LN4,
        -LN2,
        _PROBABILITY,
    ),
    LossInfo(
        "non-saturating",
        N_("G maximises log D(G(z)) instead: same goal, strong early gradients."),
        _bce_d,
        _non_saturating_g,
        True,
        LN4,
        LN2,
        _PROBABILITY,
    ),
    LossInfo(
        "least-squares",
        N_("LSGAN: squared distance to the targets 1 (real) and 0 (fake)."),
        _least_squares_d,
        _least_squares_g,
        False,
        None,
        None,
        "a least-squares score: D is trained towards 1 for real digits and 0 for fakes",
    ),
    LossInfo(
        "hinge",
        N_("Hinge loss: D only cares about scores inside the margin [-1, 1]."),
        _hinge_d,
        _score_g,
        False,
        None,
        None,
        "a hinge score: D is trained to score real digits above +1 and fakes below −1",
        targets=False,
    ),
    LossInfo(
        "wgan-gp",
        N_("Wasserstein loss: a critic scores realness; a gradient penalty keeps it 1-Lipschitz."),
        _wasserstein_d,
        _score_g,
        False,
        None,
        None,
        "a Wasserstein critic score: only differences between scores mean something",
        targets=False,
        gradient_penalty=True,
        title="WGAN-GP",
    ),
):
    register_loss(_info)


def _info(loss: str) -> LossInfo:
    try:
        return LOSS_INFO[loss]
    except KeyError:
        raise ValueError(f"Unknown loss {loss!r}; known: {', '.join(LOSS_INFO)}.") from None


def d_loss_fn(
    loss: str, real_logits: torch.Tensor, fake_logits: torch.Tensor, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Discriminator loss (to minimise) from D's logits on a real batch (B,) and a fake batch (B,).

    One-sided label smoothing moves the real target from 1 to 1 - smoothing. WGAN-GP's gradient
    penalty is added separately by `gradient_penalty`, since it needs D itself.
    """
    return _info(loss).d_loss(real_logits, fake_logits, 1.0 - label_smoothing)


def g_loss_fn(loss: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss (to minimise) from D's logits on a fake batch (B,)."""
    return _info(loss).g_loss(fake_logits)


def info_loss_fn(code_logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """InfoGAN's -E[log Q(c | G(z, c))]: cross-entropy of Q's code logits (B, K) against the codes G was given (B,).

    ln K (2.30 for 10 codes) when Q guesses blindly, 0 when every code is recognisable from its picture.
    """
    return F.cross_entropy(code_logits.float(), codes)


def gradient_penalty(
    D,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP's E[(||grad_x_hat D(x_hat)||_2 - 1)^2] on random points x_hat between real and fake images.

    real, fake: (B, 1, 28, 28). The caller multiplies by lambda (gp_weight).
    """
    b = real.shape[0]
    eps = torch.rand(b, 1, 1, 1, device=real.device, generator=generator)  # (B, 1, 1, 1)
    x_hat = (eps * real + (1.0 - eps) * fake.detach()).requires_grad_(True)  # (B, 1, 28, 28)
    scores = D(x_hat, labels)  # (B,)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, 1, 28, 28)
    norms = grad.flatten(1).norm(2, dim=1)  # (B,)
    return ((norms - 1.0) ** 2).mean()


def d_score(loss: str, logits: torch.Tensor) -> torch.Tensor:
    """D's mean verdict for plotting: the probability sigmoid(s) for probabilistic losses, else the raw score."""
    return torch.sigmoid(logits).mean() if LOSS_INFO[loss].probabilistic else logits.mean()
