"""The latent lab: two Explore tabs that let a student ask a trained GAN real questions.

* **Directions** - the generator's principal directions (gan_core.directions: PCA of its images,
  mapped back to z), one slider each, beside the raw coordinates: moving a direction slider moves
  z along that direction, so the raw sliders follow. Each direction has its sweep strip, and the
  student can name it ("slant", "stroke width") for the session. "Nearest real digits" shows the
  training digits closest to the current digit (the memorization check of gan_core.metrics).
* **Your digit** - draw a digit (streamlit-drawable-canvas) or upload a picture, prepared the way
  MNIST's digits were (gan_core.digits); ask the discriminator about it beside a real and a
  generated digit (gan_core.critic); and "Find my digit": search the z (and label) for which G
  draws it (gan_core.inversion), then put that z into the sliders.

Models are read-only here: G and D stay in eval mode; the inversion asks gradients of z only.
A z found by the inversion reaches the sliders through `apply_pending`, which explore.render()
calls before any slider exists in the script run (Streamlit refuses to change a widget's value
after the widget was drawn in the same run).
"""

from __future__ import annotations

import streamlit as st

from .catalogue import ModelEntry
from .latent import set_label, set_z

PENDING_KEY = "lab_pending_z"  # (model key, z, label): applied to the sliders on the next run
RESULT_KEY = "lab_result"  # the last inversion, for display
SOURCE_KEY = "lab_source"  # "Drawing" | "Upload"


def apply_pending(entry: ModelEntry) -> None:
    """Put a z found by "Find my digit" into the sliders (and its label into the digit picker)."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if not pending or pending[0] != entry.key:
        return
    set_z(pending[1])
    if pending[2] is not None:
        set_label(pending[2])
