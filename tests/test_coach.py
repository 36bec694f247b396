"""The training-health coach: its rules on hand-made records (windows, not single steps), then on real
short runs of the presets that should trigger each alert and of a healthy run that should not."""

from __future__ import annotations

import math
from statistics import pstdev

import pytest
import torch
from lesson_runs import quality, short_run

from gan_core import LOSS_INFO, StepRecord, diagnose
from gan_core.coach import (
    MIN_QUALITY_STEP,
    MIN_STEPS,
    OSCILLATION_SHARE,
    OSCILLATION_STD,
    SCORE_RUNAWAY,
    WINDOW,
    check_mode_collapse,
    least_third_share,
    swings,
)
from gan_core.coach import alerts_along as coach_alerts_along
from gan_core.metrics import QuickQuality


def rec(step, d_real=0.5, d_fake=0.5, g_norm=5.0, d_norm=5.0, d_loss=1.38, g_loss=0.7) -> StepRecord:
    return StepRecord(step, step * 0.1, d_loss, g_loss, d_real, d_fake, g_norm, d_norm, 1000.0)


def records(n, **kw):
    return [rec(i + 1, **kw) for i in range(n)]


def kinds(alerts) -> set[str]:
    return {a.kind for a in alerts}


def qq(histogram) -> QuickQuality:
    present = [c for c, k in enumerate(histogram) if k >= 0.01 * sum(histogram)]
    return QuickQuality(sum(histogram), list(histogram), present, 0.0, 1.0, 0.9, 10.0, 2.0, 0.0)


# ----------------------------------------------------------------------------------- hand-made records
def test_a_balanced_game_is_reported_as_such():
    alerts = diagnose(records(WINDOW), probabilistic=True)
    assert [a.kind for a in alerts] == ["balanced"] and alerts[0].severity == "ok"


def test_too_few_steps_give_no_verdict():
    assert diagnose(records(MIN_STEPS - 1, d_real=1.0, d_fake=0.0, g_norm=0.01)) == []


def test_d_winning_reads_a_window_not_one_step():
    calm = records(WINDOW)
    calm[-1] = rec(WINDOW, d_real=1.0, d_fake=0.0)  # one extreme step among 49 calm ones
    assert "d_winning" not in kinds(diagnose(calm))
    winning = records(WINDOW, d_real=0.99, d_fake=0.01)
    alert = next(a for a in diagnose(winning) if a.kind == "d_winning")
    assert "D(x) ≈ 0.99" in alert.message and "D(G(z)) ≈ 0.01" in alert.message and alert.lesson_id == "unstable"


def test_a_small_g_gradient_alone_is_not_a_vanished_one():
    """The healthy MLP's G gradient is ~0.7-1.5 while D(G(z)) ~ 0.45: only with D rejecting fakes is it alarming."""
    assert "g_vanished" not in kinds(diagnose(records(WINDOW, g_norm=0.5, d_fake=0.45)))
    alert = next(a for a in diagnose(records(WINDOW, g_norm=0.1, d_fake=0.004, d_real=0.99)) if a.kind == "g_vanished")
    assert "‖∇G‖ ≈ 0.1" in alert.message and alert.lesson_id == "saturating"


def test_d_winning_needs_a_probabilistic_d():
    assert "d_winning" not in kinds(diagnose(records(WINDOW, d_real=3.0, d_fake=-3.0), probabilistic=False))


def test_non_finite_loss_is_the_only_alert():
    rs = records(WINDOW, d_real=0.99, d_fake=0.01)
    rs[10] = rec(11, d_loss=math.nan)
    alerts = diagnose(rs)
    assert [a.kind for a in alerts] == ["diverged"] and alerts[0].severity == "error"
    assert "step 11" in alerts[0].message and "Learning rate too high?" in alerts[0].message


def test_oscillation_is_a_wide_spread_of_d_of_g_z():
    swings = [rec(i + 1, d_fake=0.95 if i % 2 else 0.05, d_real=0.5) for i in range(WINDOW)]
    alert = next(a for a in diagnose(swings) if a.kind == "oscillating")
    assert f"{WINDOW - 1} swings in {WINDOW} steps" in alert.message and alert.lesson_id == "unstable"
    assert "oscillating" not in kinds(diagnose(records(WINDOW, d_fake=0.45)))


def test_a_one_way_fall_is_not_an_oscillation():
    """D(G(z)) sliding from 0.9 to 0 once has a wide spread (std ~0.27) but swings only once."""
    fall = [
        rec(i + 1, d_fake=0.9 * (1 - i / (WINDOW - 1)) + 0.02 * (-1) ** i + 0.02, d_real=0.9) for i in range(WINDOW)
    ]
    assert pstdev(r.d_fake for r in fall) > OSCILLATION_STD
    assert swings([r.d_fake for r in fall]) == 1
    assert "oscillating" not in kinds(diagnose(fall))


def test_a_run_d_wins_with_a_few_lucky_g_steps_is_not_an_oscillation():
    """D(G(z)) ~0 with three one-step spikes to ~1 (G fooled D once, and D caught up at once): wide spread and six
    swings, but the top third holds 3 of 50 steps. The strong-d preset does this (seed 0 raised "oscillating" at
    step 45 before this rule); a swinging game spends many steps in both thirds."""
    spikes = {9, 24, 39}
    lucky = [rec(i + 1, d_fake=0.97 if i in spikes else 0.01, d_real=0.99) for i in range(WINDOW)]
    fake = [r.d_fake for r in lucky]
    assert pstdev(fake) > OSCILLATION_STD and swings(fake) == 6  # the spread and swings alone would call it
    assert least_third_share(fake) == 3 / WINDOW < OSCILLATION_SHARE
    assert "oscillating" not in kinds(diagnose(lucky))
    assert "d_winning" in kinds(diagnose(lucky))
    # ... while the same spikes every third step (17 of 50 steps up) are a game that swings
    often = [rec(i + 1, d_fake=0.97 if i % 3 == 0 else 0.01, d_real=0.99) for i in range(WINDOW)]
    assert "oscillating" in kinds(diagnose(often))


def test_swings_count_band_to_band_crossings_only():
    assert swings([0.0, 1.0, 0.0, 1.0]) == 3
    assert swings([0.0, 0.5, 0.4, 0.6, 1.0]) == 1  # the middle third is noise, not a swing
    assert swings([0.2, 0.2]) == 0 and swings([]) == 0


def test_runaway_scores_of_a_raw_score_critic_are_an_error():
    alerts = diagnose(records(WINDOW, d_real=8000.0, d_fake=7400.0), probabilistic=False)
    assert [a.kind for a in alerts] == ["runaway"] and alerts[0].severity == "error"
    assert "about 8,000" in alerts[0].message and alerts[0].lesson_id == "unstable"
    assert diagnose(records(WINDOW, d_real=30.0, d_fake=12.0), probabilistic=False) == []  # a healthy WGAN-GP critic
    assert "runaway" not in kinds(diagnose(records(WINDOW, d_real=0.99, d_fake=0.01)))  # probabilities can't run away


def test_mode_collapse_from_the_class_histogram():
    collapsed = qq([205, 5, 5, 5, 5, 5, 5, 5, 8, 8])  # 80 % one digit
    alert = check_mode_collapse(collapsed, step=400)
    assert alert is not None and "80% of G's samples are one digit (a 0)" in alert.message
    assert alert.lesson_id == "collapse"
    assert check_mode_collapse(qq([26] * 10), step=400) is None
    assert check_mode_collapse(collapsed, step=MIN_QUALITY_STEP - 1) is None  # G's first blobs: no verdict
    assert check_mode_collapse(qq([60, 60, 60, 60, 16, 0, 0, 0, 0, 0]), step=400) is not None  # 5 of 10 present


# ----------------------------------------------------------------------------------- real short runs
@pytest.mark.slow
def test_healthy_dcgan_raises_no_warning(mnist):
    t = short_run(mnist, "dcgan", 100)
    alerts = diagnose(t.history, LOSS_INFO[t.cfg.loss].probabilistic)
    assert not [a for a in alerts if a.severity in ("error", "warning")], alerts


@pytest.mark.slow
def test_saturating_loss_triggers_vanished_gradient_and_d_winning(mnist):
    t = short_run(mnist, "saturating", 60)
    found = kinds(diagnose(t.history, True))
    assert {"g_vanished", "d_winning"} <= found, found


@pytest.mark.slow
def test_the_same_run_with_the_non_saturating_loss_keeps_its_gradient(mnist):
    t = short_run(mnist, "saturating", 60, loss="non-saturating")
    assert "g_vanished" not in kinds(diagnose(t.history, True))


@pytest.mark.slow
def test_overpowered_discriminator_triggers_d_winning(mnist):
    t = short_run(mnist, "strong-d", 60)
    found = kinds(diagnose(t.history, True))
    assert "d_winning" in found and "g_vanished" not in found, found


@pytest.mark.slow
def test_collapse_preset_triggers_mode_collapse_and_the_mlp_does_not(mnist):
    collapsed = short_run(mnist, "collapse", 600)
    alerts = diagnose(collapsed.history, True, quality(collapsed, mnist), 600)
    assert "mode_collapse" in kinds(alerts), alerts
    healthy = short_run(mnist, "mlp", 600)
    found = kinds(diagnose(healthy.history, True, quality(healthy, mnist), 600))
    assert not found & {"mode_collapse", "g_vanished", "d_winning"}, found


@pytest.mark.slow
def test_a_run_whose_d_blows_up_is_reported_diverged(mnist):
    """An exploding update, made deterministic: D's output weights become inf mid-run (as in test_training)."""
    from gan_core import Trainer, preset_config

    t = Trainer(preset_config("mlp", max_steps=40, max_seconds=0, snapshot_every=20), mnist, device="cpu")

    def blow_up(trainer, snap):
        if snap.step == 20:
            with torch.no_grad():
                trainer.D.head.weight.fill_(float("inf"))

    t.add_callback("on_snapshot", blow_up)
    t.run()
    assert t.status == "diverged"
    alerts = diagnose(t.history, True)
    assert [a.kind for a in alerts] == ["diverged"] and "step 21" in alerts[0].message


def alerts_along(trainer, every: int = 5) -> dict[str, list[int]]:
    """{alert kind: [steps at which the coach, reading the records so far, raised it]}, checked every `every` steps."""
    return coach_alerts_along(trainer.history, LOSS_INFO[trainer.cfg.loss].probabilistic, every)


@pytest.mark.slow
def test_the_default_recipe_is_not_flagged_while_d_is_briefly_ahead(mnist):
    """Issue #18: cdcgan's D leads for its first ~150 steps (window medians up to 0.96 / 0.025) and then G catches
    up; the coach used to say "D is winning" there and take it back seconds later. It must say nothing of it."""
    from gan_core.config import DEFAULT_PRESET

    found = alerts_along(short_run(mnist, DEFAULT_PRESET, 250))
    assert "d_winning" not in found, found
    assert "g_vanished" not in found, found


SWING_SEEDS = (0, 1, 2, 3, 4)


@pytest.mark.slow
def test_swings_preset_oscillates_early_over_seeds(mnist):
    """A statistical claim, as the lesson makes it: most seeds swing early, then D wins.

    One seed's 150 steps are chaotic (learning rates 500x the usual), and which seeds swing changes
    from one torch build to the next. Over seeds 0-9 the coach flagged oscillation within 100 steps in
    9 of 10 on torch 2.14.1 and 2.13.0 alike (BENCHMARKS.md, "Coach margins"); requiring 3 of 5 here
    fails with a probability under 1 % at that rate, while a preset that stopped swinging fails surely.
    """
    oscillated, d_won = [], []
    for seed in SWING_SEEDS:
        found = alerts_along(short_run(mnist, "swings", 150, seed=seed))
        oscillated.append(any(step <= 100 for step in found.get("oscillating", [])))
        d_won.append(any(step >= 100 for step in found.get("d_winning", [])))
    assert sum(oscillated) >= 3, oscillated
    assert sum(d_won) >= 4, d_won  # ... and then D wins for good


@pytest.mark.slow
@pytest.mark.parametrize("preset, steps", [("dcgan", 100), ("mlp", 600), ("strong-d", 60), ("high-lr", 100)])
def test_healthy_and_one_way_runs_never_oscillate(mnist, preset, steps):
    """Healthy runs, and runs where D simply wins (a one-way fall), are never called oscillating, on two seeds."""
    for seed in (0, 1):
        found = alerts_along(short_run(mnist, preset, steps, seed=seed))
        assert "oscillating" not in found, (preset, seed, found)


@pytest.mark.slow
def test_wgan_without_its_penalty_runs_away_and_with_it_does_not(mnist):
    runaway = short_run(mnist, "no-penalty", 100)
    alerts = diagnose(runaway.history, LOSS_INFO[runaway.cfg.loss].probabilistic)
    assert [a.kind for a in alerts] == ["runaway"], alerts
    sizes = [max(abs(r.d_real), abs(r.d_fake)) for r in runaway.history]
    assert max(sizes[-20:]) > max(sizes[:20]) > 0  # still growing at the end
    healthy = short_run(mnist, "wgan-gp", 60)
    assert not [a for a in diagnose(healthy.history, False) if a.kind == "runaway"]
    assert max(max(abs(r.d_real), abs(r.d_fake)) for r in healthy.history[-WINDOW:]) < SCORE_RUNAWAY / 5
