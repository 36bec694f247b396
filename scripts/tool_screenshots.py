"""Screenshots of the teaching tools: "Compare runs" on Train and "Look inside" on Explore.

    python scripts/tool_screenshots.py                 # -> docs/screenshots/compare-runs.png, look-inside.png
    GAN_CLASSROOM_DATA=/path/to/mnist python scripts/tool_screenshots.py --steps 400

Starts `streamlit run app.py` (scripts/screenshots.py's helpers), trains two step-budget runs from the UI
that differ in D's learning rate, and shoots the comparison and the look-inside panel as element clips.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import ROOT, app_browser, wait_idle  # noqa: E402


def clip_shot(page, top, bottom, path: Path) -> None:
    """The page from the top of one element to the bottom of another, palette-reduced like the README shots."""
    import io

    from PIL import Image

    a, b = top.bounding_box(), bottom.bounding_box()
    clip = {
        "x": 0,
        "y": max(0, a["y"] - 12),
        "width": page.viewport_size["width"],
        "height": b["y"] + b["height"] - a["y"] + 24,
    }
    img = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
    img = img.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


def train(page, steps: int, lr_d: str | None = None) -> None:
    page.get_by_role("radio", name="Steps", exact=True).click()
    wait_idle(page)
    box = page.locator(".st-key-budget_steps input")  # the budget's box, not a hidden advanced setting's
    box.fill(str(steps))
    box.press("Enter")
    wait_idle(page)
    if lr_d:
        page.locator('[data-testid="stExpander"]', has_text="Advanced settings").locator("summary").click()
        wait_idle(page)
        slider = page.get_by_role("slider", name="Learning rate D")
        slider.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")  # 2e-4 -> 5e-4 -> 1e-3 -> 2e-3
        wait_idle(page)
    done = "text=/Reached the budget of/"
    page.get_by_role("button", name="Start", exact=True).click()
    try:  # the previous run's message goes first, then this run's comes
        page.wait_for_selector(done, state="detached", timeout=30_000)
    except Exception:
        pass
    try:
        page.wait_for_selector(f"text=Reached the budget of {steps} steps.", timeout=900_000)
    except Exception:
        page.screenshot(path=str(ROOT / "artifacts" / "tool-screenshots-failed.png"))
        raise
    wait_idle(page)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--steps", type=int, default=150, help="steps per run")
    args = ap.parse_args(argv)
    out = Path(args.out)
    with app_browser() as (browser, url):
        ctx = browser.new_context(viewport={"width": 1366, "height": 4200})  # the whole page, no scrolling
        page = ctx.new_page()
        page.goto(url + "/train")
        wait_idle(page, '[data-testid="stBaseButton-primary"]')
        train(page, args.steps)
        train(page, args.steps, lr_d="2e-3")
        time.sleep(1.0)
        try:
            wait_idle(page, '[data-testid="stDataFrame"]', timeout=60)
        except Exception:
            page.screenshot(path=str(ROOT / "artifacts" / "tool-screenshots-failed.png"))
            raise
        clip_shot(
            page,
            page.get_by_role("heading", name="Compare runs"),
            page.locator('[data-testid="stDataFrame"]'),
            out / "compare-runs.png",
        )
        page.get_by_role("link", name="Explore").click()
        wait_idle(page, '[data-testid="stSlider"]')
        panel = page.locator('[data-testid="stExpander"]', has_text="Look inside G and D")
        panel.locator("summary").click()
        wait_idle(page, "text=D's verdict on this digit")
        time.sleep(1.0)
        clip_shot(page, panel, panel, out / "look-inside.png")
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
