"""Drawing from a trained generator, walking its latent space, and turning digits into pictures.

The prior is z ~ N(0, I): each coordinate is a standard normal, so 99.7 % of its mass lies in
[-3, 3]: the natural range for a latent slider (`LATENT_RANGE`).

Interpolation between two latent points z0, z1, for t in [0, 1]:

    lerp(z0, z1, t)  = (1 - t) z0 + t z1
    slerp(z0, z1, t) = sin((1 - t) w) / sin w * z0 + sin(t w) / sin w * z1,   cos w = z0.z1 / (|z0| |z1|)

In high dimensions almost all of N(0, I)'s mass sits near the sphere |z| = sqrt(d); the straight
line between two samples cuts inside it (its midpoint has norm ~ sqrt(d/2)), where G saw little
training data. slerp follows the sphere instead (White 2016).

All sampling runs under torch.inference_mode() on a generator in eval mode: a shared, read-only
model that many sessions may use at once.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
from PIL import Image

from .data import to_pixels

LATENT_RANGE = 3.0  # sliders span +-3 sigma of the N(0, 1) prior


def sample_z(n: int, latent_dim: int, seed: int | None = None) -> torch.Tensor:
    """n latent vectors from N(0, I), reproducible from a seed. (n, latent_dim)"""
    gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    return torch.randn(n, latent_dim, generator=gen)


def sample_labels(n: int, num_classes: int, seed: int | None = None) -> torch.Tensor:
    """n labels drawn uniformly from the classes. (n,)"""
    gen = torch.Generator().manual_seed(int(seed) + 7919) if seed is not None else None
    return torch.randint(num_classes, (n,), generator=gen)


def generate(
    G: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | int | None = None, batch_size: int = 512
) -> torch.Tensor:
    """Images G(z, y) as uint8 pixels, (n, 28, 28). G must be in eval mode.

    A conditional G needs labels: one int for all, or a (n,) tensor.
    """
    if G.training:
        raise RuntimeError(
            "Sample from a generator in eval mode (G.eval()): BatchNorm must use its running statistics."
        )
    z = torch.as_tensor(z, dtype=torch.float32)
    if z.dim() == 1:
        z = z.unsqueeze(0)  # (1, latent)
    if z.shape[1] != G.latent_dim:
        raise ValueError(f"This generator takes {G.latent_dim}-dimensional z, got {z.shape[1]}.")
    y = None
    if getattr(G, "conditional", False):
        if labels is None:
            raise ValueError("This generator is conditional: say which class (label) to draw.")
        y = torch.as_tensor(labels, dtype=torch.long)
        y = y.expand(z.shape[0]) if y.dim() == 0 else y  # (n,)
        if y.min() < 0 or y.max() >= G.num_classes:
            raise ValueError(f"Labels must be in 0..{G.num_classes - 1}.")
    device = next(G.parameters()).device
    out = []
    with torch.inference_mode():
        for i in range(0, z.shape[0], batch_size):
            zb = z[i : i + batch_size].to(device)  # (b, latent)
            yb = y[i : i + batch_size].to(device) if y is not None else None  # (b,)
            out.append(to_pixels(G(zb, yb)).cpu())  # (b, 28, 28) uint8
    return torch.cat(out)


def sweep(z: torch.Tensor, dim: int, n: int = 9, lo: float = -LATENT_RANGE, hi: float = LATENT_RANGE) -> torch.Tensor:
    """n copies of z (latent,) with coordinate `dim` set to evenly spaced values in [lo, hi]. (n, latent)"""
    zs = z.detach().reshape(1, -1).repeat(n, 1)  # (n, latent)
    zs[:, dim] = torch.linspace(lo, hi, n)
    return zs


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    return (1.0 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    n0, n1 = z0.norm(), z1.norm()
    cos = torch.clamp(torch.dot(z0.flatten(), z1.flatten()) / (n0 * n1 + 1e-12), -1.0, 1.0)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-4:  # (almost) parallel: slerp degenerates to lerp
        return lerp(z0, z1, t)
    if (torch.pi - omega).abs() < 1e-4:  # opposite points: every great circle joins them; lerp the norms instead
        return lerp(z0, z1, t)
    so = torch.sin(omega)
    return torch.sin((1.0 - t) * omega) / so * z0 + torch.sin(t * omega) / so * z1


def interpolate(z0: torch.Tensor, z1: torch.Tensor, n: int = 9, mode: str = "slerp") -> torch.Tensor:
    """n points from z0 to z1 (both ends included), linear or spherical. (n, latent)"""
    if mode not in ("lerp", "slerp"):
        raise ValueError("mode must be 'lerp' or 'slerp'.")
    f = slerp if mode == "slerp" else lerp
    ts = [i / (n - 1) for i in range(n)] if n > 1 else [0.0]
    return torch.stack([f(z0, z1, t) for t in ts])


# ------------------------------------------------------------------------------------------------
# Pictures
# ------------------------------------------------------------------------------------------------
def make_grid(images: torch.Tensor | np.ndarray, ncol: int | None = None, pad: int = 2, fill: int = 40) -> np.ndarray:
    """Tile (n, 28, 28) uint8 images into one (H, W) uint8 array, `ncol` per row, `pad` px apart."""
    imgs = np.asarray(images, dtype=np.uint8)
    n, h, w = imgs.shape
    ncol = ncol or int(math.ceil(math.sqrt(n)))
    nrow = int(math.ceil(n / ncol))
    grid = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad), fill, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, ncol)
        y0, x0 = pad + r * (h + pad), pad + c * (w + pad)
        grid[y0 : y0 + h, x0 : x0 + w] = imgs[i]
    return grid


def upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscaling: every pixel becomes a crisp scale x scale block."""
    return np.repeat(np.repeat(np.asarray(image), scale, axis=0), scale, axis=1)


def to_png(image: np.ndarray | torch.Tensor, scale: int = 1) -> bytes:
    """PNG bytes of a (H, W) uint8 greyscale image (a digit or a grid), upscaled without blur."""
    arr = np.asarray(image, dtype=np.uint8)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if scale > 1:
        arr = upscale(arr, scale)
    buf = io.BytesIO()
    # zlib level 1, not PIL's 6: several times faster to encode, files somewhat larger (BENCHMARKS.md).
    # The app encodes a grid every second while a run trains and a digit on every slider move.
    Image.fromarray(arr).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
