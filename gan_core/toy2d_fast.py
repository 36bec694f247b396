r"""The 2-D Playground's training step with the backward pass written by hand: the chain rule, layer by layer.

`gan_core.toy2d` trains its two MLPs with autograd; that path is the readable reference. At this size (2x64
hidden units, batch 128) autograd's bookkeeping (building the graph, one node per op, then walking it back)
costs more than the arithmetic, so for the plain MLPs (no spectral norm, no gradient penalty) and the losses
whose derivative in the logit has a closed form, this module computes the same gradients directly. Same
numbers (to float rounding: tests/test_toy2d_fast.py trains both paths from one seed and compares the weights),
fewer operations (bench/toy2d_speed.py --ab).

The players (W: weights (out, in), b: biases; rows of every matrix are the batch)::

    D:  a1 = x W1^T + b1   (N, w)     h1 = lrelu(a1)     lrelu(a) = a if a > 0 else 0.2 a
        a2 = h1 W2^T + b2  (N, w)     h2 = lrelu(a2)
        s  = h2 W3^T + b3  (N, 1)     D's logit (score) for each of the N points x (N, 2)

    G:  c1 = z U1^T + e1   (B, w)     g1 = relu(c1)
        c2 = g1 U2^T + e2  (B, w)     g2 = relu(c2)
        x  = g2 U3^T + e3  (B, 2)     G's points, from noise z (B, k)

Step 1, the loss's slope in each logit, dL/ds (N, 1), in closed form (sigma = sigmoid, t = D's real target,
1 - label smoothing; each loss is a mean over its batch of B, hence the 1/B):

    loss            D: real points           D: fake points          G (its fakes)
    minimax         (sigma(s) - t) / B       sigma(s) / B            -sigma(s) / B
    non-saturating  (sigma(s) - t) / B       sigma(s) / B            (sigma(s) - 1) / B
    least-squares   (s - t) / B              s / B                   (s - 1) / B
    hinge           -[s < 1] / B             [s > -1] / B            -1 / B

(BCE on a logit with target t is softplus(s) - t s, whose slope is sigma(s) - t; [.] is 1 when true, else 0.)

Step 2, back through D (each line is the chain rule for one operation; shapes on the right)::

    dL/dW3 = (dL/ds)^T h2          (1, w)      dL/db3 = sum over rows of dL/ds    (1,)
    dL/dh2 = dL/ds W3              (N, w)
    dL/da2 = dL/dh2 * lrelu'(a2)   (N, w)      lrelu'(a) = 1 if a > 0 else 0.2
    dL/dW2 = (dL/da2)^T h1         (w, w)      dL/db2 = sum over rows of dL/da2   (w,)
    dL/dh1 = dL/da2 W2             (N, w)
    dL/da1 = dL/dh1 * lrelu'(a1)   (N, w)
    dL/dW1 = (dL/da1)^T x          (w, 2)      dL/db1 = sum over rows of dL/da1   (w,)
    dL/dx  = dL/da1 W1             (N, 2)      only in G's step: D's push on each fake point

Step 3 (G's step only), dL/dx continues into G the same way, with relu'(c) = 1 if c > 0 else 0::

    dL/dU3 = (dL/dx)^T g2  (2, w)  dL/dg2 = dL/dx U3  (B, w)   dL/dc2 = dL/dg2 * relu'(c2)
    dL/dU2 = (dL/dc2)^T g1 (w, w)  dL/dg1 = dL/dc2 U2 (B, w)   dL/dc1 = dL/dg1 * relu'(c1)
    dL/dU1 = (dL/dc1)^T z  (w, k)  (and each bias: the sum over rows of its layer's dL/dc)

In D's step G's points are fixed data (no step 3, no dL/dx); in G's step D's weights are fixed (no dL/dW
for D): each player's step computes only its own gradients, as autograd.grad does on the reference path.
The sign of leaky ReLU's output equals its input's, so lrelu'(a) is read from h = lrelu(a); likewise
relu'(c) from g = relu(c) > 0. Buffers for the activations and gradients are allocated once and reused.
"""

from __future__ import annotations

import torch

# The derivative ops autograd itself calls for these activations: one op each instead of compare-select-multiply.
_lrelu_back = torch.ops.aten.leaky_relu_backward.default  # (grad, result, slope, True): grad * lrelu'(a)
_relu_back = torch.ops.aten.threshold_backward.default  # (grad, result, 0): grad * relu'(c)

SLOPE = 0.2  # D's leaky ReLU slope for a < 0 (gan_core.toy2d.ToyDiscriminator)
LOSSES = ("minimax", "non-saturating", "least-squares", "hinge")  # dL/ds in closed form (the table above)


def supported(loss: str, spectral_norm: bool, gradient_penalty: bool) -> bool:
    """Whether the hand-written backward covers these settings (the rest train with autograd)."""
    return loss in LOSSES and not spectral_norm and not gradient_penalty


class ManualBackward:
    """Gradients of the 2-D game for G and D (ToyGenerator, ToyDiscriminator) without autograd.

    d_grads(real, fake) and g_grads(z) set each player's `.grad` tensors (reused buffers) and return the loss."""

    def __init__(self, G, D, loss: str, real_target: float, batch_size: int):
        if loss not in LOSSES:
            raise ValueError(f"No hand-written backward for the {loss!r} loss; it trains with autograd.")
        self.loss, self.t, B = loss, float(real_target), batch_size
        # (W, b, W^T): the transposed view is made once (the optimiser updates W in place, the view follows)
        self.g_layers = [(m.weight, m.bias, m.weight.t()) for m in (G.fc1, G.fc2, G.out)]
        self.d_layers = [(m.weight, m.bias, m.weight.t()) for m in (D.fc1, D.fc2, D.out)]
        for w, b, _ in self.g_layers + self.d_layers:
            w.grad, b.grad = torch.zeros_like(w), torch.zeros_like(b)
        wg, wd = G.fc1.weight.shape[0], D.fc1.weight.shape[0]
        self.x = torch.empty(2 * B, 2)  # D's step input: B real points, then B fakes (rows B..2B)
        self.d_act = [torch.empty(2 * B, wd), torch.empty(2 * B, wd), torch.empty(2 * B, 1)]  # h1, h2, s
        self.g_act = [torch.empty(B, wg), torch.empty(B, wg), torch.empty(B, 2)]  # g1, g2, x
        self.gd_act = [torch.empty(B, wd), torch.empty(B, wd), torch.empty(B, 1)]  # D's h1, h2, s on G's points

    # -- forward passes, keeping what the backward needs ---------------------------------------------
    @staticmethod
    def _forward(layers, x, acts, act_):
        """acts[i] <- act(acts[i-1] W_i^T + b_i) for the hidden layers, acts[-1] <- the linear output."""
        h = x
        for (_, b, wt), out in zip(layers[:-1], acts[:-1]):
            h = act_(torch.addmm(b, h, wt, out=out))  # (N, w) in place: only the activation is kept
        _, b, wt = layers[-1]
        return torch.addmm(b, h, wt, out=acts[-1])

    def generate(self, z: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """G(z) (B, 2), into `out` when given (D's step writes the fakes straight into its input)."""
        acts = self.g_act[:-1] + [out if out is not None else self.g_act[-1]]
        return self._forward(self.g_layers, z, acts, torch.relu_)

    def _score(self, x, acts) -> torch.Tensor:
        return self._forward(self.d_layers, x, acts, lambda a: torch.nn.functional.leaky_relu_(a, SLOPE))

    # -- step 1: dL/ds --------------------------------------------------------------------------------
    def _d_slope(self, s: torch.Tensor) -> tuple[torch.Tensor, float]:
        """D's loss and dL/ds (2B, 1) on [real; fake] logits s (2B, 1)."""
        B, t, loss = len(s) // 2, self.t, self.loss
        real, fake = s[:B], s[B:]
        if loss in ("minimax", "non-saturating"):
            # L_D = mean(softplus(s_r) - t s_r) + mean(softplus(s_f))
            value = (torch.nn.functional.softplus(s).sum() - t * real.sum()).item() / B
            ds = torch.sigmoid(s)
            ds[:B] -= t
        elif loss == "least-squares":
            # L_D = 1/2 mean((s_r - t)^2) + 1/2 mean(s_f^2)
            ds = s.clone()
            ds[:B] -= t
            value = 0.5 * ds.square().sum().item() / B
        else:  # hinge: L_D = mean(relu(1 - s_r)) + mean(relu(1 + s_f))
            margin = torch.cat([1.0 - real, 1.0 + fake])  # (2B, 1) positive inside the margin
            value = margin.relu().sum().item() / B
            ds = (margin > 0).float()
            ds[:B].neg_()
        return ds.div_(B), value

    def _g_slope(self, s: torch.Tensor) -> tuple[torch.Tensor, float]:
        """G's loss and dL/ds (B, 1) on the logits D gives G's points."""
        B, loss = len(s), self.loss
        if loss == "minimax":  # L_G = -mean(softplus(s))
            value = -torch.nn.functional.softplus(s).sum().item() / B
            ds = torch.sigmoid(s).neg_()
        elif loss == "non-saturating":  # L_G = mean(softplus(-s))
            value = torch.nn.functional.softplus(-s).sum().item() / B
            ds = torch.sigmoid(s).sub_(1.0)
        elif loss == "least-squares":  # L_G = 1/2 mean((s - 1)^2)
            ds = s - 1.0
            value = 0.5 * ds.square().sum().item() / B
        else:  # hinge's G: L_G = -mean(s)
            value = -s.sum().item() / B
            ds = torch.full_like(s, -1.0)
        return ds.div_(B), value

    # -- steps 2 and 3: the chain rule back through the layers ----------------------------------------
    @staticmethod
    def _backward(layers, x, acts, d_out, back, need_input_grad: bool, params: bool = True):
        """Back from dL/d(output) (N, out) through the layers; writes each layer's weight and bias grads
        when `params`; returns dL/dx when `need_input_grad`."""
        inputs = [x] + acts[:-1]  # what each layer read
        g = d_out
        for i in range(len(layers) - 1, -1, -1):
            w, b, _ = layers[i]
            if params:
                torch.mm(g.t(), inputs[i], out=w.grad)  # dL/dW_i = (dL/da_i)^T (its input)
                torch.sum(g, 0, out=b.grad)  # dL/db_i = sum over rows
            if i == 0 and not need_input_grad:
                return None
            g = g.mm(w)  # dL/d(its input) = dL/da_i W_i
            if i > 0:
                g = back(g, acts[i - 1])  # through the activation: * act'(a)
        return g

    def d_grads(self, real: torch.Tensor, z: torch.Tensor) -> float:
        """D's step: its gradients on B real points and G(z) (G fixed); returns L_D."""
        B = len(real)
        x = self.x
        x[:B] = real
        with torch.no_grad():
            self.generate(z, out=x[B:])  # (B, 2) fakes, as fixed data
            s = self._score(x, self.d_act)  # (2B, 1)
            ds, value = self._d_slope(s)
            self._backward(self.d_layers, x, self.d_act, ds, _lrelu, need_input_grad=False)
        return value

    def g_grads(self, z: torch.Tensor) -> float:
        """G's step: its gradients through D (D fixed) on G(z); returns L_G."""
        with torch.no_grad():
            x = self.generate(z)  # (B, 2)
            s = self._score(x, self.gd_act)  # (B, 1)
            ds, value = self._g_slope(s)
            dx = self._backward(self.d_layers, x, self.gd_act, ds, _lrelu, need_input_grad=True, params=False)
            self._backward(self.g_layers, z, self.g_act, dx, _relu, need_input_grad=False)
        return value


def _lrelu(grad: torch.Tensor, result: torch.Tensor) -> torch.Tensor:
    return _lrelu_back(grad, result, SLOPE, True)


def _relu(grad: torch.Tensor, result: torch.Tensor) -> torch.Tensor:
    return _relu_back(grad, result, 0.0)
