"""Projector mode's look: large type, high-contrast text and a colour pair that survives a projector.

gan_ui/teacher.py switches it on for a tab (`projector=1` in a teacher's link); this module says what it looks
like.
"""

from __future__ import annotations

import plotly.graph_objects as go

from .settings import D_COLOR, G_COLOR

# Projector colours: Okabe-Ito's blue and vermillion. The everyday orange of D (#E69F00) washes out on
# a projector's white; vermillion keeps its contrast against white and stays distinct from blue for
# red-green colour-blind readers (deuteranopia and protanopia alike).
G = "#0072B2"
D = "#D55E00"
CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMarkdownContainer"] { color: #000000; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 1.7rem; }
[data-testid="stCaptionContainer"] { color: #111111; font-size: 1rem; }
[data-testid="stMetricValue"] { font-size: 2.2rem; }
</style>
"""


def restyle(fig: go.Figure) -> go.Figure:
    """A copy of the figure with D's orange swapped for vermillion, G's blue for the projector blue, thicker
    lines and larger type."""
    fig = go.Figure(fig)
    swap = {D_COLOR.lower(): D, G_COLOR.lower(): G}

    def recolour(c):
        return swap.get(c.lower(), c) if isinstance(c, str) else c

    for tr in fig.data:
        line = getattr(tr, "line", None)
        if line is not None and line.color:
            tr.line.color = recolour(line.color)
            if line.width:
                tr.line.width = line.width * 1.6
        marker = getattr(tr, "marker", None)
        if marker is not None and isinstance(marker.color, str):
            tr.marker.color = recolour(marker.color)
    for shp in fig.layout.shapes or ():
        if shp.line and shp.line.color:
            shp.line.color = recolour(shp.line.color)
    for ann in fig.layout.annotations or ():
        if ann.font and ann.font.color:
            ann.font.color = recolour(ann.font.color)
            ann.font.size = 15
    fig.update_layout(
        font=dict(size=17), title_font=dict(size=20), legend_font=dict(size=16), height=(fig.layout.height or 270) + 60
    )
    fig.update_xaxes(tickfont=dict(size=15, color="#000000"), title_font=dict(size=16, color="#000000"))
    fig.update_yaxes(tickfont=dict(size=15, color="#000000"), title_font=dict(size=16, color="#000000"))
    return fig
