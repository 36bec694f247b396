"""A tab's identity (gan_ui/tabs.py) and what lives with it on the server, through AppTest: a new session
on the same ?tab= token (a reload, a new window) gets the tab's teacher locks, locked values and runs; a
changed address cannot drop a lock; a malformed token starts a new tab and says so.
The same in a real browser, with the top menu and the back button: tests/test_e2e_first_hour_tabs.py."""

from __future__ import annotations

import pytest
from e2e_support import ROOT
from streamlit.testing.v1 import AppTest

from gan_core import PRESETS
from gan_ui.lessons import LESSON_IDS

APP = str(ROOT / "app.py")
TIMEOUT = 120
pytestmark = pytest.mark.usefixtures("app_env")  # tests/conftest.py: offline, test mode, runs stopped after


def open_at(page: str = "train", **params) -> AppTest:
    """A fresh session (a page load) with these URL parameters, switched to `page`."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"gan_ui/pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def tab(at: AppTest) -> str:
    value = at.query_params["tab"]
    return value[0] if isinstance(value, list) else value


def locked(at: AppTest) -> dict[str, bool]:
    return {
        "preset": at.selectbox(key="cfg_preset").disabled,
        "loss": at.selectbox(key="cfg_loss").disabled,
        "lr_g": at.select_slider(key="cfg_lr_g").disabled,
        "lr_d": at.select_slider(key="cfg_lr_d").disabled,
    }


ALL_LOCKED = {"preset": True, "loss": True, "lr_g": True, "lr_d": True}


def test_a_new_session_on_the_tab_token_keeps_the_locks_and_their_values():
    from gan_ui.state import live_stores

    first = open_at(page="learn", lesson="5", lock="lr,loss", projector="1")
    token = tab(first)
    lesson = LESSON_IDS[4]
    question = first.radio(key=f"predict_{lesson}")
    question.set_value(question.options[0]).run()  # predict first, then ...
    next(b for b in first.button if b.key == f"learn_run_{lesson}").click().run()  # the lesson's run: its values
    assert not first.exception, first.exception
    (run,) = next(s for s in live_stores() if s.owner == token and not s.closed).runs
    assert run.join(60)
    reload = open_at(tab=token)  # F5 on /train?tab=…: a new session, the URL's token only
    assert locked(reload) == ALL_LOCKED
    assert reload.selectbox(key="cfg_preset").value == "collapse"
    assert reload.select_slider(key="cfg_lr_g").value == PRESETS["collapse"].config().lr_g
    assert any("Your teacher fixed: loss, lr" in c.value for c in reload.caption)
    assert any("font-size: 20px" in h.proto.body for h in reload.get("html"))  # projector mode
    assert next(m.value for m in reload.metric if m.label == "Step") == "6"  # and the tab's run is there


@pytest.mark.parametrize(
    "edit", [{"lock": ""}, {"lock": "seed"}, {"lock": "seed", "projector": "0"}, {"lesson": "5", "hide": "coach"}]
)
def test_editing_the_address_cannot_drop_a_lock(edit):
    token = tab(open_at(lesson="5", lock="lr,loss"))
    edited = open_at(tab=token, **edit)
    assert locked(edited) == ALL_LOCKED
    if any(edit.values()):
        assert any("This tab keeps the settings of your teacher's link" in i.value for i in edited.info)


def test_a_tab_without_settings_takes_a_teachers_parameters():
    token = tab(open_at())
    assert not any(locked(open_at(tab=token)).values())
    assert locked(open_at(tab=token, lock="lr,loss")) == ALL_LOCKED


def test_a_malformed_token_starts_a_new_tab_and_says_so():
    at = open_at(page="explore", tab="../../etc/passwd")
    assert len(tab(at)) == 32
    assert any("is not a tab of this app" in w.value for w in at.warning)


def test_every_link_between_pages_carries_the_tab_token():
    at = open_at(page="learn")
    links = at.get("page_link")
    assert len(links) >= 4
    assert all(f"tab={tab(at)}" in link.proto.query_string for link in links), [p.proto.query_string for p in links]
