"""The latent lab's Your digit tab: draw or upload a digit, ask the discriminator about it (gan_core.critic),
and "Find my digit" (gan_ui.lab_find)."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from gan_core import generate
from gan_core.critic import ask_discriminator
from gan_core.digits import DigitImageError, prepare_digit, prepare_upload
from gan_core.i18n import _, format_number

from . import images, lab_find
from .builtin_text import translate_uploader
from .catalogue import ModelEntry
from .choices import keep
from .lab import SOURCE_KEY
from .language import use_language
from .latent import current_label, current_z
from .layout import show_png
from .server import shared_dataset

CANVAS_PX = 280  # the drawing canvas: 10 x MNIST's 28 px
STROKE_PX = 20  # pen width: ~2 px after shrinking to MNIST's 20 px box, like a pen stroke in MNIST
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]
REAL_SEED_KEY = "lab_real_seed"
# The canvas's hover toolbar (upload, undo, redo, pen, bin) sits just above the canvas's top edge, over the
# line of text above it: the hint that says to hover for undo and redo. Room above the canvas keeps both readable.
CANVAS_CSS = "<style>.st-key-lab_canvas_box { padding-top: 1.9rem; }</style>"
CLEAR_KEY = "lab_canvas_number"  # a new canvas key = an empty canvas (works with touch, where there is no hover)


# ---------------------------------------------------------------------------------------------
# Your digit tab
# ---------------------------------------------------------------------------------------------
def _canvas():
    """The drawing canvas, or None where the component cannot run (no browser, package missing)."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:
        st.info(
            _(
                "Drawing needs the streamlit-drawable-canvas package (pip install -r requirements.txt); "
                "you can still upload a picture."
            )
        )
        return None
    try:
        return st_canvas(
            stroke_width=STROKE_PX,
            stroke_color="#FFFFFF",
            background_color="#000000",
            height=CANVAS_PX,
            width=CANVAS_PX,
            drawing_mode="freedraw",
            return_image_data=True,
            key=f"lab_canvas_{st.session_state.get(CLEAR_KEY, 0)}",
            on_change=lambda: st.session_state.update({SOURCE_KEY: "Drawing"}),
        )
    except Exception as exc:  # e.g. a test harness without components: uploading still works
        st.info(
            _("The drawing canvas is not available here ({error}); upload a picture instead.").format(
                error=type(exc).__name__
            )
        )
        return None


def _drawing_pixels(result):
    """The canvas's RGBA pixels, or None while it is empty."""
    if result is None or not (result.json_data or {}).get("objects"):
        return None
    try:
        return result.image_data
    except Exception:
        return None


def your_digit_source(entry: ModelEntry):
    """Draw or upload; returns (PreparedDigit | None, error message | None)."""
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**" + _("Draw a digit") + "**")
        st.caption(_("Draw it large, with the mouse or a finger. Hover over the canvas for undo and redo."))
        st.html(CANVAS_CSS)
        with st.container(key="lab_canvas_box"):
            drawn = _drawing_pixels(_canvas())
        st.button(
            _("Clear the drawing"),
            icon=":material/ink_eraser:",
            key="lab_clear",
            on_click=lambda: st.session_state.update({CLEAR_KEY: int(st.session_state.get(CLEAR_KEY, 0)) + 1}),
        )
    with right:
        st.markdown("**" + _("…or upload a picture of one") + "**")
        st.file_uploader(
            _("A photo, scan or drawing of one digit (any size, either colours)"),
            type=UPLOAD_TYPES,
            key="lab_upload",
            on_change=lambda: st.session_state.update({SOURCE_KEY: "Upload"}),
        )
        translate_uploader("lab_upload", UPLOAD_TYPES)
        keep(SOURCE_KEY)  # through a change of language ("Drawing", "Upload" are translated)
        if st.session_state.get(SOURCE_KEY) is None:
            st.session_state[SOURCE_KEY] = "Drawing"
        st.segmented_control(
            _("Use"),
            ["Drawing", "Upload"],
            key=SOURCE_KEY,
            format_func=lambda s: {"Drawing": _("Drawing"), "Upload": _("Upload")}[s],
            help=_("The last one you changed is used; switch here to compare."),
        )
    source = st.session_state.get(SOURCE_KEY) or "Drawing"
    if source == "Upload":
        file = st.session_state.get("lab_upload")
        if file is None:
            return None, None
        try:
            return prepare_upload(file.getvalue()), None  # decoded once per picture, not per rerun
        except DigitImageError as exc:
            return None, f"{file.name}: {exc}"  # a file name and gan_core's (translated) reason
    if drawn is None:
        return None, None
    try:
        return prepare_digit(np.asarray(drawn)[..., 0]), None  # white strokes on opaque black: one channel
    except DigitImageError as exc:
        return None, _("Your drawing: {error}").format(error=exc)


def _real_digit(entry: ModelEntry, label: int | None) -> np.ndarray | None:
    try:
        data = shared_dataset(entry.config.dataset)
    except Exception:
        return None
    rows = torch.arange(len(data)) if label is None else torch.nonzero(data.labels == label).flatten()
    if len(rows) == 0:
        return None
    seed = int(st.session_state.get(REAL_SEED_KEY, 0))
    i = int(torch.randint(len(rows), (1,), generator=torch.Generator().manual_seed(seed)))
    return data.images[rows[i]].numpy()


def _predicted_label(pixels: np.ndarray) -> int:
    """What the shipped digit classifier reads in the digit (0 without a classifier)."""
    try:
        from gan_core.classifier import default_classifier, predict

        probs, _ = predict(default_classifier(), torch.as_tensor(pixels)[None])
        return int(probs[0].argmax())
    except Exception:  # no classifier: start the picker at 0
        return 0


def ask_d_panel(entry: ModelEntry, mine: np.ndarray) -> None:
    st.subheader(_("Ask the discriminator"), divider="gray")
    if entry.D is None:
        st.info(
            _(
                "This model's file carries no discriminator (only G was saved), so there is no D to ask. "
                "Shipped models and runs trained here keep theirs."
            ),
            icon=":material/info:",
        )
        return
    label = None  # the digit D is told (a conditional D only)
    if entry.config.conditional:
        key, digest = "lab_d_label", mine.tobytes()
        if st.session_state.get("lab_d_label_for") != digest:  # a new digit: start from what it looks like
            st.session_state[key] = _predicted_label(mine)
            st.session_state["lab_d_label_for"] = digest
        label = st.pills(
            _("Which digit is it? (a conditional D judges 'a real digit of this class')"),
            list(range(entry.config.num_classes)),
            key=key,
        )
        label = 0 if label is None else int(label)
        same_class = label
    else:  # a real digit of the class the digit classifier reads in yours: like for like
        same_class = _predicted_label(mine) if entry.config.dataset == "mnist" else None
    z = current_z(entry.latent_dim)
    g_label = current_label() if entry.infogan else label  # an InfoGAN G draws the Explore code; its D never sees one
    fake = generate(entry.G, z, g_label)[0].numpy()
    real = _real_digit(entry, same_class)
    shown = [(_("Your digit"), mine), (_("A real digit"), real), (_("G's digit (the slider z)"), fake)]
    shown = [(name, px) for name, px in shown if px is not None]
    scores = ask_discriminator(entry.D, np.stack([px for _, px in shown]), entry.config.loss, label)
    cols = st.columns(len(shown))
    for col, (name, px), score in zip(cols, shown, scores):
        with col:
            show_png(images.digit_png(px, 5), width=140)
            value = format_number(score.probability, 2) if score.probability is not None else f"{score.logit:+.2f}"
            st.metric(name, value)
    st.caption(
        scores[0].scale
        + ". "
        + _(
            "D was trained to separate the training digits from G's fakes: it is not a "
            "digit reader, and at the end of a good training it is meant to be unsure."
        )
    )
    st.button(
        _("Another real digit"),
        icon=":material/casino:",
        key="lab_real_again",
        on_click=lambda: st.session_state.update({REAL_SEED_KEY: int(st.session_state.get(REAL_SEED_KEY, 0)) + 1}),
    )


@st.fragment
def your_digit_tab(entry: ModelEntry) -> None:
    use_language()  # a fragment rerun does not pass through frame.navigation
    st.caption(
        _(
            "Draw a digit or upload a picture of one. It is prepared the way MNIST's digits were: grey, white on "
            "black, cropped, longest side 20 px, centred by its centre of mass in 28 × 28."
        )
    )
    prepared, error = your_digit_source(entry)
    if error:
        st.error(error, icon=":material/error:")
        return
    if prepared is None:
        st.info(
            _(
                "Draw a digit on the canvas or upload a picture to ask the discriminator about it and find it in "
                "the latent space."
            ),
            icon=":material/draw:",
        )
        return
    c1, c2 = st.columns([1, 3], vertical_alignment="center")
    with c1:
        show_png(images.digit_png(prepared.pixels, 5), width=140, caption=_("Your digit, MNIST-style"))
    with c2:
        for note in prepared.notes:
            st.caption("· " + note)
    ask_d_panel(entry, prepared.pixels)
    lab_find.find_panel(entry, prepared.pixels)
