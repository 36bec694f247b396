"""Page script run by st.navigation (see gan_ui/layout.py); the page itself is gan_ui.about."""

from gan_ui import about

about.render()
