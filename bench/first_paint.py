"""First paint: how long a student waits for the first digit on a fresh server.

Each round starts a fresh `streamlit run app.py` in a subprocess (the helpers of tests/e2e_support.py, offline,
not in test mode) and drives Debian's headless Chromium through Playwright:

1. **start → healthy**: from launching the server process until `/_stcore/health` answers 200;
2. **first tab**: (after `--idle` seconds, the time a server usually waits before its first student) a new
   browser context opens the address; from `goto` until the Explore page's digit has loaded and its latent
   sliders are on screen;
3. **second tab**: a second tab of the same browser (its cache holds the app's scripts by now), the same measure;
4. **other browser**: a new browser context (another student's first visit, nothing cached), the same measure.

Medians over `--rounds` rounds (each a new server), with the machine's load average before and after: the
figures move a lot with the load, so compare only figures taken side by side.

    python bench/first_paint.py [--rounds 5] [--idle 0] [--record]

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, environment, record

sys.path.insert(0, str(ROOT / "tests"))
import torch  # noqa: E402
from e2e_support import CHROMIUM, CHROMIUM_ARGS, StreamlitServer  # noqa: E402

VIEWPORT = {"width": 1366, "height": 900}
DIGIT_CAPTION = "G(z): the generator's output for this z"
READY_JS = """(caption) => {
    const figs = [...document.querySelectorAll('[data-testid="stImage"]')].filter(f => f.innerText.includes(caption));
    const img = figs.length ? figs[0].querySelector('img') : null;
    const shown = img && img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0;
    const sliders = [...document.querySelectorAll('[data-testid="stSlider"]')]
        .filter(s => s.getBoundingClientRect().width > 0);
    return Boolean(shown && sliders.length > 0);
}"""


def time_tab(ctx, url: str, timeout: float = 120.0) -> float:
    """Seconds from opening `url` in a new tab of `ctx` (a new session) to the digit and its sliders on screen."""
    page = ctx.new_page()
    t0 = time.monotonic()
    page.goto(url, wait_until="commit")
    page.wait_for_function(READY_JS, arg=DIGIT_CAPTION, timeout=timeout * 1000, polling=50)
    return time.monotonic() - t0


def one_round(browser, idle: float, log_dir: Path) -> tuple[float, float, float, float]:
    server = StreamlitServer(log_dir / "first-paint-server.log", env={"GAN_CLASSROOM_TEST_MODE": ""})
    t0 = time.monotonic()
    server.start(timeout=180)
    healthy = time.monotonic() - t0
    one = browser.new_context(viewport=VIEWPORT)
    other = browser.new_context(viewport=VIEWPORT)
    try:
        time.sleep(idle)
        first = time_tab(one, server.url)
        second = time_tab(one, server.url)
        fresh = time_tab(other, server.url)
    except Exception:
        print(server.log()[-3000:], file=sys.stderr)
        raise
    finally:
        one.close()
        other.close()
        server.stop()
    return healthy, first, second, fresh


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--idle", type=float, default=0.0, help="seconds between healthy and the first tab")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for r in range(args.rounds):
                row = one_round(browser, args.idle, Path(tmp))
                rows.append(row)
                print(
                    f"round {r + 1}: healthy {row[0]:.2f} s, first tab {row[1]:.2f} s, second tab {row[2]:.2f} s,"
                    f" other browser {row[3]:.2f} s"
                    f"  (load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
        finally:
            browser.close()
    load_after = os.getloadavg()
    med = [statistics.median(col) for col in zip(*rows)]
    lo = [min(col) for col in zip(*rows)]
    hi = [max(col) for col in zip(*rows)]
    names = [
        "server start -> healthy",
        "first tab -> digit + sliders",
        "second tab (same browser) -> digit + sliders",
        "other browser's first tab -> digit + sliders",
    ]
    lines = [
        f"- `python bench/first_paint.py --rounds {args.rounds} --idle {args.idle:g}`: a fresh `streamlit run app.py`"
        f" per round, headless Chromium; medians (min-max) of {len(rows)} rounds; load average (1 min)"
        f" {load_before[0]:.2f} before, {load_after[0]:.2f} after",
    ]
    for name, m, a, b in zip(names, med, lo, hi):
        lines.append(f"  - {name}: **{m:.2f} s** ({a:.2f}-{b:.2f})")
    print("\n".join(lines))
    if args.record:
        record("First paint (bench/first_paint.py)", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
