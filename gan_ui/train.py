"""The Train page: pick a recipe, start a run, watch D and G compete, then scrub the timeline.

The left column is the controls (gan_ui/controls.py maps them to a GANConfig and starts the run); the
right column shows the run the tab looks at: its live panel (gan_ui/live_panel.py) while it trains,
then its timeline and results (gan_ui/timeline.py), and under both the comparison of this tab's runs.
"""

from __future__ import annotations

import streamlit as st

from gan_core import LOSS_INFO, PRESETS, ConfigError, DataFormatError, DataUnavailable
from gan_core.config import ARCHS, DATASETS
from gan_core.i18n import _, format_number
from gan_core.pace import busy_state

from . import controls, run_tools, settings, state, step_view, teacher
from .controls import (
    BATCH_OPTIONS,
    BETA1_OPTIONS,
    BETA2_OPTIONS,
    D_STEPS_MAX,
    EMA_DECAY,
    LATENT_OPTIONS,
    LR_OPTIONS,
    SMOOTHING_OPTIONS,
    apply_preset,
    config_from_controls,
    init_controls,
    number_problems,
)
from .live_panel import live_panel
from .run_handle import RunHandle
from .server import server_scheduler, shared_dataset
from .store import SessionStore
from .timeline import results, timeline

ARCH_NAMES = {"mlp": "MLP (2014)", "dcgan": "DCGAN (conv)"}


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


def control_column(active: RunHandle | None) -> None:
    """The left column: recipe, budget, advanced settings, validation and the run buttons."""
    busy = active is not None

    def off(key: str) -> bool:  # disabled while a run trains, or when a teacher locked it
        return busy or teacher.locked(key)

    st.selectbox(
        _("Preset"),
        list(PRESETS),
        key="cfg_preset",
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
        format_func=ARCH_NAMES.get,
        persist_state="session",
    )
    st.selectbox(
        _("Loss"),
        list(LOSS_INFO),
        key="cfg_loss",
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

    teacher.lock_note()
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
    if problem:
        st.error(problem, icon=":material/block:")
    if st.session_state.get("start_error"):
        st.error(st.session_state["start_error"], icon=":material/error:")

    status = active.status if active else None
    if active is None:
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


# ---------------------------------------------------------------------------------------------
def _on_view_run() -> None:
    state.session_store().viewing = st.session_state["view_run"]


def _pick_run(store: SessionStore) -> RunHandle | None:
    """The run the page shows: the active one, else the one the student last acted on (store.viewing: it
    lives with the tab, so a reload shows the same run), else the newest."""
    active = store.active_run()
    if active is not None:
        store.viewing = active.number
        return active
    if not store.runs:
        return None
    numbers = [h.number for h in reversed(store.runs)]
    if store.viewing not in numbers:
        store.viewing = numbers[0]
    if len(numbers) > 1:
        # The tab's choice, not whatever the widget last held: set before the widget is drawn (the widget
        # was not drawn while a run was active, and must not come back on the run it showed then).
        st.session_state["view_run"] = store.viewing
        st.selectbox(
            _("Run"),
            numbers,
            key="view_run",
            on_change=_on_view_run,
            format_func=lambda k: store.run(k).label + f" · {store.run(k).status}",
        )
    return store.run(store.viewing)


def render() -> None:
    st.title(_("Train a GAN"))
    st.caption(
        _(
            "Pick a recipe and press Start: D learns to tell real digits from G's fakes while G learns to "
            "fool it. Runs belong to this browser tab only."
        )
    )
    init_controls()
    store = state.session_store()
    for lost in store.interrupted:
        if lost.get("note"):  # it ended, but could not be kept (e.g. "finished, not saved: disk full")
            st.warning(
                _("Your {run} ended at step {step}: {note}. Start it again when you like.").format(
                    run=lost.get("label") or _("run"), step=format_number(int(lost.get("step") or 0)), note=lost["note"]
                ),
                icon=":material/save:",
            )
            continue
        st.warning(
            _(
                "Your {run} was interrupted at step {step} when the server restarted; its progress is lost. "
                "Start it again when you like."
            ).format(run=lost.get("label") or _("run"), step=format_number(int(lost.get("step") or 0))),
            icon=":material/restart_alt:",
        )
    for note in store.notes:
        st.warning(note, icon=":material/timer_off:")
    active = store.active_run()
    left, right = st.columns([1, 2.3], gap="large")
    with left:
        with st.container(border=True):
            control_column(active)
        run_tools.config_loader(disabled=active is not None)
        try:
            data = shared_dataset(st.session_state.get("cfg_dataset") or "mnist")
            st.caption(_("Trains on {data}.").format(data=data.describe()))
        except (DataUnavailable, DataFormatError) as exc:
            st.warning(str(exc))
    with right:
        run = _pick_run(store)
        if run is None:
            st.info(
                _(
                    "No run yet. Choose a preset on the left and press **Start**; the charts and a grid of "
                    "samples fill in live. The default run takes 30 seconds."
                ),
                icon=":material/info:",
            )
            return
        live_panel(run)
        step_view.step_panel(run)
    if not run.active or run.status == "paused":
        timeline(run)
        results(run)
    run_tools.compare_section(store)
