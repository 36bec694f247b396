"""The Class page: a student joins a class (code + nickname), hands in runs, leaves; a teacher creates a class.

The teacher's board is this page opened with `?board=<teacher secret>` (gan_ui/class_board.py); without that
secret nobody sees it. Joining is optional: a tab outside a class works exactly as before.
"""

from __future__ import annotations

import streamlit as st

from gan_core.classroom_db import ClassroomError
from gan_core.i18n import _

from . import class_board, class_state
from .class_feed import tile_of
from .layout import page_link
from .state import session_store

BOARD_PARAM = "board"


def render() -> None:
    secret = st.query_params.get(BOARD_PARAM) or st.session_state.get("class_board_secret")
    if secret:
        st.session_state["class_board_secret"] = secret  # a page switch drops the query: the board stays
        st.query_params[BOARD_PARAM] = secret  # and its address stays the one to reload or to open on a projector
        class_board.render(secret)
        return
    st.title(_("Class"))
    member = class_state.membership()
    if member is None:
        _join_form()
    else:
        _member_view(*member)
    st.divider()
    _teacher_create()


def _join_form() -> None:
    st.caption(_("Join your teacher's class to show your runs on the class board. Only your nickname is shown."))
    with st.form("class_join"):
        code = st.text_input(_("Class code"), max_chars=12, key="class_code")
        nick = st.text_input(_("Nickname"), max_chars=40, key="class_nick")
        if st.form_submit_button(_("Join"), type="primary"):
            try:
                class_state.join(code, nick)
            except ClassroomError as err:
                st.error(str(err), icon=":material/error:")
            else:
                st.rerun()


def _member_view(nickname: str, code: str) -> None:
    st.success(
        _("You are in class {code} as {nickname}. Your runs appear on the class board.").format(
            code=code, nickname=nickname
        ),
        icon=":material/groups:",
    )
    feed = class_state.feed()
    if feed is not None and feed.error:
        st.warning(feed.error, icon=":material/cloud_off:")
    _hand_in(feed)
    if st.button(_("Leave the class"), key="class_leave", help=_("Your tiles and hand-ins leave with you.")):
        class_state.leave()
        st.rerun()


def _hand_in(feed) -> None:
    runs = [h for h in session_store().runs if h.usable and not h.active]
    if not runs or feed is None:
        st.caption(_("When a run has finished you can hand it in here."))
        return
    labels = {h.number: h.label for h in runs}
    number = st.selectbox(_("Run to hand in"), list(labels), format_func=labels.get, key="class_hand_in_run")
    if st.button(_("Hand in"), key="class_hand_in", icon=":material/upload:"):
        run = next(h for h in runs if h.number == number)
        tile = tile_of(run)
        metrics = {k: tile.get(k) for k in ("step", "frechet", "fd_ratio", "classes", "kl", "inception", "alert")}
        try:
            class_state.db().hand_in(feed.token, str(run.number), run.bundle(), run.cfg.to_dict(), metrics)
        except ClassroomError as err:
            st.error(str(err))
        else:
            st.success(_("Handed in: run {number}.").format(number=run.number), icon=":material/check_circle:")


def _teacher_create() -> None:
    with st.expander(_("For teachers: start a class board"), icon=":material/co_present:"):
        st.caption(
            _(
                "A class gets a short code for the students and a secret board link for you. "
                "Class data is deleted after {hours} hours, or when you delete the class."
            ).format(hours=round(class_state.db().expiry_s / 3600))
        )
        if st.button(_("Create a class"), key="class_create"):
            code, secret = class_state.db().create_class()
            st.session_state["class_created"] = (code, secret)
        made = st.session_state.get("class_created")
        if made:
            code, secret = made
            st.markdown(_("Code for the students: **{code}**").format(code=code))
            page_link(
                "class",
                label=_("Open the class board (keep this link to yourself)"),
                query={BOARD_PARAM: secret},
                icon=":material/dashboard:",
            )
