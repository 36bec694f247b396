"""The Ray actor of the Ray backend: one per run, in a worker process, holding the run's Trainer.

It loads the dataset itself (`load_dataset(cfg.dataset)`, with the app's GAN_CLASSROOM_* settings that
gan_core.ray_cluster passes to every worker), builds the Trainer, runs it in a thread of the actor, and
watches it with a QualityMonitor when asked (the classifier's reference computed here too). Its answers
are plain data: numbers and strings, StepRecords, snapshots as (step, elapsed, uint8 grid), quality
records, and CPU state dicts; never a Trainer. Its proxy in the web process is gan_core.ray_runs.RayRun.

A warm start (a queued run's worker made before its slot frees, RayRun.warm): the actor is created holding
no CPU, so it imports torch, loads the digits and builds the Trainer while the run waits in line.
`start(lease)` then asks Ray for the run's resources as a placement group of one bundle (the *lease*), with
this actor's node as a soft target, and the Trainer starts the moment Ray grants it on this node: Ray still
decides who trains, and never more at once than the cluster's CPUs allow. Granted on another node (this one
was full, another had room: a cluster of several machines), the lease is given back and the poll says so;
the web process then starts the run on a new worker the ordinary way, where Ray has room. The lease is
given back the moment the Trainer ends, and Ray removes it with the actor if the actor dies (a placement
group made by a detached actor lives as long as that actor; the web process removes a plain actor's).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import ray
import torch
from ray.util.placement_group import (
    PlacementGroup,
    placement_group,
    placement_group_table,
    remove_placement_group,
)

from .config import GANConfig
from .data import load_dataset
from .i18n import get_language, set_language
from .metrics import get_reference
from .monitor import QualityMonitor
from .ray_names import save_snapshot
from .scheduler import lower_priority
from .training import Trainer

log = logging.getLogger(__name__)
LEASE_WAIT = 0.5  # seconds per wait on the lease, so a stop while it is pending is seen this soon


class RunWorker:
    """A Ray actor holding one Trainer (it is created through `ray.remote(RunWorker)` in RayRun.start).

    Every answer is plain data (numbers, strings, lists, StepRecords, uint8/float CPU tensors), never a
    Trainer: the web process rebuilds what it needs from it.
    """

    def __init__(
        self,
        cfg: GANConfig,
        device: str,
        threads: int,
        quality: tuple[int, int] | None,
        save_to: str | None = None,
        lang: str | None = None,
        orphan_after: float | None = None,
    ):
        """save_to: a file to keep the newest snapshot in (gan_core.ray_names), so a run whose worker dies
        keeps its weights; orphan_after: seconds without a poll after which the actor stops itself
        (detached actors, which nothing else would ever kill)."""
        torch.set_num_threads(max(1, int(threads)))
        if lang:
            set_language(lang)
        self.described = {"cfg": cfg, "device": device, "threads": threads, "quality": quality}
        self.described["lang"] = lang or get_language()
        data = load_dataset(cfg.dataset)
        self.trainer = Trainer(cfg, data, device=device)
        self.save_to = save_to
        if save_to:
            self.trainer.add_callback("on_snapshot", self._save)
        self.lease: PlacementGroup | None = None  # a warm start's resources, once asked for
        self._lease_lock = threading.Lock()
        self._stopping = threading.Event()
        self.node = ray.get_runtime_context().get_node_id()  # the Ray node this worker runs on (hex id)
        self.misplaced = False  # a warm start's lease was granted on another node: the run starts elsewhere
        self._nice = 0
        self.trainer.add_callback("on_end", lambda _t: self._release())
        self.last_poll = time.monotonic()
        if orphan_after:
            threading.Thread(target=self._watch_orphan, args=(float(orphan_after),), daemon=True).start()
        self.monitor: QualityMonitor | None = None
        self.reference: dict | None = None
        if quality is not None:
            every, n = quality
            self.monitor = QualityMonitor(get_reference(data), every=every, n=n).attach(self.trainer)
            self.reference = {"class_dist": self.monitor.class_dist, "real_scores": self.monitor.real_scores()}

    def _save(self, trainer, snap) -> None:
        if snap.g_state is not None:
            save_snapshot(Path(self.save_to), snap.g_state, snap.images, snap.step, snap.elapsed, trainer.cfg.to_json())

    def _watch_orphan(self, after: float) -> None:
        """Stop the run and end this actor once nobody has polled it for `after` seconds."""
        while time.monotonic() - self.last_poll < after:
            time.sleep(min(5.0, after / 4))
        self.trainer.stop("Nobody watched this run any more.")
        self.trainer.join(30)
        ray.kill(ray.get_runtime_context().current_actor, no_restart=True)

    def describe(self) -> dict:
        """What a web process needs to mirror this run again: its config, device, threads, quality, language,
        and whether it was started (a warm worker of a queued run was not)."""
        return {**self.described, "started": self.trainer.thread is not None or self.lease is not None}

    def start(self, lease: dict | None = None, nice: int = 0) -> int:
        """Train. `lease`: the resources to ask Ray for first ({"CPU": 1}, or a CPU and a GPU share) when this
        actor was made without them (a warm start); None when the actor holds them already. `nice`: the
        training thread's Linux niceness, so the web server's pages on the same machine win the CPU."""
        self._nice = int(nice)
        if lease is None:
            self._train()
        else:
            threading.Thread(target=self._lease_then_train, args=(dict(lease),), name="gan-lease", daemon=True).start()
        return os.getpid()

    def _lease_then_train(self, resources: dict) -> None:
        """Ask Ray for `resources`, this node first; wait until granted (or the run is stopped), then train here,
        or, granted on another node, give the lease back and say so (`misplaced` in the poll's answer)."""
        node = self.node
        try:
            with self._lease_lock:
                self.lease = placement_group([resources], strategy="STRICT_PACK", _soft_target_node_id=node)
            while not self._stopping.is_set() and not self.lease.wait(LEASE_WAIT):
                pass
            elsewhere = placement_group_table(self.lease)["bundles_to_node_id"].get(0) != node
        except Exception:  # noqa: BLE001 - Ray could not make or read the lease: the run starts the ordinary way
            log.exception("the lease of a warm start failed")
            elsewhere = True
        if elsewhere and not self._stopping.is_set():
            self._release()
            self.misplaced = True
            return
        self._train()  # stopped while waiting: the Trainer ends at once, as a run stopped at step 0

    def _train(self) -> None:
        self.trainer.start()
        lower_priority(self.trainer.thread, self._nice)

    def _release(self) -> None:
        """Give the lease back (the Trainer ended: its CPU / GPU share is free for the next run)."""
        with self._lease_lock:
            lease, self.lease = self.lease, None
        if lease is not None:
            remove_placement_group(lease)

    def poll(self, since_record: int, since_snapshot_step: int, since_quality: int) -> dict:
        """What changed since the caller's last poll: records from index since_record, snapshots after step
        since_snapshot_step, quality records from index since_quality; and the run's state."""
        self.last_poll = time.monotonic()
        t, mon = self.trainer, self.monitor
        ended = t.done and t.join(0) and (mon is None or mon.done)  # read first: what follows is complete
        snaps = t.snapshot_list()
        return {
            "pid": os.getpid(),
            "ended": ended,
            "lease": self.lease.id.hex() if self.lease is not None else None,
            "misplaced": self.misplaced,
            "node": self.node,
            "status": t.status,
            "message": t.message,
            "step": t.step,
            "elapsed": t.elapsed,
            "device_name": t.device_name,
            "precision": t.precision,
            "data_description": t.data_description,
            "param_counts": dict(t.param_counts),
            "traceback": getattr(t, "traceback", None),
            "records": t.records(since_record),
            "snapshots": [(s.step, s.elapsed, s.images) for s in snaps if s.step > since_snapshot_step],
            "kept": [s.step for s in snaps],
            "weights_steps": [s.step for s in snaps if s.g_state is not None],
            "quality": mon.records()[since_quality:] if mon is not None else [],
            "quality_error": mon.error if mon is not None else None,
            "reference": self.reference if since_quality == 0 else None,
        }

    def snapshot_weights(self, step: int) -> tuple[int, dict] | None:
        """G's weights at the kept snapshot of `step` (None if thinned away since)."""
        for s in self.trainer.snapshot_list():
            if s.step == step and s.g_state is not None:
                return s.step, s.g_state
        return None

    def weights(self) -> dict:
        """The final weights: the sampling generator's, D's, and every kept snapshot's G (CPU state dicts)."""
        t = self.trainer
        G, D = t.export_generator(), t.export_discriminator()
        return {
            "g": G.state_dict(),
            "d": D.state_dict(),
            "snapshots": {s.step: s.g_state for s in t.snapshot_list() if s.g_state is not None},
        }

    def pause(self) -> None:
        self.trainer.pause()

    def resume(self) -> None:
        self.trainer.resume()

    def stop(self, reason: str = "") -> None:
        self._stopping.set()
        self.trainer.stop(reason)


_RemoteWorker = ray.remote(RunWorker)


__all__ = ["RunWorker"]
