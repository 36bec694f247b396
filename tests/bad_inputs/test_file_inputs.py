"""Files the app reads, through the functions the app calls: uploaded checkpoints (upload_entry),
uploaded config.json files (read_config_json, as run_tools does), the run journal a server finds at start
(RunJournal, then claim), and the data folder named by GAN_CLASSROOM_DATA (shared_dataset).

A refusal is the module's own error type with a message naming the problem, never another exception;
an accepted file gives what it should (a model that draws digits, a config, the journal's entries).
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
import torch
from campaign import CRASH
from campaign_inputs import checkpoints, configs, data_dirs

from gan_core import CheckpointError, ConfigError, read_config_json
from gan_core.data import DataFormatError, DataUnavailable, _load_cached
from gan_core.journal import FORMAT, RunJournal
from gan_core.sampling import generate, sample_z
from gan_ui.catalogue import upload_entry
from gan_ui.server import shared_dataset


def refused(fn, errors, fragment: str) -> str:
    """Run fn; it must raise one of `errors` whose message holds `fragment` (any other exception is a crash)."""
    try:
        fn()
    except errors as exc:
        assert fragment in str(exc), str(exc)
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - the thing this suite looks for
        raise AssertionError(f"{CRASH}: {type(exc).__name__}: {exc}") from exc
    raise AssertionError(f"accepted; expected a refusal mentioning {fragment!r}")


# ------------------------------------------------------------------------------------------ checkpoints
CHECKPOINTS = {
    "good": None,
    "no_d": None,
    "conditional": None,
    "dcgan": None,
    "float64_weights": None,
    "float16_weights": None,
    "int32_weights": "have the wrong type",
    "negative_running_var": "values <= 0",
    "zero_running_var": "values <= 0",
    "weights_x1e30": "not those of a trained network",
    "nan_weight": "NaN or infinite",
    "wrong_shape": "wrong shape",
    "info_list": "info must be a JSON object",
    "info_steps_abc": "info.steps must be",
    "info_steps_negative": "info.steps must be",
    "info_steps_fraction": "info.steps must be",
    "info_seconds_text": "info.seconds must be",
    "info_seconds_nan": "info.seconds must be",
    "info_name_number": "info.name must be text",
    "info_init_list": "info.init must be an object",
    "info_not_json": "not valid JSON",
    "info_deep": "levels deep",
    "config_list": "must be a JSON object",
    "config_bool_text": "spectral_norm must be true or false",
    "config_preset_number": "preset must be text",
    "no_format": "not saved by GAN Classroom",
    "missing_g": "no generator weights",
    "deep_header": "levels deep",
    "metadata_number": "not a table of text values",
    "truncated": "truncated",
    "empty": "too short",
    "random_bytes": "not a safetensors checkpoint",
    "pickle": "never unpickles",
    "torch_save_zip": "never unpickles",
    "json_text": "not a safetensors checkpoint",
}


@pytest.fixture(scope="module")
def ckpt_files(tmp_path_factory):
    return checkpoints(tmp_path_factory.mktemp("ckpt"))


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(CHECKPOINTS))
def test_uploaded_checkpoint(name, ckpt_files):

    data = ckpt_files[name].read_bytes()
    fragment = CHECKPOINTS[name]
    if fragment is not None:
        refused(lambda: upload_entry(data, f"{name}.safetensors", 1), CheckpointError, fragment)
        return
    entry = upload_entry(data, f"{name}.safetensors", 1)
    assert entry.describe()  # the Explore caption reads info's fields
    labels = np.arange(4) % entry.num_classes if entry.conditional else None
    images = generate(entry.G, sample_z(4, entry.latent_dim, 0), labels)  # (4, 28, 28) uint8
    assert tuple(images.shape) == (4, 28, 28)
    assert images.float().std() > 0  # an untrained G still draws varied pixels


@pytest.mark.bad_input
def test_an_upload_that_is_not_a_safetensors_file_by_name(ckpt_files):

    refused(
        lambda: upload_entry(ckpt_files["good"].read_bytes(), "model.pt", 1),
        CheckpointError,
        "is not a .safetensors file",
    )


@pytest.mark.bad_input
def test_a_listing_reads_info_by_type(ckpt_files):
    """`python -m gan_core pretrained` and the model picker read config and info without building G."""
    from gan_core.checkpoints import read_info

    assert read_info(ckpt_files["good"])["info"]["steps"] == 3
    refused(lambda: read_info(ckpt_files["info_list"]), CheckpointError, "info must be a JSON object")


# ------------------------------------------------------------------------------------------ config.json
CONFIGS = {
    "good": None,
    "threads_100000": None,
    "threads_minus_4": "run.torch_threads",
    "threads_text": "run.torch_threads",
    "threads_bool": "run.torch_threads",
    "run_list": '"run" must be an object',
    "data_text": '"data" must be an object',
    "spectral_norm_no": "spectral_norm must be true or false",
    "lr_decay_text": "lr_decay must be true or false",
    "conditional_number": "conditional must be true or false",
    "preset_number": "preset must be text",
    "arch_number": "arch must be one of",
    "latent_text": "latent_dim must be a whole number",
    "lr_text": "lr_g must be a finite number",
    "lr_list": "lr_g must be a finite number",
    "batch_zero": "batch_size must be",
    "unknown_field": "Unknown config field(s): colour",
    "wrong_format": "Unknown config format",
    "config_not_object": 'no "config" object',
    "nested_60kB": "levels deep",
    "nested_in_field": "levels deep",
    "array": "must be a JSON object",
    "number": "must be a JSON object",
    "not_json": "not valid JSON",
    "empty": "not valid JSON",
    "huge": "a few hundred bytes",
    "not_utf8": "not text",
}


@pytest.fixture(scope="module")
def config_files(tmp_path_factory):
    return configs(tmp_path_factory.mktemp("cfg"))


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(CONFIGS))
def test_uploaded_config_json(name, config_files):
    data = config_files[name].read_bytes()  # the app reads upload.getvalue(): bytes
    if CONFIGS[name] is not None:
        refused(lambda: read_config_json(data), ConfigError, CONFIGS[name])
        return
    cfg, meta = read_config_json(data)
    assert (cfg.arch, cfg.max_steps, cfg.spectral_norm) == ("mlp", 2, False)
    assert isinstance(meta["run"]["torch_threads"], int)


# ------------------------------------------------------------------------------------------ the journal
def _entry(**kw):
    now = time.time()
    return {"owner": "o", "label": "mlp run 1", "step": 12, "started": now - 5, "updated": now, "pid": 1, **kw}


JOURNALS = {  # name -> (file content, interrupted runs a restart should report to owner "o", or None: malformed)
    "good, one run in flight": (json.dumps({"format": FORMAT, "running": {"t:1": _entry()}, "interrupted": []}), 1),
    "good, one interrupted": (
        json.dumps({"format": FORMAT, "running": {}, "interrupted": [_entry(key="t:1", interrupted_at=time.time())]}),
        1,
    ),
    "good, a noted run": (
        json.dumps(
            {
                "format": FORMAT,
                "running": {},
                "interrupted": [_entry(key="t:2", interrupted_at=time.time(), note="finished, not saved: disk full")],
            }
        ),
        1,
    ),
    "good, empty": (json.dumps({"format": FORMAT, "running": {}, "interrupted": []}), 0),
    "good, without lists": (json.dumps({"format": FORMAT}), 0),
    "running is a list": (json.dumps({"format": FORMAT, "running": [1, 2], "interrupted": []}), None),
    "interrupted is an object": (json.dumps({"format": FORMAT, "running": {}, "interrupted": {"a": 1}}), None),
    "step is text": (json.dumps({"format": FORMAT, "running": {"t:1": _entry(step="abc")}}), None),
    "step is negative": (json.dumps({"format": FORMAT, "running": {"t:1": _entry(step=-3)}}), None),
    "step is true": (json.dumps({"format": FORMAT, "running": {"t:1": _entry(step=True)}}), None),
    "step is NaN": (
        '{"format": "%s", "running": {"t:1": {"owner": "o", "label": "x", "step": NaN, "started": 1, '
        '"updated": 1}}}' % FORMAT,
        None,
    ),
    "interrupted_at is text": (
        json.dumps({"format": FORMAT, "interrupted": [_entry(interrupted_at="yesterday")]}),
        None,
    ),
    "updated is Infinity": (
        '{"format": "%s", "interrupted": [{"owner": "o", "label": "x", "step": 1, "started": 1, '
        '"updated": Infinity}]}' % FORMAT,
        None,
    ),
    "owner is a number": (json.dumps({"format": FORMAT, "running": {"t:1": _entry(owner=5)}}), None),
    "label is a list": (json.dumps({"format": FORMAT, "running": {"t:1": _entry(label=["a"])}}), None),
    "entry is null": (json.dumps({"format": FORMAT, "running": {"t:1": None}}), None),
    "entry is a number": (json.dumps({"format": FORMAT, "interrupted": [7]}), None),
    "no format": (json.dumps({"running": {}, "interrupted": []}), None),
    "a future format": (json.dumps({"format": "gan-classroom-journal/2", "running": {}}), None),
    "a JSON array": ("[1, 2, 3]", None),
    "a JSON number": ("42", None),
    "a JSON string": ('"journal"', None),
    "half a file": ('{"format": "%s", "running": {"a": ' % FORMAT, None),
    "an empty file": ("", None),
    "binary bytes": (b"\x00\xff\xfe\x80" * 100, None),
    "60 kB of [": ("[" * 60_000, None),
    "5 MB of padding": (json.dumps({"format": FORMAT, "pad": "x" * 5_000_000}), None),
}


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(JOURNALS))
def test_journal_found_at_start(name, tmp_path):
    content, reported = JOURNALS[name]
    raw = content.encode() if isinstance(content, str) else content
    path = tmp_path / "journal.json"
    path.write_bytes(raw)
    try:
        j = RunJournal(path)  # what server_journal() does at the first page
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"{CRASH}: {type(exc).__name__}: {exc}") from exc
    assert j.error is None
    mine = j.claim("o")
    for entry in mine:  # what the Train page does with each
        assert f"{int(entry.get('step') or 0):,}"
        assert isinstance(entry.get("label", "run"), str)
    again = json.loads(path.read_text())  # the file is a whole journal again
    assert again["format"] == FORMAT
    if reported is None:
        assert mine == []
        assert j.set_aside is not None
        assert j.set_aside.name.startswith("journal.json.bad-")
        assert j.set_aside.read_bytes() == raw  # kept, byte for byte, for the teacher
    else:
        assert len(mine) == reported
        assert j.set_aside is None
        assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.json"]


# ------------------------------------------------------------------------------------------ data folders
DATA = {
    "good": None,
    "good_raw_layout": None,
    "missing": (DataUnavailable, "does not exist"),
    "a_file": (DataUnavailable, "is a file, not a folder"),
    "empty": (DataUnavailable, "holds no MNIST"),
    "unrelated_files": (DataUnavailable, "holds no MNIST"),
    "images_only": (DataUnavailable, "holds no MNIST"),
    "gzip_bomb": (DataFormatError, "bytes of pixels"),
    "padded_bomb": (DataFormatError, "truncated or padded"),
    "truncated_gz": (DataFormatError, "could not be read"),
    "bad_magic": (DataFormatError, "bad magic"),
    "wrong_size": (DataFormatError, "not 28x28"),
    "label_12": (DataFormatError, "more than mnist's 10 classes"),
    "label_count": (DataFormatError, "labels for"),
    "not_gzip": (DataFormatError, "could not be read as gzip"),
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory, mnist):
    return data_dirs(tmp_path_factory.mktemp("data"), mnist)


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(DATA))
def test_the_servers_data_folder(name, folders, monkeypatch):
    """GAN_CLASSROOM_DATA names the app's data folder; the Train page shows a refusal as a warning."""

    monkeypatch.setenv("GAN_CLASSROOM_DATA", str(folders[name]))
    _load_cached.cache_clear()
    shared_dataset.clear()  # the server reads its data folder once: a fresh server
    try:
        if DATA[name] is not None:
            refused(lambda: shared_dataset("mnist"), DATA[name][0], DATA[name][1])
            return
        data = shared_dataset("mnist")
        assert data.splits["test"] == (0, 200)
        assert str(folders[name]) in data.source
    finally:
        _load_cached.cache_clear()
        shared_dataset.clear()


def test_the_probe_limit_is_far_above_what_shipped_generators_reach():
    """The load-time probe refuses |activation| > PROBE_LIMIT: every shipped model passes it by a wide margin."""
    from gan_core import list_pretrained, load_checkpoint
    from gan_core.checkpoints import PROBE_LIMIT

    for name in list_pretrained():
        ckpt = load_checkpoint(name)
        seen = []
        hooks = [
            m.register_forward_hook(lambda _m, _i, o, seen=seen: seen.append(float(o.abs().max())))
            for m in ckpt.G.modules()
        ]
        with torch.no_grad():
            z = sample_z(64, ckpt.config.latent_dim, 0)
            ckpt.G(z, torch.arange(64) % ckpt.config.class_count) if ckpt.config.class_input else ckpt.G(z)
        for h in hooks:
            h.remove()
        assert math.isfinite(max(seen))
        assert max(seen) < PROBE_LIMIT / 10, name


# ------------------------------------------------------------------------------------------ a pasted z
PASTED = {  # text pasted into Explore's "paste a z" box of a 4-dimensional generator -> refusal fragment or None
    "60 kB of [": ("[" * 60_000, "levels deep"),
    "a nested list": ("[[1, 2], [3, 4]]", "Entry 1"),
    "a list 5 deep": ("[[[[[1]]]]]", "levels deep"),
    "1 MB of numbers": ("[" + "0, " * 400_000 + "0]", "bytes of JSON"),
    "numbers too big for a float": ("1e400, 0, 0, 0", "finite"),
    "infinity": ("inf, 0, 0, 0", "finite"),
    "a JSON object in a list": ('[{"z": 1}, 0, 0, 0]', "Entry 1"),
    "null": ("[null, 0, 0, 0]", "Entry 1"),
    "numbers as strings": ('["1", "2", "0", "-1"]', None),
    "tabs and newlines": ("0.1\t-0.2\n0.3;\n-0.4", None),
    "a good list": ("[0.5, -1.25, 3.0, -3.0]", None),
}


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(PASTED))
def test_a_pasted_z(name):
    from gan_ui.latent import parse_z

    text, fragment = PASTED[name]
    if fragment is not None:
        refused(lambda: parse_z(text, 4), ValueError, fragment)
        return
    z = parse_z(text, 4)
    assert len(z) == 4
    assert all(isinstance(v, float) for v in z)
