"""Who owns what: per-tab runs and models, shared read-only resources, and cleanup when a tab closes.

* `session_store()` - one `SessionStore` per browser tab, from `st.cache_resource(scope="session")`.
  Streamlit drops session-scoped entries when the tab's websocket disconnects and calls
  `release_store`, which stops the tab's training threads and drops its models, so a closed
  tab frees its memory and CPU. Two tabs never share a store: two students never see each
  other's runs.
* `server_scheduler()` - one gan_core.Scheduler for the whole server process: every run a tab starts
  goes through its queue (at most `settings.limits().max_concurrent` train at once, one per tab);
  a released tab leaves the queue. `server_journal()` records runs in flight on disk, so runs a
  server restart killed are reported to their tab as interrupted (`SessionStore.interrupted`), and
  `server_shelf()` keeps each tab's last finished runs on disk under the tab's URL token, so a
  reloaded tab or a restarted server gives them back (as "Saved:" models in Explore).
* A store belongs to the browser tab, not to one Streamlit session: it is registered under the tab's
  URL token (gan_ui/tabs.py), and every page showing that tab (a reload, the back button, a second
  window on the same address) attaches to the same store, runs included. Streamlit ends a session,
  and releases its session resources, on *any* websocket disconnect: a reload, a closed tab, a
  network blip. When the last page of a tab goes, `release_store` parks a store with an active or
  queued run for `settings.disconnect_grace()` seconds: a page of the tab that comes back within
  them gets the store and its run back, which then trains on for as long as a page is attached. A
  tab that does not come back has its runs stopped when the grace period ends (the training slot
  goes back to the class), saved on the shelf, and the tab is told what happened when it returns.
  A store without an active run is closed at once (its finished runs are on the shelf).
* `attach_quality()` - the live sample-quality monitor of an MNIST run (gan_core.QualityMonitor),
  or a one-line note saying why a run has none.
* `shared_dataset()` / `shipped_entry()` - plain (global) `st.cache_resource`: one copy per server
  process of the digits tensor and of each shipped generator (eval mode, never switched back to
  train mode, sampled under inference_mode), read by every session.

The classes are defined here, not in app.py, so reruns never redefine them.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import sys
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
import torch

from gan_core import (PRESETS, CheckpointError, ConfigError, DataFormatError, DataUnavailable, GANConfig, QualityMonitor,
                      RunJournal, RunShelf, Scheduler, SchedulerError, Trainer,
                      build_models, checkpoint_bytes, get_reference, list_pretrained, load_checkpoint,
                      load_checkpoint_bytes, load_dataset)
from gan_core.checkpoints import PRETRAINED_DIR
from gan_core.metrics import code_digits

from . import settings, tabs
from .settings import MAX_RUNS_PER_TAB

log = logging.getLogger("gan_ui")
if not log.handlers:                       # Streamlit configures only its own loggers; say what we do on stderr
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s gan_ui %(levelname)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

MAX_USER_MODELS = 8          # uploaded / opened models kept per tab
FILE_SNAPSHOTS = 8           # timeline snapshots saved in a downloaded run
ACTIVE = ("queued", "ready", "running", "paused")
USABLE = ("finished", "stopped", "diverged")     # a diverged run's G was rolled back to a healthy snapshot


# ---------------------------------------------------------------------------------------------
# Models that Explore can open
# ---------------------------------------------------------------------------------------------
@dataclass
class ModelEntry:
    key: str                      # "shipped:dcgan", "run:3", "upload:2", "saved:run3-dcgan-400steps"
    label: str                    # what the picker shows
    kind: str                     # "shipped" | "run" | "upload" | "saved"
    config: GANConfig
    G: torch.nn.Module            # CPU, eval mode, no gradients: read-only, safe to share
    info: dict = field(default_factory=dict)
    snapshots: list = field(default_factory=list)     # [(step, G state)] along training
    D: torch.nn.Module | None = None  # the discriminator when the file/run kept it: CPU, eval mode, no gradients
    _at_step: dict = field(default_factory=dict, repr=False, compare=False)   # step -> G, built on demand
    _code_digits: list | None = field(default=None, repr=False, compare=False)

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def snapshot_steps(self) -> list[int]:
        return [step for step, _ in self.snapshots]

    def generator_at(self, step: int) -> torch.nn.Module:
        """G with the weights saved at `step` (CPU, eval mode, no gradients), built once per entry and step.

        Step 0 needs no snapshot: the untrained G is rebuilt from the config's seed, exactly as the
        trainer initialised it. Always a new module, never the shared G switched to other weights:
        shipped entries are read by every session.
        """
        G = self._at_step.get(step)
        if G is None:
            state = dict(self.snapshots).get(step)
            if state is not None:
                G = copy.deepcopy(self.G)
                G.load_state_dict(state)
            elif step == 0:
                G = build_models(self.config)[0]
            else:
                raise KeyError(f"No snapshot at step {step}; this model has {self.snapshot_steps}.")
            G = self._at_step.setdefault(step, G.eval().requires_grad_(False))
        return G

    @property
    def conditional(self) -> bool:
        """G takes a class input: a digit label (conditional GAN) or a learned code (InfoGAN)."""
        return self.config.class_input

    @property
    def infogan(self) -> bool:
        """An InfoGAN: its class input is a code G learned to use without labels, not a digit."""
        return bool(self.config.info_codes)

    @property
    def num_classes(self) -> int:
        return self.config.class_count

    def code_digits(self) -> list[int | None] | None:
        """An MNIST InfoGAN's codes named by the digit each draws (the shipped classifier's majority verdict,
        gan_core.metrics.code_digits), computed once per model; None for other models or without the classifier."""
        if not self.infogan or self.config.dataset != "mnist":
            return None
        if self._code_digits is None:
            try:
                self._code_digits = code_digits(self.G, self.latent_dim, self.num_classes)
            except (CheckpointError, OSError, RuntimeError) as exc:
                log.warning("could not name the codes of %s: %s", self.key, exc)
                return None
        return self._code_digits

    def describe(self) -> str:
        cfg, info = self.config, self.info
        parts = [cfg.arch.upper() if cfg.arch == "dcgan" else "MLP", f"{cfg.loss} loss", f"{cfg.latent_dim}-d z"]
        if cfg.conditional:
            parts.append("conditional (pick the digit)")
        if cfg.info_codes:
            parts.append(f"InfoGAN ({cfg.info_codes} codes learned without labels)")
        if info.get("steps"):
            parts.append(f"{int(info['steps']):,} steps")
        if info.get("seconds"):
            parts.append(f"{float(info['seconds']):.0f} s of training")
        where = {"shipped": "ships with the app", "run": "trained in this tab", "upload": "uploaded",
                 "saved": "saved on this server from an earlier visit of this tab"}[self.kind]
        text = " · ".join(parts) + f" · {where}"
        about = info.get("description")
        if not about and self.kind == "shipped" and cfg.preset in PRESETS:
            about = PRESETS[cfg.preset].description
        return f"{about} ({text})" if about else text


def entry_from_checkpoint(key: str, label: str, kind: str, ckpt) -> ModelEntry:
    return ModelEntry(key, label, kind, ckpt.config, ckpt.G, dict(ckpt.info), list(ckpt.snapshots), D=ckpt.D)


def upload_entry(data: bytes, filename: str, number: int) -> ModelEntry:
    """A model from an uploaded .safetensors file; CheckpointError says why a file is refused."""
    if not filename.lower().endswith(".safetensors"):
        raise CheckpointError(f"{filename!r} is not a .safetensors file.")
    ckpt = load_checkpoint_bytes(data, source=filename)
    stem = Path(filename).stem
    return entry_from_checkpoint(f"upload:{number}", f"Uploaded: {stem}", "upload", ckpt)


# ---------------------------------------------------------------------------------------------
# One training run of this tab
# ---------------------------------------------------------------------------------------------
class RunHandle:
    """A Trainer plus what the UI derives from it once (its model entry, its checkpoint bytes)."""

    def __init__(self, trainer: Trainer, number: int):
        self.trainer = trainer
        self.number = number
        self.created = time.time()
        self.quality: QualityMonitor | None = None    # live sample quality (MNIST runs with the classifier)
        self.quality_note: str | None = None          # why there is none, in one line
        self.ticket = None                            # its gan_core.Ticket in the server's queue
        self.save_error: str | None = None            # "finished, not saved: disk full" when the shelf failed
        self._entry: ModelEntry | None = None
        self._bytes: bytes | None = None
        self._memo: dict[str, tuple] = {}

    @property
    def key(self) -> str:
        return f"run:{self.number}"

    @property
    def label(self) -> str:
        return f"Run {self.number} · {self.trainer.cfg.preset or 'custom'} · {self.trainer.step:,} steps"

    @property
    def status(self) -> str:
        """The trainer's status, except that a run still writing its last records and snapshot is "running".

        (Trainer sets its final status just before that last flush; the UI waits for the thread to end,
        and for the quality monitor's last measurement, so the page that announces the end also shows
        the final step and its quality.)
        """
        t = self.trainer
        if self.ticket is not None and self.ticket.queued:
            return "queued"
        if t.status not in ACTIVE and not t.join(0):
            return "running"
        if t.status not in ACTIVE and self.quality is not None and not self.quality.done:
            return "running"           # the final quality measurement lands a fraction of a second later
        return t.status

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def usable(self) -> bool:
        return self.status in USABLE and self.trainer.step > 0      # a run stopped in the queue has no model

    @property
    def queue_position(self) -> int:
        """1 = next to start, 2 = second in line, ...; 0 when not waiting."""
        return self.ticket.position if self.ticket is not None and self.ticket.queued else 0

    def wait_estimate(self) -> float:
        """Seconds until this queued run should start (0 when it is not waiting)."""
        return server_scheduler().wait_estimate(self.ticket) if self.queue_position else 0.0

    def memo(self, name: str, key, build):
        """build() once per distinct key (e.g. the number of records): the live panel polls every second,
        but rebuilding three figures when no new record arrived would only steal CPU from training."""
        hit = self._memo.get(name)
        if hit is None or hit[0] != key:
            hit = self._memo[name] = (key, build())
        return hit[1]

    def info(self) -> dict:
        t = self.trainer
        return {"name": f"run-{self.number}", "steps": t.step, "seconds": round(t.elapsed, 2), "device": t.device_name,
                "data": t.data_description, "status": t.status, "message": t.message,
                "created": time.strftime("%Y-%m-%d %H:%M:%S"), "trained_in": "GAN Classroom app"}

    def model_entry(self) -> ModelEntry:
        """The run's final generator as an Explore model (built once, after the run ended)."""
        if self._entry is None:
            t = self.trainer
            snaps = [(s.step, s.g_state) for s in t.snapshot_list() if s.g_state is not None]
            D = copy.deepcopy(t.D).to("cpu").eval().requires_grad_(False)
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
            self._bytes = checkpoint_bytes(self.trainer.cfg, entry.G, self.trainer.D, entry.info, snaps)
        return self._bytes

    def file_name(self) -> str:
        t = self.trainer
        return f"gan-classroom-run{self.number}-{t.cfg.preset or 'custom'}-{t.step}steps.safetensors"


def _why(error: str | None) -> str:
    """A storage error in a few words: "disk full" for ENOSPC, else the error as it came."""
    text = error or "unknown error"
    if "No space left" in text or "Errno 28" in text or "EFBIG" in text or "File too large" in text:
        return "disk full"
    return text


def attach_quality(trainer: Trainer, data) -> tuple[QualityMonitor | None, str | None]:
    """Watch an MNIST run's sample quality (gan_core.QualityMonitor); else (None, a one-line note why not).

    Call before trainer.start(). The digit classifier only judges digits, so Fashion-MNIST runs get a
    note; so does a missing or unreadable classifier file: the run trains without the panel.
    """
    if trainer.cfg.dataset != "mnist":
        return None, ("Sample quality is judged by a digit classifier, so it is measured for MNIST runs only, "
                      "not for Fashion-MNIST.")
    every = settings.TEST_QUALITY_EVERY if settings.test_mode() else settings.QUALITY_EVERY
    try:
        reference = get_reference(data)        # the real digits' statistics: computed once per process
        return QualityMonitor(reference, every=every, n=settings.QUALITY_SAMPLES).attach(trainer), None
    except Exception as exc:  # no classifier file, an unreadable one, ...: never block training over it
        log.warning("no quality panel for run %s: %s", trainer.id, exc)
        return None, f"The sample-quality panel is off for this run: {exc}"


# ---------------------------------------------------------------------------------------------
# Everything one browser tab owns
# ---------------------------------------------------------------------------------------------
_LIVE_STORES: "weakref.WeakSet[SessionStore]" = weakref.WeakSet()
_store_ids = itertools.count(1)


class StartError(RuntimeError):
    """A run could not start (a bad config, a cap of the server, missing data, a full queue): the message
    says why in words a student can act on."""


class SessionStore:
    """The runs and user models of one browser tab. Thread-safe; released when the tab closes."""

    def __init__(self, token: str = "", owner: str = ""):
        self.id = next(_store_ids)
        self.token = token or uuid.uuid4().hex    # this store's name in the server's queue
        self.owner = owner                # the tab's URL token (survives reloads and a server restart)
        self.interrupted: list[dict] = []  # runs of this tab a server restart killed (from the journal)
        self.notes: list[str] = []        # what happened to this tab's runs while no page showed it
        self.viewing: int | None = None   # the run the student last acted on: the one the Train page shows
        self.pages = 0                    # Streamlit sessions (pages) showing this tab now
        self.away_notes: list[str] = []   # runs stopped while the tab was away: told to a new store of the tab
        self.runs: list[RunHandle] = []
        self.models: dict[str, ModelEntry] = {}
        self.closed = False
        self._numbers = itertools.count(1)
        self._uploads = itertools.count(1)
        self._lock = threading.Lock()
        _LIVE_STORES.add(self)

    # runs ------------------------------------------------------------------------------------
    def start(self, cfg: GANConfig) -> RunHandle:
        """The one way a run of this tab starts, whoever asks (Train's Start, a lesson's Run): the config is
        validated and held to the server's caps per run, its Trainer built on the shared dataset, the live
        quality monitor attached, and the run queued in the server's scheduler (it may start at once).
        Returns its handle; raises StartError with the reason."""
        try:
            cfg = settings.limits().check(cfg.validate())
            data = shared_dataset(cfg.dataset)
            trainer = Trainer(cfg, data, device=settings.train_device())
            handle = self.add_run(trainer)
            handle.quality, handle.quality_note = attach_quality(trainer, data)
            return self.submit(handle)
        except (ConfigError, DataUnavailable, DataFormatError, SchedulerError, ValueError, RuntimeError) as exc:
            raise StartError(str(exc)) from exc

    def add_run(self, trainer: Trainer) -> RunHandle:
        with self._lock:
            if self.closed:
                raise RuntimeError("This tab's session has ended.")
            handle = RunHandle(trainer, next(self._numbers))
            self.runs.append(handle)
            finished = [h for h in self.runs if not h.active]
            while len(self.runs) > MAX_RUNS_PER_TAB and finished:      # bound memory: forget the oldest ended run
                self.runs.remove(finished.pop(0))
            return handle

    def submit(self, handle: RunHandle) -> RunHandle:
        """Queue the handle's (not yet started) trainer in the server's scheduler; it may start at once.

        Raises SchedulerError (another run of this tab is active, the queue is full): the handle is dropped.
        """
        journal, key = server_journal(), f"{self.token}:{handle.number}"
        t = handle.trainer
        journal.begin(key, self.owner or self.token, f"{t.cfg.preset or 'custom'} run {handle.number}")
        t.add_callback("on_record", lambda tr, _recs: journal.progress(key, tr.step))
        t.add_callback("on_snapshot", lambda tr, _snap: journal.progress(key, tr.step))
        t.add_callback("on_end", lambda tr: journal.end(key, self.shelve(handle)))    # shelved first, then ended
        try:
            handle.ticket = server_scheduler().submit(self.token, t)
        except Exception:
            journal.end(key)
            with self._lock:
                if handle in self.runs:
                    self.runs.remove(handle)
            raise
        if handle.ticket.state == "cancelled":
            journal.end(key)
        return handle

    def shelve(self, handle: RunHandle) -> str | None:
        """Save an ended run (with at least one step) on the server's shelf under this tab's URL token.
        Called from the training thread as the run ends (so it reads the trainer's status, not the
        handle's, which waits for that thread); never raises: a run must not fail over its copy.

        Returns None, or when a usable run could not be saved (a full disk, read-only storage) a note such
        as "finished, not saved: disk full", also kept in `handle.save_error` for the page to show: the
        run stays in this tab's memory (Explore, downloads) but will not survive a reload or a restart.
        """
        try:
            t = handle.trainer
            if not self.owner or t.status not in USABLE or t.step < 1:
                return None
            shelf = server_shelf()
            if shelf.save(self.owner, f"run{handle.number}-{t.cfg.preset or 'custom'}-{t.step}steps",
                          handle.checkpoint()) is None:
                handle.save_error = f"{t.status}, not saved: {_why(shelf.error)}"
        except Exception as exc:                  # noqa: BLE001 - logged; the run itself is fine
            log.warning("could not shelve run %d: %s", handle.number, exc)
            handle.save_error = f"{handle.trainer.status}, not saved: {type(exc).__name__}: {exc}"
        return handle.save_error

    def restore_saved(self) -> int:
        """Open this tab's shelved runs (from before a reload or a server restart) as Explore models."""
        restored = 0
        for name, data in reversed(server_shelf().load(self.owner)[:MAX_USER_MODELS]):   # oldest first
            try:
                ckpt = load_checkpoint_bytes(data, source=name)
            except CheckpointError as exc:        # a damaged file: skip it, say so in the log
                log.warning("skipping the saved run %s: %s", name, exc)
                continue
            self.add_model(entry_from_checkpoint(f"saved:{name}", f"Saved: {name}", "saved", ckpt))
            restored += 1
        return restored

    def stop_run(self, handle: RunHandle) -> None:
        """Stop a training run, or take a queued one out of the queue."""
        if handle.ticket is not None:
            server_scheduler().cancel(handle.ticket, self.token, "stopped by the student")
        else:
            handle.trainer.stop()

    def active_run(self) -> RunHandle | None:
        return next((h for h in reversed(self.runs) if h.active), None)

    def latest_run(self) -> RunHandle | None:
        return self.runs[-1] if self.runs else None

    def run(self, number: int) -> RunHandle | None:
        return next((h for h in self.runs if h.number == number), None)

    # models ----------------------------------------------------------------------------------
    def add_model(self, entry: ModelEntry) -> ModelEntry:
        with self._lock:
            self.models.pop(entry.key, None)
            self.models[entry.key] = entry
            while len(self.models) > MAX_USER_MODELS:
                self.models.pop(next(iter(self.models)))
            return entry

    def next_upload_number(self) -> int:
        return next(self._uploads)

    def user_models(self) -> list[ModelEntry]:
        """Ended runs of this tab (newest first) and uploaded/opened models."""
        entries = {h.key: h.model_entry() for h in reversed(self.runs) if h.usable}
        for key, entry in reversed(list(self.models.items())):
            entries.setdefault(key, entry)
        return list(entries.values())

    # lifetime --------------------------------------------------------------------------------
    def stop_runs(self, reason: str = "") -> int:
        """Stop every active run (a queued one leaves the queue); `reason` becomes the message of the runs it
        stops. Never blocks: threads end at their next step. Returns how many were active."""
        with self._lock:
            active = [h for h in self.runs if h.active]
        for h in active:
            if reason:                    # before the queue stops it with its own words
                h.trainer.stop(reason)
        server_scheduler().cancel_session(self.token, "the tab closed")
        for h in active:
            h.trainer.stop()
        return len(active)

    def close(self, reason: str = "") -> int:
        """Stop every run and drop every model. Never blocks: threads end at their next step."""
        stopped = self.stop_runs(reason)
        with self._lock:
            self.runs.clear()
            self.models.clear()
            self.closed = True
        return stopped


_TABS: dict[str, SessionStore] = {}        # tab token -> its store (pages attached, or parked/kept for them)
_TIMERS: dict[str, threading.Timer] = {}    # tab token -> the grace timer of its parked store (a run trains)
_KEPT: dict[str, float] = {}                # tab token -> when its kept store (no page, no active run) closes
_AWAY: dict[str, list[str]] = {}            # tab token -> notes for its next page (runs stopped while away)
_tabs_lock = threading.Lock()
MAX_AWAY_NOTES = 10_000


def _key(store: SessionStore) -> str:
    return store.owner or store.token


def attach(owner: str) -> SessionStore:
    """A page of the tab `owner` opened: the tab's store (a parked store's grace timer cancelled, a kept
    store no longer due to close), or a new store, which reads the journal (runs a server restart
    interrupted) and the shelf (saved runs)."""
    journal = server_journal()
    expired = _sweep()
    with _tabs_lock:
        store = _TABS.get(owner)
        if store is not None and store.closed:
            store = None
        new = store is None
        if new:
            store = _TABS[owner] = SessionStore(owner=owner)
        store.pages += 1
        timer = _TIMERS.pop(owner, None)
        back = _KEPT.pop(owner, None) is not None or timer is not None
        notes = _AWAY.pop(owner, [])
    if timer is not None:
        timer.cancel()
    if back:
        log.info("session store %d reconnected: a page of its tab is back", store.id)
    store.notes += notes
    if new and tabs.valid(owner):
        store.interrupted = journal.claim(owner)
        store.restore_saved()
    _close_all(expired)
    return store


def revive_or_new(token: str) -> SessionStore:
    """The store registered under this tab token (attached once more), else a new one."""
    return attach(token)


def _park(store: SessionStore, seconds: float) -> None:
    """Under _tabs_lock: keep a store whose tab has no page and an active run registered for `seconds`;
    then `_grace_over` stops its runs (a Timer: the run must not hold its slot longer)."""
    key = _key(store)
    _TABS[key] = store
    _KEPT.pop(key, None)
    old = _TIMERS.pop(key, None)
    if old is not None:
        old.cancel()
    timer = _TIMERS[key] = threading.Timer(seconds, _grace_over, args=(store,))
    timer.daemon = True
    timer.start()


def _keep(store: SessionStore, seconds: float) -> None:
    """Under _tabs_lock: keep a store whose tab has no page (and no active run) registered for `seconds`;
    `_sweep`, run whenever a page opens or closes, closes it after that (no thread waits for it)."""
    key = _key(store)
    _TABS[key] = store
    _KEPT[key] = time.monotonic() + seconds


def _unregister(store: SessionStore) -> None:
    """Under _tabs_lock: the tab's next page gets a new store (and the notes of runs stopped while away)."""
    key = _key(store)
    if _TABS.get(key) is store:
        del _TABS[key]
    _KEPT.pop(key, None)
    if store.owner and store.away_notes:
        _AWAY[store.owner] = _AWAY.get(store.owner, []) + store.away_notes
        while len(_AWAY) > MAX_AWAY_NOTES:
            _AWAY.pop(next(iter(_AWAY)))


def _sweep() -> list[SessionStore]:
    """Unregister the kept stores whose time is up; returns them, for the caller to close outside the lock."""
    now = time.monotonic()
    with _tabs_lock:
        due = [k for k, t in _KEPT.items() if t <= now]
        expired = [_TABS[k] for k in due if k in _TABS]
        for store in expired:
            _unregister(store)
        for k in due:
            _KEPT.pop(k, None)
    return expired


def _close_all(stores: list[SessionStore]) -> None:
    for store in stores:
        stopped = store.close()
        log.info("session store %d released: no page of its tab for %.0f s (stopped %d run(s))", store.id,
                 settings.tab_keep(), stopped)


def release_store(store: SessionStore) -> None:
    """on_release of the session cache: a page of the tab disconnected (closed, reloaded, or a blip).

    When it was the tab's last page: a store with an active run is parked for
    `settings.disconnect_grace()` seconds, so a page of the tab that comes back finds its run still
    training; otherwise (and when the grace period ends: `_grace_over`) its runs are stopped and the
    store is kept `settings.tab_keep()` seconds for the tab to come back to its results, then closed.
    """
    grace, keep = settings.disconnect_grace(), settings.tab_keep()
    expired = _sweep()
    with _tabs_lock:
        store.pages = max(0, store.pages - 1)
        done = bool(store.pages or store.closed)
        parked = not done and grace > 0 and store.active_run() is not None
        if parked:
            _park(store, grace)
        elif not done and keep > 0:
            _keep(store, keep)
        elif not done:
            _unregister(store)
    _close_all(expired)
    if done:
        return
    if parked:
        log.info("session store %d disconnected: its run is kept %.0f s for a reconnect", store.id, grace)
    elif keep > 0:
        stopped = store.stop_runs("Stopped: its browser tab closed.")
        log.info("session store %d: its last page closed; stopped %d run(s); kept %.0f s for the tab to come back",
                 store.id, stopped, keep)
    else:
        stopped = store.close()
        log.info("session store %d released: stopped %d run(s)", store.id, stopped)


def _grace_over(store: SessionStore) -> None:
    grace, keep = settings.disconnect_grace(), settings.tab_keep()
    key = _key(store)
    with _tabs_lock:
        if _TIMERS.get(key) is not threading.current_thread() or store.pages:
            return                                   # a page came back (or a newer timer took over)
        del _TIMERS[key]
        store.away_notes = [
            f"Your run {h.number} ({h.trainer.cfg.preset or 'custom'}) was stopped at step {h.trainer.step:,}: this "
            f"tab was away (closed, or offline) for more than {grace:g} s, so its training slot went back to the "
            f"class. " + (f"It is saved: open it in Explore (“Saved: run{h.number}-…”)." if h.trainer.step else
                          "It had not trained yet.")
            for h in store.runs if h.active]
        if keep > 0:
            _keep(store, keep)
        else:
            _unregister(store)
    reason = (f"Stopped: this tab was away (closed, or offline) for more than {grace:g} s, so its training slot "
              f"went back to the class.")
    if keep > 0:
        stopped = store.stop_runs(reason)
        log.info("session store %d: stopped %d run(s) (its tab did not reconnect); kept %.0f s for the tab to "
                 "come back", store.id, stopped, keep)
        return
    stopped = store.close(reason)
    log.info("session store %d released: stopped %d run(s) (its tab did not reconnect)", store.id, stopped)


def parked_stores() -> list[SessionStore]:
    """Stores whose tab has no page now: parked for the grace period, or kept for the tab to come back."""
    with _tabs_lock:
        return [s for k, s in _TABS.items() if k in _TIMERS or k in _KEPT]


def forget_tabs() -> None:
    """Forget every tab (a new server's registry; their pages keep their stores until they close)."""
    with _tabs_lock:
        for timer in _TIMERS.values():
            timer.cancel()
        _TABS.clear()
        _TIMERS.clear()
        _KEPT.clear()
        _AWAY.clear()


def live_stores() -> list[SessionStore]:
    """Stores not yet garbage-collected (tests use this to stop leftover runs)."""
    return list(_LIVE_STORES)


@st.cache_resource(scope="session", on_release=release_store, show_spinner=False)
def _store_for(session: str, owner: str) -> SessionStore:
    return attach(owner)


def session_store() -> SessionStore:
    """This tab's store: every page of the tab (its URL token, gan_ui/tabs.py) shares it; released when
    the tab's last page closes (see release_store).

    The cache is session-scoped, so each page attaches once and is released once; the session's own
    token (kept in session_state) keeps two sessions apart even where a test harness reuses one
    session id for all.
    """
    session = st.session_state.get("_store_token")
    if session is None:
        session = st.session_state["_store_token"] = uuid.uuid4().hex
    return _store_for(session, tabs.token())


# ---------------------------------------------------------------------------------------------
# Server-wide: the training queue and the run journal (one each per process)
# ---------------------------------------------------------------------------------------------
_server_lock = threading.Lock()
_scheduler: Scheduler | None = None
_journal: RunJournal | None = None
_journals_opened = 0
_shelf: RunShelf | None = None


def server_scheduler() -> Scheduler:
    """The process's training queue, with the limits of `settings.limits()` at first use."""
    global _scheduler
    with _server_lock:
        if _scheduler is None:
            _scheduler = Scheduler(settings.limits())
            log.info("training queue: at most %d run(s) at once", _scheduler.limits.max_concurrent)
        return _scheduler


def reset_scheduler(limits=None) -> Scheduler:
    """A fresh queue (tests and benchmarks; the old one's runs are left to finish)."""
    global _scheduler
    with _server_lock:
        _scheduler = Scheduler(limits or settings.limits())
        return _scheduler


def server_journal() -> RunJournal:
    """The process's run journal in settings.runs_dir() (a private temporary folder in test mode, unless set).

    A journal opened afresh after another (tests simulate a server restart this way) comes with a
    fresh registry of tabs, as a new server process would have."""
    global _journal, _journals_opened
    with _server_lock:
        journal, replaced = _journal, False
        if journal is None:
            directory = settings.runs_dir()
            if settings.test_mode() and not os.environ.get(settings.RUNS_DIR_ENV):
                directory = Path(tempfile.mkdtemp(prefix="gan-classroom-runs-"))
            journal = _journal = RunJournal(directory / "journal.json")
            replaced = _journals_opened > 0
            _journals_opened += 1
    if replaced:
        forget_tabs()
    return journal


def server_shelf() -> RunShelf:
    """The process's shelf of finished runs: a "saved" folder beside the run journal."""
    global _shelf
    root = server_journal().path.parent / "saved"
    with _server_lock:
        if _shelf is None or _shelf.root != root:      # tests open a new journal to simulate a restart
            _shelf = RunShelf(root)
        return _shelf


# ---------------------------------------------------------------------------------------------
# Shared, read-only
# ---------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading the digits…")
def shared_dataset(name: str = "mnist"):
    """The dataset tensor (uint8, CPU), one copy for all sessions; trainers only read it."""
    return load_dataset(name)


@st.cache_resource(show_spinner="Loading the generator…", max_entries=16)
def _shipped(name: str, mtime: float) -> ModelEntry:
    ckpt = load_checkpoint(name)
    label = ckpt.info.get("title") or f"{name} · shipped with the app"
    return entry_from_checkpoint(f"shipped:{name}", label, "shipped", ckpt)


def shipped_names() -> list[str]:
    return list_pretrained()


def shipped_entry(name: str) -> ModelEntry:
    """A shipped generator; a newer file on disk (same name) is loaded afresh."""
    path = PRETRAINED_DIR / f"{name}.safetensors"
    return _shipped(name, path.stat().st_mtime if path.exists() else 0.0)


def catalogue(store: SessionStore) -> dict[str, ModelEntry]:
    """Every model Explore can open: shipped ones first, then this tab's runs and uploads."""
    out: dict[str, ModelEntry] = {}
    for name in shipped_names():
        try:
            entry = shipped_entry(name)
        except CheckpointError as exc:         # a broken file in pretrained/ must not break the page
            log.warning("skipping shipped model %s: %s", name, exc)
            continue
        out[entry.key] = entry
    for entry in store.user_models():
        out[entry.key] = entry
    return out
