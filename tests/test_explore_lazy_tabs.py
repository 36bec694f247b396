"""Explore draws its open tab alone (gan_ui/explore.py): a hidden tab is not drawn until a student opens it, opening
it draws it, and what the student set in it is still there when they come back. Through AppTest (a tab switch is
the tab's new label under its key, then a rerun, as the browser sends it) and in a real browser (clicking the tab).
"""

from __future__ import annotations

import pytest
from e2e_support import ROOT, browser, open_tab, streamlit_server, wait_idle  # noqa: F401
from streamlit.testing.v1 import AppTest

from gan_ui.explore import DIGIT_TAB_OPENED, TABS

APP = str(ROOT / "app.py")
# one widget that only each tab draws (Latent sliders: z_0; the timeline's key depends on the model)
ONLY_IN = {
    "Latent sliders": "z_0",
    "Interpolation": "morph_t",
    "Gallery": "gallery_new",
    "Directions": "pc_0",
    "Your digit": "lab_upload",
}


def keys(at: AppTest) -> set[str]:
    return {node.key for node in at.main if getattr(node, "key", None)}


def drawn_tabs(at: AppTest) -> set[str]:
    here = keys(at)
    return {tab for tab, key in ONLY_IN.items() if key in here}


@pytest.mark.usefixtures("app_env")
def test_only_the_open_tab_is_drawn_and_opening_one_draws_it():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    assert drawn_tabs(at) == {"Latent sliders"}
    assert [t.label for t in at.tabs] == list(TABS)  # every tab is still offered
    assert [len(t.children) > 0 for t in at.tabs] == [True, False, False, False, False, False]
    for tab in ("Interpolation", "Gallery", "Directions"):
        open_tab(at, tab)
        assert drawn_tabs(at) == {tab}
    open_tab(at, "Training timeline")
    assert any(img.captions and img.captions[0].startswith("G at step") for img in at.image)
    assert drawn_tabs(at) == set()


@pytest.mark.usefixtures("app_env")
def test_a_hidden_tab_keeps_what_the_student_set_in_it():
    at = open_tab(AppTest.from_file(APP, default_timeout=120).run(), "Interpolation")
    at.slider(key="morph_t").set_value(0.2).run()
    at.radio(key="morph_mode").set_value("lerp").run()
    open_tab(at, "Latent sliders")
    at.slider(key="z_0").set_value(1.5).run()
    open_tab(at, "Interpolation")
    assert at.slider(key="morph_t").value == 0.2
    assert at.radio(key="morph_mode").value == "lerp"
    assert at.session_state["z_0"] == 1.5  # and the sliders' z is still the z, though they were not drawn


@pytest.mark.usefixtures("app_env")
def test_your_digit_once_opened_stays_drawn_so_its_picture_is_kept():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert DIGIT_TAB_OPENED not in at.session_state
    open_tab(at, "Your digit")
    open_tab(at, "Gallery")
    assert drawn_tabs(at) == {"Gallery", "Your digit"}  # the uploader (and the canvas) keep their picture


@pytest.mark.browser
def test_in_a_browser_a_hidden_tab_is_empty_until_clicked(streamlit_server, browser):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(streamlit_server.url)
        wait_idle(page, '.gan-scrub[data-state="ready"] .gan-scrub-slider', timeout=120)  # scrub mode, on by default
        panels = page.locator('[data-testid="stTabs"] [role="tabpanel"]')
        count = "(p) => p.querySelectorAll('*').length"
        first = panels.nth(0).evaluate(count)
        assert first > 50  # the sliders, the digit, the sweep
        assert page.get_by_text("Morph from A (0) to B (1)").count() == 0
        page.locator('[data-testid="stTabs"] [role="tab"]').nth(1).click()
        page.get_by_text("Morph from A (0) to B (1)").wait_for(timeout=60_000)
        wait_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stImage"] img').count() > 0
        assert page.locator(".gan-scrub-slider").count() == 0  # the sliders' tab is gone
    finally:
        ctx.close()
