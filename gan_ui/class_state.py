"""A tab's place in a class: the process's class database, each tab's membership, its feed and pushed locks.

The membership lives on the server under the tab's token (gan_ui/tabs.py), like the teacher settings: it holds
across reloads and pages, and the member token never goes into a URL. `feed_tick(run)` is the one hook the
live panel calls where it polls a run; it does nothing for a tab outside a class.

Locks pushed by the teacher (`{"lesson": 5, "lock": ["lr"], "hide": [...]}`) go through gan_ui/teacher.py's
own parser and per-tab store, so a class lock behaves exactly like a teacher link's.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import streamlit as st

from gan_core.classroom_db import ClassroomDB, ClassroomError

from . import settings, tabs, teacher
from .class_feed import ClassFeed
from .lessons import LESSONS

MAX_MEMBERS = 20_000  # tabs whose membership the server remembers (the oldest unused are forgotten first)

_db: ClassroomDB | None = None
_db_lock = threading.Lock()
_FEEDS: OrderedDict[str, ClassFeed] = OrderedDict()  # tab token -> its feed (holds the member token)
_NAMES: dict[str, tuple[str, str]] = {}  # tab token -> (nickname, code), for the student's own page
_LOCKS: dict[str, str] = {}  # tab token -> the locked settings last applied (JSON), so a change is seen
_lock = threading.Lock()


def db() -> ClassroomDB:
    """The process's class database (created on first use; expired classes purged then)."""
    global _db
    with _db_lock:
        if _db is None:
            _db = ClassroomDB(_directory())
            _db.purge_expired()
        return _db


def _directory() -> Path:
    """settings.runs_dir(), or a private temporary folder in test mode unless set (as the run journal)."""
    if settings.test_mode() and not os.environ.get(settings.RUNS_DIR_ENV):
        return Path(tempfile.mkdtemp(prefix="gan-classroom-class-"))
    return settings.runs_dir()


def reset(directory=None) -> ClassroomDB:
    """A fresh database handle (tests: a new runs directory)."""
    global _db
    with _db_lock:
        if _db is not None:
            _db.close()
        _db = ClassroomDB(directory or _directory())
    with _lock:
        _FEEDS.clear()
        _NAMES.clear()
        _LOCKS.clear()
    return _db


def join(code: str, nickname: str) -> dict:
    """This tab joins a class (ClassroomError with a message when refused)."""
    tab = tabs.token()
    info = db().join(code, nickname, client=tab)
    with _lock:
        _FEEDS[tab] = ClassFeed(db(), info["token"])
        _NAMES[tab] = (info["nickname"], info["code"])
        while len(_FEEDS) > MAX_MEMBERS:
            old, _feed = _FEEDS.popitem(last=False)
            _NAMES.pop(old, None)
    apply_locks()
    return info


def membership() -> tuple[str, str] | None:
    """(nickname, code) of this tab's class, or None."""
    with _lock:
        return _NAMES.get(tabs.token())


def feed() -> ClassFeed | None:
    with _lock:
        return _FEEDS.get(tabs.token())


def leave() -> None:
    tab = tabs.token()
    with _lock:
        f = _FEEDS.pop(tab, None)
        _NAMES.pop(tab, None)
        _LOCKS.pop(tab, None)
    if f is not None:
        try:
            db().leave(f.token)
        except ClassroomError:
            pass  # the class already ended: nothing of ours is left in it


def feed_tick(run) -> None:
    """The live panel's hook: publish this run's tile when due (nothing for a tab outside a class)."""
    f = feed()
    if f is not None:
        f.tick([run])


def apply_locks() -> None:
    """Apply the class's locked settings to this tab when the teacher pushed new ones (every page run)."""
    f = feed()
    if f is None:
        return
    try:
        locked = db().membership(f.token)["locked"]
    except ClassroomError as err:
        f.error = str(err)
        return
    from_json = repr(sorted(locked.items()))
    tab = tabs.token()
    with _lock:
        if _LOCKS.get(tab) == from_json:
            return
        _LOCKS[tab] = from_json
    params = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in locked.items() if v}
    rules = teacher.parse({k: params.get(k) for k in ("lesson", "lock", "hide", "allow")}, [x.id for x in LESSONS])
    teacher._keep(tab, rules)  # teacher.py's per-tab store: a class lock holds like a teacher link's
    if rules.lesson:
        st.session_state["learn_lesson"] = rules.lesson
