"""Training runs in Ray worker processes, behind the same `TrainingRun` interface as a Trainer.

Why: a Trainer in a thread of the web process shares its interpreter lock with every page of the
class (slider moves, live charts); in a Ray worker it has a process of its own, and a class can use
several machines (`ray start --head` on one, `ray start --address=...` on the others).

Two halves:

* `RunWorker`, the Ray actor (one per run, in a worker process): it loads the dataset itself
  (`load_dataset(cfg.dataset)`), builds the Trainer, runs it in a thread of the actor, and watches it
  with a QualityMonitor when asked (the classifier's reference computed there too). It answers
  `poll(...)` with plain data only: numbers and strings, StepRecords, snapshots as (step, elapsed, uint8
  grid), quality records; `snapshot_weights(step)` and `weights()` send CPU state dicts.

* `RayRun`, its proxy in the web process: it mirrors the remote run here, so every read (status,
  records, snapshots, quality) is a local read that never waits on Ray, and commands (pause, resume,
  stop) are sent without waiting for an answer. One poller thread per process (`_Poller`) polls every
  live RayRun each POLL_EVERY seconds with `ray.wait(..., timeout=...)`, updates the mirrors and fires
  their callbacks ("on_record", "on_snapshot", "on_end"), so the Scheduler, the RunJournal and the
  pages work unchanged. Snapshot weights come back at most every WEIGHTS_EVERY seconds (the newest
  only), so if the worker dies the run still has a recent G; when the run ends its final weights (G,
  D, the kept snapshots' G) are fetched once, then "on_end" fires and the actor is killed: after the
  end everything is local and the worker's memory (or GPU share) is free.

Warm starts: a queued run's worker can be made before its slot frees (`warm()`, which the Scheduler calls
for the first few in line): an actor holding no CPU that imports torch, loads the data and builds the
Trainer while the run waits. `start()` then only asks Ray for the run's CPUs / GPU share (a placement group
on the actor's node, see gan_core.ray_actor), so the run trains within a poll of its slot freeing instead
of after a new process's start-up (seconds; over ten under load), and Ray still decides who trains.

Faults (a dead, hung or unreachable worker): see gan_core.ray_polled.

Starting Ray and the cluster's size: gan_core.ray_cluster. The actor: gan_core.ray_actor. The poller's
side of a run (its polls, faults and end): gan_core.ray_polled; the poller thread: gan_core.ray_poller;
named workers that outlive the web process: gan_core.ray_names.
"""

from __future__ import annotations

import copy
import logging
import threading
import time

import ray
import torch
import torch.nn as nn
from ray.exceptions import GetTimeoutError, RayError

from .config import GANConfig
from .data import ImageData
from .i18n import get_language
from .models import build_models, count_parameters
from .ray_actor import _RemoteWorker
from .ray_cluster import GPU_SHARE, RAY_ADDRESS_ENV, connect, max_concurrent, shutdown
from .ray_names import ORPHAN_AFTER, actor_name, load_snapshot, namespace, snapshot_path, snapshot_tokens
from .ray_polled import PolledRun
from .ray_poller import _poller
from .ray_quality import RayQuality
from .scheduler import Limits
from .training import RunView, Snapshot, _run_ids

log = logging.getLogger(__name__)

FIND_TIMEOUT = 5.0  # RayRun.find waits this long for a found worker to describe itself


# ------------------------------------------------------------------------------------------ the web side
class RayRun(PolledRun, RunView):
    """A run training in a Ray worker, seen through the `TrainingRun` interface; see the module docstring.

    Reads are local. Its status is the worker's as of the last poll (at most POLL_EVERY seconds old);
    `join()` returns True once the run ended, its final weights are here and "on_end" has fired.
    """

    def __init__(
        self,
        cfg: GANConfig,
        data_or_name: ImageData | str = "mnist",
        device: str = "auto",
        threads: int = 1,
        token: str | None = None,
        save_dir: str | None = None,
    ):
        """token: the tab's token. With one, the worker is a detached actor named after it (found again by
        `RayRun.find(token)` from another web process) that stops itself when nobody polls it for
        ORPHAN_AFTER seconds; with save_dir too, it keeps its newest snapshot in
        `ray_names.snapshot_path(save_dir, token)` (shared storage when the workers are other machines)."""
        connect()
        self.token, self.save_dir = token, save_dir
        self.cfg = cfg.validate()
        self.lang = get_language()  # its messages (stop reasons, queue notes) in the language it was started in
        name = data_or_name.name if isinstance(data_or_name, ImageData) else str(data_or_name)
        if name != cfg.dataset:
            raise ValueError(f"The config asks for {cfg.dataset} but the data given is {name}.")
        self.id = next(_run_ids)
        self.threads = max(1, int(threads))
        self.use_gpu = str(device).startswith("cuda") or (
            str(device) == "auto" and ray.cluster_resources().get("GPU", 0) > 0
        )
        self.device = torch.device("cuda" if self.use_gpu else "cpu")
        self._worker_device = "cuda" if self.use_gpu else "cpu"
        self._G, self._D = build_models(cfg, "cpu")  # templates to load weights into (and the counts)
        self.param_counts = {"G": count_parameters(self._G), "D": count_parameters(self._D)}
        self.device_name = "Ray worker (starting)"
        self.precision = "bf16" if cfg.precision == "bf16" else "fp32"
        self.data_description = (
            data_or_name.describe()
            if isinstance(data_or_name, ImageData)
            else f"{cfg.dataset}, loaded by the Ray worker"
        )
        self.step, self.elapsed = 0, 0.0
        self.status, self.message = "ready", ""
        self._init_view()  # history, snapshots, their lock and the callbacks (RunView)
        self.traceback: str | None = None
        self.worker_pid: int | None = None
        self.worker_node: str | None = None  # its worker's Ray node (hex id), from the polls
        self.quality: RayQuality | None = None
        self._ended = threading.Event()
        self._actor = None
        self._started = False
        self._paused_early = False
        self._stop_reason: str | None = None  # stop() before start: the run ends without an actor
        self._final: dict | None = None  # {"g", "d"} state dicts once fetched
        self._worker_end: tuple[str, str] | None = None  # the worker's final (status, message), held back
        # until the final weights are here
        self._pulled_step = -1  # newest snapshot whose G is here
        # poller-thread state
        self._poll_ref = self._weights_ref = self._final_ref = None
        self._poll_sent = self._weights_sent = self._final_sent = 0.0
        self._last_answer = time.monotonic()
        self._unavailable_since: float | None = None
        self._stop_sent: float | None = None
        self._warm_start = False  # started on a warm worker (lost before it trains, or its lease granted on
        # another node: the run starts again on a new worker, as a run that was never warm)
        self._lease: str | None = None  # a warm start's placement group (hex id), as the worker last said
        self.nice = Limits.nice  # its training thread's niceness in the worker (the Scheduler's, by renice)

    # ------------------------------------------------------------------ reading (all local: RunView's)
    def _generator(self, state: dict) -> nn.Module:
        G = copy.deepcopy(self._G)
        G.load_state_dict(state)
        return G.eval().requires_grad_(False)

    def export_generator(self) -> nn.Module:
        """A CPU eval copy of G: the final weights once the run ended, else the newest snapshot's pulled here.
        RuntimeError when no weights reached this process (a worker that died before its first snapshot)."""
        with self._lock:
            state = (
                self._final["g"]
                if self._final
                else next((s.g_state for s in reversed(self.snapshots) if s.g_state is not None), None)
            )
        if state is None:
            raise RuntimeError(f"Run {self.id} has no generator weights here: its worker ended before sending any.")
        return self._generator(state)

    def export_discriminator(self) -> nn.Module | None:
        """A CPU eval copy of D once the run ended normally; None when its worker died first (D is only
        fetched at the end)."""
        with self._lock:
            state = self._final["d"] if self._final else None
        if state is None:
            return None
        D = copy.deepcopy(self._D)
        D.load_state_dict(state)
        return D.eval().requires_grad_(False)

    @property
    def D(self) -> nn.Module | None:
        """Compatibility with code that reads Trainer.D once a run has ended: export_discriminator()."""
        return self.export_discriminator()

    def generator_at(self, snapshot: Snapshot) -> nn.Module | None:
        return None if snapshot.g_state is None else self._generator(snapshot.g_state)

    def summary(self) -> dict:
        return {
            **super().summary(),
            "backend": "ray",
            "worker_pid": self.worker_pid,
        }

    def watch_quality(self, every: int, n: int) -> RayQuality:
        """Measure sample quality in the worker (before start; MNIST only): the records come back with polls."""
        if self.cfg.dataset != "mnist":
            raise ValueError(f"The digit classifier only judges MNIST digits; this run trains on {self.cfg.dataset}.")
        if self._started or self.status != "ready":
            raise RuntimeError("Attach the monitor before the run starts.")
        self.quality = RayQuality(every, n)
        return self.quality

    @classmethod
    def find(cls, token: str, save_dir: str | None = None, timeout: float = FIND_TIMEOUT) -> "RayRun | None":
        """The run a tab started, from any web process of this deployment (a restarted one, another replica).

        Its worker alive: a mirror of it, polled from now on (its records and snapshots come back from
        the start). Its worker gone but its snapshot file in save_dir: an ended run, "Interrupted at step
        N", holding that snapshot's G. Neither: None. Waits at most `timeout` seconds on Ray (a page
        calls it once, when a tab comes back to a web process that does not know it)."""
        connect()
        try:
            actor = ray.get_actor(actor_name(token), namespace=namespace())
            about = ray.get(actor.describe.remote(), timeout=timeout)
        except (ValueError, RayError, GetTimeoutError):  # ValueError: no actor of that name
            actor = None
        if actor is not None and not about.get("started", True):  # a queued run's warm worker: its queue is gone
            ray.kill(actor, no_restart=True)
            actor = None
        if actor is not None:
            run = cls(about["cfg"], about["cfg"].dataset, about["device"], about["threads"], token, save_dir)
            run.lang = about["lang"]
            if about["quality"] is not None:
                run.quality = RayQuality(*about["quality"])
            run._actor, run._started = actor, True
            _poller().add(run)
            return run
        saved = load_snapshot(snapshot_path(save_dir, token)) if save_dir else None
        if saved is None:
            return None
        cfg = GANConfig.from_json(saved["config"])
        run = cls(cfg, cfg.dataset, "cpu", 1, token, save_dir)
        run._started = True
        run.snapshots = [Snapshot(saved["step"], saved["elapsed"], saved["images"], saved["g_state"])]
        run.step, run.elapsed, run.worker_pid = saved["step"], saved["elapsed"], -1
        run._pulled_step = saved["step"]
        run._interrupt("it was gone when this web process looked for it")
        return run

    @classmethod
    def tokens(cls, prefix: str, save_dir: str | None = None) -> list[str]:
        """The tokens starting with `prefix` (a tab's token) of this deployment's runs that `find` may find:
        live named workers in the namespace, and snapshot files in save_dir (workers that died). Sorted, so
        tokens that begin with a time (as gan_ui's do) come oldest first."""
        connect()
        start = actor_name(prefix)
        live = {
            a["name"][len(actor_name("")) :]
            for a in ray.util.list_named_actors(all_namespaces=True)
            if a.get("namespace") == namespace() and a.get("name", "").startswith(start)
        }
        return sorted(live | set(snapshot_tokens(save_dir, prefix) if save_dir else ()))

    @classmethod
    def find_all(cls, prefix: str, save_dir: str | None = None) -> list["RayRun"]:
        """`find` for every token starting with `prefix`: a tab's runs, training or interrupted, oldest first."""
        found = (cls.find(token, save_dir) for token in cls.tokens(prefix, save_dir))
        return [run for run in found if run is not None]

    # ------------------------------------------------------------------ commands (never wait)
    def warm(self) -> bool:
        """Make this queued run's worker now, holding no CPU or GPU: it imports torch, loads the data and builds
        the Trainer while the run waits, so `start()` trains at once when its slot frees (the Scheduler warms
        the first few in line). CPU runs only: a GPU run starts cold, as before. True when a worker is there."""
        if self._actor is not None:
            return True
        if self._started or self.status != "ready" or self.use_gpu or self._stop_reason is not None:
            return False
        self._actor = self._create({"num_cpus": 0}, warm=True)
        _poller().add(self)
        return True

    @property
    def warmed(self) -> bool:
        """True while a queued run's warm worker has built its Trainer and waits for `start()`."""
        return self._actor is not None and not self._started and self.worker_pid is not None

    def _resources(self) -> dict:
        """What one run trains with: its threads' CPUs, or a CPU and a GPU share."""
        return {"CPU": 1, "GPU": GPU_SHARE} if self.use_gpu else {"CPU": self.threads}

    def _create(self, opts: dict, warm: bool = False):
        """The run's actor (named and detached when the run has a token); not waited for."""
        quality = (self.quality.every, self.quality.n) if self.quality is not None else None
        save_to, orphan_after = None, None
        opts = {**opts, "max_restarts": 0}
        if self.token:
            opts.update(name=actor_name(self.token), namespace=namespace(), lifetime="detached")
            orphan_after = ORPHAN_AFTER
            if self.save_dir:
                save_to = str(snapshot_path(self.save_dir, self.token))
        actor = _RemoteWorker.options(**opts).remote(
            self.cfg, self._worker_device, self.threads, quality, save_to, self.lang, orphan_after
        )
        if self._paused_early:
            actor.pause.remote()
        return actor

    def start(self) -> "RayRun":
        """Train. A warm worker (made while the run waited, `warm()`) asks Ray for the run's CPUs (the lease) and
        trains once granted; otherwise the worker is created now holding them (Ray queues it until they are
        free) and trains once built."""
        if self._started or self.status != "ready":
            raise RuntimeError(f"This run has already been started (status: {self.status}).")
        self._started = True
        if self._stop_reason is not None:  # stopped before it started: no training at all
            self._drop_warm()
            _poller().add(self)
            return self
        if self._actor is not None:
            self._warm_start = True
            self._actor.start.remote(self._resources(), self.nice)
            _poller().add(self)  # it has it already, unless the warm worker was lost just now
            return self
        res = self._resources()
        try:
            self._actor = self._create({"num_cpus": res["CPU"], "num_gpus": res.get("GPU", 0)})
            self._actor.start.remote(None, self.nice)
        except Exception:
            self._started, self._actor = False, None
            raise
        _poller().add(self)
        return self

    def renice(self, nice: int) -> None:
        """The Linux niceness its worker's training thread runs at (set before start; the Scheduler's Limits.nice)."""
        self.nice = max(0, int(nice))

    def pause(self) -> None:
        if self._actor is None:
            self._paused_early = True
        else:
            self._send("pause")

    def resume(self) -> None:
        self._paused_early = False
        if self._actor is not None:
            self._send("resume")

    def stop(self, reason: str = "") -> None:
        """End the run at its next step (in the worker); `reason` becomes its message."""
        if not self._started or self._actor is None:  # not started (a warm worker waits on): start() ends it
            if self._stop_reason is None or (reason and not self._stop_reason):
                self._stop_reason = reason
            return
        self._send("stop", reason)
        if self._stop_sent is None:
            self._stop_sent = time.monotonic()

    def _send(self, method: str, *args) -> None:
        try:
            getattr(self._actor, method).remote(*args)
        except RayError as exc:  # the worker is gone: the poller will report it
            log.warning("run %s: %s not delivered: %s", self.id, method, exc)

    def cancel_unstarted(self, message: str) -> None:
        """End a run that never started: status "stopped", "on_end" fires once (here), no worker is made."""
        if self._started or self.status != "ready":
            raise RuntimeError(f"Only a run that has not started can be cancelled (status: {self.status}).")
        if self._actor is not None:  # a warm worker: killed now (its memory freed), "on_end" fires here
            self._finish("stopped", message)
            return
        self.status, self.message = "stopped", message
        if self.quality is not None:
            self.quality._end()
        self._fire("on_end")
        self._ended.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the run ended and its final weights are here (True), or `timeout` passed (False)."""
        if not self._started:
            return self.done
        return self._ended.wait(timeout)


__all__ = ["GPU_SHARE", "RAY_ADDRESS_ENV", "RayQuality", "RayRun", "connect", "max_concurrent", "shutdown"]
