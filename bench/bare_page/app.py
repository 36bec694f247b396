"""The floor for a later tab: a bare Streamlit page with what bench/first_paint.py waits for (eight sliders and one
28x28 digit image with Explore's caption) and nothing else, served with the app's own .streamlit/config.toml.

    python bench/later_tabs.py --baseline bench/bare_page

Whatever a later tab of GAN Classroom takes beyond this page's time is ours; this much is Streamlit's and the
browser's.
"""

import numpy as np
import streamlit as st

st.set_page_config(page_title="bare page", layout="wide")
st.title("Explore a generator")
left, right = st.columns([3, 2])
with left:
    cols = st.columns(2)
    for k in range(8):
        with cols[k % 2]:
            st.slider(f"z{k + 1}", -3.0, 3.0, 0.0, 0.05, key=f"z{k}")
with right:
    pixels = (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)  # (28, 28): a stand-in digit
    st.image(pixels, width=280, caption="G(z): the generator's output for this z")
