"""The Train page's left column: recipe, budget, advanced settings, what stops a start, and the run buttons.

The widgets only hold values (session-state keys that live as long as the tab); gan_ui/controls.py maps them
to a GANConfig and starts the run, gan_ui/number_checks.py says why a typed number is refused.
"""

from __future__ import annotations

import streamlit as st

from gan_core import LOSS_INFO, PRESETS, ConfigError
from gan_core.config import ARCHS, DATASETS
from gan_core.i18n import N_, _, format_number
from gan_core.pace import busy_state

from . import controls, settings, state, teacher
from .controls import (
    BATCH_OPTIONS,
    BETA1_OPTIONS,
    BETA2_OPTIONS,
    EMA_DECAY,
    LATENT_OPTIONS,
    LR_OPTIONS,
    SMOOTHING_OPTIONS,
    apply_preset,
    config_from_controls,
)
from .names import loss_label, preset_label
from .number_checks import D_STEPS_MAX, number_problems
from .run_handle import RunHandle
from .server import server_scheduler

ARCH_NAMES = {"mlp": N_("MLP (2014)"), "dcgan": N_("DCGAN (conv)")}  # shown as _(name)


def fmt_lr(v: float) -> str:
    mant, exp = f"{v:.0e}".split("e")
    return f"{mant}e{int(exp)}"


def _on_preset() -> None:
    apply_preset(st.session_state["cfg_preset"])


def _on_start() -> None:
    controls.start_from_controls()


def _stop(run: RunHandle | None):
    """Stop button: stops a training run, or takes a queued one out of the queue."""

    def cb():
        if run is not None:
            store = state.session_store()
            store.viewing = run.number  # the page goes on showing the run the student stopped
            store.stop_run(run)

    return cb


def _control(fn, run: RunHandle | None):
    """Button callback acting on a run (pause/resume/stop)."""

    def cb():
        if run is not None:
            state.session_store().viewing = run.number
            fn(run)

    return cb


def budget_label(name: str) -> str:
    """A budget option as shown: "30 s" stays (a unit), "Steps" and the test mode's "5 steps" are words."""
    count, _sep, rest = name.partition(" ")
    if name == "Steps":
        return _("Steps")
    return _("{n} steps").format(n=count) if rest == "steps" else name


def number_box(where, label: str, key: str, disabled: bool, **kwargs) -> None:
    """A number box without min/max on the widget: what the student types stays as typed, and when
    number_problems() refuses it the reason is shown right under the box (not in a tooltip)."""
    kwargs.setdefault("step", 1)  # an int step keeps it a whole-number box (no min/max would make it float)
    where.number_input(
        label, min_value=None, max_value=None, key=key, disabled=disabled, persist_state="session", **kwargs
    )
    problem = number_problems().get(key)
    if problem:
        where.error(problem, icon=":material/block:")


def _notices(active: RunHandle | None, problem: str | None) -> None:
    """The lines above the run buttons: the teacher's locks, why Start waits, why a start failed, and
    whether the server is busy before a run starts."""
    teacher.lock_note()
    if problem:
        st.error(problem, icon=":material/block:")
    if st.session_state.get("start_error"):
        st.error(st.session_state["start_error"], icon=":material/error:")
    if active is not None:
        return
    server = busy_state(server_scheduler().counts()["running"])
    if server.busy:
        what = _("runs training: {n}").format(n=server.runs) if server.runs else _("other work on the machine")
        if server.load is not None:
            what += _(", load {load:.1f} on {cores} cores").format(load=server.load, cores=server.cores)
        st.caption(
            ":material/speed: "
            + _(
                "This server is busy now ({what}): a run trains more slowly than on an idle machine. "
                "Its pace shows once it starts."
            ).format(what=what)
        )


def control_column(active: RunHandle | None) -> None:
    """The left column: recipe, budget, advanced settings, validation and the run buttons."""
    busy = active is not None

    def off(key: str) -> bool:  # disabled while a run trains, or when a teacher locked it
        return busy or teacher.locked(key)

    st.selectbox(
        _("Preset"),
        list(PRESETS),
        key="cfg_preset",
        format_func=preset_label,
        on_change=_on_preset,
        disabled=off("cfg_preset"),
        persist_state="session",
        help=_("A preset fills in every setting below; change any of them after."),
    )
    chosen = PRESETS[st.session_state["cfg_preset"]]
    st.caption(_(chosen.description))
    budgets = settings.budgets()
    st.segmented_control(
        _("Budget"),
        list(budgets),
        format_func=budget_label,
        key="budget",
        required=True,
        disabled=off("budget"),
        persist_state="session",
        help=_("The run stops by itself after this long."),
    )
    if budgets.get(st.session_state.get("budget"), (0, 0))[1] == -1:
        number_box(
            st,
            _("Steps"),
            "budget_steps",
            off("budget_steps"),
            step=100,
            help=_("From {lo} to {hi} steps.").format(
                lo=format_number(1 if settings.test_mode() else 10), hi=format_number(settings.limits().max_steps)
            ),
        )
    st.segmented_control(
        _("Architecture"),
        list(ARCHS),
        key="cfg_arch",
        required=True,
        disabled=off("cfg_arch"),
        format_func=lambda a: _(ARCH_NAMES.get(a, a)),
        persist_state="session",
    )
    st.selectbox(
        _("Loss"),
        list(LOSS_INFO),
        key="cfg_loss",
        format_func=loss_label,
        disabled=off("cfg_loss"),
        persist_state="session",
        help="\n\n".join(f"**{k}**: {_(v.description)}" for k, v in LOSS_INFO.items()),
    )
    with st.container(key="train_advanced"), st.expander(_("Advanced settings"), icon=":material/tune:"):
        # Sliders in pairs; number boxes, toggles and the dataset one to a row: in the left column of a 1366 px
        # screen a half-width toggle cut its label ("Spectral nor…") and a half-width number box showed 2 digits.
        a, b = st.columns(2)
        a.select_slider(
            _("Learning rate G"),
            LR_OPTIONS,
            key="cfg_lr_g",
            format_func=fmt_lr,
            disabled=off("cfg_lr_g"),
            persist_state="session",
        )
        b.select_slider(
            _("Learning rate D"),
            LR_OPTIONS,
            key="cfg_lr_d",
            format_func=fmt_lr,
            disabled=off("cfg_lr_d"),
            persist_state="session",
        )
        a.select_slider(
            _("Adam β1"),
            BETA1_OPTIONS,
            key="cfg_beta1",
            disabled=off("cfg_beta1"),
            persist_state="session",
            help=_("Momentum. The DCGAN paper found 0.5 stable and 0.9 oscillating."),
        )
        b.select_slider(
            _("Adam β2"), BETA2_OPTIONS, key="cfg_beta2", disabled=off("cfg_beta2"), persist_state="session"
        )
        a.select_slider(
            _("Batch size"),
            BATCH_OPTIONS,
            key="cfg_batch_size",
            disabled=off("cfg_batch_size"),
            persist_state="session",
        )
        b.select_slider(
            _("Latent size (z)"),
            LATENT_OPTIONS,
            key="cfg_latent_dim",
            disabled=off("cfg_latent_dim"),
            persist_state="session",
            help=_("Dimensions of the noise z: one Explore slider each."),
        )
        a.select_slider(
            _("Label smoothing"),
            SMOOTHING_OPTIONS,
            key="cfg_label_smoothing",
            disabled=off("cfg_label_smoothing"),
            persist_state="session",
            help=_("One-sided: D's target for real digits becomes 1 − s."),
        )
        number_box(
            st,
            _("D steps per G step"),
            "cfg_d_steps",
            off("cfg_d_steps"),
            help=_("k in Algorithm 1 of the GAN paper; WGAN-GP uses 5. From 1 to {hi}.").format(hi=D_STEPS_MAX),
        )
        number_box(st, _("Seed"), "cfg_seed", off("cfg_seed"))
        st.toggle(
            _("Spectral norm in D"), key="cfg_spectral_norm", disabled=off("cfg_spectral_norm"), persist_state="session"
        )
        st.toggle(
            _("EMA of G ({decay})").format(decay=EMA_DECAY),
            key="cfg_ema",
            disabled=off("cfg_ema"),
            persist_state="session",
            help=_("Sample from a moving average of G's weights: smoother digits."),
        )
        st.toggle(
            _("Conditional (cGAN)"),
            key="cfg_conditional",
            disabled=off("cfg_conditional"),
            persist_state="session",
            help=_("G and D see the digit label, so Explore can ask for a given digit."),
        )
        st.selectbox(
            _("Dataset"),
            list(DATASETS),
            key="cfg_dataset",
            disabled=off("cfg_dataset"),
            persist_state="session",
            format_func=lambda name: {"mnist": _("MNIST digits"), "fashion": "Fashion-MNIST"}.get(name, name),
        )

    problem = None
    refused = number_problems()
    if refused:  # named here too: a refused seed may sit in the closed Advanced settings
        names = [text.split(":", 1)[0] for text in refused.values()]
        problem = _("Start waits until these numbers are fixed: {names}.").format(names=", ".join(names))
    else:
        try:
            config_from_controls().validate()
        except ConfigError as exc:
            problem = str(exc)
    status = active.status if active else None
    # One fixed slot for the notices that come and go (a lock, a refused number, the busy server): the
    # buttons under it keep their place in the page, so pressing Start never leaves a faded second row of
    # buttons on screen while the page redraws.
    with st.container():
        _notices(active, problem)
    with st.container(horizontal=True, gap="small"):
        st.button(
            _("Start"),
            type="primary",
            icon=":material/play_arrow:",
            on_click=_on_start,
            disabled=busy or bool(problem),
            key="btn_start",
        )
        if status == "paused":
            st.button(
                _("Resume"), icon=":material/play_arrow:", on_click=_control(RunHandle.resume, active), key="btn_resume"
            )
        else:
            st.button(
                _("Pause"),
                icon=":material/pause:",
                on_click=_control(RunHandle.pause, active),
                disabled=status not in ("ready", "running"),
                key="btn_pause",
            )
        st.button(_("Stop"), icon=":material/stop:", on_click=_stop(active), disabled=not busy, key="btn_stop")
