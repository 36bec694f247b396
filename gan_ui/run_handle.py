"""One training run of a tab, as every page reads it: `RunHandle`.

A handle is what the pages see of a run: its config, status, records, snapshots and results, and the
commands pause/resume (stop goes through the tab's store, which also takes a queued run out of the
queue). Every value it gives out is plain data (dataclass records, uint8 image tensors, bytes), so the
training behind it can live in this process (a gan_core.Trainer thread) or in a worker process.
"""

from __future__ import annotations

import logging
import time

from gan_core import (
    GANConfig,
    QualityMonitor,
    Snapshot,
    StepRecord,
    checkpoint_bytes,
    stepping,
    trainer_bundle,
    watch_quality,
)
from gan_core.i18n import N_, _
from gan_core.losses import LossInfo
from gan_core.stepping import StepResult

from . import settings
from .catalogue import ModelEntry, run_name
from .server import server_scheduler

log = logging.getLogger("gan_ui")

STATUS_WORDS = {  # a status in words, shown as _(word)
    "queued": N_("waiting for a slot"),
    "ready": N_("starting"),
    "running": N_("training"),
    "paused": N_("paused"),
    "finished": N_("finished"),
    "stopped": N_("stopped"),
    "diverged": N_("diverged"),
    "failed": N_("crashed"),
    "interrupted": N_("interrupted"),
}
NOT_MNIST = N_(
    "Sample quality is judged by a digit classifier, so it is measured for MNIST runs only, not for Fashion-MNIST."
)
FILE_SNAPSHOTS = 8  # timeline snapshots saved in a downloaded run
ACTIVE = ("queued", "ready", "running", "paused")
USABLE = ("finished", "stopped", "diverged", "interrupted")  # diverged: G rolled back to a healthy snapshot;
# interrupted: a dead worker's last snapshot


class RunHandle:
    """One run of a tab as the pages read it, and what the UI derives from it once (its model entry, its file).

    Reading: `cfg`, `status`, `message`, `step`, `elapsed`, `records(since)`, `snapshots()`, `quality`.
    Commands: `pause()`, `resume()`, `stop()`, `join()` (the Stop button goes through `SessionStore.stop_run`,
    which also takes a queued run out of the queue). The run behind it (`gan_core.runs.TrainingRun`: a Trainer
    thread here, or a proxy of a run in a worker process) is the store's business; no page reaches into it.
    """

    def __init__(self, run, number: int):
        self._run = run  # a gan_core TrainingRun (Trainer or a worker's proxy)
        self.number = number
        self.created = time.time()
        self.quality: QualityMonitor | None = None  # live sample quality (MNIST runs with the classifier)
        self.quality_note: str | None = None  # why there is none, in one line
        self.ticket = None  # its gan_core.Ticket in the server's queue
        self.save_error: str | None = None  # "finished, not saved: disk full" when the shelf failed
        self._entry: ModelEntry | None = None
        self._bytes: bytes | None = None
        self._memo: dict[str, tuple] = {}

    # reading ---------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        return f"run:{self.number}"

    @property
    def cfg(self) -> GANConfig:
        return self._run.cfg

    @property
    def loss_info(self) -> LossInfo:
        return self._run.loss_info

    @property
    def step(self) -> int:
        return self._run.step

    @property
    def elapsed(self) -> float:
        return self._run.elapsed

    @property
    def message(self) -> str:
        return self._run.message

    @property
    def traceback(self) -> str:
        return getattr(self._run, "traceback", "") or ""

    @property
    def device_name(self) -> str:
        return self._run.device_name

    @property
    def device_type(self) -> str:
        return getattr(getattr(self._run, "device", None), "type", "cpu")

    @property
    def precision(self) -> str:
        return self._run.precision

    @property
    def remaining_seconds(self) -> float | None:
        return self._run.remaining_seconds

    @property
    def record_count(self) -> int:
        return len(self._run.history)

    def records(self, since: int = 0) -> list[StepRecord]:
        """The step records from index `since` on (a copy)."""
        return self._run.records(since)

    def last_record(self) -> StepRecord | None:
        recs = self._run.records(max(0, self.record_count - 1))
        return recs[-1] if recs else None

    def snapshots(self) -> list[Snapshot]:
        """The timeline: G on the fixed noise at evenly spread steps (and the weights at some of them)."""
        return self._run.snapshot_list()

    def generator_at(self, snapshot: Snapshot):
        """A CPU eval-mode G with a snapshot's weights (None when they were thinned away)."""
        return self._run.generator_at(snapshot)

    @property
    def label(self) -> str:
        return run_name(self.number, self.cfg.preset, self.step)

    @property
    def lang(self) -> str | None:
        """The language the run was started in (its messages are in it), None when its run does not say."""
        return getattr(self._run, "lang", None)

    @property
    def status(self) -> str:
        """The run's status, except that a run still writing its last records and snapshot is "running".

        (A run sets its final status just before that last flush; the UI waits for it to end, and for the
        quality monitor's last measurement, so the page that announces the end also shows the final step
        and its quality.)
        """
        t = self._run
        if self.ticket is not None and self.ticket.queued:
            return "queued"
        if t.status not in ACTIVE and not t.join(0):
            return "running"
        if t.status not in ACTIVE and self.quality is not None and not self.quality.done:
            return "running"  # the final quality measurement lands a fraction of a second later
        return t.status

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def usable(self) -> bool:
        if self.status == "interrupted":  # usable only when a snapshot's weights came back before
            return any(s.g_state is not None for s in self._run.snapshot_list())
        return self.status in USABLE and self.step > 0  # a run stopped in the queue has no model

    @property
    def queue_position(self) -> int:
        """1 = next to start, 2 = second in line, ...; 0 when not waiting."""
        return self.ticket.position if self.ticket is not None and self.ticket.queued else 0

    def wait_estimate(self) -> float:
        """Seconds until this queued run should start (0 when it is not waiting)."""
        return server_scheduler().wait_estimate(self.ticket) if self.queue_position else 0.0

    # commands --------------------------------------------------------------------------------
    def pause(self) -> None:
        self._run.pause()

    def resume(self) -> None:
        self._run.resume()

    @property
    def can_step(self) -> bool:
        return stepping.can_step(self._run)

    def step_once(self, kind: str) -> StepResult:
        """Step mode: one D ("d"), G ("g") or full ("both") update of the paused run; plain data out."""
        return stepping.step(self._run, kind)

    def stop(self, reason: str = "") -> None:
        """End a training run at its next step (a queued run leaves the queue through SessionStore.stop_run)."""
        self._run.stop(reason)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the run has ended as a page sees it (its last records, snapshot and quality reading in);
        True when it has."""
        if not self._run.join(timeout):
            return False
        return self.quality is None or self.quality.join(timeout)

    # derived, built once -----------------------------------------------------------------------
    def memo(self, name: str, key, build):
        """build() once per distinct key (e.g. the number of records): the live panel polls every second,
        but rebuilding three figures when no new record arrived would only steal CPU from training."""
        hit = self._memo.get(name)
        if hit is None or hit[0] != key:
            hit = self._memo[name] = (key, build())
        return hit[1]

    def info(self) -> dict:
        t = self._run
        return {
            "name": f"run-{self.number}",
            "steps": t.step,
            "seconds": round(t.elapsed, 2),
            "device": t.device_name,
            "data": t.data_description,
            "status": t.status,
            "message": t.message,
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "trained_in": "GAN Classroom app",
        }

    def model_entry(self) -> ModelEntry:
        """The run's final generator as an Explore model (built once, after the run ended)."""
        if self._entry is None:
            t = self._run
            snaps = [(s.step, s.g_state) for s in t.snapshot_list() if s.g_state is not None]
            D = t.export_discriminator()
            self._entry = ModelEntry(self.key, self.label, "run", t.cfg, t.export_generator(), self.info(), snaps, D=D)
        return self._entry

    def checkpoint(self) -> bytes:
        """The run as a .safetensors file: G (EMA copy if on), D, and up to 8 timeline snapshots.

        Eight evenly spaced snapshots keep even the largest model's file (MLP) well under the
        server's 20 MB upload limit, so a downloaded run can always be uploaded again.
        """
        if self._bytes is None:
            entry = self.model_entry()
            snaps = entry.snapshots
            if len(snaps) > FILE_SNAPSHOTS:
                snaps = [snaps[round(i * (len(snaps) - 1) / (FILE_SNAPSHOTS - 1))] for i in range(FILE_SNAPSHOTS)]
            self._bytes = checkpoint_bytes(self.cfg, entry.G, entry.D, entry.info, snaps)
        return self._bytes

    def bundle(self) -> bytes:
        """The run's assignment bundle (.zip: history CSV, grids, GIF, generator, config.json), built once per step."""
        return self.memo("bundle", self.step, lambda: trainer_bundle(self._run, generator=self.checkpoint()))

    def file_name(self) -> str:
        return f"gan-classroom-run{self.number}-{self.cfg.preset or 'custom'}-{self.step}steps.safetensors"


def _why(error: str | None) -> str:
    """A storage error in a few words: "disk full" for ENOSPC, else the error as it came."""
    text = error or _("unknown error")
    if "No space left" in text or "Errno 28" in text or "EFBIG" in text or "File too large" in text:
        return _("disk full")
    return text


def attach_quality(trainer, data) -> tuple[QualityMonitor | None, str | None]:
    """Watch an MNIST run's sample quality (gan_core.QualityMonitor); else (None, a one-line note why not).

    Call before trainer.start(). The digit classifier only judges digits, so Fashion-MNIST runs get a
    note; so does a missing or unreadable classifier file: the run trains without the panel.
    """
    if trainer.cfg.dataset != "mnist":
        return None, NOT_MNIST  # shown as _(note)
    every = settings.TEST_QUALITY_EVERY if settings.test_mode() else settings.QUALITY_EVERY
    try:
        return watch_quality(trainer, data, every=every, n=settings.QUALITY_SAMPLES), None
    except Exception as exc:  # no classifier file, an unreadable one, ...: never block training over it
        log.warning("no quality panel for run %s: %s", trainer.id, exc)
        return None, _("The sample-quality panel is off for this run: {error}").format(error=exc)


class StartError(RuntimeError):
    """A run could not start (a bad config, a cap of the server, missing data, a full queue): the message
    says why in words a student can act on."""
