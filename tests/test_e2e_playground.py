"""The Playground in a real browser: `streamlit run tests/playground_app.py` + Debian's Chromium.

Draw a custom distribution by clicking the canvas, press "One D step" and see the view change, then
train and check the component keeps drawing frames (the frame rate itself is bench/playground_fps.py's).
"""

from __future__ import annotations

import pytest
from e2e_support import ARTIFACTS, ROOT, StreamlitServer, browser, shot, wait_for, wait_idle  # noqa: F401

pytestmark = pytest.mark.browser

VIEW = ".toy-view canvas"
FRAMES = "() => Number(document.querySelector('.toy-view').dataset.frames || 0)"
PIXELS = """() => { const c = document.querySelector('.toy-view canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0; for (let i = 0; i < d.length; i += 97) h = (h * 31 + d[i]) >>> 0; return h; }"""


@pytest.fixture(scope="module")
def server(browser):  # noqa: F811
    s = StreamlitServer(
        ARTIFACTS / "test_e2e_playground-server.log", script=ROOT / "tests" / "playground_app.py"
    ).start()
    yield s
    s.stop()


def choose(page, label: str, option: str) -> None:
    page.locator(f'[data-testid="stSelectbox"]:has-text("{label}")').click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def test_draw_step_and_train(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(server.url)
        wait_idle(page, VIEW)
        assert page.locator('[data-testid="stException"]').count() == 0

        # Draw your own: four clicks on the canvas make four points, and a new game on them.
        choose(page, "Target distribution", "Draw your own")
        canvas = page.locator(VIEW)
        box = wait_for(canvas.bounding_box, 30, what="the drawing canvas on screen")  # None while a rerun redraws it
        for fx, fy in [(0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7)]:
            canvas.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
            wait_idle(page)
        assert page.get_by_text("Click at least").count() == 0, "four clicks should make a valid distribution"
        assert page.locator('[data-testid="stException"]').count() == 0

        # One D step: the view changes (D's map moves), and the page says what moved.
        wait_for(lambda: page.evaluate(FRAMES) > 0, 20, what="a first frame")
        page.wait_for_timeout(1500)  # let the first frame settle
        before = page.evaluate(PIXELS)
        page.get_by_role("button", name="One D step").click()
        wait_idle(page)
        wait_for(lambda: page.get_by_text("One D step: D's loss").count() > 0, 20, what="the D step's note")
        wait_for(lambda: page.evaluate(PIXELS) != before, 10, what="the canvas to change after a D step")

        # Train: frames keep coming and the iteration count grows.
        page.get_by_role("button", name="Train").click()
        start = page.evaluate(FRAMES)
        wait_for(lambda: page.evaluate(FRAMES) > start + 20, 30, what="frames while training")
        wait_for(
            lambda: int(page.evaluate("() => document.querySelector('.toy-view').dataset.iteration || 0")) > 50,
            30,
            what="the iteration count to grow",
        )
        shot(page, "playground-trained")
        page.get_by_role("button", name="Pause").click()
        wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()
