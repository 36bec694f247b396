"""Pick the device a run trains on: CUDA, then Apple's MPS, then the CPU, unless told otherwise."""

from __future__ import annotations

import logging
import platform

import torch

log = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(RuntimeError):
    """The requested device is not available on this machine."""


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(choice: str | torch.device | None = "auto") -> torch.device:
    """Turn "auto" / "cpu" / "cuda" / "cuda:1" / "mps" into a torch.device that exists here."""
    text = str(choice or "auto").strip().lower()
    if text == "auto":
        if torch.cuda.is_available():
            device = torch.device("cuda")
        elif _mps_available():
            device = torch.device("mps")
        else:
            device = torch.device("cpu")
        log.info("auto-selected device %s (%s)", device, device_name(device))
        return device
    try:
        device = torch.device(text)
    except RuntimeError:
        raise DeviceError(f"Unknown device {choice!r}; use one of {', '.join(DEVICE_CHOICES)}.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError("CUDA was requested but no CUDA GPU is visible to PyTorch here; use --device cpu or auto.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceError(f"{device} was requested but only {torch.cuda.device_count()} CUDA device(s) exist.")
    if device.type == "mps" and not _mps_available():
        raise DeviceError("Apple MPS was requested but is not available here; use --device cpu or auto.")
    if device.type not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"Unsupported device {choice!r}; use one of {', '.join(DEVICE_CHOICES)}.")
    return device


def device_name(device: torch.device) -> str:
    """A human-readable name for the badge in the app, e.g. "NVIDIA H100 (GPU)" or "CPU (2 threads)"."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (GPU)"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    cpu = platform.processor() or platform.machine() or "CPU"
    n = torch.get_num_threads()
    return f"CPU {cpu} ({n} thread{'' if n == 1 else 's'})"
