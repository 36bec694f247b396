"""Runs that outlive the web process: named Ray actors, and the last snapshot kept on shared disk.

A run started for a tab is a *detached* actor named `run-<tab token>` in one Ray namespace per app
deployment ($GAN_CLASSROOM_RAY_NAMESPACE, default "gan-classroom"), so a web process that restarts
(or a second replica) finds it again with `ray.get_actor(name, namespace)`. The actor writes its newest
snapshot (G's weights, the fixed-noise grid, step, elapsed, config) to `<runs dir>/ray-<token>.safetensors`
on every snapshot, atomically (write to a temporary file, then rename), so when the actor is gone
the tab is still told "interrupted at step N" and keeps those weights.

Orphans: a detached actor that nobody polls for ORPHAN_AFTER seconds (its tab never came back, the web
process is gone for good) stops itself, so it never holds CPUs or a GPU share forever.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors.torch import load_file, safe_open
from safetensors.torch import save as st_save

from .atomic import atomic_write

NAMESPACE_ENV = "GAN_CLASSROOM_RAY_NAMESPACE"  # one per deployment: two apps on one cluster never mix runs
DEFAULT_NAMESPACE = "gan-classroom"
ORPHAN_AFTER_ENV = "GAN_CLASSROOM_RAY_ORPHAN_AFTER"
ORPHAN_AFTER = float(os.environ.get(ORPHAN_AFTER_ENV, "") or 15 * 60.0)  # seconds without a poll: longer
# than a web server takes to restart, shorter than a lesson, so a run whose tab never comes back frees its
# worker within the lesson
_IMAGES = "__images__"  # the grid's key in the file, beside G's parameters under "g."


def namespace() -> str:
    return os.environ.get(NAMESPACE_ENV, "").strip() or DEFAULT_NAMESPACE


def actor_name(token: str) -> str:
    return f"run-{token}"


def snapshot_path(directory: str | os.PathLike, token: str) -> Path:
    return Path(directory) / f"ray-{token}.safetensors"


def save_snapshot(path: Path, g_state: dict, images: torch.Tensor, step: int, elapsed: float, cfg_json: str) -> None:
    """Write G's weights and the grid of one snapshot to `path` atomically (a reader never sees half a file)."""
    tensors = {f"g.{k}": v.detach().cpu().contiguous() for k, v in g_state.items()}
    tensors[_IMAGES] = images.detach().cpu().contiguous()
    meta = {"step": str(int(step)), "elapsed": repr(float(elapsed)), "config": cfg_json}
    atomic_write(path, st_save(tensors, metadata=meta))


def load_snapshot(path: Path) -> dict | None:
    """{"g_state", "images", "step", "elapsed", "config"} from a file save_snapshot wrote; None if absent."""
    if not path.is_file():
        return None
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    tensors = load_file(str(path))
    return {
        "g_state": {k[2:]: v for k, v in tensors.items() if k.startswith("g.")},
        "images": tensors[_IMAGES],
        "step": int(meta["step"]),
        "elapsed": float(meta["elapsed"]),
        "config": meta["config"],  # GANConfig.to_json()
    }


def snapshot_tokens(directory: str | os.PathLike, prefix: str) -> list[str]:
    """The tokens starting with `prefix` (a tab's token) whose snapshot file is in `directory`."""
    head, tail = "ray-", ".safetensors"
    return [p.name[len(head) : -len(tail)] for p in Path(directory).glob(f"{head}{prefix}*{tail}") if p.is_file()]


def forget_snapshot(directory: str | os.PathLike | None, token: str) -> None:
    """Remove a run's file once its tab has the weights in its own journal (or the run ended normally)."""
    if directory is not None:
        snapshot_path(directory, token).unlink(missing_ok=True)


__all__ = [
    "NAMESPACE_ENV",
    "ORPHAN_AFTER",
    "ORPHAN_AFTER_ENV",
    "actor_name",
    "forget_snapshot",
    "load_snapshot",
    "namespace",
    "save_snapshot",
    "snapshot_path",
    "snapshot_tokens",
]
