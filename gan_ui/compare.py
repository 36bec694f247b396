"""Compare runs: several runs' curves on shared axes and their configs side by side. No Streamlit here.

One figure with four panels (D loss, G loss, D(x) on real digits, D(G(z)) on fakes). Inside a
panel each run is one line; a run keeps the same colour *and* dash style in every panel (so the
lines stay apart in greyscale and for colour-blind readers), and its name appears once in the legend.
The colours are Okabe-Ito hues other than the blue and orange that mean G and D everywhere else in
the app: here a colour means a run, never a network.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gan_core import LOSS_INFO, GANConfig
from gan_core.i18n import N_, _, format_number

from .charts import _column, downsample_indices, smooth
from .settings import REF_COLOR

RUN_STYLES = [
    ("#009E73", "solid"),
    ("#CC79A7", "dash"),
    ("#D55E00", "dot"),
    ("#000000", "dashdot"),
    ("#56B4E9", "longdash"),
]
DASH_GLYPHS = {
    "solid": "━━━",
    "dash": "━ ━",
    "dot": "┅┅┅",
    "dashdot": "━ ┅",
    "longdash": "━━ ━━",
}  # legend keys in text
PANELS = [
    ("d_loss", N_("D loss")),
    ("g_loss", N_("G loss")),
    ("d_real", N_("D(x) on real digits")),
    ("d_fake", N_("D(G(z)) on fakes")),
]  # titles marked here, translated where the figure is drawn
HEIGHT = 560
# Config fields the comparison table shows, in GANConfig order; the trained step count is added as a row.
SKIP_FIELDS = ("num_classes",)


@dataclass
class RunSeries:
    """What the comparison needs of one run."""

    name: str  # legend and column title, e.g. "Run 2 · mlp"
    records: list  # gan_core StepRecords
    config: GANConfig
    steps: int = 0


def run_style(i: int) -> tuple[str, str]:
    """(colour, dash) of the i-th run."""
    return RUN_STYLES[i % len(RUN_STYLES)]


def compare_figure(runs: list[RunSeries], uirevision="compare") -> go.Figure:
    """D and G losses and D's verdicts of several runs, smoothed, on shared axes per panel."""
    titles = [_(t) for _f, t in PANELS]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.08, vertical_spacing=0.16)
    for i, run in enumerate(runs):
        colour, dash = run_style(i)
        steps = _column(run.records, "step")
        idx = downsample_indices(len(steps))
        for p, (fld, title) in enumerate(PANELS):
            values = smooth(_column(run.records, fld))
            fig.add_trace(
                go.Scatter(
                    x=steps[idx].tolist(),
                    y=values[idx].tolist(),
                    mode="lines",
                    name=run.name,
                    legendgroup=run.name,
                    showlegend=p == 0,
                    line=dict(color=colour, dash=dash, width=2.5),
                    hovertemplate=run.name
                    + "<br>"
                    + _("{title}: {y} at step {x}").format(title=_(title), y="%{y:.3g}", x="%{x:,}")
                    + "<extra></extra>",
                ),
                row=p // 2 + 1,
                col=p % 2 + 1,
            )
    probabilistic = all(LOSS_INFO[r.config.loss].probabilistic for r in runs)
    score_title = (
        _("probability real") if probabilistic else _("D's output (probability, or raw score for LS/hinge/WGAN)")
    )
    for p in range(len(PANELS)):
        row, col = p // 2 + 1, p % 2 + 1
        fig.update_xaxes(title_text=_("step") if row == 2 else None, row=row, col=col)
        fig.update_yaxes(title_text=_("loss") if row == 1 else score_title, row=row, col=col, title_font=dict(size=12))
        if row == 2 and probabilistic:
            fig.update_yaxes(range=[-0.02, 1.02], row=row, col=col)
            fig.add_hline(0.5, line=dict(color=REF_COLOR, dash="dash", width=1), row=row, col=col)
    fig.update_layout(
        height=HEIGHT,
        margin=dict(l=8, r=8, t=70, b=8),
        uirevision=uirevision,
        hovermode="closest",
        legend=dict(orientation="h", yanchor="bottom", y=1.06, xanchor="left", x=0.0, font=dict(size=13)),
    )
    fig.update_annotations(font=dict(size=13))  # the panel titles
    return fig


def config_rows(runs: list[RunSeries]) -> list[dict]:
    """One row per config field: {"setting", one column per run, "differs"}; the steps trained come first."""
    rows = [
        {
            "setting": _("steps trained"),
            **{r.name: format_number(r.steps) for r in runs},
            "differs": len({r.steps for r in runs}) > 1,
        }
    ]
    for f in dataclasses.fields(GANConfig):
        if f.name in SKIP_FIELDS:
            continue
        values = [getattr(r.config, f.name) for r in runs]
        rows.append(
            {
                "setting": f.name,
                **{r.name: _fmt(v) for r, v in zip(runs, values)},
                "differs": len({repr(v) for v in values}) > 1,
            }
        )
    return rows


def differing_fields(runs: list[RunSeries]) -> list[str]:
    return [row["setting"] for row in config_rows(runs) if row["differs"]]


def _fmt(value) -> str:
    if isinstance(value, bool):
        return _("on") if value else _("off")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "—"


def final_losses(run: RunSeries, last: int = 50) -> tuple[float, float]:
    """Mean D and G loss over the last `last` steps (a number to quote in a write-up)."""
    recs = run.records[-last:]
    return (float(np.mean(_column(recs, "d_loss"))), float(np.mean(_column(recs, "g_loss"))))
