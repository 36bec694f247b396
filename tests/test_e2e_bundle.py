"""End to end: finish a tiny run in the real app, download its assignment bundle from the browser, open the
zip and check every part against the others (the CSV's steps, the GIF's frames, the grid that the
downloaded generator draws again from the run's fixed noise, and the config that trains it).

Then a second run, the "Compare runs" section, and the "Look inside" panel, screenshotted in artifacts/.
"""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest
import torch
from e2e_support import browser, shot, streamlit_server, wait_idle  # noqa: F401
from PIL import Image
from test_e2e import VIEWPORT, click_button, no_exception, open_page, start_run, step_count

from gan_core import DEFAULT_PRESET, load_checkpoint_bytes, read_config_json, to_pixels
from gan_core.bundle import BUNDLE_FILES, COLUMN_DOCS
from gan_core.training import FIXED_NOISE

pytestmark = pytest.mark.browser

START = '[data-testid="stBaseButton-primary"]'


def tiles(grid: np.ndarray, scale: int, n: int = 64, ncol: int = 8) -> np.ndarray:
    """The (n, 28, 28) digits of an 8-column grid drawn with 2 px gaps and upscaled by `scale`."""
    small = grid[::scale, ::scale]
    out = []
    for i in range(n):
        r, c = divmod(i, ncol)
        y, x = 2 + r * 30, 2 + c * 30
        out.append(small[y : y + 28, x : x + 28])
    return np.stack(out)


def test_bundle_download_holds_every_part(streamlit_server, browser, tmp_path):
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = open_page(ctx, streamlit_server.url + "/train", START)
    start_run(page, "5 steps")
    page.wait_for_selector("text=Reached the budget of 5 steps.", timeout=120_000)
    assert step_count(page) == 5
    button = page.get_by_role("button", name="Download bundle (.zip)")
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=120_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith("-5steps-bundle.zip")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    no_exception(page)

    zf = zipfile.ZipFile(path)
    assert zf.namelist() == list(BUNDLE_FILES) and zf.testzip() is None
    cfg, meta = read_config_json(zf.read("config.json"))
    assert cfg.max_steps == 5 and cfg.max_seconds == 0 and meta["run"]["status"] == "finished"
    assert "MNIST" in meta["data"]["description"]
    rows = list(csv.DictReader(io.StringIO(zf.read("history.csv").decode())))
    assert list(rows[0]) == list(COLUMN_DOCS) and [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5]
    assert all(np.isfinite(float(r["d_loss"])) and np.isfinite(float(r["g_loss"])) for r in rows)
    gif = Image.open(io.BytesIO(zf.read("progress.gif")))
    snapshot_steps = sorted(set(range(0, 6, cfg.snapshot_every)) | {5})  # 0, 2, 4 and the last step
    assert gif.n_frames == len(snapshot_steps)
    grid = np.asarray(Image.open(io.BytesIO(zf.read("final_grid.png"))))
    final = tiles(grid, 4)
    gif.seek(gif.n_frames - 1)
    assert np.array_equal(tiles(np.asarray(gif.convert("L")), 2), final)  # the GIF ends on the final grid
    # the downloaded generator draws the final grid again from the run's fixed noise
    ckpt = load_checkpoint_bytes(zf.read("generator.safetensors"))
    assert ckpt.config.seed == cfg.seed and ckpt.info["steps"] == 5 and ckpt.D is not None
    z = torch.randn(FIXED_NOISE, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + 2))
    with torch.no_grad():
        y = (torch.arange(FIXED_NOISE) % cfg.num_classes) if cfg.conditional else None  # the fixed labels
        again = to_pixels(ckpt.G(z, y)).numpy()
    assert np.abs(again.astype(int) - final.astype(int)).max() <= 1
    readme = zf.read("README.txt").decode()
    assert "python -m gan_core train --config config.json" in readme and "seed" in readme

    # a second run with the config loaded back from the bundle (seed changed), then compare the two
    (tmp_path / "config.json").write_bytes(zf.read("config.json"))
    page.locator('[data-testid="stExpander"]', has_text="Load a config.json").locator("summary").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(tmp_path / "config.json"))
    page.wait_for_selector("text=Loaded config.json", timeout=60_000)
    wait_idle(page)
    page.locator('[data-testid="stExpander"]', has_text="Advanced settings").locator("summary").click()
    seed = page.get_by_label("Seed")
    seed.fill("7")
    seed.press("Enter")
    wait_idle(page)
    click_button(page, "Start")
    page.wait_for_selector("text=Reached the budget of 5 steps.", timeout=120_000)
    wait_idle(page)  # the end of a run reruns the whole page: scroll only once it is redrawn
    page.get_by_text("Compare runs").scroll_into_view_if_needed()
    page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=60_000)
    wait_idle(page)
    traces = page.evaluate("""() => {
        const el = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
        return el ? el.data.map(t => t.name) : []; }""")
    assert sorted(set(traces)) == [f"Run 1 · {DEFAULT_PRESET}", f"Run 2 · {DEFAULT_PRESET}-custom"] and len(traces) == 8
    assert page.locator("text=differ in: seed").count() == 1
    no_exception(page)
    shot(page, "e2e-compare")
    ctx.close()


def test_look_inside_panel_renders(streamlit_server, browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = open_page(ctx, streamlit_server.url, '[data-testid="stImage"]')
    page.locator('[data-testid="stExpander"]', has_text="Look inside G and D").locator("summary").click()
    page.wait_for_selector("text=D(x): probability real", timeout=60_000)
    imgs = page.locator('[data-testid="stExpander"]', has_text="Look inside G and D").locator("img")
    assert imgs.count() == 3
    for i in range(3):
        assert imgs.nth(i).evaluate("el => el.naturalWidth") > 0
    no_exception(page)
    page.locator('[data-testid="stExpander"]', has_text="Look inside G and D").scroll_into_view_if_needed()
    shot(page, "e2e-look-inside")
    ctx.close()
