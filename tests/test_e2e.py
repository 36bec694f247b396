"""End to end in a real browser: `streamlit run app.py` in a subprocess, Debian's Chromium via Playwright.

Proves what AppTest cannot: the page renders in a browser without an exception, a slider driven
by the keyboard changes the digit's bytes, a run started from the UI streams live (step counter
and loss chart grow) while the page stays responsive, Stop stops, two browser contexts (two
students) train independently, and closing a tab stops its run on the server.
Screenshots land in artifacts/ (look at them).
"""

from __future__ import annotations

import time

import pytest
from e2e_support import browser, image_bytes, shot, streamlit_server, wait_for, wait_idle  # noqa: F401

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 900}
DIGIT_CAPTION = "G(z): the generator's output for this z"
DIGIT = f'[data-testid="stImage"]:has-text("{DIGIT_CAPTION}") img'


def no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def open_page(ctx, url: str, ready: str):
    page = ctx.new_page()
    page.goto(url)
    wait_idle(page, ready, timeout=120)
    no_exception(page)
    return page


def step_count(page) -> int:
    text = (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text="Step")
        .first.locator('[data-testid="stMetricValue"]')
        .inner_text()
    )
    return int(text.replace(",", ""))


LOSS_PLOT = '[class*="st-key-live_loss_"] .js-plotly-plot'  # gan_ui/live_chart.py's component


def loss_points(page) -> int:
    """Points on the loss chart's first line, read from the live plotly figure in the page."""
    return page.evaluate(f"""() => {{ const el = document.querySelector('{LOSS_PLOT}');
                                    return el && el.calcdata && el.calcdata.length ? el.calcdata[0].length : 0; }}""")


X_RANGE = f"""() => document.querySelector('{LOSS_PLOT}')._fullLayout.xaxis.range"""


def click_button(page, text: str) -> None:
    """Click the enabled button named `text` (material icons are aria-hidden). While Streamlit redraws, a
    faded copy of a button whose place changed can linger until the script run ends (a CI run once saw a
    disabled Stop beside the live one); two enabled copies still fail strict mode, loudly."""
    page.get_by_role("button", name=text, exact=True, disabled=False).click()


def start_run(page, budget: str, steps: int | None = None) -> None:
    """Pick a budget ("5 steps", or "Steps" with a count: a run that lasts until stopped) and press Start."""
    page.get_by_role("radio", name=budget, exact=True).click()  # a segmented control option
    wait_idle(page)
    if steps is not None:
        box = page.locator(".st-key-budget_steps input")  # the budget's box (it may still be appearing), not
        box.fill(str(steps))  # a hidden advanced setting's
        box.press("Enter")
        wait_idle(page)
    click_button(page, "Start")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)


SCRUB_READY = '.gan-scrub[data-state="ready"] .gan-scrub-slider'


def server_digit_changed(page, before: bytes) -> bool:
    """For polling: mid-rerun the old <img> can be gone before the new one arrives (its data: URL with it)."""
    try:
        return image_bytes(page, page.locator(DIGIT)) != before
    except Exception:  # noqa: BLE001 - no image this instant: ask again
        return False


def move_slider_changes_digit(page) -> None:
    """Explore's first latent slider (scrub mode's, as Explore opens) to the far end with the keyboard: the browser
    redraws at once, and on the key's release the server's digit follows."""
    page.wait_for_selector(SCRUB_READY, timeout=60_000)
    before = image_bytes(page, page.locator(DIGIT))
    thumb = page.locator(".gan-scrub-slider").first
    thumb.focus()
    page.keyboard.press("Home" if float(thumb.input_value()) > 0 else "End")
    wait_for(lambda: server_digit_changed(page, before), 60, what="the digit to change")


def test_explore_renders_and_a_slider_changes_the_digit(streamlit_server, browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, streamlit_server.url, DIGIT)
    page.wait_for_selector(SCRUB_READY, timeout=60_000)
    assert page.locator(".gan-scrub-slider").count() >= 8  # scrub mode: the sliders run G in the browser
    png = image_bytes(page, page.locator(DIGIT))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    move_slider_changes_digit(page)
    no_exception(page)
    shot(page, "e2e-explore")
    ctx.close()


def test_train_live_responsive_and_stop(streamlit_server, browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, streamlit_server.url + "/train", '[data-testid="stBaseButton-primary"]')
    start_run(page, "Steps", 100_000)
    wait_for(lambda: step_count(page) > 0 and loss_points(page) > 0, 120, what="the first records")
    steps0, points0 = step_count(page), loss_points(page)
    wait_for(
        lambda: step_count(page) > steps0 and loss_points(page) > points0,
        60,
        what="the step counter and the loss chart to grow",
    )
    shot(page, "e2e-train-live")
    # The page stays responsive during training: go to Explore, move a slider, come back.
    page.get_by_role("link", name="Explore").click()
    wait_idle(page, DIGIT, timeout=120)
    t0 = time.monotonic()
    move_slider_changes_digit(page)
    slider_latency = time.monotonic() - t0
    page.get_by_role("link", name="Train").click()
    wait_idle(page, '[data-testid="stMetric"]', timeout=120)
    steps1 = step_count(page)
    assert steps1 > steps0, "the run kept training in the background while Explore was open"
    assert slider_latency < 30, f"a slider move took {slider_latency:.1f} s during training"
    # Stop works.
    click_button(page, "Stop")
    page.wait_for_selector('text=/Stopped by the user after/', timeout=60_000)
    stopped_at = step_count(page)
    time.sleep(2)
    assert step_count(page) == stopped_at
    assert page.locator('[data-testid="stBaseButton-primary"]', has_text="Start").is_enabled()
    # A zoom survives a rerun (here: pinning another timeline cell).
    plot = page.locator(LOSS_PLOT + ' .nsewdrag').first
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    zoomed = page.evaluate(X_RANGE)
    pin = page.locator('[data-testid="stNumberInput"] input').last
    pin.fill("7")
    pin.press("Enter")
    wait_idle(page, "text=Cell 7 across the run")
    assert page.evaluate(X_RANGE) == zoomed
    no_exception(page)
    shot(page, "e2e-train-stopped")
    ctx.close()


def test_zoom_survives_live_updates(streamlit_server, browser):
    """The loss chart keeps a student's zoom while new records stream in (gan_ui/live_chart.py)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, streamlit_server.url + "/train", '[data-testid="stBaseButton-primary"]')
    start_run(page, "Steps", 100_000)
    wait_for(lambda: step_count(page) > 20 and loss_points(page) > 5, 120, what="the first records")
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0, "live charts use the component"
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert any(u.endswith("/app/static/plotly.min.js.gz") for u in loaded), loaded  # the gzipped copy, unpacked
    assert not any(u.endswith("/app/static/plotly.min.js") for u in loaded)  # ... and not the plain file too
    plot = page.locator(LOSS_PLOT + ' .nsewdrag').first  # a mouse drag, as a student zooms
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    zoomed = page.evaluate(X_RANGE)
    assert page.evaluate(f"() => document.querySelector('{LOSS_PLOT}')._fullLayout.xaxis.autorange") is False
    last_x = f"""() => {{ const x = document.querySelector('{LOSS_PLOT}')._fullData[0].x;   // decoded typed array
                         return x[x.length - 1]; }}"""
    steps, x = step_count(page), page.evaluate(last_x)
    for _ in range(2):  # two polls that bring new data
        wait_for(
            lambda steps=steps, x=x: step_count(page) > steps and page.evaluate(last_x) > x,
            60,
            what="a poll with new records",
        )
        steps, x = step_count(page), page.evaluate(last_x)
        assert page.evaluate(X_RANGE) == zoomed, "new data reset the zoom"
    no_exception(page)
    shot(page, "e2e-train-zoomed-live")
    click_button(page, "Stop")
    page.wait_for_selector('text=/Stopped by the user after/', timeout=60_000)
    ctx.close()


def test_two_browser_contexts_train_independently_and_closing_a_tab_stops_its_run(streamlit_server, browser):
    ctx_a = browser.new_context(viewport=VIEWPORT)
    ctx_b = browser.new_context(viewport=VIEWPORT)
    a = open_page(ctx_a, streamlit_server.url + "/train", '[data-testid="stBaseButton-primary"]')
    start_run(a, "Steps", 100_000)
    wait_for(lambda: step_count(a) > 0, 120, what="tab A's run")
    b = open_page(ctx_b, streamlit_server.url + "/train", '[data-testid="stBaseButton-primary"]')
    assert b.locator("text=No run yet").count() == 1, "tab B must not see tab A's run"
    start_run(b, "5 steps")
    b.wait_for_selector("text=Reached the budget of 5 steps.", timeout=120_000)
    assert step_count(b) == 5
    a_steps = step_count(a)
    wait_for(lambda: step_count(a) > a_steps, 60, what="tab A to keep training")
    assert a.locator("text=Reached the budget of 5 steps.").count() == 0
    shot(b, "e2e-tab-b")
    released = streamlit_server.log().count("released: stopped 1 run(s)")
    ctx_a.close()  # closing tab A must stop its run on the server
    wait_for(
        lambda: streamlit_server.log().count("released: stopped 1 run(s)") > released,
        60,
        what="the server to release tab A's session",
    )
    ctx_b.close()
