"""Streamlit's own widget texts in 简体中文, in a real Chromium (gan_ui.builtin_text: CSS with the catalogue's words).

* The file uploader: its button, its limits line and the hint shown while a file is dragged over the box read in
  Chinese, and none of Streamlit's English of it is visible; in English the uploader is Streamlit's own.
* An open multiselect's "Select all" and a filter's "No results" read in Chinese.

Streamlit has no API for these texts (streamlit/streamlit#13500). Screenshots: artifacts/builtin-*.png.
"""

from __future__ import annotations

import re

import pytest
from e2e_support import ARTIFACTS, browser, shot, streamlit_server, wait_idle  # noqa: F401

from gan_core.i18n import _, language

pytestmark = pytest.mark.browser

BOX = '.st-key-config_upload [data-testid="stFileUploaderDropzone"]'
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{2,}")
# What a person sees in the box: the text of every element that is rendered (not visibility: hidden, not an icon
# ligature), plus what ::before / ::after put there.
SEEN = """(box) => {
    const out = [];
    const walk = (el) => {
        const style = getComputedStyle(el);
        if (style.display === 'none' || el.matches('[data-testid="stIconMaterial"]')) return;
        for (const where of ['::before', '::after']) {
            const c = getComputedStyle(el, where).content;
            if (c && c !== 'none' && c !== 'normal' && getComputedStyle(el, where).visibility === 'visible')
                { const t = JSON.parse(c); if (t.trim()) out.push(t); }
        }
        const own = Array.from(el.childNodes).filter(n => n.nodeType === Node.TEXT_NODE)
            .map(n => n.textContent).join('').trim();  // an element's own text, however React split it
        if (own && style.visibility === 'visible' && parseFloat(style.fontSize) > 0) out.push(own);
        for (const node of el.children) walk(node);
    };
    walk(box);
    return out;
}"""
DRAG = """(box) => {
    const dt = new DataTransfer();
    dt.items.add(new File(['{}'], 'config.json', {type: 'application/json'}));
    box.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true, cancelable: true}));
    box.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""


def _open_loader(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = ctx.new_page()
    page.goto(url)
    wait_idle(page, '[data-testid="stMain"]', timeout=120)
    page.locator('[data-testid="stExpander"]:has(.st-key-config_upload) summary').first.click()
    page.locator(BOX).wait_for(state="visible", timeout=30_000)
    wait_idle(page)
    return ctx, page


def test_the_uploader_reads_in_chinese_with_no_english_of_streamlit_visible(streamlit_server, browser):
    ctx, page = _open_loader(browser, f"{streamlit_server.url}/train?lang=zh-CN")
    try:
        box = page.locator(BOX)
        seen = box.evaluate(SEEN)
        with language("zh_CN"):
            expected = [_("Upload"), _("{size} MB per file").format(size=20) + " · JSON"]
        assert seen == expected, seen
        assert all(CJK.search(text) for text in seen), seen
        assert not [w for text in seen for w in ENGLISH.findall(text) if w not in ("MB", "JSON")], seen
        inner = box.inner_text()  # Streamlit's English is in the DOM but not rendered: not in innerText either
        assert "Upload" not in inner and "per file" not in inner, inner
        box.screenshot(path=str(ARTIFACTS / "builtin-uploader-zh-CN.png"))
        shot(page, "builtin-uploader-zh-CN-page")

        box.evaluate(DRAG)  # a file dragged over the box: Streamlit's overlay hint, in Chinese too
        page.wait_for_function(f"() => document.querySelector('{BOX} > div > span') !== null", timeout=10_000)
        seen = box.evaluate(SEEN)
        with language("zh_CN"):
            assert _("Drop the file here") in seen, seen
        assert not any("Drag and drop" in text for text in seen), seen
        box.screenshot(path=str(ARTIFACTS / "builtin-uploader-zh-CN-drag.png"))
    finally:
        ctx.close()


def test_the_uploader_in_english_is_streamlits_own(streamlit_server, browser):
    ctx, page = _open_loader(browser, f"{streamlit_server.url}/train?lang=en")
    try:
        seen = page.locator(BOX).evaluate(SEEN)
        assert seen == ["Upload", "20MB per file • JSON"], seen
    finally:
        ctx.close()


def test_an_open_multiselect_says_select_all_and_no_results_in_chinese(streamlit_server, browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    try:
        page = ctx.new_page()
        page.goto(f"{streamlit_server.url}/learn?lang=zh-CN")
        wait_idle(page, '[data-testid="stMain"]', timeout=120)
        page.locator('[data-testid="stExpander"]:has([data-testid="stMultiSelect"]) summary').first.click()
        wait_idle(page)
        page.locator('[data-testid="stMultiSelect"]').first.click()
        listbox = page.locator('[role="listbox"]').first
        listbox.wait_for(state="visible", timeout=10_000)
        first = listbox.locator('[role="option"]').first
        with language("zh_CN"):
            select_all, none = _("Select all"), _("No results")
        assert first.evaluate(SEEN) == [select_all]
        seen = listbox.evaluate(SEEN)
        assert seen and all(CJK.search(text) for text in seen), seen  # the options are ours, in Chinese too
        shot(page, "builtin-multiselect-zh-CN")
        page.keyboard.type("zzzz")
        page.wait_for_function("() => document.querySelector('[role=listbox][data-empty]') !== null", timeout=10_000)
        assert page.locator('[role="listbox"]').first.evaluate(SEEN) == [none]
        shot(page, "builtin-multiselect-zh-CN-no-results")
        page.keyboard.press("Escape")
    finally:
        ctx.close()


def test_a_fragment_rerun_on_explore_stays_in_chinese(streamlit_server, browser):
    """Pressing a button inside Explore's slider panel reruns only that fragment, which must set the language
    itself (it used to come back in English)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page = ctx.new_page()
        page.goto(f"{streamlit_server.url}/?lang=zh-CN")
        wait_idle(page, '[data-testid="stMain"]', timeout=120)
        main = page.locator('[data-testid="stMain"]')
        english = ("Random z", "Reset to zero", "What does one dimension do?")
        with language("zh_CN"):
            chinese = [_(text) for text in english]
        assert all(text in main.inner_text() for text in chinese)
        page.locator(".st-key-explore_random button").first.click()
        wait_idle(page)
        text = main.inner_text()
        assert all(t in text for t in chinese), text[:400]
        assert not [t for t in english if t in text], text[:400]
    finally:
        ctx.close()
