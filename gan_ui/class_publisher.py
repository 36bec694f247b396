"""The class publisher: one thread of the web process that writes the tiles of every class member's runs.

A student's tile must follow their run whatever page they have open (Explore while it trains, the Class page
to hand in), and must end with the run's final status (a finished run is what the leaderboard ranks), so the
feed is not driven by a page: `follow(tab, feed)` registers a tab that is in a class, and every TICK_S the
thread gives each feed the runs of its tab's store (gan_ui/state.py's stores, matched by the tab token) plus
the runs it followed before that still have something to write.

When it stops: a run is followed until its final tile is written (a tab that closes has its runs stopped by
state.py: the tile ends "stopped"); a tab without a store writes nothing; when no tab has a store and no run
is pending the thread ends, and the next page of a member tab starts it again (`follow` is called on every
page run of a member tab, and costs a dictionary look-up when the thread runs).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from .class_feed import ClassFeed
from .state import live_stores

log = logging.getLogger(__name__)

THREAD_NAME = "gan-class-publisher"  # in a stack dump or py-spy
TICK_S = 1.0  # how often the thread looks; each tile is still written at most every class_feed.FEED_S


class Publisher:
    """Follows the member tabs of this process; `tick()` is one pass (the thread calls it every TICK_S)."""

    def __init__(self, every: float = TICK_S, stores=live_stores):
        self.every, self.stores = every, stores
        self._feeds: dict[str, ClassFeed] = {}  # tab token -> its feed
        self._runs: dict[str, dict[int, object]] = defaultdict(dict)  # tab token -> runs still to be written
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def follow(self, tab: str, feed: ClassFeed) -> None:
        """Publish this tab's runs through `feed` (and start the thread when it is not running)."""
        with self._lock:
            if self._feeds.get(tab) is not feed:
                self._feeds[tab] = feed
                self._runs.pop(tab, None)
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, name=THREAD_NAME, daemon=True)
                self._thread.start()

    def forget(self, tab: str) -> None:
        with self._lock:
            self._feeds.pop(tab, None)
            self._runs.pop(tab, None)

    def clear(self) -> None:
        """Forget every tab and end the thread (tests; a new database)."""
        with self._lock:
            self._feeds.clear()
            self._runs.clear()
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def tick(self) -> tuple[int, bool]:
        """One pass: (tiles written, whether anything is left to follow: a tab with a store, or a pending run)."""
        by_tab: dict[str, list] = defaultdict(list)
        for store in self.stores():
            if not store.closed and store.owner:
                by_tab[store.owner].append(store)
        with self._lock:
            feeds = list(self._feeds.items())
        written, busy = 0, False
        for tab, feed in feeds:
            with self._lock:
                if tab not in self._feeds:
                    continue  # left the class during this pass
                runs = self._runs[tab]
            for store in by_tab.get(tab, ()):
                busy = True
                for run in list(store.runs):
                    runs.setdefault(run.number, run)
            written += feed.tick(list(runs.values()))
            for number, run in list(runs.items()):
                if feed.error is not None or not feed.pending(run):
                    del runs[number]  # ended and written (its store, while open, hands it over again: cheap)
            busy = busy or bool(runs)
        return written, busy

    def _loop(self) -> None:
        me = threading.current_thread()
        while not self._stop.wait(self.every):
            try:
                _written, busy = self.tick()
            except Exception:  # one bad pass must not end the board for the whole class
                log.exception("class publisher")
                busy = True
            with self._lock:
                if self._thread is not me:
                    return  # cleared: a newer thread (or none) took over
                if not busy:
                    self._thread = None  # nothing to follow: the next page of a member tab starts it again
                    return
