"""Exact nearest digits (gan_core.neighbours) against a brute-force float64 difference, on real digits."""

from __future__ import annotations

import numpy as np
import torch

from gan_core.neighbours import k_nearest


def brute(queries, bank):
    """Every pairwise distance the slow way: (a - b)^2 summed in float64, pixels in [0, 1]."""
    q = torch.as_tensor(queries).reshape(len(queries), -1).double() / 255.0  # (N, 784)
    b = torch.as_tensor(bank).reshape(len(bank), -1).double() / 255.0  # (M, 784)
    return ((q[:, None, :] - b[None, :, :]) ** 2).sum(-1).sqrt()  # (N, M)


def test_k_nearest_equals_brute_force_on_real_digits(mnist):
    bank = mnist.images[:2500]
    queries = mnist.images[[0, 17, 999, 2400, 3000, 4999]]  # four from the bank, two not
    dist, idx = k_nearest(queries, bank, k=7)
    full = brute(queries, bank)
    order = torch.sort(full, dim=1, stable=True)
    np.testing.assert_array_equal(idx, order.indices[:, :7].numpy())
    np.testing.assert_allclose(dist, order.values[:, :7].numpy(), rtol=0, atol=1e-12)


def test_a_digit_is_exactly_zero_from_itself_and_ties_go_to_the_lower_index(mnist):
    bank = torch.cat([mnist.images[:100], mnist.images[40:41]])  # row 100 is a copy of row 40
    dist, idx = k_nearest(bank[[40, 100]], bank, k=2)
    assert dist[:, 0].tolist() == [0.0, 0.0]
    assert dist[:, 1].tolist() == [0.0, 0.0]
    assert idx.tolist() == [[40, 100], [40, 100]]


def test_leave_one_out_skips_the_digit_itself(mnist):
    bank = mnist.images[:1000]
    rows = [3, 500, 999]
    dist, idx = k_nearest(bank[rows], bank, k=3, exclude=rows)
    full = brute(bank[rows], bank)
    full[range(3), rows] = float("inf")
    order = torch.sort(full, dim=1, stable=True)
    np.testing.assert_array_equal(idx, order.indices[:, :3].numpy())
    assert (dist > 0).all()


def test_blocks_of_the_bank_and_of_the_queries_merge_correctly(mnist, monkeypatch):
    """Small blocks force several query blocks x bank blocks: the merge must give the same answer."""
    import gan_core.neighbours as nb

    bank, queries = mnist.images[:700], mnist.images[650:720]
    want = k_nearest(queries, bank, k=4)
    monkeypatch.setattr(nb, "BANK_CHUNK", 64)
    monkeypatch.setattr(nb, "QUERY_CHUNK", 16)
    got = k_nearest(queries, bank, k=4)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0], want[0])
