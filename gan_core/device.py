"""Pick the device a run trains on (CUDA, then Apple's MPS, then the CPU, unless told otherwise) and its precision.

Precision: "bf16" runs the matrix work (convolutions, linear layers) under bfloat16 autocast: same
8-bit exponent as float32, so no loss scaling is needed, with a 7-bit mantissa. It pays only where
the hardware has bf16 units (recent NVIDIA GPUs; CPUs with AMX or AVX512-BF16, where oneDNN uses
them): there a DCGAN training step here is about 1.8x faster with the same digit quality
(bench/train_speed.py, BENCHMARKS.md). Elsewhere bf16 is emulated and slower, so "auto" keeps fp32.
Parameters, optimiser state, BatchNorm statistics and losses stay float32 either way.
"""

from __future__ import annotations

import logging
import os
import platform

import torch

from .config import PRECISIONS

log = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(RuntimeError):
    """The requested device is not available on this machine."""


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask: a container or `taskset` may allow fewer than
    the machine has), else os.cpu_count()."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def cap_threads(wanted: int, what: str = "the thread count") -> tuple[int, str | None]:
    """(threads to use, a note or None): at least 1 and at most the usable cores.

    More intra-op threads than cores only oversubscribe them, and absurd counts break OpenMP itself
    (100,000 threads crash the process; 5,000 hang it while they start), so a count over the cores
    is capped, with a note that says so, rather than passed to torch.set_num_threads.
    """
    cores = usable_cores()
    if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted < 1:
        raise DeviceError(f"{what} must be a whole number of at least 1; got {wanted!r}.")
    if wanted > cores:
        return cores, (
            f"{what} is {wanted:,}, more than the {cores} CPU core(s) this process may use; "
            f"using {cores}. (A CPU run repeats exactly only with the same thread count.)"
        )
    return wanted, None


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


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def native_bf16(device: torch.device) -> bool:
    """True where bfloat16 matrix work runs on dedicated units (so autocast to bf16 is a speed-up)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        mkldnn = getattr(torch.ops, "mkldnn", None)
        supported = bool(mkldnn and hasattr(mkldnn, "_is_mkldnn_bf16_supported") and mkldnn._is_mkldnn_bf16_supported())
        return supported and bool(_cpu_flags() & {"amx_bf16", "avx512_bf16"})
    return False


def resolve_precision(choice: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for a run ("auto" / "fp32" / "bf16"), or None for plain float32."""
    if choice not in PRECISIONS:
        raise DeviceError(f"Unknown precision {choice!r}; use one of {', '.join(PRECISIONS)}.")
    if choice == "fp32" or device.type == "mps":
        return None
    if choice == "bf16" or native_bf16(device):
        return torch.bfloat16
    return None
