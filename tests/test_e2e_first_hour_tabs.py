"""A class's first hour, in a real browser (issue #18, items 1-3): a tab keeps its identity and its
teacher's locks through every way a student can move around, a reload finds the tab's run again, and
the run selector shows the run the student just acted on.

A real `streamlit run` server (one training slot, a disconnect grace of GRACE seconds, tabs kept five
minutes after their last page, a private run folder) driven by Debian's Chromium through Playwright.
Screenshots land in artifacts/.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from e2e_support import ARTIFACTS, StreamlitServer, browser, chromium_or_skip, shot, wait_for, wait_idle  # noqa: F401
from test_e2e import VIEWPORT, click_button, no_exception, open_page, start_run, step_count

from gan_core import PRESETS
from gan_ui.layout import PAGE_SPECS
from gan_ui.lessons import LESSONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START = '[data-testid="stBaseButton-primary"]'
GRACE = 8  # seconds a disconnected tab's run is kept for a reconnect
LOCKED = ("Preset", "Loss", "Learning rate G", "Learning rate D")  # what lock=lr,loss fixes (preset with them)
TEACHER_LINK = "/learn?lesson=5&lock=lr,loss&projector=1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    chromium_or_skip()
    env = {
        "GAN_CLASSROOM_MAX_CONCURRENT": "1",
        "GAN_CLASSROOM_DISCONNECT_GRACE": str(GRACE),
        "GAN_CLASSROOM_TAB_KEEP": "300",
        "GAN_CLASSROOM_RUNS_DIR": str(tmp_path_factory.mktemp("runs")),
    }
    srv = StreamlitServer(ARTIFACTS / "e2e-first-hour-server.log", env=env).start()
    yield srv
    srv.stop()


def tab_of(url: str) -> str:
    return parse_qs(urlparse(url).query).get("tab", [""])[0]


def menu(page, name: str, ready: str | None = None, path: str | None = None) -> None:
    """Click a page in the app's top menu, as a student does. With `path`, wait until the address is that page's,
    and click again if it is not within 20 s: a click that lands while a rerun redraws the menu (a lesson's run
    just ended) can meet the old link as it is replaced (the fresh-clone CI at f109f88 saw the page stay on /learn)."""
    for _ in range(3):
        page.get_by_role("link", name=name, exact=True).first.click()
        if path is None:
            break
        try:
            wait_for(lambda: urlparse(page.url).path == path, 20, interval=0.2, what=f"the {path} page")
            break
        except AssertionError:
            continue
    wait_idle(page, ready, timeout=120)


def editable(page) -> list[str]:
    """The controls of LOCKED that this Train page lets a student change."""
    found = []
    for name in ("Preset", "Loss"):
        if page.get_by_role("combobox", name=name, exact=True).is_enabled():
            found.append(name)
    for name in ("Learning rate G", "Learning rate D"):
        thumb = page.locator('[data-testid="stSlider"]').filter(has_text=name).locator('input[type="range"]')
        if thumb.is_enabled():
            found.append(name)
    return found


def values(page) -> dict[str, str]:
    """What the LOCKED controls show (each waited for: after the back button Streamlit can redraw the page twice,
    the URL's page and then the tab's, and a control of the first drawing is gone before the second has it)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    shown = {}
    for name in ("Preset", "Loss"):
        box = page.get_by_role("combobox", name=name, exact=True)
        try:
            box.wait_for(timeout=120_000)
        except PlaywrightTimeout:  # what the page showed instead, for the report
            path = shot(page, f"e2e-first-hour-no-{name.lower()}")
            main = page.locator('[data-testid="stMain"]').inner_text(timeout=10_000)[:600]
            raise AssertionError(f"no {name} box at {page.url} (screenshot {path}); the page says: {main!r}") from None
        shown[name] = box.input_value(timeout=120_000)
    for name in ("Learning rate G", "Learning rate D"):
        thumb = page.locator('[data-testid="stSlider"]').filter(has_text=name).locator('input[type="range"]')
        shown[name] = thumb.get_attribute("aria-valuetext")
    return shown


def assert_locked(page, how: str, token: str, held: dict | None = None) -> None:
    """The Train page as the teacher's link set it: the locked controls disabled and holding the tab's
    values, the note, projector type."""
    wait_idle(page, START, timeout=120)
    no_exception(page)
    if held is not None:
        assert values(page) == held, f"after {how} the locked controls show other values"
    assert urlparse(page.url).path == "/train", f"after {how}: {page.url}"
    assert tab_of(page.url) == token, f"after {how} the tab's token changed: {page.url}"
    assert editable(page) == [], f"after {how} a student can change {editable(page)}"
    assert page.get_by_text("Your teacher fixed: loss, lr.").count() == 1, f"after {how}: no lock note"
    font = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert font == "20px", f"after {how} projector mode is gone (font {font})"


def test_no_way_found_to_unlock_a_teachers_lock(server, browser, tmp_path):
    # The check can see an editable control: a plain tab can edit all four.
    plain = browser.new_context(viewport=VIEWPORT)
    free = open_page(plain, server.url + "/train", START)
    assert editable(free) == list(LOCKED)
    plain.close()

    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, server.url + TEACHER_LINK, "text=Lesson 5")
    token = tab_of(page.url)
    assert len(token) == 32, page.url
    lesson = LESSONS[4]
    page.get_by_text(lesson.choices[0], exact=True).click()  # a lesson's run waits for a prediction
    click_button(page, "Run the collapse preset")  # the lesson's run sets the locked controls' values
    page.wait_for_selector("text=Reached the budget of 6 steps.", timeout=120_000)
    menu(page, "Train", START, path="/train")
    assert_locked(page, "the top menu", token)
    held = values(page)
    assert held["Preset"] == "collapse", held
    hrefs = page.locator('[data-testid="stPageLink-NavLink"]').evaluate_all("links => links.map(a => a.href)")
    assert len(hrefs) == len(PAGE_SPECS), hrefs  # one link a page, each with the token
    assert [h for h in hrefs if tab_of(h) != token] == [], "links between pages that drop the tab's token"
    shot(page, "e2e-first-hour-locked-train")

    page.reload()
    assert_locked(page, "a reload (F5)", token, held)

    menu(page, "Explore")
    page.go_back()
    assert_locked(page, "the back button", token, held)

    for edit in ("", "&lock=", "&lock=seed", "&lock=&hide=&projector=0", "&lesson=5&lock=seed&projector=0"):
        page.goto(f"{server.url}/train?tab={token}{edit}")
        assert_locked(page, f"editing the URL to /train?tab=…{edit}", token, held)
        if "seed" in edit:  # the page says why the changed address changed nothing
            assert page.get_by_text("This tab keeps the settings of your teacher's link").count() == 1
    shot(page, "e2e-first-hour-url-edited")

    # a config.json that sets a locked control is refused, and says why
    cfg = PRESETS["collapse"].config().replace(lr_g=1e-5, max_steps=5, max_seconds=0.0)
    (tmp_path / "config.json").write_text(cfg.to_json())
    page.locator('[data-testid="stExpander"]', has_text="Load a config.json").locator("summary").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(tmp_path / "config.json"))
    refused = page.get_by_text(
        "config.json was not loaded; the controls are unchanged. Your teacher fixed", exact=False
    )
    refused.wait_for(timeout=60_000)
    assert "G's learning rate" in refused.inner_text()
    assert_locked(page, "loading a config.json", token, held)

    other = browser.new_context(viewport=VIEWPORT)  # a new window (even another profile), same token
    window = other.new_page()
    window.goto(f"{server.url}/train?tab={token}")
    assert_locked(window, "a new window with the same token", token, held)
    other.close()
    ctx.close()


def _run_or_nothing(page):
    """Wait for the Train page to show a run (its step metric) or say it has none."""
    either = page.locator('[data-testid="stMetric"]').or_(page.get_by_text("No run yet"))
    either.first.wait_for(timeout=120_000)
    wait_idle(page, timeout=120)


def test_a_reload_mid_run_reattaches_to_the_run(server, browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, server.url + "/train", START)
    token = tab_of(page.url)
    start_run(page, "Steps", 100_000)
    wait_for(lambda: step_count(page) >= 3, 120, what="the run to train")
    page.reload()
    reloaded = time.monotonic()
    _run_or_nothing(page)
    no_exception(page)
    assert page.get_by_text("No run yet").count() == 0, "the reload lost the tab's run from view"
    assert tab_of(page.url) == token
    steps = step_count(page)
    wait_for(lambda: step_count(page) > steps, 60, what="the re-attached run to keep streaming")
    assert page.get_by_text(re.compile(r"\btraining$")).count() >= 1  # the status badge
    assert page.locator('[class*="st-key-live_loss_"] .js-plotly-plot').count() == 1
    assert page.get_by_role("button", name="Stop", exact=True).is_enabled()
    assert page.get_by_role("button", name="Start", exact=True).is_disabled()
    # ... and it stays attached after the grace period a disconnected tab gets
    later = wait_for(
        lambda: time.monotonic() - reloaded > GRACE + 2 and step_count(page), 120, what="the grace period to pass"
    )
    wait_for(lambda: step_count(page) > later, 60, what="the run to train on after the grace period")
    assert "its tab did not reconnect" not in server.log()
    shot(page, "e2e-first-hour-reattached")
    click_button(page, "Stop")
    page.wait_for_selector("text=/Stopped by the user after/", timeout=60_000)
    start_run(page, "5 steps")  # the only slot is free: no invisible run holds it
    page.wait_for_selector("text=Reached the budget of 5 steps.", timeout=120_000)
    no_exception(page)
    ctx.close()


def test_a_reload_while_queued_keeps_the_place_in_line(server, browser):
    ctx_a, ctx_b = browser.new_context(viewport=VIEWPORT), browser.new_context(viewport=VIEWPORT)
    a = open_page(ctx_a, server.url + "/train", START)
    start_run(a, "Steps", 100_000)  # holds the server's only slot
    wait_for(lambda: step_count(a) >= 1, 120, what="tab A's run")
    b = open_page(ctx_b, server.url + "/train", START)
    start_run(b, "5 steps")
    b.wait_for_selector("text=Waiting for a free training slot — number 1 in line", timeout=60_000)
    b.reload()
    _run_or_nothing(b)
    no_exception(b)
    assert b.get_by_text("No run yet").count() == 0, "the reload lost the queued run from view"
    b.wait_for_selector("text=Waiting for a free training slot — number 1 in line", timeout=60_000)
    assert b.get_by_role("button", name="Stop", exact=True).is_enabled()  # it can still leave the line
    click_button(a, "Stop")  # the slot frees: B's run starts and ends in B's view
    b.wait_for_selector("text=Reached the budget of 5 steps.", timeout=120_000)
    assert step_count(b) == 5
    no_exception(b)
    ctx_a.close()
    ctx_b.close()


def test_a_tab_back_after_the_grace_period_finds_its_run_stopped_and_why(server, browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, server.url + "/train", START)
    token = tab_of(page.url)
    start_run(page, "Steps", 100_000)
    wait_for(lambda: step_count(page) >= 3, 120, what="the run to train")
    away = server.log().count("its tab did not reconnect")
    page.goto("about:blank")  # the student closes the page, then comes back
    wait_for(lambda: server.log().count("its tab did not reconnect") > away, GRACE + 60, what="the grace period to end")
    page.goto(f"{server.url}/train?tab={token}")
    _run_or_nothing(page)
    no_exception(page)
    assert page.get_by_text("No run yet").count() == 0, "the tab's stopped run is invisible"
    assert step_count(page) >= 3
    why = page.get_by_text("this tab was away (closed, or offline) for more than", exact=False)
    assert why.count() == 1, "the run's end is not explained"
    assert page.get_by_role("button", name="Open in Explore", exact=True).is_enabled()
    shot(page, "e2e-first-hour-back-after-grace")
    start_run(page, "5 steps")
    page.wait_for_selector("text=Reached the budget of 5 steps.", timeout=120_000)
    no_exception(page)
    ctx.close()


def _shown_run(page) -> str:
    return page.get_by_role("combobox", name="Run", exact=True).input_value()


def test_after_stop_the_page_shows_the_stopped_run_and_explore_opens_it(server, browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, server.url + "/train", START)
    start_run(page, "5 steps")
    page.wait_for_selector("text=Reached the budget of 5 steps.", timeout=120_000)
    wait_idle(page, START)
    click_button(page, "Start")  # run 2, same budget
    page.get_by_role("combobox", name="Run", exact=True).wait_for(timeout=120_000)
    wait_for(
        lambda: _shown_run(page).startswith("Run 2") and "finished" in _shown_run(page), 120, what="run 2 to finish"
    )
    start_run(page, "Steps", 100_000)  # run 3, stopped by the student
    wait_for(lambda: step_count(page) >= 3, 120, what="run 3 to train")
    click_button(page, "Stop")
    page.get_by_role("combobox", name="Run", exact=True).wait_for(timeout=120_000)
    wait_idle(page)
    shown = _shown_run(page)
    assert shown.startswith("Run 3"), f"after stopping run 3 the page shows {shown!r}"
    assert shown.endswith("stopped"), shown
    page.wait_for_selector("text=/Stopped by the user after/", timeout=60_000)
    shot(page, "e2e-first-hour-after-stop")
    click_button(page, "Open in Explore")
    wait_idle(page, '[data-testid="stImage"]', timeout=120)
    model = page.get_by_role("combobox", name="Generator", exact=True).input_value()
    assert model.startswith("Run 3"), f"Open in Explore opened {model!r}"
    no_exception(page)
    ctx.close()
