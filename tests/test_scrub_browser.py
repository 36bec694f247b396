"""Scrub mode in a real browser: the JS forward pass against torch, and the Explore page end to end.

1. gan_ui/scrub/forward.js, loaded into a blank page of Debian's Chromium, runs the program that
   gan_core.webexport exports from a shipped generator; its 28x28 output must equal torch's G(z).
2. `streamlit run app.py` + Chromium: scrub mode is on when Explore opens; drag the first latent slider
   with the mouse. While the button is held the canvas changes and the server's digit does not (no round
   trip); after release the server's digit becomes exactly the browser's digit. Switched off, the server's
   sliders are back and move the server's digit.
"""

from __future__ import annotations

import gzip
import io
import re
import urllib.request

import numpy as np
import pytest
import torch
from e2e_support import ROOT, browser, image_bytes, shot, streamlit_server, wait_for, wait_idle  # noqa: F401
from PIL import Image

from gan_core import load_checkpoint
from gan_core.webexport import export_program, program_json

pytestmark = pytest.mark.browser

FORWARD_JS = ROOT / "gan_ui" / "scrub" / "forward.js"
RUN_JS = """([text, zs, labels]) => {
    const model = ganCompile(JSON.parse(text));
    return zs.map((z, i) => Array.from(model.run(z, labels[i])));
}"""


@pytest.fixture(scope="module")
def js_page(browser):  # noqa: F811
    page = browser.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(content=FORWARD_JS.read_text())
    yield page
    page.close()


@pytest.mark.parametrize("name", ["dcgan", "cdcgan", "mlp"])
def test_forward_js_equals_torch_on_shipped_generators(js_page, name):
    G = load_checkpoint(name).G
    rng = np.random.default_rng(11)
    zs = np.clip(rng.standard_normal((5, G.latent_dim)), -3, 3).astype(np.float32)
    zs[0] = 0.0
    labels = [int(i * 3 % 10) for i in range(5)] if G.conditional else [None] * 5
    got = np.array(js_page.evaluate(RUN_JS, [program_json(export_program(G)), zs.tolist(), labels]))
    with torch.no_grad():
        want = G(torch.from_numpy(zs), torch.tensor(labels) if G.conditional else None).reshape(5, -1).numpy()
    assert got.shape == want.shape == (5, 784)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert np.abs(want[1] - want[2]).max() > 0.5  # the z matter: not a constant image


def test_forward_js_names_an_unknown_op(js_page):
    G = load_checkpoint("mlp").G
    program = export_program(G)
    program["ops"].insert(1, {"op": "softplus"})
    with pytest.raises(Exception, match='unknown op "softplus"'):
        js_page.evaluate(RUN_JS, [program_json(program), [[0.0] * G.latent_dim], [None]])


# ---------------------------------------------------------------------------------------------
# The Explore page, end to end
# ---------------------------------------------------------------------------------------------
SERVER_DIGIT = '[data-testid="stImage"]:has-text("G(z): the generator\'s output for this z") img'
CANVAS_PIXELS = """() => { const c = document.querySelector('.gan-scrub-canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const g = []; for (let i = 0; i < d.length; i += 4) g.push(d[i]); return g; }"""


def server_digit(page) -> np.ndarray:
    """The server's digit as 28x28 grey levels (its PNG is native size; the browser scales it up)."""
    png = Image.open(io.BytesIO(image_bytes(page, page.locator(SERVER_DIGIT)))).convert("L")
    assert png.size == (28, 28), png.size
    return np.asarray(png).astype(int)


def server_digit_changed(page, old: np.ndarray) -> bool:
    """For polling: mid-rerun the old <img> can be gone before the new one arrives (its data: URL with it)."""
    try:
        return not np.array_equal(server_digit(page), old)
    except Exception:  # noqa: BLE001 - not an image (yet): ask again
        return False


def canvas_digit(page) -> np.ndarray:
    return np.array(page.evaluate(CANVAS_PIXELS)).reshape(28, 28)


def open_scrub(browser, url: str, model: str | None = None, ready: str = ""):
    """A new tab on Explore (with `model` picked, if given) and its scrub mode ready: on from the start, as a
    student finds it."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 1000})
    page = ctx.new_page()
    page.goto(url)
    wait_idle(page, SERVER_DIGIT, timeout=120)
    if model:
        page.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option").filter(has_text=model).first.click()
        wait_idle(page)
    assert page.locator(".st-key-scrub_mode input").is_checked()  # on as Explore opens
    page.wait_for_selector(f'.gan-scrub[data-state="ready"]{ready}', timeout=60_000)
    wait_idle(page)
    return ctx, page


@pytest.mark.slow
def test_scrub_mode_repaints_in_the_browser_and_the_server_follows(streamlit_server, browser):  # noqa: F811
    ctx, page = open_scrub(browser, streamlit_server.url)
    assert page.locator('[data-testid="stException"]').count() == 0
    # Before any move both sides show the same z, so the same digit.
    start_canvas, start_server = canvas_digit(page), server_digit(page)
    assert np.abs(start_canvas - start_server).max() <= 1
    assert start_canvas.std() > 20  # a digit, not a blank canvas

    slider = page.locator(".gan-scrub-slider").first
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 4, y)
    page.mouse.down()  # jumps z1 to about -3
    for i in range(1, 21):  # ... and drags it across to about +3
        page.mouse.move(box["x"] + 4 + (box["width"] - 8) * i / 20, y)
        page.wait_for_timeout(30)
    held_canvas = canvas_digit(page)
    held_z1 = float(slider.input_value())
    assert held_z1 > 2.5
    assert np.abs(held_canvas - start_canvas).max() > 50, "the canvas did not repaint during the drag"
    page.wait_for_timeout(500)
    assert np.array_equal(server_digit(page), start_server), "the server was asked before the release"
    frames = page.evaluate("() => document.querySelector('.gan-scrub').__ganScrub.paints")
    assert frames >= 10  # a repaint per animation frame, not one at the end
    shot(page, "scrub-mode-dragging")

    page.mouse.up()  # release: z goes to Python
    wait_for(lambda: server_digit_changed(page, start_server), 60, what="the server's digit to follow")
    wait_idle(page)
    assert np.abs(server_digit(page) - canvas_digit(page)).max() <= 1
    # The server's z is the browser's: the copy/paste box shows z1 as the slider left it.
    page.get_by_role("button", name="Copy / paste z").click()
    code = page.locator('[data-testid="stCode"]').first.inner_text()
    assert code.strip().startswith("[") and f"{held_z1:.2f}".rstrip("0").rstrip(".") in code.split(",")[0]
    page.keyboard.press("Escape")
    # And the other way: a new z from the server ("Random z") is drawn by the browser too.
    synced = canvas_digit(page)
    page.get_by_role("button", name="Random z").click()
    wait_for(lambda: not np.array_equal(canvas_digit(page), synced), 60, what="the canvas to show the random z")
    wait_idle(page)
    assert np.abs(server_digit(page) - canvas_digit(page)).max() <= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    ctx.close()


@pytest.mark.slow
def test_sliders_work_while_the_program_is_still_loading(streamlit_server, browser):  # noqa: F811
    """A slow first visit: the program's request is held back. The sliders and the digit picker are on the page at
    once (state "loading"), a release already moves the server's digit, and when the program arrives the canvas
    draws the z the sliders hold, the same digit as the server's."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 1000})
    page = ctx.new_page()
    held = []
    page.route("**/app/static/scrub/*", lambda route: held.append(route))  # answered once we let it go
    page.goto(streamlit_server.url)
    wait_idle(page, SERVER_DIGIT, timeout=120)
    page.wait_for_selector('.gan-scrub[data-state="loading"] .gan-scrub-slider', timeout=60_000)
    wait_for(lambda: held, 30, what="the page to ask for the program")
    packed_url = held[0].request.url
    assert packed_url.endswith(".json.gz")  # the gzipped copy: Chromium unpacks it (DecompressionStream)
    assert page.locator(".gan-scrub-slider").count() == 16  # every dimension: 8 shown, 8 under "More dimensions"
    assert page.locator(".gan-scrub-label").count() == 10  # the default model is conditional: its picker too
    before = server_digit(page)
    slider = page.locator(".gan-scrub-slider").first
    slider.focus()
    page.keyboard.press("End")  # z1 to +3: input, then change (a release)
    wait_for(lambda: server_digit_changed(page, before), 60, what="the server's digit to follow a release")
    wait_idle(page)
    assert page.locator(".gan-scrub").get_attribute("data-state") == "loading"  # all of that without the program
    assert float(slider.input_value()) == 3.0
    for route in held:
        route.continue_()
    page.wait_for_selector('.gan-scrub[data-state="ready"]', timeout=60_000)
    wait_idle(page)
    assert float(slider.input_value()) == 3.0  # the move survived the program's arrival
    assert np.abs(server_digit(page) - canvas_digit(page)).max() <= 1
    assert canvas_digit(page).std() > 20  # a digit, not the blank canvas of the loading state
    assert page.locator('[data-testid="stException"]').count() == 0
    ctx.close()
    # The server sends the .gz as stored bytes (not compressed again per request), the same program as the .json.
    request = urllib.request.Request(packed_url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.headers["Content-Type"] == "application/gzip" and r.headers.get("Content-Encoding") is None
        packed = r.read()
    with urllib.request.urlopen(packed_url.removesuffix(".gz"), timeout=30) as r:
        assert gzip.decompress(packed) == r.read()


@pytest.mark.slow
def test_a_browser_without_decompression_streams_loads_the_plain_program(streamlit_server, browser):  # noqa: F811
    """Older browsers have no DecompressionStream: the page fetches the plain .json instead of the .gz, and scrub mode
    works the same."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 1000})
    ctx.add_init_script("delete window.DecompressionStream;")
    page = ctx.new_page()
    page.goto(streamlit_server.url)
    wait_idle(page, SERVER_DIGIT, timeout=120)
    page.wait_for_selector('.gan-scrub[data-state="ready"]', timeout=60_000)
    wait_idle(page)
    fetched = [
        u
        for u in page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
        if "/app/static/scrub/" in u
    ]
    assert fetched and all(u.endswith(".json") for u in fetched), fetched
    assert np.abs(server_digit(page) - canvas_digit(page)).max() <= 1
    ctx.close()


MOUNT_JS = """async ([js, data]) => {
    const mod = await import(URL.createObjectURL(new Blob([js], {type: 'text/javascript'})));
    const host = document.createElement('div'); document.body.appendChild(host);
    const triggers = [];
    mod.default({data, parentElement: host, setTriggerValue: (k, v) => triggers.push([k, v])});
    for (let i = 0; i < 500; i++) {
        const root = host.querySelector('.gan-scrub');
        if (root && root.dataset.state !== 'loading')
            return {state: root.dataset.state, text: root.innerText, triggers};
        await new Promise(r => setTimeout(r, 20));
    }
    return {state: 'timeout', triggers};
}"""


@pytest.mark.parametrize(
    "src, program, why",
    [
        ("app/static/scrub/no-such-program.json", None, ""),  # cannot be fetched
        (None, '{"format": "something-else", "version": 1}', "not a GAN Classroom program"),
        (
            None,
            '{"format": "gan-classroom-program", "version": 1, "latent_dim": 4, "conditional": false, '
            '"output_shape": [1, 28, 28], "tensors": [], "ops": [{"op": "softplus"}]}',
            'unknown op "softplus"',
        ),
    ],
    ids=["missing", "foreign", "unknown-op"],
)
@pytest.mark.parametrize("header", [False, True], ids=["no-header", "sliders-drawn-first"])
def test_component_reports_a_program_it_cannot_run(js_page, src, program, why, header):
    """The component says why and sends the "failed" trigger, which makes Explore fall back to the
    server sliders (gan_ui/scrub: FAILED_KEY); also when it had drawn its sliders from the header first."""
    js = FORWARD_JS.read_text() + "\n" + (ROOT / "gan_ui" / "scrub" / "component.js").read_text()
    data = {
        "digest": f"bad-{why}",
        "src": src,
        "program": program,
        "z": [0.0] * 4,
        "label": None,
        "visible": 8,
        "range": 3.0,
        "step": 0.01,
        "scale": 8,
        "caption": "",
        "model": {"latentDim": 4, "conditional": False, "numClasses": 0, "outputShape": [1, 28, 28]}
        if header
        else None,
    }
    out = js_page.evaluate(MOUNT_JS, [js, data])
    assert out["state"] == "failed" and "could not start" in out["text"] and why in out["text"]
    assert out["triggers"] and out["triggers"][0][0] == "failed" and out["triggers"][0][1]["digest"] == f"bad-{why}"


@pytest.mark.slow
def test_scrub_mode_off_brings_back_the_server_sliders(streamlit_server, browser):  # noqa: F811
    """Off, Explore is the server's: its eight sliders (no component), starting at the z the component left, and a
    move redraws the digit on the server."""
    ctx, page = open_scrub(browser, streamlit_server.url)
    slider = page.locator(".gan-scrub-slider").first
    slider.focus()
    page.keyboard.press("End")  # z1 to +3: input, then change, so the server follows
    wait_for(lambda: float(slider.input_value()) == 3.0, 5, what="the scrub slider at its end")
    wait_idle(page)
    page.get_by_text("Scrub mode (runs in your browser)").click()
    page.locator('[data-testid="stSlider"]').first.wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(".gan-scrub").count() == 0
    sliders = page.locator('[data-testid="stSlider"]').filter(has_text=re.compile(r"^z\d+"))
    assert sliders.count() == 8
    thumb = sliders.first.locator('input[type="range"]')
    assert thumb.get_attribute("aria-valuetext") == "3.00"  # the z the browser left
    before = server_digit(page)
    thumb.focus()
    for _ in range(10):  # z1: 3.00 -> 2.50, one server round trip a press
        page.keyboard.press("ArrowLeft")
    wait_for(lambda: server_digit_changed(page, before), 60, what="the server's digit to follow its slider")
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    ctx.close()


@pytest.mark.slow
def test_scrub_mode_digit_picker_of_the_conditional_model(streamlit_server, browser):  # noqa: F811
    """cdcgan: picking a digit in the component redraws at once, and the server's digit picker and digit follow."""
    ctx, page = open_scrub(browser, streamlit_server.url, model="cdcgan", ready=" .gan-scrub-label")
    assert page.locator(".gan-scrub-label").count() == 10
    before_canvas, before_server = canvas_digit(page), server_digit(page)
    assert np.abs(before_canvas - before_server).max() <= 1
    labels = page.locator(".gan-scrub-label")
    current = next(i for i in range(10) if "active" in (labels.nth(i).get_attribute("class") or ""))
    pick = 7 if current != 7 else 3  # a digit other than the one shown
    labels.nth(pick).click()
    wait_for(
        lambda: np.abs(canvas_digit(page) - before_canvas).max() > 50,
        5,  # drawn in the browser, no server
        what="the canvas to draw the picked digit",
    )
    wait_for(lambda: server_digit_changed(page, before_server), 60, what="the server's digit to follow the label")
    wait_idle(page)
    assert np.abs(server_digit(page) - canvas_digit(page)).max() <= 1  # the server now draws that digit for this z too
    assert page.locator('[data-testid="stException"]').count() == 0
    ctx.close()


@pytest.mark.parametrize("fold", [True, False])
def test_forward_js_is_generic_over_conv_shapes(js_page, fold):
    """Other kernels, strides, paddings, channel counts and non-square maps than the project's DCGAN,
    with BatchNorm left as an affine op after a conv (channels-last in the JS) when not folded."""
    from test_webexport import odd_conv_g

    G = odd_conv_g()
    zs = np.random.default_rng(3).standard_normal((3, 5)).astype(np.float32)
    got = np.array(
        js_page.evaluate(RUN_JS, [program_json(export_program(G, fold_batchnorm=fold)), zs.tolist(), [None] * 3])
    )
    with torch.no_grad():
        want = G(torch.from_numpy(zs)).reshape(3, -1).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
