"""The app's views driven through streamlit.testing.v1.AppTest, on real (offline) digits.

Every interaction needs .run(); fragment timers never fire in AppTest, so a test polls a live run
by calling .run() again. The app runs in test mode (GAN_CLASSROOM_TEST_MODE=1: 2 s / 5-step budgets,
a snapshot every 2 steps), and every run a test starts is stopped in teardown.
"""

from __future__ import annotations

import base64
import io
import math
import re
import time

import numpy as np
import pytest
import torch
from e2e_support import ROOT, open_tab, wait_for
from PIL import Image
from streamlit.testing.v1 import AppTest

import gan_core.runs
from gan_core import GANConfig, build_models, checkpoint_bytes, list_pretrained, load_checkpoint, load_checkpoint_bytes
from gan_core.config import DEFAULT_PRESET
from gan_ui.images import z_views

APP = str(ROOT / "app.py")
TIMEOUT = 120  # seconds per script run; generous because CI machines may be shared
pytestmark = pytest.mark.usefixtures("app_env")  # tests/conftest.py: offline, test mode, runs stopped after


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if page:
        at.switch_page(f"gan_ui/pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def model_file(conditional: bool = False, latent_dim: int = 16, seed: int = 0) -> bytes:
    """A small generator whose weights are large enough that every z gives a visibly different image."""
    cfg = GANConfig(latent_dim=latent_dim, conditional=conditional, g_width=16, d_width=16)
    G, _ = build_models(cfg)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in G.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return checkpoint_bytes(cfg, G.eval(), info={"steps": 1})


def upload(at: AppTest, data: bytes, name: str = "mine.safetensors") -> AppTest:
    at.file_uploader(key="model_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    return at


def digit_url(at: AppTest) -> str:
    """The big digit's URL: a data: URL of its PNG (it rides inline), so it changes exactly when the bytes do."""
    return next(img.value[0] for img in at.image if img.captions and img.captions[0].startswith("G(z)"))


def z_values(at: AppTest, dim: int) -> list[float]:
    return [at.session_state[f"z_{k}"] for k in range(dim)]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def poll(at: AppTest, predicate, timeout: float = 180, what: str = "the run"):
    def check():
        at.run()
        assert not at.exception, at.exception
        return predicate(at)

    return wait_for(check, timeout, interval=0.5, what=what)


def store_of(at: AppTest):
    """The SessionStore of this AppTest's tab (its ?tab= token)."""
    from gan_ui import state

    tab = at.session_state["_tab_token"]
    return next(s for s in state.live_stores() if s.owner == tab and not s.closed)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# ------------------------------------------------------------------------------------------------ Explore
def test_app_opens_on_explore_with_the_shipped_generator():
    shipped = list_pretrained()
    assert shipped, "pretrained/ ships no generator: Explore would open empty"
    at = open_app()
    assert at.title[0].value == "Explore a generator"
    assert at.selectbox(key="explore_model").value == f"shipped:{DEFAULT_PRESET}"  # the default recipe's model
    assert digit_url(at).startswith("data:image/png;base64,")  # PNG, never a re-encoded (blurry) JPEG
    tabs = [t.label for t in at.tabs]
    assert tabs == ["Latent sliders", "Interpolation", "Gallery", "Training timeline", "Directions", "Your digit"]


def image_with_caption(at: AppTest, prefix: str) -> str:
    return next(img.value[0] for img in at.image if img.captions and img.captions[0].startswith(prefix))


def test_shipped_model_timeline_scrubs_snapshots_and_pins_a_z():
    """A shipped model's snapshots can be scrubbed in Explore without training anything."""
    shipped = DEFAULT_PRESET  # the model Explore opens on
    steps = [s for s, _ in load_checkpoint(shipped).snapshots]
    assert steps, f"pretrained/{shipped}.safetensors carries no snapshots"
    at = open_tab(open_app(), "Training timeline")
    slider = at.select_slider(key=f"timeline_shipped:{shipped}")
    assert slider.options[0] == "step 0"  # the untrained G, rebuilt from the seed
    later = [s for s in steps if s > 0]  # a saved step-0 snapshot is not listed twice
    assert slider.options[1 : len(later) + 1] == [f"step {s:,}" for s in later]
    last = slider.options[-1]
    assert slider.value == int(last.removeprefix("step ").replace(",", ""))  # opens on the trained G
    trained = image_with_caption(at, "G at step")
    strip = image_with_caption(at, "Steps 0 → ")
    slider.set_value(later[0]).run()
    assert not at.exception, at.exception
    assert image_with_caption(at, f"G at step {later[0]:,} of") != trained
    at.select_slider(key=f"timeline_shipped:{shipped}").set_value(0).run()
    noise = image_with_caption(at, "G at step 0 of")
    assert noise != trained
    # pin another z: move a slider (in its own tab), pin it, and the strip redraws it through every snapshot
    open_tab(at, "Latent sliders")
    at.slider(key="z_0").set_value(-2.5 if at.slider(key="z_0").value > 0 else 2.5).run()
    open_tab(at, "Training timeline")
    assert image_with_caption(at, "Steps 0 → ") == strip  # nothing pinned yet
    button(at, "Pin this z").click().run()
    assert not at.exception, at.exception
    assert image_with_caption(at, "Steps 0 → ") != strip
    assert at.session_state["timeline_z"] == z_values(at, len(at.session_state["timeline_z"]))


def test_a_model_without_snapshots_explains_the_empty_timeline():
    at = open_tab(upload(open_app(), model_file()), "Training timeline")
    assert any("carries no snapshots" in i.value for i in at.info)


def test_one_slider_per_dimension_within_three_sigma():
    at = upload(open_app(), model_file(latent_dim=12))
    z_sliders = lambda: [s for s in at.slider if s.key and s.key.startswith("z_")]  # noqa: E731
    assert sorted(s.key for s in z_sliders()) == sorted(f"z_{k}" for k in range(8))  # the rest: closed panel
    assert at.expander[0].label == "More dimensions (4 more)"
    hidden = [at.session_state[f"z_{k}"] for k in range(8, 12)]  # ...still part of z
    at.session_state["more_dims_open"] = True  # what a click on it does
    at.run()
    sliders = z_sliders()
    assert sorted(s.key for s in sliders) == sorted(f"z_{k}" for k in range(12))
    assert all(s.min == -3.0 and s.max == 3.0 for s in sliders)
    assert [at.slider(key=f"z_{k}").value for k in range(8, 12)] == hidden


def test_a_closed_panels_dimensions_still_shape_the_digit():
    """Dimensions 9-12 sit in a closed panel (not drawn), yet Random z sets them and the digit uses them."""
    at = upload(open_app(), model_file(latent_dim=12))
    before = digit_url(at)
    at.session_state["z_10"] = 2.5 if at.session_state["z_10"] < 0 else -2.5
    at.run()
    assert not at.exception and digit_url(at) != before
    assert at.session_state["z_10"] in (2.5, -2.5)  # kept though its slider is not drawn


def shown_digit(at: AppTest) -> np.ndarray:
    """The pixels of the big digit, decoded from its data: URL as the browser does."""
    head, _, body = digit_url(at).partition(",")
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(body))))


def test_moving_a_slider_changes_the_digit():
    data = model_file()
    at = upload(open_app(), data)
    before = digit_url(at)
    at.slider(key="z_0").set_value(2.5).run()
    assert digit_url(at) != before
    # The digit rides inline in the page's message: exactly G(z) for the sliders' z, pixel for pixel.
    G = load_checkpoint_bytes(data).G
    assert np.array_equal(shown_digit(at), z_views(G, torch.tensor(z_values(at, 16)), 0).digit)
    at.slider(key="z_0").set_value(-2.5).run()
    assert digit_url(at) != before
    assert np.array_equal(shown_digit(at), z_views(G, torch.tensor(z_values(at, 16)), 0).digit)


def test_random_and_reset_buttons():
    at = upload(open_app(), model_file())
    button(at, "Reset to zero").click().run()
    assert z_values(at, 16) == [0.0] * 16
    zero_digit = digit_url(at)
    button(at, "Random z").click().run()
    z = z_values(at, 16)
    assert any(v != 0 for v in z) and all(-3 <= v <= 3 for v in z)
    assert digit_url(at) != zero_digit


def test_paste_z_applies_good_text_and_explains_bad_text():
    at = upload(open_app(), model_file(latent_dim=4))
    before = z_values(at, 4)
    assert not at.text_input, "the closed popover's field is not drawn (lazy: a slider move does not re-send it)"
    at.session_state["z_copy_open"] = True  # what a click on "Copy / paste z" does
    at.run()
    at.text_input(key="z_paste").input("[1, 2,").run()
    button(at, "Use the pasted z").click().run()
    assert any("not a valid JSON list" in e.value for e in at.error)
    assert z_values(at, 4) == before  # nothing lost
    assert at.text_input(key="z_paste").value == "[1, 2,"  # the text stays for fixing
    at.text_input(key="z_paste").input("0.5, -1, 2, 0").run()
    button(at, "Use the pasted z").click().run()
    assert z_values(at, 4) == [0.5, -1.0, 2.0, 0.0]
    assert not at.error
    assert at.code[0].value == "[0.5, -1.0, 2.0, 0.0]"  # the copy box shows the new z


def test_sweep_interpolation_and_gallery_render_strips():
    at = upload(open_app(), model_file())
    captions = [c for img in at.image for c in img.captions]
    assert any(c.startswith("z1 swept from −3σ to +3σ") for c in captions)
    at.selectbox(key="sweep_dim").set_value(5).run()
    assert any(c.startswith("z5 swept") for img in at.image for c in img.captions)
    open_tab(at, "Interpolation")
    morph = next(img.value[0] for img in at.image if img.captions and img.captions[0].startswith("t = 0.50"))
    at.slider(key="morph_t").set_value(0.0).run()
    assert next(img.value[0] for img in at.image if img.captions and img.captions[0] == "t = 0.00") != morph
    assert [m.value for m in at.markdown if m.value.startswith("**")][:2] == [
        "**Linear (lerp)**: A → B",
        "**Spherical (slerp)**: A → B",
    ]
    open_tab(at, "Gallery")
    grid_before = [img.value[0] for img in at.image]
    button(at, "New samples").click().run()
    assert [img.value[0] for img in at.image] != grid_before


def test_bad_upload_shows_the_checkpoint_error_and_keeps_the_model():
    at = upload(open_app(), model_file())
    chosen = at.selectbox(key="explore_model").value
    upload(at, b"PK\x03\x04 this is a torch.save zip", "evil.safetensors")
    assert any("pickle" in e.value and "evil.safetensors" in e.value for e in at.error)
    assert at.selectbox(key="explore_model").value == chosen


def test_conditional_model_has_a_digit_picker_and_all_ten_digits_row():
    at = upload(open_app(), model_file(conditional=True))
    assert "Same z, all ten digits" in [s.value for s in at.subheader]
    before = digit_url(at)
    at.pills(key="explore_label").set_value(7).run()
    assert digit_url(at) != before


# ------------------------------------------------------------------------------------------------ Train
def test_preset_fills_the_controls_and_a_change_resets_them():
    at = open_app("train")
    assert at.title[0].value == "Train a GAN"
    at.select_slider(key="cfg_lr_g").set_value(1e-3).run()
    at.selectbox(key="cfg_preset").set_value("wgan-gp").run()
    ss = at.session_state
    assert (ss["cfg_loss"], ss["cfg_d_steps"], ss["cfg_lr_g"], ss["cfg_beta1"], ss["cfg_beta2"]) == (
        "wgan-gp",
        5,
        1e-4,
        0.0,
        0.9,
    )
    at.selectbox(key="cfg_preset").set_value("dcgan").run()
    assert (ss["cfg_loss"], ss["cfg_d_steps"], ss["cfg_lr_g"]) == ("non-saturating", 1, 2e-4)


def test_invalid_combination_is_explained_and_start_is_disabled():
    at = open_app("train")
    at.selectbox(key="cfg_loss").set_value("hinge").run()
    at.select_slider(key="cfg_label_smoothing").set_value(0.1).run()
    assert any("Label smoothing" in e.value and "hinge" in e.value for e in at.error)
    assert at.button(key="btn_start").disabled
    assert not at.exception
    at.select_slider(key="cfg_label_smoothing").set_value(0.0).run()
    assert not at.error and not at.button(key="btn_start").disabled


def test_controls_survive_a_visit_to_another_page():
    at = open_app("train")
    at.selectbox(key="cfg_preset").set_value("collapse").run()
    at.switch_page("gan_ui/pages/explore.py").run()
    at.switch_page("gan_ui/pages/train.py").run()
    assert at.selectbox(key="cfg_preset").value == "collapse"
    assert at.session_state["cfg_arch"] == "mlp"


def test_a_short_run_trains_then_opens_in_explore():
    at = open_app("train")
    assert any("No run yet" in i.value for i in at.info)
    at.segmented_control(key="budget").set_value("5 steps").run()
    at.button(key="btn_start").click().run()
    assert at.button(key="btn_start").disabled  # one run at a time per tab
    poll(at, lambda a: any("Reached the budget of 5 steps" in s.value for s in a.success), what="5 steps")
    assert metric(at, "Step") == "5"
    # the sample-quality panel: a digit classifier's reading of G's samples, the last one at the final step
    assert "Sample quality" in [s.value for s in at.subheader]
    assert re.fullmatch(r"(10|\d)/10", metric(at, "Classes present"))
    for label in ("Class KL", "Classifier IS", "Fréchet distance"):
        assert math.isfinite(float(metric(at, label).replace(",", "")))
    assert any("fewer means mode collapse" in c.value for c in at.caption)
    assert any("Latest reading: step 5." in c.value for c in at.caption)
    monitor = store_of(at).run(1).quality
    assert [s for s, _ in monitor.records()][-1] == 5 and monitor.error is None
    assert len(at.get("plotly_chart")) == 5  # losses, D's verdicts, gradients + histogram, FD
    # the timeline: scrub to the first snapshot (pure noise), pin a cell
    slider = at.select_slider(key="tl_1")
    assert slider.options[0] == "step 0" and slider.value == len(slider.options) - 1
    slider.set_value(0).run()
    at.number_input(key="pin_1").set_value(10).run()
    assert any("Cell 10 across the run" in m.value for m in at.markdown)
    at.toggle(key="growz_1").set_value(True).run() if any(t.key == "growz_1" for t in at.toggle) else None
    assert not at.exception
    # open the run's generator in Explore with one click
    button(at, "Open in Explore").click().run()
    assert at.title[0].value == "Explore a generator"
    assert at.selectbox(key="explore_model").value == "run:1"
    assert any("trained in this tab" in c.value for c in at.caption)
    # the .safetensors the download button serves can be uploaded again later
    data = store_of(at).run(1).checkpoint()
    at.switch_page("gan_ui/pages/explore.py")  # AppTest's next run() would otherwise reopen Train
    upload(at, data, "my-run.safetensors")
    assert at.selectbox(key="explore_model").value == "upload:1"
    assert "5 steps" in at.caption[1].value and "uploaded" in at.caption[1].value


def test_pause_resume_and_stop():
    at = open_app("train")
    at.selectbox(key="cfg_preset").set_value("mlp").run()
    at.segmented_control(key="budget").set_value("Steps").run()
    at.number_input(key="budget_steps").set_value(100_000).run()
    at.button(key="btn_start").click().run()
    poll(at, lambda a: int(metric(a, "Step").replace(",", "")) > 0, what="the first steps")
    at.button(key="btn_pause").click().run()
    poll(at, lambda a: any(b.key == "btn_resume" for b in a.button), what="the pause")
    step = metric(at, "Step")
    time.sleep(1.0)
    at.run()
    assert metric(at, "Step") == step  # paused means paused
    at.select_slider(key="tl_1")  # the timeline is open while paused
    at.button(key="btn_resume").click().run()
    poll(at, lambda a: metric(a, "Step") != step, what="training to resume")
    at.button(key="btn_stop").click().run()
    poll(at, lambda a: any("Stopped by the user" in i.value for i in a.info), what="the stop")
    assert not at.button(key="btn_start").disabled


def test_two_sessions_train_independently():
    first = open_app("train")
    first.segmented_control(key="budget").set_value("Steps").run()
    first.number_input(key="budget_steps").set_value(100_000).run()
    first.button(key="btn_start").click().run()
    second = open_app("train")
    assert any("No run yet" in i.value for i in second.info)  # the other tab's run is invisible here
    assert not second.button(key="btn_start").disabled
    first.button(key="btn_stop").click().run()


# ------------------------------------------------------------------------------------------------ About
def test_about_page_has_the_value_function_and_chart_guide():
    at = open_app("about")
    latex = " ".join(x.value for x in at.latex)
    assert r"\log D(x)" in latex and r"\log\big(1-D(G(z))\big)" in latex and r"\ln 4" in latex
    assert any("Reading the Train charts" == s.value for s in at.subheader)


def test_about_page_shows_the_code_that_runs():
    """'Show the code' is the installed gan_core's own source, not a copy: the step a run takes, the
    losses it computes and the models it builds."""
    import inspect

    from gan_core import losses, models, training

    at = open_app("about")
    shown = "\n".join(c.value for c in at.code)
    for obj in (
        training.Trainer.step_stats,
        losses.d_loss_fn,
        losses.g_loss_fn,
        losses._bce_d,
        losses._non_saturating_g,
        models.DCGANGenerator,
        models.DCGANDiscriminator,
    ):
        first_line = inspect.getsource(obj).strip().splitlines()[0]
        assert first_line in shown, first_line
    assert "(1) Update D" in shown
    assert "F.softplus(-fake_logits).mean()" in shown  # the non-saturating loss, as computed


def _diverged_run_page():
    """A one-page script: the live panel of a run that diverged (its state set by hand, never trained)."""
    import os
    import sys

    sys.path.insert(0, os.environ["GAN_UI_ROOT"])
    from gan_core import Trainer, load_dataset, preset_config
    from gan_ui.live_panel import live_panel
    from gan_ui.run_handle import RunHandle, attach_quality  # noqa: F401  (AppTest runs this function as a script)

    t = Trainer(preset_config("mlp", max_steps=5, max_seconds=0), load_dataset("mnist"), "cpu")
    t.status = "diverged"
    t.message = "Training diverged at step 3: D's loss became nan. G was rolled back to step 2."
    live_panel(RunHandle(t, 1))


def _run_without_classifier_page():
    """The live panel of a finished run whose quality monitor could not start (no classifier file)."""
    import os
    import sys

    sys.path.insert(0, os.environ["GAN_UI_ROOT"])
    from gan_core import Trainer, load_dataset, preset_config
    from gan_ui.live_panel import live_panel
    from gan_ui.run_handle import RunHandle, attach_quality  # noqa: F401  (AppTest runs this function as a script)

    t = Trainer(preset_config("mlp", max_steps=5, max_seconds=0), load_dataset("mnist"), "cpu")
    t.status = "finished"
    handle = RunHandle(t, 1)
    handle.quality, handle.quality_note = attach_quality(t, load_dataset("mnist"))
    live_panel(handle)


def test_a_missing_classifier_leaves_a_note_instead_of_the_panel(monkeypatch):
    from gan_core import ClassifierError

    def no_classifier(data):
        raise ClassifierError("No classifier file at pretrained/classifier.safetensors.")

    monkeypatch.setenv("GAN_UI_ROOT", str(ROOT))
    monkeypatch.setattr(gan_core.runs, "get_reference", no_classifier)  # AppTest runs the page in this process
    at = AppTest.from_function(_run_without_classifier_page, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert "Sample quality" in [s.value for s in at.subheader]
    assert any("panel is off for this run: No classifier file" in c.value for c in at.caption)
    assert not any(m.label == "Classes present" for m in at.metric)


def test_a_diverged_run_shows_its_diagnosis_prominently(monkeypatch):
    monkeypatch.setenv("GAN_UI_ROOT", str(ROOT))
    at = AppTest.from_function(_diverged_run_page, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert any(e.value.startswith("**Training diverged.** Training diverged at step 3") for e in at.error)
    assert metric(at, "Remaining") == "—"
