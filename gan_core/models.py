"""The two players: a generator G that maps noise z to a 28x28 image, and a discriminator D that scores images.

    G : z ~ N(0, I_latent)  ->  x_fake in [-1, 1]^(1x28x28)        (tanh output, like the data after scaling)
    D : x                  ->  a logit s(x);  D(x) = sigmoid(s(x)) = "probability that x is real"

Two architectures, each with an optional conditional (label-aware) variant:

* "mlp"   - the fully-connected GAN of Goodfellow et al. (2014): Linear layers, LeakyReLU, tanh output.
* "dcgan" - Radford et al. (2015) sized for 28x28: G projects z to 7x7 feature maps and doubles them
            twice with transposed convolutions (7 -> 14 -> 28), BatchNorm + ReLU in between; D halves
            the image twice with strided convolutions (28 -> 14 -> 7) and LeakyReLU(0.2).

Conditional models (a cGAN, Mirza & Osindero 2014) let a student ask for a given digit y:
G receives [z, embed(y)]; D uses a *projection* term (Miyato & Koyama 2018):

    s(x, y) = w . h(x) + embed_D(y) . h(x)      (h = D's penultimate features)

so D judges "is this a real image *of digit y*", not just "is this real".

InfoGAN (Chen et al. 2016) feeds G a categorical code c ~ Uniform{0..K-1} the same way as a label
(G(z, c), through the same embedding), but nobody tells G what c means: D is unconditional and
gets a second head Q on its features that guesses c from the image,

    Q(c | x) = softmax(W_Q h(x))            (B, K)

and both G and Q minimise the cross-entropy -E[log Q(c | G(z, c))], a lower bound on the mutual
information I(c; G(z, c)) up to the constant H(c). So G is `conditional` (it takes a class input,
with `info` set: the class is a learned code, not a digit), and D is not.

Weights start from N(0, 0.02) (the DCGAN paper's initialisation) drawn from the run's own
torch.Generator, so two runs with the same seed start identically even when many runs share
one server process.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm as _sn

from .config import GANConfig
from .losses import LOSS_INFO

IMG = 28  # image side in pixels
PIXELS = IMG * IMG
LABEL_DIM = 16  # size of the label embedding fed to a conditional G; small next to the noise


class Generator(nn.Module):
    """Base class: G(z, y) -> images (B, 1, 28, 28) in [-1, 1]."""

    channels_last = False  # weights and activations stored channels-last (`memory_layout`)

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.latent_dim = cfg.latent_dim
        self.info = bool(cfg.info_codes)  # the class input is an InfoGAN code, not a label
        self.conditional = cfg.class_input  # G takes a class input y (a label or a code)
        self.num_classes = cfg.class_count
        self.label_embed = nn.Embedding(self.num_classes, LABEL_DIM) if self.conditional else None
        self.in_dim = cfg.latent_dim + (LABEL_DIM if self.conditional else 0)  # [z, embed(y)]

    def _input(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        if self.label_embed is None:
            return z  # (B, latent)
        if y is None:
            raise ValueError("This generator is conditional: give a class label y for every z.")
        return torch.cat([z, self.label_embed(y)], dim=1)  # (B, latent + LABEL_DIM)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.trace(z, y)[-1][1]

    def memory_layout(self, channels_last: bool) -> "Generator":
        """Store the convolutions' weights and activations channels-last (B, H, W, C), oneDNN's fast layout on
        CPU (the Trainer's choice there), or plain (B, C, H, W): the same numbers either way. A plain Python
        flag, so that torch.fx can trace the forward pass (gan_core.webexport)."""
        self.channels_last = bool(channels_last)
        return self.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)

    def trace(self, z, y=None) -> list[tuple[str, torch.Tensor]]:  # pragma: no cover - abstract
        """Every intermediate activation, named, ending with the image: for "look inside" views."""
        raise NotImplementedError


class Discriminator(nn.Module):
    """Base class: D(x, y) -> logits (B,). D's probability that x is real is sigmoid(logit)."""

    def __init__(self, cfg: GANConfig, feature_dim: int):
        super().__init__()
        sn = _sn if cfg.spectral_norm else (lambda m: m)
        self.head = sn(nn.Linear(feature_dim, 1))
        self.label_embed = sn(nn.Embedding(cfg.num_classes, feature_dim)) if cfg.conditional else None
        self.conditional = cfg.conditional
        # InfoGAN's Q head: logits of Q(c | x) from the same features. Not spectrally normalised: it does not
        # touch the realness score, whose Lipschitz bound spectral normalization is there to keep.
        self.code_head = nn.Linear(feature_dim, cfg.info_codes) if cfg.info_codes else None

    def features(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.scores(x, y)[0]

    def scores(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's realness logits (B,) and, for an InfoGAN D, Q's code logits (B, K) from the same features (else None)."""
        h = self.features(x)  # (B, F)
        logit = self.head(h).squeeze(1)  # (B,)
        if self.label_embed is not None:
            if y is None:
                raise ValueError("This discriminator is conditional: give a class label y for every x.")
            logit = logit + (self.label_embed(y) * h).sum(dim=1)  # projection term, (B,)
        code_logits = self.code_head(h) if self.code_head is not None else None  # (B, K)
        return logit, code_logits


class MinibatchStd(nn.Module):
    """Minibatch standard deviation (Karras et al. 2018, ProGAN): how varied a small group of images is.

    For groups of g images (g = `group`; a batch that does not split evenly gives its last group the rest),
        s = mean over channels and pixels of  sqrt( Var_group[h] + 1e-8 ),
    one number per group, handed to every image of its group. A G that draws too little variety
    gives groups of fakes a smaller s than groups of real digits, and D can see it: per-image D cannot
    (and BatchNorm in D even hides it by rescaling each batch to unit variance). G is pushed to vary.

    In eval mode (judging a single digit, as the app does) there is no group: s is a running average of
    the training batches' values, as BatchNorm keeps running statistics, so D's answer for one image does
    not depend on the images beside it.
    """

    def __init__(self, group: int, momentum: float = 0.1):
        super().__init__()
        self.group, self.momentum = group, momentum
        self.register_buffer("running", torch.zeros(()))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """h: (B, ...) activations of one layer -> (B,) the group statistic s of each image's group."""
        B = h.shape[0]
        if not self.training or B < 2:
            return self.running.to(h.dtype).expand(B)  # (B,)
        g = min(self.group, B)
        idx = torch.clamp(torch.arange(B, device=h.device) // g, max=B // g - 1)  # (B,) group of each image
        n = torch.bincount(idx).to(h.dtype)  # (groups,) images per group
        flat = h.flatten(1)  # (B, F) every activation of an image
        mean = torch.zeros(len(n), flat.shape[1], dtype=h.dtype, device=h.device).index_add_(0, idx, flat)
        mean = mean / n[:, None]  # (groups, F)
        var = torch.zeros_like(mean).index_add_(0, idx, (flat - mean[idx]) ** 2) / n[:, None]
        s = torch.sqrt(var + 1e-8).mean(1)  # (groups,)
        with torch.no_grad():
            self.running.lerp_(s.mean().float().to(self.running.dtype), self.momentum)
        return s[idx]  # (B,)


# ------------------------------------------------------------------------------------------------
# MLP (Goodfellow et al. 2014)
# ------------------------------------------------------------------------------------------------
class MLPGenerator(Generator):
    def __init__(self, cfg: GANConfig):
        super().__init__(cfg)
        w = cfg.g_width
        self.fc1 = nn.Linear(self.in_dim, 4 * w)
        self.fc2 = nn.Linear(4 * w, 8 * w)
        self.bn2 = nn.BatchNorm1d(8 * w)  # eps stays at its default (not 0.8: a classic typo)
        self.out = nn.Linear(8 * w, PIXELS)

    def trace(self, z, y=None):
        h1 = F.leaky_relu(self.fc1(self._input(z, y)), 0.2)  # (B, 4w)
        h2 = F.leaky_relu(self.bn2(self.fc2(h1)), 0.2)  # (B, 8w)
        img = torch.tanh(self.out(h2)).view(-1, 1, IMG, IMG)  # (B, 1, 28, 28)
        return [("hidden 1", h1), ("hidden 2", h2), ("image", img)]


class MLPDiscriminator(Discriminator):
    def __init__(self, cfg: GANConfig):
        w = cfg.d_width
        super().__init__(cfg, feature_dim=4 * w + (1 if cfg.minibatch_std else 0))
        sn = _sn if cfg.spectral_norm else (lambda m: m)
        self.fc1 = sn(nn.Linear(PIXELS, 8 * w))
        self.fc2 = sn(nn.Linear(8 * w, 4 * w))
        self.mbstd = MinibatchStd(cfg.minibatch_std) if cfg.minibatch_std else None

    def features(self, x):
        h1 = F.leaky_relu(self.fc1(x.reshape(x.shape[0], PIXELS)), 0.2)  # (B, 8w)
        h = F.leaky_relu(self.fc2(h1), 0.2)  # (B, 4w)
        if self.mbstd is not None:
            h = torch.cat([h, self.mbstd(h1)[:, None]], dim=1)  # (B, 4w+1): the group's spread
        return h


# ------------------------------------------------------------------------------------------------
# DCGAN (Radford et al. 2015), sized for 28x28
# ------------------------------------------------------------------------------------------------
class DCGANGenerator(Generator):
    def __init__(self, cfg: GANConfig):
        super().__init__(cfg)
        w = cfg.g_width
        self.w = w
        self.project = nn.Linear(self.in_dim, 2 * w * 7 * 7, bias=False)  # "project and reshape" of the paper
        self.bn0 = nn.BatchNorm2d(2 * w)
        self.up1 = nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1, bias=False)  # 7 -> 14
        self.bn1 = nn.BatchNorm2d(w)
        self.up2 = nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1)  # 14 -> 28

    def trace(self, z, y=None):
        h0 = self.project(self._input(z, y)).view(-1, 2 * self.w, 7, 7)  # (B, 2w, 7, 7)
        if self.channels_last:  # a channels-last G (training on CPU): its activations too, from here on
            h0 = h0.contiguous(memory_format=torch.channels_last)  # (B, 2w, 7, 7), stored (B, 7, 7, 2w)
        h0 = F.relu(self.bn0(h0))
        h1 = F.relu(self.bn1(self.up1(h0)))  # (B, w, 14, 14)
        img = torch.tanh(self.up2(h1))  # (B, 1, 28, 28)
        return [("7x7", h0), ("14x14", h1), ("image", img)]


class DCGANDiscriminator(Discriminator):
    def __init__(self, cfg: GANConfig):
        w = cfg.d_width
        extra = 1 if cfg.minibatch_std else 0  # one more 7x7 channel: s
        super().__init__(cfg, feature_dim=(2 * w + extra) * 7 * 7)
        sn = _sn if cfg.spectral_norm else (lambda m: m)
        self.down1 = sn(nn.Conv2d(1, w, 4, stride=2, padding=1))  # 28 -> 14
        self.down2 = sn(nn.Conv2d(w, 2 * w, 4, stride=2, padding=1))  # 14 -> 7
        # BatchNorm as in the paper, except where it would break the method: WGAN-GP's penalty is
        # per-sample (BatchNorm mixes samples) and spectral normalization already tames D.
        use_bn = not cfg.spectral_norm and LOSS_INFO[cfg.loss].d_batchnorm
        self.bn2 = nn.BatchNorm2d(2 * w) if use_bn else nn.Identity()
        self.mbstd = MinibatchStd(cfg.minibatch_std) if cfg.minibatch_std else None

    def features(self, x):
        h1 = F.leaky_relu(self.down1(x), 0.2)  # (B, w, 14, 14)
        h = F.leaky_relu(self.bn2(self.down2(h1)), 0.2)  # (B, 2w, 7, 7)
        if self.mbstd is not None:  # measured before BatchNorm can rescale it away
            s = self.mbstd(h1)  # (B,)
            h = torch.cat([h, s.view(-1, 1, 1, 1).expand(-1, 1, 7, 7)], dim=1)  # (B, 2w+1, 7, 7)
        return _flatten_keeping_layout(h)  # (B, (2w[+1])*49)


def _flatten_keeping_layout(h: torch.Tensor) -> torch.Tensor:
    """h.flatten(1), in (C, H, W) order whatever h's memory layout, so weights mean the same on every device.

    On CPU, D runs channels-last (Trainer). Flatten's backward hands the gradient back as a plain contiguous
    (B, C, H, W) tensor, and LeakyReLU's backward, meeting a channels-last input and a contiguous gradient,
    falls off oneDNN's fast path onto a generic strided loop, many times slower than with matching layouts
    (BENCHMARKS.md, "CPU path"). A hook turns the gradient back into h's layout first: the same numbers, one
    small copy.
    """
    if h.requires_grad and _channels_last(h):
        h.register_hook(_to_channels_last)
    return h.flatten(1)  # (B, C*H*W)


def _channels_last(t: torch.Tensor) -> bool:
    """Stored channels-last, and not also plain contiguous (as a tensor with one channel or 1x1 pixels is)."""
    return t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous()


def _to_channels_last(grad: torch.Tensor) -> torch.Tensor:
    return grad.contiguous(memory_format=torch.channels_last)  # (B, C, H, W), stored (B, H, W, C)


ARCHITECTURES = {"mlp": (MLPGenerator, MLPDiscriminator), "dcgan": (DCGANGenerator, DCGANDiscriminator)}


# ------------------------------------------------------------------------------------------------
# Construction and initialisation
# ------------------------------------------------------------------------------------------------
@torch.no_grad()
def init_weights(module: nn.Module, generator: torch.Generator | None = None) -> None:
    """DCGAN initialisation: conv/linear/embedding weights ~ N(0, 0.02), BatchNorm scale ~ N(1, 0.02), biases 0.

    Drawn from `generator` (on the CPU), then copied, so the result does not depend on the device.
    """
    for m in module.modules():
        params = []
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            params.append((weight, 0.0))
            if getattr(m, "bias", None) is not None:
                m.bias.zero_()
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            params.append((m.weight, 1.0))
            m.bias.zero_()
        for p, mean in params:
            p.copy_(torch.randn(p.shape, generator=generator) * 0.02 + mean)
        if hasattr(m, "parametrizations"):  # spectral norm: restart its power iteration from our RNG
            sn = m.parametrizations.weight[0]
            if hasattr(sn, "_u"):
                sn._u.copy_(F.normalize(torch.randn(sn._u.shape, generator=generator), dim=0, eps=sn.eps))
                sn._v.copy_(F.normalize(torch.randn(sn._v.shape, generator=generator), dim=0, eps=sn.eps))
                if hasattr(sn, "_power_method"):
                    sn._power_method(sn._reshape_weight_to_matrix(m.parametrizations.weight.original), 15)
    if isinstance(module, Generator) and module.info:
        # An InfoGAN's code enters G on the same scale as z, N(0, 1) per entry (as InfoGAN's one-hot code does),
        # not at the 0.02 of the other weights: a code 50x quieter than z is ignored while z already learns
        # which digit to draw, and the code is left to encode some minor style instead.
        w = module.label_embed.weight
        w.copy_(torch.randn(w.shape, generator=generator))


def build_generator(cfg: GANConfig, seed: int | None = None) -> Generator:
    g = ARCHITECTURES[cfg.arch][0](cfg)
    init_weights(g, torch.Generator().manual_seed(cfg.seed if seed is None else seed))
    return g


def build_models(cfg: GANConfig, device: torch.device | str = "cpu") -> tuple[Generator, Discriminator]:
    """G and D for a config, initialised from the config's seed, on `device`."""
    cfg.validate()
    rng = torch.Generator().manual_seed(cfg.seed)
    g_cls, d_cls = ARCHITECTURES[cfg.arch]
    G, D = g_cls(cfg), d_cls(cfg)
    init_weights(G, rng)
    init_weights(D, rng)
    return G.to(device), D.to(device)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters (spectral norm's u, v buffers are not parameters)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
