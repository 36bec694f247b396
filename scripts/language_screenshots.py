"""Take the README's screenshots of both languages: the Train page after a finished run, in 简体中文 and in English,
and Explore in 简体中文.

    python scripts/language_screenshots.py          # -> docs/screenshots/lang-*.png
    python scripts/language_screenshots.py --budget "30 s"

Starts `streamlit run app.py` and headless Chromium (scripts/screenshots.py's helpers), opens each page with
?lang=zh-CN or ?lang=en, trains a real run from the page's own Start button and shoots once it has ended.
Open the PNGs and look for tofu boxes (a missing CJK font) and English left on the Chinese pages.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import ROOT, app_browser, save, wait_idle  # noqa: E402  (a sibling script, not a package)

START = {"zh-CN": "开始", "en": "Start"}


def train_after_a_run(browser, url: str, lang: str, budget: str, out: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(f"{url}/train?lang={lang}")
        wait_idle(page, '[data-testid="stMain"]')
        page.get_by_role("radio", name=budget, exact=True).click()
        wait_idle(page)
        page.get_by_role("button", name=START[lang], exact=True).click()
        page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
        start = page.get_by_role("button", name=START[lang], exact=True)
        deadline = time.monotonic() + 600
        while not start.is_enabled() and time.monotonic() < deadline:  # enabled again: the run has ended
            time.sleep(0.5)
        time.sleep(2.0)  # the page reruns once more when the run ends
        wait_idle(page)
        time.sleep(2.0)
        save(page, out / f"lang-train-{lang}-1366x900.png")
    finally:
        ctx.close()


def explore(browser, url: str, lang: str, out: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = ctx.new_page()
        page.goto(f"{url}/?lang={lang}")
        wait_idle(page, '[data-testid="stSlider"]')
        time.sleep(1.0)
        save(page, out / f"lang-explore-{lang}-1366x768.png")
    finally:
        ctx.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument(
        "--budget", default="15 s", help='a time budget button ("15 s", "30 s"): the same in both languages'
    )
    args = ap.parse_args(argv)
    out = Path(args.out)
    with app_browser() as (browser, url):
        explore(browser, url, "zh-CN", out)
        for lang in ("zh-CN", "en"):
            train_after_a_run(browser, url, lang, args.budget, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
