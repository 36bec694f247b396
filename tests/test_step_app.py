"""Step mode on the Train page through AppTest: pause a real run, press One D step / One G step / One full
iteration, and see D's verdict chart and the before/after/what-changed grids; stepping moves the run's
weights while its step counter stays (steps are not part of the recorded curve)."""

from __future__ import annotations

import pytest
from test_app import metric, open_app, poll

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
