"""A browser tab's store across its pages' lifetimes: `session_store()`, and cleanup when a tab closes.

* `session_store()` - one `SessionStore` per browser tab, from `st.cache_resource(scope="session")`.
  Streamlit drops session-scoped entries when the tab's websocket disconnects and calls
  `release_store`, which stops the tab's training runs and drops its models, so a closed
  tab frees its memory and CPU. Two tabs never share a store: two students never see each
  other's runs.
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
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import streamlit as st

from gan_core.i18n import _, format_decimal, format_number, language

from . import settings, tabs
from .server import on_new_journal, server_journal
from .store import _LIVE_STORES, SessionStore

log = logging.getLogger("gan_ui")

_TABS: dict[str, SessionStore] = {}  # tab token -> its store (pages attached, or parked/kept for them)
_TIMERS: dict[str, threading.Timer] = {}  # tab token -> the grace timer of its parked store (a run trains)
_KEPT: dict[str, float] = {}  # tab token -> when its kept store (no page, no active run) closes
_AWAY: dict[str, list[str]] = {}  # tab token -> notes for its next page (runs stopped while away)
_tabs_lock = threading.Lock()
MAX_AWAY_NOTES = 10_000


def _key(store: SessionStore) -> str:
    return store.owner or store.token


def attach(owner: str) -> SessionStore:
    """A page of the tab `owner` opened: the tab's store (a parked store's grace timer cancelled, a kept
    store no longer due to close), or a new store, which reads the shelf (saved runs), finds the tab's runs
    that outlived their web process on Ray (SessionStore.refind) and the journal (the other runs a server
    restart interrupted)."""
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
        store.restore_saved()
        found = store.refind()  # its runs still on Ray (or interrupted there): not "lost in a restart"
        store.interrupted = [e for e in journal.claim(owner) if e.get("key") not in found]
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
        log.info(
            "session store %d released: no page of its tab for %.0f s (stopped %d run(s))",
            store.id,
            settings.tab_keep(),
            stopped,
        )


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
        log.info(
            "session store %d: its last page closed; stopped %d run(s); kept %.0f s for the tab to come back",
            store.id,
            stopped,
            keep,
        )
    else:
        stopped = store.close()
        log.info("session store %d released: stopped %d run(s)", store.id, stopped)


def _tab_language(store: SessionStore) -> str | None:
    """The tab's language as its newest run recorded it (a timer thread has no page to ask)."""
    return next((h.lang for h in reversed(store.runs) if h.lang), None)


def _away_note(h, grace: float) -> str:
    """What the tab's next page says about a run stopped while the tab was away."""
    note = _(
        "Your run {number} ({preset}) was stopped at step {step}: this tab was away (closed, or offline) for "
        "more than {grace} s, so its training slot went back to the class."
    ).format(
        number=h.number, preset=h.cfg.preset or _("custom"), step=format_number(h.step), grace=format_decimal(grace)
    )
    if h.step:
        return note + " " + _("It is saved: open it in Explore (“Saved: run{number}-…”).").format(number=h.number)
    return note + " " + _("It had not trained yet.")


def _grace_over(store: SessionStore) -> None:
    grace, keep = settings.disconnect_grace(), settings.tab_keep()
    key = _key(store)
    with _tabs_lock:
        if _TIMERS.get(key) is not threading.current_thread() or store.pages:
            return  # a page came back (or a newer timer took over)
        del _TIMERS[key]
        with language(_tab_language(store)):
            store.away_notes = [_away_note(h, grace) for h in store.runs if h.active]
        if keep > 0:
            _keep(store, keep)
        else:
            _unregister(store)
    with language(_tab_language(store)):
        reason = _(
            "Stopped: this tab was away (closed, or offline) for more than {grace} s, so its training slot "
            "went back to the class."
        ).format(grace=format_decimal(grace))
    if keep > 0:
        stopped = store.stop_runs(reason)
        log.info(
            "session store %d: stopped %d run(s) (its tab did not reconnect); kept %.0f s for the tab to come back",
            store.id,
            stopped,
            keep,
        )
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


on_new_journal(forget_tabs)
