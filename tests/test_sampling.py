"""Sampling and pictures: generate, latent sweeps, lerp/slerp, grids, PNGs with exact nearest-neighbour upscaling."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core import (
    LATENT_RANGE,
    GANConfig,
    build_models,
    generate,
    interpolate,
    lerp,
    make_grid,
    sample_labels,
    sample_z,
    slerp,
    sweep,
    to_png,
    upscale,
)
from gan_core.data import to_pixels


def tiny_generator(conditional=False, latent_dim=6, arch="dcgan"):
    G, _ = build_models(GANConfig(arch=arch, conditional=conditional, latent_dim=latent_dim, g_width=4, d_width=4))
    return G.eval()


# ------------------------------------------------------------------------------------------- generate
def test_generate_returns_pixels_of_g_output_in_batches():
    G = tiny_generator()
    z = sample_z(7, 6, seed=3)
    imgs = generate(G, z, batch_size=3)  # three batches: 3 + 3 + 1
    assert imgs.shape == (7, 28, 28) and imgs.dtype == torch.uint8
    with torch.no_grad():
        assert torch.equal(imgs, to_pixels(G(z)))
    assert torch.equal(generate(G, z[0])[0], imgs[0])  # a single (latent,) vector works too


def test_generate_refuses_misuse():
    G = tiny_generator()
    with pytest.raises(ValueError, match="6-dimensional"):
        generate(G, torch.zeros(2, 5))
    G.train()
    with pytest.raises(RuntimeError, match="eval mode"):
        generate(G, torch.zeros(2, 6))


def test_generate_conditional_labels():
    G = tiny_generator(conditional=True)
    z = sample_z(4, 6, seed=0)
    with pytest.raises(ValueError, match="conditional"):
        generate(G, z)
    with pytest.raises(ValueError, match="Labels must be in 0..9"):
        generate(G, z, 10)
    sevens = generate(G, z, 7)  # one int for all
    assert torch.equal(sevens, generate(G, z, torch.full((4,), 7)))
    assert not torch.equal(sevens, generate(G, z, 2))


def test_sample_z_and_labels_are_reproducible():
    a, b = sample_z(5, 3, seed=9), sample_z(5, 3, seed=9)
    assert a.shape == (5, 3) and torch.equal(a, b) and not torch.equal(a, sample_z(5, 3, seed=10))
    y = sample_labels(200, 10, seed=1)
    assert y.shape == (200,) and y.min() >= 0 and y.max() <= 9 and len(set(y.tolist())) == 10
    assert torch.equal(y, sample_labels(200, 10, seed=1))


# ------------------------------------------------------------------------------------------- latent walks
def test_sweep_changes_one_coordinate_across_the_slider_range():
    z = sample_z(1, 8, seed=0)[0]
    before = z.clone()
    zs = sweep(z, dim=3, n=7)
    assert zs.shape == (7, 8)
    assert torch.equal(z, before)  # the input is not modified
    others = [i for i in range(8) if i != 3]
    assert torch.equal(zs[:, others], z[others].expand(7, -1))
    torch.testing.assert_close(zs[:, 3], torch.linspace(-LATENT_RANGE, LATENT_RANGE, 7))
    assert LATENT_RANGE == 3.0  # +-3 sigma of the N(0, 1) prior
    assert sweep(z, 0, n=3, lo=-1, hi=1)[:, 0].tolist() == [-1.0, 0.0, 1.0]


def test_lerp_endpoints_and_midpoint():
    z0, z1 = sample_z(2, 16, seed=4)
    assert torch.equal(lerp(z0, z1, 0.0), z0) and torch.equal(lerp(z0, z1, 1.0), z1)
    torch.testing.assert_close(lerp(z0, z1, 0.5), (z0 + z1) / 2)


def test_slerp_endpoints_stay_on_the_sphere_and_move_at_constant_angle():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    z1 = z1 / z1.norm() * z0.norm()  # same radius, so the arc is on one sphere
    torch.testing.assert_close(slerp(z0, z1, 0.0), z0)
    torch.testing.assert_close(slerp(z0, z1, 1.0), z1)
    omega = math.acos((z0 @ z1 / (z0.norm() * z1.norm())).item())
    for t in (0.25, 0.5, 0.8):
        p = slerp(z0, z1, t)
        assert p.norm().item() == pytest.approx(z0.norm().item(), rel=1e-5)
        angle = math.acos(min(1.0, (p @ z0 / (p.norm() * z0.norm())).item()))
        assert angle == pytest.approx(t * omega, rel=1e-4)
    # the straight line cuts inside the sphere, which is why slerp exists
    assert lerp(z0, z1, 0.5).norm() < 0.9 * z0.norm()


def test_slerp_of_parallel_vectors_falls_back_to_lerp():
    z = sample_z(1, 8, seed=1)[0]
    torch.testing.assert_close(slerp(z, 2 * z, 0.5), 1.5 * z)


def test_interpolate_includes_both_ends():
    z0, z1 = sample_z(2, 5, seed=2)
    for mode in ("lerp", "slerp"):
        path = interpolate(z0, z1, n=6, mode=mode)
        assert path.shape == (6, 5)
        torch.testing.assert_close(path[0], z0)
        torch.testing.assert_close(path[-1], z1)
    assert interpolate(z0, z1, n=1).shape == (1, 5)
    with pytest.raises(ValueError, match="lerp"):
        interpolate(z0, z1, mode="cubic")


# ------------------------------------------------------------------------------------------- pictures
def _digits(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("n, ncol, rows, cols", [(10, None, 3, 4), (10, 5, 2, 5), (1, None, 1, 1), (64, 8, 8, 8)])
def test_make_grid_shape_and_placement(n, ncol, rows, cols):
    imgs = _digits(n)
    grid = make_grid(imgs, ncol=ncol, pad=2, fill=40)
    assert grid.dtype == np.uint8
    assert grid.shape == (rows * 30 + 2, cols * 30 + 2)  # 28 px + 2 px gap per cell
    for i in range(n):
        r, c = divmod(i, cols)
        assert np.array_equal(grid[2 + 30 * r : 30 + 30 * r, 2 + 30 * c : 30 + 30 * c], imgs[i])
    assert np.all(grid[:2] == 40) and np.all(grid[:, :2] == 40)  # the padding is the fill value
    if rows * cols > n:  # unused cells stay empty
        assert np.all(grid[-30:, -30:] == 40)


def test_make_grid_accepts_tensors():
    imgs = _digits(4)
    assert np.array_equal(make_grid(torch.from_numpy(imgs)), make_grid(imgs))


@pytest.mark.parametrize("scale", [1, 3, 8])
def test_png_is_an_exact_nearest_neighbour_upscale(scale):
    img = _digits(1, seed=scale)[0]
    data = to_png(img, scale=scale)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = np.asarray(Image.open(io.BytesIO(data)))
    assert decoded.shape == (28 * scale, 28 * scale) and decoded.dtype == np.uint8
    assert np.array_equal(decoded, np.kron(img, np.ones((scale, scale), dtype=np.uint8)))
    rng = np.random.default_rng(0)
    for _ in range(5):  # every block is one flat colour: no blur
        y, x = rng.integers(0, 28, size=2)
        block = decoded[y * scale : (y + 1) * scale, x * scale : (x + 1) * scale]
        assert np.all(block == img[y, x])


def test_png_of_a_grid_and_of_a_channel_first_image():
    grid = make_grid(_digits(5))
    decoded = np.asarray(Image.open(io.BytesIO(to_png(grid, scale=2))))
    assert np.array_equal(decoded, upscale(grid, 2))
    one = _digits(1)
    assert to_png(one) == to_png(one[0])  # (1, H, W) is accepted as (H, W)
