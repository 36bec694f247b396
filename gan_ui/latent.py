"""The latent vector z of this tab: the sliders' values in session state, the digit asked for, and z as text.

    z_key(k), current_z(dim), set_z(values), random_z(dim)   the sliders' z (one float per slider key)
    LABEL_KEY, current_label()                               the digit (or InfoGAN code) the sliders draw
    format_z(z), parse_z(text, dim)                          what "copy z" shows and "paste z" accepts

Explore's sliders, "Find my digit", the principal directions and the Train page's timeline all read
and write z through these functions only.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import streamlit as st
import torch

from gan_core import safejson
from gan_core.i18n import _
from gan_core.sampling import LATENT_RANGE


def format_z(z) -> str:
    """z as a JSON list with two decimals: short enough to read, exact enough to reproduce a digit."""
    return json.dumps([round(float(v), 2) for v in z])


def parse_z(text: str, dim: int, limit: float = LATENT_RANGE) -> list[float]:
    """Read a pasted z: a JSON list "[0.1, -2, ...]" or numbers separated by commas/spaces.

    Raises ValueError with a sentence that says what is wrong (nothing is changed by the caller then).
    """
    text = (text or "").strip()
    if not text:
        raise ValueError(_("The box is empty: paste a z such as the one shown above."))
    values: list
    if text.startswith("["):
        try:
            values = safejson.loads(text, "The pasted z", max_bytes=100_000, max_depth=2)
        except safejson.JSONLimitError as exc:
            raise ValueError(_("That is not a valid JSON list of numbers: {error}").format(error=exc)) from None
        if not isinstance(values, list):
            raise ValueError(_("Expected a list of numbers."))
    else:
        values = [p for p in re.split(r"[,\s;]+", text) if p]
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool):
            raise ValueError(_("Entry {i} ({value}) is not a number.").format(i=i + 1, value=repr(v)))
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ValueError(
                _("Entry {i} ({value}) is not a number.").format(i=i + 1, value=repr(str(v)[:20]))
            ) from None
        if not math.isfinite(x):
            raise ValueError(_("Entry {i} is {value}: every entry must be a finite number.").format(i=i + 1, value=x))
        out.append(x)
    if len(out) != dim:
        raise ValueError(
            _("This generator's z has {dim} numbers; the text has {count}.").format(dim=dim, count=len(out))
        )
    outside = [i + 1 for i, x in enumerate(out) if abs(x) > limit + 1e-9]
    if outside:
        shown = ", ".join(str(i) for i in outside[:5]) + (" ..." if len(outside) > 5 else "")
        raise ValueError(
            _("Entries {entries} lie outside the sliders' range of ±{limit:g} (±3σ of the N(0, 1) prior).").format(
                entries=shown, limit=limit
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# z in session state: one float per slider key
# ---------------------------------------------------------------------------------------------
LABEL_KEY = "explore_label"


def z_key(k: int) -> str:
    return f"z_{k}"


def has_z(dim: int) -> bool:
    """Whether this tab's sliders hold a z of this size (Explore has been opened with such a model)."""
    return all(z_key(k) in st.session_state for k in range(dim))


def current_z(dim: int) -> torch.Tensor:
    """The z the sliders show, (dim,)."""
    return torch.tensor([float(st.session_state.get(z_key(k), 0.0)) for k in range(dim)])


def snap(values) -> list[float]:
    """Clip to the slider range and round to 2 decimals (what the sliders and the text show)."""
    return [round(float(np.clip(v, -LATENT_RANGE, LATENT_RANGE)), 2) for v in values]


def set_z(values) -> None:
    for k, v in enumerate(snap(values)):
        st.session_state[z_key(k)] = v


def random_z(dim: int, rng: np.random.Generator | None = None) -> list[float]:
    rng = rng or np.random.default_rng()
    return snap(rng.standard_normal(dim))


def current_label() -> int:
    value = st.session_state.get(LABEL_KEY)
    return int(value) if value is not None else 0


def set_label(value: int) -> None:
    st.session_state[LABEL_KEY] = int(value)
