"""Step mode and the Playground's lessons in a real browser: `streamlit run app.py` + Debian's Chromium.

On the Train page a student pauses a run, presses One D step (D's verdict appears) and One G step, and sees G's
fakes change: the "after" grid's bytes differ from the "before" grid's. On the Playground a teacher's link
opens the lesson "What D sees" with the target locked; the step buttons wait for a prediction; One D step and
One G step each change the 2-D picture on the canvas; the answer appears after the G step (test mode: one G
update); Train makes the canvas play frames while the iteration count grows. Screenshots land in artifacts/.
"""

from __future__ import annotations

import pytest
from e2e_support import browser, image_bytes, shot, streamlit_server, wait_for, wait_idle  # noqa: F401
from test_e2e import click_button, no_exception, open_page, start_run, step_count

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = {"width": 1366, "height": 1000}
STEP_IMAGES = '.st-key-step_mode [data-testid="stImage"] img'
VIEW = ".toy-view canvas"
FRAMES = "() => Number(document.querySelector('.toy-view').dataset.frames || 0)"
ITERATION = "() => Number(document.querySelector('.toy-view').dataset.iteration || 0)"
PIXELS = """() => { const c = document.querySelector('.toy-view canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0; for (let i = 0; i < d.length; i += 97) h = (h * 31 + d[i]) >>> 0; return h; }"""


def pg_button(page, key: str):
    """The Playground's button with this key, once the page has only one of it (no stale copy of a rerun)."""
    buttons = page.locator(f".st-key-{key} button")
    wait_for(lambda: buttons.count() == 1, 30, what=f"one {key} button")
    return buttons


def test_train_page_step_mode_d_then_g_changes_the_fakes(streamlit_server, browser):  # noqa: F811
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, streamlit_server.url + "/train", '[data-testid="stBaseButton-primary"]')
    try:
        start_run(page, "Steps", 100_000)
        wait_for(lambda: step_count(page) > 0, 120, what="the first steps")
        click_button(page, "Pause")
        page.wait_for_selector("text=Step mode", timeout=60_000)
        wait_idle(page)

        click_button(page, "One D step")
        page.wait_for_selector("text=D learned to reject these", timeout=60_000)
        wait_idle(page)
        # D's verdict before/after: one Plotly chart (gan_ui/live_chart.py's component) with the real digits' and
        # the fakes' 64 points each
        chart = page.locator(".st-key-step_mode .st-key-step_scores .js-plotly-plot")
        wait_for(lambda: chart.count() == 1, 30, what="D's verdict chart")
        points = ".st-key-step_mode .st-key-step_scores .scatterlayer .trace:nth-child(-n+2) .point"
        wait_for(lambda: page.locator(points).count() == 128, 30, what="128 points: 64 real, 64 fakes")
        page.locator(".st-key-step_mode").scroll_into_view_if_needed()
        shot(page, "e2e-step-mode-train-d")
        no_exception(page)

        click_button(page, "One G step")
        page.wait_for_selector("text=G moved these pixels to fool D", timeout=60_000)
        wait_idle(page)
        images = page.locator(STEP_IMAGES)
        assert images.count() == 3  # before, after, what changed
        before, after = image_bytes(page, images.nth(0)), image_bytes(page, images.nth(1))
        assert before[:8] == after[:8] == b"\x89PNG\r\n\x1a\n"
        assert before != after, "G's fakes look the same after a G step"
        no_exception(page)
        page.locator(".st-key-step_mode").scroll_into_view_if_needed()
        shot(page, "e2e-step-mode-train")
    finally:
        ctx.close()


def test_playground_lesson_from_a_teacher_link_steps_and_trains(streamlit_server, browser):  # noqa: F811
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, streamlit_server.url + "/playground?lesson=pg-what-d-sees&lock=target", VIEW)
    try:
        target = page.locator('[data-testid="stSelectbox"]').filter(has_text="Target distribution")
        assert target.locator("input").is_disabled(), "the link locked the target"
        assert page.get_by_text("Your teacher fixed").count() > 0
        assert pg_button(page, "pg_g_step").is_disabled(), "the buttons wait for a prediction"

        page.get_by_text("Only G's points (and its mesh)", exact=True).click()
        wait_idle(page)
        wait_for(lambda: page.evaluate(FRAMES) > 0, 20, what="a first frame")
        page.wait_for_timeout(1500)  # the first frame's playback settles

        before = page.evaluate(PIXELS)
        pg_button(page, "pg_d_step").click()
        page.wait_for_selector("text=One D step: D's loss", timeout=30_000)
        wait_for(lambda: page.evaluate(PIXELS) != before, 10, what="the picture to change after a D step")
        page.wait_for_timeout(1500)

        before = page.evaluate(PIXELS)
        pg_button(page, "pg_g_step").click()
        page.wait_for_selector("text=One G step: G's loss", timeout=30_000)
        wait_for(lambda: page.evaluate(PIXELS) != before, 10, what="the picture to change after a G step")
        page.wait_for_selector("text=You predicted", timeout=30_000)  # the answer: due after one G update
        assert page.get_by_text("A G step changes G's weights and nothing else").count() == 1
        no_exception(page)

        pg_button(page, "pg_play").click()
        start_frames, start_it = page.evaluate(FRAMES), page.evaluate(ITERATION)
        wait_for(lambda: page.evaluate(FRAMES) > start_frames + 20, 30, what="frames while training")
        wait_for(lambda: page.evaluate(ITERATION) > start_it + 50, 30, what="the iteration count to grow")
        trained = page.evaluate(PIXELS)
        wait_for(lambda: page.evaluate(PIXELS) != trained, 10, what="the picture to keep moving")
        shot(page, "e2e-playground-lesson")
        pg_button(page, "pg_play").click()  # Pause
        wait_idle(page)
        no_exception(page)
    finally:
        ctx.close()
