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

import io
import socket
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import plotly.graph_objects as go
import segno
import streamlit as st

from . import tabs
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
HIDEABLE = {
    "advanced": "the Train page's advanced settings",
    "answer": "the lesson's answer (the teacher gives it in class)",
    "lessons": "the list of other lessons (students stay on the lesson of the link)",
    "coach": "the training-health coach's alerts",
}
MAX_TABS = 20_000  # tabs whose settings the server remembers (the oldest unused are forgotten first)
ALLOWABLE = {
    "run_first": "start a lesson's run before predicting",
    "answer": "show the answer now, without waiting for the run (the teacher reveals it)",
}

# Projector colours: Okabe-Ito's blue and vermillion. The everyday orange of D (#E69F00) washes out on
# a projector's white; vermillion keeps its contrast against white and stays distinct from blue for
# red-green colour-blind readers (deuteranopia and protanopia alike).
PROJECTOR_G = "#0072B2"
PROJECTOR_D = "#D55E00"
PROJECTOR_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMarkdownContainer"] { color: #000000; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 1.7rem; }
[data-testid="stCaptionContainer"] { color: #111111; font-size: 1rem; }
[data-testid="stMetricValue"] { font-size: 2.2rem; }
</style>
"""


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
            problems.append(f"{key}={n!r} is not {what} ({', '.join(allowed)}).")
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
                f"lesson={raw!r} is not a lesson: use 1 to {len(lesson_ids)} or one of {', '.join(lesson_ids)}."
            )
    lock = _known(params, "lock", LOCKABLE, "a control that can be locked", s.problems)
    if lock - {"variant"}:
        lock.add("preset")
    s.lock = frozenset(lock)
    s.hide = frozenset(_known(params, "hide", HIDEABLE, "something that can be hidden", s.problems))
    s.allow = frozenset(_known(params, "allow", ALLOWABLE, "something a link can allow", s.problems))
    s.projector = (params.get("projector") or "").strip().lower() in ("1", "true", "yes", "on")
    return s


def link(base: str, lesson: int | None = None, lock=(), hide=(), projector: bool = False, allow=()) -> str:
    """The teacher link for these choices (base: the app's address, e.g. http://localhost:8501)."""
    q = {}
    if lesson:
        q["lesson"] = str(lesson)
    if lock:
        q["lock"] = ",".join(lock)
    if hide:
        q["hide"] = ",".join(hide)
    if allow:
        q["allow"] = ",".join(allow)
    if projector:
        q["projector"] = "1"
    url = base.rstrip("/") + "/learn"
    return url + ("?" + urlencode(q, safe=",") if q else "")


# --------------------------------------------------------------------------------------- per tab
_BY_TAB: OrderedDict[str, TeacherSettings] = OrderedDict()  # tab token -> its settings
_by_tab_lock = threading.Lock()


# --------------------------------------------------------------------------------------- the app's address
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def app_base(url: str | None, page_paths=()) -> str | None:
    """The app's own address from the address the browser is on (st.context.url): scheme, host, port and any
    base path, without the page (learn, train, ...), query or fragment. None when there is no usable URL."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    path = parts.path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if last in page_paths:
        path = path[: -len(last)].rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def is_local(url: str) -> bool:
    """True when the address only reaches this computer (localhost, 127.0.0.1): no student can open it."""
    host = (urlsplit(url).hostname or "").lower()
    return host in LOCAL_HOSTS or host.startswith("127.")


def network_base(base: str) -> str | None:
    """The same address with this server's network IP instead of localhost (what a student's machine can
    open, when the server listens on the network), or None when it cannot be told. No packet is sent: a UDP
    socket's connect() only asks the kernel which local address would be used."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.254.254.254", 1))
            ip = s.getsockname()[0]
    except OSError:
        return None
    if not ip or ip.startswith("127."):
        return None
    parts = urlsplit(base)
    netloc = ip + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def qr_png(text: str) -> bytes:
    """A QR code of `text` as PNG bytes (black on white, 6 px modules and the standard 4-module quiet zone):
    shown at its own size, about 220 px for a teacher link, large enough to scan off a projector."""
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=6, border=4)
    return buf.getvalue()


# --------------------------------------------------------------------------------------- session
def settings_of(tab: str) -> TeacherSettings | None:
    with _by_tab_lock:
        s = _BY_TAB.get(tab)
        if s is not None:
            _BY_TAB.move_to_end(tab)
        return s


def _keep(tab: str, s: TeacherSettings) -> None:
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
            ss["_teacher_note"] = (
                f"This tab keeps the settings of your teacher's link ({describe(kept)}): a "
                f"changed address cannot change them. To follow a new teacher link, open it "
                f"exactly as your teacher shared it."
            )
        return current()
    _keep(tab, s)
    return current()


def describe(s: TeacherSettings) -> str:
    parts = []
    if s.lock:
        parts.append("locked: " + ", ".join(sorted(s.lock)))
    if s.hide:
        parts.append("hidden: " + ", ".join(sorted(s.hide)))
    if s.projector:
        parts.append("projector mode")
    return "; ".join(parts) or "none"


def current() -> TeacherSettings:
    """This tab's settings."""
    return settings_of(tabs.token()) or TeacherSettings()


def notice() -> None:
    """On every page (called by the navigation): why the address's teacher parameters changed nothing."""
    note = st.session_state.get("_teacher_note")
    if note:
        st.info(note, icon=":material/lock:")


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
        st.caption(f":material/lock: Your teacher fixed: {', '.join(lock)}.")


def apply_style() -> None:
    """Projector CSS when on, and CSS that hides what the teacher hid (called by the navigation)."""
    s = current()
    if s.projector:
        st.html(PROJECTOR_CSS)
    for name in s.hide:
        if name in HIDE_CSS:
            st.html(HIDE_CSS[name])


def colours() -> tuple[str, str]:
    """(G colour, D colour) for this session."""
    return (PROJECTOR_G, PROJECTOR_D) if current().projector else (G_COLOR, D_COLOR)


def style_figure(fig: go.Figure) -> go.Figure:
    """In projector mode: a copy of the figure with D's orange swapped for vermillion, thicker lines and
    larger type. Otherwise the figure itself, untouched."""
    if not current().projector:
        return fig
    fig = go.Figure(fig)
    swap = {D_COLOR.lower(): PROJECTOR_D, G_COLOR.lower(): PROJECTOR_G}

    def recolour(c):
        return swap.get(c.lower(), c) if isinstance(c, str) else c

    for tr in fig.data:
        line = getattr(tr, "line", None)
        if line is not None and line.color:
            tr.line.color = recolour(line.color)
            if line.width:
                tr.line.width = line.width * 1.6
        marker = getattr(tr, "marker", None)
        if marker is not None and isinstance(marker.color, str):
            tr.marker.color = recolour(marker.color)
    for shp in fig.layout.shapes or ():
        if shp.line and shp.line.color:
            shp.line.color = recolour(shp.line.color)
    for ann in fig.layout.annotations or ():
        if ann.font and ann.font.color:
            ann.font.color = recolour(ann.font.color)
            ann.font.size = 15
    fig.update_layout(
        font=dict(size=17), title_font=dict(size=20), legend_font=dict(size=16), height=(fig.layout.height or 270) + 60
    )
    fig.update_xaxes(tickfont=dict(size=15, color="#000000"), title_font=dict(size=16, color="#000000"))
    fig.update_yaxes(tickfont=dict(size=15, color="#000000"), title_font=dict(size=16, color="#000000"))
    return fig
