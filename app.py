"""GAN Classroom: train a small GAN on handwritten digits and explore what it learned.

    streamlit run app.py

This file only lays out the app; the pages live in gan_ui/ and the machine learning in gan_core/.

It is read two ways. `streamlit run app.py` finds `app` below (an `st.App`) and serves it: this file is then
imported once, as a module, when the server starts, and `app`'s start-up hook (gan_ui.warmup.lifespan) begins
loading torch and the default generator at once, so the first student does not wait for them. Streamlit then
runs this same file as the page script (`__main__`) for every page view and rerun, as does AppTest.
"""

import streamlit as st

from gan_ui import warmup

if __name__ == "__main__":  # a page's script run
    warmup.start()  # does nothing once the server's start-up hook has started it (or AppTest: starts it here)

    from gan_ui import frame, layout

    st.set_page_config(page_title="GAN Classroom", page_icon=str(layout.ICON), layout="wide")
    with warmup.page_run():  # the warm-up's background imports wait while a page is drawn
        frame.navigation().run()
else:  # imported by `streamlit run app.py` (or an ASGI server: uvicorn app:app) when the server starts
    from gan_ui import memory

    memory.cap_arenas()  # two malloc arenas for the threads that will run every tab's script (gan_ui/memory.py)
    app = st.App(__file__, lifespan=warmup.lifespan)
