"""Digits, strips and grids as PNG bytes with crisp (nearest-neighbour) pixels. No Streamlit here.

Every function takes uint8 pixels, (28, 28) or (n, 28, 28) as gan_core.sampling produces them.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from gan_core.sampling import make_grid, to_png, upscale

from .settings import D_COLOR

PAD = 2          # px between tiles, before upscaling
FILL = 40        # tile gap grey level


def digit_png(image, scale: int = 10) -> bytes:
    """One digit (28, 28), each pixel a scale x scale block."""
    return to_png(np.asarray(image, dtype=np.uint8), scale=scale)


def strip_png(images, scale: int = 4) -> bytes:
    """A row of digits (n, 28, 28)."""
    imgs = np.asarray(images, dtype=np.uint8)
    return to_png(make_grid(imgs, ncol=len(imgs), pad=PAD, fill=FILL), scale=scale)


def grid_png(images, ncol: int = 8, scale: int = 3, highlight: int | None = None) -> bytes:
    """A grid of digits (n, 28, 28); `highlight` draws an orange frame around that tile."""
    imgs = np.asarray(images, dtype=np.uint8)
    grid = make_grid(imgs, ncol=ncol, pad=PAD, fill=FILL)
    if highlight is None:
        return to_png(grid, scale=scale)
    rgb = np.repeat(upscale(grid, scale)[..., None], 3, axis=2)          # (H, W, 3)
    r, c = divmod(int(highlight), ncol)
    h = imgs.shape[1]
    y0, x0 = (PAD + r * (h + PAD)) * scale, (PAD + c * (h + PAD)) * scale
    side, t = h * scale, max(2, scale)
    colour = np.array([int(D_COLOR[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
    y1, x1 = y0 + side, x0 + side
    rgb[max(0, y0 - t):y0, max(0, x0 - t):x1 + t] = colour
    rgb[y1:y1 + t, max(0, x0 - t):x1 + t] = colour
    rgb[max(0, y0 - t):y1 + t, max(0, x0 - t):x0] = colour
    rgb[max(0, y0 - t):y1 + t, x1:x1 + t] = colour
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def evenly(n_items: int, k: int) -> list[int]:
    """k indices spread evenly over range(n_items), first and last included (fewer if n_items < k)."""
    if n_items <= 0:
        return []
    if n_items <= k:
        return list(range(n_items))
    return sorted({round(i * (n_items - 1) / (k - 1)) for i in range(k)})
