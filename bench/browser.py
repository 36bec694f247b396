"""Shared by the browser benchmarks: a Streamlit server and Debian's headless Chromium, started and stopped together.

    with chromium(StreamlitServer(log)) as (browser, url):
        page = browser.new_page()
        page.goto(url + "/playground")

The server classes and Chromium's flags are the e2e tests' own (tests/e2e_support.py), so a benchmark measures
the app the way the tests drive it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from common import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from e2e_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


@contextmanager
def chromium(server) -> Iterator[tuple[object, str]]:
    """Start `server` (an e2e_support.StreamlitServer or subclass), then headless Chromium; yield (browser, the
    server's URL); close the browser and stop the server however the block ends."""
    from playwright.sync_api import sync_playwright  # the benchmarks that never open a browser do not need it

    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser, server.url
            finally:
                browser.close()
    finally:
        server.stop()
