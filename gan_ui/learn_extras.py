"""The Learn page's lesson-specific panels: walking the latent space (lesson 6) and GANs as data
augmentation (lesson 8: a digit classifier trained with and without generated digits)."""

from __future__ import annotations

import streamlit as st

from gan_core.augment import run_augmentation
from gan_core.i18n import N_, _
from gan_core.sampling import generate, interpolate, sample_z, sweep

from . import images, settings
from .catalogue import shipped_entry
from .layout import page_link, show_png
from .server import shared_dataset


def latent_panel() -> None:
    entry = shipped_entry("dcgan")
    ss = st.session_state
    ss.setdefault("learn_pair", 0)
    c1, c2 = st.columns([1, 3], vertical_alignment="center")
    c1.button(
        _("Two new points"),
        icon=":material/casino:",
        key="learn_new_pair",
        on_click=lambda: ss.update(learn_pair=ss["learn_pair"] + 1),
    )
    c2.caption(
        _("The shipped `dcgan` generator ({dim}-d z). Pair #{pair}.").format(
            dim=entry.latent_dim, pair=ss["learn_pair"] + 1
        )
    )
    z = sample_z(2, entry.latent_dim, seed=1000 + ss["learn_pair"])  # (2, latent)
    strip = generate(entry.G, interpolate(z[0], z[1], 9, "slerp")).numpy()  # (9, 28, 28)
    show_png(images.strip_png(strip, scale=4), width="stretch", caption=_("z₀ → z₁ along the sphere (slerp), 9 steps."))
    dim = st.slider(
        _("What does dimension k do?"),
        1,
        entry.latent_dim,
        1,
        key="learn_dim",
        help=_("Sweep one coordinate of z₀ from −3 to 3, all others fixed."),
    )
    row = generate(entry.G, sweep(z[0], dim - 1, 9)).numpy()
    show_png(
        images.strip_png(row, scale=4),
        width="stretch",
        caption=_("z₀ with dimension {dim} swept from −3 to +3.").format(dim=dim),
    )
    page_link("explore", _("Open Explore: a slider for every dimension"))


# the result table's columns (ids; shown translated)
REAL_ONLY, REAL_GEN, DIFF = N_("real only"), N_("real + generated"), N_("difference (points)")


@st.cache_data(max_entries=4, show_spinner=False)
def _augment(n_real: int, n_fake: int, n_test: int, seeds: tuple) -> dict:
    """The experiment's result (deterministic in its arguments, so cached for every session)."""
    data = shared_dataset("mnist")
    result = run_augmentation(
        data, n_real=n_real, n_fake=n_fake, n_test=n_test, seeds=seeds, steps=20 if settings.test_mode() else 300
    )
    return {
        "result": result,  # its summary() is drawn in the reader's language
        "seconds": result.seconds,
        "rows": [
            {"seed": t.seed, REAL_ONLY: t.acc_real, REAL_GEN: t.acc_aug, DIFF: 100 * t.gain} for t in result.trials
        ],
    }


AUGMENT_SIZES = {  # label -> (real digits, generated digits, test digits, seeds)
    N_("Quick: 1 seed"): (200, 1000, 1000, (0,)),
    N_("Full: 3 seeds"): (200, 1000, 1000, (0, 1, 2)),
}
TEST_AUGMENT = (100, 500, 500, (0,))


def augment_panel() -> dict | None:
    size = st.segmented_control(
        _("Size"),
        list(AUGMENT_SIZES),
        key="learn_augment_size",
        default="Quick: 1 seed",
        required=True,
        format_func={k: _(k) for k in AUGMENT_SIZES}.get,  # labels in this run's language
    )
    n_real, n_fake, n_test, seeds = TEST_AUGMENT if settings.test_mode() else AUGMENT_SIZES[size]
    st.caption(
        _(
            "{n_real} real digits (class-balanced) vs the same plus {n_fake} digits from the shipped `cdcgan`; "
            "tested on {n_test} other real digits; {seeds} seed(s). Each seed trains the classifier twice: "
            "a minute or more per seed on a CPU (several on a busy one). A result, once computed, is kept for "
            "everyone on this server."
        ).format(n_real=n_real, n_fake=n_fake, n_test=n_test, seeds=len(seeds))
    )
    ss = st.session_state
    if st.button(_("Run the experiment"), icon=":material/science:", key="learn_augment"):
        try:
            with st.spinner(_("Training the digit classifier with and without generated digits…")):
                ss["learn_augment_result"] = _augment(n_real, n_fake, n_test, seeds)
        except Exception as exc:  # a missing generator file, ...: say so, never a traceback
            st.error(_("The experiment could not run: {error}").format(error=exc), icon=":material/error:")
    result = ss.get("learn_augment_result")
    if result:
        result = dict(result, summary=result["result"].summary())
        names = {"seed": _("seed"), REAL_ONLY: _(REAL_ONLY), REAL_GEN: _(REAL_GEN), DIFF: _(DIFF)}
        st.dataframe(
            [{names[k]: v for k, v in row.items()} for row in result["rows"]],
            hide_index=True,
            width="stretch",
            column_config={
                names[REAL_ONLY]: st.column_config.NumberColumn(format="percent"),
                names[REAL_GEN]: st.column_config.NumberColumn(format="percent"),
                names[DIFF]: st.column_config.NumberColumn(format="%+.1f"),
            },
        )
        st.markdown(result["summary"])
    return result
