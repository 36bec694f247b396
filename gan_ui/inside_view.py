"""Look inside: G's feature maps for the Explore z, stage by stage, and D's verdict on the digit.

The pictures are pure functions (stage_png, testable without Streamlit); `inside_panel` lays them out.
gan_core.inside does the computing.
"""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
import torch
from PIL import Image

from gan_core import look_inside
from gan_core.i18n import _, format_number
from gan_core.inside import Inside, Stage, feature_map_pixels, vector_strip
from gan_core.sampling import make_grid, to_png, upscale

from .catalogue import ModelEntry
from .layout import show_png

TOP_K = 8  # feature maps shown per stage: the most active channels
TILE = 84  # every tile is drawn 84 px wide: 7x7 maps x12, 14x14 x6, the 28x28 digit x3
TILE_PAD = 4  # px between tiles
TILE_FILL = 150  # mid grey between tiles, so black and white maps both keep their edges
OPEN_KEY = "inside_open"  # the expander's state: its content is only computed while it is open
REFERENCE = 128  # random digits D also scores, to give a raw critic score a scale


def stage_png(stage: Stage, k: int = TOP_K, ncol: int = 4) -> bytes:
    """A stage's k most active feature maps as one crisp grid (each map scaled to its own range), or an
    MLP's hidden vector as a strip of values (one square per number, 32 a row)."""
    if stage.spatial:
        maps = stage.activations[stage.top_channels[:k]]  # (k, H, W)
        side = maps.shape[-1]
        tiles = np.stack([upscale(m, TILE // side) for m in feature_map_pixels(maps)])  # (k, 84, 84)
        return to_png(make_grid(tiles, ncol=ncol, pad=TILE_PAD, fill=TILE_FILL))
    return to_png(vector_strip(stage.activations), scale=8)


def stage_caption(stage: Stage, k: int = TOP_K) -> str:
    if stage.spatial:
        c = stage.shape[0]
        shown = ", ".join(str(i) for i in stage.top_channels[:k])
        return _(
            "{name}: {what}; the {k} most active (channels {shown}). "
            "Black = the map's lowest value, white = its highest."
        ).format(name=stage.name, what=stage.describe(), k=min(k, c), shown=shown)
    return _("{name}: {what}, 32 a row; black = lowest, white = highest.").format(
        name=stage.name, what=stage.describe()
    )


def inside_figures(inside: Inside) -> list[tuple[bytes, str]]:
    """(PNG, caption) per stage, ending with the digit itself."""
    out = [(stage_png(s), stage_caption(s)) for s in inside.stages]
    out.append((to_png(inside.image, scale=2 * TILE // 28), _("28x28: the digit (tanh output, 1 channel)")))
    return out


def inside_panel(entry: ModelEntry, z: torch.Tensor, label: int | None) -> None:
    """An expander under the digit: what G computes for this z, and what D says about the result."""
    panel = st.expander(
        _("Look inside G and D for this z"), icon=":material/visibility:", key=OPEN_KEY, on_change="rerun"
    )
    if not panel.open:  # lazy: a closed panel costs the slider nothing (it runs G and D on 129 digits)
        return
    with panel:
        cfg = entry.config
        D = getattr(entry, "D", None)
        inside = look_inside(entry.G, z, label, D, cfg.loss, reference=REFERENCE)
        if cfg.arch == "dcgan":
            st.caption(
                _(
                    "G builds the digit in stages: z is projected to 7×7 feature maps, which up-convolutions "
                    "double to 14×14 and then to the 28×28 digit. Each map is one learned pattern detector; "
                    "the brightest ones below are where it fires for this z."
                )
            )
        else:
            st.caption(
                _(
                    "This MLP generator has no pictures inside: z passes through two hidden layers of plain "
                    "numbers before the last layer writes the 784 pixels. Each square is one hidden unit."
                )
            )
        figs = inside_figures(inside)
        cols = st.columns([3, 3, 2] if cfg.arch == "dcgan" else [2, 3, 2], gap="medium")
        for col, (png, caption) in zip(cols, figs):
            with col:
                show_png(png, inline=True, width=Image.open(io.BytesIO(png)).width, caption=caption)  # natural size
        st.markdown(":material/gavel: **" + _("D's verdict on this digit") + "**")
        v = inside.verdict
        if v is None:
            st.caption(_("This model's file carries no discriminator, so there is no verdict to show."))
            return
        c1, c2 = st.columns([1, 3], vertical_alignment="center")
        if v.probabilistic:
            c1.metric(_("D(x): probability real"), format_number(v.probability, 2))
        else:
            c1.metric(
                _("D's score ({loss})").format(loss=v.loss),
                format_number(v.score, 2),
                help=_("Not a probability for this loss."),
            )
        c2.write(v.sentence())
        c2.caption(
            _(
                "D is the discriminator saved with this model. Its verdict on G's own digits tells you how "
                "well G fools it: near 0.5 means D cannot tell."
            )
            if v.probabilistic
            else _("Compare with the spread of D's scores on {n} random digits of G: from {low} to {high}.").format(
                n=REFERENCE,
                low=format_number(float(v.reference_scores.min()), 2),
                high=format_number(float(v.reference_scores.max()), 2),
            )
        )
