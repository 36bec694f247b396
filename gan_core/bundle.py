"""An assignment bundle: one .zip that holds everything a student hands in about one run.

    history.csv             one row per training step (the columns are the fields of StepRecord)
    final_grid.png          G on the run's 64 fixed noise vectors at its last step
    progress.gif            the same 64 noise vectors at every snapshot: noise turning into digits
    generator.safetensors   G (the EMA copy when EMA was on), D, config and timeline snapshots
    config.json             the run's config with its seed, the data it trained on, and how long it ran
    README.txt              what each file is and the command that trains the same run again

"Loading the config reproduces the run": every random number of a run comes from torch.Generators
seeded by cfg.seed (weights, batches, noise; see gan_core.training), so the same config, on the
same data and device, gives the same weights, step for step. A time budget ("60 s") is not
reproducible (a busy machine does fewer steps in 60 s), so config.json records the budget as the
number of steps the run actually did: max_steps = steps trained, max_seconds = 0.

Everything here is a pure function of a run's results (no UI, no files written), so the app can
serve the bytes as a download and the tests can open them.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from . import safejson
from .checkpoints import checkpoint_bytes
from .config import ConfigError, GANConfig
from .fonts import font_for
from .i18n import N_, _
from .sampling import make_grid, to_png
from .training import Snapshot, StepRecord

CONFIG_FORMAT = "gan-classroom-config/1"
MAX_CONFIG_BYTES = 64 * 1024  # a config is a few hundred bytes; refuse anything absurd before parsing
GIF_FRAME_MS = 120  # ~8 frames a second: 60 snapshots play in about 7 s
GIF_HOLD_MS = 2000  # the last frame stays up so the result can be seen
GRID_SCALE = 4  # final_grid.png: every pixel a crisp 4x4 block

# What each history.csv column means (StepRecord's fields, in order), for README.txt.
COLUMN_DOCS = {
    "step": N_("generator updates done"),
    "elapsed": N_("seconds of training so far (pauses excluded)"),
    "d_loss": N_("discriminator loss L_D of the step's last D update (with the gradient penalty for WGAN-GP)"),
    "g_loss": N_("generator loss L_G of the step's G update"),
    "d_real": N_("mean D(x) on the real batch (a probability for minimax/non-saturating, else the raw score)"),
    "d_fake": N_("mean D(G(z)) on the fake batch, same scale"),
    "g_grad_norm": N_("L2 norm of G's gradient before clipping (near 0: G has stopped learning)"),
    "d_grad_norm": N_("L2 norm of D's gradient before clipping"),
    "images_per_s": N_("real images shown to D per second over the last few steps"),
    "info_loss": N_(
        "InfoGAN only (else empty): -E[log Q(c | G(z, c))], ln K when Q guesses blindly, 0 when every code is readable"
    ),
}
assert list(COLUMN_DOCS) == [f.name for f in fields(StepRecord)], "COLUMN_DOCS must follow StepRecord"


# ------------------------------------------------------------------------------------------------
# The parts
# ------------------------------------------------------------------------------------------------
def history_csv(records: list[StepRecord]) -> str:
    """The loss history as CSV text: a header row of column names, then one row per step."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(COLUMN_DOCS))
    for r in records:
        writer.writerow(
            [r.step, f"{r.elapsed:.4f}"]
            + ["" if getattr(r, c) is None else repr(float(getattr(r, c))) for c in list(COLUMN_DOCS)[2:]]
        )
    return buf.getvalue()


def grid_png(images, scale: int = GRID_SCALE) -> bytes:
    """A (64, 28, 28) uint8 snapshot as an 8x8 PNG grid, pixels kept crisp."""
    return to_png(make_grid(np.asarray(images, dtype=np.uint8), ncol=8), scale=scale)


def progress_gif(snapshots: list[Snapshot], last_step: int | None = None) -> bytes:
    """An animated GIF with one frame per snapshot: the 8x8 fixed-noise grid, and under it the step
    number and a bar showing how far through the run the frame is.

    The caption also makes every frame distinct, so the GIF writer never merges two snapshots whose
    grids happen to be identical (it drops repeated frames otherwise).
    """
    if not snapshots:
        raise ValueError(_("The run has no snapshots yet, so there is no progress to animate."))
    last_step = max(last_step or 0, snapshots[-1].step, 1)
    scale = 2 if len(snapshots) <= 120 else 1  # keep the file a few MB even for the longest runs
    caption = _("step {step:,}")  # in the language the bundle is made in
    font = font_for(caption + "0123456789,", size=14)  # a CJK font when the caption needs one (gan_core.fonts)
    frames = []
    for snap in snapshots:
        grid = make_grid(snap.images.numpy(), ncol=8)  # (H, W) uint8
        grid = np.repeat(np.repeat(grid, scale, axis=0), scale, axis=1)
        h, w = grid.shape
        band = 30
        canvas = Image.new("L", (w, h + band), 255)
        canvas.paste(Image.fromarray(grid), (0, 0))
        draw = ImageDraw.Draw(canvas)
        draw.text((6, h + 3), caption.format(step=snap.step), fill=0, font=font)
        bar_x0, bar_x1 = w // 2, w - 8
        draw.rectangle((bar_x0, h + 10, bar_x1, h + 20), outline=0)
        filled = bar_x0 + round((bar_x1 - bar_x0) * snap.step / last_step)
        if filled > bar_x0:
            draw.rectangle((bar_x0, h + 10, filled, h + 20), fill=0)
        frames.append(canvas)
    durations = [GIF_FRAME_MS] * (len(frames) - 1) + [GIF_HOLD_MS]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return buf.getvalue()


def replay_config(cfg: GANConfig, steps: int) -> GANConfig:
    """The config that trains the same run again: the step count it reached instead of a time budget."""
    return cfg.replace(max_steps=int(steps), max_seconds=0.0)


def config_json(cfg: GANConfig, steps: int, data_description: str = "", run: dict | None = None) -> str:
    """config.json: the replay config plus what it trained on and how the run went (for a reader; the
    config alone is what `python -m gan_core train --config` and the app's upload use)."""
    doc = {
        "format": CONFIG_FORMAT,
        "config": replay_config(cfg, steps).to_dict(),
        "data": {"dataset": cfg.dataset, "description": data_description},
        "run": {
            "steps": int(steps),
            "original_budget": {"max_steps": cfg.max_steps, "max_seconds": cfg.max_seconds},
            **(run or {}),
        },
        "reproduce": reproduce_command(**_replay_flags(run)),
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def _replay_flags(run: dict | None) -> dict:
    run = run or {}
    return {"device": run.get("device_type") or "cpu", "threads": run.get("torch_threads")}


def reproduce_command(config_name: str = "config.json", device: str = "cpu", threads: int | None = None) -> str:
    """The command that trains the run again. On a CPU the thread count matters too: PyTorch splits its sums
    differently over 1 or 2 threads, so the last digits of every step (and so the whole run) differ."""
    flags = f"--device {device}" + (f" --threads {int(threads)}" if threads and device == "cpu" else "")
    return f"python -m gan_core train --config {config_name} --data-dir DIR {flags} --out generator-again.safetensors"


def read_config_json(text: str | bytes) -> tuple[GANConfig, dict]:
    """(validated GANConfig, the rest of the document) from a bundle's config.json or a bare GANConfig
    JSON object (as GANConfig.to_json writes it). Raises ConfigError with the reason."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(_("The file is {size:,} bytes; a config.json is a few hundred bytes.").format(size=len(text)))
    try:
        doc = safejson.loads(text, "The file", max_bytes=MAX_CONFIG_BYTES)
    except safejson.JSONLimitError as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(doc, dict):
        raise ConfigError(_("A config must be a JSON object ({...})."))
    if "format" in doc or "config" in doc:
        if doc.get("format") != CONFIG_FORMAT:
            raise ConfigError(
                _("Unknown config format {found}; expected {expected}.").format(
                    found=repr(doc.get('format')), expected=repr(CONFIG_FORMAT)
                )
            )
        if not isinstance(doc.get("config"), dict):
            raise ConfigError(_("The file has no \"config\" object."))
        meta = {k: v for k, v in doc.items() if k != "config"}
        body = doc["config"]
        _check_meta(meta)
    else:
        meta, body = {}, doc
    try:
        cfg = GANConfig.from_dict(body).validate()
    except TypeError as exc:  # e.g. a field given a list: the dataclass itself refuses it
        raise ConfigError(_("The config is not usable: {error}").format(error=exc)) from None
    return cfg, meta


def _check_meta(meta: dict) -> None:
    """The parts of config.json beside the config that the CLI and the app read: right types, or ConfigError."""
    for key in ("data", "run"):
        if key in meta and not isinstance(meta[key], dict):
            raise ConfigError(
                _("config.json's \"{key}\" must be an object ({{...}}); got {value}.").format(
                    key=key, value=repr(meta[key])[:60]
                )
            )
    description = (meta.get("data") or {}).get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigError(
            _("config.json's data.description must be text; got {value}.").format(value=repr(description)[:60])
        )
    threads = (meta.get("run") or {}).get("torch_threads")
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ConfigError(
            _("config.json's run.torch_threads must be a whole number of at least 1; got {value}.").format(
                value=repr(threads)[:60]
            )
        )


def read_config_file(path: str | Path) -> tuple[GANConfig, dict]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            _("Cannot read the config file {path}: {error}.").format(path=repr(str(path)), error=exc.strerror or exc)
        ) from None
    return read_config_json(data)


def readme_text(
    cfg: GANConfig, steps: int, data_description: str, status: str = "", message: str = "", run: dict | None = None
) -> str:
    cols = "\n".join(f"    {name:<13} {_(doc)}" for name, doc in COLUMN_DOCS.items())
    kind = (
        _("{arch}, {loss} loss, {latent}-d z, conditional")
        if cfg.conditional
        else _("{arch}, {loss} loss, {latent}-d z")
    ).format(arch=cfg.arch, loss=cfg.loss, latent=cfg.latent_dim)
    head = (
        _("Run: {preset} ({kind}),\nseed {seed}, {steps:,} steps").format(
            preset=cfg.preset or "custom", kind=kind, seed=cfg.seed, steps=steps
        )
        + (f", {status}" if status else "")
        + "."
    )
    # One message for the whole text, so a translator sees it as a reader will; {placeholders} are filled below.
    return _("""GAN Classroom run bundle
========================

{head}
{message}
Trained on: {data}

Files
-----
history.csv            The loss history, one row per step, with a header row. Columns:
{cols}
final_grid.png         G on the run's 64 fixed noise vectors at its last step (8 x 8).
progress.gif           The same 64 noise vectors at every snapshot of the run (the training timeline).
generator.safetensors  The generator (the EMA average when EMA was on), the discriminator, the config and a
                       few timeline snapshots. Open it in the app (Explore > Upload a model) or in Python:
                           from gan_core import load_checkpoint
                           ckpt = load_checkpoint("generator.safetensors")   # ckpt.G, ckpt.D, ckpt.config
config.json            The config that trains this run again (its "config" object), the seed included, with the
                       data it trained on. Load it in the app (Train > Load a config) or on the command line.

Train the same run again
------------------------
    {command}

DIR is the folder with the MNIST files (leave --data-dir out to use the default source). With the same
config, the same data, the same device and (on a CPU) the same number of threads, the run repeats step
for step: every random number comes from generators seeded by "seed". The run's time budget was replaced
by the number of steps it did (max_steps = {steps}), since a time budget gives a different number of
steps on a busier machine.
""").format(
        head=head,
        message=message,
        data=data_description or cfg.dataset,
        cols=cols,
        command=reproduce_command(**_replay_flags(run)),
        steps=steps,
    )


# ------------------------------------------------------------------------------------------------
# The zip
# ------------------------------------------------------------------------------------------------
BUNDLE_FILES = ("README.txt", "config.json", "history.csv", "final_grid.png", "progress.gif", "generator.safetensors")


def build_bundle(
    cfg: GANConfig,
    records: list[StepRecord],
    snapshots: list[Snapshot],
    generator: bytes,
    data_description: str = "",
    steps: int | None = None,
    run: dict | None = None,
) -> bytes:
    """The zip's bytes. `generator` is the checkpoint (gan_core.checkpoint_bytes) to include."""
    if not records or not snapshots:
        raise ValueError(_("The run has not trained a step yet: there is nothing to bundle."))
    steps = records[-1].step if steps is None else int(steps)
    run = dict(run or {})
    parts = {
        "README.txt": readme_text(cfg, steps, data_description, run.get("status", ""), run.get("message", ""), run),
        "config.json": config_json(cfg, steps, data_description, run),
        "history.csv": history_csv(records),
        "final_grid.png": grid_png(snapshots[-1].images.numpy()),
        "progress.gif": progress_gif(snapshots, steps),
        "generator.safetensors": generator,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in BUNDLE_FILES:
            data = parts[name]
            data = data.encode("utf-8") if isinstance(data, str) else data
            # PNG/GIF/safetensors are already compact (or incompressible floats): store them as they are
            method = zipfile.ZIP_DEFLATED if name.endswith((".txt", ".json", ".csv")) else zipfile.ZIP_STORED
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


def trainer_bundle(trainer, generator: bytes | None = None, info: dict | None = None) -> bytes:
    """The bundle of a Trainer whose run has ended (its G, D, history and snapshots).

    `generator`: checkpoint bytes already made (the app's download); otherwise they are made here with
    up to 8 evenly spaced snapshots, as the command line saves them.
    """
    if not trainer.done:
        raise ValueError(_("The run is still {status}: bundle it once it has ended.").format(status=trainer.status))
    snaps = trainer.snapshot_list()
    if generator is None:
        with_w = [(s.step, s.g_state) for s in snaps if s.g_state is not None]
        k = min(8, len(with_w))
        keep = [with_w[round(i * (len(with_w) - 1) / (k - 1))] for i in range(k)] if k > 1 else with_w[-k:] if k else []
        meta = {
            "steps": trainer.step,
            "seconds": round(trainer.elapsed, 2),
            "device": trainer.device_name,
            "data": trainer.data_description,
            "status": trainer.status,
            **(info or {}),
        }
        generator = checkpoint_bytes(trainer.cfg, trainer.export_generator(), trainer.D, meta, keep)
    run = {
        "status": trainer.status,
        "message": trainer.message,
        "seconds": round(trainer.elapsed, 2),
        "device": trainer.device_name,
        "device_type": trainer.device.type,
        "torch_threads": torch.get_num_threads(),
    }  # process-wide: the app sets it once at start-up
    # The precision the run actually used ("auto" would resolve differently on a machine without bf16 units).
    cfg = trainer.cfg.replace(precision=trainer.precision)
    return build_bundle(cfg, trainer.records(), snaps, generator, trainer.data_description, trainer.step, run)
