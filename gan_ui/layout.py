"""Navigation between the pages, and the little bit of global styling.

Each page is a two-line script in gan_ui/pages/ that calls the page module's render(); script
pages (rather than callables) let AppTest switch between them like a user does.

The top menu is ours (st.page_link in a row), not st.navigation's own: its links carry the tab's
token (gan_ui/tabs.py), so moving between pages, opening a page in a new window or reloading keeps
the tab's runs and its teacher's settings. Every other link and page switch goes through
`page_link` / `switch_to` here for the same reason.
"""

from __future__ import annotations

import base64
from pathlib import Path

import streamlit as st

from gan_core.i18n import N_, _

from . import tabs

PAGES_DIR = Path(__file__).resolve().parent / "pages"
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"  # a generated digit, served locally (offline-safe)
PAGE_SPECS = {  # name -> (title, icon); titles translated where shown: _(title)
    "explore": (N_("Explore"), ":material/tune:"),
    "train": (N_("Train"), ":material/model_training:"),
    "learn": (N_("Learn"), ":material/menu_book:"),
    "playground": (N_("Playground"), ":material/scatter_plot:"),
    "about": (N_("How it works"), ":material/school:"),
    "class": (N_("Class"), ":material/groups:"),
}

CSS = """
<style>
/* Digits are tiny images scaled up: keep every pixel a crisp square, even when the browser rescales. */
[data-testid="stImage"] img { image-rendering: pixelated; }
/* A compact page head: the title is a label, not a poster. */
.block-container { padding-top: 2.2rem; }
/* The top menu: one row of page links under the header. */
.st-key-top_menu { margin-top: -1.2rem; margin-bottom: 0.4rem; }
.st-key-top_menu [data-testid="stPageLink"] { flex: 0 0 auto; }
[data-testid="stMain"] h1 { font-size: 2rem; padding-bottom: 0.1rem; }
[data-testid="stMain"] h3 { font-size: 1.3rem; }
/* Phones: the menu stays one row (it scrolls sideways rather than wrap), without icons, and the title
   shrinks, so the page's first control and digit come up on the first screen. */
@media (max-width: 640px) {
  .st-key-top_menu { flex-wrap: nowrap !important; overflow-x: auto; gap: 0.1rem !important; }
  .st-key-top_menu [data-testid="stPageLink"] a { padding-left: 0.35rem; padding-right: 0.35rem; }
  .st-key-top_menu [data-testid="stPageLink"] [data-testid="stIconMaterial"] { display: none; }
  [data-testid="stMain"] h1 { font-size: 1.5rem; }
}
</style>
"""


def page(name: str) -> st.Page:
    """One of the app's pages, titled in the tab's language (an st.Page is cheap to make, but not free: every link
    makes only its own)."""
    title, icon = PAGE_SPECS[name]
    return st.Page(PAGES_DIR / f"{name}.py", title=_(title), icon=icon, url_path=name, default=(name == "explore"))


def pages() -> dict[str, st.Page]:
    return {name: page(name) for name in PAGE_SPECS}


def top_menu(extra=None) -> None:
    """The row of page links at the top of every page; each link keeps the tab's token. `extra()` draws at the
    row's end (the language switch, given by frame so this module needs no i18n state of its own)."""
    with st.container(horizontal=True, gap="medium", key="top_menu", vertical_alignment="center"):
        for name in PAGE_SPECS:
            page_link(name)
        if extra is not None:
            extra()


def switch_to(name: str) -> None:
    st.switch_page(page(name), query_params=tabs.query())


def page_link(
    name: str, label: str | None = None, query: dict | None = None, icon: str | None = None, help: str | None = None
) -> None:
    """A link to one of the app's pages, in this tab (its token rides along with `query`)."""
    title, page_icon = PAGE_SPECS[name]
    st.page_link(
        page(name),
        label=label or _(title),
        icon=icon or page_icon,
        help=help,
        query_params=tabs.query(**(query or {})),
    )


def png_data_url(png: bytes) -> str:
    """The PNG as a data: URL, which the browser decodes without asking the server for anything."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def show_png(png: bytes, inline: bool = False, **kwargs) -> None:
    """st.image for our PNG bytes: kept as PNG (auto format may re-encode to a blurry JPEG).

    inline: send the picture inside the page's own message (a data: URL) rather than as a media file the
    browser then fetches with a second request. For the small pictures redrawn on every slider move (a 28 x 28
    digit is a few hundred bytes): the second request waits for the same busy server as the move itself, and
    every media file is one more to store and forget per move. Big or seldom-changing pictures stay media
    files, which the browser caches."""
    st.image(png_data_url(png) if inline else png, output_format="PNG", **kwargs)


def predict_radio(label: str, choices: tuple, key: str, locked: bool, predicted: bool) -> bool:
    """A lesson's "1 · Predict": one choice, none at first, kept for the tab's session; disabled once `locked` (the
    run that tests it has started). Returns whether it said the prediction is locked in."""
    st.radio(label, choices, index=None, key=key, disabled=locked, persist_state="session")
    if locked and predicted:
        st.caption(":material/lock: " + _("Your prediction is locked in."))
        return True
    return False
