"""GANConfig: every bad value is a ConfigError that says what to change; presets are valid; JSON round trip."""

from __future__ import annotations

import math

import pytest

from gan_core import DEFAULT_PRESET, PRESETS, ConfigError, GANConfig, preset_config


def test_defaults_validate_and_return_self():
    cfg = GANConfig()
    assert cfg.validate() is cfg


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_validates_and_describes_itself(name):
    cfg = preset_config(name)
    assert cfg.preset == name
    assert PRESETS[name].name == name
    assert len(PRESETS[name].description) > 20
    for key, value in PRESETS[name].changes.items():
        assert getattr(cfg, key) == value


def test_preset_overrides_and_unknown_preset():
    cfg = preset_config("wgan-gp", latent_dim=4)
    assert (cfg.loss, cfg.latent_dim, cfg.d_steps) == ("wgan-gp", 4, 5)
    assert DEFAULT_PRESET in PRESETS
    with pytest.raises(ConfigError, match="Unknown preset 'nope'.*dcgan"):
        preset_config("nope")
    with pytest.raises(ConfigError, match="lr_g"):
        preset_config("dcgan", lr_g=-1.0)  # overrides are validated too


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"lr_g": -1e-4}, "lr_g must be above 0"),
        ({"lr_d": 0.0}, "lr_d must be above 0"),
        ({"lr_g": 5.0}, "at most 1"),
        ({"lr_g": math.nan}, "lr_g must be a finite number"),
        ({"lr_d": math.inf}, "lr_d must be a finite number"),
        ({"lr_g": "fast"}, "lr_g must be a finite number"),
        ({"batch_size": 0}, "batch_size must be a whole number from 2"),
        ({"batch_size": 1}, "batch_size must be a whole number from 2"),
        ({"batch_size": 64.0}, "batch_size must be a whole number"),
        ({"latent_dim": 100_000}, "latent_dim must be a whole number from 1 to 512"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"latent_dim": True}, "latent_dim"),
        ({"g_width": 2}, "g_width"),
        ({"d_steps": 0}, "d_steps"),
        ({"num_classes": 1}, "num_classes"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
        ({"beta1": 1.0}, "beta1 must be in [0, 1)"),
        ({"beta2": -0.1}, "beta2"),
        ({"label_smoothing": 0.5}, "label_smoothing must be in [0, 0.5)"),
        ({"ema": 0.3}, "ema must be 0 (off) or a decay"),
        ({"gp_weight": -10.0}, "gp_weight must be >= 0"),
        ({"grad_clip": math.nan}, "grad_clip must be a finite number"),
        ({"max_seconds": -1.0}, "max_seconds must be >= 0"),
        ({"arch": "resnet"}, "arch must be one of mlp, dcgan"),
        ({"loss": "kl"}, "loss must be one of"),
        ({"dataset": "cifar"}, "dataset must be one of mnist, fashion"),
        ({"max_steps": 0, "max_seconds": 0.0}, "Give the run a budget"),
        ({"loss": "hinge", "label_smoothing": 0.1}, "the hinge loss has no targets"),
        ({"loss": "wgan-gp", "label_smoothing": 0.1}, "Label smoothing"),
        ({"loss": "wgan-gp", "spectral_norm": True}, "spectral normalization on top of it fights the penalty"),
        ({"d_augment": 7}, "d_augment must be a whole number of pixels from 0 (off) to 6"),
        ({"d_augment": -1}, "d_augment must be a whole number of pixels from 0"),
        ({"d_augment": 1.5}, "d_augment must be a whole number of pixels (0 = off)"),
        ({"minibatch_std": 1}, "minibatch_std must be 0 (off) or a group size from 2 to 64"),
        ({"minibatch_std": 4.0}, "minibatch_std must be a whole number"),
        ({"minibatch_std": 4, "loss": "wgan-gp"}, "set minibatch_std to 0 for WGAN-GP"),
    ],
)
def test_bad_values_raise_config_error_with_a_helpful_message(changes, fragment):
    cfg = GANConfig().replace(**changes)
    with pytest.raises(ConfigError) as info:
        cfg.validate()
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)  # callers that catch ValueError still catch it


@pytest.mark.parametrize("loss", ["minimax", "non-saturating", "least-squares"])
def test_label_smoothing_is_fine_with_target_losses(loss):
    GANConfig(loss=loss, label_smoothing=0.1).validate()


def test_step_budget_alone_or_time_budget_alone_is_enough():
    GANConfig(max_steps=10, max_seconds=0.0).validate()
    GANConfig(max_steps=0, max_seconds=5.0).validate()


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as info:
        GANConfig(lr_g=-1.0, batch_size=0, arch="resnet").validate()
    text = str(info.value)
    assert "lr_g" in text and "batch_size" in text and "arch" in text


def test_unknown_fields_are_rejected():
    with pytest.raises(ConfigError, match="Unknown config field.*learning_rate"):
        GANConfig().replace(learning_rate=0.1)
    with pytest.raises(ConfigError, match="Unknown config field.*colour"):
        GANConfig.from_dict({"colour": "red"})
    with pytest.raises(ConfigError, match="JSON object"):
        GANConfig.from_dict([1, 2])
    with pytest.raises(ConfigError, match="not valid JSON"):
        GANConfig.from_json("{arch: mlp")


def test_json_round_trip_and_missing_keys_take_defaults():
    cfg = preset_config("cdcgan", latent_dim=5, seed=42, label_smoothing=0.1)
    again = GANConfig.from_json(cfg.to_json())
    assert again == cfg
    assert GANConfig.from_dict({"arch": "mlp"}) == GANConfig(arch="mlp")


def test_replace_returns_a_copy():
    cfg = GANConfig(latent_dim=7)
    other = cfg.replace(latent_dim=3)
    assert cfg.latent_dim == 7 and other.latent_dim == 3
