"""A training run seen from outside: what the pages, the scheduler and the journal may ask of a run.

A run trains somewhere: in a thread of the web process (`Trainer`, backend "inprocess") or in a
Ray worker process (`gan_core.ray_runs.RayRun`, backend "ray"), where it no longer competes with
every slider move for the interpreter lock, and a class can spread over several machines. Whoever
reads a run sees the same thing either way, the `TrainingRun` protocol below:

    run = make_run(cfg, data, device="auto", backend=None)     # backend None: $GAN_CLASSROOM_BACKEND
    quality = watch_quality(run, data)                         # optional, before the run starts
    scheduler.submit(session, run)                             # the scheduler calls run.start()
    run.records(since=k), run.snapshot_list(), run.status ...  # plain, local, non-blocking reads
    run.pause() / run.resume() / run.stop("why")               # commands; never block either
    run.join(timeout) -> True once the run ended and its "on_end" callbacks ran
    run.export_generator(), run.export_discriminator()         # CPU eval copies, once it ended

Callbacks ("on_record", "on_snapshot", "on_end") fire from the run's own thread: the training thread
for a Trainer, the process's one Ray poller thread for a RayRun; "on_end" fires once, after the
run's final records, snapshots and weights are readable here.

The backend is chosen by $GAN_CLASSROOM_BACKEND (`inprocess`, the default, or `ray`). When Ray
cannot start or be reached, `make_run` raises `BackendUnavailable` with a sentence saying why, so an
app can fall back to "inprocess" and say so. Ray itself is imported only when the "ray" backend is
asked for: a laptop install without a class to serve never pays for it.
"""

from __future__ import annotations

import os
from typing import Callable, Protocol, runtime_checkable

import torch.nn as nn

from .config import GANConfig
from .data import ImageData, load_dataset
from .losses import LossInfo
from .metrics import get_reference
from .monitor import QUALITY_EVERY, QUALITY_SAMPLES, QualityMonitor
from .training import Snapshot, StepRecord, Trainer

BACKEND_ENV = "GAN_CLASSROOM_BACKEND"
BACKENDS = ("inprocess", "ray")
DEFAULT_BACKEND = "inprocess"  # the lead picks the final default from bench/backend_speed.py


class BackendUnavailable(RuntimeError):
    """The chosen backend cannot train runs here (Ray did not start, or its cluster cannot be reached).
    The message says why in one sentence; an app falls back to the in-process backend."""


@runtime_checkable
class TrainingRun(Protocol):
    """The part of a run that the UI, the scheduler and the journal use. `Trainer` is one; so is `RayRun`.

    Every read is local and returns at once (a RayRun mirrors its remote run); the commands return at
    once too and take effect at the run's next step.
    """

    id: int
    cfg: GANConfig
    step: int  # generator updates done
    elapsed: float  # seconds of training, pauses excluded
    status: str  # one of gan_core.training.STATUSES
    message: str  # why it ended, in words
    device_name: str  # "CPU (1 threads)", "NVIDIA H200 (GPU)", ...
    precision: str  # "fp32" or "bf16"
    data_description: str  # what it trains on, in one line
    param_counts: dict  # {"G": n, "D": n}
    history: list  # the StepRecords so far (read with records() from other threads)

    @property
    def done(self) -> bool: ...

    @property
    def loss_info(self) -> LossInfo: ...

    @property
    def remaining_seconds(self) -> float | None: ...

    def records(self, since: int = 0) -> list[StepRecord]: ...

    def snapshot_list(self) -> list[Snapshot]: ...

    def export_generator(self) -> nn.Module: ...

    def export_discriminator(self) -> nn.Module | None: ...

    def generator_at(self, snapshot: Snapshot) -> nn.Module | None: ...

    def add_callback(self, event: str, fn: Callable) -> None: ...

    def start(self): ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self, reason: str = "") -> None: ...

    def cancel_unstarted(self, message: str) -> None: ...

    def join(self, timeout: float | None = None) -> bool: ...

    def summary(self) -> dict: ...


def backend_name(backend: str | None = None) -> str:
    """The backend to use: `backend`, else $GAN_CLASSROOM_BACKEND, else "inprocess"; ValueError if unknown."""
    name = (backend or os.environ.get(BACKEND_ENV, "") or DEFAULT_BACKEND).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"{BACKEND_ENV} must be one of {', '.join(BACKENDS)}; got {name!r}.")
    return name


def make_run(
    cfg: GANConfig,
    data_or_name: ImageData | str,
    device: str = "auto",
    backend: str | None = None,
    threads: int = 1,
    token: str | None = None,
    save_dir: str | None = None,
) -> TrainingRun:
    """A not-yet-started run of `cfg` on the chosen backend.

    inprocess: a Trainer on `data` (a name is loaded here with load_dataset); `threads` is not applied
    (torch's thread count is process-wide: the app sets it once for the server).
    ray: a RayRun whose worker loads `cfg.dataset` itself and trains with `threads` intra-op threads,
    asking Ray for that many CPUs (or a share of a GPU). Connects to Ray on first use; raises
    BackendUnavailable when it cannot. With `token` (unique among the deployment's live runs, e.g. the
    tab's token and the run's number) its worker outlives this process and `RayRun.find(token, save_dir)`
    finds it again; `save_dir` (shared by the web replicas) keeps its newest snapshot for a worker that
    dies (gan_core.ray_names). The inprocess backend ignores both.
    """
    if backend_name(backend) == "inprocess":
        data = load_dataset(data_or_name) if isinstance(data_or_name, str) else data_or_name
        return Trainer(cfg, data, device=device)
    from .ray_runs import RayRun  # here, not at the top: only the Ray backend imports Ray (~0.5 s, ~100 MB)

    return RayRun(cfg, data_or_name, device=device, threads=threads, token=token, save_dir=save_dir)


def find_runs(prefix: str, save_dir: str | None = None, backend: str | None = None) -> list[TrainingRun]:
    """The runs whose token starts with `prefix` (a tab's token) that outlived the process that started them:
    on the Ray backend, workers still training (mirrored here from now on, as `RayRun.find`) and workers that
    died with their last snapshot in `save_dir` (ended, "interrupted", holding that snapshot's G); oldest
    first. The in-process backend's runs die with their process: []. Waits on Ray a few seconds at most per
    run found (a page calls it once, when a tab comes back to a web process that does not know it)."""
    if backend_name(backend) == "inprocess":
        return []
    from .ray_runs import RayRun

    return RayRun.find_all(prefix, save_dir)


def watch_quality(run: TrainingRun, data: ImageData | None = None, every: int | None = None, n: int | None = None):
    """Live sample quality of an MNIST run that has not started: an object with QualityMonitor's read
    API (records(), latest(), class_dist, real_scores(), done, error, join()).

    Trainer: a QualityMonitor in this process, on the real digits' reference of `data`. RayRun: the
    monitor runs in the worker beside the trainer and its records come back with each poll.
    Raises ValueError for a non-MNIST run and whatever loading the classifier raises.
    """
    every, n = every or QUALITY_EVERY, n or QUALITY_SAMPLES
    if hasattr(run, "watch_quality"):  # a RayRun: measured in its worker
        return run.watch_quality(every=every, n=n)
    return QualityMonitor(get_reference(data), every=every, n=n).attach(run)


__all__ = [
    "BACKENDS",
    "BACKEND_ENV",
    "BackendUnavailable",
    "TrainingRun",
    "backend_name",
    "find_runs",
    "make_run",
    "watch_quality",
]
