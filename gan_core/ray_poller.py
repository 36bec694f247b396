"""One thread per web process polling every live RayRun (gan_core.ray_runs), so no page ever waits on Ray.

Every POLL_EVERY seconds it asks each run which requests are due (`run._refs(now)`: a poll, a weight
pull, the final fetch), waits for them all together with `ray.wait(..., timeout=POLL_EVERY)`, and hands
what arrived back to each run (`run._advance(ready, now)`, True once the run is over). One run's trouble
never stops the others' polling; Ray shutting down under it interrupts every live run.
"""

from __future__ import annotations

import logging
import threading
import time

import ray

log = logging.getLogger(__name__)

POLL_EVERY = 0.3  # seconds between polls of each run: the pages poll every ~1 s, so they see no lag


class _Poller:
    """One thread per process polling every live RayRun: no page ever waits on Ray."""

    def __init__(self):
        self._runs: list = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="gan-ray-poller", daemon=True)
        self._thread.start()

    def add(self, run) -> None:
        with self._cond:
            if run not in self._runs:
                self._runs.append(run)
            self._cond.notify_all()

    def live(self) -> list:
        with self._cond:
            return list(self._runs)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._runs))
                runs = list(self._runs)
            t0 = time.monotonic()
            try:
                refs = [ref for run in runs for ref in run._refs(t0)]
                ready = set()
                if refs:
                    ready = set(ray.wait(refs, num_returns=len(refs), timeout=POLL_EVERY)[0])
            except Exception:  # noqa: BLE001 - Ray shut down under us: every live run is interrupted
                log.exception("polling Ray failed")
                ready = None
            now = time.monotonic()
            over = []
            for run in runs:
                try:
                    if ready is None:
                        run._interrupt("Ray itself stopped in this process")
                        over.append(run)
                    elif run._advance(ready, now):
                        over.append(run)
                except Exception:  # noqa: BLE001 - one run's trouble never stops the others' polling
                    log.exception("run %s: the poller failed on it", run.id)
                    run._finish("failed", "The web process lost track of this run's worker (see the server log).")
                    over.append(run)
            if over:
                with self._cond:
                    self._runs = [r for r in self._runs if r not in over]
            time.sleep(max(0.0, POLL_EVERY - (time.monotonic() - t0)))


_the_poller: _Poller | None = None
_poller_lock = threading.Lock()


def _poller() -> _Poller:
    global _the_poller
    with _poller_lock:
        if _the_poller is None:
            _the_poller = _Poller()
        return _the_poller


__all__ = ["POLL_EVERY"]
