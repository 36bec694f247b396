"""A lint over the UI: user-visible English literals that bypass the translation catalogue fail.

What counts as user-visible: a string literal (or f-string) given to a Streamlit call (`st.title`, `st.button`,
`st.slider`, ... : positionally or as label=/help=/placeholder=/caption=/body=/value=...), or to a Plotly
title/axis/legend text (`title=`, `title_text=`, `name=`, `hovertemplate=`, `text=` in a figure call, an
`xaxis_title=`/`yaxis_title=` keyword). It is fine when wrapped in `_()` / `N_()` / `ngettext()`.

Rule for what is "English" (not a list of exceptions): the literal has a word of three or more ASCII letters
outside `{placeholders}`, code spans (`...`), $math$, HTML/CSS tags, and :material/icon: names. Math
("D(x)", "lr_G", "$\\log D$"), numbers, emoji, format-only strings ("{:.2f}") and Markdown punctuation pass.

Modules still being translated by other engineers are in PENDING; the lead empties it at merge.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PENDING: set[str] = set()  # modules not yet translated (none)
ST_CALLS = {
    "title", "header", "subheader", "markdown", "caption", "write", "text", "button", "slider", "select_slider",
    "selectbox", "multiselect", "radio", "toggle", "checkbox", "number_input", "text_input", "text_area",
    "expander", "tabs", "info", "warning", "error", "success", "toast", "download_button", "file_uploader",
    "metric", "popover", "segmented_control", "pills", "page_link", "link_button", "form_submit_button",
    "status", "spinner", "progress", "color_picker", "date_input", "time_input", "camera_input", "chat_input",
}  # fmt: skip
ST_KEYWORDS = {"label", "help", "placeholder", "caption", "body", "value", "text", "options", "tabs"}
PLOTLY_KEYWORDS = {"title", "title_text", "xaxis_title", "yaxis_title", "legend_title_text", "name", "hovertemplate"}
WRAPPERS = {"_", "N_", "ngettext", "gettext"}
_NOT_PROSE = re.compile(r"\{[^}]*\}|`[^`]*`|\$[^$]*\$|<[^>]*>|:material/[a-z_]+:|&[a-z]+;|https?://\S+")
_WORD = re.compile(r"(?<![A-Za-z_])[A-Za-z]{3,}(?![A-Za-z_(])")


def is_english(text: str) -> bool:
    """True when `text` has a word of >= 3 ASCII letters outside placeholders, code, math, tags and icons."""
    return bool(_WORD.search(_NOT_PROSE.sub(" ", text)))


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, (ast.List, ast.Tuple)):
        return " ".join(t for t in (_literal_text(e) for e in node.elts) if t)
    return None


def _callee(node: ast.Call) -> tuple[str | None, str | None]:
    """(object, attribute) of a call like st.button(...) -> ("st", "button"); col.button -> ("col", "button")."""
    f = node.func
    if isinstance(f, ast.Attribute):
        base = f.value
        name = base.id if isinstance(base, ast.Name) else (base.attr if isinstance(base, ast.Attribute) else "?")
        return name, f.attr
    if isinstance(f, ast.Name):
        return None, f.id
    return None, None


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        obj, attr = _callee(node)
        if attr in WRAPPERS and obj is None:
            continue
        streamlit = attr in ST_CALLS and obj not in (None, "self", "re", "os", "log", "logging", "fig")
        candidates = []
        if streamlit:
            keyed = any(k.arg == "format_func" for k in node.keywords)  # options are keys; format_func shows them
            candidates += node.args[:1] if keyed else node.args
            shown = ST_KEYWORDS - {"options", "value"} if keyed else ST_KEYWORDS
            candidates += [k.value for k in node.keywords if k.arg in shown]
        candidates += [k.value for k in node.keywords if k.arg in PLOTLY_KEYWORDS]
        for arg in candidates:
            text = _literal_text(arg)
            if text is not None and is_english(text):
                found.append(f"{path.relative_to(ROOT)}:{arg.lineno}: {text[:60]!r}")
    return found


def _modules():
    return [ROOT / "app.py", *sorted((ROOT / "gan_ui").rglob("*.py"))]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_english_literal_bypasses_the_catalogue(path):
    if path.stem in PENDING and path.parent.name == "gan_ui":
        pytest.skip(f"{path.stem}: being translated on another branch (PENDING, emptied at merge)")
    assert violations(path) == []


def test_the_rule():
    assert is_english("Start training")
    assert is_english("Step {step} of the run")
    for ok in ("D(x)", "lr_G", "{:.2f}", "$\\log D(x)$", "`gan_step`", "🎲", "z₁ → z₂", ":material/tune:", "—", ""):
        assert not is_english(ok), ok


def test_the_lint_catches_a_bare_label(tmp_path):
    bad = ROOT / "gan_ui" / "_lint_probe_tmp.py"
    try:
        bad.write_text('import streamlit as st\nst.button("Start the run", help=_("ok"))\nst.caption(_("fine"))\n')
        assert len(violations(bad)) == 1
        # options shown through format_func are keys; the same options shown as they are are not
        bad.write_text(
            'st.radio(_("Path"), ["slerp", "lerp"], format_func=_)\nst.radio(_("Path"), ["Drawing", "Upload"])\n'
        )
        assert [v.split(": ", 1)[1] for v in violations(bad)] == ["'Drawing Upload'"]
    finally:
        bad.unlink()
