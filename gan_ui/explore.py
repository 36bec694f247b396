"""The Explore page: a trained generator's latent space, one slider per dimension of z.

Everything on this page samples from read-only generators (eval mode, CPU) under
torch.inference_mode(), via gan_core.sampling. The sliders, the digit and the dimension sweep
live in one `@st.fragment`, so moving a slider re-renders that panel only.

The "Training timeline" tab needs no training: every model file (shipped ones included) carries a
few snapshots of G along its training, and the tab scrubs through them (the same 64 noise vectors
at each saved step) and draws one pinned z by every snapshot, from noise to digit.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from gan_core import CheckpointError, generate, interpolate
from gan_core.config import DEFAULT_PRESET
from gan_core.sampling import LATENT_RANGE

from . import images, inside_view, lab, scrub, state
from .catalogue import ModelEntry, catalogue, upload_entry
from .latent import (
    LABEL_KEY,
    current_label,
    current_z,
    format_z,
    parse_z,
    random_z,
    set_z,
    z_key,
)
from .layout import page_link, show_png

VISIBLE_DIMS = 8  # sliders shown at once; the rest sit behind "More dimensions"
SLIDER_STEP = 0.05
TIMELINE_SEED = 0  # the fixed noise of the timeline grid: the same 64 z at every step

MODEL_KEY = "explore_model"
PIN_KEY = "timeline_z"
MORE_KEY = "more_dims_open"


# ---------------------------------------------------------------------------------------------
# Slider callbacks
# ---------------------------------------------------------------------------------------------
def _on_random(dim: int) -> None:
    set_z(random_z(dim))
    st.session_state.pop("z_paste_msg", None)


def _on_zero(dim: int) -> None:
    set_z([0.0] * dim)
    st.session_state.pop("z_paste_msg", None)


def _on_paste(dim: int) -> None:
    """Apply the pasted text; a bad string leaves z and the text untouched and explains why."""
    text = st.session_state.get("z_paste", "")
    try:
        values = parse_z(text, dim)
    except ValueError as exc:
        st.session_state["z_paste_msg"] = ("error", str(exc))
        return
    set_z(values)
    st.session_state["z_paste_msg"] = ("ok", "Pasted z applied.")


def _on_scrub_release(z: list[float], label: int | None) -> None:
    """Scrub mode let go of a slider (or picked a digit): the server's z and digit follow the browser's."""
    set_z(z)
    if label is not None:
        st.session_state[LABEL_KEY] = label
    st.session_state.pop("z_paste_msg", None)


def _labels_for(entry: ModelEntry):
    return current_label() if entry.conditional else None


def class_order(entry: ModelEntry) -> list[int]:
    """The class inputs in the order the page shows them: digits 0-9 for a conditional G; an InfoGAN's codes
    sorted by the digit each draws (code 0 of the shipped InfoGAN draws an 8), or 0, 1, ... unnamed."""
    digits = entry.code_digits() if entry.infogan else None
    codes = list(range(entry.num_classes))
    if digits is None:
        return codes
    return sorted(codes, key=lambda c: (digits[c] is None, digits[c] if digits[c] is not None else 0, c))


def code_names(entry: ModelEntry) -> dict[int, str]:
    """What each class input is called: the digit for a conditional G; for an InfoGAN the digit its code draws
    ("8"), with the code when two codes draw the same digit ("8 (c0)"), or "c0" where no digit could be told."""
    codes = range(entry.num_classes)
    if not entry.infogan:
        return {c: str(c) for c in codes}
    digits = entry.code_digits()
    if digits is None:
        return {c: f"c{c}" for c in codes}
    shared = {d for d in digits if d is not None and digits.count(d) > 1}
    return {
        c: (f"c{c}" if digits[c] is None else f"{digits[c]} (c{c})" if digits[c] in shared else str(digits[c]))
        for c in codes
    }


def crisp_start(entry: ModelEntry, candidates: int = 16, seed: int = 7) -> list[float]:
    """A fixed z whose digit reads clearly: of a few seeded draws, the one the shipped digit classifier
    is surest about (or, without it, the one with the fewest grey pixels).

    A first-time visitor should see a digit, not a smudge; the choice is deterministic per model.
    """
    rng = np.random.default_rng(seed)
    zs = torch.tensor([random_z(entry.latent_dim, rng) for _ in range(candidates)])  # (n, latent)
    px = generate(entry.G, zs, _labels_for(entry))  # (n, 28, 28) uint8
    score = torch.minimum(px.float(), 255 - px.float()).mean(dim=(1, 2))  # low = crisp black and white
    if entry.config.dataset == "mnist":
        try:
            from gan_core.classifier import default_classifier, predict

            probs, _ = predict(default_classifier(), px)  # (n, 10)
            score = -probs.max(dim=1).values
        except Exception:  # no shipped classifier (or an unreadable one): the pixel rule will do
            pass
    return zs[int(torch.argmin(score))].tolist()


def init_model_state(entry: ModelEntry) -> None:
    """On first view of a model (or a switch to another), start from a fixed, good-looking z."""
    if st.session_state.get("explore_loaded") == entry.key:
        return
    rng = np.random.default_rng(7)
    set_z(crisp_start(entry))
    st.session_state["interp_a"] = random_z(entry.latent_dim, rng)
    st.session_state["interp_b"] = random_z(entry.latent_dim, rng)
    st.session_state["gallery_seed"] = 0
    st.session_state["sweep_dim"] = 1
    st.session_state.pop("z_paste_msg", None)
    st.session_state.pop(PIN_KEY, None)  # the timeline pins this model's start z
    st.session_state["explore_loaded"] = entry.key


# ---------------------------------------------------------------------------------------------
# Model picker and upload
# ---------------------------------------------------------------------------------------------
def _on_upload() -> None:
    file = st.session_state.get("model_upload")
    if file is None:
        return
    store = state.session_store()
    try:
        entry = upload_entry(file.getvalue(), file.name, store.next_upload_number())
    except CheckpointError as exc:
        st.session_state["upload_msg"] = ("error", f"Could not open {file.name}: {exc}")
        return
    store.add_model(entry)
    st.session_state[MODEL_KEY] = entry.key
    st.session_state["upload_msg"] = ("ok", f"Opened {file.name}.")


DEFAULT_MODEL = f"shipped:{DEFAULT_PRESET}"  # Explore opens on the default recipe's model: it draws the digit asked for


def model_picker(models: dict[str, ModelEntry]) -> ModelEntry | None:
    keys = list(models)
    if keys and st.session_state.get(MODEL_KEY) not in keys:
        st.session_state[MODEL_KEY] = DEFAULT_MODEL if DEFAULT_MODEL in keys else keys[0]
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    key = None
    with left:
        if keys:
            key = st.selectbox(
                "Generator",
                keys,
                key=MODEL_KEY,
                format_func=lambda k: models[k].label,
                help="Shipped generators, runs trained in this tab, and uploaded .safetensors files.",
            )
    with right:
        with st.popover("Upload a model", icon=":material/upload:", width="stretch"):
            st.file_uploader(
                "A .safetensors file saved by GAN Classroom",
                type=["safetensors"],
                key="model_upload",
                on_change=_on_upload,
            )
    msg = st.session_state.get("upload_msg")
    if msg:
        (st.error if msg[0] == "error" else st.success)(msg[1])
        if msg[0] == "ok":
            st.session_state.pop("upload_msg")
    if key is None:
        return None
    entry = models[key]
    st.caption(entry.describe())
    data = entry.info.get("data") if isinstance(entry.info.get("data"), str) else None
    st.caption(
        f":material/database: Trained on {data}."
        if data
        else ":material/database: Its file does not say which images it was trained on."
    )
    return entry


# ---------------------------------------------------------------------------------------------
# Panels
# ---------------------------------------------------------------------------------------------
def _slider(k: int) -> None:
    # value=0.0 is only the fallback: the key's session-state value always wins. Giving it spares Streamlit
    # a copy of the whole session state per slider (it builds one to guess "single or range" when value is
    # None), a measurable share of every slider move's rerun with 16 sliders (bench/slider_latency.py).
    st.slider(
        f"z{k + 1}",
        -LATENT_RANGE,
        LATENT_RANGE,
        value=0.0,
        step=SLIDER_STEP,
        key=z_key(k),
        format="%.2f",
        persist_state="session",
    )


def _slider_grid(dims: range, ncols: int = 2) -> None:
    cols = st.columns(ncols, gap="medium")
    for i, k in enumerate(dims):
        with cols[i % ncols]:
            _slider(k)


# On a phone Streamlit stacks columns in order, which put the digit under 8-16 sliders (1,480 px down at 390 px)
# and let the tab row run off the screen (Directions, Your digit out of sight). Below 640 px: the digit's column
# comes first, and the tabs wrap onto a second line.
PHONE_CSS = """
<style>
@media (max-width: 640px) {
  [data-testid="stColumn"]:has(.st-key-explore_digit) { order: -1; }
  [data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; row-gap: 0.2rem; }
}
</style>
"""


@st.fragment
def latent_panel(entry: ModelEntry) -> None:
    """Sliders, the digit they make, and what one dimension does: re-rendered alone on every slider move."""
    dim = entry.latent_dim
    left, right = st.columns([3, 2], gap="large")
    with left:
        b1, b2, b3 = st.columns(3)
        b1.button(
            "Random z",
            icon=":material/casino:",
            on_click=_on_random,
            args=(dim,),
            width="stretch",
            help="Draw a new z from the prior N(0, I).",
        )
        b2.button(
            "Reset to zero",
            icon=":material/restart_alt:",
            on_click=_on_zero,
            args=(dim,),
            width="stretch",
            help="z = 0: the centre of the prior.",
        )
        with b3.popover("Copy / paste z", icon=":material/content_paste:", width="stretch"):
            st.caption("This z (copy it with the icon at the right of the box):")
            st.code(format_z(current_z(dim).tolist()), language="json", wrap_lines=True)
            st.text_input("Paste a z", key="z_paste", placeholder="[0.5, -1.2, ...] or 0.5, -1.2, ...")
            st.button("Use the pasted z", on_click=_on_paste, args=(dim,))
            msg = st.session_state.get("z_paste_msg")
            if msg:
                (st.error if msg[0] == "error" else st.success)(msg[1])
        scrub_off = True
        if st.toggle(
            "Scrub mode (runs in your browser)",
            key="scrub_mode",
            help="G runs inside your browser, so dragging a slider redraws the digit at once, with no "
            "trip to the server. When you let go, the server's z and digit follow.",
        ):
            why = scrub.scrub_panel(
                entry.G, current_z(dim).tolist(), _labels_for(entry), _on_scrub_release, visible=VISIBLE_DIMS
            )
            scrub_off = why is not None
            if why:
                st.info(
                    f"Scrub mode is unavailable: {why}. The server sliders below work as usual.", icon=":material/info:"
                )
        if scrub_off:
            _slider_grid(range(min(dim, VISIBLE_DIMS)))
            if dim > VISIBLE_DIMS:
                # Lazy, like "Look inside": a closed panel's sliders are not drawn, so a slider move does not
                # re-send them, to the server's or the browser's cost (slider p95 under 30 sessions: BENCHMARKS.md,
                # bench/classroom_load.py). Their values stay in session state (persist_state), and z and the
                # digit always use every dimension.
                more = st.expander(f"More dimensions ({dim - VISIBLE_DIMS} more)", key=MORE_KEY, on_change="rerun")
                if more.open:
                    with more:
                        _slider_grid(range(VISIBLE_DIMS, dim), ncols=4)
    z = current_z(dim)
    with right, st.container(key="explore_digit"):
        order = class_order(entry)
        if entry.conditional:
            names = code_names(entry)
            if entry.infogan:
                st.pills(
                    "Code c, named by the digit it draws (G learned the codes without labels)",
                    order,
                    key=LABEL_KEY,
                    default=order[0],
                    format_func=names.get,
                    persist_state="session",
                )
            else:
                st.pills("Digit to draw", order, key=LABEL_KEY, default=0, persist_state="session")
        labels = _labels_for(entry)
        k = _sweep_dim(dim)  # the selectbox below: its value is in session state already
        views = images.z_views(entry.G, z, k - 1, labels, entry.num_classes if entry.conditional else None, order)
        show_png(views.digit_png(), width=28 * images.DIGIT_SCALE, caption="G(z): the generator's output for this z")
        st.download_button(
            "Download digit (PNG)",
            lambda: views.digit_png(images.DIGIT_SCALE),
            file_name="digit.png",
            mime="image/png",
            icon=":material/download:",
            on_click="ignore",
            key="dl_digit",
        )
    inside_view.inside_panel(entry, z, labels)

    st.subheader("What does one dimension do?", divider="gray")
    c1, c2 = st.columns([1, 5], vertical_alignment="center")
    with c1:
        st.selectbox("Dimension", list(range(1, dim + 1)), key="sweep_dim", format_func=lambda i: f"z{i}")
    with c2:
        show_png(
            views.sweep_png(),
            width="stretch",
            caption=f"z{k} swept from −3σ to +3σ, every other coordinate held where the sliders put it",
        )
    st.download_button(
        "Download strip (PNG)",
        lambda: views.sweep_png(4),
        file_name=f"sweep-z{k}.png",
        mime="image/png",
        icon=":material/download:",
        on_click="ignore",
        key="dl_sweep",
    )

    if entry.infogan:
        st.subheader(f"Same z, all {entry.num_classes} codes", divider="gray")
        named = entry.code_digits() is not None
        show_png(
            views.classes_png(),
            width="stretch",
            caption=(
                "Codes in the order of the digits they draw: "
                + ", ".join(code_names(entry)[c] for c in class_order(entry))
                + ". "
                if named
                else "Codes c0, c1, … left to right. "
            )
            + "Nobody told G which digit is which: maximising the mutual information between c and the "
            "picture made each code one kind of digit, in an order of its own.",
        )
    elif entry.conditional:
        st.subheader("Same z, all ten digits", divider="gray")
        show_png(
            views.classes_png(),
            width="stretch",
            caption="z sets the style (slant, thickness); the label sets the class",
        )


def _sweep_dim(dim: int) -> int:
    """The "Dimension" selectbox's value (1-based), read before the box is drawn: the digit above it and the
    strip below it come from one batched pass of G. A value out of range (another model) falls back to 1."""
    k = st.session_state.get("sweep_dim")
    if not isinstance(k, int) or not 1 <= k <= dim:
        k = st.session_state["sweep_dim"] = 1
    return k


@st.fragment
def morph_panel(entry: ModelEntry, za: torch.Tensor, zb: torch.Tensor) -> None:
    """One digit part-way from A to B (spherical), re-rendered alone as the morph slider moves."""
    labels = _labels_for(entry)
    c1, c2 = st.columns([2, 1], vertical_alignment="center")
    with c1:
        t = st.slider("Morph from A (0) to B (1)", 0.0, 1.0, 0.5, step=0.02, key="morph_t")
        mode = st.radio(
            "Path",
            ["slerp", "lerp"],
            horizontal=True,
            key="morph_mode",
            format_func=lambda m: {"slerp": "spherical (slerp)", "lerp": "linear (lerp)"}[m],
        )
    path = interpolate(za, zb, 51, mode)  # (51, latent)
    digit = generate(entry.G, path[round(t * 50)], labels)[0].numpy()
    with c2:
        show_png(images.digit_png(digit, 7), width=196, caption=f"t = {t:.2f}")


def interpolation_tab(entry: ModelEntry) -> None:
    dim = entry.latent_dim
    st.caption(
        "Walk from one point of latent space to another. The straight line (lerp) cuts through the "
        "middle of the prior, where G saw few training points; the great circle (slerp) stays on the shell "
        "where almost all z live."
    )

    def new_pair():
        st.session_state["interp_a"], st.session_state["interp_b"] = random_z(dim), random_z(dim)

    def from_current():
        st.session_state["interp_a"] = current_z(dim).tolist()
        st.session_state["interp_b"] = random_z(dim)

    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    c1.button("Two random points", icon=":material/casino:", on_click=new_pair, width="stretch")
    c2.button(
        "From the slider z",
        icon=":material/tune:",
        on_click=from_current,
        width="stretch",
        help="A = the z of the sliders, B = a new random z.",
    )
    with c3:
        n = st.slider("Frames", 5, 15, 9, key="interp_n")
    za = torch.tensor(st.session_state["interp_a"], dtype=torch.float32)
    zb = torch.tensor(st.session_state["interp_b"], dtype=torch.float32)
    labels = _labels_for(entry)
    for mode, title in (("lerp", "Linear (lerp)"), ("slerp", "Spherical (slerp)")):
        strip = generate(entry.G, interpolate(za, zb, n, mode), labels).numpy()
        png = images.strip_png(strip, scale=4)
        st.markdown(f"**{title}**: A → B")
        show_png(png, width="stretch")
        st.download_button(
            f"Download {mode} strip (PNG)",
            png,
            file_name=f"interpolation-{mode}.png",
            mime="image/png",
            on_click="ignore",
            key=f"dl_{mode}",
            icon=":material/download:",
        )
    st.subheader("Morph", divider="gray")
    morph_panel(entry, za, zb)


def gallery_tab(entry: ModelEntry) -> None:
    cfg = entry.config
    if entry.conditional:
        st.caption(
            "Random z, each column one InfoGAN code (learned without labels), in the order of the digits they "
            "draw: " + ", ".join(code_names(entry)[c] for c in class_order(entry)) + "."
            if entry.infogan
            else "64 random z, each column one digit class: what this generator draws, at a glance."
        )
        ncol = entry.num_classes
        n = ncol * 6
        labels = torch.as_tensor(class_order(entry))[torch.arange(n) % ncol]
    else:
        st.caption("64 random z: what this generator draws, at a glance. Many near-identical digits = mode collapse.")
        ncol, n, labels = 8, 64, None
    seed = int(st.session_state.get("gallery_seed", 0))
    z = torch.randn(n, cfg.latent_dim, generator=torch.Generator().manual_seed(seed))
    grid = generate(entry.G, z, labels).numpy()
    png = images.grid_png(grid, ncol=ncol, scale=3)

    def reseed():
        st.session_state["gallery_seed"] = seed + 1

    with st.container(horizontal=True, gap="small"):
        st.button("New samples", icon=":material/casino:", on_click=reseed)
        st.download_button(
            "Download grid (PNG)",
            png,
            file_name="samples.png",
            mime="image/png",
            on_click="ignore",
            icon=":material/download:",
            key="dl_grid",
        )
    show_png(png, width=ncol * 30 * 3)


def timeline_frames(entry: ModelEntry) -> list[tuple[int, torch.nn.Module]]:
    """(step, G) along the model's training: step 0 (the untrained G, rebuilt from the config's seed),
    every snapshot its file carries, and the final G when it is newer than the last snapshot."""
    steps = entry.snapshot_steps
    if steps and steps[0] != 0:
        steps = [0] + steps
    frames = [(step, entry.generator_at(step)) for step in steps]
    final_step = int(entry.info.get("steps") or 0)
    if frames and final_step > frames[-1][0]:
        frames.append((final_step, entry.G))
    return frames


def _pin(dim: int) -> None:
    """Pin the z the sliders show (as the sliders hold it: floats with two decimals)."""
    st.session_state[PIN_KEY] = [float(st.session_state.get(z_key(k), 0.0)) for k in range(dim)]


@st.fragment
def timeline_tab(entry: ModelEntry) -> None:
    """Scrub through the snapshots saved in the model's file; draw one pinned z by each of them."""
    if not entry.snapshots:
        st.info(
            "This model's file carries no snapshots of its training, so there is no timeline to scrub. "
            "Runs trained on the Train page (and their downloaded files) keep theirs.",
            icon=":material/info:",
        )
        return
    frames = timeline_frames(entry)
    steps = [step for step, _ in frames]
    st.caption(
        "The model's file keeps G as it was at a few moments of its training (step 0, the untrained G, "
        "is rebuilt from its seed). Scrub through them: the same noise at every step, so you watch the "
        "same digits form."
    )
    cfg = entry.config
    key = f"timeline_{entry.key}"
    if st.session_state.get(key) not in steps:
        st.session_state[key] = steps[-1]
    step = st.select_slider("Training step", options=steps, key=key, format_func=lambda s: f"step {s:,}")
    G = dict(frames)[step]
    if entry.conditional:
        ncol = entry.num_classes
        n, labels = ncol * 6, torch.as_tensor(class_order(entry))[torch.arange(ncol * 6) % ncol]
    else:
        ncol, n, labels = 8, 64, None
    z = torch.randn(n, cfg.latent_dim, generator=torch.Generator().manual_seed(TIMELINE_SEED))  # (n, latent)
    grid = generate(G, z, labels).numpy()  # (n, 28, 28)
    left, right = st.columns([2, 3], gap="large")
    with left:
        show_png(
            images.grid_png(grid, ncol=ncol, scale=3),
            width="stretch",
            caption=f"G at step {step:,} of {steps[-1]:,}, on fixed noise",
        )
    with right:
        dim = entry.latent_dim
        if PIN_KEY not in st.session_state or len(st.session_state[PIN_KEY]) != dim:
            _pin(dim)
        pinned = torch.tensor(st.session_state[PIN_KEY], dtype=torch.float32)  # (latent,)
        st.markdown("**One z through the training**")
        st.button(
            "Pin this z",
            icon=":material/push_pin:",
            on_click=_pin,
            args=(dim,),
            key="timeline_pin",
            help="Take the z of the Latent sliders tab (move the sliders there, then pin it here).",
        )
        label = _labels_for(entry)
        strip = torch.cat([generate(G_s, pinned, label) for _, G_s in frames]).numpy()  # (frames, 28, 28)
        show_png(
            images.strip_png(strip, scale=4), width="content", caption="Steps " + " → ".join(f"{s:,}" for s in steps)
        )
        st.caption(
            "The pinned z drawn by G at each saved step"
            + (
                (
                    f", with the code that draws {code_names(entry)[label]}"
                    if entry.infogan
                    else f", asked for the digit {label}"
                )
                if label is not None
                else ""
            )
            + ". Pinned z: "
            + format_z(pinned.tolist())[:60]
            + ("…" if dim > 8 else "")
        )


# ---------------------------------------------------------------------------------------------
def render() -> None:
    st.title("Explore a generator")
    st.caption(
        "A trained generator G turns a vector of random numbers z into a digit. "
        "Move the sliders to move z and watch the digit change."
    )
    store = state.session_store()
    models = catalogue(store.user_models())
    entry = model_picker(models)
    if entry is None:
        st.info(
            "No generator is available yet: none ships in `pretrained/`. Train one on the Train page "
            "(it appears here when it ends) or upload a .safetensors file."
        )
        page_link("train", "Go to Train")
        return
    st.html(PHONE_CSS)
    init_model_state(entry)
    lab.apply_pending(entry)  # a z found by "Find my digit" lands in the sliders before they are drawn
    # on_change="rerun": switching tabs reruns the page, so every tab shows the z another tab's fragment set
    tab_sliders, tab_interp, tab_gallery, tab_time, tab_dirs, tab_mine = st.tabs(
        ["Latent sliders", "Interpolation", "Gallery", "Training timeline", "Directions", "Your digit"],
        key="explore_tab",
        on_change="rerun",
    )
    with tab_sliders:
        latent_panel(entry)
    with tab_interp:
        interpolation_tab(entry)
    with tab_gallery:
        gallery_tab(entry)
    with tab_time:
        timeline_tab(entry)
    with tab_dirs:
        lab.directions_tab(entry)
    with tab_mine:
        lab.your_digit_tab(entry)
