"""G and D for every architecture x option, at tiny widths: shapes, ranges, parameter counts worked out
by hand from the layer list, gradients reaching every weight, seeded initialisation, spectral norm,
and no BatchNorm in a WGAN-GP critic."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn as nn

from gan_core import GANConfig, build_models, count_parameters
from gan_core.models import LABEL_DIM

VARIANTS = {
    "plain": {},
    "spectral-norm": {"loss": "hinge", "spectral_norm": True},
    "wgan-gp": {"loss": "wgan-gp"},
}
B = 3  # batch: more than one, so BatchNorm in training mode has statistics to compute


def tiny(arch="dcgan", conditional=False, latent_dim=8, variant="plain", **kw) -> GANConfig:
    return GANConfig(
        arch=arch, conditional=conditional, latent_dim=latent_dim, g_width=4, d_width=4, **VARIANTS[variant], **kw
    ).validate()


def expected_counts(cfg: GANConfig) -> tuple[int, int]:
    """Trainable parameters of G and D, layer by layer, as the models' docstrings describe them."""
    c, k = cfg.conditional, cfg.num_classes
    z_in = cfg.latent_dim + (LABEL_DIM if c else 0)
    g_embed = k * LABEL_DIM if c else 0
    wg, wd = cfg.g_width, cfg.d_width
    if cfg.arch == "mlp":
        g = g_embed + (z_in * 4 * wg + 4 * wg) + (4 * wg * 8 * wg + 8 * wg) + 2 * 8 * wg + (8 * wg * 784 + 784)
        feat = 4 * wd
        d = (784 * 8 * wd + 8 * wd) + (8 * wd * 4 * wd + 4 * wd)
    else:
        g = (
            g_embed
            + z_in * 2 * wg * 49  # project, no bias
            + 2 * 2 * wg  # BatchNorm on 2w channels (scale and shift)
            + 2 * wg * wg * 16  # 4x4 transposed conv 2w -> w, no bias
            + 2 * wg  # BatchNorm on w channels
            + wg * 16
            + 1
        )  # 4x4 transposed conv w -> 1, with bias
        feat = 2 * wd * 49
        d = (16 * wd + wd) + (wd * 2 * wd * 16 + 2 * wd)
        if not cfg.spectral_norm and cfg.loss != "wgan-gp":
            d += 2 * 2 * wd  # BatchNorm on 2w channels
    d += feat + 1  # the head: one logit from the features
    if c:
        d += k * feat  # projection embedding
    return g, d


@pytest.mark.parametrize(
    "arch, conditional, variant, latent_dim",
    list(itertools.product(["mlp", "dcgan"], [False, True], list(VARIANTS), [1, 7, 128])),
)
def test_shapes_ranges_counts_and_gradients(arch, conditional, variant, latent_dim):
    cfg = tiny(arch, conditional, latent_dim, variant)
    G, D = build_models(cfg)
    z = torch.randn(B, latent_dim, generator=torch.Generator().manual_seed(1))  # (B, latent)
    y = torch.tensor([0, 3, 9]) if conditional else None  # (B,)

    img = G(z, y)
    assert img.shape == (B, 1, 28, 28)
    assert torch.isfinite(img).all() and img.abs().max() <= 1.0  # tanh range
    trace = G.trace(z, y)
    assert trace[-1][0] == "image" and torch.equal(trace[-1][1], img)
    assert all(t.shape[0] == B for _, t in trace)

    logits = D(img, y)
    assert logits.shape == (B,) and torch.isfinite(logits).all()

    g_count, d_count = count_parameters(G), count_parameters(D)
    assert g_count > 0 and d_count > 0
    assert (g_count, d_count) == expected_counts(cfg)

    D(G(z, y), y).sum().backward()  # every weight of both players takes part in the game
    for name, p in itertools.chain(G.named_parameters(prefix="G"), D.named_parameters(prefix="D")):
        assert p.grad is not None, f"{name} gets no gradient"
        assert torch.isfinite(p.grad).all(), name


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_wgan_gp_critic_has_no_batchnorm_and_scores_samples_independently(arch):
    G, D = build_models(tiny(arch, variant="wgan-gp"))
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())
    D.train()
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    together = D(x)
    alone = torch.stack([D(x[i : i + 1])[0] for i in range(5)])
    torch.testing.assert_close(together, alone)  # the penalty is per sample: no batch mixing


def test_plain_dcgan_discriminator_keeps_batchnorm():
    """The counterpart of the test above, so that one cannot pass by BatchNorm being gone everywhere."""
    _, D = build_models(tiny("dcgan"))
    assert any(isinstance(m, nn.BatchNorm2d) for m in D.modules())


@pytest.mark.parametrize("arch, conditional", [("mlp", False), ("mlp", True), ("dcgan", False), ("dcgan", True)])
def test_spectral_norm_makes_every_d_layer_1_lipschitz(arch, conditional):
    G, D = build_models(tiny(arch, conditional, variant="spectral-norm"))
    D.eval()  # read the weights without another power-iteration step
    layers = [m for m in D.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.Embedding))]
    assert layers and all(torch.nn.utils.parametrize.is_parametrized(m) for m in layers)
    for m in layers:
        w = m.weight.reshape(m.weight.shape[0], -1)
        sigma = torch.linalg.matrix_norm(w, ord=2).item()
        assert 0.99 < sigma < 1.1, (m, sigma)  # power iteration underestimates sigma, so W/sigma >= 1
    assert not any(torch.nn.utils.parametrize.is_parametrized(m) for m in G.modules())


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_conditional_models_need_and_use_the_label(arch):
    G, D = build_models(tiny(arch, conditional=True))
    G.eval()
    D.eval()
    z = torch.randn(B, 8, generator=torch.Generator().manual_seed(2))
    with pytest.raises(ValueError, match="conditional"):
        G(z)
    with pytest.raises(ValueError, match="conditional"):
        D(torch.zeros(B, 1, 28, 28))
    sevens, ones = G(z, torch.full((B,), 7)), G(z, torch.full((B,), 1))
    assert not torch.allclose(sevens, ones)
    x = torch.rand(B, 1, 28, 28) * 2 - 1
    assert not torch.allclose(D(x, torch.full((B,), 7)), D(x, torch.full((B,), 1)))


def _states(cfg):
    G, D = build_models(cfg)
    return {**{f"G.{k}": v for k, v in G.state_dict().items()}, **{f"D.{k}": v for k, v in D.state_dict().items()}}


@pytest.mark.parametrize(
    "arch, variant, conditional",
    [("mlp", "plain", False), ("dcgan", "plain", True), ("dcgan", "spectral-norm", False), ("mlp", "wgan-gp", True)],
)
def test_same_seed_same_weights_different_seed_different_weights(arch, variant, conditional):
    cfg = tiny(arch, conditional, variant=variant, seed=11)
    torch.manual_seed(1)  # the global RNG must not matter: each run has its own generator
    a = _states(cfg)
    torch.manual_seed(2)
    torch.rand(100)
    b = _states(cfg)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs between two builds with the same seed"
    c = _states(cfg.replace(seed=12))
    differing = [k for k in a if a[k].is_floating_point() and a[k].numel() > 1 and not torch.equal(a[k], c[k])]
    assert any(k.startswith("G.") for k in differing) and any(k.startswith("D.") for k in differing)


def test_initialisation_follows_the_dcgan_paper():
    """Weights ~ N(0, 0.02), BatchNorm scales ~ N(1, 0.02), biases 0."""
    G, D = build_models(GANConfig(g_width=16, d_width=16))
    w = G.project.weight  # 16 x 1568 = 25,088 draws
    assert abs(w.mean().item()) < 0.001 and 0.019 < w.std().item() < 0.021
    assert abs(G.bn0.weight.mean().item() - 1.0) < 0.01 and torch.all(G.bn0.bias == 0)
    assert torch.all(D.down1.bias == 0) and torch.all(G.up2.bias == 0)
    assert 0.015 < D.down2.weight.std().item() < 0.025


def test_count_parameters_ignores_frozen_weights():
    G, _ = build_models(tiny("mlp"))
    total = count_parameters(G)
    G.out.requires_grad_(False)
    assert count_parameters(G) == total - G.out.weight.numel() - G.out.bias.numel()


# ------------------------------------------------------------------------------------------ minibatch stddev
def test_minibatch_std_is_the_spread_of_each_group():
    """s of a group = mean over features of the population standard deviation across the group's images."""
    from gan_core.models import MinibatchStd

    mb = MinibatchStd(group=4).train()
    h = torch.randn(10, 3, 2, 2, generator=torch.Generator().manual_seed(0))  # groups: 0-3, 4-7, 8-9 joins 4-9
    s = mb(h)
    assert s.shape == (10,)
    by_hand = [torch.sqrt(h[a:b].var(0, unbiased=False) + 1e-8).mean() for a, b in ((0, 4), (4, 10))]
    torch.testing.assert_close(s[:4], by_hand[0].expand(4))
    torch.testing.assert_close(s[4:], by_hand[1].expand(6))
    same = mb(h[:1].expand(8, -1, -1, -1))  # eight copies of one image: no spread at all
    assert float(same.max()) < 1e-3 < float(s.min())


@pytest.mark.parametrize("arch, extra", [("dcgan", 49), ("mlp", 1)])
def test_minibatch_std_lets_d_see_a_batch_without_variety_and_judges_one_image_alone(arch, extra):
    cfg = tiny(arch, minibatch_std=4)
    _, D = build_models(cfg)
    assert count_parameters(D) == expected_counts(tiny(arch))[1] + extra  # the head reads s (a 7x7 channel / 1 feature)
    x = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(2)) * 2 - 1
    D.train()
    varied = D.features(x).detach()[:, -extra:]  # (8, extra) the s feature
    copies = D.features(x[:1].expand(8, -1, -1, -1)).detach()[:, -extra:]
    assert float(varied.min()) > 10 * float(copies.max())
    D.eval()  # judging: s is the running average
    together = D(x)
    alone = torch.stack([D(x[i : i + 1])[0] for i in range(8)])
    torch.testing.assert_close(together, alone)
    assert float(D.mbstd.running) > 0
