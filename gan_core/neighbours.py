"""Nearest digits in pixel space, computed exactly: the one implementation behind "Your digit"'s
closest real digits (gan_core.digits) and the memorization check (gan_core.metrics).

The distance between two 28x28 digits a and b, with pixels scaled to [0, 1], is

    d(a, b) = ||a - b||_2 = sqrt(sum_i (a_i - b_i)^2) / 255      (a, b as uint8 pixel values)

A search over tens of thousands of digits wants a matrix product, through the expansion

    ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b

In float32 on [0, 1] pixels that expansion cancels badly near 0: a digit can come out a small
positive distance away from itself, and two neighbours at nearly equal distances can swap places,
by amounts that change from one torch build to the next (its matmul kernels differ). Here the
expansion runs on the raw integer pixel values (0..255) in float64 instead. Every term is then an
integer below 784 * 255^2 < 2^26, far inside float64's exact-integer range (2^53), so each squared
distance is computed *exactly*, whatever kernel sums it: a digit is at distance 0 from itself, and
ties are broken by the lower bank index, on every build.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["k_nearest"]

QUERY_CHUNK = 512  # queries per block: with BANK_CHUNK a (512, 8192) float64 block is 32 MB
BANK_CHUNK = 8192  # bank rows per block, so memory stays small even against all 70,000 MNIST digits


def k_nearest(queries, bank, k: int = 1, exclude=None) -> tuple[np.ndarray, np.ndarray]:
    """For each query digit its k nearest bank digits, closest first: (distances (N, k), indices (N, k)).

    queries (N, 28, 28) and bank (M, 28, 28) are uint8 pixels (anything torch.as_tensor takes);
    distances are on pixels scaled to [0, 1] (see the module docstring), exact in float64.
    exclude: optional (N,) bank index per query to skip (leave-one-out when queries come from the bank).
    Equal distances are ordered by bank index, so the answer does not depend on the torch build.
    """
    bank = torch.as_tensor(bank).reshape(len(bank), -1)  # (M, 784) uint8
    q_all = torch.as_tensor(queries).reshape(len(queries), -1)  # (N, 784) uint8
    ex_all = torch.as_tensor(np.asarray(exclude)).long() if exclude is not None else None  # (N,)
    k = max(1, min(int(k), len(bank) - (1 if exclude is not None else 0)))
    n = len(q_all)
    if len(bank) >= 2**27:
        raise ValueError(f"A bank of {len(bank):,} digits is too large for exact keys (at most 2^27).")
    best_key = torch.full((n, k), float("inf"), dtype=torch.float64)  # (N, k) sort keys
    for j in range(0, len(bank), BANK_CHUNK):
        b = bank[j : j + BANK_CHUNK].double()  # (m, 784) values 0..255
        b_sq = (b * b).sum(1)  # (m,) exact integers
        cols = torch.arange(j, j + len(b))  # (m,) bank indices
        for i in range(0, n, QUERY_CHUNK):
            q = q_all[i : i + QUERY_CHUNK].double()  # (n, 784)
            d2 = (q * q).sum(1, keepdim=True) + b_sq[None, :] - 2.0 * q @ b.T  # (n, m) exact integers
            if ex_all is not None:
                local = ex_all[i : i + QUERY_CHUNK] - j  # (n,) excluded column, if here
                hit = (local >= 0) & (local < len(b))
                d2[torch.nonzero(hit).flatten(), local[hit]] = float("inf")  # its key is inf too
            # one exact sort key per pair, d2 * M + index: an integer below 2^26 * 2^27 = 2^53, so
            # float64 holds it exactly, and equal distances are ordered by bank index
            key = d2 * len(bank) + cols[None, :]  # (n, m)
            cand = torch.cat([best_key[i : i + QUERY_CHUNK], key], dim=1)  # (n, k + m)
            best_key[i : i + QUERY_CHUNK] = torch.topk(cand, k, dim=1, largest=False).values  # ascending
    best_idx = torch.remainder(best_key, len(bank))  # (N, k) bank indices
    best_d2 = (best_key - best_idx) / len(bank)  # (N, k) exact squared
    best_idx = best_idx.long()
    dist = best_d2.clamp_min(0.0).sqrt() / 255.0  # (N, k) on [0, 1] pixels
    return dist.numpy(), best_idx.numpy()
