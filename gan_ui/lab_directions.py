"""The latent lab's Directions tab: the generator's principal directions (gan_core.directions), one slider
each, their sweep strips and names, and the nearest real digits (the memorization check of gan_core.metrics)."""

from __future__ import annotations

import threading
import weakref

import numpy as np
import streamlit as st
import torch

from gan_core import generate, get_reference
from gan_core.digits import nearest_digits
from gan_core.directions import Directions, principal_directions
from gan_core.i18n import _, format_number, format_percent
from gan_core.sampling import LATENT_RANGE

from . import images
from .catalogue import ModelEntry
from .latent import current_label, current_z, set_z
from .layout import show_png
from .server import shared_dataset

SHOWN_DIRECTIONS = 5  # direction sliders shown at once; the rest sit behind an expander
NEAREST = 6  # real digits shown by "nearest real digits"

_cache_lock = threading.Lock()
_directions: "weakref.WeakKeyDictionary[torch.nn.Module, Directions]" = weakref.WeakKeyDictionary()


def directions_for(entry: ModelEntry) -> Directions:
    """The model's principal directions, computed once per generator (shared by the sessions that share G)."""
    with _cache_lock:
        dirs = _directions.get(entry.G)
        if dirs is None:
            dirs = _directions[entry.G] = principal_directions(entry.G)
        return dirs


# ---------------------------------------------------------------------------------------------
# Directions tab
# ---------------------------------------------------------------------------------------------
def _dir_key(k: int) -> str:
    return f"pc_{k}"


def _name_key(entry: ModelEntry, k: int) -> str:
    return f"pcname_{entry.key}_{k}"


def direction_name(entry: ModelEntry, k: int) -> str:
    name = (st.session_state.get(_name_key(entry, k)) or "").strip()
    return f"PC{k + 1} · {name}" if name else f"PC{k + 1}"


def _on_direction(entry: ModelEntry, k: int) -> None:
    """Move z along direction k so that its coordinate there becomes the slider's value."""
    dirs = directions_for(entry)
    z = current_z(entry.latent_dim)
    target = float(st.session_state[_dir_key(k)])
    set_z(dirs.move(z, k, target - float(dirs.coordinates(z)[k])).tolist())


def directions_tab(entry: ModelEntry) -> None:
    """Not a fragment, on purpose: a direction slider changes the raw sliders' z, and Streamlit only shows a
    widget's new value if the widget is drawn in the same script run as the change. In a fragment run the raw
    sliders (another fragment) would keep their old values and send them back on the next full run."""
    with st.spinner(_("Finding the main directions of this generator (once per model)…")):
        dirs = directions_for(entry)
    st.caption(
        _(
            "The directions along which this generator's digits vary most: a PCA of {n} of its "
            "digits, mapped back to z (GANSpace). Each direction is a unit vector in z, so its slider spans "
            "±3σ of the prior like a raw coordinate. Moving one moves z, and the raw sliders follow."
        ).format(n=format_number(dirs.samples))
    )
    z = current_z(entry.latent_dim)
    coords = dirs.coordinates(z)
    for k in range(dirs.k):  # show where the current z sits (set before the sliders are drawn)
        st.session_state[_dir_key(k)] = round(min(max(float(coords[k]), -LATENT_RANGE), LATENT_RANGE), 2)
    labels = current_label() if entry.conditional else None

    left, right = st.columns([3, 2], gap="large")
    with left:

        def slider(k):
            st.slider(
                _("{name} ({share} of the variance)").format(
                    name=direction_name(entry, k), share=format_percent(dirs.explained[k])
                ),
                -LATENT_RANGE,
                LATENT_RANGE,
                step=0.05,
                key=_dir_key(k),
                format="%.2f",
                on_change=_on_direction,
                args=(entry, k),
            )

        for k in range(min(SHOWN_DIRECTIONS, dirs.k)):
            slider(k)
        if dirs.k > SHOWN_DIRECTIONS:
            with st.expander(_("More directions ({n} more)").format(n=dirs.k - SHOWN_DIRECTIONS)):
                for k in range(SHOWN_DIRECTIONS, dirs.k):
                    slider(k)
        with st.popover(_("Name the directions"), icon=":material/edit:"):
            st.caption(_("Watch a direction's strip below, then give it a name (for this session)."))
            for k in range(dirs.k):
                st.text_input(
                    f"PC{k + 1}",
                    key=_name_key(entry, k),
                    placeholder=_("e.g. slant, stroke width"),
                    max_chars=30,
                    persist_state="session",  # "for this session", whichever tab or page is open
                )
    with right:
        digit = generate(entry.G, z, labels)[0].numpy()  # (28, 28)
        show_png(
            images.digit_png(digit, images.DIGIT_SCALE),
            width=28 * images.DIGIT_SCALE,
            caption=_("The digit of the current z (the same z as the Latent sliders)"),
        )
        if st.toggle(_("Show the nearest real digits"), key="lab_nearest", persist_state="page"):
            nearest_panel(entry, digit)

    st.subheader(_("What each direction does"), divider="gray")
    st.caption(_("Each strip moves the current z along one direction from −3σ to +3σ; everything else is held."))
    cols = st.columns(2, gap="large")
    for k in range(dirs.k):
        strip = generate(entry.G, dirs.sweep(z, k, images.SWEEP_FRAMES), labels).numpy()  # (9, 28, 28)
        with cols[k % 2]:
            st.markdown(
                _("**{name}** · {share} of the variance · pixel change per σ {effect}").format(
                    name=direction_name(entry, k),
                    share=format_percent(dirs.explained[k], 1),
                    effect=format_number(dirs.effect[k], 2),
                )
            )
            show_png(images.strip_png(strip, scale=3), width="stretch")


def nearest_panel(entry: ModelEntry, digit: np.ndarray) -> None:
    """The training digits closest to `digit` in pixel space, and how close real digits are to each other."""
    try:
        data = shared_dataset(entry.config.dataset)
    except Exception as exc:  # no data at all: say so, keep the page
        st.warning(_("The training digits are not available here: {error}").format(error=exc))
        return
    dist, rows = nearest_digits(digit, data.images, NEAREST)
    show_png(
        images.strip_png(data.images[rows].numpy(), scale=3),
        width="stretch",
        caption=_("Nearest real digits, closest first (distance: {distances})").format(
            distances=", ".join(format_number(d, 1) for d in dist)
        ),
    )
    baseline = None
    if entry.config.dataset == "mnist":
        try:
            baseline = get_reference(data).nn_baseline()
        except Exception:  # no classifier file: the comparison is a bonus, the neighbours are shown anyway
            baseline = None
    if baseline is not None:
        p1, med = float(np.percentile(baseline, 1)), float(np.median(baseline))
        verdict = (
            _(
                "closer than 99 in 100 real digits are to their own nearest neighbour: this looks like a copy "
                "of a training digit"
            )
            if dist[0] < p1
            else _("no closer than real digits are to each other: a new digit, not a copy")
        )
        st.caption(
            _(
                "Pixel distance {d} to the nearest of {n} training digits; a real digit is "
                "typically {median} from its nearest neighbour (1 in 100 are closer than {p1}). So: {verdict}."
            ).format(
                d=format_number(dist[0], 1),
                n=format_number(len(data)),
                median=format_number(med, 1),
                p1=format_number(p1, 1),
                verdict=verdict,
            )
        )
