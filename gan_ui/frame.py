"""The app's frame, run by app.py on every rerun: process set-up once, the page's styling, the tab's identity and
teacher settings, the top menu, and the page to run.

This is the top of gan_ui: it imports every page module (so they are loaded, and their objects frozen
out of the garbage collector's sight, before the first page runs); no page module imports it.
"""

from __future__ import annotations

import gc

import streamlit as st

from gan_core.i18n import _

from . import about, class_page, class_state, explore, learn, playground, server, settings, tabs, teacher, train  # noqa: F401  (every page, loaded at start-up)
from .language import language_switch, use_language
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


def navigation():
    """The top navigation bar; returns the page to run."""
    settings.configure_torch()
    settle_process()
    use_language()
    st.html(CSS)
    tabs.token()  # this tab's identity, back in the URL if a page switch dropped it
    teacher.load(LESSON_IDS)  # teacher links: ?lesson=N&lock=...&hide=...&projector=1
    class_state.apply_locks()  # locks a class's teacher pushed from the board
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
