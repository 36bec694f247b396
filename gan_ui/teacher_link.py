"""The teacher-link builder: the link's address (`link`), the app's own address for it, a QR code of it, and the
expander on the Learn page where a teacher picks what to lock, hide or allow (gan_ui/teacher.py reads such links).

The URL's parameter names and values (lesson, lock=lr,loss, hide=answer, ...) stay English in every language: they
are code, written into links that students of any language open. The page shows what each one means in words.
"""

from __future__ import annotations

import io
import socket
from urllib.parse import urlencode, urlsplit, urlunsplit

import segno
import streamlit as st

from gan_core.i18n import _

from . import copy_button, teacher
from .layout import PAGE_SPECS, show_png
from .teacher_params import HIDEABLE, TRAIN_LOCKS

PAGE_PATHS = tuple(PAGE_SPECS)  # the pages' url paths (learn, train, ...): not part of the app's address


def link(
    base: str, lesson: int | str | None = None, lock=(), hide=(), projector: bool = False, allow=(), page="learn"
) -> str:
    """The teacher link for these choices (base: the app's address, e.g. http://localhost:8501), to the Learn page
    (a lesson's number) or the Playground (`page="playground"`, a Playground lesson's id)."""
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
    url = base.rstrip("/") + "/" + page
    return url + ("?" + urlencode(q, safe=",") if q else "")


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


def _labels(names: dict) -> dict:
    """name -> "name: what it means" in this run's language (just the name where the words are the name)."""
    return {n: n if _(words) == n else f"{n}: {_(words)}" for n, words in names.items()}


def builder(lesson: int | str, page: str = "learn", locks=TRAIN_LOCKS, hides=tuple(HIDEABLE), key: str = "tl") -> None:
    """The expander in which a teacher builds a link that opens `lesson` on `page` (the Learn page: a lesson's
    number; the Playground: a Playground lesson's id), offering the lock and hide names of that page."""
    with st.expander(_("For teachers: a link that opens this lesson"), icon=":material/co_present:"):
        st.caption(_("Choose what students may change; share the link (or show its QR code on the projector)."))
        lock = st.multiselect(
            _("Lock (shown, not changeable)"),
            list(locks),
            key=f"{key}_lock",
            format_func=_labels(teacher.LOCK_NAMES).get,
            placeholder=_("Choose options"),
        )
        hide = st.multiselect(
            _("Hide"),
            list(hides),
            key=f"{key}_hide",
            format_func=_labels(teacher.HIDEABLE).get,
            placeholder=_("Choose options"),
        )
        allow = st.multiselect(
            _("Allow"),
            list(teacher.ALLOWABLE),
            key=f"{key}_allow",
            format_func=_labels(teacher.ALLOWABLE).get,
            placeholder=_("Choose options"),
        )
        projector = st.toggle(_("Projector mode (large type, high contrast)"), key=f"{key}_projector")
        host = st.context.headers.get("Host")  # the browser's address; its Host header else
        here = app_base(st.context.url, PAGE_PATHS) or (f"http://{host}" if host else None) or "http://localhost:8501"
        if st.session_state.get(f"{key}_base_seen") != here:  # the address this browser is on, as its default
            st.session_state[f"{key}_base"] = st.session_state[f"{key}_base_seen"] = here
        base = st.text_input(
            _("App address"),
            key=f"{key}_base",
            help=_(
                "Filled in from your browser's address bar. Change it if students reach this server by another address."
            ),
        )
        if is_local(base):
            other = network_base(base)
            st.warning(
                _("Only this computer can open this address.")
                + " "
                + (
                    _(
                        "Students need the server's network address, probably **{address}** (the server must "
                        "listen on the network: `--server.address 0.0.0.0`)."
                    ).format(address=other)
                    if other
                    else _("Students need the server's network address.")
                ),
                icon=":material/wifi_off:",
            )
        url = link(base, lesson, lock, hide, projector, allow, page=page)
        st.code(url, language="text", wrap_lines=True)
        copy_button.copy_button(url, _("Copy link"), key=f"{key}_copy")
        show_png(qr_png(url), width="content", caption=_("QR code of this link: students scan it from the projector"))
