"""A real `streamlit run` server with one training slot, driven by headless Chromium: a second tab's run
waits in the queue with its place shown, starts by itself when the first tab stops; and a server
restart mid-run is reported to the tab when its browser reconnects (the run is not silently lost)."""

from __future__ import annotations

import re
import time

import pytest
from e2e_support import ARTIFACTS, StreamlitServer, browser, chromium_or_skip, wait_for, wait_idle  # noqa: F401
from test_e2e import VIEWPORT, click_button, no_exception, open_page, start_run, step_count

pytestmark = [pytest.mark.browser, pytest.mark.slow]
START = '[data-testid="stBaseButton-primary"]'


@pytest.fixture
def one_slot_server(tmp_path):
    chromium_or_skip()
    env = {"GAN_CLASSROOM_MAX_CONCURRENT": "1", "GAN_CLASSROOM_RUNS_DIR": str(tmp_path / "runs")}
    server = StreamlitServer(ARTIFACTS / "e2e-classroom-server.log", env=env).start()
    yield server
    server.stop()


def test_a_queued_run_shows_its_place_then_starts_when_the_slot_frees(one_slot_server, browser):
    ctx_a, ctx_b = browser.new_context(viewport=VIEWPORT), browser.new_context(viewport=VIEWPORT)
    a = open_page(ctx_a, one_slot_server.url + "/train", START)
    start_run(a, "Steps", 100_000)
    wait_for(lambda: step_count(a) > 0, 120, what="tab A's run")
    b = open_page(ctx_b, one_slot_server.url + "/train", START)
    b.get_by_role("radio", name="5 steps", exact=True).click()
    wait_idle(b)
    click_button(b, "Start")
    b.wait_for_selector("text=Waiting for a free training slot — number 1 in line", timeout=60_000)
    assert b.locator("text=waiting for a slot").count() >= 1  # the status badge
    no_exception(b)
    wait_idle(b)
    b.screenshot(path=str(ARTIFACTS / "e2e-train-queued.png"))  # docs/screenshots/ keeps a copy
    assert step_count(b) == 0
    click_button(a, "Stop")  # the slot frees ...
    b.wait_for_selector("text=Reached the budget of 5 steps.", timeout=120_000)  # ... and B's run ran
    assert step_count(b) == 5
    no_exception(a)
    no_exception(b)
    ctx_a.close()
    ctx_b.close()


def test_a_server_restart_mid_run_is_reported_as_interrupted(tmp_path, browser):
    chromium_or_skip()
    env = {"GAN_CLASSROOM_RUNS_DIR": str(tmp_path / "runs")}
    log = ARTIFACTS / "e2e-restart-server.log"
    server = StreamlitServer(log, env=env).start()
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        page = open_page(ctx, server.url + "/train", START)
        start_run(page, "Steps", 100_000)
        wait_for(lambda: step_count(page) >= 10, 120, what="some training")
        time.sleep(3)  # the journal writes progress every 2 s
        assert "tab=" in page.url  # the token the journal files the run under
        server.proc.kill()  # the server dies mid-run (no clean stop)
        server.proc.wait(10)
        server = StreamlitServer(log.with_name("e2e-restart-server-2.log"), env=env, port=server.port).start()
        note = page.wait_for_selector("text=/interrupted at step [0-9,]+ when the server restarted/", timeout=120_000)
        step = int(re.search(r"interrupted at step ([0-9,]+)", note.inner_text()).group(1).replace(",", ""))
        assert step >= 3  # where it was, not "step 0"
        no_exception(page)
        page.wait_for_selector("text=No run yet", timeout=60_000)  # nothing pretends to be still running
        page.screenshot(path=str(ARTIFACTS / "e2e-restart-interrupted.png"))
    finally:
        ctx.close()
        server.stop()
