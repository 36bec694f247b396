"""The Train page's controls <-> a GANConfig, both ways, in one place.

Every control is a session-state key ("cfg_lr_g", "budget", ...) that lives as long as the tab, so a
lesson, a loaded config.json and the Train page all speak through the same values:

    config_from_values(values) -> GANConfig     what the controls describe (not yet validated)
    values_for(cfg) -> dict                     the control values that show cfg, or ConfigError saying which
                                                setting the controls cannot show
    preset_values(name) / lesson_values(...)    the values of a preset, or of a lesson's run

The only mapping that is not one-to-one is EMA: the control is an on/off toggle, the config a decay
(0 = off, EMA_DECAY = on).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from gan_core import PRESETS, ConfigError, GANConfig
from gan_core.config import DEFAULT_PRESET
from gan_core.i18n import N_, _, format_number

from . import settings, state, teacher
from .language import use_language
from .number_checks import D_STEPS_MAX, number_problems
from .run_handle import RunHandle, StartError

LR_OPTIONS = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 5e-2, 1e-1]  # 0.1: the "swings" preset
BETA1_OPTIONS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
BETA2_OPTIONS = [0.9, 0.99, 0.999, 0.9999]
BATCH_OPTIONS = [16, 32, 64, 128, 256]
LATENT_OPTIONS = [2, 4, 8, 16, 32, 64, 100, 128]
SMOOTHING_OPTIONS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4]
EMA_DECAY = 0.999  # the toggle's "on": a ~1,000-step average, the usual choice for short GAN runs
OPTIONS = {
    "lr_g": LR_OPTIONS,
    "lr_d": LR_OPTIONS,
    "beta1": BETA1_OPTIONS,
    "beta2": BETA2_OPTIONS,
    "batch_size": BATCH_OPTIONS,
    "latent_dim": LATENT_OPTIONS,
    "label_smoothing": SMOOTHING_OPTIONS,
}

# control key -> GANConfig field (every control is a session-state key, persisted across pages)
CONTROLS = {
    "cfg_arch": "arch",
    "cfg_loss": "loss",
    "cfg_conditional": "conditional",
    "cfg_latent_dim": "latent_dim",
    "cfg_lr_g": "lr_g",
    "cfg_lr_d": "lr_d",
    "cfg_beta1": "beta1",
    "cfg_beta2": "beta2",
    "cfg_batch_size": "batch_size",
    "cfg_d_steps": "d_steps",
    "cfg_label_smoothing": "label_smoothing",
    "cfg_spectral_norm": "spectral_norm",
    "cfg_ema": "ema",
    "cfg_seed": "seed",
    "cfg_dataset": "dataset",
}
FIELD_TO_CONTROL = {fld: key for key, fld in CONTROLS.items()}
# Config fields the Train controls cannot set: a loaded config must keep its preset's values for these.
# (snapshot_every only sets how often the timeline is drawn: it changes no weight, so the app's own value is used.)
UNCONTROLLED = (
    "num_classes",
    "g_width",
    "d_width",
    "gp_weight",
    "grad_clip",
    "info_codes",
    "info_weight",
    "lr_decay",
    "minibatch_std",
    "d_augment",
)
LABELS = {
    "cfg_preset": N_("the preset"),
    "budget": N_("the budget"),
    "budget_steps": N_("the step budget"),
    "cfg_arch": N_("the architecture"),
    "cfg_loss": N_("the loss"),
    "cfg_lr_g": N_("G's learning rate"),
    "cfg_lr_d": N_("D's learning rate"),
    "cfg_beta1": N_("Adam β1"),
    "cfg_beta2": N_("Adam β2"),
    "cfg_batch_size": N_("the batch size"),
    "cfg_latent_dim": N_("the latent size"),
    "cfg_d_steps": N_("D steps"),
    "cfg_label_smoothing": N_("label smoothing"),
    "cfg_spectral_norm": N_("spectral norm"),
    "cfg_ema": N_("EMA"),
    "cfg_conditional": N_("the conditional switch"),
    "cfg_seed": N_("the seed"),
    "cfg_dataset": N_("the dataset"),
}


# ---------------------------------------------------------------------------------------------
# The two directions (pure: a mapping of control values in, a config out, and back)
# ---------------------------------------------------------------------------------------------
def _control_value(field: str, value):
    return bool(value) if field == "ema" else value


def config_from_values(values: Mapping) -> GANConfig:
    """The GANConfig that control values describe (not yet validated): the preset's config with every control's
    value, the budget, and the app's snapshot interval; named "<preset>-custom" when a control differs."""
    name = values.get("cfg_preset") or DEFAULT_PRESET
    fields = {fld: values[key] for key, fld in CONTROLS.items() if key in values}
    fields["ema"] = EMA_DECAY if fields.get("ema") else 0.0
    base = PRESETS[name].config()
    changed = any(getattr(base, k) != v for k, v in fields.items())
    seconds, steps = settings.budgets().get(values.get("budget") or settings.default_budget(), (30.0, 0))
    if steps == -1:
        seconds, steps = 0.0, int(values.get("budget_steps") or 0)
    snapshot_every = settings.TEST_SNAPSHOT_EVERY if settings.test_mode() else settings.SNAPSHOT_EVERY
    return base.replace(
        **fields,
        max_seconds=seconds,
        max_steps=steps,
        snapshot_every=snapshot_every,
        preset=f"{name}-custom" if changed else name,
    )


def _budget_for(cfg: GANConfig) -> tuple[str, int | None]:
    """(budget option, step count) for a config's budget; ConfigError when the app has no such budget."""
    budgets = settings.budgets()
    if cfg.max_steps and not cfg.max_seconds:
        lo = 1 if settings.test_mode() else 10
        if not lo <= cfg.max_steps <= 100_000:
            raise ConfigError(
                _("The app's step budget is {lo} to {hi} steps; this config asks for {steps}.").format(
                    lo=lo, hi=format_number(100_000), steps=format_number(cfg.max_steps)
                )
            )
        return "Steps", cfg.max_steps
    if cfg.max_seconds and not cfg.max_steps:
        for name, (secs, steps) in budgets.items():
            if steps == 0 and secs == cfg.max_seconds:
                return name, None
    options = ", ".join(n for n, (s, k) in budgets.items() if k == 0)
    raise ConfigError(
        _("The app's budgets are a step count or one of {options}; this config asks for {asked}.").format(
            options=options, asked=f"max_steps={cfg.max_steps}, max_seconds={cfg.max_seconds:g}"
        )
    )


def values_for(cfg: GANConfig) -> dict:
    """The control values that describe `cfg`, or ConfigError saying which setting the controls cannot show
    (the command line can still train it). config_from_values(values_for(cfg)) == cfg up to snapshot_every."""
    preset = cfg.preset.removesuffix("-custom")
    preset = preset if preset in PRESETS else DEFAULT_PRESET
    base = PRESETS[preset].config()
    problems = [
        _("{setting} (the app uses {value!r})").format(
            setting=f"{name}={getattr(cfg, name)!r}", value=getattr(base, name)
        )
        for name in UNCONTROLLED
        if getattr(cfg, name) != getattr(base, name)
    ]
    problems += [
        _("{setting} (the control offers {options})").format(
            setting=f"{name}={getattr(cfg, name)!r}", options=", ".join(f"{o:g}" for o in opts)
        )
        for name, opts in OPTIONS.items()
        if getattr(cfg, name) not in opts
    ]
    if cfg.ema not in (0.0, EMA_DECAY):
        problems.append(
            _("{setting} (the app's EMA toggle means {decay})").format(setting=f"ema={cfg.ema:g}", decay=EMA_DECAY)
        )
    if not 1 <= cfg.d_steps <= D_STEPS_MAX:
        problems.append(
            _("{setting} (the control offers 1 to {hi})").format(setting=f"d_steps={cfg.d_steps}", hi=D_STEPS_MAX)
        )
    try:
        budget, steps = _budget_for(cfg)
    except ConfigError as exc:
        problems.append(str(exc))
    if problems:
        raise ConfigError(
            _(
                "The Train controls cannot show {problems}. Train this config from the command line instead: {command}"
            ).format(
                problems="; ".join(problems),
                command="python -m gan_core train --config config.json --out run.safetensors",
            )
        )
    values = {key: _control_value(fld, getattr(cfg, fld)) for key, fld in CONTROLS.items()}
    values["cfg_preset"] = preset
    values["budget"] = budget
    if steps is not None:
        values["budget_steps"] = steps
    return values


def preset_values(name: str) -> dict:
    """Every control set to a preset's values."""
    cfg = PRESETS[name].config()
    return {"cfg_preset": name, **{key: _control_value(fld, getattr(cfg, fld)) for key, fld in CONTROLS.items()}}


def lesson_values(preset: str, overrides: Mapping, steps: int) -> dict:
    """The controls of a lesson's run: its preset, its overrides (GANConfig fields) and a step budget."""
    values = preset_values(preset)
    values.update({FIELD_TO_CONTROL[fld]: _control_value(fld, v) for fld, v in overrides.items()})
    values.update(budget="Steps", budget_steps=steps)
    return values


# ---------------------------------------------------------------------------------------------
# This tab's controls (session state)
# ---------------------------------------------------------------------------------------------
def set_values(values: Mapping) -> None:
    """Put control values into this tab's controls (the Train page shows them on its next run)."""
    st.session_state.update(values)
    st.session_state.pop("start_error", None)


def apply_preset(name: str | None = None) -> None:
    """Fill every control with the preset's values (a preset change resets the controls)."""
    set_values(preset_values(name or st.session_state.get("cfg_preset") or DEFAULT_PRESET))


def init_controls() -> None:
    ss = st.session_state
    if "cfg_preset" not in ss:
        apply_preset(DEFAULT_PRESET)
    if ss.get("budget") not in settings.budgets():
        ss["budget"] = settings.default_budget()
    ss.setdefault("budget_steps", 5 if settings.test_mode() else 500)
    teacher.hold()  # locked controls: the tab's values, whatever this session holds


def config_from_controls() -> GANConfig:
    """The GANConfig this tab's controls describe (not yet validated)."""
    return config_from_values(st.session_state)


def start_from_controls() -> RunHandle | None:
    """Start a run of what the controls describe (Train's Start button, and a lesson's Run after it has set
    the controls): its handle, or None with the reason in session state ("start_error") for the page."""
    use_language()  # a button's callback runs before the page sets the language: the run's messages take it
    ss = st.session_state
    store = state.session_store()
    if store.active_run() is not None:
        return None
    ss.pop("start_error", None)
    refused = number_problems()
    if refused:  # Start is disabled then; this guards every other path to a run
        ss["start_error"] = " ".join(refused.values())
        return None
    try:
        handle = store.start(config_from_controls())
    except StartError as exc:
        ss["start_error"] = str(exc)
        return None
    teacher.remember()
    store.viewing = handle.number
    return handle


def locked_changes(values: Mapping) -> list[str]:
    """The controls among `values` that the teacher locked and that `values` would change (their labels)."""
    ss = st.session_state
    return [
        _(LABELS[key]) if key in LABELS else key
        for key, value in values.items()
        if teacher.locked(key) and key in ss and ss[key] != value
    ]
