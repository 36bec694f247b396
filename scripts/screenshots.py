"""Take the README screenshots: Explore (and Explore on the InfoGAN), and Train mid-run, at 1366x768 and 1920x1080.

    python scripts/screenshots.py                      # -> docs/screenshots/*.png
    GAN_CLASSROOM_DATA=/path/to/mnist python scripts/screenshots.py --budget "120 s" --steps 600

Starts `streamlit run app.py` on a free port, drives Debian's Chromium (or $GAN_CLASSROOM_CHROMIUM)
with Playwright, starts a real training run from the UI, waits until it has trained --steps steps
(or --max-wait seconds), then shoots every size from the same live session. PNGs are reduced to a
256-colour palette so they stay small enough to commit.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GAN_CLASSROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SIZES = [(1366, 768), (1920, 1080)]
SCRUB_READY = '.gan-scrub[data-state="ready"] .gan-scrub-slider'  # scrub mode's sliders, G loaded in the page

IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = app && app.getAttribute('data-test-script-state') === 'notRunning'
                 && !document.querySelector('[data-testid="stSkeleton"]');
    const now = performance.now();
    if (!idle) { window.__shotIdle = null; return false; }
    window.__shotIdle = window.__shotIdle || now;
    return now - window.__shotIdle > 500;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("streamlit did not start within 120 s")


@contextlib.contextmanager
def app_browser():
    """A fresh `streamlit run app.py` (its log in a temporary file) and headless Chromium: (browser, url).
    Both are shut down on the way out, whatever happened inside."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryFile() as log:
        proc, url = start_server(log)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    yield browser, url
                finally:
                    browser.close()
        finally:
            proc.terminate()
            proc.wait(15)


def wait_idle(page, selector: str | None = None, timeout: float = 120) -> None:
    if selector:
        page.wait_for_selector(selector, timeout=timeout * 1000)
    page.wait_for_function(IDLE_JS, timeout=timeout * 1000, polling=100)


def save(page, path: Path) -> None:
    """Screenshot the viewport, reduce it to a 256-colour palette, write it."""
    raw = page.screenshot()
    img = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)
    shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path  # --out may be elsewhere
    print(f"wrote {shown} ({path.stat().st_size / 1024:.0f} KB)")


def step_count(page) -> int:
    text = (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text="Step")
        .first.locator('[data-testid="stMetricValue"]')
        .inner_text()
    )
    return int(text.replace(",", "") or 0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--preset", default="dcgan")
    ap.add_argument("--budget", default="120 s", help='a budget button label, e.g. "60 s" or "120 s"')
    ap.add_argument("--steps", type=int, default=500, help="shoot Train once the run has trained this many steps")
    ap.add_argument(
        "--max-wait",
        type=float,
        default=80,
        help="... or after this many seconds (keep it well inside the budget: shots are mid-run)",
    )
    args = ap.parse_args(argv)
    out = Path(args.out)

    with app_browser() as (browser, url):
        # Explore: a fresh tab per size, exactly what a first-time visitor sees.
        for w, h in SIZES:
            ctx = browser.new_context(viewport={"width": w, "height": h})
            page = ctx.new_page()
            page.goto(url)
            wait_idle(page, SCRUB_READY)  # Explore opens in scrub mode: its sliders, once G runs in the page
            time.sleep(1.0)
            save(page, out / f"explore-{w}x{h}.png")
            ctx.close()
        # Explore on the InfoGAN: its code picker and the row of ten codes for one z (scrolled into view).
        ctx = browser.new_context(viewport={"width": 1366, "height": 1480})  # tall: picker to codes row in one shot
        page = ctx.new_page()
        page.goto(url)
        wait_idle(page, SCRUB_READY)
        page.get_by_role("combobox", name="Generator").click()
        page.get_by_role("option", name="infogan", exact=False).first.click()
        wait_idle(page, '.gan-scrub[data-state="ready"] .gan-scrub-label')
        page.locator(".gan-scrub-label").nth(3).click()  # code c3, in scrub mode's own picker
        wait_idle(page)
        time.sleep(1.0)
        save(page, out / "explore-infogan-1366x1480.png")
        ctx.close()
        # Train: one live run, shot at every size while it trains.
        ctx = browser.new_context(viewport={"width": SIZES[-1][0], "height": SIZES[-1][1]})
        page = ctx.new_page()
        page.goto(url + "/train")
        wait_idle(page, '[data-testid="stBaseButton-primary"]')
        if args.preset != "dcgan":
            page.get_by_role("combobox", name="Preset").click()
            page.get_by_role("option", name=args.preset, exact=True).click()
            wait_idle(page)
        page.get_by_role("radio", name=args.budget, exact=True).click()
        wait_idle(page)
        page.get_by_role("button", name="Start", exact=True).click()
        page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.max_wait and step_count(page) < args.steps:
            time.sleep(1.0)
        print(f"run at step {step_count(page)} after {time.monotonic() - t0:.0f} s")
        for w, h in reversed(SIZES):  # the page is already at the last size
            page.set_viewport_size({"width": w, "height": h})
            time.sleep(1.5)  # let the charts re-layout and one refresh land
            wait_idle(page)
            save(page, out / f"train-{w}x{h}.png")
        stop = page.get_by_role("button", name="Stop", exact=True)
        if stop.is_enabled():
            stop.click()
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
