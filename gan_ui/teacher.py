"""Teacher mode: a link that opens a lesson with chosen controls locked or hidden, and a projector mode.

A teacher shares a link such as

    http://host:8501/learn?lesson=5&lock=lr,loss&hide=advanced,answer&projector=1

* `lesson`    the lesson to open: its number (1-8) or its id ("collapse");
* `lock`      controls shown but disabled, with a note saying the teacher fixed them (names in LOCKABLE);
* `hide`      parts of the page not shown at all (names in HIDEABLE);
* `allow`     what a lesson otherwise withholds (names in ALLOWABLE): `run_first` lets its run start before a
              prediction, `answer` reveals the answer without waiting for the run to end;
* `projector` 1: larger type, high-contrast text and the projector pair of colours for G and D.

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
from dataclasses import dataclass, field

import plotly.graph_objects as go
import streamlit as st

from gan_core.i18n import N_, _

from . import projector, tabs
from .settings import D_COLOR, G_COLOR

# lock name -> the Train page's control keys it disables ("preset" is locked with any of them: picking a
# preset would reset the locked control)
LOCKABLE = {
    "preset": ("cfg_preset",),
    "budget": ("budget", "budget_steps"),
    "arch": ("cfg_arch",),
    "loss": ("cfg_loss",),
    "lr": ("cfg_lr_g", "cfg_lr_d"),
    "beta": ("cfg_beta1", "cfg_beta2"),
    "batch": ("cfg_batch_size",),
    "latent": ("cfg_latent_dim",),
    "d_steps": ("cfg_d_steps",),
    "smoothing": ("cfg_label_smoothing",),
    "sn": ("cfg_spectral_norm",),
    "ema": ("cfg_ema",),
    "conditional": ("cfg_conditional",),
    "seed": ("cfg_seed",),
    "dataset": ("cfg_dataset",),
    "variant": ("learn_variant",),
}
# lock name -> the name shown to people: in English the name itself, which is also the URL's value (that stays
# English in every language); in another language what it fixes ("lr" -> 学习率)
LOCK_NAMES = {
    "preset": N_("preset"),
    "budget": N_("budget"),
    "arch": N_("arch"),
    "loss": N_("loss"),
    "lr": N_("lr"),
    "beta": N_("beta"),
    "batch": N_("batch"),
    "latent": N_("latent"),
    "d_steps": N_("d_steps"),
    "smoothing": N_("smoothing"),
    "sn": N_("sn"),
    "ema": N_("ema"),
    "conditional": N_("conditional"),
    "seed": N_("seed"),
    "dataset": N_("dataset"),
    "variant": N_("variant"),
}
HIDEABLE = {
    "advanced": N_("the Train page's advanced settings"),
    "answer": N_("the lesson's answer (the teacher gives it in class)"),
    "lessons": N_("the list of other lessons (students stay on the lesson of the link)"),
    "coach": N_("the training-health coach's alerts"),
}
MAX_TABS = 20_000  # tabs whose settings the server remembers (the oldest unused are forgotten first)
ALLOWABLE = {
    "run_first": N_("start a lesson's run before predicting"),
    "answer": N_("show the answer now, without waiting for the run (the teacher reveals it)"),
}


@dataclass
class TeacherSettings:
    lesson: str | None = None  # lesson id the link opens
    lock: frozenset = frozenset()  # LOCKABLE names
    hide: frozenset = frozenset()  # HIDEABLE names
    allow: frozenset = frozenset()  # ALLOWABLE names
    projector: bool = False
    problems: list = field(default_factory=list)  # what in the link was not understood, in words
    held: dict = field(default_factory=dict)  # locked control key -> the value it keeps in this tab

    @property
    def active(self) -> bool:
        return bool(self.lock or self.hide or self.allow or self.projector)


def _names(raw: str | None) -> list[str]:
    return [n.strip().lower() for n in (raw or "").split(",") if n.strip()]


def _known(params, key: str, allowed, what: str, problems: list) -> set:
    """The names in params[key] that are in `allowed`; each other name adds a problem saying what is allowed."""
    found = set()
    for n in _names(params.get(key)):
        if n in allowed:
            found.add(n)
        else:
            problems.append(
                _("{key}={name!r} is not {what} ({allowed}).").format(
                    key=key, name=n, what=_(what), allowed=", ".join(allowed)
                )
            )
    return found


def parse(params: dict, lesson_ids: list[str]) -> TeacherSettings:
    """TeacherSettings from query parameters (a mapping of str -> str). Pure: tested without Streamlit."""
    s = TeacherSettings()
    raw = (params.get("lesson") or "").strip().lower()
    if raw:
        if raw.isdigit() and 1 <= int(raw) <= len(lesson_ids):
            s.lesson = lesson_ids[int(raw) - 1]
        elif raw in lesson_ids:
            s.lesson = raw
        else:
            s.problems.append(
                _("lesson={raw!r} is not a lesson: use 1 to {n} or one of {ids}.").format(
                    raw=raw, n=len(lesson_ids), ids=", ".join(lesson_ids)
                )
            )
    lock = _known(params, "lock", LOCKABLE, N_("a control that can be locked"), s.problems)
    if lock - {"variant"}:
        lock.add("preset")
    s.lock = frozenset(lock)
    s.hide = frozenset(_known(params, "hide", HIDEABLE, N_("something that can be hidden"), s.problems))
    s.allow = frozenset(_known(params, "allow", ALLOWABLE, N_("something a link can allow"), s.problems))
    s.projector = (params.get("projector") or "").strip().lower() in ("1", "true", "yes", "on")
    return s


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
