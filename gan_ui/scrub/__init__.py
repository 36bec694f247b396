"""Scrub mode: the latent sliders redraw the digit in the browser, at the speed of a drag.

Explore's server sliders cost a round trip per move (the browser sends the value, Streamlit reruns
the fragment, G runs, a PNG comes back: ~0.2 s in Chromium, see BENCHMARKS.md). Scrub mode moves the
forward pass into the page instead:

1. gan_core.webexport turns G into a small program (ops + float32 weights), once per model
   (cached on the G module, so a shipped model is exported once per server process).
2. The program is served as a static file (static/scrub/<digest>.json, when Streamlit's static
   serving is on, as in this app's config) or else sent inline; the page fetches it once per digest,
   and a browser keeps it in its HTTP cache (the name changes with the content). Beside it lies
   <digest>.json.gz, compressed once when written: Streamlit gzips every other /app/static/ response
   afresh on each request (~0.1 s of server CPU for this one, per new browser), but serves a .gz file as
   application/gzip bytes, and the page unpacks it with the browser's DecompressionStream.
3. forward.js runs it on every slider `input` event (once per animation frame) and paints a
   28x28 canvas, scaled with crisp pixels. No server round trip while dragging. The sliders are drawn
   from the program's header at once; until the program has loaded, a release still moves the server's z.
4. On release (`change`) the component sends {z, label} back as the trigger "release"; the
   caller's `on_release(z, label)` stores it, so the server-side sliders and digit follow.

Fallbacks, each with a note: G that webexport cannot express (ExportError), a browser that cannot
load or run the program (the trigger "failed"), and AppTest (no browser runs components' JS).
The JS lives beside this file: forward.js (the interpreter, no Streamlit), component.js (the
Streamlit glue), scrub.css.
"""

from __future__ import annotations

import functools
import gzip
import logging
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import streamlit as st
import torch

from gan_core.atomic import atomic_write
from gan_core.i18n import _
from gan_core.sampling import LATENT_RANGE
from gan_core.webexport import ExportError, export_program, program_digest, program_json

from .. import live_chart

log = logging.getLogger("gan_ui")

HERE = Path(__file__).resolve().parent
FORWARD_JS = HERE / "forward.js"
COMPONENT_JS = HERE / "component.js"
CSS = HERE / "scrub.css"
STATIC_SUBDIR = "scrub"  # static/scrub/<digest>.json
COMPONENT_KEY = "explore_scrub"
FAILED_KEY = "scrub_failed"  # session state: {digest: message} from the browser
SCRUB_STEP = 0.01  # finer than the server sliders' 0.05: a drag is smooth, and z keeps 2 decimals
CANVAS_SCALE = 8  # 28 px -> 224 px on screen
MAX_STATIC_PROGRAMS = 48  # program files kept in static/scrub/ (1-3 MB each); least recently used go


@dataclass(frozen=True)
class Exported:
    """A generator's program as JSON text, its content digest, or why there is none."""

    text: str | None
    digest: str | None
    problem: Exception | None = None  # why there is none (read in the reader's language: `error`)
    header: dict | None = None  # what the page draws its sliders from before the program has loaded

    @property
    def error(self) -> str | None:
        return None if self.problem is None else str(self.problem)


_EXPORTS: "weakref.WeakKeyDictionary[torch.nn.Module, Exported]" = weakref.WeakKeyDictionary()


def exported(G: torch.nn.Module) -> Exported:
    """G's program, exported once per G module (shipped Gs are shared, so once per process)."""
    hit = _EXPORTS.get(G)
    if hit is None:
        try:
            program = export_program(G)
            text = program_json(program)
            header = {
                "latentDim": program["latent_dim"],
                "conditional": program["conditional"],
                "numClasses": program.get("num_classes") or 0,
                "outputShape": program["output_shape"],
            }
            hit = Exported(text, program_digest(text), header=header)
        except ExportError as exc:
            hit = Exported(None, None, exc)
        except Exception as exc:  # a bug in the exporter must not take Explore down: fall back, say why
            log.exception("webexport failed")
            hit = Exported(None, None, RuntimeError(": ".join((type(exc).__name__, str(exc)))))
        _EXPORTS[G] = hit
    return hit


def static_src(ex: Exported) -> str | None:
    """Write the program to static/scrub/<digest>.json and .json.gz (once) and return the URL of the first, or None
    without static serving (or without room on the disk: the caller then sends the program inline)."""
    if ex.text is None or not st.get_option("server.enableStaticServing"):
        return None
    folder = live_chart.STATIC_DIR / STATIC_SUBDIR
    plain, packed = folder / f"{ex.digest}.json", folder / f"{ex.digest}.json.gz"
    try:
        try:
            for path in (packed, plain):
                os.utime(path)  # recently used: kept by the pruning below (FileNotFoundError: write the pair)
        except FileNotFoundError:
            data = ex.text.encode("ascii")
            # mtime=0: the same program always gives the same bytes. Level 6 (zlib's default): as small as 9 here.
            # The .gz first: a page that finds the .json finds its pair too. A full disk leaves no temporary file.
            atomic_write(packed, gzip.compress(data, compresslevel=6, mtime=0))
            atomic_write(plain, data)
            prune_static(folder)
    except OSError:
        return None
    return f"app/static/{STATIC_SUBDIR}/{ex.digest}.json"


def prune_static(folder: Path, keep: int = MAX_STATIC_PROGRAMS) -> None:
    """Bound the disk a shared server spends on programs (every uploaded model or run adds one): keep the
    `keep` most recently used (a program's .json and .json.gz count as one), delete the rest. A deleted one is
    simply written again when next needed."""
    used: dict[str, float] = {}
    for f in folder.glob("*.json*"):
        if f.name.startswith("."):  # a write in flight (atomic_write's temporary file)
            continue
        digest = f.name.split(".")[0]
        try:
            used[digest] = max(used.get(digest, 0.0), f.stat().st_mtime)
        except OSError:  # deleted meanwhile by another session's pruning
            continue
    for digest in sorted(used, key=used.get, reverse=True)[keep:]:
        for suffix in (".json", ".json.gz"):
            (folder / f"{digest}{suffix}").unlink(missing_ok=True)


@functools.cache
def _component():
    js = FORWARD_JS.read_text() + "\n" + COMPONENT_JS.read_text()
    return st.components.v2.component("gan_scrub", js=js, css=CSS.read_text(), isolate_styles=False)


def available() -> str | None:
    """None when scrub mode can run here, else why not (one line)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None or live_chart._under_app_test():
        return _("it needs a browser to run in, and this session has none")
    return None


def _on_release(on_release: Callable[[list[float], int | None], None], conditional: bool, digest: str) -> None:
    value = (st.session_state.get(COMPONENT_KEY) or {}).get("release")
    if not isinstance(value, dict) or not isinstance(value.get("z"), list):
        return
    if value.get("digest") != digest:  # a release from the model shown before a switch: not this z
        return
    try:
        z = [float(v) for v in value["z"]]
    except (TypeError, ValueError):
        return
    label = value.get("label")
    on_release(z, int(label) if conditional and isinstance(label, (int, float)) else None)


def _on_failed() -> None:
    value = (st.session_state.get(COMPONENT_KEY) or {}).get("failed")
    if isinstance(value, dict) and value.get("digest"):
        st.session_state.setdefault(FAILED_KEY, {})[value["digest"]] = str(value.get("message", "unknown error"))


def why_not(G: torch.nn.Module) -> str | None:
    """None when scrub mode can show G in this session, else why not (one line): no browser, a G the exporter
    cannot express, or a browser that already said it could not run this program."""
    why = available()
    if why:
        return why
    ex = exported(G)
    if ex.error:
        return _("this generator cannot be exported to the browser ({error})").format(error=ex.error)
    failed = st.session_state.get(FAILED_KEY, {}).get(ex.digest)
    if failed:
        return _("your browser could not run it ({error})").format(error=failed)
    return None


def scrub_panel(
    G: torch.nn.Module,
    z: list[float],
    label: int | None,
    on_release: Callable[[list[float], int | None], None],
    visible: int = 8,
    label_order: list[int] | None = None,
    label_names: dict[int, str] | None = None,
) -> None:
    """Mount the scrub component for G at z (and label). The caller asks `why_not(G)` first, once per rerun, and
    shows its server sliders with that note instead when it is not None. A conditional G's picker shows its
    classes in `label_order` and by `label_names` (default: 0, 1, ... by number)."""
    ex = exported(G)
    src = static_src(ex)  # and its .gz beside it
    conditional = bool(getattr(G, "conditional", False))
    data = {
        "digest": ex.digest,
        "src": src,
        "gz": f"{src}.gz" if src else None,
        "program": None if src else ex.text,
        "model": ex.header,  # the sliders and the picker are drawn from it while the program loads
        "z": [float(v) for v in z],
        "label": label if conditional else None,
        "visible": visible,
        "range": LATENT_RANGE,
        "step": SCRUB_STEP,
        "scale": CANVAS_SCALE,
        "labelTitle": _("Code c") if getattr(G, "info", False) else _("Digit to draw"),
        "labelOrder": label_order,
        "labelNames": {str(k): v for k, v in (label_names or {}).items()},
        "caption": _("G(z) computed by your browser as you drag; the server's copy follows when you let go."),
        "texts": {
            "loading": _("Loading the generator into your browser…"),
            "fpsHint": _("Drag a slider: frames/s show here"),
            "more": _("More dimensions ({n} more)"),
            "fps": _("G(z) + paint: {ms} ms a frame (room for {room} frames/s) · drawing {fps} frames/s"),
            "failed": _("Scrub mode could not start in this browser: {error}"),
        },
    }
    with st.container(key="scrub_box"):
        _component()(
            key=COMPONENT_KEY,
            data=data,
            width="stretch",
            height="content",
            on_release_change=functools.partial(_on_release, on_release, conditional, ex.digest),
            on_failed_change=_on_failed,
        )
