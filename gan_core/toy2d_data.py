r"""The 2-D playground's target distributions p_data on the plane, and how to score a generator on them.

Every target lives on the square [-PLANE, PLANE]^2 and draws points with its own torch.Generator:

    ring    8 Gaussians N(mu_k, sigma^2 I), mu_k = 2 (cos 2 pi k/8, sin 2 pi k/8)   (Metz et al. 2017, Unrolled GAN)
    grid    25 Gaussians on the 5x5 lattice {-2, -1, 0, 1, 2}^2                       (Srivastava et al. 2017, VEEGAN)
    moons   two interleaved half circles, plus a little Gaussian noise
    spiral  an Archimedean spiral (r proportional to theta, 1.75 turns), plus noise
    line    the diagonal segment from (-2, -2) to (2, 2), plus noise: a 1-D set in 2-D
    custom  the points a student clicks, each the centre of a small Gaussian

The two mixtures (ring, grid) expose their mode centres and sigma, and `mode_metrics` scores samples
the way VEEGAN and the Unrolled GAN paper do:

    a sample is *high quality* when it lies within 3 sigma of some mode's centre;
    a mode is *covered* when at least `min_count` of the samples (20 of 2,500 by default, VEEGAN's rule)
    lie within 3 sigma of it.

A generator that collapsed onto one mode has many high-quality samples but covers 1 mode; one that
smears its samples over the ring covers everything and has few high-quality samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

PLANE = 3.0  # the view and every target live in [-3, 3]^2: room around the ring's radius 2
MODE_SIGMA = 0.05  # the mixtures' sigma: tight enough that "within 3 sigma" (0.15) means on the mode
SHAPE_NOISE = 0.05  # noise added to moons, spiral, line and custom points: visible, not blurring the shape
CUSTOM_MIN, CUSTOM_MAX = 2, 500  # clicked points: at least a pair (one point is a single mode), at most what
# a student clicks in a lesson and the page sends cheaply
EVAL_SAMPLES = 2500  # samples scored by mode_metrics (VEEGAN's count)
EVAL_MIN_COUNT = 20  # a mode is covered when this many of the EVAL_SAMPLES fall within 3 sigma (VEEGAN)
TARGETS = ("ring", "grid", "moons", "spiral", "line", "custom")


@dataclass(frozen=True)
class ModeMetrics:
    covered: int  # modes with >= min_count samples within 3 sigma
    modes: int  # how many modes the target has
    high_quality: float  # share of samples within 3 sigma of some mode, in [0, 1]
    per_mode: tuple[int, ...]  # samples within 3 sigma of each mode


def validate_points(points) -> np.ndarray:
    """Clicked points -> a float32 array (N, 2), or ValueError with a sentence a student can act on."""
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("Custom points must be a list of (x, y) pairs of numbers.") from None
    if arr.size == 0:
        raise ValueError(f"Click at least {CUSTOM_MIN} points to make a distribution; there are none yet.")
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"Custom points must be (x, y) pairs; got an array of shape {arr.shape}.")
    n = arr.shape[0]
    if n < CUSTOM_MIN:
        raise ValueError(f"Click at least {CUSTOM_MIN} points to make a distribution; there are {n}.")
    if n > CUSTOM_MAX:
        raise ValueError(f"At most {CUSTOM_MAX} custom points; there are {n}. Clear some and try again.")
    if not np.isfinite(arr).all():
        raise ValueError("Every custom point needs finite coordinates (no NaN or infinity).")
    outside = int((np.abs(arr) > PLANE).any(axis=1).sum())
    if outside:
        raise ValueError(f"{outside} custom point(s) lie outside the plane [-{PLANE:g}, {PLANE:g}]^2.")
    return arr.astype(np.float32)


class Target:
    """A distribution on the plane: sample(n, generator) -> (n, 2). Mixtures also have centres (K, 2) and sigma."""

    def __init__(self, name: str, points: np.ndarray | None = None):
        if name not in TARGETS:
            raise ValueError(f"Unknown target {name!r}; choose one of {', '.join(TARGETS)}.")
        self.name = name
        self.centres: torch.Tensor | None = None  # (K, 2) for the mixtures
        self.sigma = MODE_SIGMA if name in ("ring", "grid") else SHAPE_NOISE
        if name == "ring":
            angle = torch.arange(8) * (2 * math.pi / 8)  # (8,)
            self.centres = 2.0 * torch.stack([angle.cos(), angle.sin()], dim=1)  # (8, 2)
        elif name == "grid":
            axis = torch.arange(-2.0, 3.0)  # (5,)
            self.centres = torch.cartesian_prod(axis, axis)  # (25, 2)
        elif name == "custom":
            if points is None:
                raise ValueError("The custom target needs points: click some on the plane first.")
            self._points = torch.from_numpy(validate_points(points))  # (N, 2)

    @property
    def is_mixture(self) -> bool:
        return self.centres is not None

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        g = generator
        if self.centres is not None or self.name == "custom":
            base = self.centres if self.centres is not None else self._points
            idx = torch.randint(len(base), (n,), generator=g)  # (n,) which mode
            return base[idx] + self.sigma * torch.randn(n, 2, generator=g)  # (n, 2)
        t = torch.rand(n, generator=g)  # (n,) position along the shape
        if self.name == "moons":
            upper = torch.rand(n, generator=g) < 0.5  # (n,) which moon
            a = math.pi * t
            x = torch.where(upper, a.cos(), 1.0 - a.cos())  # sklearn's make_moons, then
            y = torch.where(upper, a.sin(), 0.5 - a.sin())  # centred and scaled by 1.6
            pts = 1.6 * torch.stack([x - 0.5, y - 0.25], dim=1)  # (n, 2)
        elif self.name == "spiral":
            theta = 1.0 + 3.5 * math.pi * t.sqrt()  # sqrt: even density along it
            r = 2.6 * theta / (1.0 + 3.5 * math.pi)  # r grows with theta, to 2.6
            pts = torch.stack([r * theta.cos(), r * theta.sin()], dim=1)  # (n, 2)
        else:  # line
            pts = (4.0 * t - 2.0)[:, None].expand(n, 2)  # (n, 2) on y = x
        return (pts + self.sigma * torch.randn(n, 2, generator=g)).clamp(-PLANE, PLANE)

    def metrics(self, samples: torch.Tensor | np.ndarray, min_count: int = EVAL_MIN_COUNT) -> ModeMetrics | None:
        """mode_metrics against this target's modes; None when it is not a mixture."""
        if self.centres is None:
            return None
        return mode_metrics(samples, self.centres, self.sigma, min_count)


def mode_metrics(samples, centres, sigma: float, min_count: int = EVAL_MIN_COUNT) -> ModeMetrics:
    """Modes covered and the high-quality share (see the module docstring for the rule).

    samples (N, 2), centres (K, 2). A sample within 3 sigma of two modes (impossible for our spacing) counts
    for the nearest one.
    """
    x = torch.as_tensor(np.asarray(samples, dtype=np.float32))  # (N, 2)
    c = torch.as_tensor(np.asarray(centres, dtype=np.float32))  # (K, 2)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ValueError(f"samples must be a non-empty (N, 2) array; got shape {tuple(x.shape)}.")
    dist = torch.cdist(x, c)  # (N, K)
    nearest, which = dist.min(dim=1)  # (N,), (N,)
    good = nearest <= 3.0 * sigma  # (N,) high quality
    per_mode = torch.bincount(which[good], minlength=len(c))  # (K,)
    return ModeMetrics(
        covered=int((per_mode >= min_count).sum()),
        modes=len(c),
        high_quality=float(good.float().mean()),
        per_mode=tuple(int(v) for v in per_mode),
    )
