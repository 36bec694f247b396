"""Any picture of a digit -> a 28x28 digit prepared the way MNIST's digits were.

MNIST (LeCun et al. 1998) took scanned black-on-white digits and:

1. size-normalised each one to fit a 20x20 box, keeping its aspect ratio, with anti-aliasing
   (so the edges become grey levels), and
2. centred it in a 28x28 field by its *centre of mass* (not its bounding box), on a black
   background with white ink.

A generator trained on MNIST has only ever seen digits like that: a digit drawn in a corner, thin
as a hair or black on white is far from anything G can make, and D has never been asked about it.
`prepare_digit` brings a photo, a scan, a PNG from a paint program or the drawing canvas to the
same format:

    shrink      a big picture goes to 1024 px on its longest side in PIL, in 8 bits, before any float
                arithmetic (JPEGs are even decoded at reduced size); each upload is prepared once
                (`prepare_upload` remembers it by content hash)
    grey        colour / CMYK / 16-bit / palette / transparent images -> one grey channel (8 bit);
                transparent pixels become the background; a photo is turned upright (EXIF)
    invert      if the background is light (the median of the border pixels is above mid-grey),
                ink = 255 - grey, so digits are white on black like MNIST's
    contrast    the background level goes to 0 and the brightest ink to 255; faint speckle
                (below 15 % of the ink level) is cleared
    crop        to the bounding box of the ink (pixels above 30 % of the ink level)
    scale       the longest side to 20 px, aspect kept, with a box (area-averaging) filter
    centre      paste into 28x28 so the centre of mass lands on the centre pixel (13.5, 13.5)

Every step that changed something is reported in `PreparedDigit.notes`, and every picture that
cannot give a digit raises `DigitImageError` with a sentence that says why (not an image, too
big, blank, ...). No Streamlit here: the app and the command line share this.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, UnidentifiedImageError

SIDE = 28  # MNIST's field
BOX = 20  # MNIST's digits fit a 20x20 box inside it
MAX_BYTES = 10 * 1024 * 1024  # 10 MB: a phone photo is 2-5 MB; more is not a digit picture
MAX_PIXELS = 40_000_000  # 40 megapixels, checked before decoding (decompression bombs)
MAX_DECODE_PIXELS = 16_000_000  # decoded at full size (64 MB as RGBA) at most; JPEGs decode reduced (draft)
WORK_SIDE = 1024  # the picture is shrunk to this longest side (by PIL, in 8 bits) before any
# float arithmetic: 1 MP of float64 is 8 MB, 40 MP would be 320 MB an array
CACHE_SIZE = 16  # prepared uploads kept by content hash (the page reruns on every click)
# EXIF orientation -> the transpose that turns the picture upright (EXIF 2.3, tag 0x0112)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
MIN_CONTRAST = 24  # grey levels between background and ink below which a picture is "blank"
INK_LEVEL = 0.30  # fraction of the ink level that counts as ink for the bounding box
SPECKLE_LEVEL = 0.15  # fraction of the ink level below which pixels are cleared (paper grain, noise)


def _(message: str) -> str:
    """`message` in the current language (gan_core.i18n). Imported here, not at the top: tests load digits.py alone
    as a file, without its package, and then the messages stay in English."""
    try:
        from .i18n import _ as translate
    except ImportError:  # loaded as a lone file: no package to import from
        return message
    return translate(message)


class DigitImageError(ValueError):
    """A picture that gives no usable digit; the message says why."""


@dataclass
class PreparedDigit:
    pixels: np.ndarray  # (28, 28) uint8, white digit on black, MNIST-style
    notes: list[str] = field(default_factory=list)  # what was done to get there, for the student
    source_size: tuple[int, int] = (0, 0)  # (width, height) of the picture as given

    def as_unit(self) -> np.ndarray:
        """Pixels in [-1, 1] like the generator's tanh output. (28, 28) float32"""
        import torch  # here, not at the top: preparing an upload stays free of torch

        from .data import to_unit_range

        return to_unit_range(torch.from_numpy(self.pixels)[None])[0, 0].numpy()


# ------------------------------------------------------------------------------------------------
# Decoding: bytes -> one grey channel, float in [0, 255]
# ------------------------------------------------------------------------------------------------
def open_image(data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> tuple[Image.Image, list[str]]:
    """Decode picture bytes (PNG, JPEG, GIF, BMP, WebP, TIFF, ...) with clear refusals."""
    if not isinstance(data, (bytes, bytearray)) or len(data) == 0:
        raise DigitImageError(_("The file is empty."))
    if len(data) > max_bytes:
        raise DigitImageError(
            _(
                "The file is {size:.1f} MB; pictures over {limit:.0f} MB are refused. A digit needs very few "
                "pixels: crop or shrink it first."
            ).format(size=len(data) / 1e6, limit=max_bytes / 1e6)
        )
    try:
        img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise DigitImageError(_("This file is not a picture that can be read (PNG or JPEG expected).")) from None
    except Image.DecompressionBombError:
        raise DigitImageError(_("The picture is too large to open safely.")) from None
    except Exception as exc:  # truncated headers and other decoder errors
        raise DigitImageError(_("The picture could not be read: {error}.").format(error=exc)) from None
    w, h = img.size
    if w * h > max_pixels:
        raise DigitImageError(
            _(
                "The picture is {w} x {h} pixels ({mp:.0f} megapixels); pictures over {limit:.0f} megapixels are "
                "refused. Shrink it first."
            ).format(w=w, h=h, mp=w * h / 1e6, limit=max_pixels / 1e6)
        )
    notes = []
    frames = getattr(img, "n_frames", 1)
    if frames > 1:
        notes.append(_("The picture is animated ({n} frames): its first frame was used.").format(n=frames))
        img.seek(0)
    try:
        orientation = int(img.getexif().get(0x0112) or 1)
    except Exception:  # a broken EXIF block must not lose the picture
        orientation = 1
    try:
        img.draft(img.mode, (WORK_SIDE, WORK_SIDE))  # JPEG: decode at 1/2, 1/4 or 1/8 scale; others: no-op
    except Exception:  # noqa: BLE001 - draft is only an optimisation
        pass
    dw, dh = img.size
    if dw * dh > MAX_DECODE_PIXELS:
        raise DigitImageError(
            _(
                "The picture is {w} x {h} pixels ({mp:.0f} megapixels) as {format}; pictures that decode to over "
                "{limit:.0f} megapixels are refused (JPEG photos up to 40 megapixels are fine). A digit needs very "
                "few pixels: shrink it first."
            ).format(w=w, h=h, mp=w * h / 1e6, format=img.format or _("an image"), limit=MAX_DECODE_PIXELS / 1e6)
        )
    try:
        img.load()
    except Exception as exc:  # truncated or corrupt pixel data
        raise DigitImageError(
            _("The picture's pixels could not be read (corrupt or truncated file): {error}.").format(error=exc)
        ) from None
    img = shrink(img, notes, (w, h))
    if orientation in _UPRIGHT:  # photos: turn upright as the camera saw them
        img = img.transpose(_UPRIGHT[orientation])
    return img, notes


def shrink(img: Image.Image, notes: list[str], original: tuple[int, int] | None = None) -> Image.Image:
    """The picture with its longest side at most WORK_SIDE, by PIL's box filter in the picture's own mode
    (8 bits a channel), so that what follows in float64 stays small. Palette and 1-bit pictures become
    RGBA / grey first: shrinking them as they are would pick pixels instead of averaging them."""
    w, h = img.size
    if max(w, h) <= WORK_SIDE:
        return img
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    elif img.mode == "1":
        img = img.convert("L")
    scale = WORK_SIDE / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    ow, oh = original or (w, h)
    notes.append(
        _("Large picture ({ow} x {oh}) shrunk to {w} x {h} before preparing it.").format(
            ow=ow, oh=oh, w=size[0], h=size[1]
        )
    )
    return img.resize(size, Image.Resampling.BOX, reducing_gap=2.0)


def to_grey(img: Image.Image) -> tuple[np.ndarray, list[str]]:
    """One grey channel in [0, 255] (float64, (H, W)) from any PIL mode; notes on what was converted."""
    notes = []
    mode = img.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16/32-bit grey and float
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        notes.append(_("High bit-depth picture ({mode}) rescaled to 8-bit grey.").format(mode=mode))
        return ((arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)), notes
    if mode == "P":
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float64)  # (H, W, 4)
        alpha = rgba[..., 3] / 255.0
        grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])  # ITU-R 601 luma, as PIL's "L"
        if alpha.min() < 1.0:
            # transparent = background: pick the background that contrasts with the visible ink
            visible = alpha > 0.5
            ink_is_light = visible.any() and np.median(grey[visible]) > 127.5
            back = 0.0 if ink_is_light else 255.0
            grey = alpha * grey + (1.0 - alpha) * back
            notes.append(_("Transparent pixels were treated as background."))
        if mode not in ("LA", "La"):
            notes.append(_("Colour picture converted to grey."))
        return grey, notes
    if mode in ("L", "1"):
        return np.asarray(img.convert("L"), dtype=np.float64), notes
    # RGB, CMYK, YCbCr, LAB, HSV, ...: through RGB to grey
    notes.append(_("Colour picture ({mode}) converted to grey.").format(mode=mode))
    return np.asarray(img.convert("RGB").convert("L"), dtype=np.float64), notes


# ------------------------------------------------------------------------------------------------
# MNIST's preparation on a grey array
# ------------------------------------------------------------------------------------------------
def _border(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    t = max(1, min(h, w) // 20)  # a 5 % frame (at least one pixel)
    return np.concatenate([grey[:t].ravel(), grey[-t:].ravel(), grey[:, :t].ravel(), grey[:, -t:].ravel()])


def centre_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    """(row, col) of the ink's centre of mass, in pixel-index units."""
    m = pixels.astype(np.float64)
    total = m.sum()
    rows, cols = np.indices(m.shape)
    return float((rows * m).sum() / total), float((cols * m).sum() / total)


def mnist_style(grey: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """A grey picture (H, W) in [0, 255] -> (28, 28) uint8 white-on-black digit, centred by mass."""
    notes = []
    grey = np.asarray(grey, dtype=np.float64)
    if grey.ndim != 2 or min(grey.shape) < 1:
        raise DigitImageError(_("Expected a two-dimensional picture."))
    if np.median(_border(grey)) > 127.5:
        grey = 255.0 - grey  # dark ink on light paper -> white on black
        notes.append(_("Colours inverted: the background was light, MNIST's digits are white on black."))
    back = float(np.median(_border(grey)))
    top = float(np.percentile(grey, 99.9)) if grey.size > 1000 else float(grey.max())
    if top - back < MIN_CONTRAST:
        raise DigitImageError(
            _(
                "The picture looks blank: no strokes stand out from the background. "
                "Draw or photograph a digit with dark ink on light paper (or light on dark)."
            )
        )
    ink = np.clip((grey - back) / (top - back), 0.0, 1.0)  # background 0, ink 1
    ink[ink < SPECKLE_LEVEL] = 0.0
    rows = np.flatnonzero((ink > INK_LEVEL).any(axis=1))
    cols = np.flatnonzero((ink > INK_LEVEL).any(axis=0))
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # bounding box of the ink
    h, w = ink.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray((ink * 255.0).astype(np.uint8))
    small = np.asarray(
        img.resize((nw, nh), Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR), dtype=np.float64
    )  # (nh, nw), longest side 20
    if small.max() <= 0:
        raise DigitImageError(_("The strokes are too faint or too thin to survive shrinking to 20 pixels."))
    small = small / small.max() * 255.0
    r, c = centre_of_mass(small)
    top_row = int(round((SIDE - 1) / 2 - r))  # centre of mass -> (13.5, 13.5)
    left_col = int(round((SIDE - 1) / 2 - c))
    top_row = min(max(top_row, 0), SIDE - nh)  # never push the digit off the field
    left_col = min(max(left_col, 0), SIDE - nw)
    out = np.zeros((SIDE, SIDE), dtype=np.float64)
    out[top_row : top_row + nh, left_col : left_col + nw] = small
    return np.clip(np.round(out), 0, 255).astype(np.uint8), notes


def prepare_digit(source) -> PreparedDigit:
    """Bytes of a picture file, a PIL image, or an array ((H, W) grey, (H, W, 3) RGB, (H, W, 4) RGBA,
    values 0..255) -> a PreparedDigit (28x28 uint8, MNIST-style). Raises DigitImageError."""
    notes: list[str] = []
    if isinstance(source, (bytes, bytearray)):
        img, notes = open_image(bytes(source))
    elif isinstance(source, Image.Image):
        img = source
    else:
        arr = np.asarray(source)
        if arr.ndim == 2:
            img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
        elif arr.ndim == 3 and arr.shape[2] in (3, 4):
            img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB" if arr.shape[2] == 3 else "RGBA")
        else:
            raise DigitImageError(
                _("Expected a grey, RGB or RGBA picture; got an array of shape {shape}.").format(shape=arr.shape)
            )
    size = img.size
    img = shrink(img, notes)  # a no-op for decoded files (open_image shrank them)
    grey, more = to_grey(img)
    pixels, more2 = mnist_style(grey)
    return PreparedDigit(pixels, notes + more + more2, size)


_cache: OrderedDict[str, PreparedDigit | DigitImageError] = OrderedDict()
_cache_lock = threading.Lock()


def prepare_upload(data: bytes) -> PreparedDigit:
    """prepare_digit for picture bytes, remembered by their SHA-256 (the last CACHE_SIZE pictures): the app
    reruns its page on every click, and a big picture should be decoded once, not on every rerun. A
    refusal is remembered too. Returns a fresh copy each time (callers may change it)."""
    if not isinstance(data, (bytes, bytearray)):
        raise DigitImageError(_("Expected the bytes of a picture file."))
    key = hashlib.sha256(data).hexdigest()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    if hit is None:
        try:
            hit = prepare_digit(bytes(data))
        except DigitImageError as exc:
            hit = exc
        with _cache_lock:
            _cache[key] = hit
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    if isinstance(hit, DigitImageError):
        raise DigitImageError(str(hit))
    return PreparedDigit(hit.pixels.copy(), list(hit.notes), hit.source_size)


def nearest_digits(query, bank, k: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """The k bank digits closest to one digit in pixel space: (distances (k,), bank rows (k,)), closest first.

    query (28, 28) and bank (M, 28, 28) are uint8; distance = L2 norm of the difference of pixels
    scaled to [0, 1], exact (gan_core.neighbours, which the memorization check in gan_core.metrics
    shares: its leave-one-out distances between real digits say what "close" means).
    """
    from .neighbours import k_nearest  # torch only here: preparing a picture stays free of it

    dist, rows = k_nearest(np.asarray(query)[None], bank, k)  # (1, k) each
    return dist[0], rows[0]
