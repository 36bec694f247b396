"""Digits, strips and grids as PNG bytes with crisp (nearest-neighbour) pixels. No Streamlit here.

Every function takes uint8 pixels, (28, 28) or (n, 28, 28) as gan_core.sampling produces them.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

import torch

from gan_core.sampling import generate, make_grid, sweep, to_png, upscale

from .settings import D_COLOR

DIGIT_SCALE = 10   # Explore's digit: 28 px -> 280 px, crisp
SWEEP_FRAMES = 9   # frames in a "what does dimension k do?" strip
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


# ------------------------------------------------------------------------------------------------
# What Explore draws for one z: pure functions, so the page and bench/slider_latency.py time the same code
# ------------------------------------------------------------------------------------------------
def z_digit_png(G, z: torch.Tensor, labels=None) -> bytes:
    """G(z) as a large crisp PNG. z: (latent,)"""
    return digit_png(generate(G, z, labels)[0].numpy(), DIGIT_SCALE)                # (28, 28) -> PNG


def z_sweep_png(G, z: torch.Tensor, dim: int, labels=None) -> bytes:
    """Coordinate `dim` (0-based) of z swept over +-3 sigma, the others held. z: (latent,)"""
    return strip_png(generate(G, sweep(z, dim, SWEEP_FRAMES), labels).numpy(), scale=4)   # (9, 28, 28)


def z_classes_png(G, z: torch.Tensor, num_classes: int) -> bytes:
    """A conditional G's digits 0..n-1 for the same z: style vs class. z: (latent,)"""
    return strip_png(generate(G, z.expand(num_classes, -1), torch.arange(num_classes)).numpy(), scale=4)
