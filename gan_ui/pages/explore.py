"""Page script run by st.navigation (see gan_ui/layout.py); the page itself is gan_ui.explore."""

from gan_ui import explore

explore.render()
