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


@pytest.mark.parametrize("choice, fragment", [("tpu", "Unknown device"), ("banana", "Unknown device"),
                                              ("meta", "Unsupported device")])
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
