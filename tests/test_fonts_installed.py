"""Chinese shows as Chinese, not as tofu boxes: in the browser that takes the suite's screenshots, and in the
words the server draws into images (gan_core/fonts.py).

A glyph the fonts lack is drawn as the font's "missing glyph" box, the same box for every missing character. So
the browser test draws 中 and U+0378 (a code point Unicode has never assigned: a box in every font) side by side
in the page's font and compares the pixels: the same pixels mean 中 is a box too. The machine's fonts are the
machine's business, not the app's, so without Chinese glyphs these tests skip with the package to install,
except where scripts/test.sh could install it (GAN_CLASSROOM_REQUIRE_BROWSER=1), where that would be a failure.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from e2e_support import browser  # noqa: F401

from gan_core import fonts

REQUIRED = os.environ.get("GAN_CLASSROOM_REQUIRE_BROWSER", "") in ("1", "true", "yes")
MISSING = "no font with Chinese glyphs on this machine (Debian/Ubuntu: apt-get install fonts-noto-cjk)"

DRAW_JS = """(text) => {
    const c = document.createElement('canvas'); c.width = 40; c.height = 40;
    const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 40, 40);
    g.fillStyle = '#000'; g.font = '28px "Source Sans", "Source Sans Pro", sans-serif'; g.textBaseline = 'top';
    g.fillText(text, 4, 4);
    return Array.from(g.getImageData(0, 0, 40, 40).data.filter((_, i) => i % 4 === 0));
}"""


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"GAN_CLASSROOM_REQUIRE_BROWSER=1 (scripts/test.sh installs it) but {reason}")
    pytest.skip(reason)


@pytest.mark.browser
def test_the_browser_draws_chinese_glyphs_not_boxes(browser):  # noqa: F811
    page = browser.new_page()
    try:
        page.set_content("<!doctype html><html lang='zh-CN'><body></body></html>")
        han, box = (np.array(page.evaluate(DRAW_JS, t)) for t in ("中", "\u0378"))
    finally:
        page.close()
    assert (box < 128).sum() > 20, "the missing-glyph box itself was not drawn: the check cannot tell"
    if np.array_equal(han, box):
        _skip_or_fail(MISSING + ": the browser draws 中 as the missing-glyph box")
    assert (han < 128).sum() > 20  # a glyph with ink, and not the box


def _drawn(text: str, font) -> np.ndarray:
    from PIL import Image, ImageDraw

    img = Image.new("L", (40, 40), 255)
    ImageDraw.Draw(img).text((4, 4), text, font=font, fill=0)
    return np.asarray(img)


def test_the_server_draws_chinese_glyphs_into_images():
    fonts.cjk_font_path.cache_clear()  # what this machine has now, not what an earlier test saw
    if fonts.cjk_font_path() is None:
        _skip_or_fail(MISSING + ": gan_core.fonts found none")
    font = fonts.font_for("生成器", 28)
    han, box = _drawn("中", font), _drawn("\u0378", font)
    assert (han < 128).sum() > 20 and not np.array_equal(han, box)  # ink, and not the missing-glyph box
