"""Step mode on digits: how long a step click takes to produce its result, on CPU.

What a click costs on the server: `gan_core.stepping.step` (D's look at 64 real digits and 64 fixed
fakes, the update itself — the same phase of train_step as training — and the look again) plus drawing
its result (`gan_ui.step_view`: the before/after chart, the PNG grids and the heat-map). Timed for the
default preset and for the MLP, for each kind of step, median and spread over --repeats. Not included:
Streamlit's rerun and the browser's paint (the page's usual rerun, the same for any button).

    python bench/step_latency.py [--repeats 15] [--threads N] [--record]
    python bench/step_latency.py --browser [--repeats 10] [--record]
    python bench/step_latency.py --ab [--repeats 6] [--threads 1]

--ab alternates, in one process and on one trainer (default preset), clicks as they were before looks were
saved (`two_looks`: a full look before and after the update) and clicks as `gan_core.stepping.step` makes them
now (the last click's look reused; after a D step only D looks again, after a G step D's real verdict kept), three
clicks of a kind in a row, the last two timed; prints wall and CPU milliseconds (process time: less sensitive to a
busy machine).

--browser times the whole click instead, as a student feels it, on the Train page and the Playground, in
headless Chromium against `streamlit run app.py` (bench/step_click.py): the rerun, the step, the browser.

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md. Target: <= 300 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import step_click
import torch
from common import environment, record

from gan_core import Trainer, preset_config
from gan_core.config import DEFAULT_PRESET
from gan_core.data import load_dataset
from gan_core.stepping import _look, _real_probe, step, update
from gan_ui.images import grid_png
from gan_ui.step_view import SHOWN, _u8, heat_png, scores_chart


def draw(res) -> None:
    """What step_view builds for one result (the Streamlit calls themselves only ship these bytes)."""
    scores_chart(res).to_json()
    grid_png(_u8(res.images_before[:SHOWN]), ncol=8, scale=2)
    grid_png(_u8(res.images_after[:SHOWN]), ncol=8, scale=2)
    heat_png(res.change[:SHOWN], ncol=8, scale=2)


def two_looks(trainer, kind: str) -> None:
    """A click as it was before looks were saved: a full look, the update, a full look (the baseline of --ab)."""
    real, real_y = _real_probe(trainer)
    _look(trainer, real, real_y)
    update(trainer, kind)
    _look(trainer, real, real_y)


def ab(repeats: int) -> None:
    t = Trainer(preset_config(DEFAULT_PRESET, max_steps=10), load_dataset("mnist"), device="cpu")
    print(f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.2f} at the start")
    ways = {"two full looks": two_looks, "saved looks (now)": step}
    times = {(w, k): ([], []) for w in ways for k in ("d", "g", "both")}
    for _ in range(repeats):
        for kind in ("d", "g", "both"):
            for way, fn in ways.items():
                fn(t, kind)  # the first click of a run of clicks: nothing saved yet
                for _ in range(2):
                    w0, c0 = time.perf_counter(), time.process_time()
                    fn(t, kind)
                    times[(way, kind)][0].append((time.perf_counter() - w0) * 1000)
                    times[(way, kind)][1].append((time.process_time() - c0) * 1000)
    print("| way | D step wall / CPU ms | G step | full iteration |\n|---|---|---|---|")
    for way in ways:
        cells = [
            f"{statistics.median(times[(way, k)][0]):.0f} / {statistics.median(times[(way, k)][1]):.0f}"
            for k in ("d", "g", "both")
        ]
        print(f"| {way} | " + " | ".join(cells) + " |")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--browser", action="store_true", help="time whole clicks in Chromium (bench/step_click.py)")
    ap.add_argument("--pages", default="playground,train", help="with --browser")
    ap.add_argument("--ab", action="store_true", help="saved looks vs two full looks a click, alternating")
    args = ap.parse_args()
    if args.ab:
        torch.set_num_threads(args.threads)
        ab(args.repeats)
        return
    if args.browser:
        lines = step_click.measure(args.repeats, args.pages.split(","))
        if args.record:
            record(
                "Step click in the browser (bench/step_latency.py --browser)", environment(torch.device("cpu")), lines
            )
        return
    torch.set_num_threads(args.threads)
    data = load_dataset("mnist")
    lines = [
        f"Milliseconds per step click (step + drawing its result), median [min-max] of {args.repeats}; "
        f"torch threads = {args.threads}; load average {os.getloadavg()[0]:.2f} at the start.",
        "",
        "| preset | D step | G step | full iteration |",
        "|---|---|---|---|",
    ]
    for preset in (DEFAULT_PRESET, "mlp"):
        t = Trainer(preset_config(preset, max_steps=10), data, device="cpu")
        cells = []
        for kind in ("d", "g", "both"):
            draw(step(t, kind))  # warm-up
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                draw(step(t, kind))
                times.append((time.perf_counter() - t0) * 1000)
            cells.append(f"{statistics.median(times):.0f} [{min(times):.0f}-{max(times):.0f}]")
        line = f"| {preset} | " + " | ".join(cells) + " |"
        print(line, flush=True)
        lines.append(line)
    lines.append(f"\nLoad average at the end: {os.getloadavg()[0]:.2f} (2 cores, shared by 5 engineers).")
    if args.record:
        record("Step mode on digits (bench/step_latency.py)", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
