"""A step click as a student feels it: Chromium clicks a step button and waits for the page to show the result.

Starts `streamlit run app.py` (test mode, offline) and Debian's headless Chromium. On the Playground it clicks
One D step / One G step / One iteration and times, in the page, from the click until the view component has the
step's frames (its data-seq changes) and the run the click started has ended (the app's script state is back
to notRunning). On the Train page it starts a run, pauses it, and times each step button the same way, until
the step's result is drawn. Everything the click costs is in the figure: the server's rerun (a fragment's, or
the page's), the step itself, encoding, the websocket and the browser's render; on a machine other people use.

    python bench/step_click.py [--repeats 10] [--pages playground,train] [--record]

Called by `python bench/step_latency.py --browser`. Prints figures; never fails on a timing. Target: <= 300 ms.
"""

from __future__ import annotations

import os
import statistics
import sys

from browser import chromium
from common import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from e2e_support import ARTIFACTS, StreamlitServer, wait_for, wait_idle  # noqa: E402
from test_e2e import click_button, start_run, step_count  # noqa: E402

# Click the button, then poll every 5 ms until `done` holds after the click's run has been seen running and ended.
CLICK = """async ([selector, done]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const button = document.querySelector(selector);
  const check = new Function('return (' + done + ')();');
  const t0 = performance.now();
  button.click();
  let running = false;
  return await new Promise((resolve) => {
    const poll = () => {
      const state = app.getAttribute('data-test-script-state');
      if (state === 'running') running = true;
      const now = performance.now();
      if (running && state === 'notRunning' && check()) return resolve(now - t0);
      if (now - t0 > 30000) return resolve(-1);
      setTimeout(poll, 5);
    };
    poll();
  });
}"""
PG_SEQ = "() => Number(document.querySelector('.toy-view').dataset.seq || 0)"
PG_BUTTONS = {"D step": "pg_d_step", "G step": "pg_g_step", "iteration": "pg_iteration"}
TRAIN_BUTTONS = {"D step": "btn_step_d", "G step": "btn_step_g", "iteration": "btn_step_both"}


def _time(page, key: str, done, repeats: int) -> list[float]:
    """Milliseconds per click of the button with this key; done() gives the JS condition for "shown"."""
    times = []
    for i in range(repeats + 1):  # the first click warms up
        wait_idle(page)
        ms = page.evaluate(CLICK, [f".st-key-{key} button", done()])
        if i and ms >= 0:
            times.append(ms)
    return times


def _cell(times: list[float]) -> str:
    if not times:
        return "no result"
    return f"{statistics.median(times):.0f} [{min(times):.0f}-{max(times):.0f}]"


def playground(browser, url: str, repeats: int) -> list[str]:
    page = browser.new_page(viewport={"width": 1366, "height": 1000})
    page.goto(url + "/playground")
    wait_idle(page, ".toy-view canvas", timeout=120)

    def done() -> str:  # the view has a newer burst than now
        return f"() => Number(document.querySelector('.toy-view').dataset.seq || 0) > {page.evaluate(PG_SEQ)}"

    cells = [_cell(_time(page, key, done, repeats)) for key in PG_BUTTONS.values()]
    page.close()
    return cells


def train(browser, url: str, repeats: int) -> list[str]:
    page = browser.new_page(viewport={"width": 1366, "height": 1000})
    page.goto(url + "/train")
    wait_idle(page, '[data-testid="stBaseButton-primary"]', timeout=120)
    start_run(page, "Steps", 100_000)
    wait_for(lambda: step_count(page) > 0, 120, what="the first steps")
    click_button(page, "Pause")
    page.wait_for_selector("text=Step mode", timeout=60_000)

    def done() -> str:
        return "() => document.querySelector('.st-key-step_mode') !== null"

    cells = [_cell(_time(page, key, done, repeats)) for key in TRAIN_BUTTONS.values()]
    click_button(page, "Stop")
    page.close()
    return cells


def measure(repeats: int, pages: list[str]) -> list[str]:
    lines = [
        f"Milliseconds from a step click in headless Chromium to the result on the page (the click's rerun ended "
        f"and, on the Playground, the view has the step's frames), median [min-max] of {repeats}; server on the "
        f"same machine; load average {os.getloadavg()[0]:.2f} at the start.",
        "",
        "| page | D step | G step | full iteration |",
        "|---|---|---|---|",
    ]
    with chromium(StreamlitServer(ARTIFACTS / "step_click-server.log")) as (browser, url):
        for name in pages:
            cells = (playground if name == "playground" else train)(browser, url, repeats)
            line = f"| {name} | " + " | ".join(cells) + " |"
            print(line, flush=True)
            lines.append(line)
    lines.append(f"\nLoad average at the end: {os.getloadavg()[0]:.2f} (2 cores, shared).")
    return lines
