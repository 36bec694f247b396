"""Device choice: auto picks what exists; asking for a missing accelerator is a clear DeviceError."""

from __future__ import annotations

import pytest
import torch

from gan_core import DeviceError, device_name, resolve_device


def test_auto_and_cpu():
    auto = resolve_device("auto")
    mps = getattr(torch.backends, "mps", None)
    want = "cuda" if torch.cuda.is_available() else "mps" if (mps and mps.is_available()) else "cpu"
    assert auto.type == want
    assert resolve_device(None) == auto
    assert resolve_device("cpu") == torch.device("cpu") == resolve_device(" CPU ")
    assert device_name(torch.device("cpu")).startswith("CPU") and "thread" in device_name(torch.device("cpu"))


@pytest.mark.parametrize(
    "choice, fragment", [("tpu", "Unknown device"), ("banana", "Unknown device"), ("meta", "Unsupported device")]
)
def test_unknown_devices(choice, fragment):
    with pytest.raises(DeviceError, match=fragment):
        resolve_device(choice)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_missing_cuda_says_what_to_do():
    with pytest.raises(DeviceError, match="no CUDA GPU.*--device cpu"):
        resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_index_out_of_range():
    with pytest.raises(DeviceError, match="only"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")
    assert "(GPU)" in device_name(resolve_device("cuda"))


# --------------------------------------------------------------------------------------------- precision
def test_precision_choices():
    from gan_core.device import native_bf16, resolve_precision

    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) is None
    assert resolve_precision("bf16", cpu) is torch.bfloat16
    assert resolve_precision("auto", cpu) == (torch.bfloat16 if native_bf16(cpu) else None)
    with pytest.raises(DeviceError, match="Unknown precision 'fp16'"):
        resolve_precision("fp16", cpu)


def test_config_rejects_unknown_precision():
    from gan_core import ConfigError, preset_config

    with pytest.raises(ConfigError, match="precision must be one of auto, fp32, bf16"):
        preset_config("dcgan", precision="half")


@pytest.mark.parametrize("preset", ["dcgan", "cdcgan", "mlp", "wgan-gp", "hinge-sn"])
def test_bf16_steps_match_fp32_steps(mnist, preset):
    """Under bf16 autocast the same run (same seed, same batches) stays close to the float32 run for a
    few steps: the arithmetic changes, not the algorithm. Weights and Adam state stay float32."""
    from gan_core import Trainer, preset_config

    runs = {}
    for precision in ("fp32", "bf16"):
        t = Trainer(preset_config(preset, max_steps=5, max_seconds=0, precision=precision), mnist, "cpu").run()
        assert t.status == "finished" and t.precision == precision and t.summary()["precision"] == precision
        assert all(p.dtype == torch.float32 for p in t.G.parameters())
        runs[precision] = t
    for a, b in zip(runs["fp32"].history, runs["bf16"].history):
        assert a.step == b.step
        assert abs(a.d_loss - b.d_loss) <= 0.05 * max(1.0, abs(a.d_loss)), (preset, a, b)
        assert abs(a.g_loss - b.g_loss) <= 0.05 * max(1.0, abs(a.g_loss)), (preset, a, b)
