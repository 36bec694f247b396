"""A tab's place in a class: the process's class database, each tab's membership, its feed and pushed locks.

The membership lives in the class database, under a member token derived from the tab's token
(gan_core.classroom_rules.member_token; the tab token is in the tab's URL, gan_ui/tabs.py): it holds across
reloads, pages and a restart of the web server, and the member token itself is never stored or shown. This
process keeps only a cache: tab token -> its `ClassFeed`, or None for a tab in no class (looked up once).

While a tab is in a class the class publisher (gan_ui/class_publisher.py) writes its runs' tiles, whatever
page is open. Locks pushed by the teacher (`{"lesson": 5, "lock": ["lr"], "hide": [...]}`) go through
gan_ui/teacher.py's own parser and per-tab store, so a class lock behaves exactly like a teacher link's.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

import streamlit as st

from gan_core.classroom_db import ClassroomDB, ClassroomError
from gan_core.classroom_rules import member_token

from . import settings, tabs, teacher
from .class_feed import ClassFeed
from .class_publisher import Publisher
from .lessons import LESSONS

MAX_TABS = 20_000  # tabs whose membership (or none) this process caches; the oldest unused are forgotten first
RETRY_S = 30.0  # a database that could not be reached is not asked again, by any page, for this long

log = logging.getLogger(__name__)

_db: ClassroomDB | None = None
_db_lock = threading.Lock()
_FEEDS: OrderedDict[str, ClassFeed | None] = OrderedDict()  # tab token -> its feed, None: in no class
_LOCKS: dict[str, str] = {}  # tab token -> the locked settings last applied (JSON), so a change is seen
_lock = threading.Lock()
_down_until = 0.0  # monotonic time before which the database counts as unreachable
publisher = Publisher()


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
    """A fresh database handle and an empty cache: what a restarted server has (tests: a new runs directory)."""
    global _db
    publisher.clear()
    with _db_lock:
        if _db is not None:
            _db.close()
        _db = ClassroomDB(directory or _directory())
    with _lock:
        _FEEDS.clear()
        _LOCKS.clear()
    return _db


def _remember(tab: str, feed: ClassFeed | None) -> None:
    with _lock:
        _FEEDS[tab] = feed
        _FEEDS.move_to_end(tab)
        while len(_FEEDS) > MAX_TABS:
            old, _feed = _FEEDS.popitem(last=False)
            _LOCKS.pop(old, None)
            publisher.forget(old)
    if feed is not None:
        publisher.follow(tab, feed)


def join(code: str, nickname: str) -> dict:
    """This tab joins a class (ClassroomError with a message when refused); a class it was in, it leaves."""
    tab = tabs.token()
    info = db().join(code, nickname, client=tab, token=member_token(tab))
    with _lock:
        _LOCKS.pop(tab, None)
    _remember(tab, ClassFeed(db(), info["token"], info["nickname"], info["code"]))
    apply_locks()
    return info


def feed() -> ClassFeed | None:
    """This tab's feed (None outside a class): the cache, else the database (a reload after a restart)."""
    tab = tabs.token()
    with _lock:
        if tab in _FEEDS:
            found = _FEEDS[tab]
            if found is not None:
                publisher.follow(tab, found)  # a no-op while the publisher runs; restarts it when it had stopped
            return found
    global _down_until
    if time.monotonic() < _down_until:
        return None
    token = member_token(tab)
    try:
        info = db().membership(token)
    except ClassroomError:
        _remember(tab, None)
        return None
    except Exception as err:  # every page asks: a database away must not break the app for everyone
        log.warning("class database unreachable (%s); asked again in %.0f s", err, RETRY_S)
        _down_until = time.monotonic() + RETRY_S
        return None
    found = ClassFeed(db(), token, info["nickname"], info["code"])
    _remember(tab, found)
    return found


def membership() -> tuple[str, str] | None:
    """(nickname, code) of this tab's class, or None."""
    f = feed()
    return (f.nickname, f.code) if f is not None else None


def leave() -> None:
    tab = tabs.token()
    f = feed()
    publisher.forget(tab)
    _remember(tab, None)
    with _lock:
        _LOCKS.pop(tab, None)
    if f is not None:
        try:
            db().leave(f.token)
        except ClassroomError:
            pass  # the class already ended: nothing of ours is left in it


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
    teacher.keep_for_tab(tab, rules)  # teacher.py's per-tab store: a class lock holds like a teacher link's
    if rules.lesson:
        st.session_state["learn_lesson"] = rules.lesson
