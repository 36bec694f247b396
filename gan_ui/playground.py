"""The Playground page: the GAN game on the plane, played continuously or one step at a time, alone or as a lesson.

The game itself is gan_core.toy2d.ToyTrainer; one per browser session (gan_ui/playground_game.py). This page:

* while playing, a fragment reruns once a second (BURST_SECONDS), trains one burst (SPEEDS: from 2 iterations,
  slow motion, to 200) and sends the 2-30 frames it recorded to the view component (gan_ui/toy_view), which
  plays them on a <canvas> over the next second, tweening between frames that are far apart, and keeps the
  last one. One Streamlit rerun per second, not one per frame. A burst is bounded work: it stops after
  BURST_BUDGET seconds of training (a busy machine trains fewer iterations, and the burst still arrives each
  second with its frames), so it runs in the fragment itself: no thread to leak.
* the step buttons run one D step, one G step or one iteration and send two frames, before and after, played
  in slow motion, with a sentence saying what moved. The buttons live in the view's fragment, so a click reruns
  the view and its charts only; a click that changes the page around it (the Train button, a lesson's
  prediction and progress) asks for a full rerun;
* "custom": clicks (or taps) on the canvas add points; each click starts a new game on them.
* the settings are gan_ui/playground_settings.py's; a Playground lesson (gan_ui/playground_lesson.py) wraps the
  game in predict-then-run, and a teacher's link can open one with settings locked.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from gan_core.i18n import _
from gan_core.toy2d import HEAT_SIDE, ToyTrainer
from gan_core.toy2d_data import CUSTOM_MAX, PLANE

from . import language, playground_lesson
from .playground_game import (
    BURST_SECONDS,
    COMPONENT_KEY,
    SPEEDS,
    burst,
    encode_frame,
    new_game,
    on_points,
    rounded,
    state,
    step,
)
from .playground_settings import TARGET_NAMES, settings_ui

__all__ = ["TARGET_NAMES", "encode_frame", "render"]

HERE = Path(__file__).resolve().parent / "toy_view"
CHART_SECONDS = 3.0  # while playing, the loss and mode charts are rebuilt at most this often


@functools.cache
def _component():
    return st.components.v2.component(
        "gan_toy_view",
        js=(HERE / "component.js").read_text(),
        css=(HERE / "toy_view.css").read_text(),
        isolate_styles=False,
    )


def _charts(s: dict, t: ToyTrainer) -> None:
    """The charts, rebuilt at most every CHART_SECONDS while playing: between two rebuilds the page gets the same
    figures again, which the browser need not redraw (Plotly's redraw of two charts each second was what kept
    Chromium from animating the view on a busy machine; BENCHMARKS.md, Playground frame rate)."""
    now = time.monotonic()
    kept = s.get("charts")
    if not (s["playing"] and kept and kept[0] == id(t) and now - kept[1] < CHART_SECONDS):
        kept = s["charts"] = (id(t), now, _figures(t))
    losses, modes = kept[2]
    st.plotly_chart(losses, key="pg_losses", width="stretch")
    if modes is not None:
        st.plotly_chart(modes, key="pg_modes", width="stretch")
        st.caption(
            _(
                "A mode is covered when at least 20 of 2,500 samples fall within 3σ of its centre; a sample "
                "is high quality when it lies within 3σ of some mode (VEEGAN's rule)."
            )
        )


def _figures(t: ToyTrainer) -> tuple[go.Figure, go.Figure | None]:
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
    losses = fig
    if not (t.target.is_mixture and t.metrics):
        return losses, None
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
    return losses, fig


def _view(s: dict, lesson) -> None:
    language.use_language()  # a fragment rerun starts in a fresh context: the bursts' labels, the charts
    full_run = s.pop("full_run", False)  # set by render(): the rest of the page is drawn in this run too
    if s.pop("rerun", False) and not full_run:
        st.rerun(scope="app")  # a click reran only this fragment, and the page around it must see it
    _buttons(s, lesson)
    speed = st.session_state.get("pg_speed", "normal")
    t: ToyTrainer | None = s["trainer"]
    drawing = st.session_state.get("pg_target") == "custom"
    left, right = st.columns([3, 2])
    with left:
        if s["playing"] and t is not None:
            burst(s, SPEEDS[speed])
            if not full_run and playground_lesson.answer_pending(t):
                st.rerun(scope="app")  # the lesson's answer is now due: the page below the view must show it
        data = {
            "run": s["run"],
            "seq": s["seq"],
            "bounds": PLANE,
            "heatSide": HEAT_SIDE,
            "real": rounded(t.real_shown.numpy()) if t else [],
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
            _component()(key=COMPONENT_KEY, data=data, width="stretch", height="content", on_points_change=on_points)
        if s["note"]:
            st.caption(s["note"])
    with right:
        if t is not None:
            _charts(s, t)


def render() -> None:
    st.title(_("Playground"))
    st.caption(
        _(
            "The GAN game on a plane: real points (green) from a distribution, G's points (violet), D's verdict "
            "everywhere as a background, and the push D gives each of G's points."
        )
    )
    s = state()
    s["full_run"] = True
    playground_lesson.sync()  # a lesson opened (picked, or by a teacher's link) sets the settings below
    lesson = playground_lesson.header(s["trainer"])
    cfg = settings_ui()
    if isinstance(cfg, str):
        s["error"] = cfg
        if s["trainer"] is not None:  # the game on screen no longer matches the settings
            s["trainer"], s["playing"], s["frames"], s["run"] = None, False, [], s["run"] + 1
    else:
        s["error"] = ""
        if s["trainer"] is None or s["trainer"].cfg != cfg:
            new_game(s, cfg)
            s["playing"] = False
    if s["error"]:
        st.info(s["error"])
    run_every = BURST_SECONDS if s["playing"] else None
    # The buttons are in the view's fragment: a step click reruns the view and its charts, not the whole page
    # (bench/step_latency.py --browser); what the page around it must show asks for a full rerun ("rerun").
    st.fragment(run_every=run_every)(_view)(s, lesson)
    playground_lesson.footer(lesson, s["trainer"])


def _on_step(kind: str, lesson) -> None:
    language.use_language()  # the callback runs before the fragment: the step's note and labels in the tab's
    s = state()
    # The page outside the view must change too when the game stops playing (the Train button), or when a
    # lesson's prediction locks or its progress counts: then the whole page reruns, else only the view.
    if s["playing"] or (lesson is not None and not playground_lesson.answer_due(lesson, s["trainer"])):
        s["rerun"] = True
    playground_lesson.mark_started(lesson)
    step(kind)


def _buttons(s: dict, lesson) -> None:
    """Train/Pause, the three step buttons, Restart and the speed; a lesson's wait for a prediction."""
    row = st.container(horizontal=True, key="pg_buttons")
    disabled = s["trainer"] is None or not playground_lesson.may_play(lesson)
    if row.button(_("Pause") if s["playing"] else _("Train"), type="primary", key="pg_play", disabled=disabled):
        s["playing"] = not s["playing"]
        playground_lesson.mark_started(lesson)
        st.rerun()
    row.button(_("One D step"), key="pg_d_step", on_click=_on_step, args=("d", lesson), disabled=disabled)
    row.button(_("One G step"), key="pg_g_step", on_click=_on_step, args=("g", lesson), disabled=disabled)
    row.button(_("One iteration"), key="pg_iteration", on_click=_on_step, args=("i", lesson), disabled=disabled)
    if row.button(_("Restart"), key="pg_restart", disabled=s["trainer"] is None):
        new_game(s, s["trainer"].cfg)
        s["playing"] = False
        st.rerun()
    row.select_slider(
        _("Speed"),
        list(SPEEDS),
        value="normal",
        key="pg_speed",
        format_func=lambda k: _(k),
        label_visibility="collapsed",
    )
