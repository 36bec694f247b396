"""QualityMonitor: live sample quality of a real (tiny) training run on the offline digits, measured
off the training thread at the configured interval, and a collapsed sample that it reads as collapsed."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from gan_core import QualityMonitor, Trainer, preset_config
from gan_core import monitor as monitor_module
from gan_core.classifier import DEFAULT_PATH
from gan_core.data import to_unit_range
from gan_core.metrics import get_reference

N = 64  # digits per measurement: enough for the histogram, quick on one CPU thread


@pytest.fixture(scope="module")
def ref(mnist):
    if not DEFAULT_PATH.is_file():
        pytest.skip("pretrained/classifier.safetensors missing")
    return get_reference(mnist)


def tiny(**kw):
    """A few-kilobyte MLP GAN: a step takes milliseconds."""
    settings = dict(g_width=4, d_width=4, latent_dim=4, batch_size=8, max_seconds=0, snapshot_every=2)
    settings.update(kw)
    return preset_config("mlp", **settings)


class RealDigits(nn.Module):
    """A 'generator' that returns real digits, one per z (cycling through a bank): quality without training."""

    conditional, num_classes = False, 10

    def __init__(self, bank: torch.Tensor, latent_dim: int = 4):
        super().__init__()
        self.bank, self.latent_dim = bank, latent_dim
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, z, y=None):
        rows = torch.arange(len(z)) % len(self.bank)
        return to_unit_range(self.bank[rows])  # (B, 1, 28, 28) in [-1, 1]


def assert_sane(q, n=N):
    assert q.n == n and sum(q.histogram) == n and len(q.histogram) == 10
    assert 0 <= len(q.classes_present) <= 10 and all(0 <= c <= 9 for c in q.classes_present)
    for v in (q.class_kl, q.inception_score, q.confidence, q.frechet, q.frechet_floor):
        assert math.isfinite(v)
    assert 1.0 - 1e-6 <= q.inception_score <= 10.0 + 1e-6 and q.class_kl >= 0 and q.frechet >= 0


# ------------------------------------------------------------------------------------------ a real run
def test_records_appear_at_the_configured_interval_and_at_the_end(mnist, ref):
    trainer = Trainer(tiny(max_steps=23), mnist, device="cpu")
    monitor = QualityMonitor(ref, every=6, n=N).attach(trainer)
    # make the hand-over deterministic: wait for each measurement before training on (the app never does)
    trainer.add_callback("on_snapshot", lambda t, s: monitor.flush(60))
    trainer.run()
    assert monitor.join(60) and monitor.done and monitor.error is None
    recs = monitor.records()
    assert [step for step, _ in recs] == [0, 6, 12, 18, 23]  # step 0, every 6 steps, and the end
    for _, q in recs:
        assert_sane(q)
    assert recs[0][1].frechet > recs[0][1].frechet_floor  # untrained G: far from real digits
    assert len({q.frechet_floor for _, q in recs}) == 1  # the same floor (same n) throughout
    assert monitor.latest() == recs[-1] and monitor.busy_seconds > 0
    assert len(monitor.class_dist) == 10 and sum(monitor.class_dist) == pytest.approx(1.0)
    # each record measured G as it was at that step: redraw the last one from the run's final weights
    final = monitor.measure(trainer.export_generator(), 999)
    assert final.histogram == recs[-1][1].histogram


def test_a_background_run_keeps_the_newest_measurement_and_the_last_step(mnist, ref):
    """Without waiting, the worker may skip snapshots while it is busy, but never the run's final state."""
    trainer = Trainer(tiny(max_steps=40), mnist, device="cpu")
    monitor = QualityMonitor(ref, every=4, n=N).attach(trainer)
    trainer.start()
    assert trainer.join(60) and monitor.join(60)
    steps = [s for s, _ in monitor.records()]
    assert steps == sorted(steps) and steps[-1] == 40
    assert set(steps) <= {0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40}


def test_conditional_generators_are_asked_for_every_digit(mnist, ref):
    trainer = Trainer(tiny(max_steps=4, conditional=True), mnist, device="cpu")
    monitor = QualityMonitor(ref, every=100, n=30).attach(trainer)
    trainer.run()
    assert monitor.join(60)
    assert [s for s, _ in monitor.records()] == [0, 4]
    z, y = monitor.fixed_noise(trainer.G)
    assert z.shape == (30, 4) and torch.equal(y, torch.arange(30) % 10)
    assert torch.equal(monitor.fixed_noise(trainer.G)[0], z)  # the same z at every measurement


# ------------------------------------------------------------------------------------------ what it reports
def test_a_collapsed_sample_has_one_class_present(mnist, ref):
    sevens = mnist.images[mnist.labels == 7][:256]  # 256, as in the app: one misread digit is < 1 %
    monitor = QualityMonitor(ref, n=256)
    q = monitor.measure(RealDigits(sevens).eval(), step=0)
    assert_sane(q, 256)
    assert q.classes_present == [7] and q.class_kl > 2.0  # ~ log 10: one digit only
    varied = monitor.measure(RealDigits(mnist.images[::37]).eval(), step=1)
    assert len(varied.classes_present) == 10 and varied.class_kl < 0.2
    assert varied.frechet < q.frechet
    assert [s for s, _ in monitor.records()] == [0, 1]


def test_a_failing_measurement_never_breaks_the_run(mnist, ref, monkeypatch):
    def broken(images, reference=None, **codes):
        raise RuntimeError("classifier exploded")

    monkeypatch.setattr(monitor_module, "quick_quality", broken)
    trainer = Trainer(tiny(max_steps=6), mnist, device="cpu")
    monitor = QualityMonitor(ref, every=2, n=N).attach(trainer)
    trainer.run()
    assert trainer.status == "finished" and trainer.step == 6
    assert monitor.join(60) and monitor.records() == []
    assert "classifier exploded" in monitor.error and "step 0" in monitor.error


def test_attach_rules(mnist, ref):
    with pytest.raises(ValueError, match="only judges MNIST"):
        QualityMonitor(ref).attach(SimpleNamespace(cfg=SimpleNamespace(dataset="fashion")))
    with pytest.raises(ValueError, match="every"):
        QualityMonitor(ref, every=0)
    with pytest.raises(ValueError, match="at least 2"):
        QualityMonitor(ref, n=1)
    trainer = Trainer(tiny(max_steps=2), mnist, device="cpu")
    monitor = QualityMonitor(ref, n=N).attach(trainer)
    with pytest.raises(RuntimeError, match="one run"):
        monitor.attach(trainer)
    trainer.run()
    with pytest.raises(RuntimeError, match="before the run starts"):
        QualityMonitor(ref, n=N).attach(trainer)
    assert monitor.join(60)
