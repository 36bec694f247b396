"""Environment switches and constants shared by the pages (no Streamlit here)."""

from __future__ import annotations

import logging
import os

from gan_core.device import cap_threads, usable_cores

log = logging.getLogger(__name__)

TEST_MODE_ENV = "GAN_CLASSROOM_TEST_MODE"  # "1": tiny budgets and frequent snapshots, for the test suite
DEVICE_ENV = "GAN_CLASSROOM_DEVICE"  # "auto" (default), "cpu", "cuda", "mps"
THREADS_ENV = "GAN_CLASSROOM_TORCH_THREADS"  # CPU threads per torch op (default: half the cores, 1 to 4)


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
        threads, note = cap_threads(int(value), THREADS_ENV)  # 100,000 threads would crash the server
        if note:
            log.warning("%s", note)
        return threads
    return min(4, max(1, usable_cores() // 2))


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
INFO_COLOR = "#009E73"  # Okabe-Ito's bluish green: InfoGAN's code loss, a third player (Q) beside D and G
NEUTRAL_COLOR = "#A9B4C2"  # bars that belong to neither network (the predicted-class histogram)

MAX_CHART_POINTS = 1000  # downsample longer histories to this many points per line
POLL_SECONDS = 1.0  # live panel refresh while a run is active
QUALITY_POLL_SECONDS = 3.0  # sample-quality panel refresh: a new reading comes every QUALITY_EVERY steps (~10 s)
MAX_RUNS_PER_TAB = 3  # finished runs kept per browser tab (each holds its snapshots)
SNAPSHOT_EVERY = 10  # steps between fixed-noise grids in app runs (the timeline's resolution)
TEST_SNAPSHOT_EVERY = 2
QUALITY_EVERY = 200  # steps between live sample-quality measurements (MNIST runs)
TEST_QUALITY_EVERY = 4
QUALITY_SAMPLES = 256  # digits per measurement: ~0.1 s on one CPU thread, off the training thread


def budgets() -> dict[str, tuple[float, int]]:
    """Budget label -> (max_seconds, max_steps). "Steps" takes its step count from a number box."""
    options = {"15 s": (15.0, 0), "30 s": (30.0, 0), "60 s": (60.0, 0), "120 s": (120.0, 0), "Steps": (0.0, -1)}
    if test_mode():
        options = {"2 s": (2.0, 0), "5 steps": (0.0, 5), **options}
    return options


def default_budget() -> str:
    return "30 s"


# ---------------------------------------------------------------------------------------------
# Classroom server limits (one place; every one can be set by an environment variable)
# ---------------------------------------------------------------------------------------------
MAX_CONCURRENT_ENV = "GAN_CLASSROOM_MAX_CONCURRENT"  # runs training at once (default: cores / threads, 4 on a GPU)
MAX_SECONDS_ENV = "GAN_CLASSROOM_MAX_SECONDS"  # wall-clock budget cap per run (default 120)
MAX_STEPS_ENV = "GAN_CLASSROOM_MAX_STEPS"  # step budget cap per run (default 100000)
MAX_BATCH_ENV = "GAN_CLASSROOM_MAX_BATCH"  # largest batch (default 256)
MAX_WIDTH_ENV = "GAN_CLASSROOM_MAX_WIDTH"  # largest G/D width (default 128)
MAX_LATENT_ENV = "GAN_CLASSROOM_MAX_LATENT"  # largest latent size (default 128)
MAX_PAUSE_ENV = "GAN_CLASSROOM_MAX_PAUSE"  # seconds a paused run keeps its slot while others wait (60)
NICE_ENV = "GAN_CLASSROOM_TRAIN_NICE"  # niceness added to training threads (default 10; 0 = off)
RUNS_DIR_ENV = "GAN_CLASSROOM_RUNS_DIR"  # where the run journal lives (default ~/.cache/gan-classroom/runs)
GRACE_ENV = "GAN_CLASSROOM_DISCONNECT_GRACE"  # seconds a disconnected tab's run survives (default 30)
TAB_KEEP_ENV = "GAN_CLASSROOM_TAB_KEEP"  # seconds a tab with no page open keeps its runs (default 600)


def _env_number(name: str, default, cast=int, allow_zero: bool = False):
    """An env var as a positive number (or zero, where allowed); a missing, malformed or out-of-range value
    falls back to the default."""
    raw = os.environ.get(name, "").strip()
    try:
        value = cast(raw)
    except ValueError:
        return default
    return value if value > 0 or (allow_zero and value == 0) else default


def limits():
    """The server's per-run limits (gan_core.Limits), read from the environment each call."""
    from gan_core.scheduler import Limits, default_max_concurrent

    def cuda() -> bool:
        if train_device() not in ("auto", "cuda"):
            return False
        import torch

        return torch.cuda.is_available()

    default = Limits()
    concurrent = _env_number(MAX_CONCURRENT_ENV, 0)
    if not concurrent and test_mode():
        concurrent = 4  # tests of independent tabs must not queue behind each other; queue tests set it
    return Limits(
        max_concurrent=concurrent or default_max_concurrent(cuda(), os.cpu_count(), torch_threads()),
        max_seconds=_env_number(MAX_SECONDS_ENV, default.max_seconds, float),
        max_steps=_env_number(MAX_STEPS_ENV, default.max_steps),
        max_batch=_env_number(MAX_BATCH_ENV, default.max_batch),
        max_width=_env_number(MAX_WIDTH_ENV, default.max_width),
        max_latent=_env_number(MAX_LATENT_ENV, default.max_latent),
        max_pause=_env_number(MAX_PAUSE_ENV, default.max_pause, float),
        nice=min(19, _env_number(NICE_ENV, default.nice, allow_zero=True)),
    )


def runs_dir():
    from pathlib import Path

    raw = os.environ.get(RUNS_DIR_ENV, "")
    return Path(raw) if raw else Path.home() / ".cache" / "gan-classroom" / "runs"


def disconnect_grace() -> float:
    """Seconds a tab's runs outlive its websocket: a network blip must not cost a student their run."""
    default = 0.0 if test_mode() else 30.0  # tests that need a grace period set it explicitly
    raw = os.environ.get(GRACE_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else default
    except ValueError:
        return default


def tab_keep() -> float:
    """Seconds a tab's store (its ended runs, its models) outlives the tab's last page, so a page of the tab
    that comes back (a slow reload, a laptop woken up) shows its runs rather than "No run yet". Runs still
    training when the disconnect grace ends are stopped then: only the results are kept this long."""
    default = 0.0 if test_mode() else 600.0  # tests that need it set it explicitly
    raw = os.environ.get(TAB_KEEP_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else default
    except ValueError:
        return default
