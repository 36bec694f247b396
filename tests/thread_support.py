"""Helpers for the tests that train tiny runs in background threads (training, scheduler, classroom)."""

from __future__ import annotations

import os
import time

from gan_core import preset_config


def tiny_mlp(**kw):
    """A few-kilobyte MLP GAN with a small batch: a step takes milliseconds on one CPU thread."""
    settings = dict(g_width=4, d_width=4, latent_dim=4, batch_size=8, max_steps=0, max_seconds=0.0, snapshot_every=10)
    settings.update(kw)
    return preset_config("mlp", **settings)


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll a thread's state finely (every 10 ms): these tests wait for steps, pauses and queue moves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def fill_disk_after(monkeypatch, fraction: float) -> None:
    """Make the next file written through os.fdopen fail with ENOSPC after `fraction` of its bytes: a full disk
    halfway through a write, for the atomic-write tests. monkeypatch.undo() restores the disk."""
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: int(len(data) * fraction)])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
