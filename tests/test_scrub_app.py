"""Scrub mode's server side: the export cache, the reasons it gives when it cannot run, and the
Explore page under AppTest (which runs no browser, so scrub mode must fall back to the server sliders
and say why). The browser side is tests/test_scrub_browser.py."""

from __future__ import annotations

import json

import torch.nn as nn
from e2e_support import ROOT
from streamlit.testing.v1 import AppTest

from gan_core import GANConfig, load_checkpoint
from gan_core.models import build_generator
from gan_ui import scrub


def test_export_is_cached_per_generator_and_is_valid_json():
    G = build_generator(GANConfig(arch="dcgan", latent_dim=6, g_width=8)).eval()
    first = scrub.exported(G)
    assert first.error is None and scrub.exported(G) is first  # one export per G module
    program = json.loads(first.text)
    assert program["latent_dim"] == 6 and program["ops"][0]["op"] == "linear"
    other = build_generator(GANConfig(arch="dcgan", latent_dim=6, g_width=8), seed=1).eval()
    assert scrub.exported(other).digest != first.digest  # other weights, other program


class _Odd(nn.Module):
    latent_dim = 3
    conditional = False

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 784)
        self.norm = nn.LayerNorm(784)

    def forward(self, z, y=None):
        return self.norm(self.fc(z)).view(-1, 1, 28, 28)


def test_a_generator_it_cannot_express_gives_a_reason_not_a_crash():
    ex = scrub.exported(_Odd().eval())
    assert ex.text is None and "LayerNorm" in ex.error


def test_explore_without_a_browser_keeps_the_server_sliders_and_says_why(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    dim = load_checkpoint(at.selectbox(key="explore_model").value.split(":", 1)[1]).config.latent_dim
    at.toggle(key="scrub_mode").set_value(True).run()
    assert not at.exception, at.exception
    notes = [i.value for i in at.info]
    assert any("Scrub mode is unavailable" in n and "browser" in n for n in notes), notes
    drawn = [s for s in at.slider if s.key and s.key.startswith("z_")]
    assert len(drawn) == min(dim, 8) and at.expander[0].label == f"More dimensions ({dim - 8} more)"  # the fallback
    at.slider(key="z_0").set_value(1.5).run()  # and they still work
    assert at.session_state["z_0"] == 1.5 and not at.exception


def test_static_programs_are_bounded_least_recently_used_first(tmp_path):
    """Every uploaded model or run adds a program file on a shared server: the folder keeps the most
    recently used ones only."""
    import os

    from gan_ui.scrub import prune_static

    for i in range(6):
        for f in (tmp_path / f"p{i}.json", tmp_path / f"p{i}.json.gz"):  # a program and its gzipped copy
            f.write_text("{}")
            os.utime(f, (1_000_000 + i, 1_000_000 + i))  # p5 is the most recently used
    os.utime(tmp_path / "p0.json", (2_000_000, 2_000_000))  # p0 was just used again
    prune_static(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "p0.json",
        "p0.json.gz",
        "p4.json",
        "p4.json.gz",
        "p5.json",
        "p5.json.gz",
    ]


def test_a_program_is_written_once_beside_its_gzipped_copy(tmp_path, monkeypatch):
    """static/scrub/<digest>.json and .json.gz hold the same program; written again, the bytes do not change (the
    browser's cached copy stays right); no temporary file is left behind."""
    import gzip

    from gan_core import load_checkpoint
    from gan_ui import live_chart, scrub

    monkeypatch.setattr(live_chart, "STATIC_DIR", tmp_path)
    ex = scrub.exported(load_checkpoint("mlp").G)
    src = scrub.static_src(ex)
    assert src == f"app/static/scrub/{ex.digest}.json"
    plain, packed = tmp_path / "scrub" / f"{ex.digest}.json", tmp_path / "scrub" / f"{ex.digest}.json.gz"
    assert plain.read_text() == ex.text == gzip.decompress(packed.read_bytes()).decode("ascii")
    assert len(packed.read_bytes()) < 0.8 * len(ex.text)  # base64 packs back to about the weights' own bytes
    first = packed.read_bytes()
    packed.unlink()  # lost (pruned by another session): written again, the same bytes
    assert scrub.static_src(ex) == src and packed.read_bytes() == first
    assert sorted(f.name for f in (tmp_path / "scrub").iterdir()) == [plain.name, packed.name]
