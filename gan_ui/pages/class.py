"""Page script run by st.navigation (see gan_ui/layout.py); the page itself is gan_ui.class_page."""

from gan_ui import class_page

class_page.render()
