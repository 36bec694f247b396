"""The 2-D playground's core: targets, mode metrics, config checks, step-by-step training, presets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_core.losses import LOSS_INFO
from gan_core.toy2d import ARROWS, HEAT_SIDE, MESH_SIDE, SHOWN_POINTS, ToyConfig, ToyTrainer, toy_preset
from gan_core.toy2d_data import MODE_SIGMA, TARGETS, Target, mode_metrics, validate_points

torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------- metrics
def test_mode_metrics_on_hand_made_points():
    centres = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    sigma = 0.1  # 3 sigma = 0.3
    on_first = np.tile([[0.05, 0.0]], (25, 1))  # 25 near mode 0
    on_second = np.tile([[1.0, 0.29]], (19, 1))  # 19 near mode 1: one short of 20
    far = np.tile([[5.0, 5.0]], (56, 1))  # 56 nowhere
    m = mode_metrics(np.concatenate([on_first, on_second, far]), centres, sigma)
    assert m.per_mode == (25, 19, 0)
    assert m.covered == 1
    assert m.modes == 3
    assert m.high_quality == pytest.approx(44 / 100)
    assert mode_metrics(np.concatenate([on_first, on_second]), centres, sigma, min_count=19).covered == 2


def test_mode_metrics_boundary_and_bad_input():
    m = mode_metrics([[0.3, 0.0], [0.31, 0.0]], [[0.0, 0.0]], 0.1, min_count=1)
    assert m.per_mode == (1,)  # exactly 3 sigma counts, just past does not
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        mode_metrics(np.zeros((0, 2)), [[0.0, 0.0]], 0.1)


def test_real_samples_score_as_perfect_and_collapse_as_one_mode():
    gen = torch.Generator().manual_seed(0)
    for name, k in (("ring", 8), ("grid", 25)):
        t = Target(name)
        m = t.metrics(t.sample(2500, gen))
        assert (m.modes, m.covered) == (k, k)
        assert m.high_quality > 0.97  # a radius of 3 sigma holds 1 - exp(-9/2) = 98.9% of a 2-D Gaussian
        collapsed = t.centres[0] + MODE_SIGMA * torch.randn(2500, 2, generator=gen)
        assert t.metrics(collapsed).covered == 1


# ---------------------------------------------------------------------------------------------- targets
@pytest.mark.parametrize("name", [n for n in TARGETS if n != "custom"])
def test_samplers_shape_seed_and_bounds(name):
    t = Target(name)
    a = t.sample(500, torch.Generator().manual_seed(3))
    b = t.sample(500, torch.Generator().manual_seed(3))
    assert a.shape == (500, 2)
    assert torch.equal(a, b)
    assert a.abs().max() <= 3.0
    assert a.std(0).min() > 0.3  # spread over the plane, not a dot


def test_ring_and_grid_modes():
    ring, grid = Target("ring"), Target("grid")
    assert ring.centres.shape == (8, 2)
    np.testing.assert_allclose(ring.centres.norm(dim=1), 2.0, atol=1e-6)
    assert grid.centres.shape == (25, 2)
    assert sorted(set(grid.centres[:, 0].tolist())) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    x = ring.sample(4000, torch.Generator().manual_seed(1))
    nearest = torch.cdist(x, ring.centres).argmin(1)
    counts = torch.bincount(nearest, minlength=8)
    assert counts.min() > 400  # every mode drawn about 1/8 of the time


def test_custom_points_sampled_around_clicks():
    pts = [[-1.0, -1.0], [1.5, 0.5]]
    x = Target("custom", pts).sample(1000, torch.Generator().manual_seed(0))
    d = torch.cdist(x, torch.tensor(pts)).min(1).values
    assert d.max() < 0.3


@pytest.mark.parametrize(
    "points, message",
    [
        ([[0.0, 0.0]], "at least 2 points"),
        ([], "at least 2 points"),
        ([[0.0, 0.0]] * 501, "At most 500"),
        ([[0.0, 0.0], [float("nan"), 1.0]], "finite"),
        ([[0.0, 0.0], [3.5, 0.0]], "outside the plane"),
        ([[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]], r"\(x, y\) pairs"),
        ([["a", "b"], [1, 2]], r"\(x, y\) pairs"),
    ],
)
def test_bad_custom_points_are_refused(points, message):
    with pytest.raises(ValueError, match=message):
        validate_points(points)
    with pytest.raises(ValueError, match=message):
        ToyConfig(target="custom", custom_points=tuple(map(tuple, points))).validate()


# ---------------------------------------------------------------------------------------------- config
@pytest.mark.parametrize(
    "changes, message",
    [
        ({"loss": "nope"}, "loss must be one of"),
        ({"z_dim": 0}, "z_dim must be a whole number from 1 to 8"),
        ({"lr_d": 0.0}, "lr_d must be a number above 0"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of adam, sgd"),
        ({"loss": "hinge", "label_smoothing": 0.1}, "no targets"),
        ({"loss": "wgan-gp", "spectral_norm": True}, "switch spectral norm off"),
        ({"target": "moon"}, "target must be one of"),
    ],
)
def test_config_errors_are_sentences(changes, message):
    with pytest.raises(ValueError, match=message):
        ToyConfig(**changes).validate()
    with pytest.raises(ValueError, match="Unknown playground setting"):
        ToyConfig().replace(lr=1)


# ---------------------------------------------------------------------------------------------- training
@pytest.mark.parametrize("loss", list(LOSS_INFO))
def test_every_loss_trains_without_nan(loss):
    t = ToyTrainer(ToyConfig(loss=loss, seed=1))
    t.train(200)
    assert len(t.d_losses) == len(t.g_losses) == 200
    assert all(math.isfinite(v) for v in t.d_losses + t.g_losses)
    assert np.isfinite(t.fakes()).all()


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": "sgd", "lr_d": 1e-2, "lr_g": 1e-2},
        {"spectral_norm": True},
        {"z_dim": 5, "label_smoothing": 0.1},
        {"z_dim": 1, "target": "moons"},
    ],
)
def test_options_train(changes):
    t = ToyTrainer(ToyConfig(**changes))
    t.train(50)
    f = t.frame()
    assert np.isfinite(f["fake"]).all()
    assert f["mesh"].shape[2] == 2


def test_same_seed_same_game():
    a, b = ToyTrainer(ToyConfig(seed=4)), ToyTrainer(ToyConfig(seed=4))
    a.train(30), b.train(30)
    assert a.g_losses == b.g_losses
    np.testing.assert_array_equal(a.fakes(), b.fakes())


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_step_mode_moves_the_right_player(spectral_norm):
    t = ToyTrainer(ToyConfig(spectral_norm=spectral_norm))
    t.train(5)
    d = t.d_step(record=True)
    assert d.kind == "d"
    assert np.abs(d.heat_after - d.heat_before).max() > 1e-5  # D's map changed
    np.testing.assert_array_equal(d.fakes_after, d.fakes_before)  # the fakes did not
    g = t.g_step(record=True)
    assert g.kind == "g"
    assert np.abs(g.fakes_after - g.fakes_before).max() > 1e-5  # the fakes moved
    np.testing.assert_array_equal(g.heat_after, g.heat_before)  # D did not
    assert g.push.shape == (ARROWS, 2)
    np.testing.assert_array_equal(g.heat_before, d.heat_after)  # nothing happened between the two
    assert (t.d_updates, t.g_updates, t.iterations) == (6, 6, 5)


def test_push_points_downhill_on_g_loss():
    """A small move of the fakes along the arrows lowers L_G (the arrows are -dL_G/dx, per point)."""
    t = ToyTrainer(ToyConfig())
    t.train(20)
    x, push = t.push()
    xt = torch.from_numpy(x)
    with torch.no_grad():
        before = LOSS_INFO["non-saturating"].g_loss(t.D(xt)).item()
        after = LOSS_INFO["non-saturating"].g_loss(t.D(xt + 1e-3 * torch.from_numpy(push))).item()
    assert after < before


def test_frame_is_plain_data_of_the_right_shapes():
    t = ToyTrainer(ToyConfig())
    frames = t.train(40, frames=8)
    assert len(frames) == 8
    assert frames[-1]["iteration"] == 40
    f = frames[-1]
    assert f["real"].shape == f["fake"].shape == (SHOWN_POINTS, 2)
    assert f["heat"].shape == (HEAT_SIDE, HEAT_SIDE)
    assert 0.0 <= f["heat"].min() and f["heat"].max() <= 1.0 and f["level"] == 0.5
    assert f["arrows"].shape == (ARROWS, 4)
    assert f["mesh"].shape == (MESH_SIDE, MESH_SIDE, 2)
    assert len(f["d_loss"]) == 40
    assert not any(isinstance(v, torch.Tensor) for v in f.values())
    w = ToyTrainer(ToyConfig(loss="wgan-gp")).frame()
    assert w["level"] == 0.0 and not w["probabilistic"]


def test_a_burst_with_a_time_budget_stops_early_and_still_ends_on_a_frame():
    """train(n, frames, seconds): on a busy machine a burst gives up iterations, not its last frame."""
    t = ToyTrainer(ToyConfig())
    frames = t.train(10**6, frames=6, seconds=0.05)  # a million iterations would take many minutes
    assert 0 < t.iterations < 10**6
    assert 1 <= len(frames) <= 6
    assert frames[-1]["iteration"] == t.iterations
    assert [f["iteration"] for f in frames] == sorted({f["iteration"] for f in frames})  # in order, no repeats


def test_d_head_start_puts_d_ahead_without_counting_as_the_games_steps():
    plain, ahead = ToyTrainer(ToyConfig(seed=3)), ToyTrainer(ToyConfig(seed=3, d_head_start=100))
    assert (ahead.d_updates, ahead.g_updates, ahead.iterations) == (0, 0, 0)
    np.testing.assert_array_equal(ahead.fakes(), plain.fakes())  # G untouched: the same points
    assert ahead.frame()["verdict"] < 0.5 * plain.frame()["verdict"]  # D now rejects them
    other_loss = ToyTrainer(ToyConfig(seed=3, d_head_start=100, loss="minimax"))
    np.testing.assert_array_equal(other_loss.heat(), ahead.heat())  # G's loss plays no part in D's head start
    with pytest.raises(ValueError, match="d_head_start must be a whole number from 0 to 5000"):
        ToyConfig(d_head_start=-1).validate()


# ---------------------------------------------------------------------------------------------- presets
# Measured (bench/toy2d_presets.py, BENCHMARKS.md): at 2,000 iterations ring-collapse covered 0-1 modes and
# ring covered 8 in 5 of 5 seeds. The test asks 3 of 3 seeds, with margin: <= 3 and >= 7 modes.
SEEDS = (0, 1, 2)


def test_collapse_preset_collapses_and_its_fix_covers_the_ring():
    collapsed, fixed = [], []
    for seed in SEEDS:
        bad = ToyTrainer(toy_preset("ring-collapse", seed=seed))
        bad.train(2000)
        collapsed.append(bad.measure().covered)
        good = ToyTrainer(toy_preset("ring", seed=seed))
        good.train(2000)
        fixed.append(good.measure().covered)
    assert all(c <= 3 for c in collapsed), f"ring-collapse covered {collapsed} of 8 modes"
    assert all(c >= 7 for c in fixed), f"ring covered {fixed} of 8 modes"
