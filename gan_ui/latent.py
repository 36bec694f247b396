"""A latent vector z as text and back: what "copy z" shows and "paste z" accepts. No Streamlit here."""

from __future__ import annotations

import json
import math
import re

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
            raise ValueError(_("Entry {i} ({value}) is not a number.").format(
                i=i + 1, value=repr(str(v)[:20]))) from None
        if not math.isfinite(x):
            raise ValueError(_("Entry {i} is {value}: every entry must be a finite number.").format(i=i + 1, value=x))
        out.append(x)
    if len(out) != dim:
        raise ValueError(_("This generator's z has {dim} numbers; the text has {count}.").format(
            dim=dim, count=len(out)))
    outside = [i + 1 for i, x in enumerate(out) if abs(x) > limit + 1e-9]
    if outside:
        shown = ", ".join(str(i) for i in outside[:5]) + (" ..." if len(outside) > 5 else "")
        raise ValueError(_("Entries {entries} lie outside the sliders' range of ±{limit:g} (±3σ of the N(0, 1) "
                           "prior).").format(entries=shown, limit=limit))
    return out
