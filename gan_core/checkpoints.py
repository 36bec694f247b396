"""Save and load generators as safetensors, with the full config in the file's metadata.

A checkpoint is one `.safetensors` file:

* tensors  "G.<param>"            the generator (the EMA copy when EMA was on)
           "D.<param>"            the discriminator, when kept (so "ask the discriminator" works later)
           "S<step>.G.<param>"    optional snapshots of G along training (the timeline)
* metadata "format"  = "gan-classroom/1"
           "config"  = GANConfig as JSON (architecture, latent size, conditional, dataset, preset, ...)
           "info"    = JSON: steps trained, seconds, device, data source, pixel range, free text

safetensors holds raw tensors and a JSON header only, so loading can never execute code (unlike
pickle-based `torch.save` files, which are refused). Loading validates everything: size, header,
format tag, config, every tensor's name and shape, and that the weights are finite.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from . import safejson
from .atomic import atomic_write  # noqa: F401  (re-exported: the CLI and tests import it from here)
from .config import ConfigError, GANConfig
from .models import ARCHITECTURES, build_models

FORMAT = "gan-classroom/1"
MAX_BYTES = 64 * 1024 * 1024  # refuse bigger files before reading them: our largest model is ~4 MB
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
PIXEL_RANGE = "[-1, 1] (tanh); pixel = (x + 1) * 127.5"
MAX_HEADER = 16 * 1024 * 1024  # safetensors' own cap on a header; ours are ~20 kB
PROBE_N = 8  # z vectors in the load-time test pass (probe): enough to hit every class path
PROBE_LIMIT = 1e4  # |activation| no trained network here comes near (they stay within ~100)
# The types of the `info` keys that code reads (check_info); other keys are free-form.
INFO_TYPES = {
    "steps": "count",
    "seconds": "seconds",
    "name": "text",
    "title": "text",
    "description": "text",
    "device": "text",
    "data": "text",
    "status": "text",
    "message": "text",
    "created": "text",
    "command": "text",
    "trained_in": "text",
    "pixel_range": "text",
    "init": "object",
}


class CheckpointError(ValueError):
    """A file that is not a usable GAN Classroom checkpoint; the message says why."""


@dataclass
class Checkpoint:
    config: GANConfig
    G: torch.nn.Module  # eval mode, CPU, no gradients
    D: torch.nn.Module | None = None  # eval mode, CPU, no gradients, when the file has one
    info: dict = field(default_factory=dict)
    snapshots: list = field(default_factory=list)  # [(step, G state_dict)] along training
    source: str = ""

    @property
    def name(self) -> str:
        return self.info.get("name") or Path(self.source).stem


def checkpoint_bytes(
    config: GANConfig, G: torch.nn.Module, D: torch.nn.Module | None = None, info: dict | None = None, snapshots=()
) -> bytes:
    """Serialise a generator (and optionally D and snapshots) to safetensors bytes."""
    tensors = {}
    for k, v in G.state_dict().items():
        tensors["G." + k] = v.detach().to("cpu").contiguous()
    if D is not None:  # D only judges single digits later: half precision is plenty
        for k, v in D.state_dict().items():
            v = v.detach().to("cpu")
            tensors["D." + k] = (v.half() if v.is_floating_point() else v).contiguous()
    for step, state in snapshots:  # half precision: a timeline frame does not need more, and files stay small
        for k, v in state.items():
            v = v.detach().to("cpu")
            tensors[f"S{int(step)}.G.{k}"] = (v.half() if v.is_floating_point() else v).contiguous()
    meta_info = {"pixel_range": PIXEL_RANGE, **(info or {})}
    metadata = {"format": FORMAT, "config": config.to_json(), "info": json.dumps(meta_info, sort_keys=True)}
    return st_save(tensors, metadata=metadata)


def save_checkpoint(
    path: str | os.PathLike, config: GANConfig, G, D=None, info: dict | None = None, snapshots=()
) -> Path:
    path = Path(path)
    if path.suffix != ".safetensors":
        raise CheckpointError(f"Checkpoints are .safetensors files; got {path.name!r}.")
    atomic_write(path, checkpoint_bytes(config, G, D, info, snapshots))
    return path


def read_header(data: bytes) -> dict:
    if len(data) < 8:
        raise CheckpointError("The file is too short to be a safetensors checkpoint.")
    # safetensors = 8-byte little-endian header size, then a JSON header "{..."; the size's low byte may be 0x80
    if (data[:2] == b"PK" or data[:1] == b"\x80") and data[8:9] != b"{":
        raise CheckpointError(
            "This looks like a pickle/zip file from torch.save. GAN Classroom never unpickles "
            "files (they can run code); it only loads .safetensors checkpoints."
        )
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8 or n > 16 * 1024 * 1024:
        raise CheckpointError(
            "The file is not a safetensors checkpoint (its header size is impossible) or is truncated."
        )
    try:
        header = safejson.loads(data[8 : 8 + n], "its header", max_bytes=MAX_HEADER)
    except safejson.JSONLimitError as exc:
        raise CheckpointError(f"The file is not a safetensors checkpoint ({exc}).") from None
    if not isinstance(header, dict):
        raise CheckpointError("The file is not a safetensors checkpoint (bad header).")
    meta = header.get("__metadata__")
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise CheckpointError("The file's metadata is not a table of text values, as safetensors requires.")
    return header


def check_info(info) -> dict:
    """A checkpoint's `info` metadata with the types the app and the CLI read, or CheckpointError naming the key.

    Free-form keys may hold any JSON; the known ones must have their type: counts whole numbers >= 0,
    durations finite numbers >= 0, descriptions text, `init` (the run continued from) an object.
    """
    if not isinstance(info, dict):
        raise CheckpointError(f"The checkpoint's info must be a JSON object ({{...}}); got {info!r:.60}.")
    for key, value in info.items():
        kind = INFO_TYPES.get(key)
        if kind == "count":
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53
            want = "a whole number >= 0"
        elif kind == "seconds":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
            want = "a number of seconds >= 0"
        elif kind == "text":
            ok, want = isinstance(value, str) and len(value) <= 10_000, "text (at most 10,000 characters)"
        elif kind == "object":
            ok, want = isinstance(value, dict), "an object"
        else:
            continue
        if not ok:
            raise CheckpointError(f"The checkpoint's info.{key} must be {want}; got {value!r:.60}.")
    if "init" in info:
        check_info(info["init"])
    return info


def load_checkpoint_bytes(data: bytes, source: str = "<upload>", max_bytes: int = MAX_BYTES) -> Checkpoint:
    """Validate and load a checkpoint from bytes. Raises CheckpointError with a clear reason."""
    if len(data) > max_bytes:
        raise CheckpointError(
            f"The file is {len(data) / 1e6:.1f} MB; checkpoints over {max_bytes / 1e6:.0f} MB are refused."
        )
    meta = read_header(data).get("__metadata__") or {}
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            "This safetensors file was not saved by GAN Classroom (no 'gan-classroom/1' metadata), "
            "so its architecture is unknown."
        )
    try:
        config = GANConfig.from_json(meta.get("config", "")).validate()
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"The checkpoint's config is not usable: {exc}") from None
    try:
        info = check_info(safejson.loads(meta.get("info", "{}"), "The checkpoint's info", max_bytes=MAX_HEADER))
    except safejson.JSONLimitError as exc:
        raise CheckpointError(str(exc)) from None
    if config.arch not in ARCHITECTURES:
        raise CheckpointError(f"Unknown architecture {config.arch!r} in the checkpoint.")
    try:
        tensors = st_load(data)
    except Exception as exc:  # safetensors raises its own error types for corrupt payloads
        raise CheckpointError(
            f"The checkpoint's tensors could not be read (corrupt or truncated file): {exc}"
        ) from None

    G, D = build_models(config, "cpu")
    groups: dict[str, dict] = {}
    for key, value in tensors.items():
        prefix, _, name = key.partition(".")
        groups.setdefault(prefix, {})[name] = value
    if "G" not in groups:
        raise CheckpointError("The checkpoint holds no generator weights (no 'G.' tensors).")
    _load_into(G, groups.pop("G"), "generator")
    if "D" in groups:
        _load_into(
            D, {k: v.float() if v.is_floating_point() else v for k, v in groups.pop("D").items()}, "discriminator"
        )
        D.eval().requires_grad_(False)
    else:
        D = None
    snapshots = []
    for prefix in sorted((p for p in groups if p.startswith("S") and p[1:].isdigit()), key=lambda p: int(p[1:])):
        state = {k.removeprefix("G."): (v.float() if v.is_floating_point() else v) for k, v in groups[prefix].items()}
        check_state(G.state_dict(), state, f"snapshot at step {prefix[1:]}")
        snapshots.append((int(prefix[1:]), state))
    G.eval().requires_grad_(False)
    probe(config, G, D)
    return Checkpoint(config, G, D, info, snapshots, source)


@torch.no_grad()
def probe(config: GANConfig, G: torch.nn.Module, D: torch.nn.Module | None) -> None:
    """One forward pass of G (and D on G's images) on PROBE_N fixed z: refuse weights that load but cannot draw.

    Finite weights can still be absurd (a file's weights multiplied by 1e30): every layer's output is
    watched, and a non-finite value or one beyond PROBE_LIMIT in magnitude anywhere refuses the file.
    A trained generator's activations stay within about +-100 (BatchNorm and tanh see to it).
    """
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(PROBE_N, config.latent_dim, generator=gen)  # (N, latent)
    y = torch.arange(PROBE_N) % config.class_count if config.class_input else None  # (N,) or None
    worst: dict[str, float] = {}

    def watch(name):
        def hook(_module, _inputs, output):
            if isinstance(output, torch.Tensor) and output.is_floating_point():
                bad = ~torch.isfinite(output)
                worst[name] = math.inf if bad.any() else max(worst.get(name, 0.0), float(output.abs().max()))

        return hook

    nets = [("generator", G)] + ([("discriminator", D)] if D is not None else [])
    handles = [
        m.register_forward_hook(watch(f"{what} layer {name or 'output'}"))
        for what, net in nets
        for name, m in net.named_modules()
    ]
    try:
        x = G(z, y) if y is not None else G(z)  # (N, 1, 28, 28)
        if D is not None:
            D(x, y) if y is not None and config.conditional else D(x)
    except RuntimeError as exc:
        raise CheckpointError(f"The checkpoint's networks could not run on a test batch: {exc}") from None
    finally:
        for h in handles:
            h.remove()
    for name, value in worst.items():
        if not value <= PROBE_LIMIT:
            how = "non-finite values" if value == math.inf else f"values of {value:.3g}"
            raise CheckpointError(
                f"The checkpoint's weights are not those of a trained network: on a test batch "
                f"its {name} gives {how} (a trained one stays within +-{PROBE_LIMIT:g})."
            )


def _load_into(module: torch.nn.Module, state: dict, what: str) -> None:
    expected = module.state_dict()
    check_state(expected, state, what)
    module.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})


def check_state(expected: dict, state: dict, what: str) -> None:
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [
        f"{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:4])}{' ...' if len(unexpected) > 4 else ''}")
        if wrong:
            parts.append(f"wrong shape {', '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''}")
        raise CheckpointError(f"The {what} weights do not match the config in the file: {'; '.join(parts)}.")
    for k, v in state.items():
        if v.is_floating_point() != expected[k].is_floating_point():
            kind = "floating-point numbers" if expected[k].is_floating_point() else "whole numbers"
            raise CheckpointError(
                f"The {what} weights have the wrong type: {k} is {str(v.dtype).removeprefix('torch.')}, "
                f"but a GAN Classroom network keeps {kind} there."
            )
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(f"The {what} weights contain NaN or infinite values ({k}): the run had diverged.")
        if k.endswith("running_var") and not (v > 0).all():
            raise CheckpointError(
                f"The {what} weights are damaged: {k} (a BatchNorm variance) has values <= 0, "
                f"which no training can produce."
            )


def load_checkpoint(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> Checkpoint:
    """Load a checkpoint file, or a shipped model by name (see `list_pretrained`)."""
    path = resolve_model_path(path)
    size = path.stat().st_size
    if size > max_bytes:  # checked before reading a byte
        raise CheckpointError(
            f"{path.name} is {size / 1e6:.1f} MB; checkpoints over {max_bytes / 1e6:.0f} MB are refused."
        )
    return load_checkpoint_bytes(path.read_bytes(), str(path), max_bytes)


def list_pretrained(directory: Path = PRETRAINED_DIR) -> list[str]:
    """Names of the generators shipped in pretrained/ (file stems), best first as listed in its index."""
    if not directory.is_dir():
        return []
    names = sorted(p.stem for p in directory.glob("*.safetensors") if not p.stem.startswith("classifier"))
    order = ["dcgan", "cdcgan", "mlp", "wgan-gp", "infogan", "hinge-sn", "collapse", "saturating"]
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))


def resolve_model_path(name_or_path: str | os.PathLike) -> Path:
    """A file path as given, or the path of a shipped model called `name`."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = PRETRAINED_DIR / f"{name_or_path}.safetensors"
    if shipped.is_file() and "/" not in str(name_or_path):
        return shipped
    known = ", ".join(list_pretrained()) or "none shipped"
    raise CheckpointError(
        f"No checkpoint file {str(name_or_path)!r} and no shipped model of that name (shipped: {known})."
    )


def read_info(path: str | os.PathLike) -> dict:
    """A checkpoint's config and info without building the model (for listings)."""
    path = resolve_model_path(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path.name} is not a safetensors checkpoint.")
        (n,) = struct.unpack("<Q", head)
        data = head + fh.read(min(n, 16 * 1024 * 1024))
    meta = read_header(data).get("__metadata__") or {}
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} was not saved by GAN Classroom.")
    try:
        config = GANConfig.from_json(meta.get("config", "")).validate().to_dict()
        info = check_info(safejson.loads(meta.get("info", "{}"), "The checkpoint's info", max_bytes=MAX_HEADER))
    except (ConfigError, TypeError, safejson.JSONLimitError) as exc:
        raise CheckpointError(f"{path.name}: {exc}") from None
    return {"config": config, "info": info}
