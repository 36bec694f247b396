"""Test-only entry script: the Playground page alone, until gan_ui/layout.py registers it.

Used by tests/test_e2e_playground.py and bench/playground_fps.py.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

from gan_ui import playground, settings  # noqa: E402

st.set_page_config(page_title="Playground", layout="wide")  # as app.py
settings.configure_torch()  # as app.py (gan_ui/frame.py): without it torch's 2 threads per op on 2 shared cores
#   made a burst ~15x slower under load (BENCHMARKS.md, Playground frame rate), a figure the app never sees

playground.render()
