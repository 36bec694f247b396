"""Teaching tools in the app: compare runs, load a config.json into the Train controls, the bundle download
and look inside (AppTest on the real app, plus the pure figure/table/picture functions behind them)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image
from test_app import model_file, open_app, poll, store_of, upload

from gan_core import DEFAULT_PRESET, Trainer, load_checkpoint, look_inside, preset_config
from gan_core.bundle import config_json
from gan_ui import compare, inside_view

pytestmark = pytest.mark.usefixtures("app_env")  # tests/conftest.py: offline, test mode, runs stopped after


# ------------------------------------------------------------------------------------------------ pure parts
def _series(mnist, name, **kw):
    cfg = preset_config("dcgan", max_steps=6, max_seconds=0, g_width=8, d_width=8, batch_size=16, **kw)
    t = Trainer(cfg, mnist, device="cpu").run()
    return compare.RunSeries(name, t.records(), t.cfg, t.step)


@pytest.fixture(scope="module")
def two_series(mnist):
    return [_series(mnist, "Run 1 · dcgan", seed=1), _series(mnist, "Run 2 · dcgan-custom", seed=2, lr_d=1e-4)]


def test_compare_figure_overlays_every_run_in_every_panel(two_series):
    fig = compare.compare_figure(two_series)
    assert len(fig.data) == 2 * len(compare.PANELS)
    for run in two_series:
        traces = [t for t in fig.data if t.name == run.name]
        assert len(traces) == 4
        assert len({(t.line.color, t.line.dash) for t in traces}) == 1  # one style per run, every panel
        assert sum(bool(t.showlegend) for t in traces) == 1  # named once in the legend
        assert list(traces[0].x) == [r.step for r in run.records]
        assert np.isfinite(traces[0].y).all()
    styles = {(t.line.color, t.line.dash) for t in fig.data}
    assert len(styles) == 2  # the runs look different
    assert all(c not in ("#0072B2", "#E69F00") for c, _ in styles)  # never the G / D colours
    assert [a.text for a in fig.layout.annotations] == [t for _, t in compare.PANELS]
    assert list(fig.layout.yaxis3.range) == [-0.02, 1.02]  # probabilities on [0, 1]


def test_compare_figure_says_when_scores_are_not_probabilities(mnist, two_series):
    wgan = _series(mnist, "Run 3 · wgan", loss="wgan-gp", d_steps=1)
    fig = compare.compare_figure([two_series[0], wgan])
    assert "raw score" in fig.layout.yaxis3.title.text and fig.layout.yaxis3.range is None


def test_config_rows_flag_exactly_the_differing_settings(two_series):
    rows = {r["setting"]: r for r in compare.config_rows(two_series)}
    assert compare.differing_fields(two_series) == ["lr_d", "seed"]
    assert rows["lr_d"]["differs"] and rows["lr_d"]["Run 2 · dcgan-custom"] == "0.0001"
    assert not rows["arch"]["differs"] and rows["steps trained"]["Run 1 · dcgan"] == "6"
    assert rows["spectral_norm"]["Run 1 · dcgan"] == "off"


def test_stage_pictures_are_crisp_and_of_the_most_active_channels():
    ckpt = load_checkpoint("dcgan")
    inside = look_inside(ckpt.G, torch.zeros(16), None, ckpt.D, reference=8)
    seven, fourteen = inside.stages
    img = np.asarray(Image.open(io.BytesIO(inside_view.stage_png(seven))))
    pad, tile = inside_view.TILE_PAD, inside_view.TILE
    assert img.shape == (2 * tile + 3 * pad, 4 * tile + 5 * pad)  # 8 maps, 4 a row
    first = img[pad : pad + tile, pad : pad + tile]
    assert (first == np.repeat(np.repeat(first[::12, ::12], 12, 0), 12, 1)).all()  # 12x12 blocks: no blur
    top = seven.activations[seven.top_channels[0]]
    assert np.array_equal(
        np.argsort(first[::12, ::12].ravel(), kind="stable")[-1:], np.argsort(top.ravel(), kind="stable")[-1:]
    )  # it is that channel's map
    assert "channels " + str(seven.top_channels[0]) in inside_view.stage_caption(seven)
    figs = inside_view.inside_figures(inside)
    assert len(figs) == 3 and figs[-1][1].startswith("28x28")
    mlp = look_inside(load_checkpoint("mlp").G, torch.zeros(32), reference=0)
    strip = np.asarray(Image.open(io.BytesIO(inside_view.stage_png(mlp.stages[0]))))
    assert strip.shape == (256 // 32 * 8, 32 * 8)  # 256 hidden units, 32 a row


# ------------------------------------------------------------------------------------------------ AppTest
def _upload_config(at, data: bytes, name: str = "config.json"):
    at.file_uploader(key="config_upload").set_value((name, data, "application/json")).run()
    assert not at.exception, at.exception
    return at


def _messages(at):
    return [e.value for e in at.error], [s.value for s in at.success]


def test_loading_a_config_fills_the_controls(mnist):
    at = open_app("train")
    cfg = preset_config("mlp", seed=42, lr_d=1e-4, label_smoothing=0.1, max_steps=3, max_seconds=0)
    _upload_config(at, config_json(cfg, 3, mnist.describe()).encode())
    ss = at.session_state
    assert ss["cfg_preset"] == "mlp" and ss["cfg_arch"] == "mlp" and ss["cfg_seed"] == 42
    assert ss["cfg_lr_d"] == 1e-4 and ss["cfg_label_smoothing"] == 0.1 and ss["cfg_latent_dim"] == 32
    assert ss["budget"] == "Steps" and ss["budget_steps"] == 3
    errors, oks = _messages(at)
    assert not errors and any("Loaded config.json" in m and "seed 42" in m for m in oks)
    assert not [e for e in at.error if "must" in e.value]  # the controls' config validates


def test_every_config_field_is_a_control_or_refused_by_name():
    """A config.json setting the controls cannot show must be named, never dropped without a word."""
    from dataclasses import fields

    from gan_core import GANConfig
    from gan_ui.controls import CONTROLS, UNCONTROLLED

    # the budget is checked too; precision is how the server's chip computes (a bundle records the one its run
    # resolved to, e.g. bf16), not what G learns, so the app picks it for its own hardware
    budget_and_bookkeeping = {"max_steps", "max_seconds", "snapshot_every", "preset", "precision"}
    shown = set(CONTROLS.values()) | set(UNCONTROLLED) | budget_and_bookkeeping
    assert {f.name for f in fields(GANConfig)} <= shown


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"{oops", "not valid JSON"),
        (json.dumps({"arch": "mlp", "g_width": 32, "max_steps": 5, "max_seconds": 0}).encode(), "g_width=32"),
        (json.dumps({"lr_g": 3e-4, "max_steps": 5, "max_seconds": 0}).encode(), "lr_g=0.0003"),
        (json.dumps({"max_seconds": 45.0}).encode(), "max_seconds=45"),
        (json.dumps({"minibatch_std": 4, "max_steps": 5, "max_seconds": 0}).encode(), "minibatch_std=4"),
        (json.dumps({"d_augment": 2, "max_steps": 5, "max_seconds": 0}).encode(), "d_augment=2"),
    ],
)
def test_a_bad_config_is_explained_and_changes_nothing(data, fragment):
    at = open_app("train")
    at.selectbox(key="cfg_preset").set_value("collapse").run()
    before = {k: at.session_state[k] for k in ("cfg_preset", "cfg_arch", "cfg_lr_g", "cfg_seed", "budget")}
    _upload_config(at, data)
    errors, _ = _messages(at)
    assert any(fragment in e and "controls are unchanged" in e for e in errors), errors
    assert {k: at.session_state[k] for k in before} == before
    if fragment != "not valid JSON":
        assert any("python -m gan_core train --config" in e for e in errors)


@pytest.mark.slow
def test_two_runs_compare_and_the_loaded_bundle_config_trains_the_same_run():
    at = open_app("train")
    at.segmented_control(key="budget").set_value("5 steps").run()
    at.button(key="btn_start").click().run()
    poll(at, lambda a: any("Reached the budget of 5 steps" in s.value for s in a.success), what="run 1")
    assert any("Train another run" in c.value for c in at.caption)  # one run: nothing to compare yet
    store = store_of(at)
    first = store.run(1)
    # the bundle of run 1, loaded back: its config.json fills the controls, and Start trains the same run
    import zipfile

    bundle = zipfile.ZipFile(io.BytesIO(first.bundle()))
    assert bundle.namelist()[0] == "README.txt"
    _upload_config(at, bundle.read("config.json"))
    assert at.session_state["budget"] == "Steps" and at.session_state["budget_steps"] == 5
    assert at.session_state["cfg_seed"] == first.cfg.seed
    at.button(key="btn_start").click().run()
    poll(at, lambda a: store.run(2) is not None and not a.button(key="btn_start").disabled, what="run 2")
    second = store.run(2)
    assert [r.g_loss for r in second.records()] == [r.g_loss for r in first.records()]
    for a, b in zip(first.model_entry().G.state_dict().values(), second.model_entry().G.state_dict().values()):
        assert torch.equal(a, b)
    # a third run with another seed, then compare
    at.number_input(key="cfg_seed").set_value(9).run()
    at.button(key="btn_start").click().run()
    poll(at, lambda a: store.run(3) is not None and not a.button(key="btn_start").disabled, what="run 3")
    picker = at.multiselect(key="compare_runs")
    assert picker.value == [1, 2, 3]  # a run that ends joins in
    picker.set_value([1, 3]).run()
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)  # the comparison is the last chart
    assert {t["name"] for t in spec["data"]} == {f"Run 1 · {DEFAULT_PRESET}", f"Run 3 · {DEFAULT_PRESET}-custom"}
    assert len(spec["data"]) == 8
    settings_line = next(m.value for m in at.markdown if m.value.startswith("**Settings**"))
    assert "seed" in settings_line and "lr_d" not in settings_line
    assert any(c.value.startswith("Step 5; last 50 steps: D loss") for c in at.caption)
    picker.set_value([3]).run()
    assert any("Pick at least two runs" in i.value for i in at.info)
    assert not at.exception


def test_look_inside_panel_in_explore():
    at = open_app()
    labels = [e.label for e in at.expander]
    assert "Look inside G and D for this z" in labels
    assert not any(img.captions and img.captions[0].startswith("7x7") for img in at.image)  # closed: not computed
    at.session_state["inside_open"] = True  # what a click on the expander does
    at.run()
    captions = [img.captions[0] for img in at.image if img.captions]
    assert any(c.startswith("7x7: 128 feature maps") for c in captions)
    assert any(c.startswith("14x14: 64 feature maps") for c in captions)
    value = float(next(m.value for m in at.metric if m.label == "D(x): probability real"))
    assert 0.0 <= value <= 1.0
    # a critic: the score is called a score, not a probability
    at.selectbox(key="explore_model").set_value("shipped:wgan-gp").run()
    assert any(m.label == "D's score (wgan-gp)" for m in at.metric)
    assert any("not a probability" in md.value for md in at.markdown)
    # the MLP shows its hidden vectors
    at.selectbox(key="explore_model").set_value("shipped:mlp").run()
    captions = [img.captions[0] for img in at.image if img.captions]
    assert any(c.startswith("hidden 1: a vector of 256 numbers") for c in captions)
    # a model file without a discriminator: the maps, and a note instead of a verdict
    upload(at, model_file())
    assert any("carries no discriminator" in c.value for c in at.caption)
    assert not any(m.label.startswith("D(x)") for m in at.metric)
    assert not at.exception


def test_config_table_puts_the_differing_settings_first_and_highlights_them(two_series):
    from gan_ui import run_tools

    styler = run_tools.config_table(two_series)
    frame = styler.data
    assert list(frame.index[:2]) == ["lr_d", "seed"] and list(frame.columns) == [s.name for s in two_series]
    import re

    html = styler.to_html()
    rule = re.search(r"([^{}]+)\{\s*" + re.escape(run_tools.DIFF_COLOUR.split(";")[0]), html).group(1)
    cells = sorted(re.findall(r"_row(\d+)_col(\d+)", rule))
    assert cells == [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")]  # exactly the two differing rows
