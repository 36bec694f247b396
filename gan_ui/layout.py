"""Navigation between the pages, and the little bit of global styling.

Each page is a two-line script in gan_ui/pages/ that calls the page module's render(); script
pages (rather than callables) let AppTest switch between them like a user does.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from . import settings, teacher
from .lessons import LESSON_IDS

PAGES_DIR = Path(__file__).resolve().parent / "pages"
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"    # a generated digit, served locally (offline-safe)
PAGE_SPECS = {   # name -> (title, icon)
    "explore": ("Explore", ":material/tune:"),
    "train": ("Train", ":material/model_training:"),
    "learn": ("Learn", ":material/menu_book:"),
    "about": ("How it works", ":material/school:"),
}

CSS = """
<style>
/* Digits are tiny images scaled up: keep every pixel a crisp square, even when the browser rescales. */
[data-testid="stImage"] img { image-rendering: pixelated; }
/* A compact page head: the title is a label, not a poster. */
.block-container { padding-top: 2.2rem; }
[data-testid="stMain"] h1 { font-size: 2rem; padding-bottom: 0.1rem; }
[data-testid="stMain"] h3 { font-size: 1.3rem; }
</style>
"""


def pages() -> dict[str, st.Page]:
    return {name: st.Page(PAGES_DIR / f"{name}.py", title=title, icon=icon, url_path=name,
                          default=(name == "explore"))
            for name, (title, icon) in PAGE_SPECS.items()}


def navigation():
    """The top navigation bar; returns the page to run."""
    settings.configure_torch()
    st.html(CSS)
    teacher.load(LESSON_IDS)          # teacher links: ?lesson=N&lock=...&hide=...&projector=1
    teacher.apply_style()
    return st.navigation(list(pages().values()), position="top")


def switch_to(name: str) -> None:
    st.switch_page(pages()[name])


def page_link(name: str, label: str | None = None) -> None:
    title, icon = PAGE_SPECS[name]
    st.page_link(pages()[name], label=label or title, icon=icon)


def show_png(png: bytes, **kwargs) -> None:
    """st.image for our PNG bytes: kept as PNG (auto format may re-encode to a blurry JPEG)."""
    st.image(png, output_format="PNG", **kwargs)
