"""GAN Classroom: train a small GAN on handwritten digits and explore what it learned.

    streamlit run app.py

This file only lays out the app; the pages live in gan_ui/ and the machine learning in gan_core/.
"""

import streamlit as st

from gan_ui import warmup

warmup.start()  # once per process: the default generator and the other pages load in the background

from gan_ui import frame, layout  # noqa: E402  (after the warm-up has started)

st.set_page_config(page_title="GAN Classroom", page_icon=str(layout.ICON), layout="wide")
with warmup.page_run():  # the warm-up's background imports wait while a page is drawn
    frame.navigation().run()
