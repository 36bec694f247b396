"""Page script run by st.navigation (see gan_ui/layout.py); the page itself is gan_ui.learn."""

from gan_ui import learn

learn.render()
