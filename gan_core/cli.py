"""Command line: python -m gan_core {train, sample, presets, pretrained, classifier, evaluate, invert, directions} ...

    python -m gan_core train --preset dcgan --seconds 60 --out runs/dcgan.safetensors
    python -m gan_core train --config config.json --out runs/again.safetensors     (a run bundle's config)
    python -m gan_core sample --model dcgan --n 64 --out grid.png
    python -m gan_core presets
    python -m gan_core pretrained
    python -m gan_core classifier train --data-dir DIR --epochs 8 --out pretrained/classifier.safetensors
    python -m gan_core evaluate --model dcgan --n 2000 [--json]
    python -m gan_core invert --model dcgan --image my-digit.png --out z.json [--recon recon.png]
    python -m gan_core directions --model dcgan --out directions.png

Messages are in the language of --lang (en, zh_CN), else of $GAN_CLASSROOM_LANG / LANGUAGE / LC_ALL / LANG
(gan_core.i18n). argparse's own words (usage:, the --help texts) stay English.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import i18n
from .bundle import read_config_file
from .checkpoints import CheckpointError, atomic_write, checkpoint_bytes, list_pretrained, load_checkpoint, read_info
from .config import DEFAULT_PRESET, PRESETS, ConfigError, GANConfig, preset_config
from .data import DATA_ENV, DataFormatError, DataUnavailable, load_dataset, to_unit_range
from .device import DEVICE_CHOICES, DeviceError, cap_threads
from .digits import MAX_BYTES as MAX_IMAGE_BYTES
from .evaluation import FD_DRAWS, evaluate_generator, format_evaluation
from .i18n import _
from .metrics import get_reference
from .monitor import QualityMonitor
from .sampling import generate, make_grid, sample_labels, sample_z, to_png
from .training import Trainer

# What each count may be, per command ("*" = any command). Lower bounds keep outputs meaningful; upper bounds
# keep one command within a laptop's memory and minutes (a sample of 10,000 digits is 31 MB as .npy; a
# billion would be 3 TB), and every refusal names the flag and its range.
LIMITS = {
    ("sample", "n"): (1, 10_000),
    ("evaluate", "n"): (2, 20_000),
    ("directions", "n"): (2, 20_000),
    ("*", "steps"): (1, 10_000_000),
    ("*", "scale"): (1, 32),
    ("*", "epochs"): (1, 200),
    ("*", "k"): (1, 64),
    ("*", "frames"): (2, 64),
    ("*", "threads"): (1, 1_000_000),
    ("*", "seeds"): (1, 20),
    ("*", "draws"): (1, 20),
    ("*", "real"): (10, 50_000),
    ("*", "fake"): (0, 50_000),
    ("*", "test"): (10, 50_000),
    ("*", "keep_snapshots"): (0, 64),
    ("*", "quality_n"): (2, 10_000),
    ("*", "quality_every"): (0, 10_000_000),
    ("*", "seed"): (0, 2**63 - 1),
    ("*", "label"): (0, 99),
}
MAX_PNG_PIXELS = 64_000_000  # a written picture's pixels (64 digits at scale 4: about 1 MP); 64 MP is 64 MB
OUT_SUFFIXES = {
    "train": (".safetensors",),
    "sample": (".npy", ".png"),
    "invert": (".json",),
    "directions": (".png",),
    "classifier": (".safetensors",),
}


class ProgressBar:
    """A one-line terminal progress bar (no extra dependency); silent when stderr is not a terminal."""

    def __init__(self, total_steps: int, total_seconds: float, stream=sys.stderr, width: int = 28):
        self.total_steps, self.total_seconds = total_steps, total_seconds
        self.stream, self.width = stream, width
        self.tty = stream.isatty()
        self._last = 0.0

    def __call__(self, trainer: Trainer, records) -> None:
        now = time.monotonic()
        if now - self._last < 0.25 and not trainer.done:
            return
        self._last = now
        r = records[-1]
        fracs = []
        if self.total_steps:
            fracs.append(r.step / self.total_steps)
        if self.total_seconds:
            fracs.append(r.elapsed / self.total_seconds)
        frac = min(1.0, max(fracs) if fracs else 0.0)
        bar = "#" * int(frac * self.width)
        line = f"[{bar:<{self.width}}] {frac:4.0%}  " + _(
            "step {step:>6}  {elapsed:6.1f}s  D {d_loss:7.3f}  G {g_loss:7.3f}  D(x) {d_real:5.2f}  "
            "D(G(z)) {d_fake:5.2f}  {rate:7.0f} img/s"
        ).format(
            step=r.step,
            elapsed=r.elapsed,
            d_loss=r.d_loss,
            g_loss=r.g_loss,
            d_real=r.d_real,
            d_fake=r.d_fake,
            rate=r.images_per_s,
        )
        if self.tty:
            self.stream.write("\r" + line)
        else:
            if int(frac * 10) == int(getattr(self, "_decile", -1)):
                return
            self._decile = int(frac * 10)
            self.stream.write(line + "\n")
        self.stream.flush()


class QualityPrinter:
    """on_record callback: prints each new QualityMonitor measurement on its own line (stderr)."""

    def __init__(self, monitor: QualityMonitor, stream=sys.stderr):
        self.monitor, self.stream, self.printed = monitor, stream, 0

    def __call__(self, trainer: Trainer, records) -> None:
        new = self.monitor.records()[self.printed :]
        for step, q in new:
            print(
                f"\rquality @ step {step:>6}: {len(q.classes_present)}/{len(q.histogram)} classes, KL "
                f"{q.class_kl:.3f}, "
                f"IS {q.inception_score:.2f}, confidence {q.confidence:.3f}, "
                f"Frechet {q.frechet:.1f} ({q.frechet / q.frechet_floor:.1f}x floor {q.frechet_floor:.1f})"
                + (f", code purity {q.code_purity:.0%}" if q.code_purity is not None else ""),
                file=self.stream,
                flush=True,
            )
        self.printed += len(new)


def cmd_train(args) -> int:
    overrides = {k: v for k, v in (("dataset", args.dataset), ("seed", args.seed)) if v is not None}
    if args.steps is not None:
        overrides["max_steps"] = args.steps
        overrides["max_seconds"] = args.seconds if args.seconds is not None else 0.0
    elif args.seconds is not None:
        overrides["max_seconds"] = args.seconds
    for pair in args.set or []:
        key, eq, value = pair.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ConfigError(_("--set takes FIELD=VALUE, e.g. --set lr_g=1e-4; got {value}.").format(value=repr(pair)))
        if key == "preset":
            raise ConfigError(
                _(
                    "--set preset=... is not how a preset is chosen: use --preset NAME (the preset field "
                    "only records where a config came from)."
                )
            )
        overrides[key] = GANConfig.parse_field(key, value)  # by the field's type: "no" is False
    recorded_data = None
    if args.config:  # a bundle's config.json (or a bare GANConfig JSON): the flags above override it
        cfg, meta = read_config_file(args.config)
        cfg = cfg.replace(**overrides).validate()
        recorded_data = (meta.get("data") or {}).get("description")
        if args.threads is None and (meta.get("run") or {}).get("torch_threads"):
            args.threads = meta["run"]["torch_threads"]  # the recorded run's: sums split the same way
            args.threads_from = _("the config's run.torch_threads")
    else:
        cfg = preset_config(args.preset, **overrides)
    if args.threads:  # capped at the cores before anything starts: OpenMP breaks on absurd counts
        args.threads, note = cap_threads(args.threads, getattr(args, "threads_from", "--threads"))
        if note:
            print(_("note:   {note}").format(note=note), file=sys.stderr)
    data = load_dataset(cfg.dataset, args.data_dir, top_up=not args.no_offline_digits)
    print(_("data:   {data}").format(data=data.describe()), file=sys.stderr)
    if recorded_data and recorded_data != data.describe():
        print(
            _("note:   the config's run trained on {data}; other data gives a different run.").format(
                data=recorded_data
            ),
            file=sys.stderr,
        )
    if args.threads:
        torch.set_num_threads(args.threads)
    trainer = Trainer(cfg, data, device=args.device)
    init = None
    if args.init:  # continue a saved model: its G and D are this run's step 0
        init = load_checkpoint(args.init)
        if init.D is None:
            raise ConfigError(
                _("{model} kept no discriminator, so training cannot continue from it.").format(model=args.init)
            )
        differ = init.config.network_differences(cfg)
        if differ:  # say which fields, and the flags that match them, rather than a tensor's shape
            raise ConfigError(
                _(
                    "The networks of {model} do not fit this run's config: it has {theirs}, this run {ours}. "
                    "To continue it, add {flags}."
                ).format(
                    model=args.init,
                    theirs=", ".join(f"{k}={a}" for k, (a, _b) in differ.items()),
                    ours=", ".join(f"{k}={b}" for k, (_a, b) in differ.items()),
                    flags=" ".join(f"--set {k}={a}" for k, (a, _b) in differ.items()),
                )
            )
        trainer.load_weights(init.G, init.D)
        print(
            _("init:   {name} after {steps} steps ({path})").format(
                name=init.name, steps=init.info.get('steps', '?'), path=args.init
            ),
            file=sys.stderr,
        )
    print(_("device: {device}").format(device=trainer.device_name), file=sys.stderr)
    preset = PRESETS.get(cfg.preset.removesuffix("-custom"))
    print(
        _("preset: {preset}").format(preset=cfg.preset or "custom") + (f" ({_(preset.description)})" if preset else ""),
        file=sys.stderr,
    )
    print(f"params: G {trainer.param_counts['G']:,}  D {trainer.param_counts['D']:,}", file=sys.stderr)
    if not args.quiet:
        trainer.add_callback("on_record", ProgressBar(cfg.max_steps, cfg.max_seconds))
    monitor = None
    if args.quality_every:  # measured off the training thread; the trained weights are the same without it
        if cfg.dataset != "mnist":
            raise ValueError(_("--quality-every needs MNIST: the digit classifier judges digits, not clothes."))
        monitor = QualityMonitor(get_reference(data), every=args.quality_every, n=args.quality_n).attach(trainer)
        printer = QualityPrinter(monitor)
        trainer.add_callback("on_record", printer)
    try:
        trainer.run()
    except KeyboardInterrupt:
        trainer.stop()
    print(file=sys.stderr)
    if monitor is not None:
        monitor.join(timeout=120)
        printer(trainer, [])
    print(f"{trainer.status}: {trainer.message}", file=sys.stderr)
    if trainer.status == "failed":
        return 1
    info = {
        "steps": trainer.step,
        "seconds": round(trainer.elapsed, 2),
        "device": trainer.device_name,
        "data": data.describe(),
        "status": trainer.status,
        "message": trainer.message,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": "python -m gan_core " + " ".join(sys.argv[1:]),
    }
    if args.name:
        info["name"] = args.name
    snaps = [(s.step, s.g_state) for s in trainer.snapshot_list() if s.g_state is not None]
    if init is not None:  # one timeline and one step count over both runs; the first run's command kept
        before = int(init.info.get("steps") or 0)
        info["init"] = {k: init.info[k] for k in ("steps", "seconds", "device", "command", "init") if k in init.info}
        info["steps"] = before + trainer.step
        info["seconds"] = round(float(init.info.get("seconds") or 0) + trainer.elapsed, 2)
        snaps = list(init.snapshots) + [(before + step, state) for step, state in snaps if step > 0]
    k = min(args.keep_snapshots, len(snaps))  # evenly spaced from step 0 (noise) to the end
    keep = [snaps[round(i * (len(snaps) - 1) / (k - 1))] for i in range(k)] if k > 1 else snaps[-k:] if k else []
    blob = checkpoint_bytes(cfg, trainer.export_generator(), trainer.D, info, keep)
    out = save_or_rescue(Path(args.out), blob)
    if out is None:
        return 2
    print(_("saved:  {path} ({size:.2f} MB)").format(path=out, size=len(blob) / 1e6), file=sys.stderr)
    return 0 if trainer.status in ("finished", "stopped") else 3


def rescue_path(out: Path) -> Path:
    """Where a run goes when --out cannot take it: the system's temporary folder ($TMPDIR), a fresh name."""
    return Path(tempfile.gettempdir()) / f"gan-classroom-unsaved-{time.strftime('%Y%m%dT%H%M%S')}-{out.name}"


def save_or_rescue(out: Path, blob: bytes, ask=None) -> Path | None:
    """Write a finished run's file atomically to `out`; when that fails (a full disk, a read-only folder), keep
    the run: write it to rescue_path(out), else (on a terminal) ask for another path, until one works or the
    user gives up. Returns the path written, or None after printing the `error:` line (exit code 2)."""
    try:
        atomic_write(out, blob)
        return out
    except OSError as exc:
        first = f"could not write {out} ({exc.strerror or exc})"
    rescue = rescue_path(out)
    try:
        atomic_write(rescue, blob)
        print(
            f"error: {first}; the run is saved in {rescue} instead: move it where you want it "
            f"(nothing was left half-written at {out}).",
            file=sys.stderr,
        )
        return None
    except OSError as exc:
        first += f", nor {rescue} ({exc.strerror or exc})"
    ask = ask or (input if sys.stdin.isatty() else None)
    while ask is not None:
        try:
            answer = ask(f"{first}.\nThe run is still in memory. Save it to (a .safetensors path; Enter gives up): ")
        except (EOFError, KeyboardInterrupt):
            break
        if not answer.strip():
            break
        try:
            atomic_write(Path(answer.strip()).expanduser(), blob)
            print(f"error: {first}; the run is saved in {answer.strip()} instead.", file=sys.stderr)
            return None
        except OSError as exc:
            first = f"could not write {answer.strip()} ({exc.strerror or exc})"
    print(
        f"error: {first}: the run could not be saved anywhere. Free some disk space (or choose a --out on "
        f"another disk) and train again.",
        file=sys.stderr,
    )
    return None


def _check_label(args, ckpt) -> None:
    """--label needs a generator with a class input: a conditional one (a digit) or an InfoGAN (a code)."""
    if args.label is not None and not ckpt.G.conditional:
        raise ConfigError(
            _(
                "{model} takes no class input (it is neither conditional nor InfoGAN), so --label cannot be used."
            ).format(model=args.model)
        )


def cmd_sample(args) -> int:
    ckpt = load_checkpoint(args.model)
    cfg = ckpt.config
    z = sample_z(args.n, cfg.latent_dim, args.seed)
    _check_label(args, ckpt)
    labels = None
    if ckpt.G.conditional:  # a digit label, or an InfoGAN code (uniform over its values)
        labels = (
            np.full(args.n, args.label)
            if args.label is not None
            else sample_labels(args.n, ckpt.G.num_classes, args.seed)
        )
    out = Path(args.out)
    if out.suffix == ".png":
        side = math.ceil(math.sqrt(args.n)) * 30 + 2  # make_grid: 28 px digits, 2 px apart
        check_picture(
            side * side * args.scale**2, _("{n} digits at --scale {scale}").format(n=args.n, scale=args.scale)
        )
    images = generate(ckpt.G, z, None if labels is None else np.asarray(labels))  # (n, 28, 28) uint8
    if out.suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, to_unit_range(images)[:, 0].numpy())  # (n, 28, 28) in [-1, 1]
        atomic_write(out, buf.getvalue())
    else:
        atomic_write(out, to_png(make_grid(images.numpy()), scale=args.scale))
    print(_("wrote {n} samples to {path}").format(n=args.n, path=out), file=sys.stderr)
    return 0


def check_picture(pixels: int, what: str) -> None:
    if pixels > MAX_PNG_PIXELS:
        raise ConfigError(
            _(
                "The picture for {what} would have {megapixels:,.0f} megapixels; at most {limit:.0f} are "
                "written. Ask for fewer digits or a smaller --scale."
            ).format(what=what, megapixels=pixels / 1e6, limit=MAX_PNG_PIXELS / 1e6)
        )


def cmd_presets(args) -> int:
    width = max(len(n) for n in PRESETS)
    for name, p in PRESETS.items():
        mark = " " + _("(default)") if name == DEFAULT_PRESET else ""
        print(f"{name:<{width}}  {_(p.description)}{mark}")
    return 0


def cmd_pretrained(args) -> int:
    names = list_pretrained()
    if not names:
        print(_("No pretrained generators are shipped in pretrained/."))
    for name in names:
        meta = read_info(name)
        cfg, info = meta["config"], meta["info"]
        desc = info.get("description") or PRESETS.get(cfg.get("preset", ""), PRESETS[DEFAULT_PRESET]).description
        desc = _(desc)
        print(
            f"{name:<12} {cfg['arch']:<6} latent {cfg['latent_dim']:>3}  "
            f"{'conditional ' if cfg['conditional'] else ''}{'InfoGAN ' if cfg.get('info_codes') else ''}"
            f"{info.get('steps', '?')} steps  {desc}"
        )
    return 0


def cmd_classifier_train(args) -> int:
    from .classifier import print_progress, save_classifier, split_for_classifier, train_classifier

    data = load_dataset("mnist", args.data_dir)
    split = split_for_classifier(data)
    print(f"split:  {split.description}", file=sys.stderr)
    model, report = train_classifier(
        data,
        epochs=args.epochs,
        seed=args.seed,
        device=args.device,
        split=split,
        callback=None if args.quiet else print_progress,
    )
    info = {"created": time.strftime("%Y-%m-%d %H:%M:%S"), "command": "python -m gan_core " + " ".join(sys.argv[1:])}
    out = save_classifier(args.out, model, report, info)
    print(
        f"held-out accuracy {report.heldout_accuracy:.2%} on {report.heldout_size:,} digits never trained on "
        f"({report.params:,} parameters, {report.seconds:.0f} s on {report.device})",
        file=sys.stderr,
    )
    print(f"saved:  {out} ({out.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)
    return 0


def cmd_evaluate(args) -> int:
    from .classifier import default_classifier, load_classifier

    ckpt = load_checkpoint(args.model)
    classifier = load_classifier(args.classifier) if args.classifier else default_classifier()
    data = load_dataset("mnist", args.data_dir)
    ev = evaluate_generator(
        ckpt,
        n=args.n,
        labels=args.label,
        seed=args.seed,
        data=data,
        classifier=classifier,
        memorization=not args.no_memorization,
        draws=args.draws,
    )
    print(json.dumps(ev.to_dict(), indent=2) if args.json else format_evaluation(ev))
    return 0


def cmd_invert(args) -> int:
    from .digits import prepare_digit
    from .inversion import invert
    from .sampling import to_png as png

    ckpt = load_checkpoint(args.model)
    image = Path(args.image)
    if not image.is_file():
        raise ValueError(_("No image file {path}.").format(path=repr(str(image))))
    if image.stat().st_size > MAX_IMAGE_BYTES:  # before reading a byte of it
        raise ValueError(
            _(
                "{path} is {size:.1f} MB; pictures over {limit:.0f} MB are refused. A digit needs very few "
                "pixels: shrink it first."
            ).format(path=image, size=image.stat().st_size / 1e6, limit=MAX_IMAGE_BYTES / 1e6)
        )
    out = Path(args.out)
    if args.recon and Path(args.recon).suffix != ".png":
        raise ConfigError(_("--recon must end in .png (the prepared digit beside G's reconstruction)."))
    _check_label(args, ckpt)
    if not 0 < args.seconds <= 600:
        raise ConfigError(_("--seconds must be above 0 and at most 600."))
    digit = prepare_digit(image.read_bytes())
    for note in digit.notes:
        print(_("note:   {note}").format(note=note), file=sys.stderr)
    res = invert(ckpt.G, digit.pixels, label=args.label, deadline=args.seconds, seed=args.seed)
    atomic_write(
        out,
        (
            json.dumps(
                {"model": str(args.model), "image": str(image), "latent_dim": ckpt.config.latent_dim, **res.to_dict()},
                indent=2,
            )
            + "\n"
        ).encode(),
    )
    if args.recon:
        pair = make_grid(np.stack([digit.pixels, res.image]), ncol=2)  # target | G(z)
        atomic_write(Path(args.recon), png(pair, scale=args.scale))
    label = _(", label {label}").format(label=res.label) if res.label is not None else ""
    print(
        _(
            "found z{label}: pixel RMSE {error:.3f} (best random start {start:.3f}), {steps} steps in {seconds:.1f} s "
            "-> {path}"
        ).format(label=label, error=res.error, start=res.start_error, steps=res.steps, seconds=res.seconds, path=out),
        file=sys.stderr,
    )
    return 0


def cmd_directions(args) -> int:
    from .directions import directions_grid, principal_directions

    ckpt = load_checkpoint(args.model)
    out = Path(args.out)
    _check_label(args, ckpt)
    label = args.label if args.label is not None else (0 if ckpt.G.conditional else None)
    check_picture(
        args.k * args.frames * 32 * 32 * args.scale**2,
        _("{k} sweeps of {frames} frames").format(k=args.k, frames=args.frames),
    )
    dirs = principal_directions(ckpt.G, n=args.n, k=args.k)
    z = sample_z(1, ckpt.config.latent_dim, seed=args.seed)[0]
    grid = directions_grid(ckpt.G, dirs, z, label, n=args.frames)
    atomic_write(out, to_png(grid, scale=args.scale))
    print(_("direction  image variance  pixel change per 1-sigma step"), file=sys.stderr)
    for j in range(dirs.k):
        print(f"PC{j + 1:<8} {dirs.explained[j]:>13.1%}  {dirs.effect[j]:>10.3f}", file=sys.stderr)
    print(
        _("wrote {k} sweeps (-3 to +3 sigma, {frames} frames each) to {path}").format(
            k=dirs.k, frames=args.frames, path=out
        ),
        file=sys.stderr,
    )
    return 0


def cmd_augment(args) -> int:
    from .augment import run_augmentation

    data = load_dataset("mnist", args.data_dir)
    result = run_augmentation(
        data,
        n_real=args.real,
        n_fake=args.fake,
        n_test=args.test,
        seeds=range(args.seeds),
        generator=args.model,
        steps=args.steps,
        progress=None if args.json else lambda d, n, text: print(f"[{d}/{n}] {text}", flush=True),
    )
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gan_core", description="GAN Classroom: train and sample small GANs."
    )
    parser.add_argument(
        "--lang",
        choices=[code for code, _name in i18n.supported()],
        help="language of the messages (default: from $GAN_CLASSROOM_LANG or LANG)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a GAN and save its generator")
    t.add_argument("--preset", default=DEFAULT_PRESET, choices=list(PRESETS))
    t.add_argument(
        "--config",
        metavar="FILE.json",
        help="train the run a config.json describes (a run bundle's, or GANConfig JSON) instead of a preset",
    )
    t.add_argument("--seconds", type=float, help="wall-clock training budget (default: the preset's, 60 s)")
    t.add_argument("--steps", type=int, help="step budget (generator updates)")
    t.add_argument("--data-dir", help=f"folder with MNIST IDX files (default: ${DATA_ENV})")
    t.add_argument("--dataset", choices=["mnist", "fashion"], help="default: mnist (or the config's)")
    t.add_argument(
        "--no-offline-digits",
        action="store_true",
        help="do not add the 5,000 offline training digits to a data directory that lacks the train split",
    )
    t.add_argument("--device", default="auto", choices=list(DEVICE_CHOICES))
    t.add_argument("--seed", type=int, help="default: 0 (or the config's)")
    t.add_argument(
        "--threads",
        type=int,
        help="CPU threads for PyTorch (default: the config's recorded run's, else "
        "PyTorch's); a CPU run repeats exactly only with the same thread count",
    )
    t.add_argument(
        "--init",
        metavar="MODEL",
        help="continue from a saved model (file or shipped name) that kept its D: its G and D start this run, "
        "which must use the same architecture; the saved file counts steps and snapshots over both runs",
    )
    t.add_argument(
        "--set", action="append", metavar="FIELD=VALUE", help="override any config field, e.g. --set lr_g=1e-4"
    )
    t.add_argument("--keep-snapshots", type=int, default=8, help="G snapshots saved along training (timeline)")
    t.add_argument(
        "--quality-every",
        type=int,
        default=0,
        metavar="STEPS",
        help="print sample quality (classes, KL, IS, Frechet vs floor) every STEPS steps, at the first snapshot "
        "(every snapshot_every steps) that far on; MNIST only",
    )
    t.add_argument("--quality-n", type=int, default=1000, help="digits per quality measurement (default 1000)")
    t.add_argument("--name", help="a display name stored in the file")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--out", required=True, help="output .safetensors file")
    t.set_defaults(fn=cmd_train)

    s = sub.add_parser("sample", help="draw samples from a generator")
    s.add_argument("--model", required=True, help="a .safetensors file or a shipped model name")
    s.add_argument("--n", type=int, default=64)
    s.add_argument(
        "--label", type=int, help="class to draw (conditional models), or code (InfoGAN models; default: uniform)"
    )
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--scale", type=int, default=4, help="PNG upscaling factor (nearest neighbour)")
    s.add_argument("--out", required=True, help="FILE.npy (array (N, 28, 28) in [-1, 1]) or FILE.png (grid)")
    s.set_defaults(fn=cmd_sample)

    sub.add_parser("presets", help="list the training presets").set_defaults(fn=cmd_presets)
    sub.add_parser("pretrained", help="list the shipped generators").set_defaults(fn=cmd_pretrained)

    c = sub.add_parser("classifier", help="the digit classifier behind the quality metrics")
    csub = c.add_subparsers(dest="classifier_command", required=True)
    ct = csub.add_parser("train", help="train the digit classifier on real MNIST and save it")
    ct.add_argument("--data-dir", help=f"folder with MNIST IDX files (default: ${DATA_ENV})")
    ct.add_argument(
        "--epochs", type=int, default=8, help="passes over the training digits (8: about a minute on a CPU)"
    )
    ct.add_argument("--seed", type=int, default=0)
    ct.add_argument("--device", default="auto", choices=list(DEVICE_CHOICES))
    ct.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    ct.add_argument("--out", default="pretrained/classifier.safetensors", help="output .safetensors file")
    ct.set_defaults(fn=cmd_classifier_train)

    e = sub.add_parser("evaluate", help="measure a generator's samples with the digit classifier")
    e.add_argument("--model", required=True, help="a .safetensors file or a shipped model name")
    e.add_argument("--n", type=int, default=2000, help="samples to draw")
    e.add_argument("--seed", type=int, default=0, help="seed of the first draw (draw k uses seed + k)")
    e.add_argument(
        "--draws",
        type=int,
        default=FD_DRAWS,
        help=f"independent draws of N samples averaged for the Fréchet distance (default {FD_DRAWS}: "
        "one draw varies by about 10%%)",
    )
    e.add_argument(
        "--label", type=int, help="conditional models: request this digit for every sample (InfoGAN: this code)"
    )
    e.add_argument("--data-dir", help=f"folder with MNIST IDX files (default: ${DATA_ENV})")
    e.add_argument("--classifier", help="a classifier file (default: pretrained/classifier.safetensors)")
    e.add_argument("--no-memorization", action="store_true", help="skip the nearest-training-digit search")
    e.add_argument("--json", action="store_true", help="print JSON instead of a table")
    e.set_defaults(fn=cmd_evaluate)

    i = sub.add_parser("invert", help="find the z for which a generator draws a given digit picture")
    i.add_argument("--model", required=True, help="a .safetensors file or a shipped model name")
    i.add_argument("--image", required=True, help="a picture of one digit (PNG, JPEG, ...; any size, either colours)")
    i.add_argument("--out", required=True, help="output FILE.json: z, label, pixel error")
    i.add_argument(
        "--label", type=int, help="conditional models: the digit to assume (InfoGAN: the code; default: search all)"
    )
    i.add_argument("--seconds", type=float, default=2.0, help="time budget of the search (default 2 s)")
    i.add_argument("--seed", type=int, default=0)
    i.add_argument("--recon", help="also write FILE.png: the prepared digit beside G's reconstruction")
    i.add_argument("--scale", type=int, default=8, help="PNG upscaling factor (nearest neighbour)")
    i.set_defaults(fn=cmd_invert)

    d = sub.add_parser("directions", help="principal directions of a generator's latent space as a picture")
    d.add_argument("--model", required=True, help="a .safetensors file or a shipped model name")
    d.add_argument("--out", required=True, help="output FILE.png: one row per direction")
    d.add_argument("--k", type=int, default=8, help="directions to show")
    d.add_argument("--n", type=int, default=1000, help="samples for the PCA")
    d.add_argument("--frames", type=int, default=9, help="frames per sweep")
    d.add_argument("--label", type=int, help="conditional models: the digit to draw (InfoGAN: the code; default 0)")
    d.add_argument("--seed", type=int, default=0, help="which z from the prior the sweeps pass through")
    d.add_argument("--scale", type=int, default=3, help="PNG upscaling factor (nearest neighbour)")
    d.set_defaults(fn=cmd_directions)

    a = sub.add_parser("augment", help="does a conditional GAN's digits help a classifier trained on few real ones?")
    a.add_argument("--real", type=int, default=200, help="real training digits (a multiple of 10)")
    a.add_argument("--fake", type=int, default=1000, help="generated digits added")
    a.add_argument("--test", type=int, default=1000, help="held-out real test digits (a multiple of 10)")
    a.add_argument("--seeds", type=int, default=3, help="repetitions, each with a different small real set")
    a.add_argument("--steps", type=int, default=300, help="classifier optimiser steps, the same for both arms")
    a.add_argument("--model", default="cdcgan", help="a conditional generator (file or shipped name)")
    a.add_argument("--data-dir", help=f"folder with MNIST IDX files (default: ${DATA_ENV})")
    a.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    a.set_defaults(fn=cmd_augment)
    return parser


def check_args(args) -> str | None:
    """The first count out of its range (LIMITS), or an --out whose kind or place cannot work, in words."""
    command = args.command
    for (where, name), (lo, hi) in LIMITS.items():
        if where not in ("*", command) or (where == "*" and (command, name) in LIMITS):
            continue
        value = getattr(args, name, None)
        if value is not None and not lo <= value <= hi:
            flag = "--" + name.replace("_", "-")
            if name == "quality_every":
                return _("{flag} must be 0 (off) or a number of steps up to {hi:,}; got {value:,}.").format(
                    flag=flag, hi=hi, value=value
                )
            return (
                _("{flag} must be at least {lo:,}; got {value:,}.")
                if value < lo
                else _("{flag} must be at most {hi:,}; got {value:,}.")
            ).format(flag=flag, lo=lo, hi=hi, value=value)
    for name in ("seconds",):
        value = getattr(args, name, None)
        if value is not None and not (math.isfinite(value) and value >= 0):
            return _("--{name} must be a number of seconds >= 0; got {value}.").format(name=name, value=value)
    out = getattr(args, "out", None)
    if out is not None and command in OUT_SUFFIXES:
        path = Path(out)
        kinds = OUT_SUFFIXES[command]
        if path.suffix not in kinds:
            return _("--out must end in {kinds}; got {value}.").format(kinds=_(" or ").join(kinds), value=repr(out))
        if path.is_dir():
            return _("--out {path} is a folder; give a file name ending in {kinds}.").format(
                path=out, kinds=_(" or ").join(kinds)
            )
        parent = next((p for p in path.absolute().parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            return _("--out {path} cannot be written: {parent} is a file, not a folder.").format(
                path=out, parent=parent
            )
    return None


def language_from_argv(argv) -> str | None:
    """The value of --lang (--lang X or --lang=X) anywhere in argv, before the full parse."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang")
    known, _rest = pre.parse_known_args(argv)
    return known.lang


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    with i18n.language(language_from_argv(argv)):  # --lang, else LANG & co. (i18n.default_language)
        return _main(argv)


def _main(argv) -> int:
    args = build_parser().parse_args(argv)
    problem = check_args(args)
    if problem:
        print(_("error: {problem}").format(problem=problem), file=sys.stderr)
        return 2
    try:
        return args.fn(args)
    except (ConfigError, CheckpointError, DataUnavailable, DataFormatError, DeviceError, ValueError) as exc:
        print(_("error: {problem}").format(problem=exc), file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only folder: every write is atomic, so none is half-done
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            _(
                "error: {where}{problem}. No file was left half-written; free some space or choose another --out, "
                "and run the command again."
            ).format(where=where, problem=exc.strerror or exc),
            file=sys.stderr,
        )
        return 2
