"""Live sample quality of a training run: `QualityMonitor` measures G's digits every few hundred steps.

The numbers are `metrics.quick_quality`'s (classes present, class KL, classifier IS, confidence,
Fréchet distance beside its real-vs-real floor, and an InfoGAN's code purity), measured on a worker
thread from the CPU weight copies the trainer already makes for its timeline, so the training loop
never waits for them. The app's quality panel and `train --quality-every` read its records.
"""

from __future__ import annotations

import copy
import logging
import threading
import time

import torch

from .metrics import QuickQuality, RealReference, get_reference, quick_quality

log = logging.getLogger(__name__)

QUALITY_EVERY = 200  # steps between live measurements: ~10 s of CPU training, so the curve moves visibly
QUALITY_SAMPLES = 256  # digits per live measurement (~0.1 s on one CPU thread); the floor is reported at n


class QualityMonitor:
    """Live sample quality of one training run: `quick_quality` of n digits every `every` steps.

        monitor = QualityMonitor(get_reference(data), every=200, n=256).attach(trainer)
        trainer.start()
        ...
        monitor.records()        # [(step, QuickQuality)], thread-safe, in step order

    How it stays off the training loop's hot path: the trainer already copies G's weights to the CPU
    at each snapshot (for the timeline). At the first snapshot at least `every` steps after the last
    measured one (and at step 0), the "on_snapshot" callback only hands that copy to a worker thread.
    The worker loads it into its own CPU copy of G, draws n digits from a fixed noise batch (the
    same z at every measurement, so the numbers are comparable over the run) and runs
    quick_quality. The training thread does no extra forward pass, no host sync and never waits;
    if the worker falls behind, only the newest waiting snapshot is kept. When the run ends
    ("on_end") its last snapshot is measured too, so the final state always has a record.

    A conditional generator is asked for the ten digits in equal shares (labels 0..9 repeated).
    Measuring can never break the run it watches: an error stops the measurements and is kept in
    `error`. Only MNIST runs can be monitored: the classifier judges digits.
    """

    def __init__(
        self,
        reference: RealReference | None = None,
        every: int = QUALITY_EVERY,
        n: int = QUALITY_SAMPLES,
        seed: int = 0,
    ):
        if int(every) < 1:
            raise ValueError(f"every must be at least 1 step; got {every}.")
        if int(n) < 2:
            raise ValueError(f"Measure at least 2 samples (256 is a good number); got {n}.")
        self.reference = reference or get_reference()
        self.every, self.n, self.seed = int(every), int(n), int(seed)
        self.error: str | None = None  # why measuring stopped, in words
        self.busy_seconds = 0.0  # worker time spent sampling and measuring (overhead)
        self._records: list[tuple[int, QuickQuality]] = []
        self._noise: dict[int, torch.Tensor] = {}
        self._cond = threading.Condition()
        self._G: torch.nn.Module | None = None  # the worker's own CPU copy of G
        self._pending: tuple[int, dict] | None = None
        self._last_queued: int | None = None
        self._last_snapshot: tuple[int, dict] | None = None
        self._busy = False
        self._ended = False
        self._thread: threading.Thread | None = None

    # -- reading ---------------------------------------------------------------------------------
    def records(self) -> list[tuple[int, QuickQuality]]:
        """A copy of the measurements so far, [(step, QuickQuality)] sorted by step (thread-safe)."""
        with self._cond:
            return list(self._records)

    def latest(self) -> tuple[int, QuickQuality] | None:
        with self._cond:
            return self._records[-1] if self._records else None

    @property
    def class_dist(self) -> list[float]:
        """p_data: the real data's share of each digit, (10,)."""
        return [float(p) for p in self.reference.class_dist]

    def real_scores(self) -> dict:
        """What n real digits score (classes present, class KL, IS, ...): the values to compare with."""
        return self.reference.real_scores(self.n)

    @property
    def done(self) -> bool:
        """True once the watched run has ended and every measurement it asked for is recorded."""
        with self._cond:
            return self._ended and self._pending is None and not self._busy

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every snapshot handed over so far is measured; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._busy, timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until `done` (the run must end by itself or be stopped); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._ended and self._pending is None and not self._busy, timeout)

    # -- measuring -------------------------------------------------------------------------------
    def fixed_noise(self, G: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The n fixed z (n, latent) for G's latent size, and labels (n,) 0..9 repeated if G is conditional."""
        dim = int(G.latent_dim)
        if dim not in self._noise:
            self._noise[dim] = torch.randn(self.n, dim, generator=torch.Generator().manual_seed(self.seed))
        y = torch.arange(self.n) % G.num_classes if getattr(G, "conditional", False) else None
        return self._noise[dim], y

    def measure(self, G: torch.nn.Module, step: int) -> QuickQuality:
        """Draw the n fixed digits from G (eval mode) in this thread, measure them and record the result."""
        from .sampling import generate

        t0 = time.perf_counter()
        z, y = self.fixed_noise(G)
        codes = y if getattr(G, "info", False) else None  # an InfoGAN's codes: + code purity
        q = quick_quality(
            generate(G, z, y), self.reference, codes=codes, num_codes=G.num_classes
        )  # (n, 28, 28) -> metrics
        with self._cond:
            self._records.append((int(step), q))
            self._records.sort(key=lambda r: r[0])
            self.busy_seconds += time.perf_counter() - t0
        return q

    # -- watching a trainer ----------------------------------------------------------------------
    def attach(self, trainer) -> "QualityMonitor":
        """Watch a Trainer that has not started yet (callbacks "on_snapshot" and "on_end")."""
        if trainer.cfg.dataset != "mnist":
            raise ValueError(
                f"The digit classifier only judges MNIST digits; this run trains on {trainer.cfg.dataset}."
            )
        if self._G is not None:
            raise RuntimeError("A QualityMonitor watches one run; make a new one for another run.")
        if trainer.status != "ready":
            raise RuntimeError("Attach the monitor before the run starts.")
        G = copy.deepcopy(trainer.sampling_generator())
        self._G = G.to("cpu").eval().requires_grad_(False)
        trainer.add_callback("on_snapshot", self._on_snapshot)
        trainer.add_callback("on_end", self._on_end)
        return self

    def _queue(self, step: int, state: dict) -> None:  # called with self._cond held
        self._pending = (step, state)  # a snapshot still waiting is replaced: only the newest counts
        self._last_queued = step
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="gan-quality", daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def _on_snapshot(self, trainer, snap) -> None:
        """Training thread: hand the snapshot's CPU weights to the worker when a measurement is due."""
        if snap.g_state is None or self.error is not None:  # non-finite weights: nothing to measure
            return
        with self._cond:
            self._last_snapshot = (snap.step, snap.g_state)
            if self._last_queued is None or snap.step >= self._last_queued + self.every:
                self._queue(snap.step, snap.g_state)

    def _on_end(self, trainer) -> None:
        """Training thread, run over: measure its last snapshot if that was not measured yet."""
        with self._cond:
            last = self._last_snapshot
            if trainer.status != "failed" and self.error is None and last is not None and last[0] != self._last_queued:
                self._queue(*last)
            self._last_snapshot = None
            self._ended = True
            self._cond.notify_all()

    def _work(self) -> None:
        """Worker thread: measure queued snapshots until the run has ended and nothing is left."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._ended)
                if self._pending is None:
                    return
                step, state = self._pending
                self._pending = None
                self._busy = True
            try:
                if self.error is None:
                    self._G.load_state_dict(state)
                    self.measure(self._G, step)
            except Exception as exc:  # never let a measurement take the run down: say why and stop measuring
                log.exception("quality measurement at step %s failed", step)
                self.error = f"measuring the samples at step {step} failed: {type(exc).__name__}: {exc}"
            finally:
                del state
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


__all__ = ["QualityMonitor", "QUALITY_EVERY", "QUALITY_SAMPLES"]
