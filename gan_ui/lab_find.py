"""The latent lab's "Find my digit": search the z (and label) for which G draws the student's digit
(gan_core.inversion), show the reconstruction, and hand the found z to the sliders (lab.apply_pending)."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from gan_core import generate
from gan_core.i18n import _, format_number
from gan_core.inversion import DEADLINE_S, invert
from gan_core.sampling import LATENT_RANGE

from . import images
from .catalogue import ModelEntry
from .lab import PENDING_KEY, RESULT_KEY
from .layout import show_png


def find_panel(entry: ModelEntry, mine: np.ndarray) -> None:
    st.subheader(_("Find my digit"), divider="gray")
    st.caption(
        (
            _(
                "G has no way back from a picture to z, so we search: the best of many random z, then gradient "
                "descent on z (G frozen) to make G(z) match your digit pixel by pixel, trying every code."
            )
            if entry.infogan
            else _(
                "G has no way back from a picture to z, so we search: the best of many random z, then gradient "
                "descent on z (G frozen) to make G(z) match your digit pixel by pixel, trying every label."
            )
            if entry.conditional
            else _(
                "G has no way back from a picture to z, so we search: the best of many random z, then gradient "
                "descent on z (G frozen) to make G(z) match your digit pixel by pixel."
            )
        )
        + " "
        + _("About {s} s.").format(s=format_number(DEADLINE_S))
    )
    if st.button(_("Find my digit"), icon=":material/search:", type="primary", key="lab_find"):
        bar = st.progress(0.0, text=_("Searching z…"))

        def progress(frac, err):
            bar.progress(
                min(1.0, float(frac)), text=_("Searching z… pixel error {error}").format(error=format_number(err, 3))
            )

        res = invert(entry.G, mine, callback=progress)
        bar.empty()
        snapped = [round(float(v), 2) for v in res.z.clamp(-LATENT_RANGE, LATENT_RANGE)]  # what the sliders hold
        recon = generate(entry.G, torch.tensor(snapped), res.label if entry.conditional else None)[0].numpy()
        err = float(np.sqrt(np.mean(((recon.astype(np.float64) - mine) / 255.0) ** 2)))
        st.session_state[RESULT_KEY] = {
            "model": entry.key,
            "target": mine,
            "recon": recon,
            "error": err,
            "start_error": res.start_error,
            "label": res.label,
            "steps": res.steps,
            "seconds": res.seconds,
            "z": snapped,
        }
        st.session_state[PENDING_KEY] = (entry.key, snapped, res.label)
        st.rerun()  # the sliders take the found z before they are drawn
    result = st.session_state.get(RESULT_KEY)
    if result and result["model"] == entry.key:
        c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="top")
        with c1:
            show_png(images.digit_png(result["target"], 5), width=140, caption=_("Your digit (28 × 28)"))
        with c2:
            show_png(images.digit_png(result["recon"], 5), width=140, caption=_("Reconstruction: G(found z)"))
        with c3:
            st.metric(
                _("Pixel error (RMSE, 0–1)"),
                format_number(result["error"], 3),
                delta=_("{delta} vs best random z").format(delta=f"{result['error'] - result['start_error']:+.3f}"),
                delta_color="inverse",
            )
            when = {"s": format_number(result["seconds"], 1), "steps": result["steps"], "label": result["label"]}
            if result["label"] is None:
                found = _("Found in {s} s ({steps} gradient steps).").format(**when)
            elif entry.infogan:
                found = _("Found with the code **c{label}** in {s} s ({steps} gradient steps).").format(**when)
            else:
                found = _("Found as the digit **{label}** in {s} s ({steps} gradient steps).").format(**when)
            st.success(
                found
                + " "
                + _(
                    "The found z is now in the sliders: open **Latent sliders** or **Directions** to explore "
                    "from your own digit."
                ),
                icon=":material/check_circle:",
            )
