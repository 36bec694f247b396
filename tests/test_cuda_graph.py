"""The step a CUDA graph replays (gan_core/cuda_graph.py).

On any machine: which runs use a graph, and the two things recording needs of `Trainer.step_stats` — it never
reads a tensor back to the host, and the EMA's device-side warm-up gives the eager numbers. On a CUDA GPU: the
replayed step trains the same weights as the eager step from the same seed, to float noise.
"""

from __future__ import annotations

import contextlib
import threading

import pytest
import torch

from gan_core import Trainer, preset_config
from gan_core.config import PRESETS
from gan_core.cuda_graph import ENV, use_graph

CUDA = torch.cuda.is_available()


def small(preset: str, **kw):
    settings = dict(g_width=8, d_width=8, latent_dim=8, batch_size=16, max_steps=50, snapshot_every=10)
    settings.update(kw)
    return preset_config(preset, **settings)


def test_which_runs_replay_a_graph(monkeypatch):
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    monkeypatch.delenv(ENV, raising=False)
    cfg = small("cdcgan")
    assert use_graph(cfg, cuda, None) is True  # the default on a GPU
    assert use_graph(cfg, cpu, None) is False
    assert use_graph(cfg, cuda, False) is False
    assert use_graph(cfg.replace(lr_decay=True), cuda, None) is False  # its rate changes every step: eager
    monkeypatch.setenv(ENV, "0")
    assert use_graph(cfg, cuda, None) is False
    assert use_graph(cfg, cuda, True) is True  # asked for in so many words: the variable does not overrule it
    with pytest.raises(ValueError, match="need a CUDA GPU"):
        use_graph(cfg, cpu, True)
    with pytest.raises(ValueError, match="learning-rate decay"):
        use_graph(cfg.replace(lr_decay=True), cuda, True)


def test_a_cpu_run_says_why_it_cannot_replay_a_graph(mnist):
    with pytest.raises(ValueError, match="need a CUDA GPU"):
        Trainer(small("cdcgan"), mnist, device="cpu", graph=True)
    tr = Trainer(small("cdcgan"), mnist, device="cpu")
    assert tr.graph is False and tr._graphed is None


@contextlib.contextmanager
def no_host_reads():
    """Every way a tensor's value reaches Python (each a host sync on a GPU) raises inside this block."""
    names = ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__", "cpu")
    saved = {name: getattr(torch.Tensor, name) for name in names}

    def refuse(name):
        def method(self, *args, **kwargs):
            raise AssertionError(f"the step read a tensor back to the host: Tensor.{name}")

        return method

    try:
        for name in names:
            setattr(torch.Tensor, name, refuse(name))
        yield
    finally:
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)


def test_the_guard_catches_a_host_read():
    with pytest.raises(AssertionError, match="Tensor.item"), no_host_reads():
        torch.ones(2).sum().item()


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("extra", [{}, {"d_augment": 2, "grad_clip": 1.0}], ids=["plain", "augment+clip"])
def test_the_step_never_reads_a_tensor_back(mnist, preset, extra):
    """What makes the step recordable: not one value goes to the host inside it, for every preset."""
    tr = Trainer(small(preset, **extra), mnist, device="cpu")
    tr.G.train()
    tr.D.train()
    before = {k: v.clone() for k, v in tr.G.state_dict().items()}
    with no_host_reads():
        for _ in range(2):
            stats = tr.step_stats()  # (7,)
    assert stats.shape == (7,) and tr.step == 0 and not tr._pending  # the bookkeeping stays in train_step
    assert any(not torch.equal(before[k], v) for k, v in tr.G.state_dict().items())  # but G did learn


def test_the_device_side_ema_warmup_gives_the_eager_numbers(mnist):
    """Under a graph the EMA's decay min(ema, (1 + t) / (10 + t)) is computed on the device from t; it must give the
    same average as the Python number does."""
    cfg = small("cdcgan", ema=0.99, seed=5)
    eager, device_t = Trainer(cfg, mnist, device="cpu"), Trainer(cfg, mnist, device="cpu")
    device_t._ema_t = torch.zeros((), dtype=torch.float64)
    for tr in (eager, device_t):
        tr.G.train()
        tr.D.train()
    for _ in range(12):  # across the warm-up: decay 0.1, 0.18, ... then the cap
        eager.train_step()
        device_t._ema_t.fill_(device_t.step)
        device_t.train_step()
    for (name, a), b in zip(eager.G_ema.state_dict().items(), device_t.G_ema.state_dict().values()):
        assert torch.equal(a, b), name
    device_t._ema_t.fill_(3.0)  # and t really is read: another t, another average
    g_before = {k: v.clone() for k, v in device_t.G_ema.state_dict().items()}
    eager.train_step()
    device_t.train_step()
    assert any(not torch.equal(eager.G_ema.state_dict()[k], device_t.G_ema.state_dict()[k]) for k in g_before)


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("preset", ["cdcgan", "dcgan", "wgan-gp", "infogan", "hinge-sn"])
def test_the_replayed_step_trains_as_the_eager_step(mnist, preset):
    steps = 40
    cfg = small(preset, max_steps=steps, seed=11, precision="fp32")
    graphed = Trainer(cfg, mnist, device="cuda", graph=True).run()
    eager = Trainer(cfg, mnist, device="cuda", graph=False).run()
    assert graphed.status == eager.status == "finished", (graphed.message, eager.message)
    assert graphed._graphed.replays == steps - 3 and not graphed._graphed.failed
    for name, a in graphed.G.state_dict().items():
        torch.testing.assert_close(a, eager.G.state_dict()[name], rtol=1e-3, atol=1e-4, msg=name)
    for a, b in zip(graphed.history, eager.history):
        assert a.d_loss == pytest.approx(b.d_loss, rel=1e-3, abs=1e-4)
        assert a.g_loss == pytest.approx(b.g_loss, rel=1e-3, abs=1e-4)
    assert len({(r.d_loss, r.g_loss) for r in graphed.history}) > steps // 2  # replays drew new batches each step


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_the_step_never_syncs_on_a_gpu(mnist):
    """CUDA's own check: any host sync inside the step (a .item(), a boolean mask, a copy to the CPU) raises."""
    tr = Trainer(small("cdcgan", d_augment=2), mnist, device="cuda", graph=False)
    tr.step_stats()  # first use: cuDNN's choices and lazy state, outside the check
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            tr.step_stats()
    finally:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_runs_in_threads_each_replay_their_own_graph(mnist):
    runs = [Trainer(small("cdcgan", max_steps=60, seed=s), mnist, device="cuda") for s in range(3)]
    threads = [threading.Thread(target=tr.run) for tr in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for tr in runs:
        assert tr.status == "finished" and tr._graphed.replays == 57 and not tr._graphed.failed, tr.message
    alone = Trainer(small("cdcgan", max_steps=60, seed=0), mnist, device="cuda").run()
    for name, a in alone.G.state_dict().items():
        torch.testing.assert_close(a, runs[0].G.state_dict()[name], rtol=1e-3, atol=1e-4, msg=name)
