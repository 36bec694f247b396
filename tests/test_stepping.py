"""Step mode on digits (gan_core.stepping): one D step moves only D, and on average over a few steps
D's verdict on real digits rises and on fakes falls; one G step moves only G and raises D's verdict on
the fakes; a running run refuses to be stepped."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_core import Trainer, preset_config
from gan_core.config import DEFAULT_PRESET
from gan_core.stepping import PROBE, _look, _real_probe, step


def small(**kw):
    """A small MLP and batch: a step takes milliseconds on one CPU thread."""
    settings = dict(g_width=16, d_width=16, latent_dim=8, batch_size=32, max_steps=100, max_seconds=0, seed=3)
    settings.update(kw)
    return preset_config("mlp", **settings)


def state_of(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def changed(before, module) -> bool:
    """Whether any weight moved (BatchNorm's running statistics are buffers, not weights: a G forward
    pass in D's phase updates them, as in training)."""
    after = dict(module.named_parameters())
    return any(not torch.equal(before[k], after[k]) for k in after)


def test_one_d_step_changes_only_d(mnist):
    t = Trainer(small(), mnist, device="cpu")
    g0, d0 = state_of(t.G), state_of(t.D)
    res = step(t, "d")
    assert changed(d0, t.D), "D's weights did not move"
    assert not changed(g0, t.G), "a D step moved G"
    assert res.real_before.shape == (PROBE,)
    assert res.images_before.shape == (PROBE, 28, 28)
    np.testing.assert_array_equal(res.images_before, res.images_after)  # G untouched: same fakes


def test_d_steps_push_real_up_and_fakes_down(mnist):
    t = Trainer(small(), mnist, device="cpu")
    first = step(t, "d")
    for _ in range(4):
        last = step(t, "d")
    assert last.real_after.mean() > first.real_before.mean(), (first.real_before.mean(), last.real_after.mean())
    assert last.fake_after.mean() < first.fake_before.mean(), (first.fake_before.mean(), last.fake_after.mean())


def test_one_g_step_changes_only_g_and_fools_d_more(mnist):
    t = Trainer(small(), mnist, device="cpu")
    for _ in range(3):
        step(t, "d")  # a D that already tells fakes apart, so G has something to push against
    g0, d0 = state_of(t.G), state_of(t.D)
    res = step(t, "g")
    assert changed(g0, t.G), "G's weights did not move"
    assert not changed(d0, t.D), "a G step moved D"
    assert res.fake_after.mean() > res.fake_before.mean(), (res.fake_before.mean(), res.fake_after.mean())
    assert res.change.max() > 0, "no pixel of any fake moved"
    np.testing.assert_array_equal(res.real_before, res.real_after)  # D untouched: same verdict on real digits


def test_full_iteration_moves_both(mnist):
    t = Trainer(small(), mnist, device="cpu")
    g0, d0 = state_of(t.G), state_of(t.D)
    res = step(t, "both")
    assert changed(g0, t.G)
    assert changed(d0, t.D)
    assert res.kind == "both"


def test_a_running_run_refuses_a_step(mnist):
    t = Trainer(small(), mnist, device="cpu")
    t.status = "running"
    with pytest.raises(RuntimeError, match="Pause"):
        step(t, "d")
    with pytest.raises(ValueError):
        step(Trainer(small(), mnist, device="cpu"), "x")


# A click looks at the players twice (before and after its update). Those looks are saved work: the last step's
# "after" is the next step's "before" when nothing moved in between, and a look after a D step scores G's same fakes
# (G did not move), after a G step D's same verdict on the real digits. Each shortcut must give what a full look
# gives: the same numbers as gan_core.stepping._look without them.
def full_look(t):
    return _look(t, *_real_probe(t))


def assert_same(res, look, when="after"):
    np.testing.assert_array_equal(getattr(res, f"real_{when}"), look.real)
    np.testing.assert_array_equal(getattr(res, f"fake_{when}"), look.fake)
    np.testing.assert_array_equal(getattr(res, f"images_{when}"), look.images)


@pytest.mark.parametrize(
    "cfg",
    [
        lambda: small(),
        lambda: small(spectral_norm=True),  # D's spectral-norm vectors move in every training-mode pass
        lambda: preset_config(DEFAULT_PRESET, batch_size=16, max_steps=100, max_seconds=0, seed=3),  # BatchNorm
    ],
    ids=["mlp", "mlp-spectral-norm", "default-preset"],
)
def test_saved_looks_give_what_a_full_look_gives(mnist, cfg):
    t = Trainer(cfg(), mnist, device="cpu")
    last = None
    for kind in ("d", "g", "both", "d", "d", "g"):
        res = step(t, kind)
        assert_same(res, full_look(t))
        if last is not None:
            np.testing.assert_array_equal(res.real_before, last.real_after)
            np.testing.assert_array_equal(res.images_before, last.images_after)
        last = res


def test_a_step_after_the_weights_moved_looks_afresh(mnist):
    t = Trainer(small(), mnist, device="cpu")
    first = step(t, "d")
    t.train_step()  # the run resumed for a step (both players moved) and was paused again
    expected = full_look(t)
    assert not np.array_equal(expected.fake, first.fake_after)
    res = step(t, "g")
    np.testing.assert_array_equal(res.fake_before, expected.fake)
    np.testing.assert_array_equal(res.real_before, expected.real)
    np.testing.assert_array_equal(res.images_before, expected.images)
