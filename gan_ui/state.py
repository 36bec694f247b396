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
* Disconnects: Streamlit releases session resources on *any* websocket disconnect, a network blip
  included. `release_store` therefore parks a store with an active run for
  `settings.disconnect_grace()` seconds: a tab that reconnects (same session, same token) gets its
  store and its run back; one that does not is closed when the grace period ends.
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

from gan_core import (PRESETS, CheckpointError, GANConfig, QualityMonitor, RunJournal, RunShelf, Scheduler, Trainer,
                      build_models, checkpoint_bytes, get_reference, list_pretrained, load_checkpoint,
                      load_checkpoint_bytes, load_dataset)
from gan_core.checkpoints import PRETRAINED_DIR
from gan_core.metrics import code_digits

from . import settings
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


class SessionStore:
    """The runs and user models of one browser tab. Thread-safe; released when the tab closes."""

    def __init__(self, token: str = ""):
        self.id = next(_store_ids)
        self.token = token or uuid.uuid4().hex    # the session_state token that names this tab's store
        self.owner = ""                   # the tab's URL token (survives a server restart): journal entries
        self.interrupted: list[dict] = []  # runs of this tab a server restart killed (from the journal)
        self.runs: list[RunHandle] = []
        self.models: dict[str, ModelEntry] = {}
        self.closed = False
        self._numbers = itertools.count(1)
        self._uploads = itertools.count(1)
        self._lock = threading.Lock()
        _LIVE_STORES.add(self)

    # runs ------------------------------------------------------------------------------------
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
        t.add_callback("on_end", lambda tr: journal.end(key))
        t.add_callback("on_end", lambda tr: self.shelve(handle))
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

    def shelve(self, handle: RunHandle) -> None:
        """Save an ended run (with at least one step) on the server's shelf under this tab's URL token.
        Called from the training thread as the run ends (so it reads the trainer's status, not the
        handle's, which waits for that thread); never raises: a run must not fail over its copy."""
        try:
            t = handle.trainer
            if not self.owner or t.status not in USABLE or t.step < 1:
                return
            server_shelf().save(self.owner, f"run{handle.number}-{t.cfg.preset or 'custom'}-{t.step}steps",
                                handle.checkpoint())
        except Exception as exc:                  # noqa: BLE001 - logged; the run itself is fine
            log.warning("could not shelve run %d: %s", handle.number, exc)

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
    def close(self) -> int:
        """Stop every run and drop every model. Never blocks: threads end at their next step."""
        server_scheduler().cancel_session(self.token, "the tab closed")
        with self._lock:
            stopped = 0
            for h in self.runs:
                if h.active:
                    h.trainer.stop()
                    stopped += 1
            self.runs.clear()
            self.models.clear()
            self.closed = True
        return stopped


_PARKED: dict[str, tuple[SessionStore, threading.Timer]] = {}     # token -> store waiting for its tab
_parked_lock = threading.Lock()


def release_store(store: SessionStore) -> None:
    """on_release of the session cache: the tab's websocket disconnected (closed, reloaded, or a blip).

    A store with an active run is parked for `settings.disconnect_grace()` seconds so a reconnecting
    tab finds its run; without one, or when the grace period ends, it is closed at once.
    """
    grace = settings.disconnect_grace()
    if grace > 0 and store.active_run() is not None and not store.closed:
        timer = threading.Timer(grace, _close_parked, args=(store.token,))
        timer.daemon = True
        with _parked_lock:
            old = _PARKED.pop(store.token, None)
            _PARKED[store.token] = (store, timer)
        if old is not None:
            old[1].cancel()
        timer.start()
        log.info("session store %d disconnected: its run is kept %.0f s for a reconnect", store.id, grace)
        return
    stopped = store.close()
    log.info("session store %d released: stopped %d run(s)", store.id, stopped)


def _close_parked(token: str) -> None:
    with _parked_lock:
        parked = _PARKED.pop(token, None)
    if parked is not None:
        stopped = parked[0].close()
        log.info("session store %d released: stopped %d run(s) (its tab did not reconnect)", parked[0].id, stopped)


def revive_or_new(token: str) -> SessionStore:
    """The parked store of this token (its tab reconnected within the grace period), else a new one."""
    with _parked_lock:
        parked = _PARKED.pop(token, None)
    if parked is not None:
        parked[1].cancel()
        if not parked[0].closed:
            log.info("session store %d reconnected: its run goes on", parked[0].id)
            return parked[0]
    return SessionStore(token)


def parked_stores() -> list[SessionStore]:
    with _parked_lock:
        return [s for s, _ in _PARKED.values()]


def live_stores() -> list[SessionStore]:
    """Stores not yet garbage-collected (tests use this to stop leftover runs)."""
    return list(_LIVE_STORES)


@st.cache_resource(scope="session", on_release=release_store, show_spinner=False)
def _store_for(token: str) -> SessionStore:
    return revive_or_new(token)


def session_store() -> SessionStore:
    """This tab's store: created on first use, released when the tab closes.

    The cache is session-scoped; the token (kept in session_state) adds one more guarantee that
    two sessions never share a store, even where a test harness reuses one session id for all.
    """
    token = st.session_state.get("_store_token")
    if token is None:
        token = st.session_state["_store_token"] = uuid.uuid4().hex
    store = _store_for(token)
    if not store.owner:
        store.owner = _owner_token()
        store.interrupted = server_journal().claim(store.owner)
        store.restore_saved()
    return store


OWNER_PARAM = "tab"


def _owner_token() -> str:
    """A random token kept in the tab's URL (?tab=...), which a reconnecting browser sends again after a
    server restart: it names this tab's journal entries. Never a path, never shown to other tabs."""
    token = st.query_params.get(OWNER_PARAM, "")
    if not (len(token) == 32 and all(c in "0123456789abcdef" for c in token)):
        token = uuid.uuid4().hex
        try:
            st.query_params[OWNER_PARAM] = token
        except Exception:  # no browser page (bare script runs): the token just lives in this process
            pass
    return token


# ---------------------------------------------------------------------------------------------
# Server-wide: the training queue and the run journal (one each per process)
# ---------------------------------------------------------------------------------------------
_server_lock = threading.Lock()
_scheduler: Scheduler | None = None
_journal: RunJournal | None = None
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
    """The process's run journal in settings.runs_dir() (a private temporary folder in test mode, unless set)."""
    global _journal
    with _server_lock:
        if _journal is None:
            directory = settings.runs_dir()
            if settings.test_mode() and not os.environ.get(settings.RUNS_DIR_ENV):
                directory = Path(tempfile.mkdtemp(prefix="gan-classroom-runs-"))
            _journal = RunJournal(directory / "journal.json")
        return _journal


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
