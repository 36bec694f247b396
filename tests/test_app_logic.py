"""The front end's pure parts, without Streamlit running: charts, z <-> text, images, per-tab stores."""

from __future__ import annotations

import io
import math

import e2e_support  # noqa: F401  (puts the repo root on sys.path)
import numpy as np
import pytest
import torch
from e2e_support import wait_for
from PIL import Image

import gan_core.runs
from gan_core import LOSS_INFO, GANConfig, StepRecord, build_models, checkpoint_bytes
from gan_core.losses import LN2, LN4
from gan_core.sampling import LATENT_RANGE
from gan_ui import charts, images, quality_charts, settings
from gan_ui.catalogue import entry_from_checkpoint, upload_entry
from gan_ui.latent import format_z, parse_z
from gan_ui.run_handle import StartError, attach_quality
from gan_ui.store import SessionStore


def records(n: int, d_loss=1.3, g_loss=0.8):
    return [
        StepRecord(
            step=i + 1,
            elapsed=0.01 * i,
            d_loss=d_loss + 0.1 * math.sin(i),
            g_loss=g_loss,
            d_real=0.7,
            d_fake=0.3,
            g_grad_norm=0.0 if i == 0 else 1.5,
            d_grad_norm=2.0,
            images_per_s=1000.0,
        )
        for i in range(n)
    ]


# ---------------------------------------------------------------------------------------------- charts
def test_downsample_keeps_ends_and_bounds_points():
    idx = charts.downsample_indices(50_000, 1000)
    assert len(idx) <= 1000 and idx[0] == 0 and idx[-1] == 49_999
    assert np.all(np.diff(idx) > 0)
    assert list(charts.downsample_indices(10, 1000)) == list(range(10))


def test_smooth_tracks_a_constant_and_skips_nan():
    out = charts.smooth([2.0] * 20 + [float("nan")] + [2.0] * 5)
    assert np.allclose(out, 2.0)
    step = charts.smooth([0.0] * 50 + [1.0] * 200, span=10)
    assert step[49] == 0.0 and 0.99 < step[-1] <= 1.0  # follows the level shift, bias-corrected


def test_loss_figure_has_equilibrium_lines_colours_and_uirevision():
    fig = charts.loss_figure(records(3000), LOSS_INFO["non-saturating"], uirevision="run-7")
    assert fig.layout.uirevision == "run-7"
    lines = {s.name: s.line.color for s in fig.data if s.showlegend is not False}
    assert lines == {"D loss": settings.D_COLOR, "G loss": settings.G_COLOR}
    assert all(len(s.x) <= settings.MAX_CHART_POINTS for s in fig.data)
    ys = sorted(round(s["y0"], 3) for s in fig.layout.shapes)
    assert ys == [round(LN2, 3), round(LN4, 3)]
    assert fig.layout.hovermode == "x unified"


def test_non_probabilistic_losses_get_no_reference_lines():
    fig = charts.loss_figure(records(50), LOSS_INFO["wgan-gp"])
    assert not fig.layout.shapes
    scores = charts.scores_figure(records(50), LOSS_INFO["hinge"])
    assert not scores.layout.shapes and scores.layout.yaxis.range is None


def test_scores_figure_probabilistic_range_and_half_line():
    fig = charts.scores_figure(records(50), LOSS_INFO["minimax"])
    assert tuple(fig.layout.yaxis.range) == (-0.02, 1.02)
    assert [round(s["y0"], 2) for s in fig.layout.shapes] == [0.5]
    colours = {s.name: s.line.color for s in fig.data if s.showlegend is not False}
    assert colours == {"D(x) on real": settings.D_COLOR, "D(G(z)) on fakes": settings.G_COLOR}


def test_gradnorm_figure_is_log_and_floors_zero():
    fig = charts.gradnorm_figure(records(20))
    assert fig.layout.yaxis.type == "log"
    assert min(min(s.y) for s in fig.data) > 0  # a zero norm would vanish from a log axis


def test_empty_history_shows_waiting_note():
    for fig in (charts.loss_figure([], LOSS_INFO["non-saturating"]), charts.gradnorm_figure([])):
        assert not fig.data and "waiting" in fig.layout.annotations[0].text


# ---------------------------------------------------------------------------------------------- z text
def test_format_and_parse_round_trip():
    z = [0.5, -1.25, 3.0, -3.0]
    assert parse_z(format_z(z), 4) == z
    assert parse_z("0.5, -1.25  3 ; -3", 4) == z


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("[1, 2", "not a valid JSON list"),
        ("[1, 2, 3]", "has 4 numbers; the text has 3"),
        ("1, two, 3, 4", "Entry 2"),
        ("[1, 2, 3, 9]", "outside the sliders' range"),
        ("1, nan, 0, 0", "finite"),
        ('{"a": 1}', "not a number"),
        ("[true, 0, 0, 0]", "not a number"),
    ],
)
def test_parse_rejects_bad_text_with_a_clear_message(text, fragment):
    with pytest.raises(ValueError, match=None) as info:
        parse_z(text, 4)
    assert fragment in str(info.value)


# ---------------------------------------------------------------------------------------------- images
def _png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_digit_png_is_nearest_neighbour():
    digit = np.zeros((28, 28), np.uint8)
    digit[3, 4] = 255
    img = np.asarray(_png(images.digit_png(digit, 10)))
    assert img.shape == (280, 280)
    assert set(np.unique(img)) == {0, 255}  # no blur: only the two original levels
    assert img[30:40, 40:50].min() == 255


@pytest.mark.parametrize("name", ["cdcgan", "dcgan"])
def test_z_views_batch_matches_separate_passes(name):
    """Explore's one batched pass of G gives the digit, the sweep and the ten-digit row that three separate
    passes give (eval-mode BatchNorm: no sample affects another), to within one grey level of float noise."""
    from gan_core import generate, load_checkpoint
    from gan_core.sampling import sweep

    G = load_checkpoint(name).G
    z = torch.randn(G.latent_dim, generator=torch.Generator().manual_seed(3))
    label = 7 if G.conditional else None
    v = images.z_views(G, z, 2, label, 10 if G.conditional else None)
    close = lambda a, b: np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).max() <= 1  # noqa: E731
    assert v.digit.shape == (28, 28) and close(v.digit, generate(G, z, label)[0])
    assert v.sweep.shape == (images.SWEEP_FRAMES, 28, 28)
    assert close(v.sweep, generate(G, sweep(z, 2, images.SWEEP_FRAMES), label))
    assert not close(v.sweep[0], v.sweep[-1])  # the swept coordinate changes the digit
    if G.conditional:
        assert close(v.classes, generate(G, z.expand(10, -1), torch.arange(10)))
        with pytest.raises(ValueError, match="conditional"):  # no silent default digit
            images.z_views(G, z, 2, None, 10)
    else:
        assert v.classes is None


def test_z_views_pngs_native_on_screen_upscaled_for_download():
    from gan_core import load_checkpoint

    G = load_checkpoint("cdcgan").G
    v = images.z_views(G, torch.zeros(G.latent_dim), 0, 3, 10)
    screen, download = _png(v.digit_png()), _png(v.digit_png(images.DIGIT_SCALE))
    assert screen.size == (28, 28) and download.size == (280, 280)
    assert np.array_equal(np.asarray(download)[::10, ::10], np.asarray(screen))  # the same pixels, blown up
    strip = _png(v.sweep_png())
    assert strip.size == (images.SWEEP_FRAMES * (28 + images.PAD) + images.PAD, 28 + 2 * images.PAD)
    assert _png(v.classes_png(4)).size == ((10 * 30 + 2) * 4, 32 * 4)


def test_grid_highlight_draws_an_orange_frame():
    imgs = np.zeros((64, 28, 28), np.uint8)
    plain = np.asarray(_png(images.grid_png(imgs, scale=2)))
    framed = np.asarray(_png(images.grid_png(imgs, scale=2, highlight=9)))
    assert plain.ndim == 2 and framed.shape == plain.shape + (3,)
    orange = tuple(int(settings.D_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    assert (framed == orange).all(axis=2).sum() > 100


def test_evenly_spread_indices():
    assert images.evenly(100, 10)[0] == 0 and images.evenly(100, 10)[-1] == 99
    assert len(images.evenly(100, 10)) == 10
    assert images.evenly(3, 10) == [0, 1, 2] and images.evenly(0, 5) == []


# ---------------------------------------------------------------------------------------------- stores
def test_session_store_release_stops_runs_and_frees_models(monkeypatch):
    from gan_ui import state

    monkeypatch.setenv("GAN_CLASSROOM_DISCONNECT_GRACE", "0")  # no reconnect grace: release means closed
    monkeypatch.setenv("GAN_CLASSROOM_TAB_KEEP", "0")  # ... and the tab's results are not kept

    class FakeTrainer:
        def __init__(self, status):
            self.status, self.stopped = status, False
            self.cfg = GANConfig(preset="dcgan")
            self.step = 0

        def stop(self):
            self.stopped = True
            self.status = "stopped"

        def join(self, timeout=None):
            return True

    store = SessionStore()
    running, done = FakeTrainer("running"), FakeTrainer("finished")
    store.add_run(done)
    store.add_run(running)
    assert store.active_run() is store.runs[-1]
    state.release_store(store)
    assert running.stopped and not done.stopped
    assert store.closed and not store.runs and not store.models
    with pytest.raises(RuntimeError):
        store.add_run(FakeTrainer("ready"))


@pytest.mark.slow
def test_a_run_starts_from_a_gan_config_and_refusals_are_one_error(monkeypatch, mnist):
    """SessionStore.start(cfg) is the one way a run starts: a GANConfig in, a RunHandle out, and every
    refusal (a bad config, the server's caps, a second active run) a StartError with the reason."""
    from gan_ui import state

    monkeypatch.setenv("GAN_CLASSROOM_OFFLINE", "1")
    monkeypatch.setenv("GAN_CLASSROOM_TEST_MODE", "1")
    store = SessionStore()
    try:
        with pytest.raises(StartError, match="over this server's limit"):
            store.start(GANConfig(arch="mlp", max_steps=0, max_seconds=10_000))  # the server's cap per run
        with pytest.raises(StartError, match="lr_g must be above 0"):
            store.start(GANConfig(arch="mlp", lr_g=-1.0, max_steps=5, max_seconds=0))
        assert not store.runs  # a refused config leaves no run behind
        handle = store.start(GANConfig(arch="mlp", max_steps=0, max_seconds=60, snapshot_every=5))
        assert handle.number == 1
        assert store.runs == [handle]
        with pytest.raises(StartError):
            store.start(GANConfig(arch="mlp", max_steps=5, max_seconds=0))  # one active run per tab
        assert store.runs == [handle]
        wait_for(lambda: handle.step >= 5, 120)  # it trains ...
        handle.stop()
        assert handle.join(120)
        assert handle.status == "stopped"  # ... until told to stop
        if handle.quality is not None:
            handle.quality.join(60)
    finally:
        state.release_store(store)


def test_session_store_keeps_a_bounded_number_of_ended_runs():

    class T:
        def __init__(self, status):
            self.status = status

        def join(self, timeout=None):
            return True

    store = SessionStore()
    for _ in range(settings.MAX_RUNS_PER_TAB + 3):
        store.add_run(T("finished"))
    assert len(store.runs) == settings.MAX_RUNS_PER_TAB
    assert store.runs[-1].number == settings.MAX_RUNS_PER_TAB + 3


def test_upload_entry_accepts_a_checkpoint_and_explains_bad_files():
    from gan_core import CheckpointError

    cfg = GANConfig(latent_dim=4)
    G, D = build_models(cfg)
    entry = upload_entry(checkpoint_bytes(cfg, G.eval()), "mine.safetensors", 1)
    assert entry.latent_dim == 4 and entry.kind == "upload" and not entry.G.training
    with pytest.raises(CheckpointError, match="pickle"):
        upload_entry(b"PK\x03\x04" + b"0" * 100, "model.safetensors", 2)
    with pytest.raises(CheckpointError, match="not a .safetensors"):
        upload_entry(b"whatever", "model.pt", 3)


def test_latent_range_matches_the_prior():
    assert LATENT_RANGE == 3.0
    torch.manual_seed(0)
    z = torch.randn(100_000)
    assert (z.abs() <= LATENT_RANGE).float().mean() > 0.99


# ---------------------------------------------------------------------------------------------- sample quality
def test_class_histogram_figure_bars_in_percent_with_data_ticks():
    fig = quality_charts.class_histogram_figure([0, 0, 0, 256, 0, 0, 0, 0, 0, 0], [0.1] * 10, step=400)
    bars = fig.data[0]
    assert bars.type == "bar" and list(bars.y) == [0, 0, 0, 100.0, 0, 0, 0, 0, 0, 0]
    assert bars.marker.color == settings.NEUTRAL_COLOR  # neither G's blue nor D's orange
    assert bars.marker.color not in (settings.G_COLOR, settings.D_COLOR)
    ticks = fig.layout.shapes  # one tick across each bar
    assert [t.y0 for t in ticks] == pytest.approx([10.0] * 10)
    assert [t.x0 for t in ticks] == pytest.approx([c - 0.4 for c in range(10)])
    assert [t.x1 for t in ticks] == pytest.approx([c + 0.4 for c in range(10)])
    assert [d.name for d in fig.data if d.showlegend is not False] == ["G's samples", "real data"]
    assert list(bars.x) == list(range(10)) and "step 400" in fig.layout.title.text
    assert fig.layout.yaxis.range[1] <= 100.0


def test_frechet_figure_is_log_with_the_real_floor():
    fig = quality_charts.frechet_figure([0, 200, 400], [800.0, 60.0, 0.0], floor=11.0, uirevision="q-1")
    assert fig.layout.yaxis.type == "log" and fig.layout.uirevision == "q-1"
    assert min(fig.data[0].y) > 0  # a 0 would vanish from a log axis
    assert fig.data[0].line.color == settings.G_COLOR
    (shape,), (label,) = fig.layout.shapes, fig.layout.annotations
    assert shape.y0 == 11.0 and label.y == pytest.approx(math.log10(11.0))  # annotations take log10 on a log axis
    assert "floor" in label.text
    lo, hi = fig.layout.yaxis.range
    assert lo < math.log10(11.0) and hi > math.log10(800.0)
    assert "waiting" in quality_charts.frechet_figure([], [], None).layout.annotations[0].text


def test_attach_quality_explains_runs_without_the_panel(monkeypatch):
    from types import SimpleNamespace

    from gan_core import ClassifierError

    monitor, note = attach_quality(SimpleNamespace(cfg=GANConfig(dataset="fashion"), id=1), None)
    assert monitor is None and "MNIST runs only" in note and "Fashion-MNIST" in note

    def no_classifier(data):
        raise ClassifierError("No classifier file at pretrained/classifier.safetensors.")

    monkeypatch.setattr(gan_core.runs, "get_reference", no_classifier)
    monitor, note = attach_quality(SimpleNamespace(cfg=GANConfig(), id=2), None)
    assert monitor is None and "No classifier file" in note


def test_model_entry_rebuilds_step_zero_and_loads_snapshots_without_touching_g():
    from gan_core import generate, load_checkpoint_bytes, sample_z

    cfg = GANConfig(latent_dim=4, g_width=8, d_width=8, seed=5)
    G0, _ = build_models(cfg)  # what the trainer starts from
    middle = build_models(cfg.replace(seed=7))[0].eval()  # stands in for G at step 20
    trained = build_models(cfg.replace(seed=6))[0].eval()
    ckpt = load_checkpoint_bytes(
        checkpoint_bytes(cfg, trained, info={"steps": 40}, snapshots=[(20, middle.state_dict())])
    )
    entry = entry_from_checkpoint("upload:1", "x", "upload", ckpt)
    z = sample_z(8, 4, 0)
    before = generate(entry.G, z)
    at0, at20 = entry.generator_at(0), entry.generator_at(20)
    assert at0 is not entry.G and not at0.training and entry.generator_at(0) is at0  # built once
    assert torch.equal(generate(at0, z), generate(G0.eval(), z))  # step 0 = the seed's init
    assert (generate(at20, z).float() - generate(middle, z).float()).abs().max() <= 2  # fp16 snapshot weights
    assert not torch.equal(generate(at20, z), generate(at0, z))
    assert torch.equal(generate(entry.G, z), before)  # the shared G untouched
    with pytest.raises(KeyError, match="No snapshot at step 7"):
        entry.generator_at(7)
    from gan_ui.explore import timeline_frames

    assert [s for s, _ in timeline_frames(entry)] == [0, 20, 40]  # + the final G


def test_crisp_start_is_chosen_once_per_generator_and_digit():
    """Explore's first z for a model: the seeded draw the classifier is surest about, made once per generator (and
    digit) in a process, so a later tab does not score the draws again; another digit or generator gets its own."""
    from gan_ui import explore_model
    from gan_ui.catalogue import shipped_entry

    entry = shipped_entry("cdcgan")
    explore_model._crisp.pop(entry.G, None)
    z0 = explore_model.crisp_start(entry, 0)
    assert len(z0) == entry.latent_dim
    assert explore_model._crisp[entry.G] == {(0, 16, 7): z0}
    calls = []
    real = explore_model._crisp_start
    explore_model._crisp_start = lambda *a: calls.append(a) or real(*a)
    try:
        assert explore_model.crisp_start(entry, 0) == z0  # kept: nothing scored again
        assert calls == []
        z3 = explore_model.crisp_start(entry, 3)  # another digit: chosen for that digit
        assert len(calls) == 1 and z3 == real(entry, 3, 16, 7)
    finally:
        explore_model._crisp_start = real
    # The kept choice is the one a fresh choice makes: deterministic, and the classifier's surest.
    assert real(entry, 0, 16, 7) == z0


def test_model_card_and_run_names_name_the_loss_and_preset_in_the_tab_language():
    """A model's one-line card and a run's name carry the loss and the preset by key in English, and in Chinese
    the translated term with the key after it (non-saturating -> 非饱和 (non-saturating)), as the Train page does."""
    from gan_core.i18n import language
    from gan_ui.catalogue import run_name, shipped_entry

    entry = shipped_entry("cdcgan")
    assert "non-saturating loss" in entry.describe()
    assert run_name(3, "collapse", 400).startswith("Run 3 · collapse · ")
    with language("zh_CN"):
        card = entry.describe()
        assert "非饱和 (non-saturating) 损失" in card, card
        assert "non-saturating 损失" not in card
        assert "(collapse)" in run_name(3, "collapse", 400) and "collapse ·" not in run_name(3, "collapse", 400)
