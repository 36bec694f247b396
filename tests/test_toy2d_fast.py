"""The Playground's hand-written backward (gan_core.toy2d_fast) against autograd, the reference path.

Same seed, same draws: after some iterations both paths must hold the same weights and report the same losses, for
every loss the hand-written path covers, with and without label smoothing. A flipped sign or a wrong factor in any
line of the backward moves the weights by about a learning rate a step, far outside the float tolerance."""

from __future__ import annotations

import pytest
import torch

from gan_core.losses import LOSS_INFO
from gan_core.toy2d import ToyConfig, ToyTrainer
from gan_core.toy2d_fast import LOSSES, ManualBackward

torch.set_num_threads(1)

CASES = [
    (loss, smoothing)
    for loss in LOSSES
    for smoothing in ((0.0, 0.1) if LOSS_INFO[loss].targets else (0.0,))  # hinge has no target to smooth
]


def _weights(t: ToyTrainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in list(t.G.parameters()) + list(t.D.parameters())]


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize(("loss", "smoothing"), CASES)
def test_same_weights_and_losses_as_autograd(loss, smoothing, optimizer):
    # d_steps 2 and lr 1e-2: two D steps per G step, and steps big enough that the game moves in 25 iterations
    cfg = ToyConfig(loss=loss, label_smoothing=smoothing, optimizer=optimizer, d_steps=2, lr_d=1e-2, lr_g=1e-2)
    ref, fast = ToyTrainer(cfg, fast=False), ToyTrainer(cfg, fast=True)
    assert ref.manual is None
    assert isinstance(fast.manual, ManualBackward)
    start = _weights(ref)
    for _ in range(25):
        ref.iteration()
        fast.iteration()
    moved = max((a - b).abs().max().item() for a, b in zip(_weights(ref), start))
    assert moved > 1e-2  # the weights did move: agreeing on an unchanged net would prove nothing
    for (name, a), b in zip(list(ref.G.named_parameters()) + list(ref.D.named_parameters()), _weights(fast)):
        torch.testing.assert_close(b, a.detach(), rtol=1e-5, atol=1e-5, msg=lambda m, n=name: f"{n}: {m}")
    torch.testing.assert_close(fast.d_losses, ref.d_losses, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(fast.g_losses, ref.g_losses, rtol=1e-5, atol=1e-5)


def test_step_mode_records_the_same_moves():
    """d_step()/g_step() with record (the step buttons) go through the same updates."""
    ref, fast = ToyTrainer(ToyConfig(), fast=False), ToyTrainer(ToyConfig(), fast=True)
    for step in ("d_step", "g_step", "d_step", "g_step"):
        a, b = getattr(ref, step)(), getattr(fast, step)()
        assert a.kind == b.kind
        assert b.loss == pytest.approx(a.loss, rel=1e-5)
        torch.testing.assert_close(b.heat_after, a.heat_after, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(b.fakes_after, a.fakes_after, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("changes", [{"spectral_norm": True}, {"loss": "wgan-gp"}], ids=["spectral-norm", "wgan-gp"])
def test_settings_outside_the_hand_written_path_use_autograd(changes):
    t = ToyTrainer(ToyConfig(**changes))
    assert t.manual is None
    t.train(3)
    assert t.iterations == 3


def test_no_hand_written_backward_for_other_losses():
    t = ToyTrainer(ToyConfig(), fast=False)
    with pytest.raises(ValueError, match="autograd"):
        ManualBackward(t.G, t.D, "wgan-gp", 1.0, 128)
