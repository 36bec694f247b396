"""Everything one browser tab owns: `SessionStore` (its runs, its models), and the one way a run starts.

`SessionStore.start(cfg)` validates a config against the server's caps, builds its run on the shared
dataset, attaches the live quality monitor and queues it in the server's scheduler; it returns the run's
`RunHandle` or raises `StartError` with a reason a student can act on.

On the Ray backend a run's worker outlives the web process: each run gets a token (the tab's token, the
start time, a few random digits), its worker is a named Ray actor, and its newest snapshot is kept beside
the run journal. `SessionStore.refind()` gives a tab that comes back to another web process (a restarted
server, another replica) its runs again: still training, or "interrupted at step N" with that snapshot's G.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
import weakref

from gan_core import (
    CheckpointError,
    ConfigError,
    DataFormatError,
    DataUnavailable,
    GANConfig,
    SchedulerError,
    find_runs,
    load_checkpoint_bytes,
    make_run,
)
from gan_core.i18n import _, language
from gan_core.ray_names import forget_snapshot

from . import settings
from .catalogue import ModelEntry, entry_from_checkpoint
from .run_handle import STATUS_WORDS, USABLE, RunHandle, StartError, _why, attach_quality
from .server import server_journal, server_scheduler, server_shelf, shared_dataset, training_backend
from .settings import MAX_RUNS_PER_TAB

log = logging.getLogger("gan_ui")

MAX_USER_MODELS = 8  # uploaded / opened models kept per tab

_LIVE_STORES: "weakref.WeakSet[SessionStore]" = weakref.WeakSet()
_store_ids = itertools.count(1)


class SessionStore:
    """The runs and user models of one browser tab. Thread-safe; released when the tab closes."""

    def __init__(self, token: str = "", owner: str = ""):
        self.id = next(_store_ids)
        self.token = token or uuid.uuid4().hex  # this store's name in the server's queue
        self.owner = owner  # the tab's URL token (survives reloads and a server restart)
        self.interrupted: list[dict] = []  # runs of this tab a server restart killed (from the journal)
        self.notes: list[str] = []  # what happened to this tab's runs while no page showed it
        self.viewing: int | None = None  # the run the student last acted on: the one the Train page shows
        self.pages = 0  # Streamlit sessions (pages) showing this tab now
        self.away_notes: list[str] = []  # runs stopped while the tab was away: told to a new store of the tab
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
        validated and held to the server's caps per run, its run built on the backend the server trains on
        (gan_core.runs), the live quality monitor attached, and the run queued in the server's scheduler
        (it may start at once).
        Returns its handle; raises StartError with the reason."""
        try:
            cfg = settings.limits().check(cfg.validate())
            data = shared_dataset(cfg.dataset)
            backend = training_backend()[0]
            token, save_dir = (self._run_token(), self._save_dir()) if backend == "ray" else (None, None)
            run = make_run(cfg, data, device=settings.train_device(), backend=backend, token=token, save_dir=save_dir)
            handle = self.add_run(run)
            handle.quality, handle.quality_note = attach_quality(run, data)
            return self.submit(handle)
        except (ConfigError, DataUnavailable, DataFormatError, SchedulerError, ValueError, RuntimeError) as exc:
            raise StartError(str(exc)) from exc

    def add_run(self, run) -> RunHandle:
        with self._lock:
            if self.closed:
                raise RuntimeError("This tab's session has ended.")
            handle = RunHandle(run, next(self._numbers))
            self.runs.append(handle)
            finished = [h for h in self.runs if not h.active]
            while len(self.runs) > MAX_RUNS_PER_TAB and finished:  # bound memory: forget the oldest ended run
                self.runs.remove(finished.pop(0))
            return handle

    def _run_token(self) -> str:
        """A new run's name on Ray: the tab's token (so `refind` finds it by its tab), then the time in ms
        (found runs come back in the order they started) and random digits (unique across replicas)."""
        return f"{self.owner or self.token}-{time.time_ns() // 1_000_000:012x}{uuid.uuid4().hex[:6]}"

    @staticmethod
    def _save_dir() -> str:
        """Where a Ray worker keeps its newest snapshot: the run journal's folder (settings.runs_dir(),
        shared by the replicas and the workers of a deployment)."""
        return str(server_journal().path.parent)

    def _track(self, handle: RunHandle) -> str:
        """Journal the handle's run while it trains and shelve it when it ends; returns its journal key (the
        run's Ray token when it has one, so a new web process tells the runs it found from the lost ones)."""
        t = handle._run
        journal, key = server_journal(), getattr(t, "token", None) or f"{self.token}:{handle.number}"
        journal.begin(key, self.owner or self.token, f"{t.cfg.preset or 'custom'} run {handle.number}")
        t.add_callback("on_record", lambda tr, _recs: journal.progress(key, tr.step))
        t.add_callback("on_snapshot", lambda tr, _snap: journal.progress(key, tr.step))
        t.add_callback("on_end", lambda tr: journal.end(key, self.shelve(handle)))  # shelved first, then ended
        return key

    def submit(self, handle: RunHandle) -> RunHandle:
        """Queue the handle's (not yet started) trainer in the server's scheduler; it may start at once.

        Raises SchedulerError (another run of this tab is active, the queue is full): the handle is dropped.
        """
        journal, key = server_journal(), self._track(handle)
        try:
            handle.ticket = server_scheduler().submit(self.token, handle._run)
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
            t = handle._run
            if not self.owner or t.status not in USABLE or t.step < 1:
                return None
            shelf = server_shelf()
            if (
                shelf.save(
                    self.owner, f"run{handle.number}-{t.cfg.preset or 'custom'}-{t.step}steps", handle.checkpoint()
                )
                is None
            ):
                with language(handle.lang):  # the training thread's, or the run's language
                    handle.save_error = _("{status}, not saved: {why}").format(
                        status=_(STATUS_WORDS.get(t.status, t.status)), why=_why(shelf.error)
                    )
            elif t.status == "interrupted" and getattr(t, "token", None):  # the shelf has its weights now
                forget_snapshot(t.save_dir, t.token)
        except Exception as exc:  # noqa: BLE001 - logged; the run itself is fine
            log.warning("could not shelve run %d: %s", handle.number, exc)
            with language(handle.lang):
                handle.save_error = _("{status}, not saved: {why}").format(
                    status=_(STATUS_WORDS.get(handle._run.status, handle._run.status)),
                    why=f"{type(exc).__name__}: {exc}",
                )
        return handle.save_error

    def restore_saved(self) -> int:
        """Open this tab's shelved runs (from before a reload or a server restart) as Explore models."""
        restored = 0
        for name, data in reversed(server_shelf().load(self.owner)[:MAX_USER_MODELS]):  # oldest first
            try:
                ckpt = load_checkpoint_bytes(data, source=name)
            except CheckpointError as exc:  # a damaged file: skip it, say so in the log
                log.warning("skipping the saved run %s: %s", name, exc)
                continue
            self.add_model(entry_from_checkpoint(f"saved:{name}", _("Saved: {name}").format(name=name), "saved", ckpt))
            restored += 1
        return restored

    def refind(self) -> set[str]:
        """This tab's runs that outlived the web process that started them (the Ray backend: a restarted
        server, or another replica taking over the tab). A run still training comes back as an active run:
        mirrored, journaled and shelved at its end as any other, holding a slot of this server's queue
        (`Scheduler.adopt`: it already has its worker). A run whose worker died comes back "interrupted at
        step N" with its last snapshot's G (usable in Explore, downloadable) and is shelved at once.
        Called once, by a new store of a tab. Returns the found runs' tokens (their journal keys).
        Never raises: a Ray fault only costs the runs."""
        if not self.owner or training_backend()[0] != "ray":
            return set()
        try:
            found = find_runs(self.owner, self._save_dir(), backend="ray")
        except Exception as exc:  # noqa: BLE001 - the page must open even when Ray misbehaves
            log.warning("could not look for the runs of tab %s on Ray: %s", self.owner[:8], exc)
            return set()
        for run in found:
            handle = self.add_run(run)
            handle.quality = getattr(run, "quality", None)
            if run.done:
                self.shelve(handle)
            else:
                self._track(handle)
                try:
                    handle.ticket = server_scheduler().adopt(self.token, run)
                except SchedulerError as exc:  # a second run still training for the tab: it trains on
                    log.warning("session store %d: %s", self.id, exc)
            self.viewing = handle.number
            log.info("session store %d: found its run %s again on Ray (%s)", self.id, run.token, run.status)
        return {run.token for run in found}

    def stop_run(self, handle: RunHandle) -> None:
        """Stop a training run, or take a queued one out of the queue."""
        if handle.ticket is not None:
            with language(handle.lang):  # a button's callback runs before the page sets its language
                reason = _("stopped by the student")
            server_scheduler().cancel(handle.ticket, self.token, reason)
        else:
            handle._run.stop()

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
            if reason:  # before the queue stops it with its own words
                h._run.stop(reason)
        server_scheduler().cancel_session(self.token, "the tab closed")
        for h in active:
            h._run.stop()
        return len(active)

    def close(self, reason: str = "") -> int:
        """Stop every run and drop every model. Never blocks: threads end at their next step."""
        stopped = self.stop_runs(reason)
        with self._lock:
            self.runs.clear()
            self.models.clear()
            self.closed = True
        return stopped
