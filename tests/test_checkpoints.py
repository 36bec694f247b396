"""safetensors checkpoints: a round trip gives identical samples; every kind of bad file is refused
with a CheckpointError that says why; shipped models load."""

from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save as st_save

from gan_core import (
    CheckpointError,
    Trainer,
    build_models,
    checkpoint_bytes,
    generate,
    list_pretrained,
    load_checkpoint,
    load_checkpoint_bytes,
    preset_config,
    sample_labels,
    sample_z,
    save_checkpoint,
)
from gan_core.checkpoints import FORMAT, PRETRAINED_DIR, read_info


def tiny(preset="cdcgan", **kw):
    return preset_config(
        preset, g_width=4, d_width=4, latent_dim=5, batch_size=8, max_steps=6, max_seconds=0, snapshot_every=3, **kw
    )


@pytest.fixture(scope="module")
def trained(mnist):
    """A few steps of a conditional DCGAN (BatchNorm statistics and label embeddings included)."""
    return Trainer(tiny(), mnist, device="cpu").run()


@pytest.fixture
def good_bytes(trained):
    return checkpoint_bytes(trained.cfg, trained.export_generator(), trained.D, {"steps": trained.step})


def states_equal(a: torch.nn.Module, b: torch.nn.Module, half: bool = False) -> bool:
    """b holds a's weights exactly, or (half=True) a's weights rounded to float16, in a's dtypes."""
    sa, sb = a.state_dict(), b.state_dict()

    def want(v):
        return v.half().to(v.dtype) if half and v.is_floating_point() else v

    return sa.keys() == sb.keys() and all(sb[k].dtype == sa[k].dtype and torch.equal(want(sa[k]), sb[k]) for k in sa)


# ------------------------------------------------------------------------------------------ round trip
def test_round_trip_gives_identical_samples(trained, tmp_path):
    G = trained.export_generator()
    snaps = [(s.step, s.g_state) for s in trained.snapshots]
    path = save_checkpoint(
        tmp_path / "run.safetensors", trained.cfg, G, trained.D, {"steps": trained.step, "name": "my run"}, snaps
    )
    assert [p.name for p in tmp_path.iterdir()] == ["run.safetensors"]  # no temporary file left behind

    ck = load_checkpoint(path)
    assert ck.config == trained.cfg and ck.source == str(path) and ck.name == "my run"
    assert ck.info["steps"] == trained.step and "[-1, 1]" in ck.info["pixel_range"]
    assert states_equal(G, ck.G)  # G bit for bit
    assert states_equal(trained.D, ck.D, half=True)  # D is stored in half precision
    assert not ck.G.training and not ck.D.training and not any(p.requires_grad for p in ck.G.parameters())

    z, y = sample_z(20, 5, seed=1), sample_labels(20, 10, seed=1)
    assert torch.equal(generate(ck.G, z, y), generate(G, z, y))
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    trained.D.eval()
    with torch.no_grad():
        torch.testing.assert_close(ck.D(x, y[:4]), trained.D(x, y[:4]), atol=2e-3, rtol=1e-2)

    assert [step for step, _ in ck.snapshots] == [s.step for s in trained.snapshots] == [0, 3, 6]
    for (_, loaded), (_, original) in zip(ck.snapshots, snaps):  # timeline frames are kept in half precision
        assert loaded.keys() == original.keys()
        for k in original:
            want = original[k].half().float() if original[k].is_floating_point() else original[k]
            assert loaded[k].dtype == original[k].dtype and torch.equal(loaded[k], want)

    again = load_checkpoint_bytes(path.read_bytes())
    assert again.name == "my run" and again.source == "<upload>"
    assert torch.equal(generate(again.G, z, y), generate(G, z, y))


@pytest.mark.parametrize("preset", ["mlp", "hinge-sn", "wgan-gp"])
def test_round_trip_of_other_architectures_without_d(preset, tmp_path):
    cfg = tiny(preset)
    G, _ = build_models(cfg)
    G.eval()
    ck = load_checkpoint(save_checkpoint(tmp_path / "g.safetensors", cfg, G))
    assert ck.D is None and ck.snapshots == [] and ck.name == "g"
    z = sample_z(6, 5, seed=0)
    assert torch.equal(generate(ck.G, z), generate(G, z))


def test_a_discriminator_with_minibatch_std_keeps_its_running_spread(mnist, tmp_path):
    tr = Trainer(tiny("infogan", minibatch_std=4), mnist, device="cpu").run()
    assert tr.status == "finished", tr.message
    ck = load_checkpoint(save_checkpoint(tmp_path / "m.safetensors", tr.cfg, tr.export_generator(), tr.D))
    assert ck.config.minibatch_std == 4 and float(tr.D.mbstd.running) > 0
    assert float(ck.D.mbstd.running) == pytest.approx(float(tr.D.mbstd.running), rel=1e-3)  # float16 on disk
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    tr.D.eval()
    with torch.no_grad():
        torch.testing.assert_close(ck.D(x), tr.D(x), atol=2e-3, rtol=1e-2)


def test_read_info_without_building_the_model(trained, tmp_path):
    path = save_checkpoint(tmp_path / "x.safetensors", trained.cfg, trained.export_generator(), info={"steps": 6})
    meta = read_info(path)
    assert meta["config"]["arch"] == "dcgan" and meta["config"]["conditional"] is True
    assert meta["info"]["steps"] == 6


def test_only_safetensors_names_are_written(trained, tmp_path):
    with pytest.raises(CheckpointError, match=r"\.safetensors"):
        save_checkpoint(tmp_path / "run.pt", trained.cfg, trained.G)
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------------------------------ refusals
def _torch_save(obj, legacy: bool) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy-pickle"])
def test_torch_save_files_are_refused_without_unpickling(trained, legacy):
    data = _torch_save(trained.G.state_dict(), legacy)
    with pytest.raises(CheckpointError, match="torch.save.*never unpickles"):
        load_checkpoint_bytes(data)


def test_a_plain_pickle_is_refused():
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint_bytes(pickle.dumps({"G": [1, 2, 3]}, protocol=2))


def test_random_bytes_are_refused():
    data = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(CheckpointError, match="not a safetensors checkpoint"):
        load_checkpoint_bytes(data)


@pytest.mark.parametrize("keep", [5, 60, 0.5, 0.95])
def test_truncated_files_are_refused(good_bytes, keep):
    n = keep if isinstance(keep, int) else int(len(good_bytes) * keep)
    with pytest.raises(CheckpointError, match="too short|truncated"):
        load_checkpoint_bytes(good_bytes[:n])


def test_a_safetensors_file_without_our_metadata_is_refused(trained):
    data = st_save({f"G.{k}": v.contiguous() for k, v in trained.G.state_dict().items()})
    with pytest.raises(CheckpointError, match="not saved by GAN Classroom"):
        load_checkpoint_bytes(data)


def test_a_config_that_does_not_match_the_weights_is_refused(trained):
    wrong = trained.cfg.replace(latent_dim=9)  # the weights were made for latent 5
    with pytest.raises(CheckpointError, match="do not match the config.*wrong shape"):
        load_checkpoint_bytes(checkpoint_bytes(wrong, trained.G))
    other_arch = trained.cfg.replace(arch="mlp")
    with pytest.raises(CheckpointError, match="missing .*unexpected"):
        load_checkpoint_bytes(checkpoint_bytes(other_arch, trained.G))


def test_nan_weights_are_refused(trained):
    G = trained.export_generator()
    with torch.no_grad():
        next(iter(G.parameters()))[0].fill_(float("nan"))
    with pytest.raises(CheckpointError, match="NaN or infinite.*diverged"):
        load_checkpoint_bytes(checkpoint_bytes(trained.cfg, G))


def test_nan_in_a_snapshot_is_refused(trained):
    state = {k: v.clone() for k, v in trained.G.state_dict().items()}
    next(v for v in state.values() if v.is_floating_point()).fill_(float("inf"))
    data = checkpoint_bytes(trained.cfg, trained.export_generator(), snapshots=[(3, state)])
    with pytest.raises(CheckpointError, match="snapshot at step 3"):
        load_checkpoint_bytes(data)


def test_oversized_files_are_refused_before_reading(good_bytes, tmp_path):
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint_bytes(good_bytes, max_bytes=len(good_bytes) - 1)
    path = tmp_path / "big.safetensors"
    path.write_bytes(good_bytes)
    with pytest.raises(CheckpointError, match="big.safetensors is .* MB; checkpoints over .* are refused"):
        load_checkpoint(path, max_bytes=1000)
    assert load_checkpoint(path, max_bytes=len(good_bytes)).config.conditional


def test_bad_metadata_is_refused(trained):
    tensors = {f"G.{k}": v.contiguous() for k, v in trained.G.state_dict().items()}
    bad_json = st_save(tensors, metadata={"format": FORMAT, "config": "{not json", "info": "{}"})
    with pytest.raises(CheckpointError, match="config is not usable"):
        load_checkpoint_bytes(bad_json)
    bad_value = st_save(
        tensors,
        metadata={"format": FORMAT, "info": "{}", "config": json.dumps({**trained.cfg.to_dict(), "latent_dim": -1})},
    )
    with pytest.raises(CheckpointError, match="latent_dim"):
        load_checkpoint_bytes(bad_value)
    no_g = st_save(
        {f"D.{k}": v.contiguous() for k, v in trained.D.state_dict().items()},
        metadata={"format": FORMAT, "config": trained.cfg.to_json(), "info": "{}"},
    )
    with pytest.raises(CheckpointError, match="no generator weights"):
        load_checkpoint_bytes(no_g)


def test_a_missing_file_names_the_shipped_models():
    with pytest.raises(CheckpointError, match="No checkpoint file 'nowhere.safetensors'"):
        load_checkpoint("nowhere.safetensors")


def test_list_pretrained_orders_known_models_first(tmp_path):
    for name in ("zeta", "mlp", "dcgan", "classifier", "cdcgan"):
        (tmp_path / f"{name}.safetensors").write_bytes(b"")
    assert list_pretrained(tmp_path) == ["dcgan", "cdcgan", "mlp", "zeta"]
    assert list_pretrained(tmp_path / "absent") == []


# ------------------------------------------------------------------------------------------ shipped models
SHIPPED = list_pretrained()


def test_everything_shipped_in_pretrained_stays_under_30_mb():
    total = sum(p.stat().st_size for p in PRETRAINED_DIR.iterdir() if p.is_file())
    assert 0 < total < 30_000_000, f"pretrained/ holds {total / 1e6:.1f} MB"


@pytest.mark.skipif(not SHIPPED, reason="no generators shipped in pretrained/ yet")
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_generators_load_and_draw_digits(name):
    ck = load_checkpoint(name)
    cfg = ck.config
    z = sample_z(16, cfg.latent_dim, seed=0)
    labels = sample_labels(16, ck.G.num_classes, seed=0) if ck.G.conditional else None  # a label or an InfoGAN code
    images = generate(ck.G, z, labels)
    assert images.shape == (16, 28, 28)
    assert len(set(images.flatten().tolist())) > 2  # not a constant picture
