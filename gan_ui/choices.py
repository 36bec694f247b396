"""A widget's choice across a language switch.

Streamlit sends a selectbox's, radio's or segmented control's choice back from the browser as the text it showed
(the option run through `format_func`), and a tab's choice as its label. When the language changes, the next
rerun formats the options in the new language, the old text matches none of them, and the widget would fall back
to its first option: the tab would lose the model it opened, the lab the source it used.

Before such a widget is drawn, reading its key still decodes the browser's text with the previous run's options
(the choice the student made); writing that value back makes it the widget's value for this run. Tabs have no
`format_func`: their label is the choice, so the label is looked up in every language and replaced by this one's.
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import _, language, supported


def keep(*keys: str) -> None:
    """Keep each widget's choice (an option, not its text) through a change of language. Call before drawing."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def keep_label(key: str, msgids: list[str]) -> None:
    """A choice stored as a translated label (st.tabs): map it to the same message in this run's language."""
    current = st.session_state.get(key)
    if current is None:
        return
    for msgid in msgids:
        names = {msgid}
        for code, _name in supported():
            with language(code):
                names.add(_(msgid))
        if current in names:
            st.session_state[key] = _(msgid)
            return
