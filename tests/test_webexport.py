"""gan_core.webexport: the exported program computes what G computes.

A small NumPy interpreter below runs the program (written from the format's description, independently
of the JS one); its output must equal torch's G(z) for every architecture the project builds, at
other widths and latent sizes than the defaults, with trained BatchNorm statistics, and for the
shipped generators. The browser's interpreter (gan_ui/scrub/forward.js) is checked against torch in
tests/test_scrub_browser.py.
"""

from __future__ import annotations

import json
import sys
import threading

import numpy as np
import pytest
import torch
import torch.nn as nn

from gan_core import GANConfig, load_checkpoint
from gan_core.models import build_generator
from gan_core.webexport import ExportError, decode_array, export_program, program_digest, program_json


def run_program(program: dict, z: np.ndarray, label: int | None = None) -> np.ndarray:
    """Reference interpreter: one sample z (latent,), float64 throughout. Returns output_shape values."""
    T = [decode_array(t).astype(np.float64) for t in program["tensors"]]
    x = np.asarray(z, dtype=np.float64).ravel()
    for op in program["ops"]:
        kind = op["op"]
        if kind == "embed_concat":
            x = np.concatenate([x, T[op["table"]][label]])
        elif kind == "linear":
            x = T[op["weight"]] @ x.ravel() + T[op["bias"]]
        elif kind == "reshape":
            pass  # values stay in (C, H, W) order: nothing to do
        elif kind == "affine":
            c = op["channels"]
            x = (x.reshape(c, -1) * T[op["scale"]][:, None] + T[op["shift"]][:, None]).ravel()
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "leaky_relu":
            x = np.where(x < 0, op["slope"] * x, x)
        elif kind == "tanh":
            x = np.tanh(x)
        elif kind == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif kind == "conv_transpose2d":
            ic, oc = op["in_ch"], op["out_ch"]
            (kh, kw), (sh, sw), (ph, pw) = op["kernel"], op["stride"], op["padding"]
            (ih, iw), (oh, ow) = op["in_hw"], op["out_hw"]
            W = T[op["weight"]].reshape(ic, oc, kh, kw)
            xin = x.reshape(ic, ih, iw)
            # the definition: every input pixel stamps its kernel, scaled, onto the output (before cropping)
            full = np.zeros((oc, (ih - 1) * sh + kh, (iw - 1) * sw + kw))
            for iy in range(ih):
                for ix in range(iw):
                    full[:, iy * sh : iy * sh + kh, ix * sw : ix * sw + kw] += np.einsum(
                        "i,iokl->okl", xin[:, iy, ix], W
                    )
            x = (full[:, ph : ph + oh, pw : pw + ow] + T[op["bias"]][:, None, None]).ravel()
        else:
            raise AssertionError(f"unknown op {kind}")
    return x.reshape(program["output_shape"])


def torch_out(G, z: np.ndarray, label: int | None) -> np.ndarray:
    with torch.no_grad():
        zt = torch.tensor(z, dtype=torch.float32)[None]
        y = torch.tensor([label]) if label is not None else None
        return G(zt, y)[0].double().numpy()


def randomise_batchnorm(G: nn.Module, seed: int = 0) -> None:
    """Trained-looking BatchNorm: running stats and affine parameters far from their (0, 1) start."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 2 + 0.1)
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.3)
                m.num_batches_tracked.fill_(10)


CONFIGS = [
    dict(arch="mlp", latent_dim=7, g_width=8),
    dict(arch="mlp", latent_dim=12, g_width=16, conditional=True),
    dict(arch="dcgan", latent_dim=5, g_width=8),
    dict(arch="dcgan", latent_dim=20, g_width=12, conditional=True, num_classes=4),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_program_equals_torch_for_built_generators(kw):
    G = build_generator(GANConfig(**kw), seed=3)
    randomise_batchnorm(G)
    G.eval()
    program = json.loads(program_json(export_program(G)))  # through JSON, as the browser gets it
    assert program["latent_dim"] == kw["latent_dim"]
    assert program["conditional"] == kw.get("conditional", False)
    assert not any(op["op"] == "affine" for op in program["ops"]), "BatchNorm should fold into its layer"
    rng = np.random.default_rng(0)
    for i in range(4):
        z = rng.standard_normal(kw["latent_dim"]) * 1.5
        label = i % kw.get("num_classes", 10) if kw.get("conditional") else None
        want = torch_out(G, z, label)
        got = run_program(program, z, label)
        assert got.shape == want.shape == (1, 28, 28)
        np.testing.assert_allclose(got, want, atol=2e-5, rtol=0)


def test_unfolded_program_keeps_batchnorm_as_affine_and_agrees():
    G = build_generator(GANConfig(arch="dcgan", latent_dim=6, g_width=8), seed=1)
    randomise_batchnorm(G, seed=2)
    G.eval()
    program = export_program(G, fold_batchnorm=False)
    assert [op["op"] for op in program["ops"]].count("affine") == 2
    z = np.random.default_rng(1).standard_normal(6)
    np.testing.assert_allclose(run_program(program, z), torch_out(G, z, None), atol=2e-5, rtol=0)


@pytest.mark.parametrize("name", ["dcgan", "cdcgan", "mlp"])
def test_program_equals_torch_for_shipped_generators(name):
    G = load_checkpoint(name).G
    program = export_program(G)
    rng = np.random.default_rng(5)
    for i in range(3):
        z = np.clip(rng.standard_normal(G.latent_dim), -3, 3)
        label = (3 * i + 1) % 10 if G.conditional else None
        np.testing.assert_allclose(run_program(program, z, label), torch_out(G, z, label), atol=2e-5, rtol=0)


def test_digest_changes_with_any_weight():
    G = build_generator(GANConfig(arch="mlp", latent_dim=4, g_width=4), seed=0).eval()
    a = program_digest(program_json(export_program(G)))
    with torch.no_grad():
        G.out.bias[17] += 1e-3
    assert program_digest(program_json(export_program(G))) != a


class _WithSoftplus(nn.Module):
    """A generator-shaped module with a layer the exporter does not know."""

    latent_dim = 4
    conditional = False

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 784)
        self.act = nn.Softplus()

    def forward(self, z, y=None):
        return self.act(self.fc(z)).view(-1, 1, 28, 28)


def test_unknown_module_is_a_clear_error():
    with pytest.raises(ExportError, match=r"does not know how to run module 'act' \(Softplus\)"):
        export_program(_WithSoftplus().eval())


def test_training_mode_is_refused():
    G = build_generator(GANConfig(arch="dcgan", latent_dim=4, g_width=4))
    with pytest.raises(ExportError, match="eval mode"):
        export_program(G.train())


class _Branchy(nn.Module):
    latent_dim = 4
    conditional = False

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 784)
        self.b = nn.Linear(4, 784)

    def forward(self, z, y=None):
        return torch.tanh(self.a(z) + self.b(z)).view(-1, 1, 28, 28)


def test_non_chain_graph_is_a_clear_error():
    with pytest.raises(ExportError, match="chain of layers"):
        export_program(_Branchy().eval())


class OddConvG(nn.Module):
    """Generator-shaped, with transposed convolutions unlike the project's (kernel 5/3, stride 3/1,
    padding 2/0, non-square maps, BatchNorm after a conv): the exporter and interpreters must not
    assume the DCGAN's 4/2/1."""

    latent_dim = 5
    conditional = False

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 3 * 4 * 6)
        self.up1 = nn.ConvTranspose2d(3, 4, 5, stride=3, padding=2)  # (4, 6) -> (10, 16)
        self.bn1 = nn.BatchNorm2d(4)
        self.up2 = nn.ConvTranspose2d(4, 2, 3, stride=1, padding=0, bias=False)  # (10, 16) -> (12, 18)

    def forward(self, z, y=None):
        h = self.fc(z).view(-1, 3, 4, 6)
        h = nn.functional.leaky_relu(self.bn1(self.up1(h)), 0.1)
        return torch.sigmoid(self.up2(h))


def odd_conv_g() -> OddConvG:
    torch.manual_seed(0)
    G = OddConvG()
    randomise_batchnorm(G, seed=4)
    return G.eval()


@pytest.mark.parametrize("fold", [True, False])
def test_program_is_generic_over_conv_shapes(fold):
    G = odd_conv_g()
    program = export_program(G, fold_batchnorm=fold)
    assert program["output_shape"] == [2, 12, 18]
    assert ("affine" in [op["op"] for op in program["ops"]]) == (not fold)
    z = np.random.default_rng(2).standard_normal(5)
    np.testing.assert_allclose(run_program(program, z), torch_out(G, z, None), atol=2e-5, rtol=0)


def test_exporting_leaves_the_other_threads_modules_alone():
    """A server exports G (Explore opens in scrub mode) while other sessions run generators and runs train, each in
    a thread of its own. torch.fx patches nn.Module for the whole process while it traces: none of the other
    threads' calls may be recorded into the trace or handed a Proxy, and two exports at once give the same program."""
    G = load_checkpoint("cdcgan").G
    alone = program_json(export_program(G))
    other = build_generator(GANConfig(arch="dcgan", latent_dim=6, g_width=8)).eval()
    z = torch.randn(4, 6)  # (4, latent)
    with torch.no_grad():
        want = other(z)  # (4, 1, 28, 28)
    stop, running, errors, calls = threading.Event(), threading.Event(), [], [0]

    def another_session():
        with torch.no_grad():
            while not stop.is_set():
                try:
                    out = other(z)
                    assert isinstance(out, torch.Tensor) and torch.equal(out, want), type(out)
                except BaseException as exc:  # noqa: BLE001 - collected, asserted on below
                    errors.append(repr(exc))
                calls[0] += 1
                running.set()

    programs: list[str] = []
    busy = [threading.Thread(target=another_session) for _ in range(2)]
    exporters = [threading.Thread(target=lambda: programs.append(program_json(export_program(G)))) for _ in range(2)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # the threads take turns every few bytecodes: every trace meets the others' calls
    for t in busy:
        t.start()
    try:
        assert running.wait(10)
        before = calls[0]
        for t in exporters:
            t.start()
        for t in exporters:
            t.join(60)
        programs.append(program_json(export_program(G)))
    finally:
        stop.set()
        for t in busy:
            t.join(10)
        sys.setswitchinterval(switch)
    assert not errors, errors[:3]
    assert calls[0] - before > 3  # the other threads really ran while G was traced
    assert programs == [alone] * 3
