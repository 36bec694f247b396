"""What one server process shares among all its tabs: the training queue, the run journal, the shelf of
finished runs and the dataset.

* `server_scheduler()` - one gan_core.Scheduler: every run a tab starts goes through its queue (at most
  `settings.limits().max_concurrent` train at once, one per tab); a released tab leaves the queue.
* `server_journal()` - runs in flight on disk, so runs a server restart killed are reported to their tab as
  interrupted; `server_shelf()` keeps each tab's last finished runs on disk under the tab's URL token, so a
  reloaded tab or a restarted server gives them back (as "Saved:" models in Explore).
* `shared_dataset()` - plain (global) `st.cache_resource`: one copy per process of the digits tensor, read by
  every run.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

import streamlit as st

from gan_core import RunJournal, RunShelf, Scheduler, load_dataset
from gan_core.runs import BackendUnavailable, backend_name

from . import settings

log = logging.getLogger("gan_ui")
if not log.handlers:  # Streamlit configures only its own loggers; say what we do on stderr
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s gan_ui %(levelname)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

_new_journal_hooks: list = []  # called when a journal is opened afresh (a simulated server restart)


def on_new_journal(fn) -> None:
    """Call fn() whenever a journal replaces another (the tab registry forgets its tabs then)."""
    _new_journal_hooks.append(fn)


_server_lock = threading.Lock()
_scheduler: Scheduler | None = None
_journal: RunJournal | None = None
_journals_opened = 0
_shelf: RunShelf | None = None


_backend: tuple[str, str | None] | None = None  # (the backend runs use, a note when it is not the one asked for)


def training_backend() -> tuple[str, str | None]:
    """Where this server's runs train: ("inprocess" | "ray", None), chosen once per process by
    $GAN_CLASSROOM_BACKEND (gan_core.runs). Ray is started (or joined, $GAN_CLASSROOM_RAY_ADDRESS) here, once;
    when it cannot be, runs train in-process and the note says why, for a banner on every page."""
    global _backend
    if _backend is not None:
        return _backend
    try:
        name = backend_name()
    except ValueError as exc:
        _backend = ("inprocess", str(exc))  # the page words it in its language
        return _backend
    if name == "ray":
        try:
            from gan_core import ray_cluster  # only a Ray server imports Ray

            ray_cluster.connect()
        except BackendUnavailable as exc:
            log.warning("Ray unavailable, training in-process: %s", exc)
            _backend = ("inprocess", str(exc))  # the page words it in its language
            return _backend
    _backend = (name, None)
    log.info("training backend: %s", name)
    return _backend


def _limits():
    limits = settings.limits()
    if training_backend()[0] == "ray":
        from gan_core import ray_cluster

        limits = dataclasses.replace(limits, max_concurrent=ray_cluster.max_concurrent())
    return limits


def server_scheduler() -> Scheduler:
    """The process's training queue, with the limits of `settings.limits()` at first use (on Ray: as many runs
    at once as the cluster has room for)."""
    global _scheduler
    limits = _limits() if _scheduler is None else None
    with _server_lock:
        if _scheduler is None:
            _scheduler = Scheduler(limits)
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
        for fn in _new_journal_hooks:
            fn()
    return journal


def server_shelf() -> RunShelf:
    """The process's shelf of finished runs: a "saved" folder beside the run journal."""
    global _shelf
    root = server_journal().path.parent / "saved"
    with _server_lock:
        if _shelf is None or _shelf.root != root:  # tests open a new journal to simulate a restart
            _shelf = RunShelf(root)
        return _shelf


# ---------------------------------------------------------------------------------------------
# Shared, read-only
# ---------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def shared_dataset(name: str = "mnist"):
    """The dataset tensor (uint8, CPU), one copy for all sessions; trainers only read it."""
    return load_dataset(name)
