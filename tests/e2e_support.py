"""Helpers for the app tests: a real `streamlit run` server, Debian's Chromium through Playwright, AppTest glue.

Browser fixtures live here rather than in conftest.py; test modules import them by name:

    from e2e_support import browser, streamlit_server  # noqa: F401  (pytest fixtures)

Chromium: $GAN_CLASSROOM_CHROMIUM or /usr/bin/chromium. When it (or the playwright package) is
missing the browser tests are skipped with the reason, unless GAN_CLASSROOM_REQUIRE_BROWSER=1,
in which case they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gan_ui.server import server_scheduler

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # gan_ui / gan_core importable however pytest was started
    sys.path.insert(0, str(ROOT))

ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("GAN_CLASSROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
APP_ENV = {"GAN_CLASSROOM_OFFLINE": "1", "GAN_CLASSROOM_TEST_MODE": "1"}


# ---------------------------------------------------------------------------------------------
# AppTest glue
# ---------------------------------------------------------------------------------------------
def page_script(module: str) -> str:
    """A one-page script for AppTest: renders one gan_ui page the way st.navigation would."""
    return f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom gan_ui import {module}\n{module}.render()\n"


def open_tab(at, label: str):
    """Open Explore's tab `label` in an AppTest, as a click on it does: st.tabs keeps the open tab's label under
    its key (explore_tab), and the rerun that follows draws that tab alone (gan_ui/explore.py)."""
    at.session_state["explore_tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def stop_all_runs(timeout: float = 30.0) -> None:
    """Stop every training run any session store of this process started, and wait for the threads."""
    from gan_ui import state

    trainers = [h for s in state.live_stores() for h in s.runs]
    sched = server_scheduler()  # runs of stores already gone are still queued here
    for ticket in sched.queued():
        sched.cancel(ticket, ticket.session, "test teardown")
    trainers += [ticket.trainer for ticket in sched.running()]
    for t in trainers:
        t.stop()
    for t in trainers:
        t.join(timeout)


def wait_for(predicate, timeout: float, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# ---------------------------------------------------------------------------------------------
# A real server
# ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run app.py` (or another `script`) in a subprocess on a free port; its output goes to a log file."""

    def __init__(self, log_path: Path, env: dict | None = None, port: int | None = None, script: Path | None = None):
        self.script = script or ROOT / "app.py"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {**os.environ, **APP_ENV, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> "StreamlitServer":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(self.script),
            "--server.headless",
            "true",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
        ]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        with contextlib.suppress(Exception):
            self._log.close()


def chromium_or_skip() -> str:
    """The Chromium path, or skip (fail under GAN_CLASSROOM_REQUIRE_BROWSER=1) with the reason."""
    required = os.environ.get("GAN_CLASSROOM_REQUIRE_BROWSER", "") in ("1", "true", "yes")
    reason = None
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        reason = f"Chromium not found at {CHROMIUM} (set GAN_CLASSROOM_CHROMIUM or apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright Python package is not installed (pip install -r requirements-dev.txt)"
    if reason:
        if required:
            pytest.fail(f"GAN_CLASSROOM_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def streamlit_server(request):
    chromium_or_skip()  # no point starting a server nobody can drive
    name = request.module.__name__.rsplit(".", 1)[-1]
    server = StreamlitServer(ARTIFACTS / f"{name}-server.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    path = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


# ---------------------------------------------------------------------------------------------
# Page helpers
# ---------------------------------------------------------------------------------------------
def wait_idle(page, selector: str | None = None, timeout: float = 60.0) -> None:
    """Wait until the app shows `selector` (if given), no script run is in progress and nothing is still loading."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    if selector:
        page.wait_for_selector(selector, timeout=timeout * 1000)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const idle = app && app.getAttribute('data-test-script-state') === 'notRunning'
                         && app.getAttribute('data-test-connection-state') === 'CONNECTED'
                         && !document.querySelector('[data-testid="stSkeleton"]');
            const now = performance.now();
            if (!idle) { window.__ganIdleSince = null; return false; }
            window.__ganIdleSince = window.__ganIdleSince || now;
            return now - window.__ganIdleSince > 400;     // idle for a moment, not between two runs
        }""",
        timeout=timeout * 1000,
        polling=100,
    )


def image_bytes(page, locator) -> bytes:
    """The bytes of the image an <img> shows (fetched in the page, so exactly what the browser got)."""
    src = locator.get_attribute("src")
    data = page.evaluate(
        """async (src) => { const r = await fetch(src); const b = new Uint8Array(await r.arrayBuffer());
                           return Array.from(b); }""",
        src,
    )
    return bytes(data)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
