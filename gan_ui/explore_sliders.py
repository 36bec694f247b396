"""Explore's latent sliders: one slider per dimension of z, the digit they make and what one dimension does.

The sliders, the digit and the dimension sweep live in one `@st.fragment`, so moving a slider re-renders that
panel only. Scrub mode (gan_ui.scrub) runs G in the browser instead.
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import _
from gan_core.sampling import LATENT_RANGE

from . import images, inside_view, scrub
from .catalogue import ModelEntry
from .explore_model import class_order, code_names, labels_for
from .language import use_language
from .latent import LABEL_KEY, current_z, format_z, parse_z, random_z, set_z, z_key
from .layout import show_png

VISIBLE_DIMS = 8  # sliders shown at once; the rest sit behind "More dimensions"
SLIDER_STEP = 0.05
MORE_KEY = "more_dims_open"
COPY_KEY = "z_copy_open"


def _on_random(dim: int) -> None:
    set_z(random_z(dim))
    st.session_state.pop("z_paste_msg", None)


def _on_zero(dim: int) -> None:
    set_z([0.0] * dim)
    st.session_state.pop("z_paste_msg", None)


def _on_paste(dim: int) -> None:
    """Apply the pasted text; a bad string leaves z and the text untouched and explains why."""
    text = st.session_state.get("z_paste", "")
    try:
        values = parse_z(text, dim)
    except ValueError as exc:
        st.session_state["z_paste_msg"] = ("error", str(exc))
        return
    set_z(values)
    st.session_state["z_paste_msg"] = ("ok", _("Pasted z applied."))


def _on_scrub_release(z: list[float], label: int | None) -> None:
    """Scrub mode let go of a slider (or picked a digit): the server's z and digit follow the browser's."""
    set_z(z)
    if label is not None:
        st.session_state[LABEL_KEY] = label
    st.session_state.pop("z_paste_msg", None)


def _copy_paste(dim: int) -> None:
    """The open "Copy / paste z" popover: this z as text to copy, and a field to paste one."""
    st.caption(_("This z (copy it with the icon at the right of the box):"))
    st.code(format_z(current_z(dim).tolist()), language="json", wrap_lines=True)
    st.text_input(
        _("Paste a z"), key="z_paste", persist_state="page", placeholder=_("[0.5, -1.2, ...] or 0.5, -1.2, ...")
    )
    st.button(_("Use the pasted z"), on_click=_on_paste, args=(dim,), key="explore_use_paste")
    msg = st.session_state.get("z_paste_msg")
    if msg:
        (st.error if msg[0] == "error" else st.success)(msg[1])


def _slider(k: int) -> None:
    # value=0.0 is only the fallback: the key's session-state value always wins. Giving it spares Streamlit
    # a copy of the whole session state per slider (it builds one to guess "single or range" when value is
    # None), a measurable share of every slider move's rerun with 16 sliders (bench/slider_latency.py).
    st.slider(
        f"z{k + 1}",
        -LATENT_RANGE,
        LATENT_RANGE,
        value=0.0,
        step=SLIDER_STEP,
        key=z_key(k),
        format="%.2f",
        persist_state="session",
    )


def _slider_grid(dims: range, ncols: int = 2) -> None:
    cols = st.columns(ncols, gap="medium")
    for i, k in enumerate(dims):
        with cols[i % ncols]:
            _slider(k)


# On a phone Streamlit stacks columns in order, which put the digit under 8-16 sliders (1,480 px down at 390 px)
# and let the tab row run off the screen (Directions, Your digit out of sight). Below 640 px: the digit's column
# comes first, and the tabs wrap onto a second line.
PHONE_CSS = """
<style>
@media (max-width: 640px) {
  [data-testid="stColumn"]:has(.st-key-explore_digit) { order: -1; }
  [data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; row-gap: 0.2rem; }
}
</style>
"""


def _controls(entry: ModelEntry, dim: int, wanted: bool, scrub_why: str | None) -> None:
    """The left column: Random z, Reset, Copy / paste, scrub mode and the sliders themselves. `wanted`: the scrub
    toggle's value in session state before it is drawn; `scrub_why`: `scrub.why_not(G)`, asked once by the panel
    when wanted (None: scrub mode can show here)."""
    b1, b2, b3 = st.columns(3)
    b1.button(
        _("Random z"),
        icon=":material/casino:",
        on_click=_on_random,
        args=(dim,),
        width="stretch",
        help=_("Draw a new z from the prior N(0, I)."),
        key="explore_random",
    )
    b2.button(
        _("Reset to zero"),
        icon=":material/restart_alt:",
        on_click=_on_zero,
        args=(dim,),
        width="stretch",
        help=_("z = 0: the centre of the prior."),
        key="explore_zero",
    )
    # Lazy, like "More dimensions": a closed popover's box, field and button are not drawn, so a slider move
    # does not re-send them (slider p95 under 30 sessions: BENCHMARKS.md, bench/classroom_load.py).
    copy = b3.popover(
        _("Copy / paste z"), icon=":material/content_paste:", width="stretch", key=COPY_KEY, on_change="rerun"
    )
    if copy.open:
        with copy:
            _copy_paste(dim)
    # On by default: a drag redraws the digit in the browser at once, whatever the server is doing; with a class on
    # one server, a server slider's round trip waits behind every other student's (bench/classroom_load.py).
    on = st.toggle(
        _("Scrub mode (runs in your browser)"),
        value=True,
        key="scrub_mode",
        persist_state="page",
        help=_(
            "G runs inside your browser, so dragging a slider redraws the digit at once, with no "
            "trip to the server. When you let go, the server's z and digit follow. Off: the server's "
            "sliders, which redraw the digit on the server after each move."
        ),
    )
    if on and not wanted:  # not asked above: session state said off (cannot happen unless Streamlit changes)
        scrub_why = scrub.why_not(entry.G)
    if on and scrub_why:
        st.info(
            _("Scrub mode is unavailable: {why}. The server sliders below work as usual.").format(why=scrub_why),
            icon=":material/info:",
        )
    elif on:
        scrub.scrub_panel(
            entry.G,
            current_z(dim).tolist(),
            labels_for(entry),
            _on_scrub_release,
            visible=VISIBLE_DIMS,
            label_order=class_order(entry) if entry.conditional else None,
            label_names=code_names(entry) if entry.conditional else None,
        )
    if not on or scrub_why:
        _slider_grid(range(min(dim, VISIBLE_DIMS)))
        if dim > VISIBLE_DIMS:
            # Lazy, like "Look inside": a closed panel's sliders are not drawn, so a slider move does not
            # re-send them, to the server's or the browser's cost (slider p95 under 30 sessions: BENCHMARKS.md,
            # bench/classroom_load.py). Their values stay in session state (persist_state), and z and the
            # digit always use every dimension.
            more = st.expander(
                _("More dimensions ({n} more)").format(n=dim - VISIBLE_DIMS), key=MORE_KEY, on_change="rerun"
            )
            if more.open:
                with more:
                    _slider_grid(range(VISIBLE_DIMS, dim), ncols=4)


def _digit(entry: ModelEntry, dim: int, z, picker: bool = True):
    """The right column: the digit to draw (a conditional G; `picker` False when scrub mode's component, which has
    a picker of its own, shows) and G(z); returns (labels, k, views) for the strips below it, which come from the
    same batched pass of G."""
    order = class_order(entry)
    if entry.conditional and picker:
        names = code_names(entry)
        if entry.infogan:
            st.pills(
                _("Code c, named by the digit it draws (G learned the codes without labels)"),
                order,
                key=LABEL_KEY,
                default=order[0],
                format_func=names.get,
                persist_state="session",
            )
        else:
            st.pills(_("Digit to draw"), order, key=LABEL_KEY, default=0, persist_state="session")
    labels = labels_for(entry)
    k = _sweep_dim(dim)  # the selectbox below: its value is in session state already
    views = images.z_views(entry.G, z, k - 1, labels, entry.num_classes if entry.conditional else None, order)
    show_png(
        views.digit_png(),
        inline=True,
        width=28 * images.DIGIT_SCALE,
        caption=_("G(z): the generator's output for this z"),
    )
    st.download_button(
        _("Download digit (PNG)"),
        lambda: views.digit_png(images.DIGIT_SCALE),
        file_name="digit.png",
        mime="image/png",
        icon=":material/download:",
        on_click="ignore",
        key="dl_digit",
    )
    return labels, k, views


@st.fragment
def latent_panel(entry: ModelEntry) -> None:
    """Sliders, the digit they make, and what one dimension does: re-rendered alone on every slider move."""
    use_language()  # a fragment rerun does not pass through frame.navigation: without this it draws in English
    dim = entry.latent_dim
    left, right = st.columns([3, 2], gap="large")
    # The digit's column is drawn first (its place on the page is fixed by st.columns), so the new digit leaves
    # the server before the buttons and sliders are re-sent: a slider move's picture arrives sooner.
    z = current_z(dim)
    # Scrub mode's component (drawn in the left column below) has its own digit picker: one picker on the page.
    # Asked once: the toggle is drawn below, but its value is in session state already (True until first drawn).
    wanted = bool(st.session_state.get("scrub_mode", True))
    scrub_why = scrub.why_not(entry.G) if wanted else None
    with right, st.container(key="explore_digit"):
        labels, k, views = _digit(entry, dim, z, picker=not (wanted and scrub_why is None))
    with left:
        _controls(entry, dim, wanted, scrub_why)
    inside_view.inside_panel(entry, z, labels)

    st.subheader(_("What does one dimension do?"), divider="gray")
    c1, c2 = st.columns([1, 5], vertical_alignment="center")
    with c1:
        st.selectbox(
            _("Dimension"),
            list(range(1, dim + 1)),
            key="sweep_dim",
            format_func=lambda i: f"z{i}",
            persist_state="page",
        )
    with c2:
        show_png(
            views.sweep_png(),
            inline=True,
            width="stretch",
            caption=_("z{k} swept from −3σ to +3σ, every other coordinate held where the sliders put it").format(k=k),
        )
    st.download_button(
        _("Download strip (PNG)"),
        lambda: views.sweep_png(4),
        file_name=f"sweep-z{k}.png",
        mime="image/png",
        icon=":material/download:",
        on_click="ignore",
        key="dl_sweep",
    )

    if entry.infogan:
        st.subheader(_("Same z, all {n} codes").format(n=entry.num_classes), divider="gray")
        named = entry.code_digits() is not None
        show_png(
            views.classes_png(),
            inline=True,
            width="stretch",
            caption=(
                _("Codes in the order of the digits they draw: {codes}.").format(
                    codes=", ".join(code_names(entry)[c] for c in class_order(entry))
                )
                if named
                else _("Codes c0, c1, … left to right.")
            )
            + " "
            + _(
                "Nobody told G which digit is which: maximising the mutual information between c and the "
                "picture made each code one kind of digit, in an order of its own."
            ),
        )
    elif entry.conditional:
        st.subheader(_("Same z, all ten digits"), divider="gray")
        show_png(
            views.classes_png(),
            inline=True,
            width="stretch",
            caption=_("z sets the style (slant, thickness); the label sets the class"),
        )


def _sweep_dim(dim: int) -> int:
    """The "Dimension" selectbox's value (1-based), read before the box is drawn: the digit above it and the
    strip below it come from one batched pass of G. A value out of range (another model) falls back to 1."""
    k = st.session_state.get("sweep_dim")
    if not isinstance(k, int) or not 1 <= k <= dim:
        k = st.session_state["sweep_dim"] = 1
    return k
