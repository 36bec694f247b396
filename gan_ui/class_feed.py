"""The feed from a student's runs to the class board: each run's tile, written every few seconds.

A tab that joined a class has a `ClassFeed` (its member token, nickname and code, and the database). The
class publisher (gan_ui/class_publisher.py, a thread of the web process) calls `feed.tick(handles)` with the
tab's runs, whatever page the student has open: a running run's tile is written when FEED_S seconds have
passed since its last write, an ended run's once more with its final status (then never again, so a tile the
teacher removed stays removed). Nothing here runs in the training loop: the tile is built from the run
handle's plain data (records, snapshots, status, quality), and a failed write (the class closed, the database
away) stops the feed with a note instead of breaking anything.

A tile: nickname (the board adds it), preset and the settings that differ from it, step, status, the D and G
loss sparklines (at most SPARK_POINTS points, the last value of each stretch of steps), the newest snapshot's
first 16 samples as a 4x4 PNG, the latest quality reading (classes present, KL, IS, Fréchet ÷ floor) and the
coach's most urgent alert, its text in every language the app speaks (the board shows the teacher's).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from gan_core.classroom_db import ClassroomDB, ClassroomError
from gan_core.coach import diagnose
from gan_core.config import PRESETS, GANConfig
from gan_core.i18n import language, supported
from gan_core.sampling import make_grid, to_png

log = logging.getLogger(__name__)

FEED_S = 2.0  # seconds between two writes of one tile: well inside the 5 s from a step to the board
SPARK_POINTS = 60  # a sparkline on a projector tile: more points than pixels would be waste
GRID_SCALE = 2  # 4x4 samples of 28 px (+ padding) -> ~240 px: crisp on a tile


NOT_RECIPE = ("preset", "max_seconds", "max_steps", "snapshot_every")  # the budget and bookkeeping: not a setting


def changed_settings(cfg: GANConfig) -> dict:
    """The recipe's settings that differ from the run's preset (all of them for a custom run)."""
    base = PRESETS[cfg.preset].config().to_dict() if cfg.preset in PRESETS else {}
    return {k: v for k, v in cfg.to_dict().items() if k not in NOT_RECIPE and base.get(k) != v}


def sparkline(values: list[float], points: int = SPARK_POINTS) -> list[float | None]:
    """At most `points` values: the last of each of `points` equal stretches (None for a non-finite value)."""
    if len(values) > points:
        values = [values[min(len(values) - 1, (i + 1) * len(values) // points - 1)] for i in range(points)]
    return [float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None for v in values]


def grid_4x4(images) -> bytes:
    return to_png(make_grid(np.asarray(images[:16], dtype=np.uint8), ncol=4), scale=GRID_SCALE)


def tile_of(run) -> dict:
    """A run handle's tile as plain JSON data (no grid)."""
    records = run.records()
    latest = run.quality.latest() if run.quality is not None else None
    step, quality = latest if latest else (None, None)
    kind, texts = None, {}
    for code, _name in supported():  # the coach's words in each language: the board shows the teacher's
        with language(code):
            alerts = diagnose(records, run.loss_info.probabilistic, quality, step)
        alert = next((a for a in alerts if a.kind != "balanced"), None)
        if alert is not None:
            kind, texts[code] = alert.kind, alert.message
    tile = {
        "run": run.number,
        "preset": run.cfg.preset or "custom",
        "changes": changed_settings(run.cfg),
        "step": run.step,
        "status": run.status,
        "d_loss": sparkline([r.d_loss for r in records]),
        "g_loss": sparkline([r.g_loss for r in records]),
        "alert": kind,
        "alert_text": texts,
        "frechet": None,
    }
    if quality is not None:
        ratio = quality.frechet / quality.frechet_floor if quality.frechet_floor else None
        tile.update(
            classes=len(quality.classes_present),
            kl=quality.class_kl,
            inception=quality.inception_score,
            fd_ratio=ratio,
            frechet=quality.frechet,
        )
    return tile


class ClassFeed:
    """One tab's membership of a class: publishes its runs' tiles, throttled."""

    def __init__(self, db: ClassroomDB, token: str, nickname: str = "", code: str = "", clock=time.monotonic):
        self.db, self.token, self.nickname, self.code, self.clock = db, token, nickname, code, clock
        self.error: str | None = None  # why the feed stopped (shown on the student's Class page)
        self._sent: dict[int, tuple[float, str, int | None]] = {}  # run -> (when, status, grid step)

    def pending(self, run) -> bool:
        """Whether the run still has something to write: it is active, or its final status is not yet out."""
        sent = self._sent.get(run.number)
        return run.active or sent is None or sent[1] != run.status

    def tick(self, handles) -> int:
        """Write the tiles that are due; the number written."""
        if self.error is not None:
            return 0
        written = 0
        now = self.clock()
        for run in handles:
            status = run.status
            if status == "queued":
                continue
            when, sent_status, grid_step = self._sent.get(run.number, (-math.inf, "", None))
            if status == sent_status and (not run.active or now - when < FEED_S):
                continue  # an ended run is written once; a live one every FEED_S
            snaps = run.snapshots()
            newest = snaps[-1] if snaps else None
            png = grid_4x4(newest.images) if newest is not None and newest.step != grid_step else None
            try:
                self.db.publish(self.token, str(run.number), tile_of(run), grid_png=png)
            except ClassroomError as err:
                self.error = str(err)
                return written
            except Exception as err:  # a database away must not break the student's page
                log.warning("class feed: %s", err)
                return written
            self._sent[run.number] = (now, status, newest.step if newest is not None else grid_step)
            written += 1
        return written
