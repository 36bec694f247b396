"""Plotly figures of a run's history: pure functions of the records, testable without Streamlit.

Every chart uses the same colours (G blue, D orange; Okabe-Ito, safe for colour-blind readers; what
belongs to neither network is grey),
shows a faint raw line plus a bold smoothed one, is downsampled to at most MAX_CHART_POINTS
points per line, and carries `uirevision` so a zoom survives the once-a-second refresh.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas  # noqa: F401  (see below)
import plotly.graph_objects as go

from gan_core.i18n import N_, _

# plotly imports pandas lazily, the first time a figure is serialised. On a server, that first time
# happens in several sessions' script threads at once, and the threads that lose the race see a
# half-imported pandas ("partially initialized module 'pandas' has no attribute 'Series'", found by
# bench/classroom_load.py). Importing it here, while gan_ui is imported, finishes it before any chart.
from .settings import D_COLOR, G_COLOR, INFO_COLOR, MAX_CHART_POINTS, REF_COLOR

HEIGHT = 270


def downsample_indices(n: int, max_points: int = MAX_CHART_POINTS) -> np.ndarray:
    """At most max_points indices spread evenly over range(n), always keeping the first and the last."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def smooth(values: Sequence[float], span: int | None = None) -> np.ndarray:
    """Trailing moving average over `span` steps that steps over non-finite values (vectorised, O(n)).

    span defaults to ~3 % of the history (at least 10 steps), so the smoothed line tracks the trend.
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return v
    span = span or max(10, n // 30)
    ok = np.isfinite(v)
    csum = np.concatenate([[0.0], np.cumsum(np.where(ok, v, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(ok)])
    lo = np.maximum(np.arange(1, n + 1) - span, 0)
    hi = np.arange(1, n + 1)
    count = ccount[hi] - ccount[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (csum[hi] - csum[lo]) / np.maximum(count, 1), np.nan)


def _column(records, field: str) -> np.ndarray:
    return np.fromiter((getattr(r, field) for r in records), dtype=float, count=len(records))


def window(records, last: int | None):
    """The last `last` records (all when None): a zoom that survives live refreshes."""
    return records[-last:] if last else records


def _lines(records, field: str, name: str, colour: str, floor: float | None = None) -> list[dict]:
    """A faint raw line and a bold smoothed one for records[*].field, sharing one legend entry."""
    steps, values = _column(records, "step"), _column(records, field)
    if floor is not None:
        values = np.maximum(values, floor)  # log axes cannot show 0
    smoothed = smooth(values)
    idx = downsample_indices(len(values))
    # numpy arrays, not lists: plotly keeps them as typed arrays (base64 in the JSON) instead of checking and
    # deep-copying every number, which made rebuilding the live charts every second ~5x slower.
    x = steps[idx].astype(np.int64)
    return [
        dict(
            type="scatter",
            x=x,
            y=values[idx],
            name=name,
            legendgroup=name,
            showlegend=False,
            mode="lines",
            line=dict(color=colour, width=1),
            opacity=0.3,
            hovertemplate="%{y:.3g}",
        ),
        dict(
            type="scatter",
            x=x,
            y=smoothed[idx],
            name=name,
            legendgroup=name,
            mode="lines",
            line=dict(color=colour, width=2.5),
            hovertemplate=_("%{y:.3g} (smoothed)"),
        ),
    ]


def _reference(y: float, text: str, colour: str, below: bool = False) -> tuple[dict, dict]:
    """A dashed horizontal line across the plot and its label at the left end."""
    line = dict(
        type="line",
        xref="paper",
        x0=0,
        x1=1,
        yref="y",
        y0=y,
        y1=y,
        opacity=0.9,
        line=dict(color=colour, dash="dash", width=1.2),
    )
    label = dict(
        xref="paper",
        x=0,
        yref="y",
        y=y,
        text=text,
        showarrow=False,
        xanchor="left",
        yanchor="top" if below else "bottom",
        font=dict(size=11, color=colour),
        bgcolor="rgba(255,255,255,0.75)",
    )
    return line, label


def _figure(
    title: str,
    y_title: str,
    uirevision,
    traces: list[dict],
    refs=(),
    log_y: bool = False,
    y_range=None,
    note: str | None = None,
) -> go.Figure:
    """One figure, built (and validated) in a single step: cheap enough to rebuild every second."""
    annotations = [r[1] for r in refs]
    if note:
        annotations.append(
            dict(
                text=note,
                showarrow=False,
                x=0.5,
                y=0.5,
                xref="paper",
                yref="paper",
                font=dict(size=13, color=REF_COLOR),
            )
        )
    yaxis = dict(
        title=dict(text=y_title, font=dict(size=12)), type="log" if log_y else "linear", showticklabels=not note
    )
    if log_y:
        yaxis.update(dtick=1, exponentformat="power", minor=dict(showgrid=False))  # one tick per decade
    if y_range is not None:
        yaxis["range"] = list(y_range)
    layout = dict(
        title=dict(text=title, x=0.0, xanchor="left", y=0.97, font=dict(size=14)),
        height=HEIGHT,
        margin=dict(l=8, r=8, t=58, b=8),
        hovermode="x unified",
        uirevision=uirevision,  # no template: Streamlit's chart theme styles it
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, font=dict(size=12)),
        xaxis=dict(title=dict(text=_("step"), font=dict(size=12)), showticklabels=not note),
        yaxis=yaxis,
        shapes=[r[0] for r in refs],
        annotations=annotations,
    )
    return go.Figure(dict(data=traces, layout=layout))


WAITING = N_("waiting for the first steps…")  # shown as _(WAITING)


def loss_figure(records, loss_info, uirevision="run") -> go.Figure:
    """D's and G's losses, with the equilibrium levels of the loss where it has them (ln 4, ln 2); for an
    InfoGAN also Q's code loss -E[log Q(c | G(z, c))], which starts at ln K and falls as the code becomes readable."""
    if not records:
        return _figure(_("Losses"), _("loss"), uirevision, [], note=_(WAITING))
    refs = []
    if loss_info.d_equilibrium is not None:
        refs.append(
            _reference(
                loss_info.d_equilibrium,
                _("D at equilibrium {value:.3f}").format(value=loss_info.d_equilibrium),
                D_COLOR,
            )
        )
    if loss_info.g_equilibrium is not None:  # label below its line, so the two labels never collide
        refs.append(
            _reference(
                loss_info.g_equilibrium,
                _("G at equilibrium {value:.3f}").format(value=loss_info.g_equilibrium),
                G_COLOR,
                below=True,
            )
        )
    traces = _lines(records, "d_loss", _("D loss"), D_COLOR) + _lines(records, "g_loss", _("G loss"), G_COLOR)
    if records[-1].info_loss is not None:  # InfoGAN: how well Q reads G's code back, ln K = not at all
        traces += _lines(records, "info_loss", "code loss (Q)", INFO_COLOR)
    return _figure(_("Losses"), _("loss"), uirevision, traces, refs)


def scores_figure(records, loss_info, uirevision="run") -> go.Figure:
    """D's mean verdict on real digits, D(x), and on G's fakes, D(G(z)); 0.5 = D cannot tell them apart."""
    prob = loss_info.probabilistic
    title, y_title = _("What D thinks"), _("D's output (probability real)") if prob else _("critic score")
    y_range = (-0.02, 1.02) if prob else None
    if not records:
        return _figure(title, y_title, uirevision, [], y_range=y_range, note=_(WAITING))
    traces = _lines(records, "d_real", _("D(x) on real"), D_COLOR) + _lines(
        records, "d_fake", _("D(G(z)) on fakes"), G_COLOR
    )
    refs = [_reference(0.5, _("0.5 = can't tell"), REF_COLOR)] if prob else []
    return _figure(title, y_title, uirevision, traces, refs, y_range=y_range)


def gradnorm_figure(records, uirevision="run") -> go.Figure:
    """Gradient norms of G and D on a log axis: a collapse to ~0 means that network stopped learning."""
    title, y_title = _("Gradient norms"), _("‖∇‖ (log scale)")
    if not records:
        return _figure(title, y_title, uirevision, [], log_y=True, note=_(WAITING))
    traces = _lines(records, "d_grad_norm", "D", D_COLOR, floor=1e-8) + _lines(
        records, "g_grad_norm", "G", G_COLOR, floor=1e-8
    )
    return _figure(title, y_title, uirevision, traces, log_y=True)
