"""Every page in 简体中文 and in English, in a real browser: no untranslated English sentence in Chinese, no Chinese in
English; and the language switch changes the page in one rerun while a slider and a started run are kept.

"An English sentence" here: a run of 4 or more consecutive ASCII words of 2+ letters in the page's visible text
(`document.body.innerText` with code blocks and KaTeX math removed), after removing proper names (ALLOWED).
Screenshots of every page in both languages go to artifacts/ (look at them for tofu boxes). Beyond a page as
it opens: the Train page after a run has finished (its timeline, results, quality panel and every expander
open), and the Class page with a class created and its board open.
"""

from __future__ import annotations

import re

import pytest
from e2e_support import browser, shot, streamlit_server, wait_for, wait_idle  # noqa: F401

pytestmark = pytest.mark.browser

# page url path -> its module; pages whose module is still being translated on another branch (test_i18n_lint's
# PENDING) are xfail until the lead merges them.
PAGES = {
    "": "explore",
    "train": "train",
    "learn": "learn",
    "about": "about",
    "playground": "playground",
    "class": "class_page",
}
PENDING_PAGES: set[str] = set()  # pages not yet translated (none)
ALLOWED = (
    "Skip to main content",
    "GAN Classroom",
    "MNIST",
    "Fashion-MNIST",
    "DCGAN",
    "PyTorch",
    "WGAN-GP",
    "InfoGAN",
    "Adam",
)  # the first: Streamlit's own hidden accessibility link
SENTENCE = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,}){3,}(?![A-Za-z])")
CJK = re.compile(r"[\u3400-\u9fff]")
VISIBLE_TEXT = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('pre, code, .katex, [data-testid="stCode"], script, style').forEach(e => e.remove());
    const holder = document.createElement('div');
    holder.style.position = 'absolute'; holder.style.left = '-99999px';
    holder.appendChild(body); document.documentElement.appendChild(holder);
    const text = body.innerText; holder.remove(); return text;
}"""


def english_sentences(text: str) -> list[str]:
    for name in ALLOWED:
        text = text.replace(name, " ")
    return SENTENCE.findall(text)


def test_the_sentence_rule():
    assert english_sentences("开始训练 Start training the GAN now") == ["Start training the GAN now"]
    assert english_sentences("D(x) 对 GAN Classroom 的 MNIST 数字 lr_G = 0.0002") == []


def _open(ctx, url):
    page = ctx.new_page()
    page.goto(url)
    wait_idle(page, '[data-testid="stMain"]', timeout=120)
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()
    return page


def _open_expanders(page):
    for summary in page.locator('[data-testid="stExpander"] summary').all():
        summary.click()
    wait_idle(page)


def _one_language(page, lang: str) -> None:
    text = page.evaluate(VISIBLE_TEXT)
    if lang == "zh-CN":
        assert CJK.search(text), "no Chinese on the page at all"
        found = english_sentences(text)
        assert not found, found
    else:
        assert CJK.findall(text) == [] or set(CJK.findall(text)) <= set("简体中文")  # the switch's own name


def _params(path, lang):
    marks = [pytest.mark.xfail(reason="module still translated on another branch (PENDING)", strict=False)]
    return pytest.param(path, lang, id=f"{path or 'explore'}-{lang}", marks=marks if path in PENDING_PAGES else ())


@pytest.mark.parametrize("path,lang", [_params(p, lang) for lang in ("zh-CN", "en") for p in PAGES])
def test_every_page_speaks_one_language(streamlit_server, browser, path, lang):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page = _open(ctx, f"{streamlit_server.url}/{path}?lang={lang}")
        shot(page, f"lang-{lang}-{path or 'explore'}")
        _one_language(page, lang)
        tabs = page.locator('[data-testid="stTabs"] [role="tab"]') if path == "" else None
        for k in range(1, tabs.count() if tabs else 0):  # Explore draws the open tab alone: open each in turn
            tabs.nth(k).click()
            wait_idle(page)
            shot(page, f"lang-{lang}-explore-tab{k}")
            _one_language(page, lang)
    finally:
        ctx.close()


WORDS = {  # what the tests click, in each language
    "zh-CN": {"budget": "5 步", "start": "开始", "teachers": "教师专用：开设班级看板", "create": "创建班级"},
    "en": {
        "budget": "5 steps",
        "start": "Start",
        "teachers": "For teachers: start a class board",
        "create": "Create a class",
    },
}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_train_page_after_a_run_speaks_one_language(streamlit_server, browser, lang):
    words = WORDS[lang]
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page = _open(ctx, f"{streamlit_server.url}/train?lang={lang}")
        page.get_by_role("radio", name=words["budget"], exact=True).click()
        wait_idle(page)
        page.get_by_role("button", name=words["start"], exact=True).click()
        page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
        start = page.get_by_role("button", name=words["start"], exact=True)
        wait_for(lambda: start.is_enabled(), 120, what="the run to finish (Start enabled again)")
        wait_for(lambda: page.locator('[data-testid="stSlider"]').count() > 0, 60, what="the timeline")
        wait_idle(page)
        _open_expanders(page)
        shot(page, f"lang-{lang}-train-finished")
        _one_language(page, lang)
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_class_board_speaks_one_language(streamlit_server, browser, lang):
    words = WORDS[lang]
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page = _open(ctx, f"{streamlit_server.url}/class?lang={lang}")
        page.get_by_text(words["teachers"]).first.click()
        page.get_by_role("button", name=words["create"], exact=True).click()
        wait_idle(page)
        _one_language(page, lang)
        page.locator('[data-testid="stPageLink"] a[href*="board="]').first.click()
        wait_idle(page)
        page.wait_for_selector('[data-testid="stMain"] h1', timeout=30_000)
        wait_idle(page)
        shot(page, f"lang-{lang}-class-board")
        _one_language(page, lang)
    finally:
        ctx.close()


def test_the_browser_language_is_the_default(streamlit_server, browser):
    ctx = browser.new_context(locale="zh-CN")
    try:
        page = _open(ctx, f"{streamlit_server.url}/train")
        page.get_by_text("训练一个生成对抗网络").first.wait_for(timeout=30_000)
    finally:
        ctx.close()


def test_switching_language_keeps_a_slider_and_a_started_run(streamlit_server, browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page = _open(ctx, f"{streamlit_server.url}/train?lang=en")
        page.get_by_text("Advanced settings").first.click()
        thumb = page.locator('.st-key-cfg_lr_g input[type="range"]').first
        before = thumb.get_attribute("aria-valuetext")
        thumb.focus()
        thumb.press("ArrowRight")
        wait_idle(page)
        moved = page.locator('.st-key-cfg_lr_g input[type="range"]').first.get_attribute("aria-valuetext")
        assert moved != before
        page.get_by_role("radio", name="Steps", exact=True).click()
        wait_idle(page)
        box = page.locator(".st-key-budget_steps input")
        box.fill("100000")
        box.press("Enter")
        wait_idle(page)
        page.get_by_role("button", name="Start", exact=True).click()
        page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
        page.get_by_role("radio", name="简体中文", exact=True).click()
        page.get_by_text("训练一个生成对抗网络").first.wait_for(timeout=30_000)
        wait_idle(page)
        assert "lang=zh-CN" in page.url  # a reload keeps the choice
        assert page.locator('.st-key-cfg_lr_g input[type="range"]').first.get_attribute("aria-valuetext") == moved
        wait_for(lambda: page.get_by_role("button", name="停止").count() > 0, 30, what="the run, still running")
        # the live panel is a fragment that reruns on its own: its words follow the switch too
        wait_for(lambda: page.get_by_text("已用时间").count() > 0, 30, what="the live panel in Chinese")
        shot(page, "lang-switched-train")
        page.get_by_role("button", name="停止").first.click()
        wait_idle(page)
    finally:
        ctx.close()
