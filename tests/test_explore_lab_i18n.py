"""Explore and its latent lab in Chinese (?lang=zh-CN) and in English, driven through AppTest.

Every text the page shows (titles, headers, captions, markdown, alerts, widget labels and tooltips, tab names,
metrics) is collected; in zh_CN no run of three English words may remain outside code (`...`) and math, and in
English the same places show the English source. The catalogue is the real one (locale/zh_CN).
"""

from __future__ import annotations

import re

import pytest
from e2e_support import ROOT, open_tab
from streamlit.testing.v1 import AppTest

from gan_core.i18n import _, language

APP = str(ROOT / "app.py")
TIMEOUT = 180

pytestmark = [
    pytest.mark.slow,  # each test opens the whole app (~10-20 s on a busy CPU)
    pytest.mark.usefixtures("app_env"),
]

# Three ASCII words in a row: an English sentence or phrase. Code names and math (z, G(z), N(0, I), lerp) are
# shorter, or sit in backticks, which are removed first.
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z'’]+(?:[ ,]+[A-Za-z][a-z'’]+){2,}\b")
ALLOWED = {"GAN Classroom"}  # the app's name


def texts(at: AppTest) -> list[str]:
    """Every visible text of the page as AppTest sees it, labels and tooltips included."""
    out = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success"):
        out += [el.value for el in getattr(at, kind)]
    for kind in ("button", "slider", "selectbox", "toggle", "text_input", "radio", "select_slider", "metric"):
        for el in getattr(at, kind):
            out.append(el.label)
            out.append(getattr(el, "help", None) or "")
    out += [t.label for t in at.tabs]
    for kind in ("expander", "popover"):
        out += [getattr(el, "label", None) or getattr(getattr(el, "proto", None), "label", "") for el in at.get(kind)]
    return [t for t in out if isinstance(t, str) and t]


def english_runs(text: str) -> list[str]:
    text = re.sub(r"`[^`]*`", " ", text)  # code
    text = re.sub(r"<[^>]+>", " ", text)  # html (the page's CSS)
    text = re.sub(r":material/[a-z_]+:", " ", text)  # icons
    for name in ALLOWED:
        text = text.replace(name, " ")
    return ENGLISH_RUN.findall(text)


def open_explore(lang: str, model: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("gan_ui/pages/explore.py").run()
    assert not at.exception, at.exception
    if model:
        at.session_state["explore_model"] = model  # (set_value would format the options in the test's language)
        at.run()
        assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("model", ["shipped:cdcgan", "shipped:infogan"])
def test_explore_and_lab_in_chinese_show_no_english_sentence(model):
    # AppTest formats a selectbox's options in the test's own thread when it sends the widgets back: the test
    # speaks the page's language too (a browser gets them formatted by the server).
    with language("zh_CN"):
        at = open_explore("zh-CN", model)
        title = _("Explore a generator")
        tabs = [_("Latent sliders"), _("Directions"), _("Your digit"), _("Interpolation"), _("Training timeline")]
        seen = texts(at)
        for tab in tabs:
            seen += texts(open_tab(at, tab))
    assert title != "Explore a generator"  # the catalogue has it
    assert at.title[0].value == title
    found = sorted({run for t in seen for run in english_runs(t)})
    assert not found, f"untranslated English on Explore/Lab in zh_CN: {found}"
    joined = "\n".join(seen)
    for chinese in ("生成器", "潜在空间", "判别器", "数字"):
        assert chinese in joined
    assert at.session_state["explore_model"] == model  # the lab's tabs kept the model


def test_explore_and_lab_in_english_stay_english():
    at = open_explore("en", "shipped:cdcgan")
    assert at.title[0].value == "Explore a generator"
    seen = texts(at)
    for tab in ("Directions", "Your digit"):
        seen += texts(open_tab(at, tab))
    joined = "\n".join(seen)
    assert not re.search(r"[\u4e00-\u9fff]", joined.replace("简体中文", "")), "Chinese on the English page"
    for english in ("What does one dimension do?", "What each direction does"):
        assert english in joined
    assert "Draw a digit on the canvas or upload a picture" in joined


def test_switching_language_keeps_the_sliders_the_model_and_the_tab():
    at = open_explore("en", "shipped:infogan")
    at.session_state["z_0"] = 1.25
    open_tab(at, "Directions")
    at.session_state["morph_mode"] = "lerp"
    at.run()
    # The switch: like a browser, AppTest sends back the texts the English page showed ("infogan · shipped with
    # the app"), which the Chinese page formats differently.
    at.query_params["lang"] = "zh-CN"
    at.run()
    assert not at.exception, at.exception
    with language("zh_CN"):
        assert at.title[0].value == _("Explore a generator")
        assert at.session_state["explore_model"] == "shipped:infogan"
        assert at.session_state["explore_tab"] == _("Directions")
        assert at.session_state["morph_mode"] == "lerp"
        assert at.session_state["z_0"] == 1.25
        at.run()  # and a Chinese rerun keeps them
        assert not at.exception, at.exception
        assert at.session_state["explore_model"] == "shipped:infogan"
        assert at.session_state["z_0"] == 1.25
