"""The class board in a real browser (issue #24): a teacher creates a class and opens the board; five students,
each in their own Chromium context (one browser), join with the code and start a run; the board shows their
five tiles, and every tile's step moves on, one student's while they look at Explore instead of their live
charts (the class publisher writes tiles whatever page is open). A stopped run is handed in and comes back in
the teacher's zip; a student leaving takes their tile.

A real `streamlit run` server with a private runs folder (the class database lives there), room for the five
runs at once (GAN_CLASSROOM_MAX_CONCURRENT) and for as long as the test takes (GAN_CLASSROOM_MAX_SECONDS), and
Debian's Chromium through Playwright. The 5 s target from a step to the board is measured in bench/, not
asserted here: TILE_WAIT only bounds each wait, so a broken feed fails instead of hanging.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from e2e_support import ARTIFACTS, StreamlitServer, browser, chromium_or_skip, wait_for, wait_idle  # noqa: F401
from test_e2e import VIEWPORT, click_button, no_exception, open_page, start_run

from gan_core.classroom_rules import member_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TILE_WAIT = 90  # seconds: a liveness bound on a shared 2-core machine, not the target
STUDENTS = ("Ann", "Bea", "Cai", "Dev", "Eli")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    chromium_or_skip()
    runs = tmp_path_factory.mktemp("runs")
    env = {
        "GAN_CLASSROOM_RUNS_DIR": str(runs),
        "GAN_CLASSROOM_MAX_CONCURRENT": str(len(STUDENTS)),  # the five runs train at once
        "GAN_CLASSROOM_MAX_SECONDS": "3600",  # and none reaches its time cap while the others are still starting
    }
    srv = StreamlitServer(ARTIFACTS / "e2e-class-board-server.log", env=env)
    yield srv.start()
    srv.stop()


def board_text(board) -> str:
    return board.locator('[data-testid="stMain"]').inner_text()


def tile_steps(board) -> dict[str, int]:
    """Each student's step as the board shows it now (missing while the board is between two refreshes)."""
    text = board_text(board)
    found = {}
    for nick in STUDENTS:
        match = re.search(rf"{nick} · [^\n]*\n+step (\d+)", text)
        if match:
            found[nick] = int(match.group(1))
    return found


def can_hand_in(page) -> bool:
    """Open the Class page from the menu (same tab, same session) and see whether a run can be handed in."""
    page.get_by_role("link", name="Class", exact=True).first.click()
    wait_idle(page, None, timeout=120)
    return page.get_by_role("button", name="Hand in", exact=True).count() > 0


def stopped(page) -> bool:
    """Press Stop until the page says the run stopped. Under load the live panel reruns without a pause, and a
    click that lands while it is being redrawn can be lost; the page is not left before the run has stopped (the
    Class page hands in an ended run only)."""
    if page.get_by_text("Stopped by the user").count():
        return True
    stop = page.get_by_role("button", name="Stop", exact=True)
    if stop.count() and stop.first.is_enabled():
        stop.first.click()
    return False


def join(ctx, server, code: str, nick: str):
    page = open_page(ctx, server.url + "/class", 'input[aria-label="Class code"]')
    page.get_by_label("Class code").fill(code)
    page.get_by_label("Nickname").fill(nick)
    click_button(page, "Join")
    page.get_by_text(f"as {nick}").wait_for(timeout=60_000)
    no_exception(page)
    return page


def goto(page, name: str) -> None:
    """Another page of the app from its menu: the same session, so a training run goes on (a new page load would
    end the session, and in test mode a tab's run has no grace period)."""
    page.get_by_role("link", name=name, exact=True).first.click()
    wait_idle(page, None, timeout=120)


def test_teacher_board_with_five_students(server, browser):  # noqa: F811
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

    students = {nick: join(browser.new_context(viewport=VIEWPORT), server, code, nick) for nick in STUDENTS}
    for student in students.values():
        goto(student, "Train")
        wait_idle(student, '[data-testid="stBaseButton-primary"]', timeout=120)
        start_run(student, "Steps", 100_000)
    goto(students["Cai"], "Explore")  # Cai looks at Explore: no live panel of hers is open

    first = wait_for(lambda: (s := tile_steps(board)).keys() == set(STUDENTS) and s, TILE_WAIT, what="5 tiles")
    last: dict[str, int] = {}

    def all_moved():
        last.update(tile_steps(board))
        return all(last.get(n, 0) > first[n] for n in STUDENTS) and dict(last)

    try:
        moved = wait_for(all_moved, TILE_WAIT, what="every tile's step moving on")
    except AssertionError as err:
        raise AssertionError(f"{err}: steps first {first}, last seen {last}") from None
    print(f"board steps: first {first}, later {moved}")
    images = board.locator('[data-testid="stMain"] [data-testid="stImage"]')
    wait_for(lambda: images.count() >= 2 * len(STUDENTS), TILE_WAIT, what="every tile's 4x4 grid and sparkline")
    text = board_text(board)
    tabs = {nick: re.search(r"tab=([0-9a-f]{32})", s.url).group(1) for nick, s in students.items()}
    assert not any(t in text or member_token(t) in text for t in tabs.values())  # nicknames only
    board.screenshot(path=str(ARTIFACTS / "e2e-class-board.png"), full_page=True)

    bea = students["Bea"]
    wait_for(lambda: stopped(bea), 180, interval=3, what="Bea's run to stop")
    wait_for(lambda: can_hand_in(bea), 180, interval=2, what="Bea's stopped run, ready to hand in")
    click_button(bea, "Hand in")
    bea.get_by_text("Handed in").wait_for(timeout=60_000)

    ann = students["Ann"]
    goto(ann, "Class")
    click_button(ann, "Leave the class")
    wait_for(lambda: "Ann" not in board_text(board), TILE_WAIT, what="Ann's tile gone")
    for nick in ("Cai", "Dev", "Eli"):
        goto(students[nick], "Train")
        click_button(students[nick], "Stop")  # free the CPU for the rest

    board.reload()
    board.get_by_text("Download 1 hand-ins").wait_for(timeout=60_000)
    with board.expect_download() as info:
        board.get_by_role("button", name=re.compile("Download 1 hand-ins")).click()
    archive = zipfile.ZipFile(info.value.path())
    rows = list(csv.DictReader(io.StringIO(archive.read("hand_ins.csv").decode())))
    assert [r["nickname"] for r in rows] == ["Bea"] and int(rows[0]["step"]) > 0
    assert "config.json" in zipfile.ZipFile(io.BytesIO(archive.read(rows[0]["file"]))).namelist()
