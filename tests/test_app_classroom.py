"""The Train and Explore pages under classroom conditions, through streamlit.testing.v1.AppTest on real digits:
a full training queue (position, estimate, Stop leaves the queue, the run starts when a slot frees), the
teacher's limits, a missing dataset, runs a server restart interrupted, and every kind of bad upload.
Each bad input must give a clear message and no exception."""

from __future__ import annotations

import struct

import pytest
import torch
from e2e_support import ROOT, stop_all_runs, wait_for
from streamlit.testing.v1 import AppTest
from test_app import open_app, poll

from gan_core import DEFAULT_PRESET, GANConfig, build_models, checkpoint_bytes
from gan_ui import server
from gan_ui.server import reset_scheduler, server_scheduler, server_shelf, shared_dataset

APP = str(ROOT / "app.py")
TIMEOUT = 120


@pytest.fixture(autouse=True)
def classroom_env(app_env, monkeypatch, tmp_path):
    """conftest's app_env, plus a server of one training slot and a journal in tmp_path."""

    monkeypatch.setenv("GAN_CLASSROOM_MAX_CONCURRENT", "1")
    monkeypatch.setenv("GAN_CLASSROOM_RUNS_DIR", str(tmp_path))
    server._journal = None
    reset_scheduler()  # one slot, from the env above
    yield
    stop_all_runs()
    server._journal = None
    reset_scheduler()


def texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in (at.info, at.error, at.warning, at.success) for e in kind)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def start_long(at: AppTest) -> AppTest:
    at.segmented_control(key="budget").set_value("Steps").run()
    at.number_input(key="budget_steps").set_value(100_000).run()
    at.button(key="btn_start").click().run()
    assert not at.exception, at.exception
    return at


# ------------------------------------------------------------------------------------------ the queue
def test_a_full_server_queues_the_run_shows_its_place_and_starts_it_when_a_slot_frees():
    first = start_long(open_app("train"))
    poll(first, lambda a: metric(a, "Step") != "0", what="the first run to train")
    second = open_app("train")
    second.segmented_control(key="budget").set_value("5 steps").run()
    second.button(key="btn_start").click().run()
    assert not second.exception
    assert "Waiting for a free training slot — number 1 in line" in texts(second)
    assert "Training slots on this server, shared by the whole class: 1." in texts(second)
    assert "starts by itself in about" in texts(second)
    assert second.button(key="btn_start").disabled and not second.button(key="btn_stop").disabled
    assert second.button(key="btn_pause").disabled
    assert metric(second, "Step") == "0"
    first.button(key="btn_stop").click().run()  # the slot frees: the queued run starts itself
    poll(second, lambda a: "Reached the budget of 5 steps." in texts(a), what="the queued run to run")
    assert metric(second, "Step") == "5"


def test_stop_takes_a_queued_run_out_of_the_queue():

    start_long(open_app("train"))
    second = open_app("train")
    second.segmented_control(key="budget").set_value("5 steps").run()
    second.button(key="btn_start").click().run()
    assert server_scheduler().counts()["queued"] == 1
    second.button(key="btn_stop").click().run()
    second.run()
    assert not second.exception
    assert "Left the queue before starting" in texts(second)
    assert server_scheduler().counts()["queued"] == 0
    assert not second.button(key="btn_start").disabled


# ------------------------------------------------------------------------------------------ limits and data
def test_the_teachers_limits_are_explained_and_nothing_starts(monkeypatch):

    monkeypatch.setenv("GAN_CLASSROOM_MAX_BATCH", "32")
    monkeypatch.setenv("GAN_CLASSROOM_MAX_LATENT", "8")
    at = open_app("train")
    at.button(key="btn_start").click().run()  # dcgan: batch 64, latent 16
    assert not at.exception
    msg = next(e.value for e in at.error if "limit" in e.value)
    assert "Batch size 64 is over this server's limit of 32" in msg and "Latent size 16" in msg
    assert "teacher" in msg
    assert server_scheduler().counts() == {**server_scheduler().counts(), "running": 0, "queued": 0}
    assert any("No run yet" in i.value for i in at.info)


def test_malformed_limit_settings_fall_back_to_the_defaults(monkeypatch):
    from gan_ui import settings

    for value in ("abc", "-3", "0", ""):
        monkeypatch.setenv("GAN_CLASSROOM_MAX_BATCH", value)
        monkeypatch.setenv("GAN_CLASSROOM_MAX_SECONDS", value)
        assert settings.limits().max_batch == 256 and settings.limits().max_seconds == 120


def test_training_niceness_is_a_setting(monkeypatch):
    from gan_ui import settings

    for value, nice in (("", 10), ("0", 0), ("5", 5), ("25", 19), ("-3", 10), ("abc", 10)):
        monkeypatch.setenv("GAN_CLASSROOM_TRAIN_NICE", value)
        assert settings.limits().nice == nice, value


def test_a_missing_dataset_is_explained_not_a_crash(monkeypatch, fresh_data_cache):
    from gan_core import data

    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion", [str(ROOT / "no-such-dir")])
    shared_dataset.clear()
    try:
        at = open_app("train")
        with_fashion = at.selectbox(key="cfg_dataset").set_value("fashion").run()
        assert not with_fashion.exception
        assert any("fashion" in w.value.lower() for w in with_fashion.warning)
        with_fashion.button(key="btn_start").click().run()
        assert not with_fashion.exception
        assert any("fashion" in e.value.lower() for e in with_fashion.error)
        assert any("No run yet" in i.value for i in with_fashion.info)
    finally:
        shared_dataset.clear()


def test_a_run_interrupted_by_a_server_restart_is_reported_to_its_tab(tmp_path):
    from gan_core import RunJournal

    at = open_app("train")
    owner = at.query_params["tab"][0] if isinstance(at.query_params["tab"], list) else at.query_params["tab"]
    assert len(owner) == 32
    old = RunJournal(tmp_path / "journal.json")  # the previous server had a run of this tab in flight
    old.begin("x:1", owner, "dcgan run 1")
    old.progress("x:1", 412, force=True)
    old.begin("y:1", "f" * 32, "someone else's run")
    server._journal = None  # "restart": the journal is opened afresh
    again = AppTest.from_file(APP, default_timeout=TIMEOUT)
    again.query_params["tab"] = owner  # the reconnecting browser sends its URL again
    again.run()
    again.switch_page("gan_ui/pages/train.py").run()
    assert not again.exception
    warning = " ".join(w.value for w in again.warning)
    assert "dcgan run 1 was interrupted at step 412" in warning and "someone else" not in warning


def test_a_finished_run_survives_a_server_restart_as_a_saved_model():

    at = open_app("train")
    owner = at.query_params["tab"][0] if isinstance(at.query_params["tab"], list) else at.query_params["tab"]
    at.segmented_control(key="budget").set_value("5 steps").run()
    at.button(key="btn_start").click().run()
    poll(at, lambda a: "Reached the budget of 5 steps." in texts(a), what="the run to finish")
    wait_for(lambda: server_shelf().load(owner), 10, "the finished run on the shelf")
    server._journal = None  # "restart": journal and shelf are opened afresh
    again = AppTest.from_file(APP, default_timeout=TIMEOUT)
    again.query_params["tab"] = owner  # the reconnecting browser sends its URL again
    again.run()
    assert not again.exception
    picker = again.selectbox(key="explore_model")
    saved = [o for o in picker.options if o.startswith("Saved: run1-")]
    assert saved == [f"Saved: run1-{DEFAULT_PRESET}-5steps"], picker.options
    stranger = AppTest.from_file(APP, default_timeout=TIMEOUT).run()  # another tab sees none of it
    assert not [o for o in stranger.selectbox(key="explore_model").options if o.startswith("Saved:")]


# ------------------------------------------------------------------------------------------ bad uploads
def _model(**kw) -> tuple[GANConfig, torch.nn.Module]:
    cfg = GANConfig(latent_dim=8, g_width=8, d_width=8, **kw)
    G, _ = build_models(cfg)
    return cfg, G.eval()


def _good() -> bytes:
    cfg, G = _model()
    return checkpoint_bytes(cfg, G, info={"steps": 1})


def _nan() -> bytes:
    cfg, G = _model()
    with torch.no_grad():
        next(G.parameters()).fill_(float("nan"))
    return checkpoint_bytes(cfg, G)


def _wrong_shapes() -> bytes:
    cfg, G = _model()
    other = GANConfig(latent_dim=8, g_width=16, d_width=8)
    return checkpoint_bytes(other, G)  # the header promises width 16, the weights are width 8


def _png() -> bytes:
    from gan_core import make_grid, to_png

    return to_png(make_grid(torch.zeros(4, 28, 28)))


BAD_FILES = {
    "empty": (b"", "too short"),
    "truncated": (None, "truncated"),
    "random bytes": (bytes(range(256)) * 40, "not a safetensors"),
    "a pickle": (b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.", "pickle"),
    "a torch.save zip": (b"PK\x03\x04" + b"\x00" * 200, "pickle"),
    "a PNG renamed": (None, "not a safetensors"),
    "NaN weights": (None, "NaN"),
    "wrong shapes": (None, "do not match"),
    "a huge header size": (struct.pack("<Q", 2**62) + b"{}", "impossible"),
    "JSON that is a list": (struct.pack("<Q", 2) + b"[]", "bad header"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_every_bad_checkpoint_upload_gets_a_clear_message(kind):
    data, fragment = BAD_FILES[kind]
    if data is None:
        data = {
            "truncated": lambda: _good()[:300],
            "a PNG renamed": _png,
            "NaN weights": _nan,
            "wrong shapes": _wrong_shapes,
        }[kind]()
    at = open_app()
    chosen = at.selectbox(key="explore_model").value
    at.file_uploader(key="model_upload").set_value(("bad.safetensors", data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("Could not open bad.safetensors" in e and fragment.lower() in e.lower() for e in errors), errors
    assert at.selectbox(key="explore_model").value == chosen  # the open model stays


# ------------------------------------------------------------------------------------------ typed numbers
@pytest.mark.parametrize(
    "key, value, corrected",
    [
        ("cfg_batch_size", 0, 16),  # select slider: back to an offered batch size
        ("cfg_latent_dim", 100_000, 2),
        ("cfg_lr_g", -1e-4, 1e-5),
    ],
)
def test_a_value_outside_what_the_sliders_offer_never_reaches_a_run(key, value, corrected):
    """A tampered or stale session value (a browser cannot send one) is brought back into the widget's
    range by Streamlit; the config the page builds is then valid. Library-level validation of every
    bad number (zero batch, negative learning rate, huge latent size, NaN) is in test_config.py."""
    at = open_app("train")
    at.segmented_control(key="budget").set_value("Steps").run()
    at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    got = at.session_state[key]
    assert got in corrected if isinstance(corrected, range) else got == corrected
    assert not any("must" in e.value for e in at.error)
    assert not at.button(key="btn_start").disabled


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("cfg_d_steps", 0, "D steps per G step: 0 is less than 1"),
        ("cfg_d_steps", 11, "D steps per G step: 11 is more than 10"),
        ("cfg_seed", -5, "Seed: -5 is less than 0"),
        ("budget_steps", 10**9, "Steps: 1,000,000,000 is more than 100,000 steps"),
    ],
)
def test_a_typed_number_out_of_range_is_kept_as_typed_and_refused_with_its_reason(key, value, words):
    """Issue #18: the number boxes keep what the student typed (never silently replaced by the last good value)
    and say under the box why it is refused; Start stays disabled until it is fixed."""
    at = open_app("train")
    at.segmented_control(key="budget").set_value("Steps").run()
    at.number_input(key=key).set_value(value).run()
    assert not at.exception, at.exception
    assert at.session_state[key] == value
    assert any(words in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key="btn_start").disabled
