"""The feed from a run to the class board (gan_ui/class_feed.py) and the publisher thread that drives it
(gan_ui/class_publisher.py): real tiny runs, a real SQLite class DB, real session stores."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from thread_support import tiny_mlp, wait_for

from gan_core import Trainer, preset_config
from gan_core.classroom_db import ClassroomDB
from gan_core.i18n import supported
from gan_ui.class_feed import FEED_S, ClassFeed, changed_settings, sparkline
from gan_ui.class_publisher import Publisher
from gan_ui.run_handle import RunHandle
from gan_ui.store import SessionStore


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
    assert changed_settings(preset_config("mlp", max_steps=5, max_seconds=9.0, snapshot_every=2)) == {}  # budget


@pytest.fixture
def member(tmp_path):
    db = ClassroomDB(tmp_path)
    code, secret = db.create_class()
    token = db.join(code, "Ann")["token"]
    yield db, secret, token
    db.close()


def test_a_live_run_feeds_its_tile_throttled_an_ended_one_once_and_leaving_stops_the_feed(member, mnist):
    db, secret, token = member
    trainer = Trainer(tiny_mlp(max_steps=1_000_000), mnist, device="cpu").start()
    handle = RunHandle(trainer, 1)
    wait_for(lambda: handle.step > 0, what="a first step")
    trainer.pause()
    wait_for(lambda: handle.status == "paused", what="the run paused")
    clock = Clock()
    feed = ClassFeed(db, token, "Ann", "CODE", clock=clock)
    assert feed.tick([handle]) == 1
    (tile,) = db.tiles(secret)
    assert tile["nickname"] == "Ann" and tile["status"] == "paused" and tile["changes"]["batch_size"] == 8
    assert feed.tick([handle]) == 0  # a live run: nothing due before FEED_S
    clock.now += FEED_S
    assert feed.tick([handle]) == 1
    assert feed.pending(handle)

    trainer.stop()
    assert handle.join(60)
    assert feed.tick([handle]) == 1  # the final status goes out at once
    assert db.tiles(secret)[0]["status"] == "stopped"
    assert not feed.pending(handle)
    clock.now += 10 * FEED_S
    assert feed.tick([handle]) == 0  # an ended run is written once: a tile the teacher removes stays removed
    db.remove_tile(secret, db.tiles(secret)[0]["tile"])
    assert feed.tick([handle]) == 0 and db.tiles(secret) == []

    finished = RunHandle(Trainer(tiny_mlp(max_steps=12, snapshot_every=5), mnist, device="cpu").run(), 2)
    assert feed.tick([finished]) == 1
    (tile,) = db.tiles(secret)
    assert tile["step"] == 12 and tile["status"] == "finished" and len(tile["d_loss"]) == 12
    assert Path(tile["grid"]).read_bytes().startswith(b"\x89PNG")
    assert set(tile["alert_text"]) <= {code for code, _name in supported()}
    db.leave(token)
    assert db.tiles(secret) == []
    third = RunHandle(Trainer(tiny_mlp(max_steps=3), mnist, device="cpu").run(), 3)
    assert feed.tick([third]) == 0 and feed.error  # the membership is gone: the feed stops with a note


def test_the_publisher_follows_a_tabs_store_on_any_page_writes_the_final_tile_and_then_stops(member, mnist, app_env):
    db, secret, token = member
    tab = uuid.uuid4().hex
    store = SessionStore(owner=tab)
    publisher = Publisher(every=0.05, stores=lambda: [store])
    try:
        publisher.follow(tab, ClassFeed(db, token, "Ann", "CODE"))
        trainer = Trainer(tiny_mlp(max_steps=1_000_000), mnist, device="cpu").start()
        store.add_run(trainer)
        wait_for(lambda: [t["status"] for t in db.tiles(secret)] == ["running"], what="the running tile")
        first = db.tiles(secret)[0]["step"]
        wait_for(lambda: db.tiles(secret)[0]["step"] > first, what="the tile's step moving on")
        assert publisher.running  # a store of the tab is open: the thread keeps looking

        store.close("Stopped: its browser tab closed.")  # the tab closed: state.py stops its runs
        wait_for(lambda: db.tiles(secret)[0]["status"] == "stopped", what="the final tile")
        wait_for(lambda: not publisher.running, what="the publisher ending: nothing left to follow")
        publisher.follow(tab, publisher._feeds[tab])  # the tab's next page starts it again
        assert publisher.running
    finally:
        publisher.clear()
        store.close()
    assert not publisher.running
