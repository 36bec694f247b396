"""Streamlit's own words inside its widgets, in the tab's language.

Streamlit draws a few texts itself and has no API to translate them (streamlit/streamlit#13500): the file
uploader's button ("Upload"), its limits line ("20MB per file • JSON") and its drag-and-drop hint. For a tab in
another language than English, a small style sheet hides those text nodes (`visibility: hidden`, no size) and puts
the catalogue's translation in their place with a CSS `::after`; an English tab gets no style at all.

Selectors are those of Streamlit 1.67's FileUploader (checked in Chromium): the dropzone
`[data-testid="stFileUploaderDropzone"]` holds the button (its label is a markdown paragraph beside a material
icon), an overlay `div > span` shown while a file is dragged over it, and
`[data-testid="stFileUploaderDropzoneInstructions"] span` with the limits. Each uploader's limits line names its
own file types, so its rule is scoped by the widget key's class (`.st-key-<key>`).

css_string(text)                 text as a CSS string literal, every character that could end it escaped
uploader_css(key, types, max_mb) the style sheet for one uploader, "" in English
translate_uploader(key, types)   draws it (call beside the st.file_uploader with that key)
dropdown_css()                   the style sheet for the open list of any selectbox or multiselect, "" in English
"""

from __future__ import annotations

import re

import streamlit as st

from gan_core import i18n
from gan_core.i18n import _

_SAFE = re.compile(r"[A-Za-z0-9]")

# Hide a text node's element but keep the element (its ::after shows the translation in the same place).
_HIDE = "visibility: hidden; font-size: 0; line-height: 0;"
_SHOW = "visibility: visible; line-height: 1.6;"
DROPZONE = '[data-testid="stFileUploaderDropzone"]'
INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"]'


def css_string(text: str) -> str:
    """`text` as a double-quoted CSS string: ASCII letters and digits as they are, every other character as a
    six-digit escape (\\00XXXX needs no terminating space), so no quote, backslash, newline or `</style>` in a
    translation can end the string or the style element. Spaces are escaped too: a space right after an escape
    would be read as the escape's terminator and vanish."""
    return '"' + "".join(ch if _SAFE.fullmatch(ch) else f"\\{ord(ch):06X}" for ch in text) + '"'


def _types_text(types: list[str] | None) -> str:
    return ", ".join(t.lstrip(".").upper() for t in types or [])


def uploader_css(key: str, types: list[str] | None, max_mb: int) -> str:
    """The style sheet that shows the uploader `key`'s own texts in the tab's language; "" in English."""
    if i18n.get_language() == i18n.DEFAULT:
        return ""
    scope = f".st-key-{key}"
    limits = _("{size} MB per file").format(size=max_mb)
    if types:
        limits += " · " + _types_text(types)
    texts = {  # the element whose text is replaced -> its text in the tab's language
        f"{DROPZONE} button p": _("Upload"),
        f"{INSTRUCTIONS} span": limits,
        f"{DROPZONE} > div > span": _("Drop the file here"),  # shown while a file is dragged over the box
    }
    rules = [
        f"{scope} {where} {{ {_HIDE} }} "
        f"{scope} {where}::after {{ content: {css_string(text)}; font-size: 0.875rem; {_SHOW} }}"
        for where, text in texts.items()
    ]
    return "<style>" + " ".join(rules) + "</style>"


def dropdown_css() -> str:
    """The style sheet for the texts Streamlit puts in every selectbox's and multiselect's open list: "Select all"
    and "Select N matches" (a multiselect's first entry; the number is left out) and "No results" (a filter that
    matches nothing); "" in English. The list opens in a layer of its own, so the rules are not scoped."""
    if i18n.get_language() == i18n.DEFAULT:
        return ""
    texts = {
        '[role="option"][data-key="__select_all__"] > *': _("Select all"),
        '[role="option"][data-key="__select_matches__"] > *': _("Select every match"),
        '[role="listbox"][data-empty] [role="option"] > span': _("No results"),
    }
    rules = [
        f"{where} {{ {_HIDE} }} {where}::after {{ content: {css_string(text)}; font-size: 0.875rem; {_SHOW} }}"
        for where, text in texts.items()
    ]
    return "<style>" + " ".join(rules) + "</style>"


def translate_uploader(key: str, types: list[str] | None) -> None:
    """Draw the style sheet for the uploader `key` (nothing in English). The size limit is the server's."""
    css = uploader_css(key, types, int(st.get_option("server.maxUploadSize")))
    if css:
        st.html(css)
