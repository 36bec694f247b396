"""Principal directions of a generator: the few ways its digits vary most, as directions in z.

A raw coordinate of z usually mixes several effects (a bit of slant, a bit of width, a bit of
class). Following GANSpace (Härkönen et al. 2020) we look for directions by PCA, then map them
back to z:

1. Draw N latent vectors z_i ~ N(0, I) and push them through G: images x_i = G(z_i), flattened.
   For a conditional G, each z gets a random label and the label's mean image is subtracted, so
   that the PCA sees the *style* that z controls, not the class that the label controls.
2. PCA of the images: x_i - mean ~ sum_k c_ik u_k, with u_k the k-th principal component (an
   image-space pattern) and c_ik the coordinates of sample i.
3. Regression back to z (GANSpace's step): the least-squares fit z_i ~ sum_k c_ik v_k gives, for
   each component, the z direction v_k whose movement best explains it. The v_k are then made
   orthonormal (Gram-Schmidt in order of variance), so that "direction k" is a new axis of z.

Why the output images and not an early layer of G: the image is what the student sees and
compares, it is the same space for the MLP and the DCGAN (whose first layers differ in size and
meaning), and for a DCGAN of this size it costs one forward pass of N samples (~0.3 s for 1,000
on one CPU thread). An early layer after a linear map of z carries little more than z itself: its
principal directions would be those of the first weight matrix, not of what G draws.

A unit-length direction v has, under the prior z ~ N(0, I), a coordinate v.z ~ N(0, 1): so a
slider along v spans +-3 sigma exactly like a raw coordinate's slider.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .sampling import LATENT_RANGE, make_grid

SAMPLES = 1000  # N: enough for the leading components (their order barely changes beyond ~1,000); ~0.3 s
COMPONENTS = 8  # directions kept: beyond ~8 the components explain little and look like noise
SEED = 0  # directions are a property of the model, so the same every time they are computed


@dataclass
class Directions:
    vectors: torch.Tensor  # (k, latent) orthonormal directions in z, most important first
    explained: np.ndarray  # (k,) fraction of the image variance each principal component explains
    components: np.ndarray  # (k, 28, 28) the principal components in image space (unit norm)
    effect: np.ndarray  # (k,) mean pixel change (RMSE in [0, 1]) of a 1-sigma step along v_k
    samples: int

    @property
    def k(self) -> int:
        return len(self.vectors)

    def coordinates(self, z: torch.Tensor) -> torch.Tensor:
        """Where z sits along each direction: v_k . z. (k,)"""
        return self.vectors @ torch.as_tensor(z, dtype=torch.float32).reshape(-1)

    def move(self, z: torch.Tensor, k: int, amount: float) -> torch.Tensor:
        """z + amount * v_k (latent,), clipped to the sliders' range."""
        z = torch.as_tensor(z, dtype=torch.float32).reshape(-1)
        return (z + amount * self.vectors[k]).clamp(-LATENT_RANGE, LATENT_RANGE)

    def sweep(self, z: torch.Tensor, k: int, n: int = 9, span: float = LATENT_RANGE) -> torch.Tensor:
        """n points along v_k through z: z's own coordinate on v_k replaced by -span..+span. (n, latent)"""
        z = torch.as_tensor(z, dtype=torch.float32).reshape(-1)
        base = z - self.coordinates(z)[k] * self.vectors[k]  # z with no v_k part
        ts = torch.linspace(-span, span, n)
        return base[None, :] + ts[:, None] * self.vectors[k][None, :]  # (n, latent)


def _images(G, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """G(z) flattened, pixels in [0, 1]. (N, 784)"""
    out = []
    with torch.inference_mode():
        for i in range(0, len(z), 500):
            y = labels[i : i + 500] if labels is not None else None
            out.append(((G(z[i : i + 500], y) + 1.0) / 2.0).reshape(-1, 784))
    return torch.cat(out)


def principal_directions(G: torch.nn.Module, n: int = SAMPLES, k: int = COMPONENTS, seed: int = SEED) -> Directions:
    """PCA of G's images, mapped back to orthonormal directions in z (see the module docstring)."""
    if G.training:
        raise RuntimeError("Compute directions on a generator in eval mode (G.eval()).")
    gen = torch.Generator().manual_seed(int(seed))
    d = G.latent_dim
    k = max(1, min(k, d))
    z = torch.randn(n, d, generator=gen)  # (N, latent)
    labels = torch.randint(G.num_classes, (n,), generator=gen) if getattr(G, "conditional", False) else None
    x = _images(G, z, labels).double()  # (N, 784)
    if labels is not None:  # remove what the label explains: keep the style z controls
        for c in range(G.num_classes):
            rows = labels == c
            if rows.any():
                x[rows] -= x[rows].mean(dim=0)
    x = x - x.mean(dim=0)
    # PCA by SVD of the centred data: x = U S V^T, components = rows of V^T, coordinates = U S
    U, S, Vt = torch.linalg.svd(x, full_matrices=False)
    var = S.square()
    explained = (var[:k] / var.sum().clamp_min(1e-12)).numpy()  # a G that draws one image: all 0
    coords = U[:, :k] * S[:k]  # (N, k)
    # z ~ coords @ A  (least squares), so row j of A is the z direction of component j
    A = torch.linalg.lstsq(coords, z.double()).solution  # (k, latent)
    Q, R = torch.linalg.qr(A.T)  # Gram-Schmidt, in order
    signs = torch.where(torch.diagonal(R) < 0, -1.0, 1.0).double()  # keep A's signs (never 0)
    vectors = (Q.T * signs[:, None]).float()  # (k, latent)
    dirs = Directions(vectors, explained, Vt[:k].reshape(k, 28, 28).float().numpy(), np.zeros(k), n)
    dirs.effect = direction_effect(G, vectors, seed=seed)
    return dirs


def direction_effect(G, vectors: torch.Tensor, n: int = 100, step: float = 1.0, seed: int = SEED) -> np.ndarray:
    """How much the image changes, on average over n prior samples, when z moves `step` along each
    (unit) direction: RMSE of the pixels in [0, 1]. (k,) — the measure the tests compare to random directions."""
    gen = torch.Generator().manual_seed(int(seed) + 1)
    z = torch.randn(n, G.latent_dim, generator=gen)
    labels = torch.randint(G.num_classes, (n,), generator=gen) if getattr(G, "conditional", False) else None
    base = _images(G, z, labels)
    out = []
    for v in torch.as_tensor(vectors, dtype=torch.float32):
        moved = _images(G, z + step * v / v.norm(), labels)
        out.append(float((moved - base).square().mean(dim=1).sqrt().mean()))
    return np.array(out)


def directions_grid(
    G, dirs: Directions, z: torch.Tensor | None = None, label: int | None = None, n: int = 9, span: float = LATENT_RANGE
) -> np.ndarray:
    """One row per direction: the sweep from -span to +span through z. (H, W) uint8

    Default z: one fixed draw from the prior (z = 0, the prior's centre, is not a typical z: most of
    the prior's mass lies near the shell |z| = sqrt(d), and a DCGAN draws a blank there)."""
    from .sampling import generate, sample_z

    z = sample_z(1, G.latent_dim, seed=SEED)[0] if z is None else torch.as_tensor(z, dtype=torch.float32)
    rows = [generate(G, dirs.sweep(z, j, n, span), label) for j in range(dirs.k)]  # k x (n, 28, 28)
    return make_grid(torch.cat(rows).numpy(), ncol=n)
