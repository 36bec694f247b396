"""A browser tab's identity: the random token in its URL (?tab=...).

Streamlit's session ends with the page (a reload, F5, a new window: a new session, empty session
state), so nothing that must outlive a reload can live in the session. What does outlive it is the
URL: this module gives every tab a token, keeps it in the URL on every page and every script run,
and the modules that keep things per tab on the server key them by it: the tab's runs
(state.session_store) and its teacher's settings (teacher.load).

* The token comes from the URL when it carries a well-formed one (a reload, the back button, a new
  window opened on the same address), else from this session (a page switch that dropped the
  query string), else it is new.
* Links between pages carry it (`query()`), and a URL that lost it gets it back at once.
* It is 32 random hex digits: unguessable, never a path, never shown to another tab. A URL with a
  malformed token starts a new tab, and `note()` says so on the pages of that session.
"""

from __future__ import annotations

import uuid

import streamlit as st

from gan_core.i18n import _

PARAM = "tab"
_SESSION_KEY = "_tab_token"
_NOTE_KEY = "_tab_token_note"


def valid(token) -> bool:
    return isinstance(token, str) and len(token) == 32 and all(c in "0123456789abcdef" for c in token)


def token() -> str:
    """This tab's token (see the module docstring); written into the URL when the URL lacks it."""
    ss = st.session_state
    raw = st.query_params.get(PARAM, "")
    if valid(raw):
        tok = raw
    else:
        tok = ss.get(_SESSION_KEY) or uuid.uuid4().hex
        if raw and _NOTE_KEY not in ss:
            ss[_NOTE_KEY] = raw[:40]  # worded by note(), in the page's language
        try:
            st.query_params[PARAM] = tok
        except Exception:  # noqa: BLE001 - no browser page (bare script runs): the token lives in this session
            pass
    ss[_SESSION_KEY] = tok
    return tok


def query(**params: str) -> dict[str, str]:
    """Query parameters for a link to another page of this tab: `params` plus the tab's token."""
    return {**params, PARAM: token()}


def note() -> None:
    """On every page of a session whose URL's token was malformed (a new tab began): one line saying so."""
    raw = st.session_state.get(_NOTE_KEY)
    if raw:
        text = _(
            "The address's tab={raw} is not a tab of this app (32 hex digits), so this page opened as a new tab: "
            "runs and teacher settings of another tab are not here."
        ).format(raw=repr(raw))
        st.warning(text, icon=":material/link_off:")
