"""Short real-digit runs of the lesson presets, shared by test_coach.py and test_lessons.py.

Each (preset, steps, overrides) trains once per test session (1 CPU thread, the 5,000 offline MNIST
digits); the tests then read its records and, where they need it, one sample-quality reading of its
final generator.
"""

from __future__ import annotations

from statistics import median

from gan_core import Trainer, generate, preset_config, sample_z
from gan_core.metrics import get_reference, quick_quality

_runs: dict = {}


def short_run(data, preset: str, steps: int, **overrides) -> Trainer:
    key = (preset, steps, tuple(sorted(overrides.items())))
    if key not in _runs:
        cfg = preset_config(preset, max_steps=steps, max_seconds=0, snapshot_every=max(steps, 1), **overrides)
        _runs[key] = Trainer(cfg, data, device="cpu").run()
    return _runs[key]


def quality(trainer: Trainer, data, n: int = 256):
    """One sample-quality reading (digit classifier) of the run's final generator on n fixed z."""
    G = trainer.export_generator()
    labels = None
    if trainer.cfg.conditional:
        import torch

        labels = torch.arange(n) % trainer.cfg.num_classes
    return quick_quality(generate(G, sample_z(n, trainer.cfg.latent_dim, seed=0), labels), get_reference(data))


def window_median(trainer: Trainer, field: str, last: int = 50) -> float:
    return median(getattr(r, field) for r in trainer.history[-last:])
