r"""The 2-D playground: a GAN small enough to watch every move of the game.

G maps noise to a point on the plane and D scores points; the data are one of the targets of
`toy2d_data` (a ring of 8 Gaussians, a 5x5 grid, moons, a spiral, a line, or points a student clicks):

    G : z ~ N(0, I_k) (k = z_dim, 1..8)  ->  x = G(z) in R^2          (MLP, ReLU, linear output)
    D : x in R^2                          ->  a logit s(x);  D(x) = sigmoid(s(x)) for the BCE losses

They play the same game, with the same losses, as the MNIST side (gan_core.losses: minimax,
non-saturating, least-squares, hinge, WGAN-GP), one step at a time:

    D step:  theta_D <- theta_D - lr_D grad L_D    (real batch from p_data, fakes G(z) held fixed)
    G step:  theta_G <- theta_G - lr_G grad L_G    (D held fixed)
    iteration = d_steps D steps, then one G step

What a student should see is what moves: D's verdict over the whole plane (a heat-map, with its
decision level 0.5 for the probabilistic losses, 0 for raw scores), each fake point before and after a
G step, and the push D gives each fake point,

    -dL_G/dx  at x = G(z)       (the arrows: G's parameters move so that its points follow them)

and G's "manifold": the image of a regular grid of z (the first two z dims; the others held at 0), a
warped mesh that shows how G folds the noise plane onto the data.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm as _sn

from .fast_adam import FastAdam
from .losses import LOSS_INFO, d_loss_fn, g_loss_fn, gradient_penalty
from .toy2d_data import EVAL_SAMPLES, PLANE, TARGETS, ModeMetrics, Target, validate_points
from .toy2d_fast import ManualBackward, supported

OPTIMIZERS = ("adam", "sgd")
HEAT_SIDE = 40  # D is shown on a 40x40 grid over the plane: smooth once the browser scales it up, cheap
SHOWN_POINTS = 256  # real and fake points drawn per frame: the shape is clear, the canvas is not a blot
ARROWS = 64  # gradient arrows: one per fake point for the first 64, more would hide the points
MESH_SIDE = 11  # the z grid is 11x11 lines over [-MESH_Z, MESH_Z]^2
MESH_Z = 2.0  # +-2: about 95% of each z coordinate's N(0, 1) draws fall inside


@dataclass
class ToyConfig:
    """Every knob of the playground, each default with its reason."""

    target: str = "ring"  # the Unrolled GAN / VEEGAN benchmark: mode collapse shows at a glance
    loss: str = "non-saturating"  # the MNIST side's default loss too: same fixed point, strong early gradients
    z_dim: int = 2  # 2: the manifold mesh is G's whole input plane, nothing hidden
    g_width: int = 64  # two hidden layers of 64: enough to draw 8 or 25 modes, and over 1,000
    d_width: int = 64  #   iterations/s on one CPU core (bench/toy2d_speed.py)
    lr_g: float = 1e-3  # Adam at 1e-3 learns the ring in a few thousand iterations
    lr_d: float = 1e-3
    d_steps: int = 1  # D updates per G update; WGAN-GP's critic wants more (5 in the paper)
    d_head_start: int = 0  # D updates made alone (G fixed) before the game starts: a D that already rejects G's
    #   points, D(G(z)) near 0, as at the start of real training; the loss lesson's situation. Not counted in
    #   d_updates: the game starts at iteration 0 with D ahead
    optimizer: str = "adam"  # "adam" or "sgd" (plain gradient descent: slower, shows oscillation)
    beta1: float = 0.5  # Adam's momentum: 0.5 as in DCGAN; 0.9 makes the game oscillate more
    beta2: float = 0.99
    label_smoothing: float = 0.0  # one-sided: D's real target 1 -> 1 - s (Salimans et al. 2016); off
    spectral_norm: bool = False  # divide each D weight by its largest singular value (Miyato et al. 2018)
    gp_weight: float = 0.1  # WGAN-GP's lambda: 0.1 as in the paper's own 2-D toy (10 is for images)
    batch_size: int = 128  # real and fake points per step: cheap, and a smooth enough gradient
    seed: int = 0
    custom_points: tuple = field(default_factory=tuple)  # ((x, y), ...) clicked by the student, for "custom"

    def validate(self) -> "ToyConfig":
        """Raise ValueError listing every problem (sentences a student can act on), or return self."""
        problems: list[str] = []

        def need(ok: bool, msg: str) -> None:
            if not ok:
                problems.append(msg)

        def whole(name: str, lo: int, hi: int) -> None:
            v = getattr(self, name)
            need(
                isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi,
                f"{name} must be a whole number from {lo} to {hi}; got {v!r}.",
            )

        def number(name: str, lo: float, hi: float, lo_open: bool = False) -> None:
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            ok = ok and (lo < v if lo_open else lo <= v) and v <= hi
            low, high = ("above", "and at most") if lo_open else ("from", "to")
            need(ok, f"{name} must be a number {low} {lo:g} {high} {hi:g}; got {v!r}.")

        need(self.target in TARGETS, f"target must be one of {', '.join(TARGETS)}; got {self.target!r}.")
        info = LOSS_INFO.get(self.loss) if isinstance(self.loss, str) else None
        need(info is not None, f"loss must be one of {', '.join(LOSS_INFO)}; got {self.loss!r}.")
        need(self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}.")
        whole("z_dim", 1, 8)
        whole("g_width", 4, 512)
        whole("d_width", 4, 512)
        whole("d_steps", 1, 20)
        whole("d_head_start", 0, 5000)
        whole("batch_size", 2, 4096)
        whole("seed", 0, 2**63 - 1)
        number("lr_g", 0, 1, lo_open=True)
        number("lr_d", 0, 1, lo_open=True)
        number("beta1", 0, 0.999)
        number("beta2", 0, 0.9999)
        number("label_smoothing", 0, 0.49)
        number("gp_weight", 0, 100)
        need(isinstance(self.spectral_norm, bool), f"spectral_norm must be true or false; got {self.spectral_norm!r}.")
        if info is not None and self.label_smoothing and not info.targets:
            problems.append(f"Label smoothing changes D's target 1; {info.label} has no targets. Set it to 0.")
        if info is not None and info.gradient_penalty and self.spectral_norm:
            problems.append(f"{info.label} keeps D 1-Lipschitz with its gradient penalty: switch spectral norm off.")
        if self.target == "custom":
            try:
                validate_points(self.custom_points)
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            raise ValueError(" ".join(problems))
        return self

    def replace(self, **changes) -> "ToyConfig":
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"Unknown playground setting(s): {', '.join(sorted(unknown))}.")
        if "custom_points" in changes:
            changes["custom_points"] = tuple(tuple(float(v) for v in p) for p in changes["custom_points"])
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ToyPreset:
    name: str
    description: str
    changes: dict

    def config(self, **overrides) -> ToyConfig:
        return ToyConfig().replace(**self.changes).replace(**overrides)


# Measured over seeds 0-4 (bench/toy2d_presets.py, BENCHMARKS.md "2-D playground presets"). The collapse and
# its fix differ in one knob, D's learning rate, so the lesson is about the balance of the two players.
TOY_PRESETS: dict[str, ToyPreset] = {
    p.name: p
    for p in [
        ToyPreset(
            "ring",
            "The default, and the fix for ring-collapse: non-saturating loss, Adam, D and G learning at the "
            "same rate (1e-3). Covers all 8 modes within 2,000 iterations.",
            {},
        ),
        ToyPreset(
            "ring-collapse",
            "Mode collapse: the same game with D learning 10x slower than G (lr_d = 1e-4). G piles "
            "its points into one clump and chases D's favourite spot around the ring.",
            {"lr_d": 1e-4},
        ),
        ToyPreset(
            "ring-wgan-gp",
            "WGAN-GP with 5 critic steps per G step (Gulrajani et al. 2017): slower per iteration, "
            "the critic's gradient points G at every mode.",
            {"loss": "wgan-gp", "d_steps": 5, "beta1": 0.5, "beta2": 0.9},
        ),
        ToyPreset(
            "ring-d-ahead",
            "D trained alone for 1,000 steps before the game: it rejects G's points (D(G(z)) near 0), as at the "
            "start of real training. Plain gradient descent (SGD), so a step is proportional to the gradient and "
            "a vanishing gradient shows as points that do not move (Adam would rescale it). The loss lesson "
            "plays it with the minimax loss and compares with the non-saturating one.",
            {"d_head_start": 1000, "optimizer": "sgd", "lr_g": 1e-3, "lr_d": 1e-2},
        ),
        ToyPreset(
            "grid", "The 5x5 grid of 25 Gaussians (VEEGAN's harder test) with the default settings.", {"target": "grid"}
        ),
    ]
}


def toy_preset(name: str, **overrides) -> ToyConfig:
    try:
        return TOY_PRESETS[name].config(**overrides)
    except KeyError:
        raise ValueError(f"Unknown playground preset {name!r}; presets: {', '.join(TOY_PRESETS)}.") from None


# ------------------------------------------------------------------------------------------------
# The two players
# ------------------------------------------------------------------------------------------------
def _init(module: nn.Module, gen: torch.Generator) -> None:
    """PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from the run's own generator:
    same seed, same start, whatever else the server process is doing."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            bound = 1.0 / math.sqrt(m.in_features)
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 2 * bound - bound)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) * 2 * bound - bound)


class ToyGenerator(nn.Module):
    """G(z): (B, z_dim) -> (B, 2). Linear output: the plane has no edge G must respect."""

    def __init__(self, z_dim: int, width: int):
        super().__init__()
        self.z_dim = z_dim
        self.fc1, self.fc2, self.out = nn.Linear(z_dim, width), nn.Linear(width, width), nn.Linear(width, 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # F.linear on the layers' tensors rather than calling the layers: a module call costs more than the
        # layer's arithmetic at this size (bench/toy2d_speed.py)
        h = F.relu(F.linear(z, self.fc1.weight, self.fc1.bias))  # (B, w)
        h = F.relu(F.linear(h, self.fc2.weight, self.fc2.bias))  # (B, w)
        return F.linear(h, self.out.weight, self.out.bias)  # (B, 2)


class ToyDiscriminator(nn.Module):
    """D(x): (B, 2) -> logits (B,). Also takes (B, 2, 1, 1): gan_core.losses.gradient_penalty mixes images."""

    def __init__(self, width: int, spectral_norm: bool = False):
        super().__init__()
        sn = _sn if spectral_norm else (lambda m: m)
        self.fc1, self.fc2, self.out = sn(nn.Linear(2, width)), sn(nn.Linear(width, width)), sn(nn.Linear(width, 1))

    def forward(self, x: torch.Tensor, labels: Any = None) -> torch.Tensor:
        fc1, fc2, out = self.fc1, self.fc2, self.out
        h = F.leaky_relu(F.linear(x.reshape(-1, 2), fc1.weight, fc1.bias), 0.2)  # (B, w) leaky: every fake point
        h = F.leaky_relu(F.linear(h, fc2.weight, fc2.bias), 0.2)  # (B, w)   gets a gradient
        return F.linear(h, out.weight, out.bias).squeeze(1)  # (B,)


# ------------------------------------------------------------------------------------------------
# The game, step by step
# ------------------------------------------------------------------------------------------------
@dataclass
class StepDelta:
    """What one step moved. heat: D on the plane's grid (HEAT_SIDE, HEAT_SIDE); fakes: the shown fake points
    (SHOWN_POINTS, 2); push: -dL_G/dx at the shown fakes before the step (ARROWS, 2), for G steps."""

    kind: str  # "d" or "g"
    loss: float
    heat_before: np.ndarray
    heat_after: np.ndarray
    fakes_before: np.ndarray
    fakes_after: np.ndarray
    push: np.ndarray | None = None


class ToyTrainer:
    """Plays the 2-D game. d_step(), g_step(), iteration(), train(n); frame() is the view's plain data.

    The gradients come from autograd (the reference: `_d_update`, `_g_update` below) or, with `fast` and the
    plain MLPs (no spectral norm, no gradient penalty), from gan_core.toy2d_fast's hand-written backward: the same
    numbers from the same draws, in fewer operations."""

    def __init__(self, cfg: ToyConfig | None = None, fast: bool = True):
        self.cfg = cfg = (cfg or ToyConfig()).validate()
        self.info = LOSS_INFO[cfg.loss]
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.target = Target(cfg.target, cfg.custom_points if cfg.target == "custom" else None)
        self.G = ToyGenerator(cfg.z_dim, cfg.g_width)
        self.D = ToyDiscriminator(cfg.d_width, cfg.spectral_norm)
        _init(self.G, self.gen)
        _init(self.D, self.gen)
        self.D.eval()  # D refines its spectral-norm estimate only in its own steps: G's step leaves D as it was
        self.opt_g, self.opt_d = self._optimizer(self.G, cfg.lr_g), self._optimizer(self.D, cfg.lr_d)
        self._g_params, self._d_params = list(self.G.parameters()), list(self.D.parameters())
        self.manual = None  # the hand-written backward, where it covers the settings
        if fast and supported(cfg.loss, cfg.spectral_norm, self.info.gradient_penalty):
            self.manual = ManualBackward(self.G, self.D, cfg.loss, 1.0 - cfg.label_smoothing, cfg.batch_size)
        # What the view shows: fixed z (each fake point keeps its identity from frame to frame) and fixed reals.
        self.z_shown = torch.randn(SHOWN_POINTS, cfg.z_dim, generator=self.gen)  # (S, k)
        self.real_shown = self.target.sample(SHOWN_POINTS, self.gen)  # (S, 2)
        self.z_eval = torch.randn(EVAL_SAMPLES, cfg.z_dim, generator=self.gen)  # (2500, k) for the metrics
        axis = torch.linspace(-PLANE, PLANE, HEAT_SIDE)
        gy, gx = torch.meshgrid(axis.flip(0), axis, indexing="ij")  # row 0 is the top (y = +PLANE)
        self.grid_xy = torch.stack([gx, gy], dim=-1).reshape(-1, 2)  # (H*W, 2)
        zaxis = torch.linspace(-MESH_Z, MESH_Z, MESH_SIDE)
        self.mesh_z = torch.zeros(MESH_SIDE, MESH_SIDE if cfg.z_dim > 1 else 1, cfg.z_dim)  # (M, M or 1, k)
        self.mesh_z[..., 0] = zaxis[:, None]
        if cfg.z_dim > 1:
            self.mesh_z[..., 1] = zaxis[None, :]
        self.iterations = self.d_updates = self.g_updates = 0
        self.d_losses: list[float] = []  # one per iteration: the last D step's loss
        self.g_losses: list[float] = []
        self.metrics: list[tuple[int, int, float]] = []  # (iteration, modes covered, high-quality share)
        self._last_d = float("nan")
        for _ in range(cfg.d_head_start):  # D ahead before the game starts (G fixed): see ToyConfig.d_head_start
            self._last_d = self._d_update()
        self.d_updates = 0

    def _optimizer(self, model: nn.Module, lr: float):
        if self.cfg.optimizer == "sgd":
            return torch.optim.SGD(model.parameters(), lr=lr)
        # Adam's fused kernel (one kernel for all parameters) called without torch.optim's per-step bookkeeping,
        # which costs more than the arithmetic at this size (gan_core/fast_adam.py; BENCHMARKS.md)
        return FastAdam(model.parameters(), lr, (self.cfg.beta1, self.cfg.beta2))

    # -- the two phases -------------------------------------------------------------------------
    def _d_update(self) -> float:
        """(1) Update D: minimise L_D on a real batch and a batch of G's points (G fixed)."""
        cfg, B = self.cfg, self.cfg.batch_size
        real = self.target.sample(B, self.gen)  # (B, 2)
        if self.manual is not None:  # the same draws, the same gradients, without the graph
            loss = self.manual.d_grads(real, torch.randn(B, cfg.z_dim, generator=self.gen))
            self.opt_d.step()
            self.d_updates += 1
            return loss
        with torch.no_grad():
            fake = self.G(torch.randn(B, cfg.z_dim, generator=self.gen))  # (B, 2)
        if cfg.spectral_norm:
            self.D.train()  # refine the singular vectors
        logits = self.D(torch.cat([real, fake]))  # (2B,) one pass: half the ops
        loss = d_loss_fn(cfg.loss, logits[:B], logits[B:], cfg.label_smoothing)
        if self.info.gradient_penalty and cfg.gp_weight:
            gp = gradient_penalty(self.D, real.view(B, 2, 1, 1), fake.view(B, 2, 1, 1), generator=self.gen)
            loss = loss + cfg.gp_weight * gp
        grads = torch.autograd.grad(loss, self._d_params)  # no zero_grad: grads replaced
        for p, g in zip(self._d_params, grads):
            p.grad = g
        self.opt_d.step()
        if cfg.spectral_norm:
            self.D.eval()
        self.d_updates += 1
        return loss.item()

    def _g_update(self) -> float:
        """(2) Update G: minimise L_G on fresh z (D fixed: its parameters take no gradient)."""
        cfg = self.cfg
        if self.manual is not None:
            loss = self.manual.g_grads(torch.randn(cfg.batch_size, cfg.z_dim, generator=self.gen))
            self.opt_g.step()
            self.g_updates += 1
            return loss
        loss = g_loss_fn(cfg.loss, self.D(self.G(torch.randn(cfg.batch_size, cfg.z_dim, generator=self.gen))))
        grads = torch.autograd.grad(loss, self._g_params)  # G's gradients only: D's weights get none
        for p, g in zip(self._g_params, grads):
            p.grad = g
        self.opt_g.step()
        self.g_updates += 1
        return loss.item()

    def d_step(self, record: bool = True) -> StepDelta | float:
        """One D update. With record, what it moved (D's heat-map changes; the fakes do not)."""
        if not record:
            self._last_d = self._d_update()
            return self._last_d
        heat0, fakes0 = self.heat(), self.fakes()
        self._last_d = loss = self._d_update()
        return StepDelta("d", loss, heat0, self.heat(), fakes0, self.fakes())

    def g_step(self, record: bool = True) -> StepDelta | float:
        """One G update. With record, what it moved (the fakes move along the push; D's heat-map does not)."""
        if not record:
            return self._g_update()
        heat0, fakes0, push = self.heat(), self.fakes(), self.push()[1]
        loss = self._g_update()
        return StepDelta("g", loss, heat0, self.heat(), fakes0, self.fakes(), push)

    def iteration(self) -> float:
        """d_steps D updates, then one G update; the losses are kept for the charts. Returns L_G."""
        for _ in range(self.cfg.d_steps):
            self._last_d = self._d_update()
        g = self._g_update()
        self.iterations += 1
        self.d_losses.append(self._last_d)
        self.g_losses.append(g)
        return g

    def train(self, n: int, frames: int = 0, seconds: float | None = None) -> list[dict]:
        """n iterations; with frames > 0, returns about that many frame()s spread evenly over them (the last
        one after the last iteration), for the view to play back.

        With `seconds`, stops early once that much wall time has passed: on a busy machine a burst trains fewer
        iterations and brings fewer frames (the view tweens between them), but it still ends on time. Frames are
        taken on the iterations' schedule only: a frame costs more than an iteration, so frames taken by the
        clock would eat the budget on a slow machine and leave no time to train."""
        out: list[dict] = []
        every = max(1, n // frames) if frames else 0
        deadline = time.perf_counter() + seconds if seconds else math.inf
        for i in range(1, n + 1):
            self.iteration()
            if every and (i % every == 0 or i == n) and len(out) < frames:
                out.append(self.frame())
            if seconds and time.perf_counter() >= deadline:
                break
        if frames and (not out or out[-1]["iteration"] != self.iterations):
            if len(out) >= frames:
                out[-1] = self.frame()
            else:
                out.append(self.frame())
        return out

    # -- what the view shows ----------------------------------------------------------------------
    @torch.no_grad()
    def heat(self) -> np.ndarray:
        """D over the plane, (HEAT_SIDE, HEAT_SIDE), row 0 at the top: sigmoid(s) for BCE losses, else s."""
        s = self.D(self.grid_xy)  # (H*W,)
        if self.info.probabilistic:
            s = torch.sigmoid(s)
        return s.view(HEAT_SIDE, HEAT_SIDE).numpy().copy()

    @torch.no_grad()
    def fakes(self) -> np.ndarray:
        return self.G(self.z_shown).numpy().copy()  # (S, 2)

    def push(self) -> tuple[np.ndarray, np.ndarray]:
        """The first ARROWS shown fake points (A, 2) and -dL_G/dx at each (A, 2): the way D pushes each point.

        L_G is a mean over the batch, so each point's own term is A times its share of the gradient."""
        x = self.G(self.z_shown[:ARROWS]).detach().requires_grad_(True)  # (A, 2)
        loss = g_loss_fn(self.cfg.loss, self.D(x)) * len(x)
        (grad,) = torch.autograd.grad(loss, x)  # (A, 2)
        return x.detach().numpy().copy(), (-grad).numpy()

    @torch.no_grad()
    def mesh(self) -> np.ndarray:
        """G's manifold: G applied to the z grid, (M, M, 2) (or (M, 1, 2) for a 1-D z), a warped mesh."""
        m = self.mesh_z
        return self.G(m.reshape(-1, self.cfg.z_dim)).reshape(m.shape[0], m.shape[1], 2).numpy().copy()

    @property
    def level(self) -> float:
        """D's decision level: 0.5 for probabilities, 0 for raw scores (least-squares: 0.5, halfway to its targets)."""
        return 0.5 if self.info.probabilistic or self.cfg.loss == "least-squares" else 0.0

    @torch.no_grad()
    def verdict(self, x: np.ndarray) -> np.ndarray:
        """D on points (N, 2): its probability "real" for the BCE losses, else its raw score. (N,)"""
        s = self.D(torch.as_tensor(x, dtype=torch.float32))
        return (torch.sigmoid(s) if self.info.probabilistic else s).numpy().copy()

    def frame(self) -> dict:
        """Plain data for the view (numpy arrays and lists; no tensors)."""
        pts, push = self.push()
        fake = self.fakes()
        return {
            "iteration": self.iterations,
            "d_updates": self.d_updates,
            "g_updates": self.g_updates,
            "real": self.real_shown.numpy(),
            "fake": fake,
            "verdict": float(self.verdict(fake).mean()),  # D's mean verdict on G's shown points
            "push_norm": float(np.linalg.norm(push, axis=1).mean()),  # mean |-dL_G/dx| on the arrows' points
            "heat": self.heat(),
            "level": self.level,
            "probabilistic": self.info.probabilistic,
            "arrows": np.concatenate([pts, push], axis=1),  # (A, 4)
            "mesh": self.mesh(),
            "d_loss": list(self.d_losses),
            "g_loss": list(self.g_losses),
            "bounds": PLANE,
        }

    @torch.no_grad()
    def measure(self) -> ModeMetrics | None:
        """Modes covered and high-quality share of 2,500 samples (fixed z), kept in self.metrics; None off mixtures."""
        m = self.target.metrics(self.G(self.z_eval))
        if m is not None and (not self.metrics or self.metrics[-1][0] != self.iterations):
            self.metrics.append((self.iterations, m.covered, m.high_quality))
        return m
