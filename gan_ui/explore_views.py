"""Explore's other views of latent space: interpolation and morph, the gallery, and the training timeline.

The "Training timeline" tab needs no training: every model file (shipped ones included) carries a few snapshots
of G along its training, and the tab scrubs through them (the same 64 noise vectors at each saved step) and draws
one pinned z by every snapshot, from noise to digit.
"""

from __future__ import annotations

import streamlit as st
import torch

from gan_core import generate, interpolate
from gan_core.i18n import _, format_number

from . import images
from .catalogue import ModelEntry
from .choices import keep
from .explore_model import PIN_KEY, class_order, code_names, labels_for
from .language import use_language
from .latent import current_z, format_z, random_z, z_key
from .layout import show_png

TIMELINE_SEED = 0  # the fixed noise of the timeline grid: the same 64 z at every step


@st.fragment
def morph_panel(entry: ModelEntry, za: torch.Tensor, zb: torch.Tensor) -> None:
    """One digit part-way from A to B (spherical), re-rendered alone as the morph slider moves."""
    use_language()  # a fragment rerun does not pass through frame.navigation
    labels = labels_for(entry)
    keep("morph_mode")  # through a change of language (its options are translated)
    c1, c2 = st.columns([2, 1], vertical_alignment="center")
    with c1:
        t = st.slider(_("Morph from A (0) to B (1)"), 0.0, 1.0, 0.5, step=0.02, key="morph_t", persist_state="page")
        mode = st.radio(
            _("Path"),
            ["slerp", "lerp"],
            horizontal=True,
            key="morph_mode",
            persist_state="page",
            format_func=lambda m: {"slerp": _("spherical (slerp)"), "lerp": _("linear (lerp)")}[m],
        )
    path = interpolate(za, zb, 51, mode)  # (51, latent)
    digit = generate(entry.G, path[round(t * 50)], labels)[0].numpy()
    with c2:
        show_png(images.digit_png(digit, 7), width=196, caption="t = " + format_number(t, 2))


def interpolation_tab(entry: ModelEntry) -> None:
    dim = entry.latent_dim
    st.caption(
        _(
            "Walk from one point of latent space to another. The straight line (lerp) cuts through the "
            "middle of the prior, where G saw few training points; the great circle (slerp) stays on the shell "
            "where almost all z live."
        )
    )

    def new_pair():
        st.session_state["interp_a"], st.session_state["interp_b"] = random_z(dim), random_z(dim)

    def from_current():
        st.session_state["interp_a"] = current_z(dim).tolist()
        st.session_state["interp_b"] = random_z(dim)

    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    c1.button(_("Two random points"), icon=":material/casino:", on_click=new_pair, width="stretch", key="interp_random")
    c2.button(
        _("From the slider z"),
        icon=":material/tune:",
        on_click=from_current,
        width="stretch",
        help=_("A = the z of the sliders, B = a new random z."),
        key="interp_from_sliders",
    )
    with c3:
        n = st.slider(_("Frames"), 5, 15, 9, key="interp_n", persist_state="page")
    za = torch.tensor(st.session_state["interp_a"], dtype=torch.float32)
    zb = torch.tensor(st.session_state["interp_b"], dtype=torch.float32)
    labels = labels_for(entry)
    for mode, title in (("lerp", _("Linear (lerp)")), ("slerp", _("Spherical (slerp)"))):
        strip = generate(entry.G, interpolate(za, zb, n, mode), labels).numpy()
        png = images.strip_png(strip, scale=4)
        st.markdown(f"**{title}**: A → B")
        show_png(png, width="stretch")
        st.download_button(
            _("Download {mode} strip (PNG)").format(mode=mode),
            png,
            file_name=f"interpolation-{mode}.png",
            mime="image/png",
            on_click="ignore",
            key=f"dl_{mode}",
            icon=":material/download:",
        )
    st.subheader(_("Morph"), divider="gray")
    morph_panel(entry, za, zb)


def gallery_tab(entry: ModelEntry) -> None:
    cfg = entry.config
    if entry.conditional:
        st.caption(
            _(
                "Random z, each column one InfoGAN code (learned without labels), in the order of the digits they "
                "draw: {codes}."
            ).format(codes=", ".join(code_names(entry)[c] for c in class_order(entry)))
            if entry.infogan
            else _("64 random z, each column one digit class: what this generator draws, at a glance.")
        )
        ncol = entry.num_classes
        n = ncol * 6
        labels = torch.as_tensor(class_order(entry))[torch.arange(n) % ncol]
    else:
        st.caption(
            _("64 random z: what this generator draws, at a glance. Many near-identical digits = mode collapse.")
        )
        ncol, n, labels = 8, 64, None
    seed = int(st.session_state.get("gallery_seed", 0))
    z = torch.randn(n, cfg.latent_dim, generator=torch.Generator().manual_seed(seed))
    grid = generate(entry.G, z, labels).numpy()
    png = images.grid_png(grid, ncol=ncol, scale=3)

    def reseed():
        st.session_state["gallery_seed"] = seed + 1

    with st.container(horizontal=True, gap="small"):
        st.button(_("New samples"), icon=":material/casino:", on_click=reseed, key="gallery_new")
        st.download_button(
            _("Download grid (PNG)"),
            png,
            file_name="samples.png",
            mime="image/png",
            on_click="ignore",
            icon=":material/download:",
            key="dl_grid",
        )
    show_png(png, width=ncol * 30 * 3)


def timeline_frames(entry: ModelEntry) -> list[tuple[int, torch.nn.Module]]:
    """(step, G) along the model's training: step 0 (the untrained G, rebuilt from the config's seed),
    every snapshot its file carries, and the final G when it is newer than the last snapshot."""
    steps = entry.snapshot_steps
    if steps and steps[0] != 0:
        steps = [0] + steps
    frames = [(step, entry.generator_at(step)) for step in steps]
    final_step = int(entry.info.get("steps") or 0)
    if frames and final_step > frames[-1][0]:
        frames.append((final_step, entry.G))
    return frames


def _pin(dim: int) -> None:
    """Pin the z the sliders show (as the sliders hold it: floats with two decimals)."""
    st.session_state[PIN_KEY] = [float(st.session_state.get(z_key(k), 0.0)) for k in range(dim)]


@st.fragment
def timeline_tab(entry: ModelEntry) -> None:
    """Scrub through the snapshots saved in the model's file; draw one pinned z by each of them."""
    use_language()  # a fragment rerun does not pass through frame.navigation
    if not entry.snapshots:
        st.info(
            _(
                "This model's file carries no snapshots of its training, so there is no timeline to scrub. "
                "Runs trained on the Train page (and their downloaded files) keep theirs."
            ),
            icon=":material/info:",
        )
        return
    frames = timeline_frames(entry)
    steps = [step for step, _ in frames]
    st.caption(
        _(
            "The model's file keeps G as it was at a few moments of its training (step 0, the untrained G, "
            "is rebuilt from its seed). Scrub through them: the same noise at every step, so you watch the "
            "same digits form."
        )
    )
    cfg = entry.config
    key = f"timeline_{entry.key}"
    keep(key)  # the step stays through a change of language ("step 1,200" is translated)
    if st.session_state.get(key) not in steps:
        st.session_state[key] = steps[-1]
    step = st.select_slider(
        _("Training step"),
        options=steps,
        key=key,
        format_func=lambda s: _("step {n}").format(n=format_number(s)),
        persist_state="page",  # kept while another Explore tab is open (only the open one is drawn)
    )
    G = dict(frames)[step]
    if entry.conditional:
        ncol = entry.num_classes
        n, labels = ncol * 6, torch.as_tensor(class_order(entry))[torch.arange(ncol * 6) % ncol]
    else:
        ncol, n, labels = 8, 64, None
    z = torch.randn(n, cfg.latent_dim, generator=torch.Generator().manual_seed(TIMELINE_SEED))  # (n, latent)
    grid = generate(G, z, labels).numpy()  # (n, 28, 28)
    left, right = st.columns([2, 3], gap="large")
    with left:
        show_png(
            images.grid_png(grid, ncol=ncol, scale=3),
            width="stretch",
            caption=_("G at step {step} of {last}, on fixed noise").format(
                step=format_number(step), last=format_number(steps[-1])
            ),
        )
    with right:
        dim = entry.latent_dim
        if PIN_KEY not in st.session_state or len(st.session_state[PIN_KEY]) != dim:
            _pin(dim)
        pinned = torch.tensor(st.session_state[PIN_KEY], dtype=torch.float32)  # (latent,)
        st.markdown("**" + _("One z through the training") + "**")
        st.button(
            _("Pin this z"),
            icon=":material/push_pin:",
            on_click=_pin,
            args=(dim,),
            key="timeline_pin",
            help=_("Take the z of the Latent sliders tab (move the sliders there, then pin it here)."),
        )
        label = labels_for(entry)
        strip = torch.cat([generate(G_s, pinned, label) for _, G_s in frames]).numpy()  # (frames, 28, 28)
        show_png(
            images.strip_png(strip, scale=4),
            width="content",
            caption=_("Steps {steps}").format(steps=" → ".join(format_number(s) for s in steps)),
        )
        if label is None:
            what = _("The pinned z drawn by G at each saved step.")
        elif entry.infogan:
            what = _("The pinned z drawn by G at each saved step, with the code that draws {digit}.").format(
                digit=code_names(entry)[label]
            )
        else:
            what = _("The pinned z drawn by G at each saved step, asked for the digit {digit}.").format(digit=label)
        st.caption(what + " " + _("Pinned z: {z}").format(z=format_z(pinned.tolist())[:60] + ("…" if dim > 8 else "")))
