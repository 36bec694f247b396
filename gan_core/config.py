"""Run configuration: every knob of a GAN run in one dataclass, plus named presets.

A `GANConfig` fully describes a run (model, loss, optimiser, data, budget, seed), so
saving it beside the weights is enough to reproduce the run. Every field carries the
reason for its default. `validate()` turns every bad combination into a `ConfigError`
with a sentence a student can act on, instead of a crash deep inside PyTorch.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields

from . import safejson
from .i18n import N_, _
from .losses import LOSS_INFO

ARCHS = ("mlp", "dcgan")
DATASETS = ("mnist", "fashion")
PRECISIONS = ("auto", "fp32", "bf16")  # see gan_core.device.resolve_precision
TRUE_WORDS = ("true", "yes", "on", "1")  # what a person types for a boolean field (any case)
FALSE_WORDS = ("false", "no", "off", "0")
MAX_CONFIG_JSON = 100_000  # a config is ~600 bytes of JSON; 100 kB leaves room for whitespace


class ConfigError(ValueError):
    """A configuration a run cannot use; the message says what to change."""


def _one_of(name: str, allowed, value) -> str:
    return _("{name} must be one of {allowed}; got {value}.").format(
        name=name, allowed=", ".join(allowed), value=repr(value)
    )


# The fields that shape G's and D's layers, so a model's weights load only into networks built with the same values.
NETWORK_FIELDS = (
    "arch",
    "latent_dim",
    "g_width",
    "d_width",
    "conditional",
    "info_codes",
    "num_classes",
    "spectral_norm",
    "minibatch_std",
)


@dataclass
class GANConfig:
    # --- model ---------------------------------------------------------------------------
    arch: str = "dcgan"  # "dcgan" learns digits far faster per second than the MLP on 28x28 images
    latent_dim: int = 16  # small enough that every dimension gets its own slider in Explore
    conditional: bool = False  # feed the digit label to G and D (a cGAN), so a student can ask for a "7"
    num_classes: int = 10  # ten digits (or ten Fashion-MNIST classes)
    g_width: int = 64  # channels of G's 14x14 layer (the 7x7 layer has twice this); the DCGAN paper's ngf
    d_width: int = 64  # channels of D's first conv layer (its second has twice this); the DCGAN paper's ndf
    spectral_norm: bool = (
        False  # divide each D weight by its largest singular value: keeps D 1-Lipschitz, calmer training
    )
    info_codes: int = (
        0  # InfoGAN: a categorical code c of this many values beside z, never a label (0 = off; 10 for digits)
    )
    minibatch_std: int = (
        0  # D sees the spread of groups of this many images (ProGAN's 4): against too little variety (0 = off)
    )
    info_weight: float = (
        1.0  # InfoGAN's lambda on the code's cross-entropy; 1 is Chen et al. 2016's value for discrete codes
    )
    # --- loss ----------------------------------------------------------------------------
    loss: str = "non-saturating"  # G maximises log D(G(z)): strong gradients early on (Goodfellow et al. 2014, sec. 3)
    label_smoothing: float = 0.0  # one-sided: real target 1 - s. 0.1 is the usual choice; 0 = the textbook loss
    gp_weight: float = 10.0  # WGAN-GP's lambda; 10 is the value from Gulrajani et al. 2017 used on every dataset
    grad_clip: float = 0.0  # clip each network's gradient norm to this (0 = off); a blunt fix for exploding steps
    d_augment: int = 0  # D sees every digit, real and fake, shifted by up to this many pixels (DiffAugment),
    # so it cannot memorise a small dataset's pixels (0 = off: on the InfoGAN, 2 made
    # digits far worse, README; DiffAugment's own 1/8 of the image is 3 here)
    # --- optimisation --------------------------------------------------------------------
    lr_g: float = 2e-4  # Adam learning rate of G; the DCGAN paper's value (1e-3 was too high; not for cdcgan)
    lr_d: float = 2e-4  # Adam learning rate of D; equal to G's keeps the two players matched
    beta1: float = 0.5  # Adam momentum; the DCGAN paper found 0.9 oscillates and 0.5 is stable
    beta2: float = 0.999  # Adam's second-moment decay; PyTorch's default, nobody tunes it for GANs except WGAN-GP
    batch_size: int = 64  # the DCGAN paper's mini-batch; small batches also keep CPU steps fast
    d_steps: int = 1  # discriminator updates per generator update (k in Algorithm 1 of the GAN paper)
    ema: float = 0.0  # decay of an exponential moving average of G's weights (0 = off, 0.999 typical)
    lr_decay: bool = False  # both learning rates fall linearly to 0 over the budget (as SNGAN trained): a long run
    # ends by settling instead of still hopping around; off, since a class run is short
    precision: str = (
        "auto"  # "bf16" autocast where the chip has bf16 units (faster, same quality: BENCHMARKS.md), else "fp32"
    )
    # --- data and budget -----------------------------------------------------------------
    dataset: str = "mnist"  # handwritten digits; "fashion" gives Fashion-MNIST's clothes as a second dataset
    seed: int = 0  # one seed fixes weights, data order and noise: a run can be reproduced exactly
    max_steps: int = 0  # stop after this many G updates (0 = no step limit)
    max_seconds: float = 60.0  # stop after this much training time (0 = no time limit); a classroom run is 15-120 s
    snapshot_every: int = 50  # steps between fixed-noise sample grids (the training timeline)
    preset: str = ""  # the preset this config came from, if any (informational)

    # ------------------------------------------------------------------------------------
    def validate(self) -> "GANConfig":
        """Raise ConfigError listing every problem, or return self when the config is usable."""
        problems = []

        def need(ok: bool, msg: str) -> None:
            if not ok:
                problems.append(msg)

        def finite(name: str) -> bool:
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            need(ok, _("{name} must be a finite number, got {value}.").format(name=name, value=repr(value)))
            return ok

        for f in fields(self):  # types first: "no" is not False, 5 is not a preset name
            value, kind = getattr(self, f.name), f.type
            if kind == "bool":
                need(
                    isinstance(value, bool),
                    _("{name} must be true or false; got {value}.").format(name=f.name, value=repr(value)),
                )
            elif kind == "str":
                need(
                    isinstance(value, str) and len(value) <= 100,
                    _("{name} must be text (at most 100 characters); got {value}.").format(
                        name=f.name, value=repr(value)[:60]
                    ),
                )
        need(self.arch in ARCHS, _one_of("arch", ARCHS, self.arch))
        loss = LOSS_INFO.get(self.loss) if isinstance(self.loss, str) else None
        need(loss is not None, _one_of("loss", LOSS_INFO, self.loss))
        need(self.precision in PRECISIONS, _one_of("precision", PRECISIONS, self.precision))
        need(self.dataset in DATASETS, _one_of("dataset", DATASETS, self.dataset))
        for name, lo, hi in (
            ("latent_dim", 1, 512),
            ("batch_size", 2, 4096),
            ("d_steps", 1, 20),
            ("g_width", 4, 512),
            ("d_width", 4, 512),
            ("num_classes", 2, 100),
            ("snapshot_every", 1, 100_000),
            ("max_steps", 0, 10_000_000),
        ):
            value = getattr(self, name)
            ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
            need(
                ok,
                _("{name} must be a whole number from {lo} to {hi}; got {value}.").format(
                    name=name, lo=lo, hi=hi, value=repr(value)
                ),
            )
        need(
            isinstance(self.seed, int) and not isinstance(self.seed, bool) and 0 <= self.seed < 2**63,
            _("{name} must be a whole number >= 0; got {value}.").format(name="seed", value=repr(self.seed)),
        )
        for name in ("lr_g", "lr_d"):
            if finite(name):
                need(
                    0 < getattr(self, name) <= 1,
                    _("{name} must be above 0 and at most 1 (2e-4 is typical); got {value}.").format(
                        name=name, value=getattr(self, name)
                    ),
                )
        for name in ("beta1", "beta2"):
            if finite(name):
                need(
                    0 <= getattr(self, name) < 1,
                    _("{name} must be in [0, 1); got {value}.").format(name=name, value=getattr(self, name)),
                )
        if finite("label_smoothing"):
            need(
                0 <= self.label_smoothing < 0.5,
                _("{name} must be in [0, 0.5) (0.1 is usual); got {value}.").format(
                    name="label_smoothing", value=self.label_smoothing
                ),
            )
        if finite("ema"):
            need(
                self.ema == 0 or 0.5 <= self.ema < 1,
                _("{name} must be 0 (off) or a decay in [0.5, 1) such as 0.999; got {value}.").format(
                    name="ema", value=self.ema
                ),
            )
        for name in ("gp_weight", "grad_clip", "max_seconds"):
            if finite(name):
                need(
                    getattr(self, name) >= 0,
                    _("{name} must be >= 0; got {value}.").format(name=name, value=getattr(self, name)),
                )
        if self.max_steps == 0 and isinstance(self.max_seconds, (int, float)) and self.max_seconds == 0:
            problems.append(_("Give the run a budget: max_steps or max_seconds must be above 0."))
        if self.label_smoothing and loss is not None and not loss.targets:
            with_targets = ", ".join(name for name, info in LOSS_INFO.items() if info.targets)
            problems.append(
                _(
                    "Label smoothing softens D's 'real' target, but the {loss} loss has no targets: use it with "
                    "{losses}, or set it to 0."
                ).format(loss=self.loss, losses=with_targets)
            )
        if isinstance(self.info_codes, int) and not isinstance(self.info_codes, bool):
            need(
                self.info_codes == 0 or 2 <= self.info_codes <= 100,
                _("{name} must be 0 (off) or a number of categories from 2 to 100; got {value}.").format(
                    name="info_codes", value=self.info_codes
                ),
            )
        else:
            need(
                False,
                _("{name} must be a whole number (0 = off); got {value}.").format(
                    name="info_codes", value=repr(self.info_codes)
                ),
            )
        if finite("info_weight"):
            need(
                self.info_weight >= 0,
                _("{name} must be >= 0; got {value}.").format(name="info_weight", value=self.info_weight),
            )
        if self.info_codes and self.conditional:
            problems.append(
                _(
                    "InfoGAN's code is a category G invents without labels, while a conditional GAN is given "
                    "the labels. Choose one: turn conditional off, or use a preset without an InfoGAN code "
                    "(info_codes=0)."
                )
            )
        if isinstance(self.d_augment, int) and not isinstance(self.d_augment, bool):
            need(
                0 <= self.d_augment <= 6,
                _(
                    "{name} must be a whole number of pixels from 0 (off) to 6 (DiffAugment's 1/8 "
                    "of a digit is 3); got {value}."
                ).format(name="d_augment", value=self.d_augment),
            )
        else:
            need(
                False,
                _("{name} must be a whole number of pixels (0 = off); got {value}.").format(
                    name="d_augment", value=repr(self.d_augment)
                ),
            )
        if isinstance(self.minibatch_std, int) and not isinstance(self.minibatch_std, bool):
            need(
                self.minibatch_std == 0 or 2 <= self.minibatch_std <= 64,
                _("{name} must be 0 (off) or a group size from 2 to 64 (4 is usual); got {value}.").format(
                    name="minibatch_std", value=self.minibatch_std
                ),
            )
        else:
            need(
                False,
                _("{name} must be a whole number (0 = off); got {value}.").format(
                    name="minibatch_std", value=repr(self.minibatch_std)
                ),
            )
        if self.minibatch_std and loss is not None and loss.gradient_penalty:
            problems.append(
                _(
                    "{loss}'s gradient penalty is taken image by image, but the minibatch standard deviation "
                    "mixes images in a group: set minibatch_std to 0 for {loss}."
                ).format(loss=loss.label)
            )
        if self.spectral_norm and loss is not None and loss.gradient_penalty:
            problems.append(
                _(
                    "{loss} already keeps the critic 1-Lipschitz with its gradient penalty; spectral "
                    "normalization on top of it fights the penalty. Turn one of them off."
                ).format(loss=loss.label)
            )
        if problems:
            raise ConfigError(" ".join(problems))
        return self

    # ------------------------------------------------------------------------------------
    @property
    def class_input(self) -> bool:
        """G takes a class input y beside z: a digit label (conditional) or a learned code (InfoGAN)."""
        return self.conditional or bool(self.info_codes)

    @property
    def class_count(self) -> int:
        """How many values G's class input takes: the InfoGAN's codes, else the dataset's classes."""
        return self.info_codes or self.num_classes

    def network_differences(self, other: "GANConfig") -> dict[str, tuple]:
        """{field: (self's value, other's value)} for the fields that shape G's and D's weights (NETWORK_FIELDS)
        where the two differ: empty when one's trained weights load into the other's networks (except for D's
        BatchNorm, which some losses leave out: `losses.LOSS_INFO`)."""
        pairs = {f: (getattr(self, f), getattr(other, f)) for f in NETWORK_FIELDS}
        return {f: (a, b) for f, (a, b) in pairs.items() if a != b}

    def replace(self, **changes) -> "GANConfig":
        """A copy with some fields changed (unknown names raise ConfigError)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(_("Unknown config field(s): {names}.").format(names=", ".join(sorted(unknown))))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "GANConfig":
        """Build from a dict (e.g. checkpoint metadata); unknown keys are an error, missing ones take defaults."""
        if not isinstance(data, dict):
            raise ConfigError(_("A config must be a JSON object."))
        known = {f.name: f for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ConfigError(_("Unknown config field(s): {names}.").format(names=", ".join(sorted(unknown))))
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "GANConfig":
        try:
            return cls.from_dict(safejson.loads(text, "The config", max_bytes=MAX_CONFIG_JSON))
        except safejson.JSONLimitError as exc:
            raise ConfigError(str(exc)) from None

    @classmethod
    def parse_field(cls, name: str, text: str):
        """A field's value from text typed by a person (`--set name=text`), by the field's type.

        Booleans take true/false, yes/no, on/off or 1/0 in any case; numbers take Python's spelling
        (1e-4, 64); text fields take the text as it is. Anything else is a ConfigError naming the field.
        """
        known = {f.name: f.type for f in fields(cls)}
        if name not in known:
            raise ConfigError(
                _("Unknown config field {name}. Fields: {names}.").format(name=repr(name), names=", ".join(known))
            )
        kind, word = known[name], text.strip()
        if kind == "bool":
            if word.lower() in TRUE_WORDS:
                return True
            if word.lower() in FALSE_WORDS:
                return False
            raise ConfigError(
                _("{name} is on or off: give true/false, yes/no, on/off or 1/0; got {value}.").format(
                    name=name, value=repr(text)
                )
            )
        try:
            if kind == "int":
                return int(word)
            if kind == "float":
                return float(word)
        except ValueError:
            what = (
                _("{name} must be a whole number; got {value}.")
                if kind == "int"
                else _("{name} must be a number; got {value}.")
            )
            raise ConfigError(what.format(name=name, value=repr(text))) from None
        return text


@dataclass(frozen=True)
class Preset:
    name: str
    description: str  # one line, shown by `python -m gan_core presets` and in the app
    changes: dict = field(default_factory=dict)
    digits_after_steps: int = 0  # measured steps to the quality bar (bench/steps_to_digits.py); 0 = not measured

    def config(self, **overrides) -> GANConfig:
        return GANConfig(preset=self.name).replace(**self.changes).replace(**overrides)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "dcgan",
            N_(
                "The classic unconditional DCGAN with the non-saturating loss: digit shapes after a few hundred "
                "steps, clean digits take thousands."
            ),
            {},
        ),
        Preset(
            "mlp",
            N_("The original fully-connected GAN (Goodfellow et al. 2014): MLP G and D, tanh output."),
            {"arch": "mlp", "latent_dim": 32},
        ),
        # The default: of everything measured (BENCHMARKS.md, bench/time_to_digits.py) it learns clean, varied
        # digits fastest per second. The label takes "which digit" off G's hands, so no class goes missing, and
        # the EMA of G's weights averages out the step-to-step jitter that blurs a young generator's digits.
        # Both learning rates are 1e-3, 5x the DCGAN paper's 2e-4, which found 1e-3 too high for its unconditional
        # model (issue #22): with the label and the EMA of G the game stays stable there, and the quality bar comes
        # after 250-300 steps instead of 700-800 at the same cost per step (5e-4: 350-400; three seeds each,
        # bench/recipe_sweep.py, BENCHMARKS.md "CPU path"); TTUR (lr_D 4e-4, lr_G 1e-4) was far behind by step 200.
        # D is half the DCGAN paper's width (d_width 32; its two convolutions are most of a float32 step): on a
        # 2-core CPU without bf16 units the bar came at about the same step (200-265) in 16-21 s instead of 29-32+ s,
        # and the 20 s command-line run passed it on three seeds of three (BENCHMARKS.md "CPU path", 2026-12-06).
        # Its promise is in steps, which do not depend on the machine (bench/steps_to_digits.py, BENCHMARKS.md); the
        # seconds in its description are those steps at an idle 2-core pace (bench/train_speed.py,
        # bench/time_to_digits.py), and a busy server takes longer.
        Preset(
            "cdcgan",
            N_(
                "Conditional DCGAN (the default): G and D see the digit label, so you can ask for a 7; clean digits "
                "of all ten kinds after about 300 steps (measured), which an idle 2-core CPU trains in 15-20 s "
                "and a busy one takes longer over."
            ),
            {"conditional": True, "ema": 0.999, "lr_g": 1e-3, "lr_d": 1e-3, "d_width": 32},
            digits_after_steps=300,
        ),
        Preset(
            "wgan-gp",
            N_("Wasserstein GAN with gradient penalty: a critic instead of a classifier, 5 critic steps per G step."),
            {"loss": "wgan-gp", "lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.0, "beta2": 0.9, "d_steps": 5},
        ),
        Preset(
            "swings",
            N_(
                "Learning rates 500x too high on the MLP GAN (0.1, Adam momentum 0.9): in the first ~30-60 steps "
                "D(G(z)) swings between ~0 and ~1 as each player overshoots the other, then D wins."
            ),
            {"arch": "mlp", "latent_dim": 32, "lr_g": 1e-1, "lr_d": 1e-1, "beta1": 0.9},
        ),
        Preset(
            "no-penalty",
            N_(
                "WGAN with its gradient penalty switched off: nothing keeps the critic 1-Lipschitz, so its scores "
                "run off into the thousands and the game diverges."
            ),
            {"loss": "wgan-gp", "gp_weight": 0.0, "lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.0, "beta2": 0.9, "d_steps": 5},
        ),
        Preset(
            "hinge-sn",
            N_("Hinge loss with spectral normalization in D: a modern, steady recipe."),
            {"loss": "hinge", "spectral_norm": True},
        ),
        # InfoGAN (Chen et al. 2016): no labels anywhere, yet G is asked for one of 10 categories c beside z, and a
        # small head Q on D's features must tell c back from the picture. Maximising that mutual information
        # I(c; G(z, c)) makes each code a distinct, unambiguous kind of digit, and MNIST's ten digits are the most
        # distinct kinds there are: the codes usually become the digits (in some order), without a single label.
        Preset(
            "infogan",
            N_(
                "InfoGAN: no labels, but G gets a 10-way code c and D must guess c back from the image; the codes "
                "turn into digit kinds by themselves."
            ),
            {"info_codes": 10, "ema": 0.999},
        ),
        Preset(
            "collapse",
            N_("Settings that reliably show mode collapse: G outruns D and keeps producing a few digits."),
            {"arch": "mlp", "latent_dim": 8, "lr_g": 2e-3, "lr_d": 2e-4, "beta1": 0.9},
        ),
        Preset(
            "saturating",
            N_("The original minimax loss log(1 - D(G(z))): D wins early and G's gradient vanishes."),
            {"loss": "minimax", "lr_d": 5e-4},
        ),
        Preset(
            "strong-d",
            N_("An overpowered discriminator: D learns 10x faster than G, so D wins and G gets little signal."),
            {"lr_d": 2e-3},
        ),
        Preset(
            "high-lr",
            N_(
                "Learning rates far too high (25x the DCGAN paper's) with Adam momentum 0.9: D runs away with the "
                "game, G's loss climbs."
            ),
            {"lr_g": 5e-3, "lr_d": 5e-3, "beta1": 0.9},
        ),
    ]
}

DEFAULT_PRESET = "cdcgan"  # see its comment above; "dcgan" is the classic unconditional GAN


def preset_config(name: str = DEFAULT_PRESET, **overrides) -> GANConfig:
    """The named preset's config with optional overrides, validated."""
    if name not in PRESETS:
        raise ConfigError(
            _("Unknown preset {name}. Presets: {names}.").format(name=repr(name), names=", ".join(PRESETS))
        )
    return PRESETS[name].config(**overrides).validate()
