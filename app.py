"""GAN Classroom: train a small GAN on handwritten digits and explore what it learned.

    streamlit run app.py

This file only lays out the app; the pages live in gan_ui/ and the machine learning in gan_core/.
"""

import streamlit as st

from gan_ui import frame, layout

st.set_page_config(page_title="GAN Classroom", page_icon=str(layout.ICON), layout="wide")
frame.navigation().run()
