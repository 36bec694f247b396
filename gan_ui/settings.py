"""Environment switches and constants shared by the pages (no Streamlit here)."""

from __future__ import annotations

import os

TEST_MODE_ENV = "GAN_CLASSROOM_TEST_MODE"     # "1": tiny budgets and frequent snapshots, for the test suite
DEVICE_ENV = "GAN_CLASSROOM_DEVICE"           # "auto" (default), "cpu", "cuda", "mps"
THREADS_ENV = "GAN_CLASSROOM_TORCH_THREADS"   # CPU threads per torch op (default: half the cores, 1 to 4)


def test_mode() -> bool:
    return os.environ.get(TEST_MODE_ENV, "") in ("1", "true", "yes")


def train_device() -> str:
    return os.environ.get(DEVICE_ENV, "auto") or "auto"


def torch_threads() -> int:
    """Intra-op threads for the server process.

    One server trains many sessions' runs at once, each in its own thread, and every one of them
    would otherwise start a full team of OpenMP threads: on a small machine that oversubscribes
    the cores and a step gets several times slower (measured: 2.7x on 2 shared cores). These
    models are too small to gain much from more than a few threads anyway.
    """
    value = os.environ.get(THREADS_ENV, "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return min(4, max(1, (os.cpu_count() or 2) // 2))


_threads_set = False


def configure_torch() -> None:
    """Apply torch_threads() once per process (torch.set_num_threads is process-wide)."""
    global _threads_set
    if not _threads_set:
        import torch

        torch.set_num_threads(torch_threads())
        _threads_set = True


# Colour-blind-safe pair (Okabe & Ito): G is always blue, D always orange, in every chart.
G_COLOR = "#0072B2"
D_COLOR = "#E69F00"
REF_COLOR = "#7F7F7F"
NEUTRAL_COLOR = "#A9B4C2"   # bars that belong to neither network (the predicted-class histogram)

MAX_CHART_POINTS = 1000     # downsample longer histories to this many points per line
POLL_SECONDS = 1.0          # live panel refresh while a run is active
MAX_RUNS_PER_TAB = 3        # finished runs kept per browser tab (each holds its snapshots)
SNAPSHOT_EVERY = 10         # steps between fixed-noise grids in app runs (the timeline's resolution)
TEST_SNAPSHOT_EVERY = 2
QUALITY_EVERY = 200         # steps between live sample-quality measurements (MNIST runs)
TEST_QUALITY_EVERY = 4
QUALITY_SAMPLES = 256       # digits per measurement: ~0.1 s on one CPU thread, off the training thread


def budgets() -> dict[str, tuple[float, int]]:
    """Budget label -> (max_seconds, max_steps). "Steps" takes its step count from a number box."""
    options = {"15 s": (15.0, 0), "30 s": (30.0, 0), "60 s": (60.0, 0), "120 s": (120.0, 0), "Steps": (0.0, -1)}
    if test_mode():
        options = {"2 s": (2.0, 0), "5 steps": (0.0, 5), **options}
    return options


def default_budget() -> str:
    return "30 s"
