"""The Playground's game for one browser session: its state, the step buttons' and the bursts' work, and the
frames sent to the view component (gan_ui/toy_view), compact: the heat-map as bytes, points to 3 decimals.

The game itself is gan_core.toy2d.ToyTrainer; gan_ui/playground.py draws the page around it.
"""

from __future__ import annotations

import base64

import numpy as np
import streamlit as st

from gan_core.i18n import N_, _
from gan_core.toy2d import ToyConfig, ToyTrainer
from gan_core.toy2d_data import CUSTOM_MAX

COMPONENT_KEY = "pg_view"
BURST_SECONDS = 1.0  # one rerun a second while playing: the view plays the burst's frames over it
BURST_BUDGET = 0.4  # at most this much of the second is spent training: on a busy machine a burst trains fewer
#   iterations, but it still arrives every second and the view keeps moving (BENCHMARKS.md, Playground frame rate)
MAX_FRAMES = 30  # frames per burst: 30 frames/s on screen, ~60 KB a second to the browser
ARROW_SCALE = 0.25  # an arrow is 0.25 plane units per unit of -dL_G/dx: lengths compare across frames,
ARROW_MAX = 0.6  #   so a vanishing gradient (minimax) shows as short arrows; capped to stay readable
SPEEDS = {  # name -> iterations per burst (per second)
    N_("slow motion"): 2,
    N_("slow"): 10,
    N_("normal"): 60,
    N_("fast"): 200,
}
STATE = "pg_state"


def rounded(a: np.ndarray) -> list[float]:
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
        "fake": rounded(frame["fake"]),
        "heat": base64.b64encode(q.tobytes()).decode("ascii"),
        "lo": lo,
        "hi": hi,
        "level": frame["level"],
        "arrows": rounded(arrows),
        "mesh": rounded(mesh),
        "rows": int(mesh.shape[1]),
        "cols": int(mesh.shape[0]),
    }


def gauge(t: ToyTrainer, frame: dict) -> str:
    """D's verdict on G's points and the mean push on them: the loss lesson's two numbers, on every frame."""
    if t.info.probabilistic:
        return _("D(G(z)) {v:.3f} · push {p:.3g}").format(v=frame["verdict"], p=frame["push_norm"])
    return _("D's score on G's points {v:.2f} · push {p:.3g}").format(v=frame["verdict"], p=frame["push_norm"])


def frame_label(t: ToyTrainer, frame: dict) -> str:
    text = _("iteration {i} · {d} D steps, {g} G steps").format(i=t.iterations, d=t.d_updates, g=t.g_updates)
    if t.cfg.d_head_start:
        text += " " + _("(D trained alone for {n} steps first)").format(n=t.cfg.d_head_start)
    return text + " · " + gauge(t, frame)


# ------------------------------------------------------------------------------------------------
# Session state: one game per browser session
# ------------------------------------------------------------------------------------------------
def state() -> dict:
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


def send(s: dict, frames: list[dict]) -> None:
    s["frames"], s["seq"] = frames, s["seq"] + 1


def new_game(s: dict, cfg: ToyConfig) -> None:
    s["trainer"] = t = ToyTrainer(cfg)
    s["run"] += 1
    s["note"] = ""
    t.measure()
    f = t.frame()
    send(s, [encode_frame(f, frame_label(t, f))])


def on_points() -> None:
    value = (st.session_state.get(COMPONENT_KEY) or {}).get("points")
    if isinstance(value, list):
        try:
            s = state()
            s["points"] = [[float(p[0]), float(p[1])] for p in value][:CUSTOM_MAX]
            s["playing"] = False
            s["rerun"] = True  # the click reran only the view's fragment: the settings must see it
        except (TypeError, ValueError, IndexError):
            return


def step(kind: str) -> None:
    s = state()
    t: ToyTrainer | None = s["trainer"]
    if t is None:
        return
    s["playing"] = False
    f = t.frame()
    before = encode_frame(f, frame_label(t, f))
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
            "the orange arrows (mean push {push:.3g}); D's map did not change."
        ).format(loss=delta.loss, moved=moved, push=float(np.linalg.norm(delta.push, axis=1).mean()))
    else:
        loss = t.iteration()
        s["note"] = _("One iteration: {d} D step(s), then one G step (G's loss {loss:.3f}).").format(
            d=t.cfg.d_steps, loss=loss
        )
    t.measure()
    f = t.frame()
    send(s, [before, encode_frame(f, frame_label(t, f))])


def burst(s: dict, iterations: int) -> None:
    t: ToyTrainer = s["trainer"]
    frames = t.train(iterations, frames=min(iterations, MAX_FRAMES), seconds=BURST_BUDGET)
    t.measure()
    send(s, [encode_frame(f, _("iteration {i}").format(i=f["iteration"]) + " · " + gauge(t, f)) for f in frames])
