"""Live plotly charts whose zoom survives new data: a Streamlit custom component (components v2).

Streamlit 1.67 derives an st.plotly_chart's identity from the figure, so every poll that brings new
records remounts the chart and a student's zoom is lost. A v2 component mounted with a `key` keeps
its identity whatever its `data` (key_as_main_identity): the browser keeps the same element and only
calls the component's JS again with the new figure, which hands it to `Plotly.react`. With a
constant `layout.uirevision` Plotly keeps the user's zoom, pan and legend clicks across updates.

Plotly.js loads offline from Streamlit's static serving (`server.enableStaticServing`, see
.streamlit/config.toml): `ensure_static_plotly()` copies the installed plotly package's
plotly.min.js into static/ next to app.py (gitignored), with a gzipped copy beside it that the page
fetches and unpacks (DecompressionStream): Streamlit compresses a plain /app/static/ file afresh on
every request (4.8 MB, ~0.17 s of server CPU per browser that opens Train), but sends a .gz as stored
bytes. A browser without DecompressionStream, or a failed unpack, loads the plain file.

The figure is styled with Streamlit's own plotly theme as it resolves for this app's light theme
(plotly_theme.json: the template that st.plotly_chart applies in the browser), so the charts look as
they did with st.plotly_chart.

Fallback: st.plotly_chart, when static serving is off, plotly.min.js cannot be copied, or there
is no browser (AppTest, which does not run components' JS).
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from gan_core.atomic import atomic_write
from gan_core.i18n import _

from . import teacher

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"  # Streamlit serves it at /app/static/ (next to app.py)
PLOTLY_JS = "plotly.min.js"
THEME_FILE = Path(__file__).with_name("plotly_theme.json")
CONFIG = {"displaylogo": False, "responsive": True}

_JS = """
const SRC = "app/static/%(js)s";

function ganScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.async = true;
    s.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("no Plotly in " + SRC)));
    s.onerror = () => reject(new Error("could not load " + SRC));
    document.head.appendChild(s);
  });
}

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__ganPlotly) {
    const plain = new URL(SRC, window.location.origin + window.location.pathname.replace(/[^/]*$/, "")).href;
    // The gzipped copy, unpacked here (the server sends it as stored bytes); else the plain file.
    const packed = typeof DecompressionStream !== "function" ? Promise.reject(new Error("no DecompressionStream"))
      : fetch(plain + ".gz").then((r) => {
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).blob();
        }).then((b) => {
          const url = URL.createObjectURL(new Blob([b], { type: "text/javascript" }));
          return ganScript(url).finally(() => URL.revokeObjectURL(url));
        });
    window.__ganPlotly = packed.catch(() => window.Plotly || ganScript(plain));
    window.__ganPlotly.catch(() => { window.__ganPlotly = null; });
  }
  return window.__ganPlotly;
}

export default function (component) {
  const { data, parentElement } = component;
  let el = parentElement.querySelector(".gan-live-plot");
  if (!el) {
    el = document.createElement("div");
    el.className = "gan-live-plot";
    parentElement.appendChild(el);
  }
  if (!data || !data.figure) return;
  // The page polls every second; a figure that has not changed since the last poll (the sample-quality
  // charts between measurements, every chart of a paused run) is not parsed or redrawn again.
  if (el.__ganJson === data.figure) return;
  const fig = JSON.parse(data.figure);
  el.style.height = (fig.layout.height || 450) + "px";
  el.__ganLatest = fig;                      // the newest figure wins if updates overlap the load
  loadPlotly().then((Plotly) => {
    if (el.__ganLatest !== fig) return;
    Plotly.react(el, fig.data, fig.layout, data.config || {});
    el.__ganJson = data.figure;              // drawn: the same JSON next time is skipped
    if (!el.__ganResize) {
      let last = el.clientWidth;
      el.__ganResize = new ResizeObserver(() => {
        if (el.isConnected && el.clientWidth && el.clientWidth !== last) {
          last = el.clientWidth;
          Plotly.Plots.resize(el);
        }
      });
      el.__ganResize.observe(el);
    }
  }).catch((err) => { el.textContent = (data.unavailable || "") + " " + err.message; });
  // No cleanup: the plot stays in place between updates, so Plotly keeps the user's zoom.
}
""" % {"js": PLOTLY_JS}

_CSS = ".gan-live-plot { width: 100%; }"


@functools.cache
def ensure_static_plotly() -> bool:
    """plotly.min.js from the installed plotly package in static/, where Streamlit serves it, and plotly.min.js.gz
    beside it (the copy the page loads). True on success (the .gz is optional: without it the page loads the plain
    file)."""
    try:
        import plotly

        src = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
        dst = STATIC_DIR / PLOTLY_JS
        packed = STATIC_DIR / f"{PLOTLY_JS}.gz"
        if not dst.is_file() or dst.stat().st_size != src.stat().st_size:
            packed.unlink(missing_ok=True)  # it belongs to the old file
            atomic_write(dst, src.read_bytes())
    except OSError:
        return False
    try:
        if not packed.is_file():
            atomic_write(packed, gzip.compress(dst.read_bytes(), compresslevel=6, mtime=0))  # once per install: ~0.2 s
    except OSError:
        pass
    return True


@functools.cache
def _theme() -> dict:
    return json.loads(THEME_FILE.read_text())


@functools.cache
def _component():
    return st.components.v2.component("gan_live_plotly", css=_CSS, js=_JS, isolate_styles=False)


def available() -> bool:
    """Whether the component can draw: a browser runs the script, static serving is on, plotly.min.js is served."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or _under_app_test():
        return False
    return bool(st.get_option("server.enableStaticServing")) and ensure_static_plotly()


def _under_app_test() -> bool:
    """AppTest runs scripts against a mock Runtime and no browser: components' JS never runs there."""
    from streamlit.runtime import Runtime

    return not Runtime.exists() or type(Runtime.instance()) is not Runtime


def themed_json(fig: go.Figure) -> str:
    """The figure as JSON with Streamlit's plotly theme applied the way st.plotly_chart applies it."""
    d = fig.to_plotly_json()
    layout = dict(d.get("layout") or {})
    layout["template"] = _theme()
    title = layout.get("title")
    if isinstance(title, dict) and isinstance(title.get("text"), str):
        layout["title"] = {**title, "text": f"<b>{title['text']}</b>"}
    return json.dumps({"data": d.get("data") or [], "layout": layout}, cls=_PlotlyEncoder)


class _PlotlyEncoder(json.JSONEncoder):
    def default(self, o):
        from plotly.utils import PlotlyJSONEncoder

        return PlotlyJSONEncoder().default(o)


def live_plotly(fig: go.Figure, key: str) -> None:
    """Draw `fig` under a stable `key`: new figures update the chart in place, keeping the user's zoom
    (set a constant layout.uirevision). Falls back to st.plotly_chart where the component cannot run."""
    fig = teacher.style_figure(fig)  # projector mode: high-contrast colours, larger type
    if not available():
        st.plotly_chart(fig, key=key, config={"displaylogo": False})
        return
    with st.container(key=f"live_{key}"):
        _component()(
            key=key,
            data={"figure": themed_json(fig), "config": CONFIG, "unavailable": _("Chart unavailable:")},
            width="stretch",
            height="content",
        )
