"""The Class page and the class board through AppTest: a teacher creates a class, students join (and are
refused with a clear message), tiles show on the board, a run is handed in and comes back in the teacher's
zip with its CSV, a student leaving takes their tile, locks pushed from the board reach the students."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from e2e_support import ROOT
from streamlit.testing.v1 import AppTest

from gan_core import Trainer, preset_config
from gan_ui import class_state

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

    from gan_ui.state import live_stores

    store = next(s for s in live_stores() if s.owner == tab(ann) and not s.closed)
    cfg = preset_config("mlp", g_width=4, d_width=4, latent_dim=4, batch_size=8, max_steps=12, snapshot_every=5)
    handle = store.add_run(Trainer(cfg, mnist, device="cpu").run())
    class_state._FEEDS[tab(ann)].tick([handle])  # what the live panel's poll does

    board = open_class(board=secret)
    assert code in texts(board) and "Ann" in texts(board) and "step 12" in texts(board)
    member_token = class_state._FEEDS[tab(ann)].token
    assert member_token not in texts(board) and tab(ann) not in texts(board)  # nicknames only

    ann.run()
    ann.button(key="class_hand_in").click().run()
    assert not ann.exception, ann.exception
    assert "Handed in" in texts(ann)
    entries = class_state.db().hand_ins(secret)
    from gan_ui.class_board import hand_ins_zip

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
