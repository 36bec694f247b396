"""The app's frame, run by app.py on every rerun: process set-up once, the page's styling, the tab's identity and
teacher settings, the top menu, and the page to run.

This is the top of gan_ui: it imports every page module (so they are loaded, and their objects frozen
out of the garbage collector's sight, before the first page runs); no page module imports it.
"""

from __future__ import annotations

import gc

import streamlit as st

from gan_core import i18n
from gan_core.i18n import _

from . import about, explore, learn, playground, server, settings, tabs, teacher, train  # noqa: F401  (every page, loaded at start-up)
from .layout import CSS, pages, top_menu
from .lessons import LESSON_IDS

_settled = False
GC_YOUNG_THRESHOLD = 10_000  # allocations between young-generation collections (Python's default 700: a
# slider move allocates tens of thousands of objects, nearly all freed at once)


def settle_process() -> None:
    """Once per server process, before the first page runs (every page's modules are imported above): gc.freeze().

    Python's cyclic GC now and then walks every object the process holds ("generation 2"). Here that is
    well over a million objects (torch, plotly's figure classes, Streamlit, protobuf), and the walk holds
    the GIL: a full collection took 200-300 ms, about every 10 s, stalling every student's slider move in
    flight (bench/classroom_load.py, 30 sessions). Modules live as long as the process, so they are moved
    out of the collector's sight once; objects made later (sessions, runs) are collected as usual, and
    reference counting still frees everything that is not in a cycle.
    """
    global _settled
    if _settled:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    _settled = True


LANG_KEY = "lang"
SWITCH_KEY = "lang_switch"


def use_language() -> str:
    """This rerun's language, set before anything is drawn so gan_core's messages, the lessons and every page
    come out in it. First match wins:

    1. the language switch in the top bar (`on_switch`, which also writes ?lang= so a reload keeps it);
    2. ?lang=zh-CN / ?lang=en in the address (teacher links), kept for the tab's session;
    3. the browser's language (`st.context.locale`, e.g. "zh-CN"), when it names a supported language;
    4. English.

    A chosen language (1 or 2) is written back into the address when a page switch dropped it."""
    ss = st.session_state
    asked = st.query_params.get("lang")
    if asked:
        ss[LANG_KEY] = i18n.normalize(asked) or "en"
    elif ss.get(LANG_KEY):
        _to_url(ss[LANG_KEY])
    lang = ss.get(LANG_KEY) or i18n.normalize(_browser_locale(), default=None) or "en"
    return i18n.set_language(lang)


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # noqa: BLE001 - no browser behind this run (AppTest, bare script)
        return None


def _to_url(lang: str) -> None:
    try:
        st.query_params["lang"] = lang.replace("_", "-")
    except Exception:  # noqa: BLE001 - no browser page (bare script runs)
        pass


def on_switch() -> None:
    """The switch's callback: runs before the rerun it causes, so that one rerun draws the new language.
    Widget state (runs, sliders, lesson progress) is keyed by stable keys and untouched."""
    chosen = st.session_state.get(SWITCH_KEY)
    if chosen:
        st.session_state[LANG_KEY] = chosen
        _to_url(chosen)


def language_switch() -> None:
    """English / 简体中文, in the top bar of every page."""
    st.session_state[SWITCH_KEY] = i18n.get_language()
    st.segmented_control(
        _("Language"),
        [code for code, _name in i18n.supported()],
        format_func=i18n.LANGUAGES.get,
        key=SWITCH_KEY,
        on_change=on_switch,
        label_visibility="collapsed",
    )


def navigation():
    """The top navigation bar; returns the page to run."""
    settings.configure_torch()
    settle_process()
    use_language()
    st.html(CSS)
    tabs.token()  # this tab's identity, back in the URL if a page switch dropped it
    teacher.load(LESSON_IDS)  # teacher links: ?lesson=N&lock=...&hide=...&projector=1
    teacher.apply_style()
    page = st.navigation(list(pages().values()), position="hidden")
    top_menu(language_switch)
    tabs.note()
    teacher.notice()
    problem = server.training_backend()[1]  # Ray asked for but not reachable: runs train in-process
    if problem:
        text = _("Training runs in the web server: Ray is not available ({problem}).").format(problem=problem)
        st.warning(text, icon=":material/cloud_off:")
    return page
