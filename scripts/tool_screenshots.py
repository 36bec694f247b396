"""Screenshots of the teaching tools: "Compare runs" on Train, "Look inside" on Explore, and the latent lab's
Directions and Your digit tabs.

    python scripts/tool_screenshots.py                 # -> docs/screenshots/compare-runs.png, look-inside.png,
                                                       #    lab-directions-1366.png, lab-your-digit-1366.png
    python scripts/tool_screenshots.py --only lab      # the two lab shots alone (no training: a minute)
    GAN_CLASSROOM_DATA=/path/to/mnist python scripts/tool_screenshots.py --steps 400

Starts `streamlit run app.py` (scripts/screenshots.py's helpers), trains two step-budget runs from the UI
that differ in D's learning rate, and shoots the comparison and the look-inside panel as element clips. The lab
shots use the default generator: the Directions tab with one direction moved, and Your digit with a 7 drawn by
the mouse, scored by D and found in z.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import ROOT, SCRUB_READY, app_browser, wait_idle  # noqa: E402

CANVAS = "canvas.upper-canvas"  # the drawing canvas's (fabric.js) mouse layer
SEVEN = [(70, 60), (210, 60), (150, 150), (110, 240)]  # a "7" in the canvas's 280 x 280 pixels


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


def train(page, steps: int, faster_d: bool = False) -> None:
    """One run of `steps` steps from the Train page; `faster_d`: D's learning rate three notches up the slider
    (the default preset's 1e-3 to 1e-2), the contrast the comparison shows."""
    page.get_by_role("radio", name="Steps", exact=True).click()
    wait_idle(page)
    box = page.locator(".st-key-budget_steps input")  # the budget's box, not a hidden advanced setting's
    box.fill(str(steps))
    box.press("Enter")
    wait_idle(page)
    if faster_d:
        page.locator('[data-testid="stExpander"]', has_text="Advanced settings").locator("summary").click()
        wait_idle(page)
        slider = page.get_by_role("slider", name="Learning rate D")
        slider.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")  # 1e-3 -> 2e-3 -> 5e-3 -> 1e-2
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


def draw(page, points) -> None:
    """Press, drag through the points in small steps (as a hand would), release."""
    box = page.locator(CANVAS).first.bounding_box()
    s = box["width"] / 280
    page.mouse.move(box["x"] + points[0][0] * s, box["y"] + points[0][1] * s)
    page.mouse.down()
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        for t in range(1, 13):
            page.mouse.move(box["x"] + (xa + (xb - xa) * t / 12) * s, box["y"] + (ya + (yb - ya) * t / 12) * s)
    page.mouse.up()


IMAGES_LOADED = """() => [...document.querySelectorAll('[data-testid="stImage"] img')]
    .every(img => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().height > 0)"""


def lab_shots(browser, url: str, out: Path) -> None:
    """Explore's Directions tab (PC2 moved a few steps) and Your digit (a 7 drawn, scored, found)."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 3000})
    page = ctx.new_page()
    page.goto(url)
    wait_idle(page, SCRUB_READY)
    tabs = page.get_by_role("tablist").first
    page.get_by_role("tab", name="Directions").click()
    pc2 = '[data-testid="stSlider"]:has-text("PC2")'
    wait_idle(page, pc2)
    thumb = page.locator(pc2).locator('input[type="range"]').first
    thumb.focus()
    for _ in range(6):  # one press at a time: each moves z and reruns the page
        page.keyboard.press("ArrowRight")
        wait_idle(page)
    titles = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="of the variance · pixel change")
    titles.first.wait_for(timeout=60_000)
    page.wait_for_function(IMAGES_LOADED, timeout=60_000)  # the strips' heights set where the clip ends
    time.sleep(1.0)
    # Down to the third row of strips' titles (the columns hold PC1, PC3, ... and PC2, PC4, ...: sort by height)
    third_row = sorted(titles.all(), key=lambda t: t.bounding_box()["y"])[4]
    clip_shot(page, tabs, third_row, out / "lab-directions-1366.png")

    page.get_by_role("tab", name="Your digit").click()
    wait_idle(page, CANVAS)
    draw(page, SEVEN)
    page.wait_for_selector('[data-testid="stMetric"]:has-text("Your digit")', timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="Find my digit").click()
    page.wait_for_selector('[data-testid="stMetric"]:has-text("Pixel error")', timeout=120_000)
    wait_idle(page)
    page.wait_for_function(IMAGES_LOADED, timeout=60_000)
    time.sleep(1.0)
    found = page.locator('[data-testid="stAlert"]').filter(has_text="The found z is now in the sliders").first
    clip_shot(page, tabs, found, out / "lab-your-digit-1366.png")  # down to the search's result
    ctx.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--steps", type=int, default=150, help="steps per run")
    ap.add_argument("--only", choices=["all", "lab", "tools"], default="all", help="which shots to take")
    args = ap.parse_args(argv)
    out = Path(args.out)
    with app_browser() as (browser, url):
        if args.only in ("all", "lab"):
            lab_shots(browser, url, out)
        if args.only == "lab":
            return 0
        ctx = browser.new_context(viewport={"width": 1366, "height": 4200})  # the whole page, no scrolling
        page = ctx.new_page()
        page.goto(url + "/train")
        wait_idle(page, '[data-testid="stBaseButton-primary"]')
        train(page, args.steps)
        train(page, args.steps, faster_d=True)
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
        wait_idle(page, SCRUB_READY)  # Explore opens in scrub mode: its sliders are the component's
        panel = page.locator('[data-testid="stExpander"]', has_text="Look inside G and D")
        panel.locator("summary").click()
        wait_idle(page, "text=D's verdict on this digit")
        time.sleep(1.0)
        clip_shot(page, panel, panel, out / "look-inside.png")
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
