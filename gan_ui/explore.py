"""The Explore page: a trained generator's latent space, one slider per dimension of z.

Everything on this page samples from read-only generators (eval mode, CPU) under torch.inference_mode(), via
gan_core.sampling. The page's tabs live in their own modules: explore_model (the picker), explore_sliders (the
latent sliders), explore_views (interpolation, gallery, training timeline), lab_directions and lab_digit (the
latent lab).
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import N_, _

from . import lab, lab_digit, lab_directions, state
from .catalogue import catalogue
from .choices import keep_label
from .explore_model import init_model_state, model_picker
from .explore_sliders import PHONE_CSS, latent_panel
from .explore_views import gallery_tab, interpolation_tab, timeline_frames, timeline_tab
from .layout import page_link

__all__ = ["render", "timeline_frames"]

TABS = [
    N_("Latent sliders"),
    N_("Interpolation"),
    N_("Gallery"),
    N_("Training timeline"),
    N_("Directions"),
    N_("Your digit"),
]
DIGIT_TAB_OPENED = "_explore_digit_tab_opened"  # session state: "Your digit" has been opened (see render)


# ---------------------------------------------------------------------------------------------
def render() -> None:
    st.title(_("Explore a generator"))
    st.caption(
        _(
            "A trained generator G turns a vector of random numbers z into a digit. "
            "Move the sliders to move z and watch the digit change."
        )
    )
    store = state.session_store()
    models = catalogue(store.user_models())
    entry = model_picker(models)
    if entry is None:
        st.info(
            _(
                "No generator is available yet: none ships in `pretrained/`. Train one on the Train page "
                "(it appears here when it ends) or upload a .safetensors file."
            )
        )
        page_link("train", _("Go to Train"))
        return
    st.html(PHONE_CSS)
    init_model_state(entry)
    lab.apply_pending(entry)  # a z found by "Find my digit" lands in the sliders before they are drawn
    # on_change="rerun": the tabs keep which one is open, and opening another reruns the page, which draws the open
    # tab alone (`.open`): a hidden tab costs neither the server's script run nor the browser's layout (all six
    # drawn at once were 1,681 elements, and a later tab took 1.5-2.5 s to its digit; bench/first_paint.py). Each tab
    # is drawn afresh when opened, so it shows the z another tab set; its widgets keep their values meanwhile
    # (persist_state). "Your digit" holds what Streamlit cannot keep for an undrawn widget (the canvas's strokes,
    # the uploaded picture): once opened it is drawn on every run of the session.
    keep_label("explore_tab", TABS)  # the open tab survives a change of language
    tabs = st.tabs([_(name) for name in TABS], key="explore_tab", on_change="rerun")
    views = (
        latent_panel,
        interpolation_tab,
        gallery_tab,
        timeline_tab,
        lab_directions.directions_tab,
        lab_digit.your_digit_tab,
    )
    if tabs[-1].open:
        st.session_state[DIGIT_TAB_OPENED] = True
    for k, (tab, view) in enumerate(zip(tabs, views, strict=True)):
        kept = k == len(tabs) - 1 and st.session_state.get(DIGIT_TAB_OPENED, False)
        if tab.open is not False or kept:  # open is None only if the tabs kept no state: then draw them all
            with tab:
                view(entry)
