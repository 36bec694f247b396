"""The app's frame, run by app.py on every rerun: the page's styling, the tab's identity and teacher settings, the
top menu, and the page to run.

It imports no page module: each page's script (gan_ui/pages/) imports its own, so the first page of a fresh
server waits only for what it draws; gan_ui.warmup loads the others in the background and settles the process.
No page module imports this one.
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import _

from . import class_state, server, settings, tabs, teacher
from .builtin_text import dropdown_css
from .language import language_switch, use_language
from .layout import CSS, pages, top_menu
from .lessons import LESSON_IDS


def navigation():
    """The top navigation bar; returns the page to run."""
    settings.configure_torch()
    use_language()
    st.html(CSS)
    if builtin := dropdown_css():  # Streamlit's own words in open lists ("No results"), in the tab's language
        st.html(builtin)
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
