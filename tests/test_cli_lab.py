"""`python -m gan_core invert` and `python -m gan_core directions` on shipped models and real digits."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image
from test_cli import _main, assert_clean_error, run_cli

from gan_core import generate, load_checkpoint, make_grid
from gan_core.digits import prepare_digit


def write_png(path, array) -> str:
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)
    return str(path)


@pytest.mark.slow
def test_invert_writes_z_that_redraws_the_digit(tmp_path, mnist):
    """A real digit drawn dark-on-light at 10x: the found z, put back through G, gives the reported error."""
    digit = mnist.images[2345].numpy()
    picture = write_png(tmp_path / "mine.png", 255 - np.kron(digit, np.ones((10, 10), np.uint8)))
    out, recon = tmp_path / "out" / "z.json", tmp_path / "recon.png"
    proc = run_cli("invert", "--model", "mlp", "--image", picture, "--out", out, "--recon", recon, "--scale", "2")
    assert proc.returncode == 0, proc.stderr
    assert "Colours inverted" in proc.stderr and "found z" in proc.stderr
    found = json.loads(out.read_text())
    assert found["model"] == "mlp" and found["label"] is None and found["latent_dim"] == len(found["z"])
    assert max(abs(v) for v in found["z"]) <= 3.0 and found["seconds"] <= 3.0
    assert found["rmse"] < found["start_rmse"]
    G = load_checkpoint("mlp").G
    again = generate(G, torch.tensor(found["z"])).float()[0] / 255.0  # (28, 28)
    target = torch.as_tensor(prepare_digit((tmp_path / "mine.png").read_bytes()).pixels).float() / 255.0
    assert float((again - target).square().mean().sqrt()) == pytest.approx(found["rmse"], abs=0.005)
    h, w = make_grid(np.zeros((2, 28, 28), np.uint8), ncol=2).shape
    assert Image.open(recon).size == (2 * w, 2 * h)


@pytest.mark.slow
def test_directions_writes_one_sweep_per_direction(tmp_path):
    out = tmp_path / "dirs.png"
    proc = run_cli(
        "directions",
        "--model",
        "cdcgan",
        "--out",
        out,
        "--k",
        "3",
        "--frames",
        "5",
        "--n",
        "300",
        "--label",
        "4",
        "--scale",
        "1",
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stderr.splitlines() if line.startswith("PC")]
    assert [r.split()[0] for r in rows] == ["PC1", "PC2", "PC3"]
    assert all("%" in r for r in rows)
    img = np.asarray(Image.open(io.BytesIO(out.read_bytes())))
    assert img.shape == make_grid(np.zeros((15, 28, 28), np.uint8), ncol=5).shape
    first_row = img[2:30]  # each row is a sweep: its frames differ from one another
    frames = [first_row[:, 2 + i * 30 : 30 + i * 30].astype(int) for i in range(5)]
    assert np.abs(frames[0] - frames[-1]).mean() > 5


def test_invert_and_directions_errors_are_one_line(capsys, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a picture at all")
    assert_clean_error(
        *_main(capsys, "invert", "--model", "mlp", "--image", text, "--out", tmp_path / "z.json"), "not a picture"
    )
    blank = write_png(tmp_path / "blank.png", np.full((50, 80), 255))
    assert_clean_error(
        *_main(capsys, "invert", "--model", "mlp", "--image", blank, "--out", tmp_path / "z.json"), "looks blank"
    )
    assert_clean_error(
        *_main(capsys, "invert", "--model", "mlp", "--image", tmp_path / "none.png", "--out", tmp_path / "z.json"),
        "No image file",
    )
    digit = write_png(tmp_path / "digit.png", np.kron(np.eye(4) * 255, np.ones((5, 5))))
    assert_clean_error(
        *_main(capsys, "invert", "--model", "mlp", "--image", digit, "--out", tmp_path / "z.txt"), ".json"
    )
    assert_clean_error(
        *_main(capsys, "invert", "--model", "mlp", "--image", digit, "--label", "3", "--out", tmp_path / "z.json"),
        "neither conditional nor InfoGAN",
    )
    assert_clean_error(
        *_main(capsys, "invert", "--model", "mlp", "--image", digit, "--seconds", "0", "--out", tmp_path / "z.json"),
        "--seconds",
    )
    assert_clean_error(*_main(capsys, "directions", "--model", "mlp", "--out", tmp_path / "d.jpg"), ".png")
    assert_clean_error(
        *_main(capsys, "directions", "--model", "mlp", "--k", "0", "--out", tmp_path / "d.png"),
        "--k must be at least 1",
    )
    assert_clean_error(
        *_main(capsys, "directions", "--model", "nope", "--out", tmp_path / "d.png"), "No checkpoint file"
    )
    assert not (tmp_path / "z.json").exists() and not (tmp_path / "d.png").exists()
