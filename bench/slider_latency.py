"""Slider latency on the Explore page: how long from a moved latent slider to the new digit.

(a) Server side, for each generator shipped in pretrained/: the time from a new z to the PNG bytes
    ready to send, on exactly the code path of gan_ui.explore_sliders.latent_panel (z as the sliders hold it
    -> gan_ui.images.z_views: one batched pass of G for the digit, the 9-frame sweep strip and, for a
    conditional G, the row of ten digits -> the digit's PNG), p50/p95 over --n random z (drawn and
    rounded like the page's "Random z"). "panel" adds the other PNGs that fragment encodes on every
    slider move; Streamlit's own work (rerunning the fragment, serialising, the websocket) is not in (a).
(b) Real browser round trip: `streamlit run app.py` in a subprocess, Debian's Chromium through
    Playwright (the helpers of tests/e2e_support.py), the Explore page's default generator. The first
    latent slider is focused and ArrowRight (or ArrowLeft, away from the end of the range) pressed;
    timed in the page from the keydown event until the digit's <img> has a new src ("src") and until
    that image has loaded ("shown"), p50/p95 over --presses presses, each after the page is idle.
    Includes Streamlit's rerun of the fragment, the websocket and decoding (the digit rides inline as a data: URL:
    no media fetch since 2026-12-06).

    python bench/slider_latency.py [--n 300] [--presses 40] [--models dcgan,mlp] [--threads N]
                                   [--no-browser] [--record]

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import ROOT, environment, record

from gan_core import list_pretrained, load_checkpoint
from gan_ui import images, settings
from gan_ui.catalogue import ModelEntry, entry_from_checkpoint
from gan_ui.latent import random_z

DIGIT_CAPTION = "G(z): the generator's output for this z"
WARMUP = 10


def pct(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def stats_ms(values) -> str:
    return f"p50 {pct(values, 50) * 1e3:7.2f} ms   p95 {pct(values, 95) * 1e3:7.2f} ms"


# ---------------------------------------------------------------------------------------------
# (a) server side
# ---------------------------------------------------------------------------------------------
def panel_views(entry: ModelEntry, z_values: list[float], label: int | None, sweep_dim: int = 1):
    """What Explore's slider panel computes for one slider position: the page's own function
    (gan_ui.images.z_views: the digit, the sweep strip and, for a conditional G, the ten-digit row, from one
    batched pass of G)."""
    return images.z_views(
        entry.G,
        torch.tensor([float(v) for v in z_values]),
        sweep_dim - 1,
        label,
        entry.num_classes if entry.conditional else None,
    )


def server_side(names: list[str], n: int, seed: int = 0) -> dict[str, dict]:
    out = {}
    for name in names:
        ckpt = load_checkpoint(name)
        entry = entry_from_checkpoint(f"shipped:{name}", name, "shipped", ckpt)  # as the app loads it
        rng = np.random.default_rng(seed)
        zs = [random_z(entry.latent_dim, rng) for _ in range(n + WARMUP)]
        labels = [int(rng.integers(entry.num_classes)) if entry.conditional else None for _ in range(n + WARMUP)]
        digit_t, panel_t, sizes = [], [], []
        for i, (z, y) in enumerate(zip(zs, labels)):
            t0 = time.perf_counter()
            views = panel_views(entry, z, y)
            png = views.digit_png()  # the digit as the page sends it (native size)
            t1 = time.perf_counter()
            views.sweep_png()
            if views.classes is not None:
                views.classes_png()
            t2 = time.perf_counter()
            if i >= WARMUP:
                digit_t.append(t1 - t0)
                panel_t.append(t2 - t0)
                sizes.append(len(png))
        out[name] = {
            "digit": digit_t,
            "panel": panel_t,
            "bytes": int(np.median(sizes)),
            "arch": ckpt.config.arch,
            "latent": entry.latent_dim,
            "conditional": entry.conditional,
        }
        print(
            f"  {name:<12} ({ckpt.config.arch}, z {entry.latent_dim}{', conditional' if entry.conditional else ''}) "
            f"digit PNG: {stats_ms(digit_t)}   whole panel: {stats_ms(panel_t)}   ({out[name]['bytes']:,} B)",
            flush=True,
        )
    return out


# ---------------------------------------------------------------------------------------------
# (b) browser round trip
# ---------------------------------------------------------------------------------------------
INSTALL_JS = """(caption) => {
    window.__ganDigit = () => {
        for (const el of document.querySelectorAll('[data-testid="stImage"]'))
            if (el.textContent.includes(caption)) return el.querySelector('img');
        return null;
    };
    window.__ganKeyAt = null;
    window.__ganSrcAt = null;
    if (!window.__ganKeyListener) {
        window.__ganKeyListener = true;
        document.addEventListener('keydown', () => { window.__ganKeyAt = performance.now(); }, true);
    }
}"""

# Polled every few ms after a key press: remembers when the src first changed, returns once the new image has loaded.
CHANGED_JS = """(prev) => {
    const now = performance.now();
    const img = window.__ganDigit();
    if (!img || img.src === prev || window.__ganKeyAt === null) return false;
    if (window.__ganSrcAt === null) window.__ganSrcAt = now;
    if (!(img.complete && img.naturalWidth > 0)) return false;
    return {key: window.__ganKeyAt, src: window.__ganSrcAt, shown: now};
}"""


def slider_value(thumb) -> float:
    """The value a Streamlit slider shows (aria-valuetext holds it formatted, e.g. "-0.98")."""
    text = thumb.get_attribute("aria-valuetext") or thumb.input_value() or "0"
    return float(text.replace("\u2212", "-"))


def browser_round_trip(presses: int, threads: int, timeout: float) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from e2e_support import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, wait_idle
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM} (set GAN_CLASSROOM_CHROMIUM)")
    log_path = Path(tempfile.mkdtemp(prefix="gan-bench-")) / "slider-latency-server.log"
    server = StreamlitServer(log_path, env={"GAN_CLASSROOM_TEST_MODE": "0", settings.THREADS_ENV: str(threads)}).start()
    digit_sel = f'[data-testid="stImage"]:has-text("{DIGIT_CAPTION}") img'
    src_ms, shown_ms, misses = [], [], 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(server.url)
            wait_idle(page, digit_sel, timeout=120)
            # The server's sliders: scrub mode (on as Explore opens) redraws in the browser, bench/scrub_fps.py.
            page.get_by_text("Scrub mode (runs in your browser)").click()
            wait_idle(page, '[data-testid="stSlider"]', timeout=120)
            model = page.locator('[data-testid="stSelectbox"] input').first.input_value()  # the Generator picker
            page.evaluate(INSTALL_JS, DIGIT_CAPTION)
            thumb = page.locator('[data-testid="stSlider"] input[type="range"]').first
            thumb.focus()
            value = first = slider_value(thumb)
            key = "ArrowRight" if value <= 0 else "ArrowLeft"  # head for the far end: >= 60 presses of room
            for i in range(presses + 3):  # 3 warm-up presses
                value = slider_value(thumb)
                if value >= 2.95:
                    key = "ArrowLeft"
                elif value <= -2.95:
                    key = "ArrowRight"
                prev = page.evaluate("() => { const i = window.__ganDigit(); return i ? i.src : null; }")
                page.evaluate("() => { window.__ganKeyAt = null; window.__ganSrcAt = null; }")
                thumb.focus()
                page.keyboard.press(key)
                try:
                    hit = page.wait_for_function(CHANGED_JS, arg=prev, polling=5, timeout=timeout * 1000).json_value()
                except PlaywrightTimeout:
                    misses += 1  # e.g. a step too small to change a pixel
                    hit = None
                if hit and i >= 3:
                    src_ms.append((hit["src"] - hit["key"]) / 1e3)
                    shown_ms.append((hit["shown"] - hit["key"]) / 1e3)
                wait_idle(page, timeout=60)
            last = slider_value(thumb)
            browser.close()
    finally:
        server.stop()
    return {
        "model": model,
        "z1": (first, last),
        "src": src_ms,
        "shown": shown_ms,
        "misses": misses,
        "log": str(log_path),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300, help="random z per shipped model (server side)")
    ap.add_argument("--presses", type=int, default=40, help="slider key presses in the browser")
    ap.add_argument("--models", default="", help="comma-separated shipped model names (default: all)")
    ap.add_argument(
        "--threads",
        type=int,
        default=settings.torch_threads(),
        help="torch threads, here and in the app server (default: the app's own choice)",
    )
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one press's new digit")
    ap.add_argument(
        "--browser",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the real browser round trip (default: yes)",
    )
    ap.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    env = environment(torch.device("cpu"))
    names = [m.strip() for m in args.models.split(",") if m.strip()] or list_pretrained()
    lines = []
    print(
        f"(a) server side: z -> PNG bytes on the Explore page's code path, {args.n} random z per model, "
        f"{env['threads']} threads"
    )
    side = server_side(names, args.n)
    for name, r in side.items():
        lines.append(
            f"server, `{name}` ({r['arch']}, z {r['latent']}): digit PNG p50 {pct(r['digit'], 50) * 1e3:.2f} ms / "
            f"p95 {pct(r['digit'], 95) * 1e3:.2f} ms; whole slider panel p50 {pct(r['panel'], 50) * 1e3:.2f} ms / "
            f"p95 {pct(r['panel'], 95) * 1e3:.2f} ms ({args.n} z)"
        )
    if args.browser:
        print(f"\n(b) browser round trip: keydown on a latent slider -> new digit, {args.presses} presses")
        try:
            b = browser_round_trip(args.presses, args.threads, args.timeout)
        except Exception as exc:  # a missing browser must not hide the server-side figures
            print(f"  browser round trip not measured: {type(exc).__name__}: {exc}")
        else:
            if b["src"]:
                text = (
                    f"browser round trip (Chromium, `{b['model']}`): new src p50 {pct(b['src'], 50) * 1e3:.0f} ms / "
                    f"p95 {pct(b['src'], 95) * 1e3:.0f} ms; digit shown p50 {pct(b['shown'], 50) * 1e3:.0f} ms / "
                    f"p95 {pct(b['shown'], 95) * 1e3:.0f} ms ({len(b['shown'])} presses"
                    + (f", {b['misses']} without a new image" if b["misses"] else "")
                    + ")"
                )
                print("  " + text)
                print(
                    f"  (z1 went from {b['z1'][0]:.2f} to {b['z1'][1]:.2f} over {args.presses + 3} presses, 3 of "
                    "them warm-up)"
                )
                lines.append(text)
            else:
                print(f"  no press changed the digit ({b['misses']} misses); server log: {b['log']}")
    if args.record and lines:
        record("Slider latency (bench/slider_latency.py)", env, [f"- {line}" for line in lines])


if __name__ == "__main__":
    main()
