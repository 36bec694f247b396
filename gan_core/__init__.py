"""gan_core: a small PyTorch library for teaching GANs on handwritten digits.

One concept per module:

    config       GANConfig (every knob, with why its default), PRESETS, ConfigError
    data         load_dataset -> ImageData (uint8 tensor), with its source reported
    device       resolve_device: cuda -> mps -> cpu, and a readable name
    models       MLP and DCGAN generators/discriminators, conditional variants, spectral norm
    losses       minimax, non-saturating, least-squares, hinge, WGAN-GP; with the math
    training     Trainer: the loop, records, snapshots, background thread with pause/resume/stop
    sampling     generate, latent sweeps, lerp/slerp, grids and PNGs
    checkpoints  safetensors save/load with the config as metadata; shipped models
    classifier   a small digit CNN trained once on real MNIST: the feature space of the metrics
    metrics      Fréchet distance (with its real-vs-real floor), classifier IS, class histogram, memorization;
                 QualityMonitor: the same, live, on a training run
    scheduler    Scheduler: one server-wide queue of runs with a cap on concurrent ones; Limits per run
    journal      RunJournal: runs in flight on disk, so a server restart reports them as interrupted

It never imports a UI toolkit: front ends read the trainer's records and snapshots.
"""

from .checkpoints import (Checkpoint, CheckpointError, checkpoint_bytes, list_pretrained, load_checkpoint,
                          load_checkpoint_bytes, save_checkpoint)
from .config import DEFAULT_PRESET, PRESETS, ConfigError, GANConfig, Preset, preset_config
from .data import DataFormatError, DataUnavailable, ImageData, load_dataset, to_pixels, to_unit_range
from .device import DeviceError, device_name, resolve_device
from .losses import LOSS_INFO, d_loss_fn, g_loss_fn, gradient_penalty
from .models import build_models, count_parameters
from .sampling import (LATENT_RANGE, generate, interpolate, lerp, make_grid, sample_labels, sample_z, slerp,
                       sweep, to_png, upscale)
from .training import Snapshot, StepRecord, Trainer
from .scheduler import Limits, Scheduler, SchedulerError, Ticket
from .journal import RunJournal
from .classifier import (ClassifierError, DigitClassifier, default_classifier, load_classifier, save_classifier,
                         train_classifier)
from .metrics import (Evaluation, QualityMonitor, QuickQuality, evaluate_generator, format_evaluation,
                      frechet_distance, get_reference, inception_score, quick_quality)

__all__ = [
    "Checkpoint", "CheckpointError", "checkpoint_bytes", "list_pretrained", "load_checkpoint",
    "load_checkpoint_bytes", "save_checkpoint",
    "DEFAULT_PRESET", "PRESETS", "ConfigError", "GANConfig", "Preset", "preset_config",
    "DataFormatError", "DataUnavailable", "ImageData", "load_dataset", "to_pixels", "to_unit_range",
    "DeviceError", "device_name", "resolve_device",
    "LOSS_INFO", "d_loss_fn", "g_loss_fn", "gradient_penalty",
    "build_models", "count_parameters",
    "LATENT_RANGE", "generate", "interpolate", "lerp", "make_grid", "sample_labels", "sample_z", "slerp",
    "sweep", "to_png", "upscale",
    "Snapshot", "StepRecord", "Trainer",
    "Limits", "Scheduler", "SchedulerError", "Ticket", "RunJournal",
    "ClassifierError", "DigitClassifier", "default_classifier", "load_classifier", "save_classifier",
    "train_classifier",
    "Evaluation", "QualityMonitor", "QuickQuality", "evaluate_generator", "format_evaluation", "frechet_distance",
    "get_reference", "inception_score", "quick_quality",
]
