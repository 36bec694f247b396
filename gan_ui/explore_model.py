"""Explore's model: which generator the page shows (the picker, uploads) and what its class inputs are called.

A first view of a model starts from a fixed z whose digit reads clearly (`crisp_start`), so a first-time
visitor sees a digit, not a smudge.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
import streamlit as st
import torch

from gan_core import CheckpointError, generate
from gan_core.config import DEFAULT_PRESET
from gan_core.i18n import _

from . import state
from .builtin_text import translate_uploader
from .catalogue import Catalogue, ModelEntry, upload_entry
from .choices import keep
from .latent import current_label, random_z, set_z

MODEL_KEY = "explore_model"
PIN_KEY = "timeline_z"  # the timeline's pinned z (explore_views); cleared when another model opens


def labels_for(entry: ModelEntry):
    return current_label() if entry.conditional else None


def class_order(entry: ModelEntry) -> list[int]:
    """The class inputs in the order the page shows them: digits 0-9 for a conditional G; an InfoGAN's codes
    sorted by the digit each draws (code 0 of the shipped InfoGAN draws an 8), or 0, 1, ... unnamed."""
    digits = entry.code_digits() if entry.infogan else None
    codes = list(range(entry.num_classes))
    if digits is None:
        return codes
    return sorted(codes, key=lambda c: (digits[c] is None, digits[c] if digits[c] is not None else 0, c))


def code_names(entry: ModelEntry) -> dict[int, str]:
    """What each class input is called: the digit for a conditional G; for an InfoGAN the digit its code draws
    ("8"), with the code when two codes draw the same digit ("8 (c0)"), or "c0" where no digit could be told."""
    codes = range(entry.num_classes)
    if not entry.infogan:
        return {c: str(c) for c in codes}
    digits = entry.code_digits()
    if digits is None:
        return {c: f"c{c}" for c in codes}
    shared = {d for d in digits if d is not None and digits.count(d) > 1}
    return {
        c: (f"c{c}" if digits[c] is None else f"{digits[c]} (c{c})" if digits[c] in shared else str(digits[c]))
        for c in codes
    }


def crisp_start(entry: ModelEntry, label: int | None, candidates: int = 16, seed: int = 7) -> list[float]:
    """A fixed z whose digit (of class `label`, for a conditional G) reads clearly: of a few seeded draws, the one
    the shipped digit classifier is surest about (or, without it, the one with the fewest grey pixels).

    A first-time visitor should see a digit, not a smudge; the choice is deterministic per model (and digit),
    so it is made once per generator in a process and every later tab reuses it: scoring the draws was a third
    of a new tab's script run on a warm server (py-spy; bench/later_tabs.py).
    """
    label = int(label) if entry.conditional else None
    key = (label, candidates, seed)
    with _crisp_lock:
        known = _crisp.setdefault(entry.G, {})
        if key not in known:
            known[key] = _crisp_start(entry, label, candidates, seed)
        return list(known[key])


_crisp: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # generator -> {(label, n, seed): z}; goes with G
_crisp_lock = threading.Lock()


def _crisp_start(entry: ModelEntry, labels, candidates: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    zs = torch.tensor([random_z(entry.latent_dim, rng) for _ in range(candidates)])  # (n, latent)
    px = generate(entry.G, zs, labels)  # (n, 28, 28) uint8
    score = torch.minimum(px.float(), 255 - px.float()).mean(dim=(1, 2))  # low = crisp black and white
    if entry.config.dataset == "mnist":
        try:
            from gan_core.classifier import default_classifier, predict

            probs, _ = predict(default_classifier(), px)  # (n, 10)
            score = -probs.max(dim=1).values
        except Exception:  # no shipped classifier (or an unreadable one): the pixel rule will do
            pass
    return zs[int(torch.argmin(score))].tolist()


def init_model_state(entry: ModelEntry) -> None:
    """On first view of a model (or a switch to another), start from a fixed, good-looking z."""
    if st.session_state.get("explore_loaded") == entry.key:
        return
    rng = np.random.default_rng(7)
    set_z(crisp_start(entry, labels_for(entry)))
    st.session_state["interp_a"] = random_z(entry.latent_dim, rng)
    st.session_state["interp_b"] = random_z(entry.latent_dim, rng)
    st.session_state["gallery_seed"] = 0
    st.session_state["sweep_dim"] = 1
    st.session_state.pop("z_paste_msg", None)
    st.session_state.pop(PIN_KEY, None)  # the timeline pins this model's start z
    st.session_state["explore_loaded"] = entry.key


# ---------------------------------------------------------------------------------------------
# Model picker and upload
# ---------------------------------------------------------------------------------------------
def _on_upload() -> None:
    file = st.session_state.get("model_upload")
    if file is None:
        return
    store = state.session_store()
    try:
        entry = upload_entry(file.getvalue(), file.name, store.next_upload_number())
    except CheckpointError as exc:
        st.session_state["upload_msg"] = (
            "error",
            _("Could not open {name}: {error}").format(name=file.name, error=exc),
        )
        return
    store.add_model(entry)
    st.session_state[MODEL_KEY] = entry.key
    st.session_state["upload_msg"] = ("ok", _("Opened {name}.").format(name=file.name))


DEFAULT_MODEL = f"shipped:{DEFAULT_PRESET}"  # Explore opens on the default recipe's model: it draws the digit asked for


def model_picker(models: Catalogue) -> ModelEntry | None:
    keys = list(models)
    keep(MODEL_KEY)  # the model stays open through a change of language (its name is translated)
    if keys and st.session_state.get(MODEL_KEY) not in keys:
        st.session_state[MODEL_KEY] = DEFAULT_MODEL if DEFAULT_MODEL in keys else keys[0]
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    key = None
    with left:
        if keys:
            key = st.selectbox(
                _("Generator"),
                keys,
                key=MODEL_KEY,
                format_func=models.label,  # names from the files' headers: only the chosen model is loaded
                help=_("Shipped generators, runs trained in this tab, and uploaded .safetensors files."),
            )
    with right:
        with st.popover(_("Upload a model"), icon=":material/upload:", width="stretch"):
            st.file_uploader(
                _("A .safetensors file saved by GAN Classroom"),
                type=["safetensors"],
                key="model_upload",
                on_change=_on_upload,
            )
            translate_uploader("model_upload", ["safetensors"])
    msg = st.session_state.get("upload_msg")
    if msg:
        (st.error if msg[0] == "error" else st.success)(msg[1])
        if msg[0] == "ok":
            st.session_state.pop("upload_msg")
    if key is None:
        return None
    try:
        entry = models[key]  # a shipped model is loaded here, the first time any tab opens it
    except CheckpointError as exc:  # its header was readable but its weights are not: pick another one
        st.error(_("Could not open {name}: {error}").format(name=models.label(key), error=exc))
        st.stop()
    st.caption(entry.describe())
    data = entry.info.get("data") if isinstance(entry.info.get("data"), str) else None
    st.caption(
        ":material/database: "
        + (
            _("Trained on `{data}`.").format(data=data)
            if data
            else _("Its file does not say which images it was trained on.")
        )
    )
    return entry
