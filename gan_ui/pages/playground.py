"""Page script run by st.navigation (see gan_ui/layout.py); the page itself is gan_ui.playground."""

from gan_ui import playground

playground.render()
