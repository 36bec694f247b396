"""The Playground's frame rate in Chromium while it trains: frames the canvas draws per second.

Starts `streamlit run tests/playground_app.py` (the page alone) or, with --app, the whole app (`streamlit run
app.py`, test mode, offline: its sidebar, navigation and session state around the page) at /playground, and
Debian's headless Chromium, picks a preset, presses Train and counts the frames the view component draws
(its `data-frames` counter) for --seconds, at each speed. The server sends a burst of frames once a
second; the component plays them at the burst's pace and tweens between frames in slow motion. Headless
Chromium paces animation frames at 60 Hz: 60 frames/s is the ceiling. With --screenshot, saves
docs/screenshots/playground.png mid-training (with --app: artifacts/playground-app.png, to look at).

    python bench/playground_fps.py [--seconds 8] [--preset ring] [--app] [--screenshot] [--record]

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch
from browser import chromium
from common import ROOT, environment, record

sys.path.insert(0, str(ROOT / "tests"))
from e2e_support import ARTIFACTS, ROOT, StreamlitServer, wait_idle  # noqa: E402

COUNT = (
    "() => [Number(document.querySelector('.toy-view').dataset.frames || 0), "
    "Number(document.querySelector('.toy-view').dataset.iteration || 0), "
    "Number(document.querySelector('.toy-view').dataset.seq || 0)]"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--preset", default="ring")
    ap.add_argument("--speeds", default="slow motion,slow,normal,fast")
    ap.add_argument("--screenshot", action="store_true")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--app", action="store_true", help="measure the Playground inside the whole app (app.py)")
    args = ap.parse_args()
    where = "the whole app (app.py, /playground)" if args.app else "the page alone (tests/playground_app.py)"
    script = None if args.app else ROOT / "tests" / "playground_app.py"  # None: app.py
    lines = [
        f"Preset {args.preset}; {where}; frames drawn by the canvas over {args.seconds:g} s of training, per speed "
        "(iterations per 1-s burst); headless Chromium (60 Hz ceiling), server on the same machine.",
        "",
        "| speed | frames/s drawn | bursts/s received | iterations/s trained | load average (1 min) |",
        "|---|---|---|---|---|",
    ]
    with chromium(StreamlitServer(ARTIFACTS / "playground_fps-server.log", script=script)) as (browser, url):
        page = browser.new_page(viewport={"width": 1280, "height": 1350})
        page.goto(url + "/playground" if args.app else url)
        wait_idle(page, ".toy-view canvas", timeout=120)
        main_area = page.locator('[data-testid="stMain"]')  # the app's sidebar has buttons of its own
        for speed in args.speeds.split(","):
            slider = main_area.get_by_role("slider", name="Speed")
            slider.focus()
            page.keyboard.press("Home")
            for _ in range(["slow motion", "slow", "normal", "fast"].index(speed)):
                page.keyboard.press("ArrowRight")
            wait_idle(page)
            main_area.get_by_role("button", name="Train", exact=True).click()
            time.sleep(2.5)  # the first burst is on its way
            f0, i0, s0 = page.evaluate(COUNT)
            t0 = time.monotonic()
            time.sleep(args.seconds)
            f1, i1, s1 = page.evaluate(COUNT)
            dt = time.monotonic() - t0
            load = os.getloadavg()[0]  # the machine is shared: a figure means little without it
            line = f"| {speed} | {(f1 - f0) / dt:.1f} | {(s1 - s0) / dt:.2f} | {(i1 - i0) / dt:.0f} | {load:.1f} |"
            print(line, flush=True)
            lines.append(line)
            main_area.get_by_role("button", name="Pause", exact=True).click()
            wait_idle(page)
            if args.screenshot and speed == "fast":  # paused after fast: the ring forming, the page idle
                page.wait_for_timeout(1500)  # the last burst's playback ends
                name = "playground-app.png" if args.app else "playground.png"
                out = (ARTIFACTS if args.app else ROOT / "docs" / "screenshots") / name
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=True)
                print("saved", out)
    if args.record:
        record("Playground frame rate (bench/playground_fps.py)", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
