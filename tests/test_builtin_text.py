"""Streamlit's own uploader texts in the tab's language (gan_ui.builtin_text): the CSS string escaping that keeps a
translation inside its string, and the style sheet that is drawn in Chinese and not in English.

The browser side (the uploader really reads in Chinese, no English of it visible) is tests/test_e2e_uploader_text.py.
"""

from __future__ import annotations

import re

from gan_core.i18n import _, language
from gan_ui.builtin_text import css_string, dropdown_css, uploader_css

ESCAPE = re.compile(r"\\([0-9A-F]{1,6})[ \t\n]?")  # CSS: one whitespace after an escape ends it and is dropped


def _decode(css: str) -> str:
    """A CSS string literal made by css_string, read back as a browser would."""
    assert css.startswith('"') and css.endswith('"'), css
    return ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), css[1:-1])


def test_css_string_round_trips_and_nothing_can_end_the_string_or_the_style():
    for text in [
        "上传",
        "单个文件不超过 20 MB · JSON",
        "a  b",
        'a "quote" \\ back',
        "</style><script>x</script>",
        "line\nbreak; }",
        "💾",
    ]:
        css = css_string(text)
        assert _decode(css) == text
        inner = css[1:-1]
        for bad in ('"', "'", "<", ">", "\n", ";", "}", "{"):
            assert bad not in inner, (text, css)
        assert not re.search(r"\\(?![0-9A-F]{6})", inner), css  # every backslash starts a full escape


def test_english_tabs_get_no_style_and_chinese_tabs_get_every_text():
    with language("en"):
        assert uploader_css("config_upload", ["json"], 20) == ""
    with language("zh_CN"):
        css = uploader_css("config_upload", ["json"], 20)
        upload, drop = _("Upload"), _("Drop the file here")
        limits = _("{size} MB per file").format(size=20) + " · JSON"
    assert css.startswith("<style>") and css.endswith("</style>") and css.count("<") == 2
    contents = [_decode(c) for c in re.findall(r'content: ("[^"]*")', css)]
    assert contents == [upload, limits, drop]
    assert all(re.search(r"[\u4e00-\u9fff]", c) for c in contents), contents
    for selector in ("button p", '[data-testid="stFileUploaderDropzoneInstructions"] span', "> div > span"):
        assert ".st-key-config_upload " in css and selector in css
    assert css.count("visibility: hidden") == 3 and css.count("visibility: visible") == 3


def test_each_uploader_names_its_own_types():
    with language("zh_CN"):
        digits = uploader_css("lab_upload", ["png", "jpg"], 20)
        model = uploader_css("model_upload", [".safetensors"], 20)
    assert "PNG, JPG" in _decode(re.findall(r'content: ("[^"]*")', digits)[1])
    assert _decode(re.findall(r'content: ("[^"]*")', model)[1]).endswith("· SAFETENSORS")
    assert ".st-key-lab_upload " in digits and ".st-key-model_upload " in model


def test_the_open_lists_get_their_texts_in_chinese_only():
    with language("en"):
        assert dropdown_css() == ""
    with language("zh_CN"):
        css = dropdown_css()
        expected = [_("Select all"), _("Select every match"), _("No results")]
    assert [_decode(c) for c in re.findall(r'content: ("[^"]*")', css)] == expected
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in expected), expected
    assert '[data-key="__select_all__"]' in css and '[role="listbox"][data-empty] [role="option"] > span' in css
