"""Scrub mode's frame rate: how fast the browser redraws the digit while a latent slider is dragged.

For each generator shipped in pretrained/ (exported by gan_core.webexport, as the app exports it),
Debian's headless Chromium mounts the real scrub component (gan_ui/scrub/forward.js + component.js,
the exact JS the app sends) in a blank page, with the program inline, and the page drives the first
latent slider continuously for --seconds: every 4 ms it moves the slider by 0.02 and dispatches an
`input` event, as a fast mouse drag does (~250 events/s, more than the screen's frame rate, so the
component is never waiting for input). The component repaints at most once per animation frame; each
repaint records its own time, so the figures are:

    compute   G(z) in JS + grey levels + putImageData, per frame (what the component does in a frame)
    interval  time between two painted frames (the frame rate the student sees is 1000 / interval)
    frames/s  painted frames / elapsed time while driving

With --app (default on), the same drive also runs against the real Explore page: `streamlit run
app.py` in a subprocess, scrub mode switched on, the default generator, the static program file
fetched as in class. Headless Chromium paces animation frames at 60 Hz, so 60 frames/s is the most
any row can show; the server path's figure (the round trip per slider move) is in the "Slider latency"
section of BENCHMARKS.md.

    python bench/scrub_fps.py [--seconds 5] [--models dcgan,mlp] [--no-app] [--record]

Prints figures; never fails on a timing. --record appends a block to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from common import ROOT, environment, record

from gan_core import list_pretrained, load_checkpoint
from gan_core.webexport import export_program, program_json

SCRUB_DIR = ROOT / "gan_ui" / "scrub"

MOUNT_JS = """async ([js, css, data]) => {
    const style = document.createElement('style'); style.textContent = css; document.head.appendChild(style);
    const url = URL.createObjectURL(new Blob([js], {type: 'text/javascript'}));
    const mod = await import(url);
    const host = document.createElement('div'); document.body.appendChild(host);
    window.__ganTriggers = [];
    mod.default({data, parentElement: host, setTriggerValue: (k, v) => window.__ganTriggers.push([k, v]),
                 setStateValue: () => {}});
    const t0 = performance.now();
    while (!(host.querySelector('.gan-scrub') || {}).dataset?.state?.match(/ready|failed/)) {
        if (performance.now() - t0 > 60000) throw new Error('component did not load');
        await new Promise(r => setTimeout(r, 20));
    }
    return host.querySelector('.gan-scrub').dataset.state;
}"""

DRIVE_JS = """async (seconds) => {
    const root = document.querySelector('.gan-scrub');
    const S = root.__ganScrub;
    const input = root.querySelector('.gan-scrub-slider');
    await new Promise(r => setTimeout(r, 300));                // let any first paint settle
    const start = S.frames.length;
    let v = -3, dir = 1, events = 0;
    const t0 = performance.now();
    await new Promise((resolve) => {
        const tick = () => {
            v += dir * 0.02;
            if (v > 3 || v < -3) { dir = -dir; v += 2 * dir * 0.02; }
            input.value = v.toFixed(2);
            input.dispatchEvent(new Event('input', {bubbles: true}));
            events++;
            if (performance.now() - t0 < seconds * 1000) setTimeout(tick, 4); else resolve();
        };
        tick();
    });
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const frames = S.frames.slice(start).filter(f => f.at <= t0 + seconds * 1000 + 50);
    return {compute: frames.map(f => f.compute), intervals: frames.slice(1).map(f => f.interval),
            count: frames.length, events, elapsed: frames.length > 1 ? frames[frames.length - 1].at - frames[0].at : 0};
}"""


def pct(xs, q) -> float:
    return float(np.percentile(np.asarray(xs, dtype=float), q)) if len(xs) else float("nan")


def summarise(r: dict) -> dict:
    fps = (r["count"] - 1) * 1000 / r["elapsed"] if r["elapsed"] else 0.0
    return {
        "fps": fps,
        "frames": r["count"],
        "events": r["events"],
        "c50": pct(r["compute"], 50),
        "c95": pct(r["compute"], 95),
        "i50": pct(r["intervals"], 50),
        "i95": pct(r["intervals"], 95),
    }


def line(where: str, s: dict) -> str:
    return (
        f"{where}: **{s['fps']:.0f} frames/s**; per frame G(z) + paint p50 {s['c50']:.1f} ms / p95 {s['c95']:.1f} ms, "
        f"frame interval p50 {s['i50']:.1f} ms / p95 {s['i95']:.1f} ms ({s['frames']} frames, {s['events']} input "
        "events)"
    )


def harness(browser, names: list[str], seconds: float) -> dict[str, dict]:
    js = (SCRUB_DIR / "forward.js").read_text() + "\n" + (SCRUB_DIR / "component.js").read_text()
    css = (SCRUB_DIR / "scrub.css").read_text()
    out = {}
    for name in names:
        ckpt = load_checkpoint(name)
        G = ckpt.G
        data = {
            "digest": name,
            "src": None,
            "program": program_json(export_program(G)),
            "z": [0.0] * G.latent_dim,
            "label": 3 if G.conditional else None,
            "visible": 8,
            "range": 3.0,
            "step": 0.01,
            "scale": 8,
            "caption": "",
        }
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.set_content("<!doctype html><html><body></body></html>")
        state = page.evaluate(MOUNT_JS, [js, css, data])
        if state != "ready":
            raise RuntimeError(f"{name}: the component failed: {page.inner_text('.gan-scrub')}")
        s = summarise(page.evaluate(DRIVE_JS, seconds))
        page.close()
        s.update(arch=ckpt.config.arch, latent=G.latent_dim, conditional=G.conditional)
        out[name] = s
        print(f"  {name:<11} {line(ckpt.config.arch + (' conditional' if G.conditional else ''), s)}", flush=True)
    return out


def in_app(browser, seconds: float) -> tuple[str, dict]:
    sys.path.insert(0, str(ROOT / "tests"))
    from e2e_support import StreamlitServer, wait_idle

    log_path = Path(tempfile.mkdtemp(prefix="gan-bench-")) / "scrub-fps-server.log"
    server = StreamlitServer(log_path, env={"GAN_CLASSROOM_TEST_MODE": "0"}).start()
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(server.url)
        wait_idle(page, '[data-testid="stImage"]', timeout=120)
        model = page.locator('[data-testid="stSelectbox"] input').first.input_value()
        page.wait_for_selector('.gan-scrub[data-state="ready"]', timeout=60_000)  # on as Explore opens
        wait_idle(page)
        s = summarise(page.evaluate(DRIVE_JS, seconds))
        page.close()
    finally:
        server.stop()
    return model, s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds of continuous slider driving per model")
    ap.add_argument("--models", default="", help="comma-separated shipped model names (default: all)")
    ap.add_argument(
        "--app",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also drive scrub mode on the real Explore page (default: yes)",
    )
    ap.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from e2e_support import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    names = [m.strip() for m in args.models.split(",") if m.strip()] or list_pretrained()
    env = environment(torch.device("cpu"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = os.cpu_count()
    print(
        f"Scrub mode in headless Chromium ({CHROMIUM}), {args.seconds:g} s of slider driving per model; "
        f"load average {load:.1f} on {cores} cores at the start"
    )
    lines = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        version = browser.version
        res = harness(browser, names, args.seconds)
        for name, s in res.items():
            kind = s["arch"] + (", conditional" if s["conditional"] else "")
            lines.append("- " + line(f"component, `{name}` ({kind}, z {s['latent']})", s))
        if args.app:
            try:
                model, s = in_app(browser, args.seconds)
            except Exception as exc:  # the per-model figures above stand on their own
                print(f"  Explore page not measured: {type(exc).__name__}: {exc}")
            else:
                text = line(f"Explore page in the app (`streamlit run`, scrub mode on, `{model}`)", s)
                print("  " + text)
                lines.append("- " + text)
        browser.close()
    lines.append(
        f"- Chromium {version}, headless (animation frames paced at 60 Hz, so 60 frames/s is the ceiling); "
        f"load average {load:.1f} on {cores} cores when the run started"
    )
    if args.record and lines:
        record("Scrub mode frame rate (bench/scrub_fps.py)", env, lines)


if __name__ == "__main__":
    main()
