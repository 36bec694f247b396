"""Page script run by st.navigation (see gan_ui/layout.py); the page itself is gan_ui.train."""

from gan_ui import train

train.render()
