"""Pictures uploaded to "Your digit" (and given to `invert --image`), through gan_core.digits.prepare_upload,
the function the Lab page calls with the uploaded file's bytes.

The big ones are measured in a child process that imports only digits.py (numpy and PIL): its peak
resident memory while preparing the picture must stay within 200 MB of what it held before, and a
second upload of the same bytes must not decode the picture again.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from campaign import CRASH
from campaign_inputs import big_rgba_png, digit_picture, png
from PIL import Image, ImageDraw

from gan_core import digits
from gan_core.digits import DigitImageError, prepare_upload

DIGITS_PY = Path(digits.__file__)
MAX_GROWTH_MB = 200  # the bound on one upload's extra resident memory


def _stroke(size, mode, fmt, back, ink, **kw) -> bytes:
    img = Image.new(mode, size, back)
    w, h = size
    ImageDraw.Draw(img).line([(w // 3, h // 5), (w // 2, 4 * h // 5)], fill=ink, width=max(3, min(w, h) // 30))
    return png(img, fmt, **kw)


BIG = {  # name -> (picture bytes maker, expected: None = accepted, else a fragment of the refusal)
    "6300 x 6300 RGBA PNG, 154 kB": (big_rgba_png, "megapixels"),
    "4000 x 4000 RGBA PNG": (lambda: big_rgba_png(4000), None),
    "7000 x 5000 JPEG photo": (lambda: _stroke((7000, 5000), "RGB", "JPEG", (250, 250, 250), (20, 20, 20)), None),
    "9000 x 9000 1-bit bomb": (lambda: _stroke((9000, 9000), "1", "PNG", 1, 0), "megapixels"),
    "4000 x 3000 16-bit grey PNG": (lambda: _stroke((4000, 3000), "I;16", "PNG", 60000, 1000), None),
    "4000 x 4000 palette PNG": (
        lambda: png(Image.open(io.BytesIO(_stroke((4000, 4000), "L", "PNG", 255, 0))).convert("P")),
        None,
    ),
}

CHILD = textwrap.dedent("""
    import importlib.util, json, sys
    spec = importlib.util.spec_from_file_location("digits_alone", sys.argv[1])
    digits = sys.modules["digits_alone"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(digits)
    data = open(sys.argv[2], "rb").read()
    decodes = []
    real = digits.prepare_digit
    digits.prepare_digit = lambda source: decodes.append(1) or real(source)
    def peak_mb():         # this process's peak RSS (VmHWM: ru_maxrss would start at the parent's, kept across exec)
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    before = peak_mb()
    out = {}
    for attempt in range(2):                 # the page reruns: the same upload again
        try:
            d = digits.prepare_upload(data)
            out = {"ok": True, "notes": d.notes, "ink": int(d.pixels.max()), "shape": list(d.pixels.shape)}
        except digits.DigitImageError as exc:
            out = {"ok": False, "error": str(exc)}
    out["growth_mb"] = peak_mb() - before
    out["decodes"] = len(decodes)
    print(json.dumps(out))
""")


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(BIG))
def test_a_big_upload_stays_within_memory_and_is_decoded_once(name, tmp_path):
    make, fragment = BIG[name]
    picture = tmp_path / "upload.bin"
    picture.write_bytes(make())
    assert picture.stat().st_size < digits.MAX_BYTES
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(DIGITS_PY), str(picture)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"{CRASH}: {proc.stderr[-3000:]}"
    got = json.loads(proc.stdout)
    assert got["growth_mb"] <= MAX_GROWTH_MB, got
    assert got["decodes"] == 1
    if fragment is None:
        assert got["ok"], got
        assert got["shape"] == [28, 28]
        assert got["ink"] == 255
        assert any("shrunk to" in n for n in got["notes"]), got["notes"]
    else:
        assert not got["ok"], got
        assert fragment in got["error"]


def _gif(mnist) -> bytes:
    frames = [digit_picture(mnist, i, 120).convert("P") for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def _exif_rotated(mnist) -> bytes:
    img = digit_picture(mnist, 0, 200).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    return png(img.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif.tobytes())


SMALL = {  # name -> (picture bytes from the mnist digits, refusal fragment or None)
    "an empty file": (lambda m: b"", "empty"),
    "text": (lambda m: b"I am not a picture, honest", "not a picture"),
    "a PNG signature only": (lambda m: b"\x89PNG\r\n\x1a\n" + bytes(40), "not a picture"),
    "half a PNG": (lambda m: png(digit_picture(m, 1, 400))[:2000], "could not be read"),
    "11 MB": (lambda m: b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024), "pictures over 10 MB"),
    "a white page": (lambda m: png(Image.new("L", (300, 200), 250)), "looks blank"),
    "a black page": (lambda m: png(Image.new("L", (300, 200), 0)), "looks blank"),
    "a fully transparent page": (lambda m: png(Image.new("RGBA", (100, 100), (0, 0, 0, 0))), "looks blank"),
    "paper grain": (
        lambda m: png(Image.fromarray(np.random.default_rng(1).integers(200, 215, (90, 90)).astype(np.uint8))),
        "looks blank",
    ),
    "one pixel": (lambda m: png(Image.new("L", (1, 1), 255)), "looks blank"),
    "a PDF": (lambda m: b"%PDF-1.4\n1 0 obj<<>>endobj\n", "not a picture"),
    "a digit, PNG": (lambda m: png(digit_picture(m, 0)), None),
    "a digit, JPEG": (lambda m: png(digit_picture(m, 1).convert("RGB"), "JPEG"), None),
    "a digit, BMP": (lambda m: png(digit_picture(m, 2), "BMP"), None),
    "a digit, TIFF": (lambda m: png(digit_picture(m, 3), "TIFF"), None),
    "a digit, WebP": (lambda m: png(digit_picture(m, 4).convert("RGB"), "WEBP"), None),
    "a digit, CMYK JPEG": (lambda m: png(digit_picture(m, 5).convert("CMYK"), "JPEG"), None),
    "a digit, LA": (lambda m: png(digit_picture(m, 6).convert("LA")), None),
    "a digit, 1-bit": (lambda m: png(digit_picture(m, 7).point(lambda v: 255 if v > 128 else 0).convert("1")), None),
    "a digit, white on black": (lambda m: png(Image.fromarray(m.images[8].numpy()).resize((140, 140))), None),
    "a digit, animated GIF": (_gif, None),
    "a digit, EXIF-rotated photo": (_exif_rotated, None),
    "a 1 x 5000 line": (lambda m: png(Image.new("L", (1, 5000), 0)), "looks blank"),
    "a 5000 x 30 strip with a stroke": (lambda m: _stroke((5000, 30), "L", "PNG", 255, 0), None),
}


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(SMALL))
def test_an_upload(name, mnist):
    make, fragment = SMALL[name]
    data = make(mnist)
    try:
        got = prepare_upload(data)
    except DigitImageError as exc:
        assert fragment is not None, f"refused: {exc}"
        assert fragment in str(exc)
        return
    except Exception as exc:  # noqa: BLE001 - the point of the suite
        raise AssertionError(f"{CRASH}: {type(exc).__name__}: {exc}") from exc
    assert fragment is None, f"accepted; expected a refusal mentioning {fragment!r}"
    assert got.pixels.shape == (28, 28)
    assert got.pixels.max() == 255  # ink scaled to full white, like MNIST's
    assert got.pixels[:2].max() < 64  # a black margin: the digit sits in the middle


def test_the_exif_rotated_photo_is_turned_upright(mnist):
    upright = prepare_upload(png(digit_picture(mnist, 0, 200)))
    rotated = prepare_upload(_exif_rotated(mnist))
    diff = np.abs(upright.pixels.astype(int) - rotated.pixels.astype(int)).mean()
    assert diff < 12, diff  # the same digit (JPEG noise aside), not a sideways one


def test_a_shrunk_picture_gives_the_digit_the_small_one_gives(mnist):
    """Shrinking in PIL first changes nothing a student could see: 3000 px and 300 px pictures of one digit agree."""
    small = prepare_upload(png(digit_picture(mnist, 9, 300)))
    big = prepare_upload(png(digit_picture(mnist, 9, 3000)))
    assert any("shrunk to" in n for n in big.notes)
    assert np.abs(small.pixels.astype(int) - big.pixels.astype(int)).mean() < 6
