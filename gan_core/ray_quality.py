"""The live sample quality of a run in a Ray worker, as the web process sees it (QualityMonitor's read API).

The worker measures (gan_core.ray_actor, with a QualityMonitor); the poller (gan_core.ray_poller) feeds
what comes back into a RayQuality here, so the pages read it like a local monitor.
"""

from __future__ import annotations

import threading


class RayQuality:
    """Live sample quality of a RayRun, measured in its worker: QualityMonitor's read API, fed by the poller."""

    def __init__(self, every: int, n: int):
        self.every, self.n = int(every), int(n)
        self.error: str | None = None
        self._records: list = []
        self._class_dist: list[float] = []
        self._real: dict = {}
        self._ended = False
        self._cond = threading.Condition()

    def records(self) -> list:
        with self._cond:
            return list(self._records)

    def latest(self):
        with self._cond:
            return self._records[-1] if self._records else None

    @property
    def class_dist(self) -> list[float]:
        return list(self._class_dist)

    def real_scores(self) -> dict:
        return dict(self._real)

    @property
    def done(self) -> bool:
        with self._cond:
            return self._ended

    def join(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._ended, timeout)

    flush = join

    def _update(self, records: list, reference: dict | None, error: str | None) -> None:
        with self._cond:
            self._records.extend(records)
            if reference is not None:
                self._class_dist, self._real = list(reference["class_dist"]), dict(reference["real_scores"])
            self.error = error or self.error

    def _end(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()


__all__ = ["RayQuality"]
