"""One queue for a whole server: many students' training runs share a few CPU cores (or one GPU).

A classroom server trains 30 students' runs on one machine. Started all at once, 30 runs would each
crawl (on 2 cores: 15x slower each, plus thread oversubscription), and 30 sets of optimiser state
would sit in memory together. The scheduler instead lets at most `max_concurrent` runs train at a
time; the others wait in one first-come-first-served queue and start by themselves when a slot frees:

    submit(session, run) -> Ticket                queued, or started at once if a slot is free
    adopt(session, run) -> Ticket                 a run already training (found again on Ray) holds a slot
    ticket.position                               0 while running, 1 = next in line, ...
    scheduler.wait_estimate(ticket)               seconds until it should start
    cancel(ticket) / cancel_session(session)      leave the queue, or stop the run if it trains

Waiting time is estimated by replaying the queue against the running runs' remaining budgets:
every run has a time cap (`Limits.max_seconds`), so with c slots and remaining times r_1..r_c,
the k-th queued run starts when the k-th slot frees in that replay. It is an upper bound when runs
finish early (a student presses Stop) and exact when each uses its full budget.

Rules a shared server needs, enforced here and not in any UI:

* at most one queued-or-running run per session (a student cannot take every slot);
* one student cannot see or cancel another's run: every call names the session, and a ticket of
  another session is refused;
* `Limits.check(cfg)` refuses configs over the server's caps (batch, widths, latent size, budget)
  with a sentence that says which limit and why.

A run is any `gan_core.runs.TrainingRun`: a Trainer in a thread of this process, or a RayRun whose
Trainer lives in a Ray worker. The scheduler only calls start / stop / cancel_unstarted and reads
status, step, elapsed and cfg, so the class rules hold whatever backend trains.

* the first `Limits.warm_ahead` runs in line are warmed when the run can be (a RayRun makes its worker
  while it waits, `RayRun.warm`), so they train as soon as their slot frees;
* a run paused for longer than `Limits.max_pause` while others wait gives its slot back (it is
  stopped, keeping what it learned); a watcher thread of the scheduler checks the paused runs'
  status every `PAUSE_CHECK` seconds while any run holds a slot.

Thread-safe: the UI thread submits and cancels while trainer threads end runs; the slot a
finished run frees is handed to the next ticket from the ending run's own `on_end` callback.
No UI code here (gan_core never imports streamlit).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from .config import ConfigError, GANConfig
from .i18n import _, language
from .runs import TrainingRun

log = logging.getLogger(__name__)

_ticket_ids = itertools.count(1)
PAUSE_CHECK = 0.25  # seconds between the pause watcher's looks at the running runs
QUEUED, RUNNING, DONE, CANCELLED = "queued", "running", "done", "cancelled"


class SchedulerError(RuntimeError):
    """A request the scheduler refuses (a second run for a session, another session's ticket, a full queue)."""


@dataclass(frozen=True)
class Limits:
    """The server's caps on what one run may ask for. Defaults suit a 2-core classroom server."""

    max_concurrent: int = 2  # runs training at once; more only slows every one of them down
    max_seconds: float = 120.0  # wall-clock training budget per run (the longest preset budget in the app)
    max_steps: int = 100_000  # a step budget runs at most this many steps (and still at most max_seconds)
    max_batch: int = 256  # images per step; 256 is the largest batch the Train page offers
    max_width: int = 128  # G/D channel widths; twice the DCGAN default, ~4x its compute
    max_latent: int = 128  # latent size; Explore draws one slider per dimension
    max_queue: int = 200  # tickets waiting at once (a bound on memory: each holds an unstarted Trainer)
    nice: int = 10  # training threads run at this Linux niceness, so slider reruns win the CPU
    warm_ahead: int | None = None  # queued runs whose worker is made before their slot frees (Ray backend;
    # each holds torch and its data, ~300-500 MB); None: one per slot (max_concurrent)
    max_pause: float = 60.0  # a paused run keeps its slot this long at most while others wait (0 = forever)

    def check(self, cfg: GANConfig) -> GANConfig:
        """cfg with its time budget capped at max_seconds, or ConfigError naming every limit it breaks."""
        problems = []
        if cfg.batch_size > self.max_batch:
            problems.append(
                _("Batch size {value} is over this server's limit of {limit}.").format(
                    value=cfg.batch_size, limit=self.max_batch
                )
            )
        for name in ("g_width", "d_width"):
            if getattr(cfg, name) > self.max_width:
                problems.append(
                    _("{name} {value} is over this server's limit of {limit}.").format(
                        name=name, value=getattr(cfg, name), limit=self.max_width
                    )
                )
        if cfg.latent_dim > self.max_latent:
            problems.append(
                _("Latent size {value} is over this server's limit of {limit}.").format(
                    value=cfg.latent_dim, limit=self.max_latent
                )
            )
        if cfg.max_steps > self.max_steps:
            problems.append(
                _("A budget of {value:,} steps is over this server's limit of {limit:,} steps per run.").format(
                    value=cfg.max_steps, limit=self.max_steps
                )
            )
        if cfg.max_seconds > self.max_seconds:
            problems.append(
                _("A budget of {value:g} s is over this server's limit of {limit:g} s per run.").format(
                    value=cfg.max_seconds, limit=self.max_seconds
                )
            )
        if problems:
            raise ConfigError(" ".join(problems + [_("The teacher sets these limits for the whole class.")]))
        if not cfg.max_seconds:  # a step budget still gets the time cap, so every run ends in bounded time
            cfg = cfg.replace(max_seconds=float(self.max_seconds))
        return cfg


def default_max_concurrent(cuda: bool, cpu_count: int | None = None, threads_per_run: int = 1) -> int:
    """Runs that can train at once without slowing each other down much.

    CPU: one run per `threads_per_run` cores (a step of these small models keeps a core busy), after
    keeping one core for the web server itself: 30 students' slider moves and live charts are
    Python work that needs a core of its own to stay interactive (2 cores: 1 run at a time).
    GPU: 4; one small GAN leaves most of a GPU idle between kernel launches, so a few runs overlap
    well, while dozens would only queue inside the driver and hold their memory.
    """
    if cuda:
        return 4
    return max(1, ((cpu_count or os.cpu_count() or 2) - 1) // max(1, threads_per_run))


def lower_priority(thread, nice: int) -> None:
    """Raise a running thread's Linux niceness (each thread is its own schedulable task there).

    A training step keeps a core busy for as long as it is given; the script threads that answer a
    slider move need a few milliseconds now. With the trainer at nice 10 the kernel hands the core to
    the interactive thread first. No effect (and no error) where threads cannot be reniced.
    """
    tid = getattr(thread, "native_id", None)
    if not nice or tid is None or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError:
        pass


@dataclass(eq=False)
class Ticket:
    """One submitted run: where it is in the queue and what happened to it."""

    session: str
    trainer: TrainingRun  # the run (a Trainer or a RayRun; named for its first kind)
    id: int = field(default_factory=lambda: next(_ticket_ids))
    state: str = QUEUED
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None  # time.monotonic() when it got a slot
    position: int = 0  # 0 while running (or over), k = k-th in line
    reason: str = ""  # why it was cancelled

    @property
    def waited(self) -> float:
        """Seconds spent in the queue (so far, if still queued)."""
        end = self.started if self.started is not None else (time.monotonic() if self.state == QUEUED else None)
        return max(0.0, (end or self.submitted) - self.submitted)

    @property
    def queued(self) -> bool:
        return self.state == QUEUED

    @property
    def run(self) -> TrainingRun:
        return self.trainer


def run_seconds_left(trainer: TrainingRun) -> float:
    """How long a run still needs at most: its time budget left, or its steps left at its recent rate."""
    cfg = trainer.cfg
    left = max(0.0, cfg.max_seconds - trainer.elapsed) if cfg.max_seconds else float("inf")
    if cfg.max_steps:
        rate = trainer.elapsed / trainer.step if trainer.step else None
        if rate is not None:
            left = min(left, max(0, cfg.max_steps - trainer.step) * rate)
    return left if left != float("inf") else 0.0


class Scheduler:
    """A server-wide FIFO of training runs with at most `limits.max_concurrent` training at once."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self._lock = threading.RLock()
        self._queue: list[Ticket] = []  # waiting, first in line first
        self._running: list[Ticket] = []
        self._by_session: dict[str, Ticket] = {}
        self.started_total = 0
        self.finished_total = 0
        self.waits: list[float] = []  # seconds each started run waited (the latest 1,000)
        self._paused_since: dict[int, float] = {}  # ticket id -> when the watcher first saw it paused
        self._watcher: threading.Thread | None = None

    # ------------------------------------------------------------------ submitting and leaving
    def submit(self, session: str, trainer: TrainingRun) -> Ticket:
        """Queue a not-yet-started run (Trainer or RayRun) for `session`; it starts now if a slot is free."""
        if trainer.status != "ready":
            raise SchedulerError(
                _("This run has already been started (status: {status}).").format(status=trainer.status)
            )
        with self._lock:
            mine = self._by_session.get(session)
            if mine is not None and mine.state in (QUEUED, RUNNING):
                raise SchedulerError(
                    _("This session already has a run training; stop it before starting another.")
                    if mine.state == RUNNING
                    else _("This session already has a run waiting in the queue; stop it before starting another.")
                )
            if len(self._queue) >= self.limits.max_queue:
                raise SchedulerError(
                    _("The server's queue is full ({count} runs waiting); try again in a minute.").format(
                        count=self.limits.max_queue
                    )
                )
            ticket = Ticket(session, trainer)
            trainer.add_callback("on_end", lambda _t, ticket=ticket: self._ended(ticket))
            self._by_session[session] = ticket
            self._queue.append(ticket)
            self._fill()
            return ticket

    def adopt(self, session: str, trainer: TrainingRun) -> Ticket:
        """Take in a run that is already training for `session` (a Ray run a restarted web process found
        again): it holds a slot from now on, even past `max_concurrent` (its worker is already there), so
        the class rules apply to it as to any run (one per session, pause eviction, the queue's estimates).
        Raises SchedulerError when the session has another run queued or training."""
        with self._lock:
            mine = self._by_session.get(session)
            if mine is not None and mine.state in (QUEUED, RUNNING):
                raise SchedulerError(_("This session already has a run training; stop it before starting another."))
            ticket = Ticket(session, trainer, state=RUNNING, started=time.monotonic())
            trainer.add_callback("on_end", lambda _t, ticket=ticket: self._ended(ticket))
            self._by_session[session] = ticket
            self._running.append(ticket)
            self.started_total += 1
            self._fill()  # the pause watcher
        if trainer.join(0):  # it ended before its callback was in: free the slot now
            self._ended(ticket)
        return ticket

    def cancel(self, ticket: Ticket, session: str, reason: str = "cancelled") -> bool:
        """Take a queued ticket out of the queue, or stop its run if it trains. Only its own session may."""
        if ticket.session != session:
            raise SchedulerError(_("That run belongs to another session."))
        with self._lock:
            if ticket.state == QUEUED:
                self._queue.remove(ticket)
                ticket.state, ticket.reason = CANCELLED, reason
                self._forget(ticket)
                self._renumber()
                # never started: nothing to join; on_end still fires once (monitors, journals)
                with language(getattr(ticket.trainer, "lang", None)):
                    ticket.trainer.cancel_unstarted(
                        _("Left the queue before starting ({reason}).").format(reason=reason)
                    )
                return True
            if ticket.state == RUNNING:
                ticket.reason = reason
                ticket.trainer.stop()  # the slot frees in _ended, at the run's next step
                return True
            return False

    def cancel_session(self, session: str, reason: str = "session ended") -> int:
        """Leave the queue / stop the run of a session whose tab closed. Returns how many were affected."""
        with self._lock:
            ticket = self._by_session.get(session)
            return int(ticket is not None and self.cancel(ticket, session, reason))

    def ticket_of(self, session: str) -> Ticket | None:
        """The session's queued or running ticket (None when it has none)."""
        with self._lock:
            t = self._by_session.get(session)
            return t if t is not None and t.state in (QUEUED, RUNNING) else None

    # ------------------------------------------------------------------ reading
    def wait_estimate(self, ticket: Ticket) -> float:
        """Seconds until `ticket` should get a slot (0 when running): replay the queue on the free-slot times."""
        with self._lock:
            if ticket.state != QUEUED:
                return 0.0
            slots = [run_seconds_left(t.trainer) for t in self._running]
            slots += [0.0] * max(0, self.limits.max_concurrent - len(slots))
            heapq.heapify(slots)
            for ahead in self._queue:
                free_at = heapq.heappop(slots)
                if ahead is ticket:
                    return free_at
                heapq.heappush(slots, free_at + self._duration(ahead.trainer))
            return 0.0

    def _duration(self, trainer: TrainingRun) -> float:
        cfg = trainer.cfg
        return float(cfg.max_seconds or self.limits.max_seconds)

    def counts(self) -> dict:
        with self._lock:
            return {
                "running": len(self._running),
                "queued": len(self._queue),
                "slots": self.limits.max_concurrent,
                "started": self.started_total,
                "finished": self.finished_total,
            }

    def running(self) -> list[Ticket]:
        with self._lock:
            return list(self._running)

    def queued(self) -> list[Ticket]:
        with self._lock:
            return list(self._queue)

    # ------------------------------------------------------------------ internals
    def _fill(self) -> None:
        """Start queued runs while slots are free (called with the lock held)."""
        while self._queue and len(self._running) < self.limits.max_concurrent:
            ticket = self._queue.pop(0)
            ticket.state, ticket.started = RUNNING, time.monotonic()
            self._running.append(ticket)
            self.started_total += 1
            self.waits = (self.waits + [ticket.waited])[-1000:]
            try:
                renice = getattr(ticket.trainer, "renice", None)  # a RayRun: its worker lowers its own thread
                if renice is not None:
                    renice(self.limits.nice)
                ticket.trainer.start()
                lower_priority(getattr(ticket.trainer, "thread", None), self.limits.nice)  # RayRun: None
            except Exception as exc:  # a trainer that cannot start must not hold a slot
                log.exception("run of session %s could not start", ticket.session)
                self._running.remove(ticket)
                ticket.state, ticket.reason = DONE, f"could not start: {exc}"
                self._forget(ticket)
                try:
                    with language(getattr(ticket.trainer, "lang", None)):
                        ticket.trainer.cancel_unstarted(_("The run could not start: {error}").format(error=exc))
                except RuntimeError:  # it got far enough to end by itself
                    pass
        self._renumber()
        self._warm_next()
        if self._running and self.limits.max_pause and self._watcher is None:
            self._watcher = threading.Thread(target=self._watch_pauses, name="gan-pause-watch", daemon=True)
            self._watcher.start()

    def _warm_next(self) -> None:
        """Warm the first `limits.warm_ahead` runs in line (runs that can: RayRun.warm makes its worker now), so
        each starts training within a poll of its slot freeing instead of after a new process's start-up."""
        ahead = self.limits.max_concurrent if self.limits.warm_ahead is None else self.limits.warm_ahead
        for ticket in self._queue[: max(0, ahead)]:
            warm = getattr(ticket.trainer, "warm", None)
            if warm is None:
                continue
            try:
                warm()
            except Exception:  # noqa: BLE001 - a warm start is only a head start: the run starts cold instead
                log.exception("the queued run of session %s could not be warmed", ticket.session)

    def _watch_pauses(self) -> None:
        """Watcher thread: a run paused for more than max_pause while others queue gives up its slot.

        It only reads the runs' status (a local read for every backend) and calls stop(reason), so a
        paused Ray run is judged like a paused thread. It exits when no run holds a slot; _fill starts
        it again with the next run.
        """
        while True:
            time.sleep(PAUSE_CHECK)
            with self._lock:
                if not self._running:
                    self._watcher = None
                    self._paused_since.clear()
                    return
                now, due = time.monotonic(), []
                for t in self._running:
                    if t.trainer.status != "paused":
                        self._paused_since.pop(t.id, None)
                        continue
                    since = self._paused_since.setdefault(t.id, now)
                    if self._queue and now - since > self.limits.max_pause:
                        due.append(t)
                        self._paused_since.pop(t.id, None)
            for t in due:  # outside the lock: a run's stop may fire callbacks
                run, pause = t.trainer, self.limits.max_pause
                with language(getattr(run, "lang", None)):
                    run.stop(
                        _(
                            "Stopped after {steps} steps: it was paused for more than {seconds:g} s "
                            "while other runs waited for the server's training slot."
                        ).format(steps=run.step, seconds=pause)
                    )

    def _ended(self, ticket: Ticket) -> None:
        """on_end of a run (its own thread): free the slot and start the next in line."""
        with self._lock:
            if ticket in self._running:
                self._running.remove(ticket)
                self.finished_total += 1
            if ticket in self._queue:  # it ended while queued (a run cancelled from outside the scheduler)
                self._queue.remove(ticket)
                ticket.state = CANCELLED
            if ticket.state == RUNNING:
                ticket.state = DONE
            self._forget(ticket)
            self._fill()

    def _forget(self, ticket: Ticket) -> None:
        if self._by_session.get(ticket.session) is ticket:
            del self._by_session[ticket.session]

    def _renumber(self) -> None:
        for i, t in enumerate(self._queue, 1):
            t.position = i
        for t in self._running:
            t.position = 0
