"""Digits, strips and grids as PNG bytes with crisp (nearest-neighbour) pixels. No Streamlit here.

Every function takes uint8 pixels, (28, 28) or (n, 28, 28) as gan_core.sampling produces them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from gan_core.i18n import _
from gan_core.sampling import generate, make_grid, sweep, to_png, upscale

from .settings import D_COLOR

DIGIT_SCALE = 10  # Explore's digit: 28 px -> 280 px, crisp
SWEEP_FRAMES = 9  # frames in a "what does dimension k do?" strip
PAD = 2  # px between tiles, before upscaling
FILL = 40  # tile gap grey level


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
    rgb = np.repeat(upscale(grid, scale)[..., None], 3, axis=2)  # (H, W, 3)
    r, c = divmod(int(highlight), ncol)
    h = imgs.shape[1]
    y0, x0 = (PAD + r * (h + PAD)) * scale, (PAD + c * (h + PAD)) * scale
    side, t = h * scale, max(2, scale)
    colour = np.array([int(D_COLOR[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
    y1, x1 = y0 + side, x0 + side
    rgb[max(0, y0 - t) : y0, max(0, x0 - t) : x1 + t] = colour
    rgb[y1 : y1 + t, max(0, x0 - t) : x1 + t] = colour
    rgb[max(0, y0 - t) : y1 + t, max(0, x0 - t) : x0] = colour
    rgb[max(0, y0 - t) : y1 + t, x1 : x1 + t] = colour
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
@dataclass(frozen=True)
class ZViews:
    """Everything Explore's slider panel shows for one z, as uint8 pixels."""

    digit: np.ndarray  # (28, 28): G(z)
    sweep: np.ndarray  # (SWEEP_FRAMES, 28, 28): coordinate `dim` swept over +-3 sigma
    classes: np.ndarray | None  # (num_classes, 28, 28): a conditional G's digits 0..n-1 for this z

    # Screen PNGs are native size (a 28 x 28 digit is ~0.4 kB): the browser scales them up with
    # `image-rendering: pixelated` (gan_ui/layout.py), so the server encodes ~100x fewer pixels on every
    # slider move. Downloads are upscaled, and only made when a student clicks (a deferred callable).
    def digit_png(self, scale: int = 1) -> bytes:
        return digit_png(self.digit, scale)

    def sweep_png(self, scale: int = 1) -> bytes:
        return strip_png(self.sweep, scale)

    def classes_png(self, scale: int = 1) -> bytes:
        return strip_png(self.classes, scale)


def z_views(G, z: torch.Tensor, dim: int, labels=None, num_classes: int | None = None, class_order=None) -> ZViews:
    """The digit, the sweep of coordinate `dim` (0-based) and, for a conditional G given `num_classes`, the
    same z as every digit (in `class_order` when given: an InfoGAN's codes by the digit each draws), all from
    ONE batched forward pass of G (three separate passes cost ~1.5x the time: most of a pass at these sizes
    is per-call overhead). z: (latent,)"""
    z = torch.as_tensor(z, dtype=torch.float32).reshape(-1)
    zs = [z[None], sweep(z, dim, SWEEP_FRAMES)]  # (1, latent), (9, latent)
    ys = None
    conditional = getattr(G, "conditional", False)
    if conditional:
        if labels is None:
            raise ValueError(_("This generator is conditional: say which class (label) to draw."))
        ys = [torch.full((1 + SWEEP_FRAMES,), int(labels))]  # (10,): the chosen digit
        if num_classes:
            zs.append(z.expand(num_classes, -1))  # (num_classes, latent)
            ys.append(torch.as_tensor(list(class_order)) if class_order is not None else torch.arange(num_classes))
    px = generate(G, torch.cat(zs), torch.cat(ys) if ys else None).numpy()  # (n, 28, 28) uint8
    classes = px[1 + SWEEP_FRAMES :] if conditional and num_classes else None
    return ZViews(px[0], px[1 : 1 + SWEEP_FRAMES], classes)
