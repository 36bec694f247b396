"""The models Explore can open: shipped generators, this tab's runs, uploads and saved runs, as `ModelEntry`.

ModelEntry            a generator (and D when kept) with its config, info and timeline snapshots
run_name              a run's name ("Run 3 · dcgan · 400 steps") in the tab's current language, from its parts
entry_from_checkpoint a gan_core.Checkpoint as an entry
upload_entry          an uploaded .safetensors file as an entry (CheckpointError says why not)
shipped_entry         a shipped generator: one copy per server process (st.cache_resource), read by every tab
catalogue(user_models) every model of a tab (a Catalogue): shipped first, then its runs, uploads and saved runs;
                      a shipped model is loaded when first opened (the picker reads names from file headers only)
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
import torch

from gan_core import (
    PRESETS,
    CheckpointError,
    GANConfig,
    build_models,
    list_pretrained,
    load_checkpoint,
    load_checkpoint_bytes,
)
from gan_core.checkpoints import PRETRAINED_DIR, read_info
from gan_core.i18n import _, format_number, ngettext
from gan_core.metrics import code_digits

from .names import loss_label, preset_label

log = logging.getLogger("gan_ui")


def run_name(number: int, preset: str | None, steps: int) -> str:
    """A run's name in the tab's current language, formatted from its parts each time it is shown: a name
    stored as text would keep the language the run was made in after the tab switches."""
    steps_text = ngettext("{n} step", "{n} steps", steps).format(n=format_number(steps))
    return _("Run {number} · {preset} · {steps}").format(number=number, preset=preset_label(preset), steps=steps_text)


@dataclass
class ModelEntry:
    key: str  # "shipped:dcgan", "run:3", "upload:2", "saved:run3-dcgan-400steps"
    label: str  # what the picker showed when the entry was made (picker_label formats it again in today's language)
    kind: str  # "shipped" | "run" | "upload" | "saved"
    config: GANConfig
    G: torch.nn.Module  # CPU, eval mode, no gradients: read-only, safe to share
    info: dict = field(default_factory=dict)
    snapshots: list = field(default_factory=list)  # [(step, G state)] along training
    D: torch.nn.Module | None = None  # the discriminator when the file/run kept it: CPU, eval mode, no gradients
    _at_step: dict = field(default_factory=dict, repr=False, compare=False)  # step -> G, built on demand
    _code_digits: list | None = field(default=None, repr=False, compare=False)
    source_name: str = ""  # an upload's file name without its extension

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def snapshot_steps(self) -> list[int]:
        return [step for step, _ in self.snapshots]

    def generator_at(self, step: int) -> torch.nn.Module:
        """G with the weights saved at `step` (CPU, eval mode, no gradients), built once per entry and step.

        Step 0 needs no snapshot: the untrained G is rebuilt from the config's seed, exactly as the
        trainer initialised it. Always a new module, never the shared G switched to other weights:
        shipped entries are read by every session.
        """
        G = self._at_step.get(step)
        if G is None:
            state = dict(self.snapshots).get(step)
            if state is not None:
                G = copy.deepcopy(self.G)
                G.load_state_dict(state)
            elif step == 0:
                G = build_models(self.config)[0]
            else:
                raise KeyError(f"No snapshot at step {step}; this model has {self.snapshot_steps}.")  # a bug, not shown
            G = self._at_step.setdefault(step, G.eval().requires_grad_(False))
        return G

    @property
    def conditional(self) -> bool:
        """G takes a class input: a digit label (conditional GAN) or a learned code (InfoGAN)."""
        return self.config.class_input

    @property
    def infogan(self) -> bool:
        """An InfoGAN: its class input is a code G learned to use without labels, not a digit."""
        return bool(self.config.info_codes)

    @property
    def num_classes(self) -> int:
        return self.config.class_count

    def code_digits(self) -> list[int | None] | None:
        """An MNIST InfoGAN's codes named by the digit each draws (the shipped classifier's majority verdict,
        gan_core.metrics.code_digits), computed once per model; None for other models or without the classifier."""
        if not self.infogan or self.config.dataset != "mnist":
            return None
        if self._code_digits is None:
            try:
                self._code_digits = code_digits(self.G, self.latent_dim, self.num_classes)
            except (CheckpointError, OSError, RuntimeError) as exc:
                log.warning("could not name the codes of %s: %s", self.key, exc)
                return None
        return self._code_digits

    def picker_label(self) -> str:
        """The name the model picker shows, in the tab's current language, built from the entry's parts (key,
        config, info): a tab that switches language renames the runs it made before (a shipped entry is cached
        for every tab, so it never keeps one tab's language either). `label` is the fallback."""
        kind, name = self.kind, self.key.partition(":")[2]
        if kind == "shipped" and not self.info.get("title"):
            return _("{name} · shipped with the app").format(name=name)
        if kind == "run" and name.isdigit():
            return run_name(int(name), self.config.preset, int(self.info.get("steps") or 0))
        if kind == "saved" and name:  # the shelf's file name ("run3-dcgan-400steps"): old and new files alike
            return _("Saved: {name}").format(name=name)
        if kind == "upload" and self.source_name:
            return _("Uploaded: {name}").format(name=self.source_name)
        return self.label

    def describe(self) -> str:
        cfg, info = self.config, self.info
        parts = [
            cfg.arch.upper() if cfg.arch == "dcgan" else "MLP",
            _("{loss} loss").format(loss=loss_label(cfg.loss)),
            _("{n}-d z").format(n=cfg.latent_dim),
        ]
        if cfg.conditional:
            parts.append(_("conditional (pick the digit)"))
        if cfg.info_codes:
            parts.append(_("InfoGAN ({n} codes learned without labels)").format(n=cfg.info_codes))
        if info.get("steps"):
            parts.append(_("{n} steps").format(n=format_number(int(info["steps"]))))
        if info.get("seconds"):
            parts.append(_("{s} s of training").format(s=format_number(float(info["seconds"]), 0)))
        where = {
            "shipped": _("ships with the app"),
            "run": _("trained in this tab"),
            "upload": _("uploaded"),
            "saved": _("saved on this server from an earlier visit of this tab"),
        }[self.kind]
        text = " · ".join(parts) + f" · {where}"
        about = info.get("description")
        if not about and self.kind == "shipped" and cfg.preset in PRESETS:
            about = _(PRESETS[cfg.preset].description)
        return f"{about} ({text})" if about else text


def entry_from_checkpoint(key: str, label: str, kind: str, ckpt) -> ModelEntry:
    return ModelEntry(key, label, kind, ckpt.config, ckpt.G, dict(ckpt.info), list(ckpt.snapshots), D=ckpt.D)


def upload_entry(data: bytes, filename: str, number: int) -> ModelEntry:
    """A model from an uploaded .safetensors file; CheckpointError says why a file is refused."""
    if not filename.lower().endswith(".safetensors"):
        raise CheckpointError(_("{name} is not a .safetensors file.").format(name=repr(filename)))
    ckpt = load_checkpoint_bytes(data, source=filename)
    stem = Path(filename).stem
    entry = entry_from_checkpoint(f"upload:{number}", _("Uploaded: {name}").format(name=stem), "upload", ckpt)
    entry.source_name = stem
    return entry


@st.cache_resource(show_spinner=False, max_entries=16)
def _shipped(name: str, mtime: float) -> ModelEntry:
    ckpt = load_checkpoint(name)
    label = ckpt.info.get("title") or f"{name} · shipped with the app"  # cached for all tabs: see picker_label
    return entry_from_checkpoint(f"shipped:{name}", label, "shipped", ckpt)


def shipped_names() -> list[str]:
    return list_pretrained()


def _mtime(name: str) -> float:
    path = PRETRAINED_DIR / f"{name}.safetensors"
    return path.stat().st_mtime if path.exists() else 0.0


def shipped_entry(name: str) -> ModelEntry:
    """A shipped generator; a newer file on disk (same name) is loaded afresh."""
    return _shipped(name, _mtime(name))


@st.cache_resource(show_spinner=False, max_entries=64)
def _shipped_title(name: str, mtime: float) -> str | None:
    """The title in a shipped file's header ("" when it has none), read without loading the model; None when the
    header is broken (the file is left out of the picker)."""
    try:
        return str(read_info(name)["info"].get("title") or "")
    except (CheckpointError, OSError) as exc:  # a broken file in pretrained/ must not break the page
        log.warning("skipping shipped model %s: %s", name, exc)
        return None


class Catalogue(Mapping):
    """Every model Explore can open, by key: shipped ones first, then a tab's runs and uploads.

    A shipped generator is loaded (once per server process, `shipped_entry`) only when its key is looked up:
    the picker lists every name from the files' headers, and a tab that never opens a model never waits for it.
    """

    def __init__(self, user_models: list[ModelEntry]):
        self._shipped = {
            f"shipped:{name}": name for name in shipped_names() if _shipped_title(name, _mtime(name)) is not None
        }
        self._user = {entry.key: entry for entry in user_models if entry.key not in self._shipped}

    def __getitem__(self, key: str) -> ModelEntry:
        if key in self._user:
            return self._user[key]
        return shipped_entry(self._shipped[key])  # KeyError for an unknown key, as a dict

    def __iter__(self) -> Iterator[str]:
        yield from self._shipped
        yield from self._user

    def __len__(self) -> int:
        return len(self._shipped) + len(self._user)

    def label(self, key: str) -> str:
        """The name the picker shows for `key`, in the tab's language, without loading a shipped model."""
        if key in self._user:
            return self._user[key].picker_label()
        name = self._shipped[key]
        title = _shipped_title(name, _mtime(name))
        return title or _("{name} · shipped with the app").format(name=name)


def catalogue(user_models: list[ModelEntry]) -> Catalogue:
    """Every model Explore can open: shipped ones first (loaded when opened), then this tab's runs and uploads."""
    return Catalogue(user_models)
