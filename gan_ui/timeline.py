"""The Train page after (or while paused in) a run: its timeline, scrubbed snapshot by snapshot, and its results
(open in Explore, download the file or the assignment bundle)."""

from __future__ import annotations

import streamlit as st
import torch

from gan_core import generate
from gan_core.i18n import _, format_number

from . import images, run_tools, state
from .latent import current_label, current_z, has_z
from .layout import show_png, switch_to
from .number_checks import range_problem
from .run_handle import RunHandle

STRIP_FRAMES = 10


def timeline(run: RunHandle) -> None:
    snaps = run.snapshots()
    if not snaps:
        return
    st.subheader(_("Timeline"), divider="gray")
    st.caption(
        _(
            "Scrub through the run: the same 64 noise vectors at every snapshot. Pin one of them to watch "
            "that single digit grow out of noise."
        )
    )
    n = run.number
    idx = st.select_slider(
        _("Snapshot"),
        options=list(range(len(snaps))),
        value=len(snaps) - 1,
        key=f"tl_{n}",
        format_func=lambda i: _("step {step}").format(step=format_number(snaps[i].step)),
    )
    left, right = st.columns([2, 3], gap="large")
    with left:
        raw = st.number_input(
            _("Pinned cell (1–64, row by row)"), value=1, min_value=None, max_value=None, step=1, key=f"pin_{n}"
        )
        problem = range_problem(_("Pinned cell"), raw, 1, 64)
        if problem:  # refused on the page; the last good cell stays pinned meanwhile
            cell = int(st.session_state.get(f"pin_ok_{n}", 0))
            st.error(
                _("{problem} Still showing cell {cell}.").format(problem=problem, cell=cell + 1),
                icon=":material/block:",
            )
        else:
            cell = st.session_state[f"pin_ok_{n}"] = int(raw) - 1
        show_png(
            images.grid_png(snaps[idx].images.numpy(), ncol=8, scale=3, highlight=cell),
            width=400,
            caption=_("Step {step}; the pinned cell is framed in orange.").format(step=format_number(snaps[idx].step)),
        )
    with right:
        picks = images.evenly(len(snaps), STRIP_FRAMES)
        strip = torch.stack([snaps[i].images[cell] for i in picks]).numpy()
        st.markdown(_("**Cell {cell} across the run**").format(cell=cell + 1))
        show_png(
            images.strip_png(strip, scale=3),
            width="content",
            caption=_("steps {first} → {last}").format(
                first=format_number(snaps[picks[0]].step), last=format_number(snaps[picks[-1]].step)
            ),
        )
        with_weights = [s for s in snaps if s.g_state is not None]
        dim = run.cfg.latent_dim
        z = current_z(dim) if has_z(dim) else None
        if (
            z is not None
            and with_weights
            and st.toggle(
                _("Also grow the Explore sliders' z"),
                key=f"growz_{n}",
                help=_("Uses G's saved weights at up to 10 moments."),
            )
        ):
            label = current_label() if run.cfg.conditional else None
            frames = [with_weights[i] for i in images.evenly(len(with_weights), STRIP_FRAMES)]
            digits = []
            for s in frames:
                G = run.generator_at(s)
                digits.append(generate(G, z, label)[0])
            show_png(
                images.strip_png(torch.stack(digits).numpy(), scale=3),
                width="content",
                caption=_("The Explore z through G at steps {first} → {last}").format(
                    first=format_number(frames[0].step), last=format_number(frames[-1].step)
                ),
            )
        elif z is None:
            st.caption(_("Open Explore once to pin its slider z here too."))


def results(run: RunHandle) -> None:
    if not run.usable:
        return
    st.subheader(_("Use this run"), divider="gray")
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="center")
    if c1.button(
        _("Open in Explore"), type="primary", icon=":material/open_in_new:", key=f"open_{run.number}", width="stretch"
    ):
        store = state.session_store()
        store.viewing = run.number
        entry = store.add_model(run.model_entry())
        st.session_state["explore_model"] = entry.key
        switch_to("explore")
    c2.download_button(
        _("Download .safetensors"),
        run.checkpoint,
        file_name=run.file_name(),
        mime="application/octet-stream",
        icon=":material/download:",
        on_click="ignore",
        key=f"dl_run_{run.number}",
        width="stretch",
    )
    c3.caption(_("The file holds G, D, the config and timeline snapshots. Upload it later in Explore."))
    run_tools.bundle_button(run)
