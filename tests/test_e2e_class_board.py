"""The class board in a real browser (issue #24): a teacher creates a class and opens the board, two students
in Chromium join and train, three more join through the protocol (the class database, as another app replica
would); tiles appear and update, a student's leaving takes their tile, a hand-in comes back in the teacher's zip.

A real `streamlit run` server with a private runs folder (the class database lives there) and Debian's
Chromium through Playwright. The 5 s target from a step to the board is measured in bench/, not asserted here:
TILE_WAIT is only a bound so that a broken feed fails instead of hanging.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from e2e_support import ARTIFACTS, StreamlitServer, browser, chromium_or_skip, wait_for, wait_idle  # noqa: F401
from test_e2e import VIEWPORT, click_button, no_exception, open_page, start_run

from gan_core.classroom_db import ClassroomDB

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TILE_WAIT = 30  # seconds: a liveness bound, not the target


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    chromium_or_skip()
    runs = tmp_path_factory.mktemp("runs")
    srv = StreamlitServer(ARTIFACTS / "e2e-class-board-server.log", env={"GAN_CLASSROOM_RUNS_DIR": str(runs)})
    srv.runs = runs
    yield srv.start()
    srv.stop()


def board_text(board) -> str:
    return board.locator('[data-testid="stMain"]').inner_text()


def tile_step(board, nick: str) -> int | None:
    """The step on a student's tile (None while the board is between two refreshes)."""
    found = re.search(rf"{nick} · [^\n]*\n+step (\d+)", board_text(board))
    return int(found.group(1)) if found else None


def can_hand_in(page) -> bool:
    """Open the Class page from the menu (same tab, same session) and see whether a run can be handed in."""
    page.get_by_role("link", name="Class", exact=True).first.click()
    wait_idle(page, None, timeout=120)
    return page.get_by_role("button", name="Hand in", exact=True).count() > 0


def join(ctx, server, code: str, nick: str):
    page = open_page(ctx, server.url + "/class", 'input[aria-label="Class code"]')
    page.get_by_label("Class code").fill(code)
    page.get_by_label("Nickname").fill(nick)
    click_button(page, "Join")
    page.get_by_text(f"as {nick}").wait_for(timeout=60_000)
    no_exception(page)
    return page


def test_teacher_board_with_students(server, browser):  # noqa: F811
    teacher = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = open_page(teacher, server.url + "/class", 'input[aria-label="Class code"]')
    page.get_by_text("For teachers: start a class board").click()
    click_button(page, "Create a class")
    shown = page.get_by_text(re.compile(r"Code for the students: [A-Z0-9]{6}"))
    shown.wait_for(timeout=60_000)
    code = shown.inner_text().split(":")[1].strip()
    page.get_by_role("link", name="Open the class board (keep this link to yourself)").click()
    page.get_by_text(f"Class board · code {code}").wait_for(timeout=60_000)
    board = page
    assert "board=" in board.url

    students = [browser.new_context(viewport=VIEWPORT) for _i in range(2)]
    ann = join(students[0], server, code, "Ann")
    bea = join(students[1], server, code, "Bea")
    other = ClassroomDB(server.runs)  # protocol clients: three more students, through the database
    tokens = [other.join(code, nick, client=nick)["token"] for nick in ("Cai", "Dev", "Eli")]
    for i, token in enumerate(tokens):
        other.publish(token, "1", {"step": 100 * (i + 1), "preset": "mlp", "status": "running"})

    ann.goto(re.sub(r"/class", "/train", ann.url))
    wait_idle(ann, '[data-testid="stBaseButton-primary"]', timeout=120)
    start_run(ann, "Steps", 100_000)
    wait_for(lambda: "Ann" in board_text(board), TILE_WAIT, what="Ann's tile on the board")
    wait_for(lambda: all(n in board_text(board) for n in ("Cai", "Dev", "Eli")), TILE_WAIT, what="5 tiles")
    first = wait_for(lambda: tile_step(board, "Ann"), TILE_WAIT, what="Ann's step")
    wait_for(lambda: (tile_step(board, "Ann") or 0) > first, TILE_WAIT, what="Ann's tile updated")
    assert tokens[0] not in board_text(board)
    board.screenshot(path=str(ARTIFACTS / "e2e-class-board.png"))

    bea.goto(re.sub(r"/class", "/train", bea.url))
    wait_idle(bea, '[data-testid="stBaseButton-primary"]', timeout=120)
    start_run(bea, "5 steps")
    wait_for(lambda: can_hand_in(bea), 120, interval=2, what="Bea's run finished, ready to hand in")
    click_button(bea, "Hand in")
    bea.get_by_text("Handed in").wait_for(timeout=60_000)

    ann.goto(re.sub(r"/train", "/class", ann.url))
    wait_idle(ann, None, timeout=120)
    click_button(ann, "Leave the class")
    wait_for(lambda: "Ann" not in board_text(board), TILE_WAIT, what="Ann's tile gone")

    board.reload()
    board.get_by_text("Download 1 hand-ins").wait_for(timeout=60_000)
    with board.expect_download() as info:
        board.get_by_role("button", name=re.compile("Download 1 hand-ins")).click()
    archive = zipfile.ZipFile(info.value.path())
    rows = list(csv.DictReader(io.StringIO(archive.read("hand_ins.csv").decode())))
    assert [r["nickname"] for r in rows] == ["Bea"] and rows[0]["step"] == "5"
    assert "config.json" in zipfile.ZipFile(io.BytesIO(archive.read(rows[0]["file"]))).namelist()
    other.close()
