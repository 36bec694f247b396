"""Step mode on the Train page through AppTest: pause a real run, press One D step / One G step / One full
iteration, and see D's verdict chart and the before/after/what-changed grids; stepping moves the run's
weights while its step counter stays (steps are not part of the recorded curve)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from test_app import metric, open_app, poll

from gan_ui.step_view import heat_png

pytestmark = pytest.mark.usefixtures("app_env")


def test_step_buttons_show_what_each_step_changed():
    at = open_app("train")
    at.selectbox(key="cfg_preset").set_value("mlp").run()
    at.segmented_control(key="budget").set_value("Steps").run()
    at.number_input(key="budget_steps").set_value(100_000).run()
    assert not any(b.key == "btn_step_d" for b in at.button)  # no step mode while training
    at.button(key="btn_start").click().run()
    poll(at, lambda a: int(metric(a, "Step").replace(",", "")) > 0, what="the first steps")
    at.button(key="btn_pause").click().run()
    poll(at, lambda a: any(b.key == "btn_step_d" for b in a.button), what="step mode")
    step = metric(at, "Step")

    at.button(key="btn_step_d").click().run()
    assert not at.exception, at.exception
    assert any("D learned to reject these" in m.value for m in at.markdown)
    n_charts = len(at.get("plotly_chart"))
    assert not any("G moved these pixels" in m.value for m in at.markdown)

    at.button(key="btn_step_g").click().run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == n_charts - 1  # D's before/after chart belongs to the D step only
    assert any("G moved these pixels to fool D" in m.value for m in at.markdown)
    assert [c.value for c in at.caption if c.value in ("before", "after", "what changed")] == [
        "before",
        "after",
        "what changed",
    ]

    at.button(key="btn_step_both").click().run()
    assert any("D learned to reject these" in m.value for m in at.markdown)
    assert any("G moved these pixels to fool D" in m.value for m in at.markdown)
    assert metric(at, "Step") == step  # hand steps are not recorded as training steps

    at.button(key="btn_resume").click().run()
    poll(at, lambda a: not any(b.key == "btn_step_d" for b in a.button), what="step mode to close on resume")
    at.button(key="btn_stop").click().run()


def test_heat_map_colours_each_change_black_to_red_to_yellow():
    """heat_png: |after - before| scaled to the largest change; 0 black, half red, the largest yellow; each
    pixel a scale x scale block. Checked pixel by pixel against the colour rule computed in floating point (to
    one level: rounding)."""
    change = np.random.default_rng(0).random((16, 28, 28)).astype(np.float32) ** 3 * 0.4  # (16, 28, 28)
    change[0, 0, 0], change[0, 0, 2] = 0.0, change.max()
    got = np.asarray(Image.open(io.BytesIO(heat_png(change, ncol=8, scale=2))).convert("RGB"))
    level = (np.clip(change / change.max(), 0, 1) * 255).astype(np.uint8) / 255.0  # (16, 28, 28)
    want = (np.stack([np.clip(2 * level, 0, 1), np.clip(2 * level - 1, 0, 1), 0 * level], -1) * 255).astype(np.uint8)
    assert got.shape == (2 * (2 * 30 + 2), 2 * (8 * 30 + 2), 3)  # 2 rows, 8 columns of 28 px + 2 px gaps, x2
    for i in (0, 5, 15):
        r, c = divmod(i, 8)
        y0, x0 = 2 * (2 + r * 30), 2 * (2 + c * 30)
        for dy in (0, 1):  # both rows and columns of each 2x2 block
            tile = got[y0 + dy : y0 + 56 : 2, x0 + dy : x0 + 56 : 2].astype(int)  # (28, 28, 3)
            assert np.abs(tile - want[i]).max() <= 1, f"tile {i}"
    assert tuple(got[4, 4]) == (0, 0, 0)  # unchanged: black
    assert tuple(got[4, 8]) == (255, 255, 0)  # the largest change: yellow
