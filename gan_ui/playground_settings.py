"""The Playground's settings: the preset, target, loss and the rest, as widgets that describe a ToyConfig.

A teacher's link can lock any of them (gan_ui/teacher.py; lock names in gan_ui/teacher_params.py), and a
Playground lesson sets them (gan_ui/playground_lesson.py, through `apply_settings`).
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import N_, _
from gan_core.losses import LOSS_INFO
from gan_core.toy2d import OPTIMIZERS, TOY_PRESETS, ToyConfig
from gan_core.toy2d_data import TARGETS

from . import teacher
from .names import loss_label, toy_preset_label
from .playground_game import state

TARGET_NAMES = {
    "ring": N_("Ring of 8"),
    "grid": N_("Grid of 25"),
    "moons": N_("Two moons"),
    "spiral": N_("Spiral"),
    "line": N_("Line"),
    "custom": N_("Draw your own"),
}
SETTINGS = (  # the ToyConfig fields with a widget (key "pg_" + name)
    "target",
    "loss",
    "lr_g",
    "lr_d",
    "d_steps",
    "d_head_start",
    "optimizer",
    "beta1",
    "beta2",
    "label_smoothing",
    "spectral_norm",
    "z_dim",
    "batch_size",
    "seed",
)


def apply_settings(preset: str, overrides: dict | None = None) -> None:
    """The widgets set to a preset's settings, with `overrides` on top."""
    cfg = TOY_PRESETS[preset].config(**(overrides or {}))
    st.session_state["pg_preset"] = preset
    for name in SETTINGS:
        st.session_state[f"pg_{name}"] = getattr(cfg, name)


def apply_preset() -> None:
    apply_settings(st.session_state["pg_preset"])


def settings_ui() -> ToyConfig | str:
    """The settings widgets; returns the config they describe, or why there is none (a sentence)."""
    ss = st.session_state
    teacher.hold()  # locked settings keep the tab's values (a reload, a new window)
    if "pg_target" not in ss:
        ss["pg_preset"] = "ring"
        apply_preset()
    c1, c2, c3 = st.columns(3)
    c1.selectbox(
        _("Preset"),
        list(TOY_PRESETS),
        key="pg_preset",
        disabled=teacher.locked("pg_preset"),
        on_change=apply_preset,
        format_func=toy_preset_label,
        help=_("Settings measured to show something: mode collapse, its fix, a harder target."),
    )
    c2.selectbox(
        _("Target distribution"),
        TARGETS,
        key="pg_target",
        disabled=teacher.locked("pg_target"),
        format_func=lambda k: _(TARGET_NAMES[k]),
    )
    c3.selectbox(
        _("Loss"),
        list(LOSS_INFO),
        key="pg_loss",
        disabled=teacher.locked("pg_loss"),
        format_func=loss_label,
        help=_("The same losses the MNIST side trains with."),
    )
    with st.expander(_("More settings")):
        a, b, c = st.columns(3)
        a.select_slider(
            _("G's learning rate"), [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], key="pg_lr_g", disabled=teacher.locked("pg_lr_g")
        )
        b.select_slider(
            _("D's learning rate"), [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], key="pg_lr_d", disabled=teacher.locked("pg_lr_d")
        )
        c.number_input(_("D steps per G step"), 1, 20, key="pg_d_steps", disabled=teacher.locked("pg_d_steps"))
        a.selectbox(
            _("Optimiser"),
            OPTIMIZERS,
            key="pg_optimizer",
            disabled=teacher.locked("pg_optimizer"),
            format_func=lambda k: {"adam": "Adam", "sgd": "SGD"}[k],
        )
        b.number_input(_("Adam β1"), 0.0, 0.99, step=0.1, key="pg_beta1", disabled=teacher.locked("pg_beta1"))
        c.number_input(
            _("Adam β2"), 0.0, 0.9999, step=0.01, format="%.4f", key="pg_beta2", disabled=teacher.locked("pg_beta2")
        )
        a.number_input(
            _("Label smoothing"),
            0.0,
            0.4,
            step=0.05,
            key="pg_label_smoothing",
            disabled=teacher.locked("pg_label_smoothing"),
            help=_("One-sided: D's target for real points becomes 1 − this. BCE and least-squares only."),
        )
        b.number_input(
            _("z dimensions"),
            1,
            8,
            key="pg_z_dim",
            disabled=teacher.locked("pg_z_dim"),
            help=_("With more than 2, the mesh is a slice through the first two."),
        )
        c.number_input(_("Batch size"), 2, 4096, key="pg_batch_size", disabled=teacher.locked("pg_batch_size"))
        c.number_input(
            _("D's head start (steps)"),
            0,
            5000,
            step=50,
            key="pg_d_head_start",
            disabled=teacher.locked("pg_d_head_start"),
            help=_("D steps made alone, G fixed, before the game starts: a D that already rejects G's points."),
        )
        a.toggle(_("Spectral norm in D"), key="pg_spectral_norm", disabled=teacher.locked("pg_spectral_norm"))
        b.number_input(_("Seed"), 0, 2**31 - 1, key="pg_seed", disabled=teacher.locked("pg_seed"))
    teacher.lock_note()
    values = {
        name[3:]: ss[name]
        for name in ss
        if isinstance(name, str) and name.startswith("pg_") and name[3:] in ToyConfig.__dataclass_fields__
    }
    values["custom_points"] = state()["points"] if values.get("target") == "custom" else ()
    try:
        return ToyConfig().replace(**values).validate()
    except ValueError as exc:
        return str(exc)
