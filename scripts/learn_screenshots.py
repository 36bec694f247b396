"""Screenshots of the Learn page: a lesson mid-run with the coach's alert beside the charts, and the
same lesson in projector mode (a teacher link).

    python scripts/learn_screenshots.py             # -> docs/screenshots/learn-*.png

Reuses scripts/screenshots.py's server, idle wait and palette-reduced PNG writer.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import ROOT, app_browser, save, step_count, wait_idle  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--lesson", default="4")
    ap.add_argument("--steps", type=int, default=40, help="shoot once the lesson's run has this many steps")
    ap.add_argument("--max-wait", type=float, default=300)
    args = ap.parse_args(argv)
    out = Path(args.out)

    with app_browser() as (browser, url):
        for name, query in (
            ("learn", f"?lesson={args.lesson}"),
            ("learn-projector", f"?lesson={args.lesson}&projector=1&lock=lr,loss"),
        ):
            ctx = browser.new_context(viewport={"width": 1366, "height": 900})
            page = ctx.new_page()
            page.goto(url + "/learn" + query)
            wait_idle(page, '[data-testid="stBaseButton-primary"]')
            page.get_by_text("Sink toward 0 and stay there", exact=False).first.click()
            wait_idle(page)
            page.locator('[data-testid="stBaseButton-primary"]').filter(has_text="faster").first.click()
            page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
            t0 = time.monotonic()
            while time.monotonic() - t0 < args.max_wait and step_count(page) < args.steps:
                time.sleep(1.0)
            print(f"{name}: run at step {step_count(page)} after {time.monotonic() - t0:.0f} s")
            time.sleep(2.0)
            page.get_by_text("Run 1:", exact=False).first.evaluate("e => e.scrollIntoView({block: 'start'})")
            time.sleep(1.0)
            save(page, out / f"{name}-1366x900.png")
            if name == "learn":  # the same lesson from its top: idea, math, prediction
                page.get_by_role("heading", name="Predict").first.evaluate("e => e.scrollIntoView({block: 'center'})")
                time.sleep(1.0)
                save(page, out / "learn-lesson-1366x900.png")
            page.get_by_role("button", name="Stop", exact=True).first.click()
            ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
