"""The Playground page: the GAN game on the plane, played continuously or one step at a time.

The game itself is gan_core.toy2d.ToyTrainer. This page keeps one per browser session, and:

* while playing, a fragment reruns once a second (BURST_SECONDS), trains one burst (SPEEDS: from 2 iterations,
  slow motion, to 200) and sends the 2-30 frames it recorded to the view component (gan_ui/toy_view), which
  plays them on a <canvas> over the next second, tweening between frames that are far apart, and keeps the
  last one. One Streamlit rerun per second, not one per frame. A burst is bounded work (at most a few hundred
  milliseconds, like one slider move on Explore), so it runs in the fragment itself: no thread to leak.
* the step buttons run one D step, one G step or one iteration and send two frames, before and after, played
  in slow motion, with a sentence saying what moved;
* "custom": clicks (or taps) on the canvas add points; each click starts a new game on them.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gan_core.i18n import N_, _
from gan_core.losses import LOSS_INFO
from gan_core.toy2d import HEAT_SIDE, OPTIMIZERS, TOY_PRESETS, ToyConfig, ToyTrainer
from gan_core.toy2d_data import CUSTOM_MAX, PLANE, TARGETS

HERE = Path(__file__).resolve().parent / "toy_view"
COMPONENT_KEY = "pg_view"
BURST_SECONDS = 1.0  # one rerun a second while playing: the view plays the burst's frames over it
MAX_FRAMES = 30  # frames per burst: 30 frames/s on screen, ~60 KB a second to the browser
ARROW_SCALE = 0.25  # an arrow is 0.25 plane units per unit of -dL_G/dx: lengths compare across frames,
ARROW_MAX = 0.6  #   so a vanishing gradient (minimax) shows as short arrows; capped to stay readable
SPEEDS = {  # name -> iterations per burst (per second)
    N_("slow motion"): 2,
    N_("slow"): 10,
    N_("normal"): 60,
    N_("fast"): 200,
}
TARGET_NAMES = {
    "ring": N_("Ring of 8"),
    "grid": N_("Grid of 25"),
    "moons": N_("Two moons"),
    "spiral": N_("Spiral"),
    "line": N_("Line"),
    "custom": N_("Draw your own"),
}
STATE = "pg_state"


@functools.cache
def _component():
    return st.components.v2.component(
        "gan_toy_view",
        js=(HERE / "component.js").read_text(),
        css=(HERE / "toy_view.css").read_text(),
        isolate_styles=False,
    )


# ------------------------------------------------------------------------------------------------
# Frames for the browser: compact (heat-map as bytes, points rounded to 3 decimals)
# ------------------------------------------------------------------------------------------------
def _r(a: np.ndarray) -> list[float]:
    return np.round(np.asarray(a, dtype=np.float64).ravel(), 3).tolist()


def encode_frame(frame: dict, label: str) -> dict:
    """A ToyTrainer.frame() as the view's JSON: the heat-map as base64 uint8 over [lo, hi], arrows scaled."""
    heat = np.asarray(frame["heat"], dtype=np.float64)  # (H, W)
    lo, hi = (0.0, 1.0) if frame["probabilistic"] else (float(heat.min()), float(heat.max()))
    span = max(hi - lo, 1e-9)
    q = np.clip(np.round((heat - lo) / span * 255), 0, 255).astype(np.uint8)
    arrows = np.asarray(frame["arrows"], dtype=np.float64).copy()  # (A, 4): x, y, dx, dy
    vec = arrows[:, 2:] * ARROW_SCALE
    length = np.linalg.norm(vec, axis=1, keepdims=True)
    arrows[:, 2:] = vec * np.minimum(1.0, ARROW_MAX / np.maximum(length, 1e-12))
    mesh = np.asarray(frame["mesh"])  # (M, M or 1, 2)
    return {
        "it": frame["iteration"],
        "label": label,
        "fake": _r(frame["fake"]),
        "heat": base64.b64encode(q.tobytes()).decode("ascii"),
        "lo": lo,
        "hi": hi,
        "level": frame["level"],
        "arrows": _r(arrows),
        "mesh": _r(mesh),
        "rows": int(mesh.shape[1]),
        "cols": int(mesh.shape[0]),
    }


def _label(t: ToyTrainer) -> str:
    return _("iteration {i} · {d} D steps, {g} G steps").format(i=t.iterations, d=t.d_updates, g=t.g_updates)


# ------------------------------------------------------------------------------------------------
# Session state: one game per browser session
# ------------------------------------------------------------------------------------------------
def _state() -> dict:
    s = st.session_state.get(STATE)
    if s is None:
        s = st.session_state[STATE] = {
            "trainer": None,
            "playing": False,
            "seq": 0,
            "frames": [],
            "run": 0,
            "points": [],
            "note": "",
            "error": "",
        }
    return s


def _apply_preset() -> None:
    p = TOY_PRESETS[st.session_state["pg_preset"]].config()
    for name in (
        "target",
        "loss",
        "lr_g",
        "lr_d",
        "d_steps",
        "optimizer",
        "beta1",
        "beta2",
        "label_smoothing",
        "spectral_norm",
        "z_dim",
        "batch_size",
        "seed",
    ):
        st.session_state[f"pg_{name}"] = getattr(p, name)


def _send(s: dict, frames: list[dict]) -> None:
    s["frames"], s["seq"] = frames, s["seq"] + 1


def _new_game(s: dict, cfg: ToyConfig) -> None:
    s["trainer"] = t = ToyTrainer(cfg)
    s["run"] += 1
    s["note"] = ""
    t.measure()
    _send(s, [encode_frame(t.frame(), _label(t))])


def _on_points() -> None:
    value = (st.session_state.get(COMPONENT_KEY) or {}).get("points")
    if isinstance(value, list):
        try:
            s = _state()
            s["points"] = [[float(p[0]), float(p[1])] for p in value][:CUSTOM_MAX]
            s["playing"] = False
            s["rerun"] = True  # the click reran only the view's fragment: the settings must see it
        except (TypeError, ValueError, IndexError):
            return


def _step(kind: str) -> None:
    s = _state()
    t: ToyTrainer | None = s["trainer"]
    if t is None:
        return
    s["playing"] = False
    before = encode_frame(t.frame(), _label(t))
    if kind == "d":
        delta = t.d_step(record=True)
        moved = float(np.abs(delta.heat_after - delta.heat_before).max())
        s["note"] = _(
            "One D step: D's loss {loss:.3f}. D's map changed by up to {moved:.3f}; the fake points did not move."
        ).format(loss=delta.loss, moved=moved)
    elif kind == "g":
        delta = t.g_step(record=True)
        moved = float(np.linalg.norm(delta.fakes_after - delta.fakes_before, axis=1).mean())
        s["note"] = _(
            "One G step: G's loss {loss:.3f}. The fake points moved {moved:.4f} on average, along "
            "the orange arrows; D's map did not change."
        ).format(loss=delta.loss, moved=moved)
    else:
        loss = t.iteration()
        s["note"] = _("One iteration: {d} D step(s), then one G step (G's loss {loss:.3f}).").format(
            d=t.cfg.d_steps, loss=loss
        )
    t.measure()
    _send(s, [before, encode_frame(t.frame(), _label(t))])


def _burst(s: dict, iterations: int) -> None:
    t: ToyTrainer = s["trainer"]
    frames = t.train(iterations, frames=min(iterations, MAX_FRAMES))
    t.measure()
    _send(s, [encode_frame(f, _("iteration {i}").format(i=f["iteration"])) for f in frames])


# ------------------------------------------------------------------------------------------------
# Widgets
# ------------------------------------------------------------------------------------------------
def settings_ui() -> ToyConfig | str:
    """The settings widgets; returns the config they describe, or why there is none (a sentence)."""
    ss = st.session_state
    if "pg_target" not in ss:
        ss["pg_preset"] = "ring"
        _apply_preset()
    c1, c2, c3 = st.columns(3)
    c1.selectbox(
        _("Preset"),
        list(TOY_PRESETS),
        key="pg_preset",
        on_change=_apply_preset,
        help=_("Settings measured to show something: mode collapse, its fix, a harder target."),
    )
    c2.selectbox(_("Target distribution"), TARGETS, key="pg_target", format_func=lambda k: _(TARGET_NAMES[k]))
    c3.selectbox(
        _("Loss"),
        list(LOSS_INFO),
        key="pg_loss",
        format_func=lambda k: LOSS_INFO[k].label,
        help=_("The same losses the MNIST side trains with."),
    )
    with st.expander(_("More settings")):
        a, b, c = st.columns(3)
        a.select_slider(_("G's learning rate"), [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], key="pg_lr_g")
        b.select_slider(_("D's learning rate"), [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], key="pg_lr_d")
        c.number_input(_("D steps per G step"), 1, 20, key="pg_d_steps")
        a.selectbox(
            _("Optimiser"), OPTIMIZERS, key="pg_optimizer", format_func=lambda k: {"adam": "Adam", "sgd": "SGD"}[k]
        )
        b.number_input(_("Adam β1"), 0.0, 0.99, step=0.1, key="pg_beta1")
        c.number_input(_("Adam β2"), 0.0, 0.9999, step=0.01, format="%.4f", key="pg_beta2")
        a.number_input(
            _("Label smoothing"),
            0.0,
            0.4,
            step=0.05,
            key="pg_label_smoothing",
            help=_("One-sided: D's target for real points becomes 1 − this. BCE and least-squares only."),
        )
        b.number_input(
            _("z dimensions"),
            1,
            8,
            key="pg_z_dim",
            help=_("With more than 2, the mesh is a slice through the first two."),
        )
        c.number_input(_("Batch size"), 2, 4096, key="pg_batch_size")
        a.toggle(_("Spectral norm in D"), key="pg_spectral_norm")
        b.number_input(_("Seed"), 0, 2**31 - 1, key="pg_seed")
    values = {
        name[3:]: ss[name]
        for name in ss
        if isinstance(name, str) and name.startswith("pg_") and name[3:] in ToyConfig.__dataclass_fields__
    }
    values["custom_points"] = _state()["points"] if values.get("target") == "custom" else ()
    try:
        return ToyConfig().replace(**values).validate()
    except ValueError as exc:
        return str(exc)


def _charts(t: ToyTrainer) -> None:
    n = len(t.g_losses)
    step = max(1, n // 400)
    x = list(range(1, n + 1, step))
    fig = go.Figure()
    fig.add_scatter(x=x, y=t.d_losses[::step], name=_("D's loss"), line={"color": "#E69F00"})
    fig.add_scatter(x=x, y=t.g_losses[::step], name=_("G's loss"), line={"color": "#0072B2"})
    fig.update_layout(
        title=_("Losses"),
        height=230,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title=_("iteration"),
        legend={"orientation": "h", "y": -0.3},
        uirevision="losses",
    )
    st.plotly_chart(fig, key="pg_losses", width="stretch")
    if t.target.is_mixture and t.metrics:
        it, covered, hq = zip(*t.metrics)
        fig = go.Figure()
        fig.add_scatter(x=it, y=covered, name=_("modes covered"), line={"color": "#009E73"})
        fig.add_scatter(
            x=it,
            y=[100 * v for v in hq],
            name=_("high-quality %"),
            yaxis="y2",
            line={"color": "#6d28d9", "dash": "dot"},
        )
        modes = len(t.target.centres)
        fig.update_layout(
            title=_("Modes covered (of {n}) and high-quality share").format(n=modes),
            height=230,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
            uirevision="modes",
            yaxis={"range": [0, modes + 0.5]},
            yaxis2={"overlaying": "y", "side": "right", "range": [0, 101], "dtick": 25, "showgrid": False},
            legend={"orientation": "h", "y": -0.3},
        )
        st.plotly_chart(fig, key="pg_modes", width="stretch")
        st.caption(
            _(
                "A mode is covered when at least 20 of 2,500 samples fall within 3σ of its centre; a sample "
                "is high quality when it lies within 3σ of some mode (VEEGAN's rule)."
            )
        )


def _view(s: dict, speed: str) -> None:
    if s.pop("rerun", False):
        st.rerun(scope="app")
    t: ToyTrainer | None = s["trainer"]
    drawing = st.session_state.get("pg_target") == "custom"
    left, right = st.columns([3, 2])
    with left:
        if s["playing"] and t is not None:
            _burst(s, SPEEDS[speed])
        data = {
            "run": s["run"],
            "seq": s["seq"],
            "bounds": PLANE,
            "heatSide": HEAT_SIDE,
            "real": _r(t.real_shown.numpy()) if t else [],
            "frames": s["frames"],
            "duration": BURST_SECONDS * 1000 if s["playing"] else 1200,
            "playing": s["playing"],
            "probabilistic": bool(t and t.info.probabilistic),
            "drawing": drawing,
            "points": s["points"],
            "maxPoints": CUSTOM_MAX,
            "text": {
                "real": _("real data"),
                "fake": _("G's points"),
                "arrows": _("push on G's points (−∂L_G/∂x)"),
                "mesh": _("G's manifold (image of a z grid)"),
                "contour": _("D's decision line"),
                "heat": _("D: fake ↔ real"),
                "iteration": "",
                "drawHint": _("Click or tap the plane to add points."),
                "clear": _("Clear points"),
            },
        }
        with st.container(key="pg_view_box"):
            _component()(key=COMPONENT_KEY, data=data, width="stretch", height="content", on_points_change=_on_points)
        if s["note"]:
            st.caption(s["note"])
    with right:
        if t is not None:
            _charts(t)


def render() -> None:
    st.title(_("Playground"))
    st.caption(
        _(
            "The GAN game on a plane: real points (green) from a distribution, G's points (violet), D's verdict "
            "everywhere as a background, and the push D gives each of G's points."
        )
    )
    s = _state()
    cfg = settings_ui()
    if isinstance(cfg, str):
        s["error"] = cfg
        if s["trainer"] is not None:  # the game on screen no longer matches the settings
            s["trainer"], s["playing"], s["frames"], s["run"] = None, False, [], s["run"] + 1
    else:
        s["error"] = ""
        if s["trainer"] is None or s["trainer"].cfg != cfg:
            _new_game(s, cfg)
            s["playing"] = False
    row = st.container(horizontal=True, key="pg_buttons")
    disabled = s["trainer"] is None
    if row.button(_("Pause") if s["playing"] else _("Train"), type="primary", key="pg_play", disabled=disabled):
        s["playing"] = not s["playing"]
        st.rerun()
    row.button(_("One D step"), key="pg_d_step", on_click=_step, args=("d",), disabled=disabled)
    row.button(_("One G step"), key="pg_g_step", on_click=_step, args=("g",), disabled=disabled)
    row.button(_("One iteration"), key="pg_iteration", on_click=_step, args=("i",), disabled=disabled)
    if row.button(_("Restart"), key="pg_restart", disabled=disabled):
        _new_game(s, s["trainer"].cfg)
        s["playing"] = False
    speed = row.select_slider(
        _("Speed"),
        list(SPEEDS),
        value="normal",
        key="pg_speed",
        format_func=lambda k: _(k),
        label_visibility="collapsed",
    )
    if s["error"]:
        st.info(s["error"])
    run_every = BURST_SECONDS if s["playing"] else None
    st.fragment(run_every=run_every)(_view)(s, speed)
