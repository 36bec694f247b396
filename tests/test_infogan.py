"""InfoGAN: the config's checks, the models' code input and Q head, the information loss, a run on real
digits whose code becomes readable (and does not without the loss), records, checkpoints, sampling from
the command line, and the code-to-digit report of `evaluate`."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gan_core import Trainer, generate, load_checkpoint, preset_config, sample_z, save_checkpoint
from gan_core.bundle import history_csv
from gan_core.classifier import DEFAULT_PATH
from gan_core.config import ConfigError
from gan_core.evaluation import evaluate_generator, format_evaluation
from gan_core.losses import info_loss_fn
from gan_core.metrics import code_report
from gan_core.models import build_models

ROOT = Path(__file__).resolve().parent.parent
LN10 = math.log(10)


def small(**kw):
    settings = dict(g_width=16, d_width=16, batch_size=32, max_steps=500, max_seconds=0, snapshot_every=250, ema=0.0)
    settings.update(kw)
    return preset_config("infogan", **settings)


@pytest.fixture(scope="module")
def learned(mnist):
    """500 steps of a small InfoGAN on the 5,000 real digits: long enough for Q to read the code."""
    return Trainer(small(), mnist, device="cpu").run()


# ------------------------------------------------------------------------------------------ config and models
@pytest.mark.parametrize(
    "changes, words",
    [
        ({"info_codes": 1}, "from 2 to 100"),
        ({"info_codes": 101}, "from 2 to 100"),
        ({"info_codes": 2.5}, "whole number"),
        ({"info_weight": -1.0}, "info_weight must be >= 0"),
        ({"info_weight": float("nan")}, "finite"),
        ({"conditional": True}, "Choose one"),
    ],
)
def test_bad_infogan_settings_are_refused_in_words(changes, words):
    with pytest.raises(ConfigError, match=words):
        preset_config("infogan", **changes)


def test_g_takes_the_code_and_d_has_a_q_head_but_no_label():
    cfg = preset_config("infogan", info_codes=7, g_width=8, d_width=8)
    G, D = build_models(cfg)
    assert G.info and G.conditional and G.num_classes == 7  # G takes a class input: the code
    assert not D.conditional and D.code_head.out_features == 7  # D never sees the code
    x = G(torch.randn(5, cfg.latent_dim), torch.arange(5))  # (5, 1, 28, 28)
    logits, codes = D.scores(x)
    assert logits.shape == (5,) and codes.shape == (5, 7)
    assert torch.equal(D(x), logits)
    with pytest.raises(ValueError, match="class label"):
        G(torch.randn(2, cfg.latent_dim))  # no code: refused, not guessed
    # the code enters on z's scale (N(0, 1)), not at the 0.02 of every other weight (a label's embedding keeps that)
    assert G.label_embed.weight.std().item() == pytest.approx(1.0, abs=0.3)
    assert build_models(preset_config("cdcgan", g_width=8, d_width=8))[0].label_embed.weight.std().item() < 0.05
    plain = build_models(preset_config("dcgan", g_width=8, d_width=8))
    assert not plain[0].info and plain[1].code_head is None and plain[1].scores(x)[1] is None


def test_info_loss_is_the_codes_cross_entropy():
    codes = torch.tensor([0, 3, 9, 3])
    assert info_loss_fn(torch.zeros(4, 10), codes).item() == pytest.approx(LN10)  # Q guesses blindly
    sure = torch.full((4, 10), -20.0)
    sure[torch.arange(4), codes] = 20.0
    assert info_loss_fn(sure, codes).item() < 1e-6  # every code read right
    wrong = torch.full((4, 10), -20.0)
    wrong[torch.arange(4), (codes + 1) % 10] = 20.0
    assert info_loss_fn(wrong, codes).item() > 30  # confidently wrong


# ------------------------------------------------------------------------------------------ training
def test_q_learns_to_read_the_code_on_real_digits(learned):
    """Q's cross-entropy starts at ln 10 (it cannot tell the codes apart) and, on real digits, falls far
    below it within 500 steps: G's pictures carry their code, and Q reads it."""
    info = [r.info_loss for r in learned.history]
    assert learned.status == "finished" and len(info) == 500 and all(math.isfinite(v) for v in info)
    assert info[0] == pytest.approx(LN10, abs=0.2)
    assert sum(info[-50:]) / 50 < 0.6


def test_the_information_term_reaches_g_d_and_q_and_only_through_lambda(mnist):
    """One step from the same seed with lambda = 1 and lambda = 0: the information gradient changes G, D's
    body and Q; with lambda = 0, Q (used by nothing else) is never updated."""
    runs = {w: Trainer(small(max_steps=1, info_weight=w), mnist, device="cpu") for w in (1.0, 0.0)}
    q0 = {w: t.D.code_head.weight.detach().clone() for w, t in runs.items()}
    for t in runs.values():
        t.train_step()
    on, off = runs[1.0], runs[0.0]
    assert torch.equal(q0[1.0], q0[0.0])  # same start
    assert not torch.equal(on.D.code_head.weight, q0[1.0])  # Q learned
    assert torch.equal(off.D.code_head.weight, q0[0.0])  # no lambda, no Q update
    assert not torch.equal(on.G.project.weight, off.G.project.weight)  # G felt the information term
    assert not torch.equal(on.D.down1.weight, off.D.down1.weight)  # so did D's shared body


def test_records_carry_the_information_loss_and_d_loss_stays_adversarial(learned, mnist):
    plain = Trainer(
        preset_config("dcgan", g_width=8, d_width=8, batch_size=8, max_steps=3, max_seconds=0), mnist, device="cpu"
    ).run()
    assert all(r.info_loss is None for r in plain.history)
    csv_plain, csv_info = history_csv(plain.history), history_csv(learned.history[:3])
    assert csv_plain.splitlines()[0].endswith(",info_loss") and csv_plain.splitlines()[1].endswith(",")
    assert float(csv_info.splitlines()[1].rsplit(",", 1)[1]) == learned.history[0].info_loss
    from gan_core.losses import LOSS_INFO
    from gan_ui import charts, settings

    legend = {
        t.name: t.line.color
        for t in charts.loss_figure(learned.history, LOSS_INFO["non-saturating"]).data
        if t.showlegend is not False
    }
    assert legend == {"D loss": settings.D_COLOR, "G loss": settings.G_COLOR, "code loss (Q)": settings.INFO_COLOR}
    assert "code loss (Q)" not in {t.name for t in charts.loss_figure(plain.history, LOSS_INFO["non-saturating"]).data}
    # the snapshot grid asks for codes 0..9 in turn, as a conditional run's asks for digits
    assert learned.fixed_y.tolist()[:11] == list(range(10)) + [0]


# ------------------------------------------------------------------------------------------ files and sampling
def test_checkpoint_round_trip_keeps_the_code_and_q(learned, tmp_path):
    path = save_checkpoint(
        tmp_path / "info.safetensors",
        learned.cfg,
        learned.export_generator(),
        learned.D,
        {"steps": learned.step, "name": "info"},
    )
    ck = load_checkpoint(path)
    assert ck.config.info_codes == 10 and ck.G.info and ck.G.num_classes == 10 and ck.D.code_head is not None
    z = sample_z(10, ck.config.latent_dim, seed=1)
    assert torch.equal(generate(ck.G, z, torch.arange(10)), generate(learned.export_generator(), z, torch.arange(10)))


def _cli(*args, timeout=120):
    env = {k: v for k, v in os.environ.items() if k != "GAN_CLASSROOM_DATA"}
    env.update(GAN_CLASSROOM_OFFLINE="1", OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "gan_core", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_cli_samples_an_infogan_with_and_without_a_code(learned, tmp_path):
    import numpy as np

    path = save_checkpoint(
        tmp_path / "info.safetensors",
        learned.cfg,
        learned.export_generator(),
        learned.D,
        {"steps": learned.step, "name": "info"},
    )
    one = _cli("sample", "--model", str(path), "--n", "20", "--label", "4", "--out", str(tmp_path / "c4.npy"))
    mixed = _cli("sample", "--model", str(path), "--n", "20", "--out", str(tmp_path / "all.npy"))
    assert one.returncode == 0 and mixed.returncode == 0, one.stderr + mixed.stderr
    c4, every = np.load(tmp_path / "c4.npy"), np.load(tmp_path / "all.npy")
    assert c4.shape == every.shape == (20, 28, 28) and not np.array_equal(c4, every)
    (tmp_path / "c4.npy").unlink()
    wrong = _cli("sample", "--model", str(path), "--n", "2", "--label", "10", "--out", str(tmp_path / "c4.npy"))
    assert wrong.returncode == 2 and "error:" in wrong.stderr and not (tmp_path / "c4.npy").exists()


# ------------------------------------------------------------------------------------------ evaluation
def test_code_report_on_known_assignments():
    codes = torch.arange(10).repeat(30)  # 300 samples, 30 per code
    perm = torch.tensor([7, 2, 0, 9, 4, 1, 8, 3, 6, 5])
    per_code, purity = code_report(perm[codes], codes, 10)  # every code is one digit
    assert purity == 1.0 and [d for d, _ in per_code] == perm.tolist() and all(s == 1.0 for _, s in per_code)
    half = perm[codes].clone()
    half[:150] = 0  # half of every code's samples read as 0
    per_code, purity = code_report(half, codes, 10)
    assert purity == pytest.approx((9 * 15 + 30) / 300)  # code 2 (which draws 0s) stays pure
    unused = code_report(torch.zeros(3, dtype=torch.long), torch.zeros(3, dtype=torch.long), 4)[0]
    assert unused[0] == [0, 1.0] and unused[1:] == [[None, 0.0]] * 3


@pytest.mark.skipif(not DEFAULT_PATH.is_file(), reason="pretrained/classifier.safetensors missing")
def test_evaluate_reports_which_digit_each_code_draws(learned, mnist):
    ev = evaluate_generator(learned.export_generator(), n=500, data=mnist, memorization=False, name="info")
    assert ev.label_accuracy is None  # a code is not a digit: no "right digit" score
    assert len(ev.code_digits) == 10 and 0.1 <= ev.code_purity <= 1.0
    assert sum(ev.histogram) == 500  # samples drawn over all codes (the prior), like an unconditional G
    table = format_evaluation(ev)
    assert "InfoGAN codes" in table and f"purity {ev.code_purity:.1%}" in table
    json.dumps(ev.to_dict())


@pytest.mark.skipif(not DEFAULT_PATH.is_file(), reason="pretrained/classifier.safetensors missing")
def test_the_live_quality_panel_measures_code_purity_of_an_infogan_run_only(mnist):
    from gan_core.metrics import get_reference
    from gan_core.monitor import QualityMonitor

    ref = get_reference(mnist)
    for preset, has_purity in (("infogan", True), ("dcgan", False)):
        cfg = preset_config(preset, g_width=8, d_width=8, batch_size=8, max_steps=20, max_seconds=0, snapshot_every=10)
        trainer = Trainer(cfg, mnist, device="cpu")
        monitor = QualityMonitor(ref, every=10, n=200).attach(trainer)
        trainer.run()
        assert monitor.join(60) and monitor.error is None
        purities = [q.code_purity for _, q in monitor.records()]
        assert len(purities) == 3  # steps 0, 10, 20
        if has_purity:
            assert all(p is not None and 0.1 <= p <= 1.0 for p in purities)
        else:
            assert purities == [None] * 3


def test_the_shipped_infogans_codes_are_named_by_the_digit_each_draws():
    """Issue #18: code 0 of the shipped InfoGAN draws an 8, so Explore names codes by the classifier's majority
    digit per code. The names are the README's (8, 2, 3, 7, 4, 0, 9, 6, 1, 5), each code one digit."""
    from gan_core.metrics import code_digits

    ckpt = load_checkpoint("infogan")
    digits = code_digits(ckpt.G, ckpt.config.latent_dim, ckpt.config.class_count)
    assert digits == [8, 2, 3, 7, 4, 0, 9, 6, 1, 5]
    assert code_digits(ckpt.G, ckpt.config.latent_dim, ckpt.config.class_count) == digits  # fixed noise: stable
