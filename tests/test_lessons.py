"""Each lesson's run produces the phenomenon its text promises, measured on real digits in short runs
(1 CPU thread, the 5,000 offline MNIST digits); plus the lessons' data is consistent with the presets."""

from __future__ import annotations

import math

import pytest
from lesson_runs import quality, short_run, window_median

from gan_core import PRESETS, build_models, generate, interpolate, preset_config, sample_z
from gan_core.checkpoints import load_checkpoint
from gan_core.metrics import get_reference, quick_quality
from gan_ui.lessons import BY_ID, LESSON_IDS, LESSONS


# ------------------------------------------------------------------------------------------- the data
def test_eight_lessons_in_the_order_of_the_issue():
    assert LESSON_IDS == [
        "what",
        "curves",
        "saturating",
        "unstable",
        "collapse",
        "stabilisers",
        "latent",
        "conditional",
    ]


@pytest.mark.parametrize("lesson", LESSONS, ids=LESSON_IDS)
def test_every_lesson_is_complete_and_its_runs_are_valid_configs(lesson):
    assert lesson.idea and lesson.question and lesson.answer and lesson.look_for
    assert 2 <= len(lesson.choices) <= 4 and 0 <= lesson.correct < len(lesson.choices)
    assert lesson.runs or lesson.extra
    for run in lesson.runs:
        assert run.preset in PRESETS and 50 <= run.steps <= 1000
        preset_config(run.preset, **run.overrides)  # raises ConfigError if the variant is unusable


def test_the_value_function_and_both_generator_losses_are_shown():
    assert any("log D(x)" in m.replace("\\big[\\log D(x)", "log D(x)") or "\\log D(x)" in m for m in BY_ID["what"].math)
    sat = " ".join(BY_ID["saturating"].math)
    assert "\\log(1 - D(G(z)))" in sat and "\\log D(G(z))" in sat


# ------------------------------------------------------------------------------------------- lessons 1-2
@pytest.mark.slow
def test_lesson_1_g_learns_from_d_alone(mnist):
    """100 steps of the healthy DCGAN move G's samples closer to real digits than its random start, from one
    digit (noise all reads alike) to many (measured: Fréchet distance 746 -> 433, 1 -> 8 classes present)."""
    t = short_run(mnist, "dcgan", 100)
    ref = get_reference(mnist)
    G0 = build_models(t.cfg)[0].eval()  # the same seed: G before training
    start = quick_quality(generate(G0, sample_z(256, t.cfg.latent_dim, seed=0)), ref)
    end = quality(t, mnist)
    assert end.frechet < 0.75 * start.frechet, (start.frechet, end.frechet)
    assert len(start.classes_present) <= 2 and len(end.classes_present) >= 5


@pytest.mark.slow
def test_lesson_2_d_leads_early_and_no_loss_goes_to_zero(mnist):
    t = short_run(mnist, "dcgan", 100)
    d_real, d_fake = window_median(t, "d_real"), window_median(t, "d_fake")
    assert d_real > d_fake  # D is ahead early ...
    assert 0.02 < d_fake < 0.5 and 0.5 < d_real < 0.98  # ... but neither verdict is pinned at 0 or 1
    assert window_median(t, "d_loss") > 0.1 and window_median(t, "g_loss") > math.log(2)


# ------------------------------------------------------------------------------------------- lesson 3
@pytest.mark.slow
def test_lesson_3_saturating_loss_has_a_much_smaller_g_gradient(mnist):
    sat = short_run(mnist, "saturating", 60)
    non = short_run(mnist, "saturating", 60, loss="non-saturating")
    g_sat, g_non = window_median(sat, "g_grad_norm"), window_median(non, "g_grad_norm")
    assert g_sat < 0.1 * g_non, (g_sat, g_non)
    assert window_median(sat, "d_fake") < 0.05  # D rejects the fakes: where log(1 - D) is flat


# ------------------------------------------------------------------------------------------- lesson 4
@pytest.mark.slow
def test_lesson_4_a_ten_times_faster_d_pins_d_of_g_z_near_zero(mnist):
    strong = short_run(mnist, "strong-d", 60)
    healthy = short_run(mnist, "dcgan", 100)
    assert window_median(strong, "d_fake") < 0.02 < window_median(healthy, "d_fake")
    assert window_median(strong, "d_real") > 0.97


@pytest.mark.slow
def test_lesson_4_too_high_learning_rates_make_g_loss_run_away(mnist):
    high = short_run(mnist, "high-lr", 100)
    healthy = short_run(mnist, "dcgan", 100)
    assert window_median(high, "g_loss") > 2 * window_median(healthy, "g_loss")
    assert window_median(high, "d_fake") < 0.05  # healthy: 0.1-0.4; high-lr: 0.0005-0.03 over seeds and precisions


# ------------------------------------------------------------------------------------------- lesson 5
@pytest.mark.slow
def test_lesson_5_collapse_preset_covers_fewer_digits_than_the_same_mlp_without_it(mnist):
    collapsed, healthy = quality(short_run(mnist, "collapse", 600), mnist), quality(short_run(mnist, "mlp", 600), mnist)
    assert len(collapsed.classes_present) < len(healthy.classes_present)
    assert max(collapsed.histogram) / sum(collapsed.histogram) > 2 * max(healthy.histogram) / sum(healthy.histogram)


# ------------------------------------------------------------------------------------------- lesson 6
@pytest.mark.slow
def test_lesson_6_label_smoothing_keeps_d_of_x_below_its_target(mnist):
    plain = short_run(mnist, "strong-d", 60)
    smooth = short_run(mnist, "strong-d", 60, label_smoothing=0.1)
    assert window_median(smooth, "d_real") < 0.93 < window_median(plain, "d_real")


# ------------------------------------------------------------------------------------------- lesson 7
def test_lesson_7_interpolation_is_smooth():
    """Neighbouring frames of a slerp walk differ far less than its two ends: G is a smooth function of z."""
    G = load_checkpoint("dcgan").G
    z = sample_z(2, G.latent_dim, seed=1000)
    frames = generate(G, interpolate(z[0], z[1], 9, "slerp")).float()  # (9, 28, 28)
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2))  # (8,)
    ends = (frames[-1] - frames[0]).abs().mean()
    assert float(steps.max()) < 0.6 * float(ends), (steps.tolist(), float(ends))
