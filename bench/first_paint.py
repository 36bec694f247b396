"""First paint: how long a student waits for the first digit on a fresh server.

Each round starts a fresh `streamlit run app.py` in a subprocess (offline, not in test mode) and drives Debian's
headless Chromium through Playwright (the settings of tests/e2e_support.py):

1. **start → healthy**: from launching the server process until `/_stcore/health` answers 200;
2. **first tab**: (after `--idle` seconds, the time a server usually waits before its first student) a new
   browser context opens the address; from `goto` until the Explore page's digit has loaded and its latent
   sliders are on screen (scrub mode's, which are drawn and work through the server while its program loads,
   or the server's where scrub mode falls back);
3. **second tab**: a second tab of the same browser (its cache holds the app's scripts by now), the same measure;
4. **other browser**: a new browser context (another student's first visit, nothing cached), the same measure;
5. for each of the three tabs, also the time until scrub mode's program runs in the page (its canvas draws G(z)).

Medians over `--rounds` rounds (each a new server), with the machine's load average before and after: the
figures move a lot with the load, so compare only figures taken side by side. `--baseline DIR` runs another
checkout of the project (e.g. `git worktree add /tmp/base main`) in alternate rounds, in the same run, so the
two are measured under the same load.

`--warm-start` starts this checkout with `python -m gan_ui` instead of `streamlit run app.py` (since app.py became
an st.App whose start-up hook warms up, the two are the same server; before that only `python -m gan_ui` warmed up
before the first tab); a baseline always runs `streamlit run app.py`. `--idle` gives the warm-up time to finish
before the first tab, as a server started before the lesson has.

    python bench/first_paint.py [--rounds 5] [--idle 0] [--baseline DIR] [--warm-start] [--record]

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, environment, record

sys.path.insert(0, str(ROOT / "tests"))
import torch  # noqa: E402
from e2e_support import APP_ENV, CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

VIEWPORT = {"width": 1366, "height": 900}
DIGIT_CAPTION = "G(z): the generator's output for this z"
READY_JS = """(caption) => {
    const figs = [...document.querySelectorAll('[data-testid="stImage"]')].filter(f => f.innerText.includes(caption));
    const img = figs.length ? figs[0].querySelector('img') : null;
    const shown = img && img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0;
    const sliders = [...document.querySelectorAll('[data-testid="stSlider"], .gan-scrub-slider')]
        .filter(s => s.getBoundingClientRect().width > 0);
    return Boolean(shown && sliders.length > 0);
}"""


SCRUB_JS = """() => { const s = document.querySelector('.gan-scrub');
    return !s || s.dataset.state === 'ready' || s.dataset.state === 'failed'; }"""


def time_tab(ctx, url: str, timeout: float = 120.0, until_scrub: list | None = None) -> float:
    """Seconds from opening `url` in a new tab of `ctx` (a new session) to the digit and its sliders on screen.

    Scrub mode's sliders are drawn (and work, through the server) before its program has loaded; with
    `until_scrub` (a list), the seconds until the program also runs in the page are appended to it."""
    page = ctx.new_page()
    t0 = time.monotonic()
    page.goto(url, wait_until="commit")
    page.wait_for_function(READY_JS, arg=DIGIT_CAPTION, timeout=timeout * 1000, polling=50)
    shown = time.monotonic() - t0
    if until_scrub is not None:
        page.wait_for_function(SCRUB_JS, timeout=timeout * 1000, polling=20)
        until_scrub.append(time.monotonic() - t0)
    return shown


def start_server(root: Path, log, warm_start: bool = False) -> tuple[subprocess.Popen, str, float]:
    """`streamlit run app.py` (or `python -m gan_ui`) of the checkout at `root`; returns it, its address and the
    seconds until healthy."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **APP_ENV, "GAN_CLASSROOM_TEST_MODE": ""}
    cmd = [sys.executable, "-m", "gan_ui"] if warm_start else [sys.executable, "-m", "streamlit", "run", "app.py"]
    cmd += ["--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    while time.monotonic() - t0 < 180:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url, time.monotonic() - t0
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy in 180 s")


def one_round(browser, root: Path, idle: float, log_dir: Path, warm_start: bool) -> tuple[float, float, float, float]:
    log_path = log_dir / "first-paint-server.log"
    with open(log_path, "wb") as log:
        proc, url, healthy = start_server(root, log, warm_start)
        one = browser.new_context(viewport=VIEWPORT)
        other = browser.new_context(viewport=VIEWPORT)
        try:
            time.sleep(idle)
            scrub: list[float] = []
            first = time_tab(one, url, until_scrub=scrub)
            second = time_tab(one, url, until_scrub=scrub)
            fresh = time_tab(other, url, until_scrub=scrub)
        except Exception:
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            one.close()
            other.close()
            proc.terminate()
            proc.wait(20)
    return healthy, first, second, fresh, *scrub


NAMES = [
    "server start -> healthy",
    "first tab -> digit + sliders",
    "second tab (same browser) -> digit + sliders",
    "other browser's first tab -> digit + sliders",
    "first tab -> scrub mode's program running in the page",
    "second tab -> scrub mode's program running",
    "other browser -> scrub mode's program running",
]


def summary(rows: list) -> list[str]:
    lines = []
    for name, col in zip(NAMES, zip(*rows)):
        lines.append(f"  - {name}: **{statistics.median(col):.2f} s** ({min(col):.2f}-{max(col):.2f})")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--idle", type=float, default=0.0, help="seconds between healthy and the first tab")
    ap.add_argument("--baseline", type=Path, help="another checkout, run in alternate rounds (the reference)")
    ap.add_argument("--warm-start", action="store_true", help="start this checkout with python -m gan_ui")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    trees = {"this checkout": ROOT}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    rows: dict[str, list] = {name: [] for name in trees}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for r in range(args.rounds):
                for name, root in trees.items():
                    row = one_round(browser, root, args.idle, Path(tmp), args.warm_start and name == "this checkout")
                    rows[name].append(row)
                    print(
                        f"round {r + 1}, {name}: healthy {row[0]:.2f} s, first tab {row[1]:.2f} s,"
                        f" second tab {row[2]:.2f} s, other browser {row[3]:.2f} s (load {os.getloadavg()[0]:.2f});"
                        f" scrub mode's program running at {row[4]:.2f} / {row[5]:.2f} / {row[6]:.2f} s",
                        flush=True,
                    )
        finally:
            browser.close()
    load_after = os.getloadavg()
    cmd = f"python bench/first_paint.py --rounds {args.rounds} --idle {args.idle:g}"
    if args.baseline:
        cmd += " --baseline DIR"
    if args.warm_start:
        cmd += " --warm-start"
    lines = [
        f"- `{cmd}`: a fresh server per round (this checkout: `"
        + ("python -m gan_ui" if args.warm_start else "streamlit run app.py")
        + f"`), headless Chromium, {args.idle:g} s between healthy"
        f" and the first tab; medians (min-max) of {args.rounds} rounds; load average (1 min) {load_before[0]:.2f}"
        f" before, {load_after[0]:.2f} after (2 cores)",
    ]
    for name in trees:
        if len(trees) > 1:
            lines.append(f"  - {name}" + (f" ({trees[name]})" if name == "baseline" else ""))
        lines += [("  " if len(trees) > 1 else "") + line for line in summary(rows[name])]
    print("\n".join(lines))
    if args.record:
        record("First paint (bench/first_paint.py)", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
