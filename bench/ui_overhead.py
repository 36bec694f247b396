"""UI overhead: training throughput inside the running app (live charts on screen) vs the headless Trainer.

The app: `streamlit run app.py` in a subprocess (the helpers of tests/e2e_support.py, test mode off,
so runs snapshot every 10 steps as students' runs do), Debian's Chromium through Playwright on the
Train page. A run of the preset with a time budget (one of the page's budgets: 15, 30, 60 or 120 s)
is started with the Start button and left on screen: its fragment redraws the metrics, the charts
and the sample grid every second while it trains. Everything the app does around a run counts,
including any monitor the Train page attaches to it (the live sample-quality measurements;
bench/quality_overhead.py isolates that part). Its throughput comes from the
page's own end-of-run message, "Reached the time budget of S s (N steps)": N x batch x d_steps / S.
The "Images / s" metric shown live is sampled every PROBE_SECONDS (2 s): the probe's own queries run
in the page's renderer, on the same cores as the trainer, and a student's browser does not run them.

Headless: gan_core.Trainer in this process with the identical config (the preset, the same budget
and snapshot_every, the same data source, device and torch thread count), throughput computed the
same way. Each side first does an unmeasured 10-step run (--no-warmup skips it), so first-use
costs stay out of the figures. App and headless runs alternate (app first in odd rounds, headless first in even ones) on
one server and one browser page. The browser runs on the same machine, so its rendering competes for
the same cores: on a small machine that is part of the overhead measured.

    python bench/ui_overhead.py [--seconds 30] [--rounds 2] [--preset dcgan] [--threads N] [--device cpu]
                                [--data-dir DIR] [--record]
    python bench/ui_overhead.py --test-mode --seconds 2 --rounds 1      # smoke: the app's test mode (2 s budget)

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import ROOT, environment, record
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from gan_core import DEFAULT_PRESET, PRESETS, Trainer, load_dataset, resolve_device
from gan_ui import settings

DONE_RE = re.compile(r"Reached the time budget of ([\d.]+) s \(([\d,]+) steps\)")
WARMUP_STEPS = 10  # the smallest step budget the Train page accepts outside test mode
BADGES_JS = """() => Array.from(document.querySelectorAll('.stMarkdownBadge'), b => Array.from(b.childNodes)
                       .filter(n => !(n.getAttribute && n.getAttribute('role') === 'img'))
                       .map(n => n.textContent).join('').trim())"""
CHART_POINTS_JS = """() => { const el = document.querySelector('.gan-live-plot');   // the loss chart, drawn first
                            return el && el.calcdata && el.calcdata.length ? el.calcdata[0].length : 0; }"""
PROBE_SECONDS = 2.0  # how often the benchmark reads the page: its queries run in the same renderer


def app_config(preset: str, seconds: float, test_mode: bool):
    """What gan_ui.controls.config_from_values builds for an untouched preset and a time budget."""
    snapshot_every = settings.TEST_SNAPSHOT_EVERY if test_mode else settings.SNAPSHOT_EVERY
    return (
        PRESETS[preset]
        .config()
        .replace(max_seconds=seconds, max_steps=0, snapshot_every=snapshot_every, preset=preset)
        .validate()
    )


def headless_images_per_s(cfg, data, device) -> tuple[float, int]:
    t = Trainer(cfg, data, device).run()
    if t.status != "finished":
        print(f"  headless run ended with status {t.status}: {t.message}")
    return t.step * cfg.batch_size * cfg.d_steps / cfg.max_seconds, t.step


def metric(page, label: str) -> str | None:
    loc = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    if loc.count() == 0:
        return None
    return loc.first.locator('[data-testid="stMetricValue"]').inner_text()


def number(text: str | None) -> float | None:
    try:
        return float((text or "").replace(",", "").split()[0])
    except (ValueError, IndexError):
        return None


class AppSession:
    """One server, one browser page on Train; start runs and read what the page says about them."""

    def __init__(self, args):
        sys.path.insert(0, str(ROOT / "tests"))
        from e2e_support import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, wait_idle
        from playwright.sync_api import sync_playwright

        self.wait_idle = wait_idle
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"Chromium not found at {CHROMIUM} (set GAN_CLASSROOM_CHROMIUM)")
        env = {
            settings.TEST_MODE_ENV: "1" if args.test_mode else "0",
            settings.THREADS_ENV: str(args.threads),
            settings.DEVICE_ENV: args.device,
        }
        if args.data_dir:
            env["GAN_CLASSROOM_DATA"] = str(Path(args.data_dir).resolve())
        self.log_path = Path(tempfile.mkdtemp(prefix="gan-bench-")) / "ui-overhead-server.log"
        self.server = StreamlitServer(self.log_path, env=env).start()
        self._pw = sync_playwright().start()
        try:
            self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            self.page = self.browser.new_page(viewport={"width": 1366, "height": 900})
            self.page.goto(self.server.url + "/train")
            wait_idle(self.page, '[data-testid="stBaseButton-primary"]', timeout=120)
            if args.preset != DEFAULT_PRESET:
                self.page.get_by_role("combobox", name="Preset").click()
                self.page.get_by_role("option", name=args.preset, exact=True).click()
                wait_idle(self.page)
            if args.warmup:
                self.warm_up()
            self.page.get_by_role("radio", name=f"{args.seconds:g} s", exact=True).click()
            wait_idle(self.page)
            self.data_text = self.page.get_by_text(re.compile(r"^Trains on ")).first.inner_text()
        except BaseException:
            self.close()
            raise

    def warm_up(self, steps: int = WARMUP_STEPS) -> None:
        """A few unmeasured steps: first-use costs (kernel selection, lazy imports) stay out of the figures."""
        page = self.page
        page.get_by_role("radio", name="Steps", exact=True).click()
        self.wait_idle(page)
        box = page.locator('.st-key-budget_steps input')  # the budget's box, not an advanced setting's
        box.fill(str(steps))
        box.press("Enter")
        self.wait_idle(page)
        page.get_by_role("button", name="Start", exact=True).first.click()
        page.wait_for_selector(f"text=Reached the budget of {steps} steps.", timeout=300_000)
        self.wait_idle(page, timeout=120)

    def run(self, seconds: float, preset: str) -> dict:
        page = self.page
        self.wait_idle(page, timeout=120)  # no half-redrawn page with a stale second Start button
        page.get_by_role("button", name="Start", exact=True).first.click()
        page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
        gone = time.monotonic() + 60  # the previous run's end-of-run message must go first
        while page.get_by_text(DONE_RE).count() and time.monotonic() < gone:
            time.sleep(0.2)
        ips_live, steps_seen, points = [], set(), 0
        deadline = time.monotonic() + seconds + 180
        done = None
        while time.monotonic() < deadline:
            msg = page.get_by_text(DONE_RE)
            if msg.count():
                try:  # the page may redraw the message between count() and reading it
                    done = DONE_RE.search(msg.first.inner_text(timeout=5_000))
                except PlaywrightTimeout:
                    continue
                if done:
                    break
            ips = number(metric(page, "Images / s"))
            if ips:
                ips_live.append(ips)
            step = number(metric(page, "Step"))
            if step is not None:
                steps_seen.add(step)
            points = max(points, page.evaluate(CHART_POINTS_JS) or 0)
            time.sleep(PROBE_SECONDS)
        if done is None:
            raise RuntimeError(f"the app's run did not report the end of its budget; server log: {self.log_path}")
        # The run's badges: its status, device and preset ("<name>-custom" once a setting differs from the preset).
        same_config = preset in page.evaluate(BADGES_JS)
        self.wait_idle(page, timeout=120)
        time.sleep(1.0)  # let the browser finish drawing before the next phase
        return {
            "budget": float(done.group(1)),
            "steps": int(done.group(2).replace(",", "")),
            "ips_live": ips_live,
            "refreshes": len(steps_seen),
            "chart_points": points,
            "same_config": same_config,
        }

    def close(self) -> None:
        for fn in (lambda: self.browser.close(), lambda: self._pw.stop(), lambda: self.server.stop()):
            try:
                fn()
            except Exception:
                pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--seconds", type=float, default=30.0, help="the run's time budget: 15, 30, 60 or 120 (2 in --test-mode)"
    )
    ap.add_argument("--rounds", type=int, default=2, help="alternating app/headless rounds")
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument(
        "--threads",
        type=int,
        default=settings.torch_threads(),
        help="torch threads in the app server and here (default: the app's own choice)",
    )
    ap.add_argument("--device", default=settings.train_device(), help="training device in both (default: the app's)")
    ap.add_argument("--data-dir", default=None, help="folder with MNIST IDX files, given to both")
    ap.add_argument(
        "--warmup",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"an unmeasured {WARMUP_STEPS}-step run in the app and headless first (default: yes)",
    )
    ap.add_argument("--test-mode", action="store_true", help="run the app in its test mode (smoke runs: 2 s budget)")
    ap.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = ap.parse_args()
    budgets = {label: s for label, (s, steps) in _budgets(args.test_mode).items() if steps == 0}
    if f"{args.seconds:g} s" not in budgets:
        ap.error(f"--seconds must be one of the app's time budgets: {', '.join(budgets)}")
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data = load_dataset("mnist", data_dir=args.data_dir, download=False)  # the app server runs offline too
    cfg = app_config(args.preset, args.seconds, args.test_mode)
    env = environment(device)
    print(
        f"preset `{args.preset}` ({cfg.arch}, batch {cfg.batch_size}, d_steps {cfg.d_steps}, snapshot every "
        f"{cfg.snapshot_every} steps), budget {args.seconds:g} s, device {env['device']}, {args.threads} threads"
    )
    print(f"headless data: {data.describe()}")
    if args.warmup:
        Trainer(cfg.replace(max_seconds=0.0, max_steps=WARMUP_STEPS), data, device).run()
    app = AppSession(args)
    print(f"app page: {app.data_text}")
    ours_app, ours_head = [], []
    try:
        for r in range(args.rounds):
            order = ("app", "headless") if r % 2 == 0 else ("headless", "app")
            res = {}
            for which in order:
                if which == "app":
                    res["app"] = app.run(args.seconds, args.preset)
                else:
                    res["headless"] = headless_images_per_s(cfg, data, device)
            a = res["app"]
            app_ips = a["steps"] * cfg.batch_size * cfg.d_steps / a["budget"]
            head_ips, head_steps = res["headless"]
            ours_app.append(app_ips)
            ours_head.append(head_ips)
            live = statistics.median(a["ips_live"]) if a["ips_live"] else float("nan")
            print(
                f"round {r + 1} ({' then '.join(order)}): app {app_ips:7.0f} img/s ({a['steps']} steps; live metric "
                f"median {live:.0f}, {a['refreshes']} refreshes seen, {a['chart_points']} chart points)   "
                f"headless {head_ips:7.0f} img/s ({head_steps} steps)   app/headless {app_ips / head_ips:.2f}",
                flush=True,
            )
            if not a["same_config"]:
                print(
                    f"  warning: the app's run is not labelled `{args.preset}`: its config may differ from the "
                    "headless one"
                )
    finally:
        app.close()
    ratio = statistics.median(x / y for x, y in zip(ours_app, ours_head))
    summary = (
        f"preset `{args.preset}` ({cfg.arch}, batch {cfg.batch_size}), {args.seconds:g} s runs, {args.threads} "
        f"threads: in the app with live charts {statistics.median(ours_app):.0f} img/s vs headless Trainer "
        f"{statistics.median(ours_head):.0f} img/s, median app/headless **{ratio:.2f}x** ({args.rounds} "
        f"alternating rounds; Chromium on the same machine)"
    )
    print(summary)
    if args.record:
        record("UI overhead (bench/ui_overhead.py)", env, [f"- {summary}"])


def _budgets(test_mode: bool) -> dict:
    """The app's budget options (label -> (seconds, steps)) in the chosen mode."""
    import os

    old = os.environ.get(settings.TEST_MODE_ENV)
    os.environ[settings.TEST_MODE_ENV] = "1" if test_mode else "0"
    try:
        return settings.budgets()
    finally:
        if old is None:
            os.environ.pop(settings.TEST_MODE_ENV)
        else:
            os.environ[settings.TEST_MODE_ENV] = old


if __name__ == "__main__":
    main()
