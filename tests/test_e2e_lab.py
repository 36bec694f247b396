"""The latent lab in a real browser: draw a digit on the canvas with the mouse, ask the discriminator,
find the digit in the latent space, and see the sliders' digit become the reconstruction.

`streamlit run app.py` in a subprocess, Debian's Chromium via Playwright (see e2e_support.py).
Screenshots land in artifacts/.
"""

from __future__ import annotations

import pytest
from e2e_support import browser, image_bytes, shot, streamlit_server, wait_for, wait_idle  # noqa: F401

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 1000}
SLIDER_DIGIT = '[data-testid="stImage"]:has-text("G(z): the generator\'s output for this z") img'
CANVAS = "canvas.upper-canvas"  # fabric.js takes the mouse on its upper canvas
SEVEN = [(70, 60), (210, 60), (150, 150), (110, 240)]  # a "7" in the canvas's 280 x 280 pixels


def no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def metric_value(page, label: str) -> str:
    return (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text=label)
        .first.locator('[data-testid="stMetricValue"]')
        .inner_text()
    )


def draw(page, points) -> None:
    """Press, drag through the points in small steps (as a hand would), release."""
    box = page.locator(CANVAS).first.bounding_box()
    s = box["width"] / 280
    at = lambda x, y: (box["x"] + x * s, box["y"] + y * s)  # noqa: E731
    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        for t in range(1, 13):
            page.mouse.move(*at(xa + (xb - xa) * t / 12, ya + (yb - ya) * t / 12))
    page.mouse.up()


def test_draw_a_digit_ask_d_and_find_it(streamlit_server, browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto(streamlit_server.url)
    wait_idle(page, SLIDER_DIGIT, timeout=120)
    before = image_bytes(page, page.locator(SLIDER_DIGIT))

    page.get_by_role("tab", name="Your digit").click()
    wait_idle(page, CANVAS, timeout=60)
    assert page.get_by_text("Draw a digit on the canvas or upload a picture").count() == 1
    draw(page, SEVEN)
    page.wait_for_selector('[data-testid="stMetric"]:has-text("Your digit")', timeout=60_000)
    wait_idle(page)
    no_exception(page)
    scores = {name: float(metric_value(page, name)) for name in ("Your digit", "A real digit", "G's digit")}
    assert all(0.0 <= v <= 1.0 for v in scores.values()), scores  # the shipped DCGAN's D: probabilities
    assert page.locator('[data-testid="stImage"]:has-text("Your digit, MNIST-style") img').count() == 1

    page.get_by_role("button", name="Find my digit").click()
    page.wait_for_selector('[data-testid="stMetric"]:has-text("Pixel error")', timeout=90_000)
    wait_idle(page)
    no_exception(page)
    err = float(metric_value(page, "Pixel error"))
    assert 0.0 < err < 0.25
    assert page.get_by_text("The found z is now in the sliders").count() == 1
    shot(page, "e2e-lab-your-digit")

    page.get_by_role("tab", name="Latent sliders").click()
    wait_idle(page)
    wait_for(
        lambda: image_bytes(page, page.locator(SLIDER_DIGIT)) != before,
        30,
        what="the sliders' digit to become the reconstruction",
    )

    page.get_by_role("tab", name="Your digit").click()
    wait_idle(page)
    page.get_by_role("button", name="Clear the drawing").click()
    wait_idle(page)
    page.wait_for_selector('text=Draw a digit on the canvas or upload a picture', timeout=30_000)
    no_exception(page)
    ctx.close()


def slider_values(page, prefix: str) -> list[str]:
    """The values the browser shows on the sliders whose label starts with `prefix`."""
    texts = page.locator('[data-testid="stSlider"]').all_inner_texts()
    return [t.split("\n")[2] for t in texts if t.startswith(prefix)]


PC2 = '[data-testid="stSlider"]:has-text("PC2")'
SCRUB_SLIDERS = '.gan-scrub[data-state="ready"] .gan-scrub-slider'


def z_values(page) -> list[str]:
    """The z the Latent sliders tab shows: its sliders are scrub mode's (G in the browser), as Explore opens."""
    page.wait_for_selector(SCRUB_SLIDERS, timeout=60_000)
    return [s.input_value() for s in page.locator(SCRUB_SLIDERS).all()]


def test_a_direction_slider_moves_the_raw_sliders(streamlit_server, browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto(streamlit_server.url)
    wait_idle(page, SLIDER_DIGIT, timeout=120)
    raw_before = z_values(page)
    page.get_by_role("tab", name="Directions").click()
    wait_idle(page, PC2)  # the open tab alone is drawn: its sliders come with the rerun the click starts
    pc_before = slider_values(page, "PC")
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="PC2").locator('input[type="range"]').first
    thumb.focus()
    for _ in range(8):  # one press at a time: each moves z and reruns the page, as a student's would
        page.keyboard.press("ArrowRight" if float(pc_before[1]) < 1 else "ArrowLeft")
        wait_idle(page)
        thumb.focus()
    pc_after = slider_values(page, "PC")
    assert abs(float(pc_after[1]) - float(pc_before[1])) == pytest.approx(0.4, abs=0.06)
    page.get_by_role("tab", name="Latent sliders").click()
    wait_idle(page)
    raw_after = z_values(page)
    assert raw_after and raw_after != raw_before  # the raw sliders follow the direction
    page.get_by_role("tab", name="Directions").click()
    wait_idle(page, PC2)
    assert slider_values(page, "PC")[1] == pc_after[1]  # and the move sticks across tab switches
    no_exception(page)
    ctx.close()
