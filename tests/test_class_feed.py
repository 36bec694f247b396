"""The feed from a run to the class board (gan_ui/class_feed.py): a real tiny run, a real SQLite class DB."""

from __future__ import annotations

from pathlib import Path

from gan_core import Trainer, preset_config
from gan_core.classroom_db import ClassroomDB
from gan_ui.class_feed import FEED_S, ClassFeed, changed_settings, sparkline
from gan_ui.run_handle import RunHandle


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def test_sparkline_keeps_the_last_of_each_stretch_and_drops_non_finite():
    assert sparkline([1.0, float("nan"), 3.0]) == [1.0, None, 3.0]
    assert sparkline(list(range(120)), points=60) == [float(2 * i + 1) for i in range(60)]


def test_changed_settings_lists_only_what_differs_from_the_preset():
    assert changed_settings(preset_config("mlp")) == {}
    assert changed_settings(preset_config("mlp", batch_size=8)) == {"batch_size": 8}


def test_a_run_feeds_its_tile_throttled_and_the_student_leaving_takes_it(tmp_path, mnist):
    db = ClassroomDB(tmp_path)
    code, secret = db.create_class()
    token = db.join(code, "Ann")["token"]
    cfg = preset_config("mlp", g_width=4, d_width=4, latent_dim=4, batch_size=8, max_steps=12, snapshot_every=5)
    handle = RunHandle(Trainer(cfg, mnist, device="cpu").run(), 1)
    clock = Clock()
    feed = ClassFeed(db, token, clock=clock)
    assert feed.tick([handle]) == 1
    (tile,) = db.tiles(secret)
    assert tile["nickname"] == "Ann" and tile["step"] == 12 and tile["status"] == "finished"
    assert tile["changes"]["batch_size"] == 8 and len(tile["d_loss"]) == 12
    assert Path(tile["grid"]).read_bytes().startswith(b"\x89PNG")
    assert feed.tick([handle]) == 0  # nothing due before FEED_S
    clock.now += FEED_S
    assert feed.tick([handle]) == 1
    db.leave(token)
    assert db.tiles(secret) == []
    assert feed.tick([handle]) == 0  # not yet due
    clock.now += FEED_S
    assert feed.tick([handle]) == 0 and feed.error  # the membership is gone: the feed stops with a note
