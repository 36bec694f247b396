"""Adam for the 2-D Playground's tiny MLPs, without the optimiser object's per-step bookkeeping.

Adam (Kingma & Ba, 2015), for each weight theta with gradient g at step t:

    m <- beta1 m + (1 - beta1) g            v <- beta2 v + (1 - beta2) g^2
    theta <- theta - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

`FastAdam.step` calls the same fused kernel as `torch.optim.Adam(fused=True)` (`torch._fused_adam_`), so
the numbers are the same; what it leaves out is what costs more than the arithmetic on a 2x64 MLP: the
optimiser's profiling wrapper, its hooks and its per-step regrouping of the state (BENCHMARKS.md,
bench/toy2d_speed.py). No weight decay, amsgrad or learning-rate schedule: the Playground uses none.
"""

from __future__ import annotations

import torch


class FastAdam:
    """Adam over a fixed list of CPU float32 tensors that have `.grad` set before each `step()`."""

    def __init__(self, params, lr: float, betas: tuple[float, float], eps: float = 1e-8):
        self.params = list(params)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]  # m
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]  # v
        # t: every tensor steps together, so one counter serves all (the kernel reads it, never writes it);
        # one add_ per step instead of a _foreach_add_ over a list, which cost more than the Adam kernel itself
        self.step_count = torch.zeros((), dtype=torch.float32)
        self.steps = [self.step_count] * len(self.params)
        self.lr, self.beta1, self.beta2, self.eps = lr, betas[0], betas[1], eps

    @torch.no_grad()
    def step(self) -> None:
        self.step_count.add_(1)
        torch._fused_adam_(
            self.params,
            [p.grad for p in self.params],
            self.exp_avg,
            self.exp_avg_sq,
            [],
            self.steps,
            amsgrad=False,
            lr=self.lr,
            beta1=self.beta1,
            beta2=self.beta2,
            weight_decay=0.0,
            eps=self.eps,
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )
