"""`python -m gan_ui [options of streamlit run]`: the app's web server, warmed up from the moment it starts.

`streamlit run app.py` runs app.py only when the first browser tab arrives, so that tab waits for torch, the
Explore page and the default generator to load (seconds on a small machine). This starts gan_ui.warmup's
background thread first and then Streamlit's own command line, in the same process: by the time the first
student opens the address, the first view is in memory. Everything else is `streamlit run app.py` unchanged:

    python -m gan_ui --server.port 8501 --server.headless true
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.web import cli

from . import warmup

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str]) -> None:
    warmup.start()
    sys.argv = ["streamlit", "run", str(APP), *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
