"""The tab's language: which one this rerun speaks, and the switch in the top bar that chooses it.

Set at the start of every script run (frame.navigation) and of every fragment rerun that draws words
(a fragment rerun runs in a fresh context, so the language set by the last full run is not there).
"""

from __future__ import annotations

import streamlit as st

from gan_core import i18n
from gan_core.i18n import _

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
