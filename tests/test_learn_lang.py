"""The Learn page (a lesson with its question and answer revealed, and the teacher-link builder) and How it works,
opened with ?lang=zh-CN: every text a person reads is Chinese (no run of three English words outside code and
math); opened with ?lang=en: no Chinese at all. Real app, AppTest; no run is started."""

from __future__ import annotations

import re

import pytest
from e2e_support import ROOT
from streamlit.testing.v1 import AppTest

from gan_core.i18n import _, language
from gan_ui.lessons import LESSONS, translated

APP = str(ROOT / "app.py")
pytestmark = pytest.mark.usefixtures("app_env")
LANGS = {"zh-CN": "zh_CN", "en": "en"}

# three or more ASCII words in a row ("the answer appears"): an English sentence the catalogue missed
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*){2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")
# code and math are the same in every language: `code`, $math$, ```blocks```, HTML tags, URLs, and a
# Streamlit icon's name (:material/lock:)
NOT_PROSE = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|<[^>]+>|https?://\S+|:material/\w+:", re.S)


def texts(at: AppTest) -> list[str]:
    """What a person reads on the page: titles, headers, prose, captions, alerts, widget labels, options, help."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        out += [e.value for e in getattr(at, kind)]
    for kind in ("button", "radio", "selectbox", "multiselect", "toggle", "text_input", "slider", "expander"):
        for w in getattr(at, kind):
            out.append(getattr(w, "label", "") or "")
            out.append(getattr(w, "help", "") or "")
            out += list(getattr(w, "options", []) or [])
    return [t for t in out if t]


def english_runs(at: AppTest) -> list[str]:
    return [m.group(0) for t in texts(at) for m in ENGLISH_RUN.finditer(NOT_PROSE.sub(" ", t))]


def open_page(page: str, lang: str, **params) -> AppTest:
    """The page as a tab with ?lang= opens it. AppTest formats a widget's value (format_func) in the test's own
    thread, outside the script's language, so the test speaks the page's language around its runs too."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    for k, v in params.items():
        at.query_params[k] = v
    with language(LANGS[lang]):
        at.run()
        at.switch_page(f"gan_ui/pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def open_lesson(lang: str) -> AppTest:
    """Lesson 1 with its answer revealed by the teacher's link, a prediction made and the link builder open."""
    at = open_page("learn", lang, lesson="1", allow="answer")
    lesson = LESSONS[0]
    with language(LANGS[lang]):
        shown = translated(lesson)
        at.radio(key=f"predict_{lesson.id}").set_value(shown.choices[lesson.correct]).run()
    assert not at.exception, at.exception
    assert any(shown.answer[:40] in m.value for m in at.markdown), "the answer is not shown"
    assert any(shown.question == r.label for r in at.radio), "the question is not shown"
    assert at.text_input(key="tl_base").value  # the teacher-link builder is drawn
    return at


def test_learn_in_chinese_has_no_english_sentences():
    at = open_lesson("zh-CN")
    assert CJK.search(at.title[0].value), at.title[0].value
    assert english_runs(at) == []
    labels = [w.label for w in at.multiselect]
    assert all(CJK.search(label) for label in labels), labels  # Lock, Hide, Allow
    placeholders = [w.placeholder for w in at.multiselect]
    assert all(CJK.search(p) for p in placeholders), placeholders  # not Streamlit's "Choose options"
    options = [o for w in at.multiselect for o in w.options]
    assert any("学习率" in o for o in options), options  # lock names in words; the URL's value (lr) stays
    assert any("lr" in o for o in options)


def test_how_it_works_in_chinese_has_no_english_sentences():
    at = open_page("about", "zh-CN")
    with language("zh_CN"):
        title = _("How it works")
    assert CJK.search(title) and at.title[0].value == title
    assert at.latex, "the math is shown"
    assert english_runs(at) == []
    assert any(e.label.startswith("查看代码") for e in at.expander)


@pytest.mark.parametrize("page", ["learn", "about"])
def test_the_same_pages_in_english_have_no_chinese(page):
    at = open_lesson("en") if page == "learn" else open_page(page, "en")
    chinese = [t for t in texts(at) if CJK.search(t)]
    assert chinese == []
    assert english_runs(at), "the English page shows English prose"
