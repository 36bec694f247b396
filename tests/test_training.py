"""The Trainer on real digits: records and snapshots, reproducibility, every loss and option, the
background thread (pause/resume/stop, budgets, elapsed time), divergence handling, and a short run
that demonstrably learns."""

from __future__ import annotations

import math
import time

import pytest
import torch
from thread_support import wait_for

from gan_core import Trainer, build_models, generate, preset_config, sample_z
from gan_core.config import PRESETS
from gan_core.training import MAX_SNAPSHOTS, MAX_WEIGHT_SNAPSHOTS


def tiny(preset="mlp", **kw):
    """A few-kilobyte model and a small batch: a step takes milliseconds on one CPU thread."""
    settings = dict(g_width=4, d_width=4, latent_dim=4, batch_size=8, max_steps=0, max_seconds=0, snapshot_every=10)
    settings.update(kw)
    if not settings["max_steps"] and not settings["max_seconds"]:
        settings["max_seconds"] = 120.0  # a safety net for the thread tests, which stop runs themselves
    return preset_config(preset, **settings)


def state_of(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture
def stopper():
    """Trainers a test started; stopped and joined even when the test fails."""
    started = []
    yield started.append
    for t in started:
        t.stop()
        t.join(30)


# ------------------------------------------------------------------------------------------ records
def test_records_snapshots_and_callbacks(mnist):
    cfg = tiny(max_steps=25, snapshot_every=10)
    tr = Trainer(cfg, mnist, device="cpu")
    seen = {"records": [], "snapshots": [], "end": 0}
    tr.add_callback("on_record", lambda t, recs: seen["records"].extend(recs))
    tr.add_callback("on_snapshot", lambda t, s: seen["snapshots"].append(s.step))
    tr.add_callback("on_end", lambda t: seen.__setitem__("end", seen["end"] + 1))
    with pytest.raises(ValueError, match="Unknown event"):
        tr.add_callback("on_epoch", print)
    assert tr.status == "ready" and not tr.done and tr.join() is False
    assert tr.param_counts["G"] > 0 and tr.param_counts["D"] > 0

    assert tr.run() is tr
    assert tr.status == "finished" and tr.done and tr.step == 25
    assert tr.message == "Reached the budget of 25 steps."
    hist = tr.records()
    assert [r.step for r in hist] == list(range(1, 26)) and seen["records"] == hist
    assert tr.records(since=20) == hist[20:]
    assert all(b.elapsed >= a.elapsed for a, b in zip(hist, hist[1:])) and hist[-1].elapsed > 0
    assert hist[-1].elapsed == pytest.approx(tr.elapsed)
    for r in hist:
        assert all(math.isfinite(v) for k, v in r.to_dict().items() if k != "info_loss") and r.info_loss is None
        assert 0 <= r.d_real <= 1 and 0 <= r.d_fake <= 1  # probabilities for the BCE losses
        assert r.g_grad_norm > 0 and r.d_grad_norm > 0 and r.images_per_s > 0

    snaps = tr.snapshot_list()
    assert [s.step for s in snaps] == [0, 10, 20, 25] == seen["snapshots"] and seen["end"] == 1
    assert all(s.images.shape == (64, 28, 28) and s.images.dtype == torch.uint8 for s in snaps)
    # step 0 is the untrained G on the fixed noise; every snapshot's weights redraw its own grid
    G0 = build_models(cfg)[0].eval()
    assert torch.equal(snaps[0].images, generate(G0, tr.fixed_z))
    for s in snaps:
        assert torch.equal(generate(tr.generator_at(s), tr.fixed_z, tr.fixed_y), s.images)
    assert not torch.equal(snaps[0].images, snaps[-1].images)

    summary = tr.summary()
    assert summary["status"] == "finished" and summary["step"] == 25 and summary["last"]["step"] == 25
    assert "5,000" in summary["data"] and summary["params"] == tr.param_counts
    with pytest.raises(RuntimeError, match="already been started"):
        tr.run()


def test_export_generator_is_an_independent_eval_copy(mnist):
    tr = Trainer(tiny(max_steps=3), mnist, device="cpu").run()
    G = tr.export_generator()
    assert not G.training and not any(p.requires_grad for p in G.parameters())
    with torch.no_grad():
        for p in G.parameters():
            p.zero_()
    assert any(p.abs().sum() > 0 for p in tr.G.parameters())


def test_config_and_data_must_agree(mnist):
    with pytest.raises(ValueError, match="fashion"):
        Trainer(tiny(dataset="fashion", max_steps=1), mnist, device="cpu")


# ------------------------------------------------------------------------------------------ reproducibility
@pytest.mark.parametrize("preset, precision", [("mlp", "fp32"), ("mlp", "bf16"), ("dcgan", "bf16")])
def test_a_seed_reproduces_a_run_even_beside_other_runs(mnist, preset, precision):
    """Runs in one process draw from their own RNGs: two concurrent runs don't disturb each other.
    Under bf16 autocast too (whose shared cache of cast weights once let a run read stale weights)."""
    a = Trainer(tiny(preset, max_steps=15, seed=3, precision=precision), mnist, device="cpu")
    b = Trainer(tiny(preset, max_steps=15, seed=4, precision=precision), mnist, device="cpu")
    a.start(), b.start()
    torch.rand(1000)  # the global RNG is not theirs
    assert a.join(60) and b.join(60)
    c = Trainer(tiny(preset, max_steps=15, seed=3, precision=precision), mnist, device="cpu").run()
    assert same_state(state_of(a.G), state_of(c.G)) and same_state(state_of(a.D), state_of(c.D))
    assert [r.g_loss for r in a.history] == [r.g_loss for r in c.history]
    assert not same_state(state_of(a.G), state_of(b.G))


# ------------------------------------------------------------------------------------------ every loss / option
CASES = {name: {} for name in PRESETS}
CASES.update(
    {
        "label-smoothing": {"label_smoothing": 0.1},
        "ema": {"ema": 0.99},
        "grad-clip": {"grad_clip": 0.5},
        "d-steps": {"d_steps": 3},
        "conditional-mlp": {"conditional": True},
        "least-squares": {"loss": "least-squares"},
        "minibatch-std": {"arch": "dcgan", "minibatch_std": 4},
        "d-augment": {"d_augment": 2},
    }
)


@pytest.mark.parametrize("case", list(CASES))
def test_every_preset_and_option_trains(mnist, case):
    preset = case if case in PRESETS else "mlp"
    tr = Trainer(tiny(preset, max_steps=4, snapshot_every=2, **CASES[case]), mnist, device="cpu").run()
    assert tr.status == "finished", tr.message
    assert len(tr.history) == 4
    assert all(math.isfinite(r.d_loss) and math.isfinite(r.g_loss) for r in tr.history)
    before, after = tr.snapshots[0].g_state, tr.snapshots[-1].g_state
    assert not same_state(before, after)  # G moved
    if tr.cfg.conditional:
        assert tr.fixed_y is not None and tr.fixed_y.tolist()[:11] == list(range(10)) + [0]


@pytest.mark.parametrize("shift", [0, 2])
def test_d_augment_shows_d_shifted_digits_and_g_its_own(mnist, shift):
    """One real digit repeated: D's real inputs are that digit moved by up to `shift` pixels (all alike when off)."""
    from gan_core.data import ImageData, to_unit_range

    one = ImageData("mnist", mnist.images[:1].repeat(64, 1, 1), mnist.labels[:1].repeat(64), "one digit")
    tr = Trainer(tiny("dcgan", max_steps=3, d_augment=shift), one, device="cpu")
    seen = []
    tr.D.register_forward_pre_hook(lambda mod, args: seen.append(args[0].detach().clone()))
    tr.run()
    assert tr.status == "finished", tr.message
    digit = to_unit_range(mnist.images[:1])[0, 0]  # (28, 28)
    pad = torch.nn.functional.pad(digit, (2, 2, 2, 2), value=-1.0)
    shifts = {(dy, dx): torch.roll(pad, (dy, dx), (0, 1))[2:-2, 2:-2] for dy in range(-2, 3) for dx in range(-2, 3)}
    reals = seen[0][:, 0]  # (B, 28, 28) the first D call: reals
    found = {next((k for k, v in shifts.items() if torch.equal(v, r)), None) for r in reals}
    assert None not in found  # every one is the digit, moved
    assert (found == {(0, 0)}) == (shift == 0) and (len(found) > 2) == (shift > 0)


def test_ema_is_the_documented_moving_average(mnist):
    tr = Trainer(tiny(max_steps=5, ema=0.9), mnist, device="cpu")
    assert tr.sampling_generator() is tr.G_ema
    g0 = state_of(tr.G)
    assert same_state(g0, state_of(tr.G_ema))  # starts as a copy of G
    tr.train_step()  # step 0: warm-up decay min(0.9, 1/10) = 0.1
    g1, ema = state_of(tr.G), state_of(tr.G_ema)
    for name, _ in tr.G.named_parameters():
        torch.testing.assert_close(ema[name], 0.1 * g0[name] + 0.9 * g1[name])  # theta_ema <- d theta_ema + (1-d) theta
    for name, _ in tr.G.named_buffers():
        assert torch.equal(ema[name], g1[name])  # BatchNorm statistics are copied
    tr.step = 100  # later: (1+100)/(10+100) > 0.9, so the decay is 0.9
    tr.train_step()
    g2, ema2 = state_of(tr.G), state_of(tr.G_ema)
    for name, _ in tr.G.named_parameters():
        torch.testing.assert_close(ema2[name], 0.9 * ema[name] + 0.1 * g2[name])
    assert not same_state(state_of(tr.export_generator()), g2)


def test_snapshots_are_thinned_to_bound_memory(mnist):
    tr = Trainer(tiny(max_steps=MAX_SNAPSHOTS + 20, snapshot_every=1), mnist, device="cpu").run()
    snaps = tr.snapshot_list()
    steps = [s.step for s in snaps]
    assert len(snaps) <= MAX_SNAPSHOTS and steps[0] == 0 and steps[-1] == tr.step
    assert steps == sorted(set(steps))
    with_weights = [s for s in snaps if s.g_state is not None]
    assert len(with_weights) <= MAX_WEIGHT_SNAPSHOTS
    assert with_weights[0].step == 0 and with_weights[-1].step == tr.step
    assert tr.generator_at(next(s for s in snaps if s.g_state is None)) is None


# ------------------------------------------------------------------------------------------ background thread
def test_pause_resume_stop(mnist, stopper):
    tr = Trainer(tiny(), mnist, device="cpu")
    ends = []
    tr.add_callback("on_end", lambda t: ends.append(t.status))
    stopper(tr)
    assert tr.start() is tr
    wait_for(lambda: tr.step >= 15, what="the run to make progress")
    assert tr.status == "running"

    tr.pause()
    wait_for(lambda: tr.status == "paused", what="the pause")
    step, elapsed = tr.step, tr.elapsed
    time.sleep(0.5)
    assert (tr.step, tr.elapsed) == (step, elapsed)  # nothing trains and the clock stands still
    assert len(tr.records()) == step  # pausing flushes every record so far

    tr.resume()
    wait_for(lambda: tr.step >= step + 15, what="the run to resume")
    assert tr.status == "running"

    tr.stop()
    assert tr.join(30)
    assert tr.status == "stopped" and tr.done and ends == ["stopped"]
    assert tr.message == f"Stopped by the user after {tr.step} steps."
    assert [r.step for r in tr.history] == list(range(1, tr.step + 1))
    assert tr.snapshots[-1].step == tr.step  # a final snapshot of where it stopped


def test_starting_twice_is_refused(mnist, stopper):
    """A double click must not put a second training loop on the same models."""
    tr = Trainer(tiny(max_steps=40), mnist, device="cpu")
    stopper(tr)
    tr.start()
    with pytest.raises(RuntimeError, match="already been started"):
        tr.start()
    assert tr.join(60) and tr.status == "finished" and tr.step == 40
    assert [r.step for r in tr.history] == list(range(1, 41))
    with pytest.raises(RuntimeError, match="already been started"):
        tr.start()


def test_stop_while_paused(mnist, stopper):
    tr = Trainer(tiny(), mnist, device="cpu")
    stopper(tr)
    tr.start()
    wait_for(lambda: tr.step >= 3)
    tr.pause()
    wait_for(lambda: tr.status == "paused")
    tr.stop()
    assert tr.join(30) and tr.status == "stopped"


def test_step_budget_in_the_background(mnist, stopper):
    tr = Trainer(tiny(max_steps=33), mnist, device="cpu")
    stopper(tr)
    tr.start()
    assert tr.join(60)
    assert tr.status == "finished" and tr.step == 33 and len(tr.history) == 33
    assert tr.message == "Reached the budget of 33 steps."
    assert tr.remaining_seconds is None


def test_seconds_budget(mnist, stopper):
    tr = Trainer(tiny(max_seconds=0.5), mnist, device="cpu")
    assert tr.remaining_seconds == 0.5
    stopper(tr)
    tr.start()
    assert tr.join(60)
    assert tr.status == "finished" and tr.step > 0
    assert 0.5 <= tr.elapsed < 0.5 + 2.0  # stops at the first step past the budget
    assert tr.remaining_seconds == 0.0
    assert "time budget of 0.5 s" in tr.message and f"({tr.step} steps)" in tr.message


def test_elapsed_excludes_pauses(mnist, stopper):
    tr = Trainer(tiny(max_seconds=1.0), mnist, device="cpu")
    stopper(tr)
    t0 = time.monotonic()
    tr.start()
    wait_for(lambda: tr.step >= 5)
    tr.pause()
    wait_for(lambda: tr.status == "paused")
    time.sleep(1.5)
    tr.resume()
    assert tr.join(60)
    wall = time.monotonic() - t0
    assert tr.status == "finished"
    assert tr.elapsed >= 1.0  # the whole training-time budget was used ...
    assert wall >= tr.elapsed + 1.4  # ... and the 1.5 s pause was not counted in it
    gaps = [b.elapsed - a.elapsed for a, b in zip(tr.history, tr.history[1:])]
    assert max(gaps) < 1.0  # no jump in the records' clock across the pause


def test_a_crash_ends_the_run_visibly(mnist, stopper):
    tr = Trainer(tiny(max_steps=50), mnist, device="cpu")
    real_step = tr.train_step

    def exploding_step():  # a fault inside the training step after 10 good steps
        if tr.step == 10:
            raise RuntimeError("step bug")
        real_step()

    tr.train_step = exploding_step
    ends = []
    tr.add_callback("on_end", lambda t: ends.append(t.status))
    stopper(tr)
    tr.start()
    assert tr.join(60)
    assert tr.status == "failed"
    assert ends == ["failed"]
    assert isinstance(tr.error, RuntimeError)
    assert "crashed at step 10" in tr.message
    assert "step bug" in tr.message


def test_a_callback_that_raises_is_isolated_and_the_others_still_run(mnist, stopper):
    """The scheduler frees a run's slot in the last on_end callback: an earlier one that raises must not stop it."""

    def explode(trainer, *args):
        raise RuntimeError("callback bug")

    tr = Trainer(tiny(max_steps=20), mnist, device="cpu")
    ends, snaps = [], []
    tr.add_callback("on_snapshot", explode)
    tr.add_callback("on_snapshot", lambda t, snap: snaps.append(snap.step))
    tr.add_callback("on_end", explode)
    tr.add_callback("on_end", lambda t: ends.append(t.status))
    stopper(tr)
    tr.start()
    assert tr.join(60)
    assert tr.status == "finished"  # the run itself is fine
    assert ends == ["finished"]  # the callback after the failing one ran
    assert snaps == [0, 10, 20]
    assert len(tr.callback_errors) == 4  # 3 snapshots + 1 end, each recorded
    assert all("RuntimeError: callback bug" in e for e in tr.callback_errors)


# ------------------------------------------------------------------------------------------ divergence
def _poison_d_at(step):
    """A callback that puts infinities into D's weights at a snapshot: what an exploding update does."""

    def poison(trainer, snap):
        if snap.step == step:
            with torch.no_grad():
                trainer.D.head.weight.fill_(float("inf"))

    return poison


def test_non_finite_losses_stop_the_run_and_roll_g_back(mnist):
    tr = Trainer(tiny(max_steps=100, snapshot_every=20), mnist, device="cpu")
    tr.add_callback("on_snapshot", _poison_d_at(20))
    tr.run()
    assert tr.status == "diverged" and tr.done
    assert tr.step == 30  # detected at the first check after the damage
    assert all(math.isfinite(r.d_loss) for r in tr.history[:20]) and not math.isfinite(tr.history[20].d_loss)
    assert "diverged at step 21" in tr.message and "learning rate" in tr.message
    assert "rolled back to step 20" in tr.message
    healthy = next(s for s in tr.snapshots if s.step == 20).g_state
    assert same_state(state_of(tr.G), healthy)
    assert all(torch.isfinite(v).all() for v in tr.G.state_dict().values() if v.is_floating_point())
    images = generate(tr.export_generator(), sample_z(8, 4, seed=0))
    assert images.shape == (8, 28, 28)


def test_divergence_found_while_pausing_ends_the_run(mnist, stopper):
    """Records are checked when a pause flushes them too: a diverged run must not resume training."""
    tr = Trainer(tiny(max_steps=100, snapshot_every=3), mnist, device="cpu")
    tr.add_callback("on_snapshot", _poison_d_at(3))
    tr.add_callback("on_snapshot", lambda t, s: t.pause() if s.step == 6 else None)
    stopper(tr)
    tr.start()
    wait_for(lambda: tr.status in ("paused", "diverged"), what="the pause or the diagnosis")
    assert tr.join(10), f"the thread is still alive with status {tr.status!r}"
    assert tr.status == "diverged" and tr.step == 6
    assert "diverged at step 4" in tr.message and "rolled back to step 3" in tr.message
    assert same_state(state_of(tr.G), tr.snapshots[1].g_state)


# ------------------------------------------------------------------------------------------ learning
def pixel_stats(pixels: torch.Tensor) -> dict:
    """Summary statistics of (N, 28, 28) uint8 images that tell digits from noise or grey."""
    x = pixels.float() / 255
    return {
        "ink": x.mean().item(),  # mean brightness: digits are mostly black
        "background": (x < 0.1).float().mean().item(),  # fraction of near-black pixels
        "mean_image": x.mean(0),
    }  # where the ink is, on average


@pytest.mark.slow
def test_a_short_run_on_real_digits_learns(mnist):
    """300 steps of a small DCGAN move G's samples from grey noise toward the real digits' statistics.

    A loop that does not update G, updates it in the wrong direction, or feeds D unscaled pixels
    leaves these statistics where they start (or pushes them away).
    """
    real = pixel_stats(mnist.images)
    cfg = preset_config(
        "dcgan", g_width=16, d_width=16, batch_size=32, max_steps=300, max_seconds=0, snapshot_every=1000, seed=0
    )
    tr = Trainer(cfg, mnist, device="cpu")
    z = sample_z(256, cfg.latent_dim, seed=123)
    before = pixel_stats(generate(tr.export_generator(), z))
    tr.run()
    assert tr.status == "finished", tr.message
    after = pixel_stats(generate(tr.export_generator(), z))

    def dist(s):
        return (s["mean_image"] - real["mean_image"]).abs().mean().item()

    # the untrained G is far from the data: a mid-grey haze, no background at all
    assert abs(before["ink"] - real["ink"]) > 0.25 and before["background"] < 0.05 and dist(before) > 0.25
    assert abs(after["ink"] - real["ink"]) < 0.5 * abs(before["ink"] - real["ink"])
    assert after["background"] > 0.25  # real digits: ~80 % near-black pixels
    assert dist(after) < 0.4 * dist(before)  # the ink gathers where digits have ink


def test_snapshot_thinning_keeps_an_even_timeline_from_step_0(mnist, monkeypatch):
    """Past the caps, kept grids and weight copies stay evenly spaced from step 0 to the latest step."""
    import gan_core.training as training

    monkeypatch.setattr(training, "MAX_SNAPSHOTS", 12)
    monkeypatch.setattr(training, "MAX_WEIGHT_SNAPSHOTS", 5)
    cfg = preset_config("mlp", max_steps=203, max_seconds=0, snapshot_every=2, g_width=4, d_width=4)
    tr = Trainer(cfg, mnist, device="cpu").run()
    steps = [s.step for s in tr.snapshots]
    weights = [s.step for s in tr.snapshots if s.g_state is not None]
    assert len(steps) <= 12 and len(weights) <= 5
    assert steps[0] == 0 and steps[-1] == 203 and weights[0] == 0 and weights[-1] == 203
    for kept in (steps[:-1], weights[:-1]):  # all but the latest sit on one even grid
        gaps = {b - a for a, b in zip(kept, kept[1:])}
        assert len(gaps) == 1, kept


def test_lr_decay_falls_linearly_to_zero_over_the_budget(mnist):
    cfg = tiny(max_steps=10, lr_decay=True)
    tr = Trainer(cfg, mnist, device="cpu").run()
    assert tr.status == "finished"
    # the last step (step index 9 of 10) ran at a tenth of the learning rates
    assert tr.opt_g.param_groups[0]["lr"] == pytest.approx(cfg.lr_g * 0.1)
    assert tr.opt_d.param_groups[0]["lr"] == pytest.approx(cfg.lr_d * 0.1)
    steady = Trainer(tiny(max_steps=10), mnist, device="cpu").run()
    assert steady.opt_g.param_groups[0]["lr"] == cfg.lr_g  # off by default: constant
    timed = Trainer(tiny(max_steps=0, max_seconds=0.5, lr_decay=True), mnist, device="cpu").run()
    assert 0 <= timed.opt_g.param_groups[0]["lr"] < cfg.lr_g  # a time budget decays by elapsed time


def test_a_continued_run_keeps_its_average_without_warm_up(mnist):
    """load_weights: G, D and the EMA copy start from the given networks, and the EMA skips its warm-up (its
    average already holds trained weights), so the first step moves it by only 1 - decay."""
    donor = Trainer(tiny(max_steps=3, ema=0.9), mnist, device="cpu").run()
    tr = Trainer(tiny(max_steps=2, ema=0.9, seed=7), mnist, device="cpu").load_weights(
        donor.export_generator(), donor.D
    )
    assert same_state(state_of(tr.G), state_of(donor.export_generator()))
    assert same_state(state_of(tr.D), state_of(donor.D)) and same_state(state_of(tr.G_ema), state_of(tr.G))
    g0 = state_of(tr.G)
    tr.train_step()
    g1, ema = state_of(tr.G), state_of(tr.G_ema)
    for name, _ in tr.G.named_parameters():
        torch.testing.assert_close(ema[name], 0.9 * g0[name] + 0.1 * g1[name])  # decay 0.9 from the first step
    with pytest.raises(ValueError, match="do not fit"):
        Trainer(tiny("dcgan", max_steps=1), mnist, device="cpu").load_weights(donor.G, donor.D)
    with pytest.raises(RuntimeError, match="before the run starts"):
        donor.load_weights(donor.G, donor.D)


def test_the_gradient_penalty_reaches_d(mnist):
    """WGAN-GP's penalty is part of what D descends: with it, D's first update differs from plain WGAN's."""
    runs = [Trainer(tiny("wgan-gp", max_steps=1, gp_weight=w), mnist, device="cpu") for w in (10.0, 0.0)]
    for t in runs:
        t.train_step()
    assert not same_state(state_of(runs[0].D), state_of(runs[1].D))


# ------------------------------------------------------------------------------------------ memory layout
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_channels_last_on_cpu_trains_the_same_numbers_as_the_plain_layout(mnist, precision):
    """On CPU a DCGAN's G and D train channels-last (oneDNN's fast layout): the same run as the plain layout,
    to float noise, and what leaves the Trainer (exported G and D, snapshot generators) is plain again."""
    cfg = tiny("dcgan", g_width=8, d_width=8, batch_size=16, precision=precision, seed=3)
    fast = Trainer(cfg, mnist, device="cpu")
    plain = Trainer(cfg, mnist, device="cpu")
    assert fast.G.channels_last and fast.G.up1.weight.is_contiguous(memory_format=torch.channels_last)
    assert not fast.G.up1.weight.is_contiguous() and not fast.D.down2.weight.is_contiguous()
    plain.G.memory_layout(channels_last=False)  # in place: the optimisers keep the same parameters
    plain.D.to(memory_format=torch.contiguous_format)
    assert plain.G.up1.weight.is_contiguous() and plain.D.down2.weight.is_contiguous()

    for _ in range(3):
        fast.train_step()
        plain.train_step()
    tol = dict(rtol=1e-4, atol=1e-5) if precision == "fp32" else dict(rtol=2e-2, atol=2e-3)
    # Except D.down2.bias: BatchNorm right after it subtracts the batch mean, so its true gradient is 0 and what
    # autograd finds is rounding noise, which Adam (dividing by sqrt(v)) turns into full-size steps of any sign;
    # BatchNorm's running mean carries that bias along (in training mode D's output never sees either).
    noise_only = {"D.down2.bias", "D.bn2.running_mean"}
    for net in ("G", "D"):
        a, b = state_of(getattr(fast, net)), state_of(getattr(plain, net))
        assert a.keys() == b.keys()
        for k in a.keys() - {n.removeprefix(net + ".") for n in noise_only}:
            torch.testing.assert_close(a[k], b[k], **tol, msg=f"{net}.{k} after 3 steps")
    torch.testing.assert_close(torch.stack(fast._pending), torch.stack(plain._pending), **tol, equal_nan=True)

    G, D = fast.export_generator(), fast.export_discriminator()
    assert not G.channels_last
    assert all(p.is_contiguous() for p in [*G.parameters(), *D.parameters()])
    z = sample_z(8, cfg.latent_dim, seed=0)
    with torch.no_grad():
        torch.testing.assert_close(G(z), plain.export_generator()(z), **tol)


def test_d_hands_its_gradient_back_in_its_own_layout():
    """Flatten's backward makes a plain (B, C, H, W) gradient; D's features turn it back to channels-last before
    LeakyReLU's backward meets it (mixed layouts take a slow generic loop there). The values are unchanged."""
    from gan_core.models import _flatten_keeping_layout

    weights = torch.randn(6 * 49)
    for channels_last in (True, False):
        leaf = torch.randn(4, 6, 7, 7, requires_grad=True)
        h = leaf.contiguous(memory_format=torch.channels_last) if channels_last else leaf * 1.0  # (4, 6, 7, 7)
        flat = _flatten_keeping_layout(h)  # (4, 294)
        seen = []  # what the next op back (LeakyReLU's backward in D) is handed: hooks run in order
        h.register_hook(seen.append)
        (flat @ weights).sum().backward()
        assert seen[0].is_contiguous(memory_format=torch.channels_last) == channels_last
        assert seen[0].is_contiguous() != channels_last
        torch.testing.assert_close(seen[0], weights.view(1, 6, 7, 7).expand(4, -1, -1, -1))
        torch.testing.assert_close(leaf.grad, weights.view(1, 6, 7, 7).expand(4, -1, -1, -1))
