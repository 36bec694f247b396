"""Later tabs, A/B: how long a student's tab waits for the first digit on a server that is already warm.

Starts this checkout and `--baseline DIR` (another checkout, e.g. `git worktree add /tmp/base main`) side by
side, each with `streamlit run app.py` (bench/first_paint.py's settings), opens one tab on each and waits until
each server's warm-up has ended (its log says "every page loaded") and it has been quiet a moment. Then it
alternates: a new tab on this checkout, a new tab on the baseline, `--tabs` times, each timed from `goto` to the
Explore page's digit and sliders on screen (first_paint.READY_JS). Half of the tabs are new tabs of one browser
context (scripts cached, as a student's second tab), half new contexts (another student, nothing cached).

The two are measured in turns under the same load, so their ratio survives a busy machine better than either
figure does; still report the load average printed with them.

    python bench/later_tabs.py --baseline DIR [--tabs 10]
    python bench/later_tabs.py --baseline bench/bare_page   # against the floor: a bare Streamlit page

Prints figures; never fails on a timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import first_paint as fp
from common import ROOT


def wait_warm(log_path: Path, root: Path, timeout: float = 180.0) -> None:
    if not (root / "gan_ui" / "warmup.py").exists():  # a checkout without a warm-up (bench/bare_page)
        time.sleep(3.0)
        return
    deadline = time.monotonic() + timeout
    while "warm-up: every page loaded" not in log_path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            print(f"{log_path}: no end of the warm-up in {timeout:.0f} s; timing anyway", file=sys.stderr)
            return
        time.sleep(0.2)
    time.sleep(3.0)  # past the warm-up's last gc.collect()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", type=Path, required=True, help="another checkout (the reference)")
    ap.add_argument("--tabs", type=int, default=10, help="tabs timed on each server")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    trees = {"this checkout": ROOT, "baseline": args.baseline.resolve()}
    times: dict[str, list[float]] = {name: [] for name in trees}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=fp.CHROMIUM, args=fp.CHROMIUM_ARGS)
        servers, contexts = {}, {}
        try:
            for name, root in trees.items():
                log_path = Path(tmp) / f"{name.replace(' ', '-')}.log"
                log = open(log_path, "wb")  # noqa: SIM115 - open while the server runs
                proc, url, _ = fp.start_server(root, log)
                servers[name] = (proc, url, log, log_path)
                contexts[name] = browser.new_context(viewport=fp.VIEWPORT)
                fp.time_tab(contexts[name], url)  # the first tab: not counted
            for name in trees:
                wait_warm(servers[name][3], trees[name])
            for k in range(args.tabs):
                for name in trees:
                    url = servers[name][1]
                    if k % 2:
                        ctx = browser.new_context(viewport=fp.VIEWPORT)
                        times[name].append(fp.time_tab(ctx, url))
                        ctx.close()
                    else:
                        times[name].append(fp.time_tab(contexts[name], url))
                        contexts[name].pages[-1].close()  # the first tab stays open; timed ones do not pile up
                print(
                    f"tab {k + 1}: "
                    + ", ".join(f"{name} {times[name][-1]:.2f} s" for name in trees)
                    + f" (load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
        finally:
            for ctx in contexts.values():
                ctx.close()
            browser.close()
            for proc, _, log, _ in servers.values():
                proc.terminate()
                proc.wait(20)
                log.close()
    load_after = os.getloadavg()
    ratios = [a / b for a, b in zip(times["this checkout"], times["baseline"])]
    print(
        f"- `python bench/later_tabs.py --tabs {args.tabs} --baseline DIR`: later tabs on warm servers, alternating;"
        f" load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after (2 cores)"
    )
    for name in trees:
        col = times[name]
        same, other = col[0::2], col[1::2]  # even k: a new tab of the open browser; odd k: a new browser
        print(
            f"  - {name}: median **{statistics.median(col):.2f} s** ({min(col):.2f}-{max(col):.2f}); a new tab of the"
            f" same browser {statistics.median(same):.2f} s ({min(same):.2f}-{max(same):.2f}), a new browser"
            + (f" {statistics.median(other):.2f} s ({min(other):.2f}-{max(other):.2f})" if other else " -")
        )
    print(f"  - this checkout / baseline, tab by tab: median **{statistics.median(ratios):.2f}**")


if __name__ == "__main__":
    main()
