"""The training loop: Algorithm 1 of Goodfellow et al. (2014), step by step, with nothing of any UI in it.

Each *step* is one generator update preceded by k = cfg.d_steps discriminator updates:

    (1) Update D: maximise log D(x) + log(1 - D(G(z)))   (or the chosen loss), k times
    (2) Update G: maximise log D(G(z))                    (non-saturating; or the chosen loss)

The trainer reports through plain data that any front end can read:

* `history`   - one `StepRecord` per step (losses, D's verdicts, gradient norms, images/s);
* `snapshots` - every `snapshot_every` steps, G's output on the same 64 fixed noise vectors (the
                training timeline), with a copy of G's weights for the most recent/evenly spaced ones;
* callbacks   - `add_callback("on_record" | "on_snapshot" | "on_end", fn)`, minGPT style.

`start()` runs it in a background thread with `pause()`, `resume()` and `stop()`; `run()` runs it in
the caller's thread. All randomness (weights, batches, noise) comes from the run's own
torch.Generators, so runs sharing a server process do not disturb one another and a seed
reproduces a run. A non-finite loss stops the run with a plain-language diagnosis and rolls G
back to its last healthy snapshot.
"""

from __future__ import annotations

import copy
import itertools
import logging
import math
import threading
import time
import traceback
from collections import defaultdict
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .config import GANConfig
from .cuda_graph import GraphedStep, use_graph
from .data import ImageData, random_shift, to_pixels, to_unit_range
from .device import device_name, resolve_device, resolve_precision
from .i18n import _, get_language, language
from .losses import LOSS_INFO, d_loss_fn, d_score, g_loss_fn, gradient_penalty, info_loss_fn
from .models import build_models, count_parameters

log = logging.getLogger(__name__)

FIXED_NOISE = 64  # size of the fixed-noise grid: the same 64 z at every snapshot
FLUSH_EVERY = 10  # steps between host syncs; records are still one per step
MAX_WEIGHT_SNAPSHOTS = 24  # weight copies kept per run (memory bound); older ones are thinned evenly
MAX_SNAPSHOTS = 240  # image grids kept per run; thinned evenly beyond this
_run_ids = itertools.count(1)

# "interrupted": the process training the run went away mid-run (a Ray worker killed, its node lost); the
# run keeps what reached the web process before that (gan_core.ray_runs). A Trainer itself never ends so.
STATUSES = ("ready", "running", "paused", "finished", "stopped", "diverged", "failed", "interrupted")
FINAL = ("finished", "stopped", "diverged", "failed", "interrupted")


@dataclass
class StepRecord:
    step: int  # generator updates done
    elapsed: float  # seconds of training (pauses excluded)
    d_loss: float  # L_D of the last D update (with the gradient penalty for WGAN-GP)
    g_loss: float  # L_G of this step's G update
    d_real: float  # mean D(x) on the real batch (a probability for BCE losses, else the raw score)
    d_fake: float  # mean D(G(z)) on the fake batch, same scale
    g_grad_norm: float  # ||dL_G/dtheta_G||_2 before clipping: near 0 means G has stopped learning
    d_grad_norm: float  # ||dL_D/dtheta_D||_2 before clipping
    images_per_s: float  # real images shown to D per second over the last few steps
    info_loss: float | None = (
        None  # InfoGAN: -E[log Q(c | G(z, c))] at G's update (ln K = blind, 0 = every code readable)
    )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Snapshot:
    step: int
    elapsed: float
    images: torch.Tensor  # (64, 28, 28) uint8: G on the fixed noise
    g_state: dict | None = None  # G's weights at this step (CPU), or None once thinned away


def _total_norm(params) -> torch.Tensor:
    """||g||_2 over all parameters' gradients, as one tensor (no host sync)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))  # one fused call for all of them


def _adam(params, lr: float, betas: tuple[float, float], capturable: bool = False) -> torch.optim.Optimizer:
    """Adam as one fused kernel over all parameters where PyTorch has one for the device (~5 % faster steps
    on this CPU than the multi-tensor version), else the multi-tensor (foreach) version. `capturable`: Adam's
    step count t lives on the device, so a CUDA graph can replay the update (gan_core/cuda_graph.py)."""
    params = list(params)
    if capturable:
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True, capturable=True)
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, betas=betas, foreach=True)


class RunView:
    """What every run shows whoever reads it, wherever it trains (a `Trainer` here, a `gan_core.ray_runs.RayRun`
    mirroring a Ray worker): its history and snapshots behind one lock, the callbacks fired as they grow, and the
    few facts derived from its config and status. `_init_view()` sets the state; the subclass fills it."""

    def _init_view(self) -> None:
        self.history: list[StepRecord] = []
        self.snapshots: list[Snapshot] = []
        self._lock = threading.Lock()
        self._callbacks = defaultdict(list)
        self.callback_errors: list[str] = []  # callbacks that raised (each logged; the others still ran)

    def add_callback(self, event: str, fn) -> None:
        """event: "on_record" fn(run, records), "on_snapshot" fn(run, snapshot), "on_end" fn(run); they run in the
        run's own thread (a Trainer's training thread, the process's Ray poller thread for a RayRun)."""
        if event not in ("on_record", "on_snapshot", "on_end"):
            raise ValueError(f"Unknown event {event!r}.")
        self._callbacks[event].append(fn)

    def _fire(self, event: str, *args) -> None:
        """Call every callback of `event`, each on its own: one that raises is logged and recorded in
        `callback_errors`, and the rest still run (the scheduler frees the run's slot in the last
        "on_end" callback, so an earlier one that fails must not keep the slot forever)."""
        for fn in self._callbacks[event]:
            try:
                fn(self, *args)
            except Exception as exc:  # noqa: BLE001 - someone else's code; the run and the others go on
                log.exception("a %s callback of run %s failed", event, self.id)
                self.callback_errors.append(
                    f"{event} {getattr(fn, '__name__', type(fn).__name__)}: {type(exc).__name__}: {exc}"
                )

    def records(self, since: int = 0) -> list[StepRecord]:
        """A copy of the history from index `since` on (thread-safe)."""
        with self._lock:
            return self.history[since:]

    def snapshot_list(self) -> list[Snapshot]:
        with self._lock:
            return list(self.snapshots)

    @property
    def loss_info(self):
        return LOSS_INFO[self.cfg.loss]

    @property
    def remaining_seconds(self) -> float | None:
        return max(0.0, self.cfg.max_seconds - self.elapsed) if self.cfg.max_seconds else None

    @property
    def done(self) -> bool:
        return self.status in FINAL

    def summary(self) -> dict:
        """The run in plain JSON data (a bundle's run.json, the CLI's last line)."""
        last = self.history[-1] if self.history else None
        return {
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "step": self.step,
            "elapsed": round(self.elapsed, 2),
            "device": self.device_name,
            "precision": self.precision,
            "params": self.param_counts,
            "data": self.data_description,
            "preset": self.cfg.preset,
            "last": last.to_dict() if last else None,
        }


class Trainer(RunView):
    """One GAN run: its models, optimisers, RNGs, history and control state."""

    def __init__(self, cfg: GANConfig, data: ImageData, device: str | torch.device = "auto", graph: bool | None = None):
        """graph: replay the whole step as one CUDA graph (gan_core/cuda_graph.py). None (the default): on
        wherever it can be (a CUDA device, no learning-rate decay, $GAN_CLASSROOM_CUDA_GRAPH not "0");
        True asks for it and fails clearly where it cannot be; False: the eager step."""
        self.cfg = cfg.validate()
        if data.name != cfg.dataset:
            raise ValueError(
                _("The config asks for {dataset} but the data given is {data}.").format(
                    dataset=cfg.dataset, data=data.name
                )
            )
        self.id = next(_run_ids)
        self.lang = get_language()  # the run's messages are in the language it was started in, on any thread
        self.device = resolve_device(device)
        self.device_name = device_name(self.device)
        self.amp_dtype = resolve_precision(cfg.precision, self.device)  # torch.bfloat16 or None (float32)
        self.precision = "bf16" if self.amp_dtype is not None else "fp32"
        self.data_description = data.describe()
        d = data.to(self.device)
        self.images, self.labels = d.images, d.labels  # (N, 28, 28) uint8, (N,) int64, on device
        self.G, self.D = build_models(cfg, self.device)
        if self.device.type == "cpu" and cfg.arch == "dcgan":
            # The convolutions (forward and backward) are most of a step's work, and oneDNN runs them faster on
            # channels-last weights and activations (bench/train_speed.py; BENCHMARKS.md). Same numbers, other
            # layout; exported copies and checkpoints hold the weights contiguous.
            self.D = self.D.to(memory_format=torch.channels_last)
            self.G = self.G.memory_layout(channels_last=True)  # its activations too (DCGANGenerator.trace)
        self.G_ema = None
        self._ema_warm = False  # True once G_ema holds trained weights (a continued run): no warm-up
        if cfg.ema:
            self.G_ema = copy.deepcopy(self.G).requires_grad_(False).eval()
        self.graph = use_graph(cfg, self.device, graph)  # True: train_step replays one CUDA graph
        self.opt_g = _adam(self.G.parameters(), cfg.lr_g, (cfg.beta1, cfg.beta2), capturable=self.graph)
        self.opt_d = _adam(self.D.parameters(), cfg.lr_d, (cfg.beta1, cfg.beta2), capturable=self.graph)
        # The EMA warm-up's step t, as a device tensor when a graph replays the step (its decay cannot be a
        # Python number baked into the graph); None on the eager path, which reads self.step.
        self._ema_t = torch.zeros((), dtype=torch.float64, device=self.device) if self.graph else None
        self._graphed = GraphedStep(self) if self.graph else None
        # Separate RNG streams: batches/noise, and the fixed noise (same 64 z for every snapshot of this seed).
        self.rng = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        fixed = torch.Generator().manual_seed(cfg.seed + 2)
        self.fixed_z = torch.randn(FIXED_NOISE, cfg.latent_dim, generator=fixed).to(self.device)  # (64, latent)
        self.fixed_y = (torch.arange(FIXED_NOISE) % self.G.num_classes).to(self.device) if self.G.conditional else None
        self.param_counts = {"G": count_parameters(self.G), "D": count_parameters(self.D)}

        self.step = 0
        self.elapsed = 0.0
        self.status = "ready"
        self.message = ""  # why the run ended, in words (or the divergence diagnosis)
        self._init_view()  # history, snapshots, their lock and the callbacks
        self.error: BaseException | None = None
        self._pending: list[torch.Tensor] = []
        self._window = (0, 0.0)  # (step, elapsed) at the last flush, for images/s
        self._last_good: tuple[int, dict] | None = None
        self._img_stride = self._w_stride = 1  # snapshot thinning grid, in units of snapshot_every
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._thread: threading.Thread | None = None
        self._stop_reason = ""

    def load_weights(self, G: nn.Module, D: nn.Module) -> "Trainer":
        """Start from another model's G and D (same architecture), e.g. to continue a saved run with new settings.

        The EMA copy starts from G too. Optimiser state starts afresh: Adam's moments are not saved in a model file.
        """
        if self.status != "ready":
            raise RuntimeError(_("Load weights before the run starts."))
        try:
            self.G.load_state_dict(G.state_dict())
            self.D.load_state_dict(D.state_dict())
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            raise ValueError(
                _(
                    "Those networks do not fit this run's config (architecture, widths, latent size, "
                    "conditional/InfoGAN, spectral norm and loss must match): {detail}"
                ).format(detail=first[-1].strip())
            ) from None
        if self.G_ema is not None:
            self.G_ema.load_state_dict(self.G.state_dict())
            self._ema_warm = True
        return self

    # ------------------------------------------------------------------ one step
    def _batch(self):
        b = self.cfg.batch_size
        idx = torch.randint(len(self.images), (b,), device=self.device, generator=self.rng)  # (B,)
        x = to_unit_range(self.images[idx])  # (B, 1, 28, 28)
        y = self.labels[idx] if self.cfg.conditional else None  # (B,)
        return x, y

    def _noise(self):
        b, cfg = self.cfg.batch_size, self.cfg
        z = torch.randn(b, cfg.latent_dim, device=self.device, generator=self.rng)  # (B, latent)
        y = (
            torch.randint(self.G.num_classes, (b,), device=self.device, generator=self.rng)
            if self.G.conditional
            else None
        )  # (B,) label or InfoGAN code
        return z, y

    def _autocast(self):
        """bf16 autocast for the forward passes when the run's precision is bf16, else a no-op.

        Autocast's cache of bf16 weight copies is off: it is shared between threads, so with two runs
        training side by side in one server process a run could read a copy of its weights cast before
        its last optimiser step (measured: concurrent runs drifted from the same seed run alone). Casting
        these small weights afresh costs little, and a seed again reproduces a run beside other runs.
        """
        return torch.autocast(
            self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None, cache_enabled=False
        )

    def train_step(self) -> None:
        """One training step (`step_stats`), then its bookkeeping: the step's numbers queued for `_flush`.

        On a GPU the step is recorded once as a CUDA graph and replayed (gan_core/cuda_graph.py): the same kernels
        as calling `step_stats`, launched in one go."""
        stats = self._graphed() if self._graphed is not None else self.step_stats()  # (7,) on the device
        self._pending.append(stats)  # no host sync: `_flush` reads every FLUSH_EVERY steps' numbers at once
        self.step += 1

    def step_stats(self) -> torch.Tensor:
        """One step of Algorithm 1 (Goodfellow et al. 2014): k = cfg.d_steps updates of D, then one of G.

            (1) Update D: maximise log D(x) + log(1 - D(G(z)))   (minimise L_D of the chosen loss), k times
            (2) Update G: maximise log D(G(z))                    (minimise L_G of the chosen loss)

        Read it top to bottom: that is the whole game. The extras hang on named hooks, each a no-op
        unless its option is on: `_shown` (DiffAugment: what D is shown), `_d_extra` (WGAN-GP's
        gradient penalty, InfoGAN's code loss for Q), `_g_extra` (InfoGAN's code loss for G) and
        `_after_g_update` (the EMA of G's weights). Under bf16 only the forward passes are autocast;
        logits are cast back to float32, so losses, gradients and Adam's state stay float32.

        Returns the step's numbers as one (7,) tensor on the device. Nothing in it reads a tensor back to
        Python or changes Python state a later step depends on, so a CUDA graph can record it once and
        replay it (gan_core/cuda_graph.py).
        """
        fake, y, code, d_loss, real_logits, d_norm = self.update_d()
        g_loss, fake_logits, g_norm, info = self.update_g(fake, y, code)
        return self._stats(d_loss, g_loss, real_logits, fake_logits, g_norm, d_norm, info)

    def update_d(self, steps: int | None = None):
        """Phase (1): `steps` (default cfg.d_steps) updates of D. Returns the last update's fakes (still on
        G's graph, for phase (2)), their labels/codes, L_D, D's logits on the real batch and ||grad L_D||.
        Step mode (gan_core.stepping) calls this phase alone: the same code as training."""
        cfg, G, D, amp = self.cfg, self.G, self.D, self._autocast
        # (1) Update D, k times: real digits should score "real", G's fakes "fake"
        D.requires_grad_(True)
        k = cfg.d_steps if steps is None else steps
        for i in range(k):
            x, y = self._batch()  # (B, 1, 28, 28) real, (B,) labels or None
            z, code = self._noise()  # (B, latent), (B,) InfoGAN code / random label, or None
            last = i == k - 1
            # The last D step's fakes keep G's graph and are reused for G's update below (as in the
            # PyTorch DCGAN example): one G forward pass per step saved, G's costliest part.
            with torch.set_grad_enabled(last), amp():
                fake = G(z, code if cfg.info_codes else y)  # (B, 1, 28, 28): conditional fakes of y's digits
            x_seen, fake_seen = self._shown(x), self._shown(fake.detach())
            with amp():
                real_logits = D(x_seen, y).float()  # (B,) D's logits s(x)
                fake_logits, code_logits = D.scores(fake_seen, y)  # (B,) s(G(z)); (B, K) or None
            fake_logits = fake_logits.float()
            d_loss = d_loss_fn(cfg.loss, real_logits, fake_logits, cfg.label_smoothing)
            d_loss, q_loss = self._d_extra(d_loss, x_seen, fake_seen, y, code_logits, code)
            d_norm = self._descend(self.opt_d, D, d_loss if q_loss is None else d_loss + q_loss)
        return fake, y, code, d_loss, real_logits, d_norm

    def fresh_fakes(self):
        """A batch of fakes on G's graph, for a G update without a D update before it (step mode)."""
        z, code = self._noise()  # (B, latent), (B,) or None
        y = None if self.cfg.info_codes else code
        with self._autocast():
            fake = self.G(z, code if self.cfg.info_codes else y)  # (B, 1, 28, 28)
        return fake, y, code

    def update_g(self, fake, y, code):
        """Phase (2): one update of G on `fake` (made by G with its graph kept). Returns L_G, D's logits on
        the fakes, ||grad L_G|| and InfoGAN's code loss (or None)."""
        cfg, D, amp = self.cfg, self.D, self._autocast
        # (2) Update G: its fakes should score "real". D is frozen meanwhile (no gradient for D's
        # weights); the fakes are the last D step's, scored by the updated D.
        D.requires_grad_(False)
        with amp():
            fake_logits, code_logits = D.scores(self._shown(fake), y)  # (B,), (B, K) or None
        fake_logits = fake_logits.float()
        g_loss = g_loss_fn(cfg.loss, fake_logits)
        info = self._g_extra(code_logits, code)
        g_norm = self._descend(self.opt_g, self.G, g_loss + cfg.info_weight * info if info is not None else g_loss)
        self._after_g_update()
        return g_loss, fake_logits, g_norm, info

    # ------------------------------------------------------------------ the step's hooks
    def _shown(self, img: torch.Tensor) -> torch.Tensor:
        """What D is shown: with d_augment, each digit shifted afresh (DiffAugment), real and fake alike."""
        if not self.cfg.d_augment:
            return img
        return random_shift(img, self.cfg.d_augment, self.rng, fill=-1.0)  # (B, 1, 28, 28)

    def _d_extra(self, d_loss, x_seen, fake_seen, y, code_logits, code):
        """D's loss with its loss's gradient penalty added (WGAN-GP: + lambda E[(||grad s(x_hat)|| - 1)^2]),
        and what else D descends: InfoGAN's Q learns to read the code off G's pictures
        (+ lambda_I * -E[log Q(c | G(z, c))]). Returns (L_D as recorded, the extra term or None)."""
        cfg = self.cfg
        if LOSS_INFO[cfg.loss].gradient_penalty and cfg.gp_weight:  # gp_weight 0: no penalty to pay for
            with self._autocast():
                d_loss = d_loss + cfg.gp_weight * gradient_penalty(self.D, x_seen, fake_seen, y, self.rng).float()
        if code_logits is None:
            return d_loss, None
        return d_loss, cfg.info_weight * info_loss_fn(code_logits, code)

    def _g_extra(self, code_logits, code):
        """InfoGAN: G also makes its code easy to read back, -E[log Q(c | G(z, c))]; None otherwise."""
        return None if code_logits is None else info_loss_fn(code_logits, code)

    def _descend(self, opt: torch.optim.Optimizer, net: nn.Module, loss: torch.Tensor) -> torch.Tensor:
        """One gradient step of `net` on `loss`; returns ||grad||_2 before clipping (grad_clip, if set)."""
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = _total_norm(net.parameters())
        if self.cfg.grad_clip:
            nn.utils.clip_grad_norm_(net.parameters(), self.cfg.grad_clip)
        opt.step()
        return norm

    def _after_g_update(self) -> None:
        if self.G_ema is not None:
            self._update_ema()

    def _stats(self, d_loss, g_loss, real_logits, fake_logits, g_norm, d_norm, info) -> torch.Tensor:
        """The step's numbers as one (7,) tensor (no host sync); `_flush` turns them into StepRecords."""
        info = info.detach() if info is not None else torch.full_like(g_norm, math.nan)
        loss = self.cfg.loss
        stats = torch.stack(
            [
                d_loss.detach(),
                g_loss.detach(),
                d_score(loss, real_logits.detach()),
                d_score(loss, fake_logits.detach()),
                g_norm,
                d_norm.detach(),
                info,
            ]
        )  # (7,)
        return stats

    @torch.no_grad()
    def _update_ema(self) -> None:
        """theta_ema <- decay * theta_ema + (1 - decay) * theta_G; BatchNorm statistics are copied.

        decay = min(ema, (1 + t) / (10 + t)) at step t: a warm-up, so that in a short classroom run the
        average is not dominated by G's random initial weights (with 0.999 the initial weights would
        still make up 37 % of the average after 1,000 steps). A run continued from a trained G (`load_weights`)
        skips the warm-up: its average starts from trained weights, and keeps them at full weight.
        """
        ema_p, g_p = list(self.G_ema.parameters()), list(self.G.parameters())
        if self._ema_t is not None and not self._ema_warm:  # under a CUDA graph: t is a device tensor
            t = self._ema_t  # () float64, set to self.step before each replay
            decay = torch.clamp((1.0 + t) / (10.0 + t), max=self.cfg.ema)  # ()
            torch._foreach_lerp_(ema_p, g_p, [(1.0 - decay).float()] * len(ema_p))
        else:
            decay = self.cfg.ema if self._ema_warm else min(self.cfg.ema, (1.0 + self.step) / (10.0 + self.step))
            torch._foreach_lerp_(ema_p, g_p, 1.0 - decay)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
            b_ema.copy_(b)

    # ------------------------------------------------------------------ records, snapshots, divergence
    def _flush(self) -> bool:
        """Turn pending per-step stats into records (one host sync). False if a value is not finite."""
        if not self._pending:
            return True
        rows = torch.stack(self._pending).tolist()  # (n, 7) -> python floats
        n = len(rows)
        self._pending.clear()
        s0, t0 = self._window
        dt = max(self.elapsed - t0, 1e-9)
        ips = (self.step - s0) * self.cfg.batch_size * self.cfg.d_steps / dt
        self._window = (self.step, self.elapsed)
        first = self.step - n + 1
        new = []
        for i, r in enumerate(rows):
            frac = (i + 1) / n
            info = r[6] if self.cfg.info_codes else None
            new.append(StepRecord(first + i, t0 + frac * (self.elapsed - t0), *r[:6], images_per_s=ips, info_loss=info))
        with self._lock:
            self.history.extend(new)
        self._fire("on_record", new)
        bad = [rec for rec in new if not all(math.isfinite(v) for v in (rec.d_loss, rec.g_loss))]
        if bad:
            self._diverged(bad[0])
            return False
        return True

    def sampling_generator(self) -> nn.Module:
        """The network to sample from: the EMA copy when EMA is on, else G itself."""
        return self.G_ema if self.G_ema is not None else self.G

    @torch.no_grad()
    def _snapshot(self) -> None:
        G = self.sampling_generator()
        was_training = G.training
        G.eval()
        imgs = to_pixels(G(self.fixed_z, self.fixed_y)).cpu()  # (64, 28, 28) uint8
        G.train(was_training)
        state = {k: v.detach().to("cpu", copy=True) for k, v in G.state_dict().items()}
        finite = all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
        if finite:
            self._last_good = (self.step, state)
        snap = Snapshot(self.step, self.elapsed, imgs, state if finite else None)
        with self._lock:
            self.snapshots.append(snap)
            self._thin_snapshots()
        self._fire("on_snapshot", snap)

    def _thin_snapshots(self) -> None:
        """Bound memory, keeping what is kept evenly spread over the run.

        Grids (at most MAX_SNAPSHOTS) and weight copies (at most MAX_WEIGHT_SNAPSHOTS) are kept on a grid
        of steps: multiples of stride * snapshot_every, plus the latest. When a cap is exceeded the
        stride doubles and off-grid entries go, so the timeline stays uniform from step 0 to now.
        """
        every = self.cfg.snapshot_every

        def on_grid(snap: Snapshot, stride: int) -> bool:
            return snap.step % (stride * every) == 0

        if len(self.snapshots) >= 2 and not on_grid(self.snapshots[-2], self._img_stride):
            del self.snapshots[-2]  # the previous "latest" was only kept for being latest
        if len(self.snapshots) >= 2 and not on_grid(self.snapshots[-2], self._w_stride):
            self.snapshots[-2].g_state = None
        while len(self.snapshots) > MAX_SNAPSHOTS:
            self._img_stride *= 2
            self.snapshots = [s for s in self.snapshots[:-1] if on_grid(s, self._img_stride)] + self.snapshots[-1:]
        while sum(s.g_state is not None for s in self.snapshots) > MAX_WEIGHT_SNAPSHOTS:
            self._w_stride *= 2
            for s in self.snapshots[:-1]:
                if not on_grid(s, self._w_stride):
                    s.g_state = None

    def _diverged(self, rec: StepRecord) -> None:
        which = "D" if not math.isfinite(rec.d_loss) else "G"
        value = rec.d_loss if which == "D" else rec.g_loss
        cfg = self.cfg
        text = _(
            "Training diverged at step {step}: {which}'s loss became {value}. The updates grew until the "
            "numbers overflowed, which usually means a learning rate that is too high (here lr_G={lr_g:g}, "
            "lr_D={lr_d:g}; 2e-4 is typical). Lower it, or turn on gradient clipping or spectral "
            "normalization."
        ).format(step=rec.step, which=which, value=value, lr_g=cfg.lr_g, lr_d=cfg.lr_d)
        if self._last_good is not None:
            step, state = self._last_good
            self.sampling_generator().load_state_dict(state)
            text += " " + _("G was rolled back to step {step}, its last healthy snapshot.").format(step=step)
        self.status = "diverged"
        self.message = text

    # ------------------------------------------------------------------ the loop
    def _budget_left(self) -> bool:
        cfg = self.cfg
        if cfg.max_steps and self.step >= cfg.max_steps:
            self.message = _("Reached the budget of {steps} steps.").format(steps=cfg.max_steps)
            return False
        if cfg.max_seconds and self.elapsed >= cfg.max_seconds:
            self.message = _("Reached the time budget of {seconds:g} s ({steps} steps).").format(
                seconds=cfg.max_seconds, steps=self.step
            )
            return False
        return True

    def run(self) -> "Trainer":
        """Train in this thread until the budget is spent, stop() is called, or the losses diverge."""
        if self.status != "ready":
            raise RuntimeError(_("This run has already been started (status: {status}).").format(status=self.status))
        with language(self.lang):  # this thread's messages: the run's language
            return self._run()

    def _run(self) -> "Trainer":
        self.status = "running"
        self.G.train()
        self.D.train()
        try:
            self._snapshot()  # step 0: pure noise through G
            t_last = time.perf_counter()
            while True:
                if not self._running.is_set():  # paused: the clock stops too
                    if not self._flush():  # diverged: end the run, never sit "paused"
                        break
                    self.status = "paused"
                    self._wait_while_paused()
                    t_last = time.perf_counter()
                    if not self._stop.is_set():
                        self.status = "running"
                if self._stop.is_set():
                    self.message = self._stop_reason or _("Stopped by the user after {steps} steps.").format(
                        steps=self.step
                    )
                    self.status = "stopped"
                    break
                if not self._budget_left():
                    self.status = "finished"
                    break
                if self.cfg.lr_decay:
                    self._decay_learning_rates()
                self.train_step()
                now = time.perf_counter()
                self.elapsed += now - t_last
                t_last = now
                if (self.step % FLUSH_EVERY == 0 or self.step == 1) and not self._flush():  # the first at once:
                    break  # a run that starts (a queued one whose slot freed) shows its first point without delay
                if self.step % self.cfg.snapshot_every == 0:
                    self._snapshot()
            if self.status != "diverged" and self._flush():
                if not self.snapshots or self.snapshots[-1].step != self.step:
                    self._snapshot()
        except Exception as exc:  # a crash must end the run visibly, never silently kill the thread
            log.exception("training run %s crashed", self.id)
            self.error = exc
            self.status = "failed"
            self.message = _("The run crashed at step {step}: {error}").format(
                step=self.step, error=f"{type(exc).__name__}: {exc}"
            )
            self.traceback = traceback.format_exc()
        finally:
            self._running.set()
            self._fire("on_end")
        return self

    def _decay_learning_rates(self) -> None:
        """lr_t = lr (1 - p), p = the share of the budget spent (steps, or seconds when only time is budgeted)."""
        cfg = self.cfg
        spent = self.step / cfg.max_steps if cfg.max_steps else self.elapsed / cfg.max_seconds
        keep = max(0.0, 1.0 - spent)
        for opt, lr in ((self.opt_g, cfg.lr_g), (self.opt_d, cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * keep

    def _wait_while_paused(self) -> None:
        """Sleep until resume() or stop(). (A scheduler that needs the slot back stops a run paused too long.)"""
        self._running.wait()

    # ------------------------------------------------------------------ background control
    def start(self) -> "Trainer":
        """Run in a daemon thread; returns at once."""
        if self._thread is not None or self.status != "ready":  # never two loops on the same models
            raise RuntimeError(_("This run has already been started (status: {status}).").format(status=self.status))
        self._thread = threading.Thread(target=self.run, name=f"gan-run-{self.id}", daemon=True)
        self._thread.start()
        return self

    @property
    def thread(self) -> threading.Thread | None:
        """The background thread once start() ran (the scheduler lowers its priority), else None."""
        return self._thread

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self, reason: str = "") -> None:
        """End the run at its next step; `reason` becomes its message (default: stopped by the user)."""
        if reason and not self._stop.is_set():
            self._stop_reason = reason
        self._stop.set()
        self._running.set()

    def cancel_unstarted(self, message: str) -> None:
        """End a run that never started (e.g. it left a queue): status "stopped", and "on_end" fires once
        so whatever watches the run (a quality monitor, a journal) sees it end like any other."""
        if self.status != "ready" or self._thread is not None:
            raise RuntimeError(
                _("Only a run that has not started can be cancelled (status: {status}).").format(status=self.status)
            )
        self.status, self.message = "stopped", message
        self._fire("on_end")

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the background thread; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return self.done

    # ------------------------------------------------------------------ results
    def export_generator(self) -> nn.Module:
        """An independent copy of the generator to sample from (CPU, eval mode, no gradients)."""
        with self._lock:
            G = copy.deepcopy(self.sampling_generator())
        return G.to("cpu").memory_layout(channels_last=False).eval().requires_grad_(False)

    def export_discriminator(self) -> nn.Module:
        """An independent copy of the discriminator (CPU, eval mode, no gradients), e.g. to ask it about a
        digit or to save it with the run."""
        with self._lock:
            D = copy.deepcopy(self.D)
        return D.to("cpu", memory_format=torch.contiguous_format).eval().requires_grad_(False)

    def generator_at(self, snapshot: Snapshot) -> nn.Module | None:
        """A CPU eval-mode generator with the weights of a snapshot (None if they were thinned away)."""
        if snapshot.g_state is None:
            return None
        G = copy.deepcopy(self.sampling_generator()).to("cpu").memory_layout(channels_last=False)
        G.load_state_dict(snapshot.g_state)
        return G.eval().requires_grad_(False)
