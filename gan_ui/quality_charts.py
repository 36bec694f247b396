"""Plotly figures of a run's sample quality (gan_core.QualityMonitor records: [(step, QuickQuality)]): the digits
the classifier reads in G's samples, and the Fréchet distance over the run. Pure functions, like gan_ui/charts.py,
whose figure frame, references and colours they share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from gan_core.i18n import _, format_number

from .charts import WAITING, _figure, _reference
from .settings import G_COLOR, NEUTRAL_COLOR, REF_COLOR

TICK_COLOR = "#303030"  # the real data's share, across each histogram bar


def class_histogram_figure(
    histogram: Sequence[int], data_share: Sequence[float], step: int | None = None, uirevision="quality"
) -> go.Figure:
    """What the digit classifier reads in G's samples: % of samples per predicted digit (grey bars), with
    each digit's share of the real data as a dark tick across its bar: bars level with their ticks = the data's mix."""
    title = (
        _("Digits the classifier reads (step {step})").format(step=format_number(step))
        if step is not None
        else _("Digits the classifier reads")
    )
    if not histogram:
        return _figure(title, _("share of samples, %"), uirevision, [], note=_(WAITING))
    counts = np.asarray(histogram, dtype=float)
    share = 100.0 * counts / max(counts.sum(), 1.0)
    data = 100.0 * np.asarray(data_share, dtype=float)
    digits = list(range(len(counts)))
    traces = [
        dict(
            type="bar",
            x=digits,
            y=share.tolist(),
            name=_("G's samples"),
            marker=dict(color=NEUTRAL_COLOR),
            hovertemplate=_("digit %{x}: share of G's samples %{y:.1f} %<extra></extra>"),
        ),
        # the ticks are shapes (one bar wide at any chart width); these two traces give them hover texts
        # and a legend entry
        dict(
            type="scatter",
            x=digits,
            y=data.tolist(),
            mode="markers",
            marker=dict(size=12, opacity=0),
            showlegend=False,
            hovertemplate=_("digit %{x}: share of the real data %{y:.1f} %<extra></extra>"),
        ),
        dict(
            type="scatter",
            x=[None],
            y=[None],
            mode="lines",
            name=_("real data"),
            line=dict(color=TICK_COLOR, width=3),
            hoverinfo="skip",
        ),
    ]
    top = max(float(share.max()), float(data.max()), 1.0)
    fig = _figure(title, _("share of samples, %"), uirevision, traces, y_range=(0, min(100.0, top * 1.15)))
    for c, y in zip(digits, data):
        fig.add_shape(
            type="line",
            xref="x",
            yref="y",
            x0=c - 0.4,
            x1=c + 0.4,
            y0=float(y),
            y1=float(y),
            line=dict(color=TICK_COLOR, width=3),
        )
    fig.update_layout(
        hovermode="closest",
        bargap=0.2,
        xaxis=dict(
            title=dict(text=_("predicted digit"), font=dict(size=12)),
            tickmode="array",
            tickvals=digits,
            range=[-0.6, len(digits) - 0.4],
        ),
    )
    return fig


def frechet_figure(
    steps: Sequence[int], values: Sequence[float], floor: float | None, uirevision="quality"
) -> go.Figure:
    """The Fréchet distance of G's samples over the run (log axis: it falls by orders of magnitude from
    pure noise), with the real-vs-real floor: the best a perfect generator could score at this sample size."""
    title, y_title = _("Fréchet distance to real digits"), _("FD (log scale, lower is better)")
    if not len(steps):
        return _figure(title, y_title, uirevision, [], log_y=True, note=_(WAITING))
    y = np.maximum(np.asarray(values, dtype=float), 1e-3)  # a log axis cannot show 0
    traces = [
        dict(
            type="scatter",
            x=list(steps),
            y=y.tolist(),
            name=_("G's samples"),
            mode="lines+markers",
            line=dict(color=G_COLOR, width=2.5),
            marker=dict(size=6),
            showlegend=False,
            hovertemplate=_("step %{x:,}: FD %{y:.3g}<extra></extra>"),
        )
    ]
    refs = []
    if floor:
        line, label = _reference(
            floor,
            _("real digits (floor) {floor}").format(floor=format_number(float(f"{floor:.3g}"))),
            REF_COLOR,
            below=True,
        )
        label["y"] = float(np.log10(floor))  # on a log axis annotations take log10(y); shapes take y
        refs.append((line, label))
    fig = _figure(title, y_title, uirevision, traces, refs, log_y=True)
    lo = min(float(y.min()), floor or float(y.min()))
    hi = max(float(y.max()), floor or 0.0)
    fig.update_yaxes(range=[np.log10(lo) - 0.15, np.log10(hi) + 0.15])
    fig.update_layout(hovermode="closest")
    return fig
