"""`python -m gan_ui [options of streamlit run]`: the app's web server, warmed up from the moment it starts.

`streamlit run app.py` runs app.py only when the first browser tab arrives, so that tab waits for torch, the
Explore page and the default generator to load (seconds on a small machine). This runs Streamlit's own command
line in this process and starts gan_ui.warmup's background thread as soon as Streamlit's runtime has started
(not before: it would slow the server's own start): by the time the first student opens the address, the first
view is in memory. Everything else is `streamlit run app.py` unchanged:

    python -m gan_ui --server.port 8501 --server.headless true
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from streamlit.runtime import Runtime, RuntimeState
from streamlit.web import cli

from . import warmup

APP = Path(__file__).resolve().parent.parent / "app.py"
START_WAIT = 60.0  # s to wait for Streamlit's runtime before warming up regardless


def runtime_started() -> bool:
    return Runtime.exists() and Runtime.instance().state != RuntimeState.INITIAL


def warm_up_after_start() -> None:
    deadline = time.monotonic() + START_WAIT
    while not runtime_started() and time.monotonic() < deadline:
        time.sleep(0.05)
    warmup.start()  # a tab that arrived first has started it already: then this does nothing


def main(argv: list[str]) -> None:
    threading.Thread(target=warm_up_after_start, name="gan_warmup_start", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
