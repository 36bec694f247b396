"""Fonts for text drawn into images (the progress GIF's captions): one with CJK glyphs when the text needs it.

Pillow's built-in font has Latin glyphs only: Chinese drawn with it comes out as empty boxes ("tofu"). We ship no
font (Noto Sans CJK is ~20 MB per weight, larger than the whole app) and use the system's instead, found in this
order:

  1. $GAN_CLASSROOM_CJK_FONT, a path to a .ttf/.otf/.ttc (for a system laid out differently);
  2. fontconfig: `fc-match -f %{file} "Noto Sans CJK SC:lang=zh-cn"` (any distribution with fontconfig, and a
     fallback font fontconfig prefers when Noto is absent, kept only if it covers Chinese: `:lang=zh-cn`);
  3. known paths of Debian/Ubuntu's `fonts-noto-cjk` (the Dockerfile installs it), Fedora, Arch, macOS, Windows.

When none is found, the text is drawn with Pillow's built-in font and one warning is logged, naming the package
to install: an image with English-only glyphs is better than no image. Text that is plain ASCII never needs one.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from pathlib import Path

from PIL import ImageFont

log = logging.getLogger(__name__)
ENV = "GAN_CLASSROOM_CJK_FONT"
KNOWN_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch noto-fonts-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora google-noto-sans-cjk-ttc-fonts
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "C:/Windows/Fonts/msyh.ttc",  # Windows: Microsoft YaHei
)
# In a .ttc, Noto Sans CJK's faces are JP, KR, SC, TC, HK: index 2 draws Simplified Chinese glyph shapes.
TTC_INDEX = {"NotoSansCJK-Regular.ttc": 2, "NotoSansCJK-Bold.ttc": 2}


def needs_cjk(text: str) -> bool:
    return any(ord(ch) > 0x2E7F for ch in text)


def _fc_match() -> str | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        if not out:
            return None
        covers = subprocess.run(["fc-list", ":lang=zh-cn", "file"], capture_output=True, text=True, timeout=5).stdout
        return out if out in covers else None
    except (OSError, subprocess.SubprocessError):
        return None


@functools.lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """The path of a font with Chinese glyphs, or None (see the module docstring for the search order)."""
    env = os.environ.get(ENV)
    if env and Path(env).is_file():
        return env
    for path in (_fc_match(),) + KNOWN_PATHS:
        if path and Path(path).is_file():
            return path
    log.warning(
        "No font with Chinese glyphs found: text in images is drawn with Pillow's built-in font (Chinese "
        "shows as boxes). Install one (Debian/Ubuntu: apt-get install fonts-noto-cjk) or set %s.",
        ENV,
    )
    return None


@functools.lru_cache(maxsize=16)
def _truetype(path: str, size: int):
    return ImageFont.truetype(path, size=size, index=TTC_INDEX.get(Path(path).name, 0))


def font_for(text: str, size: int = 14):
    """A font that can draw `text`: a CJK one when the text has CJK characters (and one is installed), else
    Pillow's built-in scalable font."""
    if needs_cjk(text):
        path = cjk_font_path()
        if path:
            try:
                return _truetype(path, size)
            except OSError as exc:
                log.warning("Could not open the CJK font %s (%s): using Pillow's built-in font.", path, exc)
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable built-in font
    except TypeError:  # pragma: no cover - older Pillow
        return ImageFont.load_default()
