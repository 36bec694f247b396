"""Step mode on the Train page: a paused run stepped by hand, one D update, one G update or one iteration.

The page sends the command through the run handle (`RunHandle.step_once`) and gets plain data back
(`gan_core.stepping.StepResult`); this module draws it so a student reads the game in slow motion:
after a D step, D's verdict on 64 real digits and G's 64 fixed fakes before and after ("D learned to
reject these"); after a G step, each fake before and after, with a heat-map of the pixels G moved
("G moved these pixels to fool D").
"""

from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from gan_core.i18n import N_, _
from gan_core.sampling import make_grid, upscale

from . import live_chart
from .images import grid_png
from .layout import show_png
from .run_handle import RunHandle

RESULT_KEY = "step_result"  # session_state: (run key, StepResult) of the last step
KINDS = {
    "d": (N_("One D step"), ":material/shield:"),
    "g": (N_("One G step"), ":material/brush:"),
    "both": (N_("One full iteration"), ":material/skip_next:"),
}
SHOWN = 16  # fakes shown before/after (of the 64 scored): two rows of eight stay legible beside the chart


def _step(run: RunHandle, kind: str):
    def cb():
        try:
            st.session_state[RESULT_KEY] = (run.key, run.step_once(kind))
        except (RuntimeError, NotImplementedError) as exc:
            st.session_state[RESULT_KEY] = (run.key, str(exc))

    return cb


def _heat_palette() -> list[int]:
    """The heat-map's colours for grey levels 0..255: black -> red (level 128) -> yellow (255)."""
    v = np.arange(256, dtype=np.float32) / 255.0  # (256,)
    rgb = np.stack([np.clip(2 * v, 0, 1), np.clip(2 * v - 1, 0, 1), np.zeros_like(v)], axis=1)  # (256, 3)
    return (rgb * 255).astype(np.uint8).ravel().tolist()


HEAT_PALETTE = _heat_palette()


def heat_png(change: np.ndarray, ncol: int = 8, scale: int = 3) -> bytes:
    """|after - before| per pixel, (n, 28, 28) in [0, 1], as a grid: black unchanged, red to yellow moved.

    Scaled to the largest change in the batch, so one small G step is still visible. A palette image (one byte a
    pixel, the colours in HEAT_PALETTE), upscaled by repeating pixels: the same picture as colouring every pixel
    in floating point and resizing, in a tenth of the time."""
    top = float(change.max()) or 1.0
    u8 = (np.clip(change / top, 0, 1) * 255).astype(np.uint8)
    grid = upscale(make_grid(u8, ncol=ncol, pad=2, fill=0), scale)  # (H * scale, W * scale) grey levels
    img = Image.frombytes("P", (grid.shape[1], grid.shape[0]), np.ascontiguousarray(grid).tobytes())
    img.putpalette(HEAT_PALETTE)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _u8(images: np.ndarray) -> np.ndarray:
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8)


def scores_chart(res) -> go.Figure:
    """Each digit's score before (x) and after (y) the step: above the diagonal D now finds it more real."""
    fig = go.Figure()
    for name, before, after, colour in (
        (_("real digits"), res.real_before, res.real_after, "#1f77b4"),
        (_("G's fakes"), res.fake_before, res.fake_after, "#ff7f0e"),
    ):
        fig.add_scatter(x=before, y=after, mode="markers", name=name, marker={"color": colour, "size": 6})
    lo = float(min(res.real_before.min(), res.fake_before.min(), res.real_after.min(), res.fake_after.min()))
    hi = float(max(res.real_before.max(), res.fake_before.max(), res.real_after.max(), res.fake_after.max()))
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", line={"color": "grey", "dash": "dot"}, showlegend=False)
    what = _("D's probability 'real'") if res.probabilistic else _("D's score")
    fig.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title=_("{what} before").format(what=what),
        yaxis_title=_("{what} after").format(what=what),
    )
    return fig


def _d_result(res) -> None:
    real = float(res.real_after.mean() - res.real_before.mean())
    fake = float(res.fake_after.mean() - res.fake_before.mean())
    rejected = int((res.fake_after < res.fake_before).sum())
    st.markdown(
        _(
            "**D learned to reject these:** its verdict on the real digits moved by {real:+.3f} on average, "
            "on G's fakes by {fake:+.3f}; it now finds {rejected} of the 64 fakes less real than before."
        ).format(real=real, fake=fake, rejected=rejected)
    )
    live_chart.live_plotly(scores_chart(res), key="step_scores")
    order = np.argsort(res.fake_after - res.fake_before)[:8]  # the fakes D turned against most
    st.caption(_("The eight fakes D turned against most:"))
    show_png(grid_png(_u8(res.images_after[order]), ncol=8, scale=2))


def _g_result(res) -> None:
    fake = float(res.fake_after.mean() - res.fake_before.mean())
    st.markdown(
        _(
            "**G moved these pixels to fool D:** D's verdict on the same 64 fakes moved by {fake:+.3f} on average."
        ).format(fake=fake)
    )
    cols = st.columns(3)
    for col, title, png in (
        (cols[0], _("before"), grid_png(_u8(res.images_before[:SHOWN]), ncol=8, scale=2)),
        (cols[1], _("after"), grid_png(_u8(res.images_after[:SHOWN]), ncol=8, scale=2)),
        (cols[2], _("what changed"), heat_png(res.change[:SHOWN], ncol=8, scale=2)),
    ):
        with col:
            st.caption(title)
            show_png(png)


@st.fragment
def step_panel(run: RunHandle) -> None:
    """Step mode for a paused run: three buttons and the last step's result. Draws nothing otherwise.

    A fragment: a step click reruns this panel only, not the Train page around it (its charts, grids and run
    tools), since a step changes nothing else there (steps are not added to the run's history, gan_core/stepping.py).
    """
    if run.status != "paused":
        return
    with st.container(border=True, key="step_mode"):
        st.markdown(_("**Step mode** · play the game one move at a time"))
        if not run.can_step:
            st.info(
                _("Step mode needs a run trained in this server's process; runs on Ray cannot be stepped yet."),
                icon=":material/info:",
            )
        with st.container(horizontal=True, gap="small"):
            for kind, (label, icon) in KINDS.items():
                st.button(
                    _(label), icon=icon, on_click=_step(run, kind), disabled=not run.can_step, key=f"btn_step_{kind}"
                )
        key, res = st.session_state.get(RESULT_KEY, (None, None))
        if key != run.key or res is None:
            st.caption(_("D steps first: press One D step and watch D's verdict move."))
            return
        if isinstance(res, str):
            st.warning(res)
        elif res.kind == "d":
            _d_result(res)
        else:
            if res.kind == "both":
                _d_result(res)
            _g_result(res)
        if not isinstance(res, str):
            st.caption(_("That step took {ms:.0f} ms.").format(ms=res.seconds * 1000))
