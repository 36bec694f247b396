"""Builds the campaign's input files from real parts: generators built by gan_core and saved by its own
checkpoint code (then damaged one way each), config.json files written by its bundle code (then edited),
IDX folders holding real MNIST digits (then broken), and pictures of real digits."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save as st_save

from gan_core import build_models, preset_config
from gan_core.bundle import config_json
from gan_core.checkpoints import checkpoint_bytes, read_header

TINY_MLP = dict(g_width=8, d_width=8, latent_dim=6, batch_size=16)  # the CLI's tiny training runs use it too
TRAIN = ["train", "--preset", "mlp", "--steps", "2", "--quiet"] + [
    a for k, v in TINY_MLP.items() for a in ("--set", f"{k}={v}")
]


def _tensors_and_meta(blob: bytes) -> tuple[dict, dict]:
    from safetensors.torch import load as st_load

    return st_load(blob), dict(read_header(blob)["__metadata__"])


def _resave(blob: bytes, tensors=None, **meta) -> bytes:
    """The same checkpoint with some tensors or metadata entries replaced (metadata given as Python values
    is written as JSON text, as safetensors requires)."""
    t, m = _tensors_and_meta(blob)
    t.update(tensors or {})
    m.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in meta.items()})
    return st_save(t, metadata=m)


def checkpoints(folder: Path) -> dict[str, Path]:
    """name -> file. Good ones first, then one damage each."""
    torch.manual_seed(0)
    files: dict[str, bytes] = {}
    mlp = preset_config("mlp", **TINY_MLP)
    G, D = build_models(mlp)
    files["good"] = checkpoint_bytes(
        mlp,
        G.eval(),
        D.eval(),
        {"steps": 3, "seconds": 0.5, "name": "tiny"},
        [(step, {k: v.clone() for k, v in G.state_dict().items()}) for step in (0, 3)],
    )
    files["no_d"] = checkpoint_bytes(mlp, G.eval(), None, {"steps": 3})
    cond = preset_config("cdcgan", g_width=4, d_width=4, latent_dim=5)
    Gc, Dc = build_models(cond)
    files["conditional"] = checkpoint_bytes(cond, Gc.eval(), Dc.eval(), {"steps": 1})
    dc = preset_config("dcgan", g_width=4, d_width=4, latent_dim=4)
    Gd, Dd = build_models(dc)
    files["dcgan"] = checkpoint_bytes(dc, Gd.eval(), Dd.eval(), {"steps": 1})

    good, dcg = files["good"], files["dcgan"]
    t, _ = _tensors_and_meta(good)
    var = next(k for k in _tensors_and_meta(dcg)[0] if k.startswith("G.") and k.endswith("running_var"))
    dvar = _tensors_and_meta(dcg)[0][var]
    weight = next(k for k in t if k.startswith("G.") and k.endswith("weight"))
    files["int32_weights"] = _resave(
        good, {k: (v * 100).to(torch.int32) for k, v in t.items() if k.startswith("G.") and v.is_floating_point()}
    )
    files["float64_weights"] = _resave(
        good, {k: v.double() for k, v in t.items() if k.startswith("G.") and v.is_floating_point()}
    )
    files["float16_weights"] = _resave(
        good, {k: v.half() for k, v in t.items() if k.startswith("G.") and v.is_floating_point()}
    )
    files["negative_running_var"] = _resave(dcg, {var: -dvar.abs() - 0.1})
    files["zero_running_var"] = _resave(dcg, {var: torch.zeros_like(dvar)})
    files["weights_x1e30"] = _resave(
        good, {k: v * 1e30 for k, v in t.items() if k.startswith("G.") and v.is_floating_point()}
    )
    files["nan_weight"] = _resave(good, {weight: torch.full_like(t[weight], float("nan"))})
    files["wrong_shape"] = _resave(good, {weight: torch.zeros(3, 3)})
    files["info_list"] = _resave(good, info=[1, 2, 3])
    files["info_steps_abc"] = _resave(good, info={"steps": "abc"})
    files["info_steps_negative"] = _resave(good, info={"steps": -4})
    files["info_steps_fraction"] = _resave(good, info={"steps": 2.5})
    files["info_seconds_text"] = _resave(good, info={"seconds": "long"})
    files["info_seconds_nan"] = _resave(good, info="{\"seconds\": NaN}")
    files["info_name_number"] = _resave(good, info={"name": 5})
    files["info_init_list"] = _resave(good, info={"init": [1]})
    files["info_not_json"] = _resave(good, info="{steps: 3")
    files["info_deep"] = _resave(good, info="[" * 5000 + "]" * 5000)
    files["config_list"] = _resave(good, config=[1, 2])
    files["config_bool_text"] = _resave(good, config=json.dumps({**mlp.to_dict(), "spectral_norm": "no"}))
    files["config_preset_number"] = _resave(good, config=json.dumps({**mlp.to_dict(), "preset": 5}))
    files["no_format"] = _resave(good, format="something-else/1")
    files["missing_g"] = st_save(
        {k: v for k, v in t.items() if not k.startswith("G.")}, metadata=_tensors_and_meta(good)[1]
    )
    header = b'{"__metadata__": ' + b"[" * 20000 + b"]" * 20000 + b"}"
    files["deep_header"] = struct.pack("<Q", len(header)) + header
    header = b'{"__metadata__": {"format": 3}}'
    files["metadata_number"] = struct.pack("<Q", len(header)) + header
    files["truncated"] = good[: len(good) // 2]
    files["empty"] = b""
    files["random_bytes"] = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    files["pickle"] = pickle.dumps({"G": [1, 2, 3]})
    buf = io.BytesIO()
    torch.save({"G": G.state_dict()}, buf)
    files["torch_save_zip"] = buf.getvalue()
    files["json_text"] = b'{"this": "is not a checkpoint"}'
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, blob in files.items():
        (folder / f"{name}.safetensors").write_bytes(blob)
        out[name] = folder / f"{name}.safetensors"
    return out


def configs(folder: Path) -> dict[str, Path]:
    """config.json files as the bundle writes them, then edited one field at a time."""
    cfg = preset_config("mlp", **TINY_MLP, max_steps=2, max_seconds=0.0)
    base = json.loads(config_json(cfg, 2, "test digits", {"torch_threads": 1}))

    def edit(**changes):
        doc = json.loads(json.dumps(base))
        for path, value in changes.items():
            where, key = (doc["config"], path[4:]) if path.startswith("cfg_") else (doc, path)
            if key.startswith("run_"):
                where, key = doc["run"], key[4:]
            where[key] = value
        return json.dumps(doc)

    texts = {
        "good": json.dumps(base),
        "threads_100000": edit(run_torch_threads=100000),
        "threads_minus_4": edit(run_torch_threads=-4),
        "threads_text": edit(run_torch_threads="two"),
        "threads_bool": edit(run_torch_threads=True),
        "run_list": edit(run=[1]),
        "data_text": edit(data="mnist"),
        "spectral_norm_no": edit(cfg_spectral_norm="no"),
        "lr_decay_text": edit(cfg_lr_decay="False"),
        "conditional_number": edit(cfg_conditional=1),
        "preset_number": edit(cfg_preset=5),
        "arch_number": edit(cfg_arch=7),
        "latent_text": edit(cfg_latent_dim="16"),
        "lr_text": edit(cfg_lr_g="fast"),
        "lr_list": edit(cfg_lr_g=[0.1]),
        "batch_zero": edit(cfg_batch_size=0),
        "unknown_field": edit(cfg_colour="blue"),
        "wrong_format": edit(format="gan-classroom-config/99"),
        "config_not_object": edit(config=[1, 2]),
        "nested_60kB": "[" * 60_000,
        "nested_in_field": edit(cfg_preset="x").replace('"preset": "x"', '"preset": ' + "[" * 40 + "]" * 40),
        "array": "[1, 2, 3]",
        "number": "5",
        "not_json": "{config: yes}",
        "empty": "",
        "huge": json.dumps({**base, "padding": "x" * 200_000}),
    }
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, text in texts.items():
        (folder / f"{name}.json").write_text(text)
        out[name] = folder / f"{name}.json"
    (folder / "not_utf8.json").write_bytes(b"\xff\xfe{\x00")
    out["not_utf8"] = folder / "not_utf8.json"
    return out


def idx_bytes(array: np.ndarray, dims: tuple[int, ...] | None = None) -> bytes:
    dims = dims or array.shape
    return bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + array.astype(np.uint8).tobytes()


def data_dirs(folder: Path, mnist) -> dict[str, Path]:
    """Data folders: real MNIST digits as IDX files, then broken one way each."""
    x, y = mnist.images[:200].numpy(), mnist.labels[:200].numpy().astype(np.uint8)
    out = {}

    def make(name: str, files: dict[str, bytes]) -> None:
        d = folder / name
        d.mkdir(parents=True)
        for rel, blob in files.items():
            (d / rel).parent.mkdir(parents=True, exist_ok=True)
            (d / rel).write_bytes(blob)
        out[name] = d

    images, labels = idx_bytes(x), idx_bytes(y)
    make(
        "good", {"t10k-images-idx3-ubyte.gz": gzip.compress(images), "t10k-labels-idx1-ubyte.gz": gzip.compress(labels)}
    )
    make("good_raw_layout", {"MNIST/raw/t10k-images-idx3-ubyte": images, "MNIST/raw/t10k-labels-idx1-ubyte": labels})
    make("empty", {})
    make("unrelated_files", {"notes.txt": b"my digits are elsewhere", "photo.png": b"\x89PNG"})
    make("images_only", {"t10k-images-idx3-ubyte.gz": gzip.compress(images)})
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb") as gz:
        gz.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 3_000_000, 28, 28))  # 2.35 GB promised
        for _ in range(64):
            gz.write(bytes(4_000_000))  # 256 MB of zeros, ~250 kB packed
    make(
        "gzip_bomb", {"t10k-images-idx3-ubyte.gz": bomb.getvalue(), "t10k-labels-idx1-ubyte.gz": gzip.compress(labels)}
    )
    make(
        "padded_bomb",
        {
            "t10k-images-idx3-ubyte.gz": gzip.compress(images + bytes(5_000_000)),
            "t10k-labels-idx1-ubyte.gz": gzip.compress(labels),
        },
    )
    make(
        "truncated_gz",
        {"t10k-images-idx3-ubyte.gz": gzip.compress(images)[:3000], "t10k-labels-idx1-ubyte.gz": gzip.compress(labels)},
    )
    make("bad_magic", {"t10k-images-idx3-ubyte": b"\x00\x00\x0d\x03" + images[4:], "t10k-labels-idx1-ubyte": labels})
    make("wrong_size", {"t10k-images-idx3-ubyte": idx_bytes(x[:, :27, :27]), "t10k-labels-idx1-ubyte": labels})
    make("label_12", {"t10k-images-idx3-ubyte": images, "t10k-labels-idx1-ubyte": idx_bytes(np.full_like(y, 12))})
    make("label_count", {"t10k-images-idx3-ubyte": images, "t10k-labels-idx1-ubyte": idx_bytes(y[:-1])})
    make("not_gzip", {"t10k-images-idx3-ubyte.gz": images, "t10k-labels-idx1-ubyte.gz": labels})
    (folder / "a_file").write_bytes(b"not a folder")
    out["a_file"] = folder / "a_file"
    out["missing"] = folder / "no-such-folder"
    return out


def png(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def digit_picture(mnist, index: int = 0, side: int = 280) -> Image.Image:
    """A real MNIST digit, scaled up, drawn dark on light paper like a photo of one."""
    return Image.fromarray(255 - mnist.images[index].numpy()).resize((side, side), Image.Resampling.BILINEAR)


def big_rgba_png(side: int = 6300) -> bytes:
    """A mostly transparent RGBA picture of side x side pixels with one thick stroke: ~150-200 kB of PNG."""
    img = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    from PIL import ImageDraw

    ImageDraw.Draw(img).line(
        [(side // 3, side // 5), (side // 2, 4 * side // 5)], fill=(0, 0, 0, 255), width=max(3, side // 30)
    )
    return png(img)
