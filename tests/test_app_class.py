"""The Class page and the class board through AppTest: a teacher creates a class, students join (and are
refused with a clear message), tiles show on the board (written by the class publisher while the student is on
another page than Train), a run is handed in and comes back in the teacher's zip with its CSV, a student leaving
takes their tile, locks pushed from the board reach the students; a server restart keeps the class."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from e2e_support import ROOT
from streamlit.testing.v1 import AppTest
from thread_support import tiny_mlp, wait_for

from gan_core import Trainer
from gan_core.classroom_rules import member_token
from gan_ui import class_state, state, teacher
from gan_ui.class_board import hand_ins_zip
from gan_ui.class_feed import FEED_S, ClassFeed
from gan_ui.store import SessionStore

APP = str(ROOT / "app.py")
TIMEOUT = 120
pytestmark = pytest.mark.usefixtures("app_env")


def open_class(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("gan_ui/pages/class.py").run()
    assert not at.exception, at.exception
    return at


def tab(at: AppTest) -> str:
    value = at.query_params["tab"]
    return value[0] if isinstance(value, list) else value


def join(at: AppTest, code: str, nick: str) -> AppTest:
    at.text_input(key="class_code").set_value(code)
    at.text_input(key="class_nick").set_value(nick)
    next(b for b in at.button if b.label == "Join").click().run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in (*at.markdown, *at.success, *at.error, *at.caption, *at.title, *at.warning))


def train(at: AppTest, mnist, secret: str) -> None:
    """A 12-step run of the tab, finished, in its store; waits for its final tile (the class publisher)."""
    store = next(s for s in state.live_stores() if s.owner == tab(at) and not s.closed)
    store.add_run(Trainer(tiny_mlp(max_steps=12, snapshot_every=5), mnist, device="cpu").run())
    finished = [("finished", 12)]
    wait_for(lambda: [(t["status"], t["step"]) for t in class_state.db().tiles(secret)] == finished, what="the tile")


def test_create_join_board_hand_in_leave(tmp_path, mnist):
    class_state.reset(tmp_path)
    teacher_tab = open_class()
    teacher_tab.button(key="class_create").click().run()
    code, secret = teacher_tab.session_state["class_created"]
    assert code in texts(teacher_tab)

    ann = join(open_class(), code, "Ann")
    assert "Ann" in texts(ann) and code in texts(ann)
    wrong = join(open_class(), "ZZZZZZ", "Bob")
    assert "No class has that code" in texts(wrong)
    dup = join(open_class(), code, "ann")
    assert "already uses that nickname" in texts(dup)

    train(ann, mnist, secret)  # Ann is on the Class page: the publisher writes her tile all the same
    board = open_class(board=secret)
    assert code in texts(board) and "Ann" in texts(board) and "step 12" in texts(board)
    assert member_token(tab(ann)) not in texts(board) and tab(ann) not in texts(board)  # nicknames only

    ann.run()
    ann.button(key="class_hand_in").click().run()
    assert not ann.exception, ann.exception
    assert "Handed in" in texts(ann)
    entries = class_state.db().hand_ins(secret)
    archive = zipfile.ZipFile(io.BytesIO(hand_ins_zip(entries)))
    rows = list(csv.DictReader(io.StringIO(archive.read("hand_ins.csv").decode())))
    assert rows[0]["nickname"] == "Ann" and rows[0]["step"] == "12"
    bundle = zipfile.ZipFile(io.BytesIO(archive.read(rows[0]["file"])))
    assert "config.json" in bundle.namelist()

    board.multiselect(key="b_lock").set_value(["lr"])
    board.button(key="board_push").click().run()
    assert not board.exception, board.exception
    ann.switch_page("gan_ui/pages/train.py").run()
    assert ann.select_slider(key="cfg_lr_g").disabled

    ann.switch_page("gan_ui/pages/class.py").run()
    ann.button(key="class_leave").click().run()
    assert class_state.db().tiles(secret) == []
    board = open_class(board=secret)
    assert "Ann" not in texts(board)
    assert "not valid" in texts(open_class(board="not-a-secret"))


def test_a_server_restart_keeps_the_class_its_tiles_and_the_teachers_locks(tmp_path, mnist):
    class_state.reset(tmp_path)
    code, secret = class_state.db().create_class()
    ann = join(open_class(), code, "Ann")
    train(ann, mnist, secret)
    board = open_class(board=secret)
    board.multiselect(key="b_lock").set_value(["lr"])
    board.button(key="board_push").click().run()

    class_state.reset(tmp_path)  # the restart: a new database handle on the same file, nothing in memory ...
    teacher._BY_TAB.clear()  # ... not the teacher settings of any tab ...
    state.forget_tabs()  # ... nor any tab's store
    back = open_class(tab=tab(ann))  # Ann's tab reconnects to the new server (same ?tab= address)
    assert f"You are in class {code} as Ann" in texts(back)
    back.switch_page("gan_ui/pages/train.py").run()
    assert not back.exception, back.exception
    assert back.select_slider(key="cfg_lr_g").disabled  # the lock the teacher pushed before the restart
    board = open_class(board=secret)
    assert "Ann" in texts(board) and "step 12" in texts(board)
    others = open_class()  # a tab that never joined is in no class
    assert "Class code" in [t.label for t in others.text_input]


def test_an_unreachable_class_database_breaks_no_page(tmp_path, monkeypatch):
    """Every page asks whether its tab is in a class: a PostgreSQL server that is down must not break them."""
    class_state.reset(tmp_path)
    monkeypatch.setenv("GAN_CLASSROOM_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")  # nothing listens
    monkeypatch.setattr(class_state, "_db", None)  # the next use opens the database anew: at that URL
    monkeypatch.setattr(class_state, "_down_until", 0.0)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("gan_ui/pages/train.py").run()
    assert not at.exception, at.exception
    assert class_state._down_until > 0  # it was asked, failed, and is left alone for a while


def test_the_board_with_thirty_live_runs(tmp_path, mnist):
    """30 students, each with a real run training in its own thread, their tiles written by their feeds as the
    class publisher does: the board shows all 30 with their steps, filters them by a setting, sorts them by step,
    and a second write of every tile (FEED_S later) reaches the board's next refresh."""
    db = class_state.reset(tmp_path)
    code, secret = db.create_class()
    now = [0.0]  # the feeds' clock: FEED_S passes when the test says so, not by sleeping
    students = []
    try:
        for i in range(30):
            nick = f"S{i:02d}"
            token = db.join(code, nick, client=f"client{i}")["token"]
            cfg = tiny_mlp(max_steps=100_000, snapshot_every=5, **({"lr_g": 1e-3} if i % 2 else {}))
            handle = SessionStore().add_run(Trainer(cfg, mnist, device="cpu").start())
            students.append((nick, handle, ClassFeed(db, token, nick, code, clock=lambda: now[0])))
        wait_for(lambda: all(h.snapshots() for _n, h, _f in students), timeout=TIMEOUT, what="30 runs training")
        assert sum(feed.tick([h]) for _n, h, feed in students) == 30
        first = {t["nickname"]: t["step"] for t in db.tiles(secret)}
        assert len(first) == 30 and all(t["status"] == "running" for t in db.tiles(secret))

        board = open_class(board=secret)
        shown = texts(board)
        assert "30 runs" in shown
        assert all(nick in shown for nick, _h, _f in students)
        assert all(t.get("grid") for t in db.tiles(secret))  # every tile has its 4x4 grid of samples

        board.text_input(key="board_filter").set_value("lr_g").run()
        assert "15 runs" in texts(board)
        board.text_input(key="board_filter").set_value("").run()
        board.selectbox(key="board_sort").set_value("step").run()
        assert not board.exception, board.exception

        wait_for(lambda: all(h.step > first[n] for n, h, _f in students), timeout=TIMEOUT, what="more steps")
        now[0] += FEED_S
        assert sum(feed.tick([h]) for _n, h, feed in students) == 30
        second = {t["nickname"]: t["step"] for t in db.tiles(secret)}
        assert all(second[n] > first[n] for n in first)
        board.run()
        shown = texts(board)
        newest = max(second.items(), key=lambda kv: kv[1])
        assert f"step {newest[1]:,}" in shown or f"step {newest[1]}" in shown
    finally:
        for _n, handle, _f in students:
            handle.stop()
