"""The whole training step as one CUDA graph: recorded once, replayed every step.

Why. On a GPU a step of these small models is a few dozen tiny kernels: D's k updates and G's update, each a
forward pass, a backward pass and Adam, then the EMA of G and the step's numbers. Each kernel takes microseconds
of arithmetic, but Python and the driver spend longer than that launching it, so the chip waits on the CPU
(BENCHMARKS.md, issue #22: steps/s stays the same whatever the batch). A CUDA graph records the kernels of one
step, with their memory addresses, once; `replay()` then launches the whole step with one call.

What recording needs, and how `Trainer.step_stats` gives it:

* **No host syncs.** Nothing in the step reads a tensor back to Python: the losses, D's verdicts and the
  gradient norms leave the step as one (7,) tensor on the device, and the Trainer copies them to the host
  every FLUSH_EVERY steps (`Trainer._flush`).
* **Static shapes and addresses.** The batch is drawn inside the step, from the whole dataset already on the
  GPU (`images[randint(N, (B,))]`); nothing is copied in from the CPU between replays.
* **Randomness that moves on.** Every draw (batches, z, labels, DiffAugment's shifts, WGAN-GP's mixing) comes
  from the run's own generator, which is registered with the graph: each replay advances its Philox offset, so
  step 1,000 draws new numbers, as the eager loop does.
* **Adam on the device.** `capturable=True` keeps Adam's step count t (its bias correction 1 - beta^t) on the
  device, so a replay does not reuse the t of the recording.
* **The EMA's warm-up.** Its decay min(ema, (1 + t) / (10 + t)) is computed on the device from a step tensor that
  the Trainer sets before each replay, not baked in as the number it was when the step was recorded.

Same numbers as the eager step, to float noise, from the same seed (tests/test_cuda_graph.py, on a GPU).
What stays eager: learning-rate decay (its rate is a Python number in Adam's settings), step mode (one phase at
a time, for a student to look at) and any run not on a CUDA device.
"""

from __future__ import annotations

import logging
import os

import torch

from .i18n import _

log = logging.getLogger(__name__)

ENV = "GAN_CLASSROOM_CUDA_GRAPH"  # "0": every run on the eager step (e.g. to compare the two)
WARMUP_STEPS = 3  # eager steps on a side stream before recording, as PyTorch's CUDA-graph notes ask: Adam creates
# its state, cuDNN picks its kernels, the caching allocator settles; they are real steps of the run


def use_graph(cfg, device: torch.device, wanted: bool | None) -> bool:
    """Whether a run replays its step as a CUDA graph. `wanted`: None = wherever it can; True = required (a clear
    error where it cannot be); False = never."""
    why_not = None
    if device.type != "cuda":
        why_not = _("CUDA graphs need a CUDA GPU; this run trains on {device}.").format(device=device.type)
    elif cfg.lr_decay:
        why_not = _("CUDA graphs are off with learning-rate decay: the rate changes every step.")
    if wanted is None:
        return why_not is None and os.environ.get(ENV, "1") != "0"
    if wanted and why_not:
        raise ValueError(why_not)
    return bool(wanted)


class GraphedStep:
    """Calls `trainer.step_stats()` eagerly for WARMUP_STEPS steps, records it as a CUDA graph, then replays it.

    Each call is one training step and returns its (7,) numbers (a fresh tensor: the graph's own output is
    overwritten by the next replay). If recording fails, the run goes on eagerly and says so in the log."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.graph: torch.cuda.CUDAGraph | None = None
        self.output: torch.Tensor | None = None  # (7,) the graph's static output
        self.replays = 0
        self.failed = ""  # why recording failed, if it did
        self._warm = 0
        self._stream: torch.cuda.Stream | None = None

    def __call__(self) -> torch.Tensor:
        tr = self.trainer
        if tr._ema_t is not None:
            tr._ema_t.fill_(tr.step)  # the EMA warm-up's t for this step: one tiny launch, no host sync
        if self.failed:
            return tr.step_stats()
        if self.graph is None:
            if self._warm < WARMUP_STEPS:
                return self._warm_step()
            self._record()
            if self.failed:
                return tr.step_stats()
        self.graph.replay()
        self.replays += 1
        return self.output.clone()  # (7,)

    def _warm_step(self) -> torch.Tensor:
        current = torch.cuda.current_stream(self.trainer.device)
        if self._stream is None:
            self._stream = torch.cuda.Stream(self.trainer.device)
        self._stream.wait_stream(current)
        with torch.cuda.stream(self._stream):
            stats = self.trainer.step_stats()  # (7,)
        current.wait_stream(self._stream)
        self._warm += 1
        return stats

    def _record(self) -> None:
        """Record one step. Nothing runs while recording: the step itself happens at the first replay."""
        tr = self.trainer
        graph = torch.cuda.CUDAGraph()
        graph.register_generator_state(tr.rng)  # each replay advances the run's own generator
        try:
            # thread_local: other runs training in this process's threads keep launching their kernels meanwhile
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                output = tr.step_stats()  # (7,)
        except Exception as exc:  # a model or option the graph cannot hold: train eagerly, as before
            self.failed = f"{type(exc).__name__}: {exc}"
            log.warning("run %s: recording its step as a CUDA graph failed, training eagerly: %s", tr.id, exc)
            return
        self.graph, self.output = graph, output
