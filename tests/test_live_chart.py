"""The live charts' plotly.js on disk (gan_ui/live_chart.py): the installed plotly's file, and a gzipped copy that the
page loads (Streamlit sends a .gz as stored bytes instead of compressing the plain file on every request). The page
side is tested in a real Chromium by tests/test_e2e.py (test_zoom_survives_live_updates)."""

from __future__ import annotations

import gzip
from pathlib import Path

import plotly

from gan_ui import live_chart

INSTALLED = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def test_plotly_is_copied_beside_a_gzipped_copy_and_follows_a_new_plotly(tmp_path, monkeypatch):
    monkeypatch.setattr(live_chart, "STATIC_DIR", tmp_path)
    live_chart.ensure_static_plotly.cache_clear()
    try:
        assert live_chart.ensure_static_plotly()
        js = (tmp_path / "plotly.min.js").read_bytes()
        assert js == INSTALLED.read_bytes()
        packed = (tmp_path / "plotly.min.js.gz").read_bytes()
        assert gzip.decompress(packed) == js and len(packed) < len(js) / 2
        # A file from another plotly (here: another size) is replaced, and so is its gzipped copy.
        (tmp_path / "plotly.min.js").write_bytes(b"window.Plotly = {version: 'old'};")
        live_chart.ensure_static_plotly.cache_clear()
        assert live_chart.ensure_static_plotly()
        assert (tmp_path / "plotly.min.js").read_bytes() == js
        assert gzip.decompress((tmp_path / "plotly.min.js.gz").read_bytes()) == js
        assert sorted(f.name for f in tmp_path.iterdir()) == ["plotly.min.js", "plotly.min.js.gz"]  # no temp files
    finally:
        live_chart.ensure_static_plotly.cache_clear()
