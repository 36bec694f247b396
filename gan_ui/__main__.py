"""`python -m gan_ui [options of streamlit run]`: the app's web server, the same as `streamlit run app.py`.

Both start the warm-up (gan_ui.warmup: torch, the Explore page and the default generator) when the server starts,
through app.py's `st.App(..., lifespan=warmup.lifespan)`, so the first student does not wait for it:

    python -m gan_ui --server.port 8501 --server.headless true
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.web import cli

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str]) -> None:
    sys.argv = ["streamlit", "run", str(APP), *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
