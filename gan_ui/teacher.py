"""Teacher mode: a link that opens a lesson with chosen controls locked or hidden, and a projector mode.

A teacher shares a link such as

    http://host:8501/learn?lesson=5&lock=lr,loss&hide=advanced,answer&projector=1
    http://host:8501/playground?lesson=pg-collapse&lock=lr,target&hide=answer

* `lesson`    the lesson to open: a Learn lesson's number (1-8) or id ("collapse"), or a Playground lesson's id
              ("pg-collapse", gan_ui/lessons_playground.py: the Playground opens with that lesson's settings);
* `lock`      controls shown but disabled, with a note saying the teacher fixed them (names in LOCKABLE);
* `hide`      parts of the page not shown at all (names in HIDEABLE);
* `allow`     what a lesson otherwise withholds (names in ALLOWABLE): `run_first` lets its run start before a
              prediction, `answer` reveals the answer without waiting for the run to end;
* `projector` 1: larger type, high-contrast text and the projector pair of colours for G and D.

The names and `parse` live in gan_ui/teacher_params.py (pure); this module applies them to a tab.

The settings live on the server with the tab (under its token, gan_ui/tabs.py), not in the page's
session: they hold on every page, after a reload (F5), the back button, a new window on the same
address, and when the URL loses its query string or a student edits it. A tab with locks, hidden
parts or projector mode keeps them for as long as the server runs: a URL with other teacher
parameters but the same `tab=` changes nothing (the page says so); the teacher's link itself (it has
no `tab=`) opens a new tab with its own settings. A tab without any settings takes them from the
first teacher parameters it is given. Unknown names are reported, in words, and otherwise ignored.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import plotly.graph_objects as go
import streamlit as st

from gan_core.i18n import _

from . import projector, tabs
from .settings import D_COLOR, G_COLOR
from .teacher_params import ALLOWABLE, HIDEABLE, LOCK_NAMES, LOCKABLE, TeacherSettings, parse

__all__ = ["ALLOWABLE", "HIDEABLE", "LOCKABLE", "LOCK_NAMES", "TeacherSettings", "parse"]  # and the functions below

MAX_TABS = 20_000  # tabs whose settings the server remembers (the oldest unused are forgotten first)


# --------------------------------------------------------------------------------------- per tab
_BY_TAB: OrderedDict[str, TeacherSettings] = OrderedDict()  # tab token -> its settings
_by_tab_lock = threading.Lock()


# --------------------------------------------------------------------------------------- session
def settings_of(tab: str) -> TeacherSettings | None:
    with _by_tab_lock:
        s = _BY_TAB.get(tab)
        if s is not None:
            _BY_TAB.move_to_end(tab)
        return s


def keep_for_tab(tab: str, s: TeacherSettings) -> None:
    """Give the tab these settings (a teacher link, or locks a class board pushed)."""
    with _by_tab_lock:
        _BY_TAB[tab] = s
        _BY_TAB.move_to_end(tab)
        while len(_BY_TAB) > MAX_TABS:
            _BY_TAB.popitem(last=False)


def same_rules(a: TeacherSettings, b: TeacherSettings) -> bool:
    return (a.lock, a.hide, a.allow, a.projector) == (b.lock, b.hide, b.allow, b.projector)


def load(lesson_ids: list[str]) -> TeacherSettings:
    """Apply the URL's teacher parameters to this tab (called by the navigation on every run).

    `lesson` opens that lesson once per distinct URL value (so the student can move on to other lessons
    while the URL still names it). `lock`, `hide`, `allow` and `projector` set the tab's settings when the tab has
    none yet; a tab that has some keeps them (see the module docstring).
    """
    tab = tabs.token()
    ss = st.session_state
    params = {k: st.query_params.get(k) for k in ("lesson", "lock", "hide", "allow", "projector")}
    signature = tuple(sorted((k, v) for k, v in params.items() if v))
    if ss.get("_teacher_sig") == signature:
        return current()
    ss["_teacher_sig"] = signature
    ss.pop("_teacher_note", None)
    if not signature:
        return current()
    s = parse(params, lesson_ids)
    if s.lesson:
        ss["learn_lesson"] = s.lesson
    if s.playground:
        ss["pg_lesson"] = s.playground
    if not any(params[k] for k in ("lock", "hide", "allow", "projector")):
        return current()  # a plain lesson link (e.g. from a coach alert): the settings stay
    kept = settings_of(tab)
    if kept is not None and kept.active:
        if not same_rules(kept, s):
            ss["_teacher_note"] = kept  # shown by notice(), in the language of the page that shows it
        return current()
    keep_for_tab(tab, s)
    return current()


def describe(s: TeacherSettings) -> str:
    parts = []
    if s.lock:
        parts.append(_("locked: {names}").format(names=", ".join(sorted(s.lock))))
    if s.hide:
        parts.append(_("hidden: {names}").format(names=", ".join(sorted(s.hide))))
    if s.projector:
        parts.append(_("projector mode"))
    return "; ".join(parts) or _("none")


def current() -> TeacherSettings:
    """This tab's settings."""
    return settings_of(tabs.token()) or TeacherSettings()


def notice() -> None:
    """On every page (called by the navigation): why the address's teacher parameters changed nothing."""
    kept = st.session_state.get("_teacher_note")
    if kept:
        st.info(
            _(
                "This tab keeps the settings of your teacher's link ({settings}): a changed address cannot change "
                "them. To follow a new teacher link, open it exactly as your teacher shared it."
            ).format(settings=describe(kept)),
            icon=":material/lock:",
        )


ADVANCED_KEYS = (
    "cfg_lr_g",
    "cfg_lr_d",
    "cfg_beta1",
    "cfg_beta2",
    "cfg_batch_size",
    "cfg_latent_dim",
    "cfg_d_steps",
    "cfg_label_smoothing",
    "cfg_spectral_norm",
    "cfg_ema",
    "cfg_conditional",
    "cfg_seed",
    "cfg_dataset",
)
HIDE_CSS = {"advanced": "<style>.st-key-train_advanced { display: none; }</style>"}


def locked(control_key: str) -> bool:
    """Whether the teacher locked the control with this session-state key (hidden controls are locked too,
    so a hidden setting keeps the lesson's value whatever the page's markup)."""
    s = current()
    if "advanced" in s.hide and control_key in ADVANCED_KEYS:
        return True
    return any(control_key in LOCKABLE[n] for n in s.lock)


def _locked_keys() -> list[str]:
    keys = [k for names in LOCKABLE.values() for k in names] + list(ADVANCED_KEYS)
    return [k for k in dict.fromkeys(keys) if locked(k)]


def hold() -> None:
    """Locked controls keep this tab's values: a reload or a new window (a fresh session, whose controls
    start from the defaults) gets them back, and a value the page did not offer never sticks. The first
    page of the tab to show the controls sets them; `remember()` updates them when a run starts."""
    s = current()
    if not s.active:
        return
    ss = st.session_state
    for key in _locked_keys():
        if key in s.held:
            ss[key] = s.held[key]
        elif key in ss:
            s.held[key] = ss[key]


def remember() -> None:
    """A run started (from the Train page or a lesson's button): its values of the locked controls are the
    ones this tab keeps from now on."""
    s = current()
    if not s.active:
        return
    ss = st.session_state
    for key in _locked_keys():
        if key in ss:
            s.held[key] = ss[key]


def hidden(name: str) -> bool:
    return name in current().hide


def allowed(name: str) -> bool:
    """Whether the teacher's link allows an ALLOWABLE name (run_first, answer)."""
    return name in current().allow


def lock_note() -> None:
    """One line under locked controls, so a student knows why they cannot change them."""
    lock = sorted(current().lock - {"preset"}) or sorted(current().lock)
    if lock:
        names = ", ".join(_(LOCK_NAMES[n]) for n in lock)
        st.caption(":material/lock: " + _("Your teacher fixed: {names}.").format(names=names))


def apply_style() -> None:
    """Projector CSS when on, and CSS that hides what the teacher hid (called by the navigation)."""
    s = current()
    if s.projector:
        st.html(projector.CSS)
    for name in s.hide:
        if name in HIDE_CSS:
            st.html(HIDE_CSS[name])


def colours() -> tuple[str, str]:
    """(G colour, D colour) for this session."""
    return (projector.G, projector.D) if current().projector else (G_COLOR, D_COLOR)


def style_figure(fig: go.Figure) -> go.Figure:
    """In projector mode: a copy of the figure with D's orange swapped for vermillion, thicker lines and
    larger type (gan_ui/projector.py). Otherwise the figure itself, untouched."""
    return projector.restyle(fig) if current().projector else fig
