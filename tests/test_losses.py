"""Every loss against a hand computation; label smoothing; the saturation that gives the minimax loss its
name; the gradient penalty on critics whose gradient norm is known in closed form."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from gan_core import LOSS_INFO, build_models, d_loss_fn, g_loss_fn, gradient_penalty
from gan_core.config import ConfigError, GANConfig
from gan_core.losses import d_score

LN2, LN4 = math.log(2), math.log(4)


def softplus(s: float) -> float:
    return math.log1p(math.exp(s))


def sigmoid(s: float) -> float:
    return 1 / (1 + math.exp(-s))


# Hand-picked logits: a confident and an unsure verdict on each side.
REAL = [2.0, -1.0]
FAKE = [0.5, -3.0]


def t(values):
    return torch.tensor(values, dtype=torch.float64)


# ------------------------------------------------------------------------------------ D = 1/2 everywhere
@pytest.mark.parametrize("loss", ["minimax", "non-saturating"])
def test_confused_discriminator_gives_ln4(loss):
    zeros = torch.zeros(6)  # logit 0  <=>  D = sigmoid(0) = 1/2
    assert d_loss_fn(loss, zeros, zeros).item() == pytest.approx(LN4, abs=1e-6)
    assert LOSS_INFO[loss].d_equilibrium == pytest.approx(LN4)


def test_generator_losses_at_equilibrium():
    zeros = torch.zeros(6)
    assert g_loss_fn("non-saturating", zeros).item() == pytest.approx(LN2, abs=1e-6)  # -log(1/2)
    assert g_loss_fn("minimax", zeros).item() == pytest.approx(-LN2, abs=1e-6)  # log(1 - 1/2)
    assert LOSS_INFO["non-saturating"].g_equilibrium == pytest.approx(LN2)
    assert LOSS_INFO["minimax"].g_equilibrium == pytest.approx(-LN2)


# ------------------------------------------------------------------------------------ hand-picked logits
def test_bce_losses_on_hand_picked_logits():
    # L_D = -mean log sigmoid(r) - mean log(1 - sigmoid(f)),  -log sigmoid(s) = softplus(-s)
    want_d = sum(softplus(-r) for r in REAL) / 2 + sum(softplus(f) for f in FAKE) / 2
    want_d_direct = (-sum(math.log(sigmoid(r)) for r in REAL) - sum(math.log(1 - sigmoid(f)) for f in FAKE)) / 2
    assert want_d == pytest.approx(want_d_direct)
    for loss in ("minimax", "non-saturating"):
        assert d_loss_fn(loss, t(REAL), t(FAKE)).item() == pytest.approx(want_d, rel=1e-12)
    assert g_loss_fn("non-saturating", t(FAKE)).item() == pytest.approx(
        -sum(math.log(sigmoid(f)) for f in FAKE) / 2, rel=1e-12
    )
    assert g_loss_fn("minimax", t(FAKE)).item() == pytest.approx(
        sum(math.log(1 - sigmoid(f)) for f in FAKE) / 2, rel=1e-12
    )


def test_least_squares_on_hand_picked_logits():
    # D: 1/2 mean((r - 1)^2) + 1/2 mean(f^2) = 1/2 (1 + 4)/2 + 1/2 (0.25 + 9)/2 = 1.25 + 2.3125
    assert d_loss_fn("least-squares", t(REAL), t(FAKE)).item() == pytest.approx(3.5625, rel=1e-12)
    # G: 1/2 mean((f - 1)^2) = 1/2 (0.25 + 16)/2
    assert g_loss_fn("least-squares", t(FAKE)).item() == pytest.approx(4.0625, rel=1e-12)


def test_hinge_on_hand_picked_logits():
    # D: mean(max(0, 1 - r)) + mean(max(0, 1 + f)) = (0 + 2)/2 + (1.5 + 0)/2
    assert d_loss_fn("hinge", t(REAL), t(FAKE)).item() == pytest.approx(1.75, rel=1e-12)
    assert g_loss_fn("hinge", t(FAKE)).item() == pytest.approx(1.25, rel=1e-12)  # -mean(f)
    # Outside the margin D is satisfied: no loss, and no gradient.
    r, f = t([1.5, 3.0]).requires_grad_(), t([-1.2, -4.0]).requires_grad_()
    loss = d_loss_fn("hinge", r, f)
    loss.backward()
    assert loss.item() == 0 and r.grad.abs().sum() == 0 and f.grad.abs().sum() == 0


def test_wasserstein_on_hand_picked_logits():
    # critic: mean(f) - mean(r) = -1.25 - 0.5 ; generator: -mean(f)
    assert d_loss_fn("wgan-gp", t(REAL), t(FAKE)).item() == pytest.approx(-1.75, rel=1e-12)
    assert g_loss_fn("wgan-gp", t(FAKE)).item() == pytest.approx(1.25, rel=1e-12)


def test_unknown_loss_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown loss"):
        d_loss_fn("kl", t(REAL), t(FAKE))
    with pytest.raises(ValueError, match="Unknown loss"):
        g_loss_fn("kl", t(FAKE))


def test_every_registered_loss_is_configurable_and_has_finite_functions():
    for loss in LOSS_INFO:
        GANConfig(loss=loss).validate()
        d, g = d_loss_fn(loss, t(REAL), t(FAKE)), g_loss_fn(loss, t(FAKE))
        assert torch.isfinite(d), loss
        assert torch.isfinite(g), loss


# ------------------------------------------------------------------------------------ label smoothing
@pytest.mark.parametrize("loss", ["minimax", "non-saturating"])
def test_label_smoothing_replaces_the_real_target_in_bce(loss):
    s = 0.1
    # real term = -(1 - s) log D(x) - s log(1 - D(x)); the fake term is unchanged
    real = sum(-(1 - s) * math.log(sigmoid(r)) - s * math.log(1 - sigmoid(r)) for r in REAL) / 2
    fake = sum(-math.log(1 - sigmoid(f)) for f in FAKE) / 2
    assert d_loss_fn(loss, t(REAL), t(FAKE), label_smoothing=s).item() == pytest.approx(real + fake, rel=1e-12)
    # D's best verdict on a real image is now 1 - s: the gradient vanishes at D(x) = 0.9, not at 1.
    r = torch.tensor([math.log(0.9 / 0.1)], dtype=torch.float64, requires_grad=True)
    d_loss_fn(loss, r, t([0.0]), label_smoothing=s).backward()
    assert abs(r.grad.item()) < 1e-12


def test_label_smoothing_in_least_squares_and_only_on_real_images():
    s = 0.2
    want = 0.5 * sum((r - (1 - s)) ** 2 for r in REAL) / 2 + 0.5 * sum(f**2 for f in FAKE) / 2
    assert d_loss_fn("least-squares", t(REAL), t(FAKE), s).item() == pytest.approx(want, rel=1e-12)
    for loss in ("minimax", "least-squares"):  # smoothing changes the real term only
        shift_a = d_loss_fn(loss, t(REAL), t(FAKE), s) - d_loss_fn(loss, t(REAL), t(FAKE))
        shift_b = d_loss_fn(loss, t(REAL), t([4.0, -0.3]), s) - d_loss_fn(loss, t(REAL), t([4.0, -0.3]))
        assert shift_a.item() != 0 and shift_a.item() == pytest.approx(shift_b.item(), abs=1e-12)


# ------------------------------------------------------------------------------------ saturation
def test_minimax_generator_gradient_vanishes_when_d_wins_but_non_saturating_does_not():
    s = torch.tensor([-10.0], dtype=torch.float64, requires_grad=True)  # D(G(z)) = sigmoid(-10) ~ 4.5e-5
    g_loss_fn("minimax", s).backward()
    assert abs(s.grad.item()) == pytest.approx(sigmoid(-10.0), rel=1e-9)  # dL/ds = -sigmoid(s) ~ 0
    s.grad = None
    g_loss_fn("non-saturating", s).backward()
    assert s.grad.item() == pytest.approx(sigmoid(-10.0) - 1, rel=1e-9)  # dL/ds = sigmoid(s) - 1 ~ -1


def test_d_score_is_a_probability_only_for_probabilistic_losses():
    logits = t([0.0, 2.0])
    assert d_score("minimax", logits).item() == pytest.approx((0.5 + sigmoid(2.0)) / 2)
    assert d_score("wgan-gp", logits).item() == pytest.approx(1.0)


# ------------------------------------------------------------------------------------ gradient penalty
class LinearCritic(nn.Module):
    """s(x) = w . x + b: its gradient is w everywhere, so the penalty is exactly (|w| - 1)^2."""

    def __init__(self, norm: float, seed: int = 0):
        super().__init__()
        w = torch.randn(784, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        self.w = nn.Parameter(w / w.norm() * norm)
        self.b = nn.Parameter(torch.tensor(0.3, dtype=torch.float64))

    def forward(self, x, y=None):
        return x.flatten(1) @ self.w + self.b


def _batches(b=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    real = torch.rand(b, 1, 28, 28, generator=g, dtype=torch.float64) * 2 - 1
    fake = torch.rand(b, 1, 28, 28, generator=g, dtype=torch.float64) * 2 - 1
    return real, fake


def test_penalty_is_zero_for_a_unit_gradient_critic():
    real, fake = _batches()
    gp = gradient_penalty(LinearCritic(1.0), real, fake)
    assert gp.item() == pytest.approx(0.0, abs=1e-20)


@pytest.mark.parametrize("norm", [0.0, 0.5, 3.0])
def test_penalty_is_positive_otherwise_and_matches_the_formula(norm):
    real, fake = _batches()
    assert gradient_penalty(LinearCritic(norm), real, fake).item() == pytest.approx((norm - 1) ** 2, rel=1e-9)


def test_penalty_is_differentiable_with_respect_to_the_critic():
    critic = LinearCritic(3.0)
    real, fake = _batches()
    gradient_penalty(critic, real, fake).backward()
    # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    want = 2 * (3.0 - 1) * critic.w.detach() / 3.0
    torch.testing.assert_close(critic.w.grad, want)


def test_penalty_on_a_nonlinear_critic_and_a_real_wgan_critic():
    real, fake = _batches()

    class Quadratic(nn.Module):  # s(x) = |x|^2: gradient 2x, whose norm varies between samples
        def forward(self, x, y=None):
            return (x**2).flatten(1).sum(1)

    assert gradient_penalty(Quadratic(), real, fake).item() > 0.1
    _, D = build_models(GANConfig(loss="wgan-gp", g_width=4, d_width=4, conditional=True))
    y = torch.arange(8) % 10
    gp1 = gradient_penalty(D, real.float(), fake.float(), y, torch.Generator().manual_seed(5))
    gp2 = gradient_penalty(D, real.float(), fake.float(), y, torch.Generator().manual_seed(5))
    assert torch.isfinite(gp1) and gp1.item() > 0  # a fresh critic's gradients are far from norm 1
    assert gp1.item() == gp2.item()  # the interpolation points come from the given RNG


# ------------------------------------------------------------------------------------ a new loss
@pytest.fixture
def toy_loss():
    """A loss the project does not ship, registered as a contributor would add one: one LossInfo entry
    with its two functions. Removed again afterwards, so other tests see the shipped set."""
    from gan_core.losses import LossInfo, register_loss

    def d_loss(real_logits, fake_logits, real_target):
        # a softer hinge: E[softplus(1 - s(x))] + E[softplus(1 + s(G(z)))]
        return F.softplus(1.0 - real_logits).mean() + F.softplus(1.0 + fake_logits).mean()

    def g_loss(fake_logits):
        return F.softplus(1.0 - fake_logits).mean()

    info = register_loss(
        LossInfo(
            "soft-hinge",
            "A softened hinge loss (test only).",
            d_loss,
            g_loss,
            probabilistic=False,
            d_equilibrium=None,
            g_equilibrium=None,
            score_meaning="a soft-hinge score",
            targets=False,
        )
    )
    yield info
    LOSS_INFO.pop(info.name)


@pytest.mark.slow
def test_a_new_loss_is_one_entry_and_trains(toy_loss, mnist):
    from gan_core import Trainer
    from gan_core.losses import register_loss

    with pytest.raises(ValueError, match="exists already"):
        register_loss(toy_loss)
    cfg = GANConfig(arch="mlp", loss="soft-hinge", max_steps=20, max_seconds=0, snapshot_every=10).validate()
    t = Trainer(cfg, mnist, device="cpu").run()
    assert t.status == "finished", t.message
    assert len(t.history) == 20
    first, last = t.history[0], t.history[-1]
    assert all(math.isfinite(v) for r in t.history for v in (r.d_loss, r.g_loss))
    # D learned to score real digits above G's early fakes: the gap of raw scores grew from step 1
    assert last.d_real - last.d_fake > first.d_real - first.d_fake
    with pytest.raises(ConfigError, match="label smoothing|no targets"):
        GANConfig(arch="mlp", loss="soft-hinge", label_smoothing=0.1).validate()
