"""gan_core: a small PyTorch library for teaching GANs on handwritten digits.

One concept per module:

    config       GANConfig (every knob, with why its default), PRESETS, ConfigError
    data         load_dataset -> ImageData (uint8 tensor), with its source reported
    device       resolve_device: cuda -> mps -> cpu, and a readable name; thread counts capped at the cores
    models       MLP and DCGAN generators/discriminators, conditional and InfoGAN variants, spectral norm
    losses       minimax, non-saturating, least-squares, hinge, WGAN-GP, InfoGAN's code loss; with the math
    training     Trainer: the loop, records, snapshots, background thread with pause/resume/stop
    cuda_graph   GraphedStep: on a GPU, the whole step recorded once as a CUDA graph and replayed (no host syncs)
    stepping     step mode: one D update, G update or iteration of a paused Trainer, and what it changed
    sampling     generate, latent sweeps, lerp/slerp, grids and PNGs
    checkpoints  safetensors save/load with the config as metadata; shipped models
    classifier   a small digit CNN trained once on real MNIST: the feature space of the metrics
    bundle       a run's assignment bundle (.zip: history CSV, grids, GIF, generator, config.json) and config files
    inside       look inside G for one z (feature maps per stage) and D's verdict on the digit
    coach        diagnose(): plain-language health alerts from a run's records (D winning, vanished gradient, ...)
    augment      the data-augmentation experiment: a classifier on few real digits, with and without a cGAN's
    metrics      Fréchet distance (with its real-vs-real floor), classifier IS, class histogram, memorization;
                 QualityMonitor: the same, live, on a training run
    webexport    a generator as a JSON program (ops + float32 weights) that a browser can run: scrub mode
    digits       any picture of a digit -> a 28x28 digit prepared the way MNIST's were; nearest real digits
    inversion    find my digit: the z (and label) for which G draws a given digit
    directions   principal directions of G's latent space (PCA of its digits, mapped back to z)
    critic       ask the discriminator about any digit
    runs         TrainingRun: a run seen from outside (what pages, scheduler, journal use); make_run picks the
                 backend ($GAN_CLASSROOM_BACKEND: inprocess = a Trainer thread, ray = a RayRun); find_runs: a tab's
                 runs that outlived their web process (Ray); BackendUnavailable
    ray_runs     RayRun: a run in a Ray worker process, mirrored here by one poller thread (the Ray backend's
                 modules are imported only when it is used: `from gan_core import ray_runs`)
    ray_actor    RunWorker: the Ray actor holding a run's Trainer in its worker process; plain data out
    ray_cluster  connect() to Ray (start it here or join a cluster), shutdown(), max_concurrent() from its resources
    ray_polled   PolledRun: a RayRun's poller side (polls, faults, the end); ray_poller: the poller thread
    ray_quality  RayQuality: a run's live sample quality measured in its worker
    ray_names    detached workers named after a tab's token, found again by a new web process; snapshot files
    scheduler    Scheduler: one server-wide queue of runs with a cap on concurrent ones; Limits per run
    journal      RunJournal: runs in flight on disk, so a server restart reports them as interrupted;
                 RunShelf: finished runs kept on disk per tab, so a restart or a reload does not lose them
    classroom_db ClassroomDB: the class board's storage (classes, members, tiles, hand-ins) on SQLite or PostgreSQL;
                 its tables and versioned migrations in classroom_schema, its rules (refusals, nicknames, join
                 limits, hashed credentials, atomic files) in classroom_rules
    safejson     JSON from files users give (config.json, checkpoint headers, the journal) with size and depth limits

It never imports a UI toolkit: front ends read the trainer's records and snapshots.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for type checkers and editors; at run time each name is imported on first use
    from .augment import AugmentResult, run_augmentation
    from .bundle import build_bundle, read_config_file, read_config_json, trainer_bundle
    from .checkpoints import (
        Checkpoint,
        CheckpointError,
        checkpoint_bytes,
        list_pretrained,
        load_checkpoint,
        load_checkpoint_bytes,
        save_checkpoint,
    )
    from .classifier import (
        ClassifierError,
        DigitClassifier,
        default_classifier,
        load_classifier,
        save_classifier,
        train_classifier,
    )
    from .coach import Alert, diagnose
    from .config import DEFAULT_PRESET, PRESETS, ConfigError, GANConfig, Preset, preset_config
    from .critic import DScore, ask_discriminator
    from .data import DataFormatError, DataUnavailable, ImageData, load_dataset, to_pixels, to_unit_range
    from .device import DeviceError, device_name, resolve_device
    from .digits import DigitImageError, PreparedDigit, nearest_digits, prepare_digit
    from .directions import Directions, principal_directions
    from .evaluation import Evaluation, evaluate_generator, format_evaluation
    from .inside import Inside, look_inside
    from .inversion import InversionResult, invert
    from .journal import RunJournal, RunShelf
    from .losses import LOSS_INFO, d_loss_fn, g_loss_fn, gradient_penalty, info_loss_fn
    from .metrics import QuickQuality, frechet_distance, get_reference, inception_score, quick_quality
    from .models import build_models, count_parameters
    from .monitor import QualityMonitor
    from .runs import BackendUnavailable, TrainingRun, find_runs, make_run, watch_quality
    from .sampling import (
        LATENT_RANGE,
        generate,
        interpolate,
        lerp,
        make_grid,
        sample_labels,
        sample_z,
        slerp,
        sweep,
        to_png,
        upscale,
    )
    from .scheduler import Limits, Scheduler, SchedulerError, Ticket
    from .training import Snapshot, StepRecord, Trainer
    from .webexport import ExportError, export_program

_HOMES = {  # public name -> the module that defines it (imported on first use: see __getattr__)
    "AugmentResult": "augment",
    "run_augmentation": "augment",
    "build_bundle": "bundle",
    "read_config_file": "bundle",
    "read_config_json": "bundle",
    "trainer_bundle": "bundle",
    "Checkpoint": "checkpoints",
    "CheckpointError": "checkpoints",
    "checkpoint_bytes": "checkpoints",
    "list_pretrained": "checkpoints",
    "load_checkpoint": "checkpoints",
    "load_checkpoint_bytes": "checkpoints",
    "save_checkpoint": "checkpoints",
    "ClassifierError": "classifier",
    "DigitClassifier": "classifier",
    "default_classifier": "classifier",
    "load_classifier": "classifier",
    "save_classifier": "classifier",
    "train_classifier": "classifier",
    "Alert": "coach",
    "diagnose": "coach",
    "DEFAULT_PRESET": "config",
    "PRESETS": "config",
    "ConfigError": "config",
    "GANConfig": "config",
    "Preset": "config",
    "preset_config": "config",
    "DScore": "critic",
    "ask_discriminator": "critic",
    "DataFormatError": "data",
    "DataUnavailable": "data",
    "ImageData": "data",
    "load_dataset": "data",
    "to_pixels": "data",
    "to_unit_range": "data",
    "DeviceError": "device",
    "device_name": "device",
    "resolve_device": "device",
    "DigitImageError": "digits",
    "PreparedDigit": "digits",
    "nearest_digits": "digits",
    "prepare_digit": "digits",
    "Directions": "directions",
    "principal_directions": "directions",
    "Evaluation": "evaluation",
    "evaluate_generator": "evaluation",
    "format_evaluation": "evaluation",
    "Inside": "inside",
    "look_inside": "inside",
    "InversionResult": "inversion",
    "invert": "inversion",
    "RunJournal": "journal",
    "RunShelf": "journal",
    "LOSS_INFO": "losses",
    "d_loss_fn": "losses",
    "g_loss_fn": "losses",
    "gradient_penalty": "losses",
    "info_loss_fn": "losses",
    "QuickQuality": "metrics",
    "frechet_distance": "metrics",
    "get_reference": "metrics",
    "inception_score": "metrics",
    "quick_quality": "metrics",
    "build_models": "models",
    "count_parameters": "models",
    "QualityMonitor": "monitor",
    "BackendUnavailable": "runs",
    "TrainingRun": "runs",
    "find_runs": "runs",
    "make_run": "runs",
    "watch_quality": "runs",
    "LATENT_RANGE": "sampling",
    "generate": "sampling",
    "interpolate": "sampling",
    "lerp": "sampling",
    "make_grid": "sampling",
    "sample_labels": "sampling",
    "sample_z": "sampling",
    "slerp": "sampling",
    "sweep": "sampling",
    "to_png": "sampling",
    "upscale": "sampling",
    "Limits": "scheduler",
    "Scheduler": "scheduler",
    "SchedulerError": "scheduler",
    "Ticket": "scheduler",
    "Snapshot": "training",
    "StepRecord": "training",
    "Trainer": "training",
    "ExportError": "webexport",
    "export_program": "webexport",
}

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "checkpoint_bytes",
    "list_pretrained",
    "load_checkpoint",
    "load_checkpoint_bytes",
    "save_checkpoint",
    "DEFAULT_PRESET",
    "PRESETS",
    "ConfigError",
    "GANConfig",
    "Preset",
    "preset_config",
    "DataFormatError",
    "DataUnavailable",
    "ImageData",
    "load_dataset",
    "to_pixels",
    "to_unit_range",
    "DeviceError",
    "device_name",
    "resolve_device",
    "LOSS_INFO",
    "d_loss_fn",
    "g_loss_fn",
    "gradient_penalty",
    "info_loss_fn",
    "build_models",
    "count_parameters",
    "LATENT_RANGE",
    "generate",
    "interpolate",
    "lerp",
    "make_grid",
    "sample_labels",
    "sample_z",
    "slerp",
    "sweep",
    "to_png",
    "upscale",
    "Snapshot",
    "StepRecord",
    "Trainer",
    "BackendUnavailable",
    "TrainingRun",
    "find_runs",
    "make_run",
    "watch_quality",
    "Limits",
    "Scheduler",
    "SchedulerError",
    "Ticket",
    "RunJournal",
    "RunShelf",
    "ClassifierError",
    "DigitClassifier",
    "default_classifier",
    "load_classifier",
    "save_classifier",
    "train_classifier",
    "build_bundle",
    "read_config_file",
    "read_config_json",
    "trainer_bundle",
    "Inside",
    "look_inside",
    "Evaluation",
    "QualityMonitor",
    "QuickQuality",
    "evaluate_generator",
    "format_evaluation",
    "frechet_distance",
    "get_reference",
    "inception_score",
    "quick_quality",
    "ExportError",
    "export_program",
    "DScore",
    "ask_discriminator",
    "DigitImageError",
    "PreparedDigit",
    "nearest_digits",
    "prepare_digit",
    "Directions",
    "principal_directions",
    "InversionResult",
    "invert",
    "Alert",
    "diagnose",
    "AugmentResult",
    "run_augmentation",
]


def __getattr__(name: str):
    """`gan_core.X` (and `from gan_core import X`) imports X's module on first use, so that a page which needs
    only gan_core.i18n or gan_core.config does not load torch, the metrics and Ray's glue before it can paint."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
