"""The poller's side of a RayRun (gan_core.ray_runs): what to ask its worker next, taking in the answers,
and the end of the run, whichever way it comes.

Faults. A worker that dies (its process killed, `ray.kill`, its node gone) fails the next poll within
a second or two: the run ends "interrupted" with "Interrupted at step N: the worker training this run
stopped (...)." and keeps the snapshot weights it had pulled. A worker that stops answering for
HUNG_AFTER seconds (START_AFTER before its first answer: it may still be starting) is killed and reported
the same way. The end frees the worker (`ray.kill`) and its lease (a warm start's placement group) before
"on_end" fires, and removes the run's snapshot file unless it was interrupted. A queued run's warm worker
that is lost before the run starts costs nothing but the warm start: the run starts cold.
"""

from __future__ import annotations

import logging

import ray
from ray._raylet import PlacementGroupID
from ray.exceptions import ActorUnavailableError, GetTimeoutError, RayActorError, RayError
from ray.util.placement_group import PlacementGroup, remove_placement_group

from .i18n import _, language
from .ray_names import forget_snapshot
from .training import FINAL, Snapshot

log = logging.getLogger(__name__)

WEIGHTS_EVERY = 1.0  # at most this often the newest snapshot's G comes back (a run killed keeps a recent G)
HUNG_AFTER = 30.0  # a worker that has not answered a poll for this long is killed, the run interrupted
START_AFTER = 300.0  # ... except before its first answer: a new worker imports torch and loads the digits
# (~4 s on an idle 2-core machine, over 30 s under a load average of 30: bench/classroom_load.py --backend ray
# saw 7 of 10 runs end "could not start" with 30 s), and Ray may queue it until a CPU is free
UNAVAILABLE_GRACE = 10.0  # an actor Ray calls "temporarily unavailable" (network blip) gets this long to return
FINAL_FETCH_TIMEOUT = 60.0  # the final weights must arrive within this; else the run ends with what it has


class PolledRun:
    """The poller-facing half of RayRun (a mixin: RayRun holds the state these methods read and write)."""

    def _refs(self, now: float) -> list:
        """Poller: send what is due (a poll, a weight pull, the final fetch); return the refs in flight."""
        if self._actor is None:
            return []
        if self._poll_ref is None and self._final_ref is None:
            self._poll_ref, self._poll_sent = (
                self._actor.poll.remote(
                    len(self.history),
                    self.snapshots[-1].step if self.snapshots else -1,
                    len(self.quality._records) if self.quality is not None else 0,
                ),
                now,
            )
        return [r for r in (self._poll_ref, self._weights_ref, self._final_ref) if r is not None]

    def _advance(self, ready: set, now: float) -> bool:
        """Poller: take in what arrived; True once the run is over (the poller then forgets it)."""
        if self._actor is None:  # started after a stop(): end without a worker (or a warm worker lost)
            if not self._started:
                return True
            with language(self.lang):
                reason = self._stop_reason or _("Stopped by the user after {steps} steps.").format(steps=0)
            self._finish("stopped", reason)
            return True
        try:
            if self._weights_ref is not None and self._weights_ref in ready:
                ref, self._weights_ref = self._weights_ref, None
                self._take_snapshot_weights(ray.get(ref, timeout=5))
            if self._final_ref is not None:
                if self._final_ref in ready:
                    ref, self._final_ref = self._final_ref, None
                    self._take_final(ray.get(ref, timeout=5))
                    return True
                if now - self._final_sent > FINAL_FETCH_TIMEOUT:
                    self._end_without_final("its final weights did not arrive in time")
                    return True
                return False
            if self._poll_ref is not None and self._poll_ref in ready:
                ref, self._poll_ref = self._poll_ref, None
                answer = ray.get(ref, timeout=5)
                self._last_answer, self._unavailable_since = now, None
                self._take_poll(answer, now)
            elif self._poll_ref is not None and now - self._poll_sent > self._patience():
                self._interrupt(f"it did not answer for {self._patience():g} s and was shut down")
                return self._over()
            if self._stop_sent is not None and now - self._stop_sent > HUNG_AFTER and self._final_ref is None:
                self._interrupt(f"it did not stop within {HUNG_AFTER:g} s and was shut down")
                return self._over()
            return False
        except ActorUnavailableError as exc:  # maybe a network blip: retry for a while
            self._poll_ref = self._weights_ref = None
            self._unavailable_since = self._unavailable_since or now
            if now - self._unavailable_since > UNAVAILABLE_GRACE:
                self._interrupt(f"unreachable for {UNAVAILABLE_GRACE:g} s: {_short(exc)}")
                return self._over()
            return False
        except RayActorError as exc:
            self._interrupt(_death_reason(exc))
            return self._over()
        except (RayError, GetTimeoutError) as exc:  # poll itself raised: a bug, not a fault of the run
            log.exception("run %s: polling its worker failed", self.id)
            self._interrupt(f"{type(exc).__name__}: {_short(exc)}")
            return self._over()

    def _patience(self) -> float:
        """Seconds a poll may go unanswered: HUNG_AFTER once the worker has answered, START_AFTER before."""
        return HUNG_AFTER if self.worker_pid is not None else START_AFTER

    def _take_poll(self, a: dict, now: float) -> None:
        if self._ended.is_set():  # cancelled while the answer was on its way
            return
        self._lease = a.get("lease") or self._lease
        if a.get("misplaced"):  # its lease was granted on another node: start there, on a new worker
            self._restart_cold("its lease was granted on another node")
            return
        new_snaps = [Snapshot(step, elapsed, images) for step, elapsed, images in a["snapshots"]]
        kept = set(a["kept"])
        with self._lock:
            self.history.extend(a["records"])
            self.snapshots = [s for s in self.snapshots if s.step in kept] + new_snaps
            self.step, self.elapsed = a["step"], a["elapsed"]
            self.device_name, self.precision = a["device_name"], a["precision"]
            self.data_description, self.param_counts = a["data_description"], a["param_counts"]
            self.worker_pid, self.traceback = a["pid"], a["traceback"]
            self.worker_node = a.get("node")
            if not a["ended"] or a["status"] not in FINAL:
                self.status, self.message = a["status"], a["message"]
            else:
                self._worker_end = (a["status"], a["message"])
        if self.quality is not None:
            self.quality._update(a["quality"], a["reference"], a["quality_error"])
        if a["records"]:
            self._fire("on_record", a["records"])
        for snap in new_snaps:
            self._fire("on_snapshot", snap)
        if a["ended"]:
            self._final_ref, self._final_sent = self._actor.weights.remote(), now
            return
        newest = max(a["weights_steps"], default=-1)
        if newest > self._pulled_step and self._weights_ref is None and now - self._weights_sent >= WEIGHTS_EVERY:
            self._weights_ref, self._weights_sent = self._actor.snapshot_weights.remote(newest), now

    def _take_snapshot_weights(self, got) -> None:
        """Keep the newest pulled G on its snapshot (and only that one: the rest come with the final fetch)."""
        if got is None or got[0] <= self._pulled_step:
            return
        step, state = got
        with self._lock:
            for s in self.snapshots:
                if s.step == step:
                    s.g_state = state
                elif s.g_state is not None:
                    s.g_state = None
            if any(s.step == step for s in self.snapshots):
                self._pulled_step = step

    def _take_final(self, w: dict) -> None:
        with self._lock:
            self._final = {"g": w["g"], "d": w["d"]}
            for s in self.snapshots:
                s.g_state = w["snapshots"].get(s.step)
        self._finish(*(self._worker_end or ("finished", "")))

    def _end_without_final(self, why: str) -> None:
        status, message = self._worker_end or ("finished", "")
        with language(self.lang):
            note = _("(Its final weights are not here: {why}; the last snapshot's G is.)").format(why=why)
        self._finish(status, f"{message} {note}".strip())

    def _over(self) -> bool:
        """Whether the poller may forget this run: it ended, or it lost its warm worker before it started."""
        return self._ended.is_set() or (self._actor is None and not self._started)

    def _interrupt(self, why: str) -> None:
        if not self._started:  # a queued run's warm worker: the run will start cold
            log.warning("run %s: its warm worker was lost before it started (%s)", self.id, why)
            self._drop_warm()
            return
        if self._warm_start and self.worker_pid is not None and self.status == "ready" and self._stop_sent is None:
            self._restart_cold(f"its warm worker was lost before it trained ({why})")
            return
        with self._lock:
            step = self.step
        with language(self.lang):  # the run's language: this runs on the poller thread, not in a page
            if self.worker_pid is None and step == 0:
                self._finish("failed", _("The run could not start in its Ray worker: {why}.").format(why=why))
            else:
                text = _("Interrupted at step {step}: the worker training this run stopped ({why}).")
                self._finish("interrupted", text.format(step=step, why=why))

    def _restart_cold(self, why: str) -> None:
        """A run started on a warm worker that cannot train there: start it on a new worker that holds the run's
        CPUs / GPU share itself, as a run that was never warm (Ray places it where they are free)."""
        log.warning("run %s: %s; starting it on a new worker", self.id, why)
        self._drop_warm()
        self._started = self._warm_start = False
        self.start()

    def _drop_warm(self) -> None:
        """Forget a warm worker of a run that has not trained (killed if still there, its lease removed)."""
        actor, self._actor = self._actor, None
        self._poll_ref = self._weights_ref = self._final_ref = None
        self.worker_pid = self.worker_node = None
        if actor is not None:
            try:
                ray.kill(actor, no_restart=True)
            except Exception as exc:  # noqa: BLE001 - already gone
                log.debug("run %s: kill: %s", self.id, exc)
        self._remove_lease()

    def _remove_lease(self) -> None:
        """The worker gives its lease back when its Trainer ends, and Ray removes a detached worker's lease with
        it; a plain actor's lease would outlive the actor, so it is removed here."""
        lease, self._lease = self._lease, None
        if lease is not None and not self.token:
            try:
                remove_placement_group(PlacementGroup(PlacementGroupID(bytes.fromhex(lease))))
            except Exception as exc:  # noqa: BLE001 - already removed
                log.debug("run %s: lease: %s", self.id, exc)

    def _finish(self, status: str, message: str) -> None:
        """The end, once: final status, the worker freed, the quality mirror closed, then "on_end"."""
        if self._ended.is_set():
            return
        actor, self._actor = self._actor, None
        self._poll_ref = self._weights_ref = self._final_ref = None
        if actor is not None:
            try:
                ray.kill(actor, no_restart=True)  # frees its memory and its CPUs / GPU share now
            except Exception as exc:  # noqa: BLE001 - already gone
                log.debug("run %s: kill: %s", self.id, exc)
        self._remove_lease()
        with self._lock:
            self.status, self.message = status, message
        if status != "interrupted" and self.token:  # its weights are here now: the file was only for a fault
            forget_snapshot(self.save_dir, self.token)
        if self.quality is not None:
            self.quality._end()
        self._fire("on_end")
        self._ended.set()


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _death_reason(exc: RayActorError) -> str:
    """Why a worker died, in a few words."""
    text = str(exc)
    if "SIGKILL" in text or "killed" in text.lower() or "exit" in text.lower():
        return "its process was killed or exited"
    if "node" in text.lower():
        return "the machine it ran on left the cluster"
    if "creation task" in text.lower() or "__init__" in text:
        return f"it could not build the run: {_short(exc)}"
    return _short(exc)
