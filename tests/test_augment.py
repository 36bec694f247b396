"""The augmentation experiment of lesson 8 on real digits: disjoint class-balanced sets, sane accuracies,
the same training budget for both arms, and clear errors for unusable inputs. No claim that the
generated digits help: that is what the experiment measures, and the lesson reports it either way."""

from __future__ import annotations

import pytest
import torch

from gan_core.augment import balanced_rows, generated_digits, run_augmentation
from gan_core.checkpoints import load_checkpoint


def test_balanced_rows_are_per_class_and_avoid_the_excluded(mnist):
    rng = torch.Generator().manual_seed(0)
    test = balanced_rows(mnist.labels, 50, rng)
    train = balanced_rows(mnist.labels, 20, rng, exclude=test)
    assert torch.bincount(mnist.labels[test], minlength=10).tolist() == [50] * 10
    assert torch.bincount(mnist.labels[train], minlength=10).tolist() == [20] * 10
    assert not set(test.tolist()) & set(train.tolist())
    with pytest.raises(ValueError, match="unused digits of class"):
        balanced_rows(mnist.labels, 10_000, rng)


def test_generated_digits_are_labelled_by_the_digit_asked_for():
    G = load_checkpoint("cdcgan").G
    x, y = generated_digits(G, 30, seed=1)
    assert x.shape == (30, 28, 28) and x.dtype == torch.uint8
    assert y.tolist() == [i % 10 for i in range(30)]


@pytest.mark.slow
def test_experiment_runs_on_real_digits_with_sane_accuracies(mnist):
    seen = []
    r = run_augmentation(
        mnist,
        n_real=100,
        n_fake=200,
        n_test=500,
        seeds=(0,),
        steps=60,
        progress=lambda done, total, text: seen.append((done, total)),
    )
    assert seen == [(1, 2), (2, 2)]
    (trial,) = r.trials
    # 100 real digits and 60 steps: far above chance (10 %), far from perfect
    assert 0.4 < trial.acc_real < 0.99 and 0.4 < trial.acc_aug < 0.99
    assert r.mean_real == trial.acc_real and r.helped in (0, 1)
    assert "100 real digits" in r.summary() and "500 held-out real digits" in r.summary()


def test_bad_inputs_are_refused_with_a_reason(mnist):
    with pytest.raises(ValueError, match="multiples of 10"):
        run_augmentation(mnist, n_real=55)
    with pytest.raises(ValueError, match="not a conditional generator"):
        run_augmentation(mnist, n_real=10, n_test=10, generator="dcgan")


def test_cli_augment_prints_both_accuracies_as_json(capsys):
    import json

    from gan_core.cli import main

    assert (
        main(["augment", "--real", "20", "--fake", "20", "--test", "100", "--seeds", "1", "--steps", "5", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["n_real"] == 20 and len(out["trials"]) == 1
    assert 0 <= out["trials"][0]["acc_real"] <= 1 and 0 <= out["trials"][0]["acc_aug"] <= 1
    assert main(["augment", "--real", "55"]) == 2
    assert "multiples of 10" in capsys.readouterr().err
