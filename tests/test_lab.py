"""The latent lab's library parts on the shipped generators and real MNIST digits:
MNIST-style preparation of any picture, inversion ("find my digit"), principal directions,
asking the discriminator, and nearest real digits."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core import generate, load_checkpoint, sample_z
from gan_core.critic import ask_discriminator
from gan_core.digits import DigitImageError, centre_of_mass, nearest_digits, prepare_digit
from gan_core.directions import direction_effect, principal_directions
from gan_core.inversion import DEADLINE_S, invert, rmse
from gan_ui.catalogue import entry_from_checkpoint
from gan_ui.run_handle import RunHandle

# Quality tests give the search a step budget, not a wall-clock one, so that a busy CI machine
# changes how long they take but not what they find. The time bound has its own test.
STEPS = 150
NO_DEADLINE = 120.0


@pytest.fixture(scope="module")
def dcgan():
    return load_checkpoint("dcgan")


@pytest.fixture(scope="module")
def cdcgan():
    return load_checkpoint("cdcgan")


@pytest.fixture(scope="module")
def mlp():
    return load_checkpoint("mlp")


def png_bytes(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def as_photo(digit: np.ndarray, size=(333, 517), offset=(40, 150), ink=(20, 30, 120), paper=(235, 230, 215)):
    """A real MNIST digit as a student's picture: dark coloured ink on light paper, scaled up 9x with
    smoothing, off-centre on a canvas of an odd size."""
    big = Image.fromarray(digit).resize((252, 252), Image.Resampling.BILINEAR)
    a = np.asarray(big, dtype=np.float64)[..., None] / 255.0  # (252, 252, 1) ink amount
    canvas = np.ones((size[1], size[0], 3)) * np.array(paper)
    y, x = offset[1], offset[0]
    canvas[y : y + 252, x : x + 252] = (1 - a) * np.array(paper) + a * np.array(ink)
    return Image.fromarray(canvas.astype(np.uint8), "RGB")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two digits' pixels, at the best shift of at most one pixel (MNIST centred its
    digits by mass to the nearest pixel, so a re-prepared digit may sit one pixel away)."""
    a = a.astype(np.float64)
    return max(
        float(np.corrcoef(np.roll(a, (dy, dx), axis=(0, 1)).ravel(), b.astype(np.float64).ravel())[0, 1])
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


# ------------------------------------------------------------------------------------ MNIST-style preparation
def test_a_real_digit_survives_being_photographed(mnist):
    """Coloured ink on light paper, odd size, off-centre -> the original MNIST digit again."""
    for row in (0, 1100, 2600, 4900):
        digit = mnist.images[row].numpy()
        prepared = prepare_digit(png_bytes(as_photo(digit)))
        assert prepared.pixels.shape == (28, 28) and prepared.pixels.dtype == np.uint8
        assert prepared.source_size == (333, 517)
        assert similarity(prepared.pixels, digit) > 0.9, row
        r, c = centre_of_mass(prepared.pixels)
        assert abs(r - 13.5) <= 1.0 and abs(c - 13.5) <= 1.0
        assert any("inverted" in n for n in prepared.notes) and any("grey" in n for n in prepared.notes)


def test_the_longest_side_becomes_20_pixels_keeping_the_aspect():
    img = Image.new("L", (600, 300), 0)
    img.paste(255, (100, 100, 400, 160))  # a white bar 300 x 60 (5:1)
    px = prepare_digit(img).pixels
    cols = np.flatnonzero((px > 64).any(axis=0))
    rows = np.flatnonzero((px > 64).any(axis=1))
    assert len(cols) == 20 and len(rows) == 4  # 300 -> 20, 60 -> 4
    assert prepare_digit(img).notes == []  # white on black grey: nothing to convert


def test_light_on_dark_is_not_inverted_and_dark_on_light_is(mnist):
    digit = mnist.images[7].numpy()
    same = prepare_digit(Image.fromarray(digit))
    assert not any("inverted" in n for n in same.notes) and similarity(same.pixels, digit) > 0.9
    flipped = prepare_digit(Image.fromarray(255 - digit))
    assert any("inverted" in n for n in flipped.notes)
    assert similarity(flipped.pixels, same.pixels) > 0.98


@pytest.mark.parametrize("kind", ["RGBA", "CMYK", "I;16", "P", "1", "LA"])
def test_every_picture_mode_gives_the_same_digit(mnist, kind):
    digit = mnist.images[300].numpy()
    ref = prepare_digit(Image.fromarray(digit)).pixels
    if kind == "RGBA":  # black strokes on a transparent background (a paint program)
        rgba = np.zeros((28, 28, 4), np.uint8)
        rgba[..., 3] = digit
        data = png_bytes(Image.fromarray(rgba, "RGBA").resize((140, 140), Image.Resampling.BILINEAR))
    elif kind == "CMYK":  # print-ready JPEG
        rgb = Image.fromarray(255 - digit).convert("RGB").resize((112, 112), Image.Resampling.BILINEAR)
        data = png_bytes(rgb.convert("CMYK"), "JPEG", quality=95)
    elif kind == "I;16":  # 16-bit grey PNG (scientific scans)
        data = png_bytes(Image.fromarray(digit.astype(np.uint16) * 257))
    elif kind == "P":  # palette GIF
        data = png_bytes(Image.fromarray(digit).convert("P"), "GIF")
    elif kind == "1":  # black-and-white bitmap
        data = png_bytes(Image.fromarray(digit).resize((84, 84)).point(lambda v: 255 if v > 100 else 0).convert("1"))
    else:  # grey + alpha, light strokes
        la = np.stack([np.full((28, 28), 255, np.uint8), digit], axis=2)
        data = png_bytes(Image.fromarray(la, "LA"))
    got = prepare_digit(data)
    assert similarity(got.pixels, ref) > 0.8, (kind, got.notes)


def test_an_animated_picture_uses_its_first_frame(mnist):
    a, b = (Image.fromarray(mnist.images[i].numpy()).convert("P") for i in (0, 4000))
    buf = io.BytesIO()
    a.save(buf, format="GIF", save_all=True, append_images=[b], duration=100)
    got = prepare_digit(buf.getvalue())
    assert any("animated (2 frames)" in n for n in got.notes)
    assert similarity(got.pixels, prepare_digit(a).pixels) > 0.95


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "empty"),
        (b"hello, I am a text file pretending to be a PNG", "not a picture"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a picture"),
    ],
)
def test_non_pictures_are_refused_clearly(data, fragment):
    with pytest.raises(DigitImageError, match=fragment):
        prepare_digit(data)


def test_truncated_blank_huge_and_oversized_pictures_are_refused_clearly(mnist):
    good = png_bytes(Image.fromarray(mnist.images[5].numpy()).resize((400, 400)))
    with pytest.raises(DigitImageError, match="corrupt or truncated|could not be read"):
        prepare_digit(good[: len(good) // 2])
    with pytest.raises(DigitImageError, match="looks blank"):
        prepare_digit(png_bytes(Image.new("RGB", (200, 120), (250, 250, 250))))
    with pytest.raises(DigitImageError, match="looks blank"):  # faint paper grain is not a digit
        noise = np.random.default_rng(0).integers(200, 215, (100, 100)).astype(np.uint8)
        prepare_digit(png_bytes(Image.fromarray(noise)))
    bomb = png_bytes(Image.new("1", (9000, 9000), 0))  # 81 megapixels in a small file
    assert len(bomb) < 1_000_000
    with pytest.raises(DigitImageError, match="megapixels"):
        prepare_digit(bomb)
    from gan_core import digits

    with pytest.raises(DigitImageError, match="MB"):
        digits.open_image(b"\x89PNG" + b"\x00" * 2000, max_bytes=1000)
    with pytest.raises(DigitImageError, match="shape"):
        prepare_digit(np.zeros((5, 5, 2)))


def test_canvas_pixels_white_on_black_rgba():
    """What the drawing canvas returns: (280, 280, 4) RGBA, white strokes on opaque black."""
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[60:220, 130:150, :3] = 255  # a "1"
    got = prepare_digit(rgba)
    assert got.notes == ["Colour picture converted to grey."]
    rows = np.flatnonzero((got.pixels > 64).any(axis=1))
    assert len(rows) == 20 and abs(centre_of_mass(got.pixels)[1] - 13.5) <= 0.5


# ------------------------------------------------------------------------------------ inversion
@pytest.mark.slow
def test_inverting_a_digit_g_drew_recovers_it(dcgan, mlp):
    for ck in (dcgan, mlp):
        G = ck.G
        before = {k: v.clone() for k, v in G.state_dict().items()}
        own = generate(G, sample_z(3, G.latent_dim, seed=21))  # (3, 28, 28)
        for i in range(3):
            res = invert(G, own[i], deadline=NO_DEADLINE, max_steps=STEPS, seed=i)
            assert res.error < 0.05, (ck.name, i, res.error)  # pixels in [0, 1]
            assert res.error < 0.5 * res.start_error  # the descent did the work
            assert float(
                rmse(
                    torch.as_tensor(res.image).float().div(127.5).sub(1)[None, None],
                    own[i].float().div(127.5).sub(1)[None, None],
                )
            ) == pytest.approx(res.error, abs=0.01)
            assert res.z.abs().max() <= 3.0
        assert not G.training and all(not p.requires_grad for p in G.parameters())
        assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())  # G untouched


@pytest.mark.slow
def test_inverting_real_digits_beats_the_best_of_1000_random_z(dcgan, mnist):
    G = dcgan.G
    with torch.inference_mode():
        pool = G(sample_z(1000, G.latent_dim, seed=12345))  # (1000, 1, 28, 28)
    ratios = []
    for row in (10, 1700, 2300, 4400):  # different digit classes
        x = mnist.images[row].float().div(127.5).sub(1)[None, None]
        best_random = float(rmse(pool, x).min())
        res = invert(G, mnist.images[row], deadline=NO_DEADLINE, max_steps=STEPS)
        ratios.append(res.error / best_random)
    assert max(ratios) < 0.85 and float(np.mean(ratios)) < 0.7, ratios


@pytest.mark.slow
def test_a_conditional_model_finds_the_label_of_its_own_digit(cdcgan):
    G = cdcgan.G
    z = sample_z(2, G.latent_dim, seed=4)
    for label, zi in zip((2, 7), z):
        own = generate(G, zi, label)[0]
        res = invert(G, own, deadline=NO_DEADLINE, max_steps=60)
        assert res.label == label and res.error < 0.08, (label, res.label, res.error)
    fixed = invert(G, generate(G, z[0], 2)[0], label=5, deadline=NO_DEADLINE, max_steps=5)
    assert fixed.label == 5  # a given label is kept
    with pytest.raises(ValueError, match="0..9"):
        invert(G, generate(G, z[0], 2)[0], label=12)


def test_the_search_keeps_to_its_deadline_and_reports_progress(dcgan, mnist):
    invert(dcgan.G, mnist.images[0], deadline=0.2)  # warm-up
    seen = []
    t0 = time.monotonic()
    res = invert(dcgan.G, mnist.images[1], callback=lambda frac, err: seen.append((frac, err)))
    wall = time.monotonic() - t0
    assert wall <= DEADLINE_S + 0.5 and res.seconds <= wall  # <= 2 s on one CPU thread
    assert len(seen) >= 2 and seen[-1][0] == 1.0
    assert all(b[1] <= a[1] + 1e-9 for a, b in zip(seen, seen[1:]))  # the best error never rises
    assert seen[-1][1] == pytest.approx(res.error)


def test_inversion_refuses_a_generator_in_train_mode():
    from gan_core import GANConfig, build_models

    G, _ = build_models(GANConfig(latent_dim=4, g_width=4, d_width=4, arch="mlp"))
    with pytest.raises(RuntimeError, match="eval mode"):
        invert(G, np.zeros((28, 28), np.uint8))


# ------------------------------------------------------------------------------------ principal directions
@pytest.mark.slow
@pytest.mark.parametrize("name", ["dcgan", "cdcgan", "mlp"])
def test_the_first_principal_direction_changes_the_image_more_than_random_ones(name):
    G = load_checkpoint(name).G
    dirs = principal_directions(G)
    assert dirs.vectors.shape == (8, G.latent_dim)
    assert torch.allclose(dirs.vectors @ dirs.vectors.T, torch.eye(8), atol=1e-5)  # orthonormal
    assert np.all(np.diff(dirs.explained) <= 1e-12) and dirs.explained.sum() < 1  # sorted by variance
    random = torch.randn(16, G.latent_dim, generator=torch.Generator().manual_seed(99))
    random_effect = direction_effect(G, random / random.norm(dim=1, keepdim=True))  # same length: 1
    assert dirs.effect[0] > np.percentile(random_effect, 90), (dirs.effect[0], random_effect)
    assert dirs.effect[0] > 1.3 * np.median(random_effect)


def test_direction_coordinates_move_and_sweep_are_consistent(mlp):
    dirs = principal_directions(mlp.G, n=300, k=4)
    z = sample_z(1, mlp.G.latent_dim, seed=3)[0] * 0.5
    c = dirs.coordinates(z)
    moved = dirs.move(z, 1, 0.75)
    delta = dirs.coordinates(moved) - c
    assert delta[1] == pytest.approx(0.75, abs=1e-5) and delta[[0, 2, 3]].abs().max() < 1e-5
    strip = dirs.sweep(z, 2, 5)  # (5, latent)
    assert torch.allclose(dirs.coordinates(strip[0])[2], torch.tensor(-3.0), atol=1e-5)
    assert torch.allclose(dirs.coordinates(strip[-1])[2], torch.tensor(3.0), atol=1e-5)
    assert torch.allclose(dirs.coordinates(strip[2])[[0, 1, 3]], c[[0, 1, 3]], atol=1e-5)


# ------------------------------------------------------------------------------------ D and nearest digits
def test_the_shipped_discriminator_prefers_real_digits_to_noise(dcgan, cdcgan, mnist):
    assert dcgan.D is not None and not dcgan.D.training
    real = mnist.images[:200]
    noise = torch.randint(0, 256, (200, 28, 28), generator=torch.Generator().manual_seed(0)).to(torch.uint8)
    r = np.array([s.value for s in ask_discriminator(dcgan.D, real, dcgan.config.loss)])
    n = np.array([s.value for s in ask_discriminator(dcgan.D, noise, dcgan.config.loss)])
    assert 0 <= r.min() and r.max() <= 1 and r.mean() > n.mean() + 0.3
    sevens = mnist.images[mnist.labels == 7][:100]
    right = np.mean([s.logit for s in ask_discriminator(cdcgan.D, sevens, cdcgan.config.loss, 7)])
    wrong = np.mean([s.logit for s in ask_discriminator(cdcgan.D, sevens, cdcgan.config.loss, 1)])
    assert right > wrong  # a conditional D judges "a real 7", not just "real"
    with pytest.raises(ValueError, match="conditional"):
        ask_discriminator(cdcgan.D, sevens[:1], cdcgan.config.loss)


def test_nearest_real_digits_start_with_the_digit_itself(mnist):
    dist, rows = nearest_digits(mnist.images[1234], mnist.images, 5)
    assert rows[0] == 1234
    assert dist[0] == 0.0  # exact (gan_core.neighbours), on every torch build
    assert np.all(np.diff(dist) >= 0) and dist[1] > 0
    assert int(mnist.labels[rows[1]]) == int(mnist.labels[1234])


def test_runs_and_shipped_models_offer_their_discriminator(mnist):
    """Explore's model entries keep D: a run's is a frozen copy (the trainer keeps its own); a shipped one, fp16."""
    from gan_core import Trainer, preset_config

    cfg = preset_config("mlp", max_steps=2, max_seconds=0, g_width=8, d_width=8, batch_size=16, latent_dim=6)
    trainer = Trainer(cfg, mnist, device="cpu").run()
    entry = RunHandle(trainer, 1).model_entry()
    assert entry.D is not None and entry.D is not trainer.D and not entry.D.training
    assert all(not p.requires_grad for p in entry.D.parameters()) and trainer.D.training
    assert all(torch.equal(a, b) for a, b in zip(entry.D.state_dict().values(), trainer.D.state_dict().values()))
    shipped = entry_from_checkpoint("shipped:dcgan", "dcgan", "shipped", load_checkpoint("dcgan"))
    assert shipped.D is not None and not shipped.D.training


def test_directions_of_a_generator_that_draws_one_image_are_still_unit_vectors():
    """Total mode collapse (every z gives the same digit): no variance to explain, but the sliders still work."""
    from gan_core import GANConfig, build_models

    G, _ = build_models(GANConfig(arch="mlp", latent_dim=5, g_width=4, d_width=4))
    with torch.no_grad():
        G.fc1.weight.zero_()  # z no longer reaches the image
    dirs = principal_directions(G.eval(), n=100, k=3)
    assert np.all(dirs.explained == 0) and np.all(np.isfinite(dirs.effect))
    assert torch.allclose(dirs.vectors.norm(dim=1), torch.ones(3), atol=1e-5)
