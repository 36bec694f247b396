"""The Train page: pick a recipe, start a run, watch D and G compete, then scrub the timeline.

While an MNIST run trains, a "Sample quality" panel shows what a digit classifier reads in G's
samples (classes present, class KL, classifier IS, the Fréchet distance curve with its real-data
floor). gan_core.QualityMonitor measures it on its own thread every few hundred steps; this page
only draws its records.

Training never runs in the script thread: `gan_core.Trainer.start()` owns a background thread,
and this page only reads its records and snapshots. A fragment polls once a second while the run
is active (and stops polling when it is not); when the run's state changes it calls st.rerun() so
the rest of the page (buttons, timeline, results) catches up.
"""

from __future__ import annotations


import numpy as np
import streamlit as st
import torch

from gan_core import (LOSS_INFO, PRESETS, ConfigError, DataFormatError, DataUnavailable, GANConfig,
                      Trainer, generate)
from gan_core.config import ARCHS, DATASETS, DEFAULT_PRESET
from gan_core.pace import busy_state, expected_steps

from . import charts, coach_panel, images, live_chart, run_tools, settings, state, teacher
from .layout import show_png, switch_to

LR_OPTIONS = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 5e-2]
BETA1_OPTIONS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
BETA2_OPTIONS = [0.9, 0.99, 0.999, 0.9999]
BATCH_OPTIONS = [16, 32, 64, 128, 256]
LATENT_OPTIONS = [2, 4, 8, 16, 32, 64, 100, 128]
SMOOTHING_OPTIONS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4]
EMA_DECAY = 0.999
STRIP_FRAMES = 10
WINDOWS = {"All steps": None, "Last 500 steps": 500, "Last 100 steps": 100}

# control key -> GANConfig field (every control is a session-state key, persisted across pages)
CONTROLS = {
    "cfg_arch": "arch", "cfg_loss": "loss", "cfg_conditional": "conditional", "cfg_latent_dim": "latent_dim",
    "cfg_lr_g": "lr_g", "cfg_lr_d": "lr_d", "cfg_beta1": "beta1", "cfg_beta2": "beta2",
    "cfg_batch_size": "batch_size", "cfg_d_steps": "d_steps", "cfg_label_smoothing": "label_smoothing",
    "cfg_spectral_norm": "spectral_norm", "cfg_ema": "ema", "cfg_seed": "seed", "cfg_dataset": "dataset",
}
ARCH_NAMES = {"mlp": "MLP (2014)", "dcgan": "DCGAN (conv)"}
STATUS_BADGE = {"queued": ("waiting for a slot", "orange"), "ready": ("starting", "blue"),
                "running": ("training", "green"), "paused": ("paused", "orange"), "finished": ("finished", "blue"),
                "stopped": ("stopped", "gray"), "diverged": ("diverged", "red"), "failed": ("crashed", "red"),
                "interrupted": ("interrupted", "red")}


def fmt_lr(v: float) -> str:
    mant, exp = f"{v:.0e}".split("e")
    return f"{mant}e{int(exp)}"


def fmt_fd(v: float) -> str:
    """A Fréchet distance: whole numbers when large (745, 1,230), one decimal when small (10.8)."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s:.0f} s" if s >= 10 else f"{s:.1f} s"


def range_problem(label: str, value, lo: int, hi: int, unit: str = "", why: str = "") -> str | None:
    """Why a typed number cannot be used (None when it can): a whole number from lo to hi.

    The number boxes take any number a student types and keep it on screen as typed; this check, shown under
    the box, says why a number is refused, and Start stays off until it is fixed. (With min/max on the
    widget itself, Streamlit turns the box red, puts the reason in a tooltip and quietly keeps the old value,
    so a run would use a number the student no longer sees.)"""
    if value is None or value == "":
        return f"{label}: type a whole number from {lo:,} to {hi:,}{unit}."
    if isinstance(value, float) and not value.is_integer():
        return f"{label}: {value:g} is not a whole number; type one from {lo:,} to {hi:,}{unit}."
    v = int(value)
    if v < lo:
        return f"{label}: {v:,} is less than {lo:,}{unit}, the smallest allowed{why}."
    if v > hi:
        return f"{label}: {v:,} is more than {hi:,}{unit}, the largest allowed{why}."
    return None


STEPS_WHY = " on this server (the teacher sets the limit)"
SEED_MAX = 2**31 - 1
D_STEPS_MAX = 10


def number_problems() -> dict[str, str]:
    """{control key: why its typed number is refused} for the Train page's number boxes that are in use."""
    ss = st.session_state
    checks = {"cfg_d_steps": ("D steps per G step", 1, D_STEPS_MAX, "", ""),
              "cfg_seed": ("Seed", 0, SEED_MAX, "", "")}
    if settings.budgets().get(ss.get("budget"), (0, 0))[1] == -1:
        checks["budget_steps"] = ("Steps", 1 if settings.test_mode() else 10, settings.limits().max_steps, " steps",
                                  STEPS_WHY)
    out = {}
    for key, (label, lo, hi, unit, why) in checks.items():
        problem = range_problem(label, ss.get(key), lo, hi, unit, why)
        if problem:
            out[key] = problem
    return out


# ---------------------------------------------------------------------------------------------
# Controls <-> config
# ---------------------------------------------------------------------------------------------
def apply_preset(name: str | None = None) -> None:
    """Fill every control with the preset's values (a preset change resets the controls)."""
    ss = st.session_state
    name = name or ss.get("cfg_preset") or DEFAULT_PRESET
    cfg = PRESETS[name].config()
    for key, fld in CONTROLS.items():
        value = getattr(cfg, fld)
        ss[key] = bool(value) if fld == "ema" else value
    ss["cfg_preset"] = name
    ss.pop("start_error", None)


def init_controls() -> None:
    ss = st.session_state
    if "cfg_preset" not in ss:
        apply_preset(DEFAULT_PRESET)
    if ss.get("budget") not in settings.budgets():
        ss["budget"] = settings.default_budget()
    ss.setdefault("budget_steps", 5 if settings.test_mode() else 500)
    teacher.hold()                     # locked controls: the tab's values, whatever this session holds


def config_from_controls() -> GANConfig:
    """The GANConfig the controls describe (not yet validated)."""
    ss = st.session_state
    name = ss.get("cfg_preset") or DEFAULT_PRESET
    values = {fld: ss[key] for key, fld in CONTROLS.items() if key in ss}
    values["ema"] = EMA_DECAY if values.get("ema") else 0.0
    base = PRESETS[name].config()
    changed = any(getattr(base, k) != v for k, v in values.items())
    seconds, steps = settings.budgets().get(ss.get("budget") or settings.default_budget(), (30.0, 0))
    if steps == -1:
        seconds, steps = 0.0, int(ss.get("budget_steps") or 0)
    snapshot_every = settings.TEST_SNAPSHOT_EVERY if settings.test_mode() else settings.SNAPSHOT_EVERY
    return base.replace(**values, max_seconds=seconds, max_steps=steps, snapshot_every=snapshot_every,
                        preset=f"{name}-custom" if changed else name)


def _on_preset() -> None:
    apply_preset(st.session_state["cfg_preset"])


def start_from_controls() -> state.RunHandle | None:
    """Start a run of what the controls describe (Train's Start button, and a lesson's Run after it has set
    the controls): its handle, or None with the reason in session state ("start_error") for the page."""
    ss = st.session_state
    store = state.session_store()
    if store.active_run() is not None:
        return None
    ss.pop("start_error", None)
    refused = number_problems()
    if refused:                          # Start is disabled then; this guards every other path to a run
        ss["start_error"] = " ".join(refused.values())
        return None
    try:
        handle = store.start(config_from_controls())
    except state.StartError as exc:
        ss["start_error"] = str(exc)
        return None
    teacher.remember()
    store.viewing = handle.number
    return handle


def _on_start() -> None:
    start_from_controls()


def _stop(run: state.RunHandle | None):
    """Stop button: stops a training run, or takes a queued one out of the queue."""
    def cb():
        if run is not None:
            store = state.session_store()
            store.viewing = run.number           # the page goes on showing the run the student stopped
            store.stop_run(run)
    return cb


def _control(fn, run: state.RunHandle | None):
    """Button callback acting on a run (pause/resume/stop)."""
    def cb():
        if run is not None:
            state.session_store().viewing = run.number
            fn(run.trainer)
    return cb


def number_box(where, label: str, key: str, disabled: bool, **kwargs) -> None:
    """A number box without min/max on the widget: what the student types stays as typed, and when
    number_problems() refuses it the reason is shown right under the box (not in a tooltip)."""
    kwargs.setdefault("step", 1)        # an int step keeps it a whole-number box (no min/max would make it float)
    where.number_input(label, min_value=None, max_value=None, key=key, disabled=disabled, persist_state="session",
                       **kwargs)
    problem = number_problems().get(key)
    if problem:
        where.error(problem, icon=":material/block:")


def controls(active: state.RunHandle | None) -> None:
    """The left column: recipe, budget, advanced settings, validation and the run buttons."""
    busy = active is not None

    def off(key: str) -> bool:                  # disabled while a run trains, or when a teacher locked it
        return busy or teacher.locked(key)

    st.selectbox("Preset", list(PRESETS), key="cfg_preset", on_change=_on_preset, disabled=off("cfg_preset"),
                 persist_state="session", help="A preset fills in every setting below; change any of them after.")
    st.caption(PRESETS[st.session_state["cfg_preset"]].description)
    budgets = settings.budgets()
    st.segmented_control("Budget", list(budgets), key="budget", required=True, disabled=off("budget"),
                         persist_state="session", help="The run stops by itself after this long.")
    if budgets.get(st.session_state.get("budget"), (0, 0))[1] == -1:
        number_box(st, "Steps", "budget_steps", off("budget_steps"), step=100,
                   help=f"From {1 if settings.test_mode() else 10:,} to {settings.limits().max_steps:,} steps.")
    st.segmented_control("Architecture", list(ARCHS), key="cfg_arch", required=True, disabled=off("cfg_arch"),
                         format_func=ARCH_NAMES.get, persist_state="session")
    st.selectbox("Loss", list(LOSS_INFO), key="cfg_loss", disabled=off("cfg_loss"), persist_state="session",
                 help="\n\n".join(f"**{k}**: {v.description}" for k, v in LOSS_INFO.items()))
    with st.container(key="train_advanced"), st.expander("Advanced settings", icon=":material/tune:"):
        # Sliders in pairs; number boxes, toggles and the dataset one to a row: in the left column of a 1366 px
        # screen a half-width toggle cut its label ("Spectral nor…") and a half-width number box showed 2 digits.
        a, b = st.columns(2)
        a.select_slider("Learning rate G", LR_OPTIONS, key="cfg_lr_g", format_func=fmt_lr, disabled=off("cfg_lr_g"),
                        persist_state="session")
        b.select_slider("Learning rate D", LR_OPTIONS, key="cfg_lr_d", format_func=fmt_lr, disabled=off("cfg_lr_d"),
                        persist_state="session")
        a.select_slider("Adam β1", BETA1_OPTIONS, key="cfg_beta1", disabled=off("cfg_beta1"), persist_state="session",
                        help="Momentum. The DCGAN paper found 0.5 stable and 0.9 oscillating.")
        b.select_slider("Adam β2", BETA2_OPTIONS, key="cfg_beta2", disabled=off("cfg_beta2"), persist_state="session")
        a.select_slider("Batch size", BATCH_OPTIONS, key="cfg_batch_size", disabled=off("cfg_batch_size"), persist_state="session")
        b.select_slider("Latent size (z)", LATENT_OPTIONS, key="cfg_latent_dim", disabled=off("cfg_latent_dim"),
                        persist_state="session", help="Dimensions of the noise z: one Explore slider each.")
        a.select_slider("Label smoothing", SMOOTHING_OPTIONS, key="cfg_label_smoothing", disabled=off("cfg_label_smoothing"),
                        persist_state="session", help="One-sided: D's target for real digits becomes 1 − s.")
        number_box(st, "D steps per G step", "cfg_d_steps", off("cfg_d_steps"),
                   help=f"k in Algorithm 1 of the GAN paper; WGAN-GP uses 5. From 1 to {D_STEPS_MAX}.")
        number_box(st, "Seed", "cfg_seed", off("cfg_seed"))
        st.toggle("Spectral norm in D", key="cfg_spectral_norm", disabled=off("cfg_spectral_norm"), persist_state="session")
        st.toggle(f"EMA of G ({EMA_DECAY})", key="cfg_ema", disabled=off("cfg_ema"), persist_state="session",
                  help="Sample from a moving average of G's weights: smoother digits.")
        st.toggle("Conditional (cGAN)", key="cfg_conditional", disabled=off("cfg_conditional"), persist_state="session",
                  help="G and D see the digit label, so Explore can ask for a given digit.")
        st.selectbox("Dataset", list(DATASETS), key="cfg_dataset", disabled=off("cfg_dataset"), persist_state="session",
                     format_func={"mnist": "MNIST digits", "fashion": "Fashion-MNIST"}.get)

    teacher.lock_note()
    problem = None
    refused = number_problems()
    if refused:                  # named here too: a refused seed may sit in the closed Advanced settings
        names = [text.split(":", 1)[0] for text in refused.values()]
        problem = f"Start waits until {'this number is' if len(names) == 1 else 'these numbers are'} fixed: " \
                  f"{', '.join(names)}."
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
        server = busy_state(state.server_scheduler().counts()["running"])
        if server.busy:
            what = (f"{server.runs} run{'s' if server.runs != 1 else ''} training" if server.runs
                    else "other work on the machine")
            load = f", load {server.load:.1f} on {server.cores} cores" if server.load is not None else ""
            st.caption(f":material/speed: This server is busy now ({what}{load}): a run trains more slowly than on "
                       f"an idle machine. Its pace shows once it starts.")
    with st.container(horizontal=True, gap="small"):
        st.button("Start", type="primary", icon=":material/play_arrow:", on_click=_on_start,
                  disabled=busy or bool(problem), key="btn_start")
        if status == "paused":
            st.button("Resume", icon=":material/play_arrow:", on_click=_control(Trainer.resume, active),
                      key="btn_resume")
        else:
            st.button("Pause", icon=":material/pause:", on_click=_control(Trainer.pause, active),
                      disabled=status not in ("ready", "running"), key="btn_pause")
        st.button("Stop", icon=":material/stop:", on_click=_stop(active),
                  disabled=not busy, key="btn_stop")


# ---------------------------------------------------------------------------------------------
# Live panel
# ---------------------------------------------------------------------------------------------
def _phase(status: str) -> str:
    return "running" if status in ("ready", "running") else status


def queue_notice(run: state.RunHandle) -> None:
    """A queued run: its place in the server's queue and about how long until it starts."""
    pos, wait = run.queue_position, run.wait_estimate()
    counts = state.server_scheduler().counts()
    st.info(f"**Waiting for a free training slot — number {pos} in line.** The server trains "
            f"{counts['slots']} run{'s' if counts['slots'] != 1 else ''} at a time for the whole class; "
            f"yours starts by itself in about {fmt_seconds(max(1.0, wait))}. Keep this tab open "
            f"(Stop takes it out of the queue).", icon=":material/hourglass_top:")


def _status_row(run: state.RunHandle) -> None:
    t, status = run.trainer, run.status
    label, colour = STATUS_BADGE[status]
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.badge(label, color=colour, icon=":material/circle:" if status == "running" else None)
        st.badge(f"{t.device_name} · {t.precision}", color="gray", icon=":material/memory:",
                 help="Where this run trains, and its arithmetic: bf16 where the chip has bfloat16 units, else fp32")
        st.badge(t.cfg.preset or "custom", color="violet", icon=":material/tune:")
    last = t.history[-1] if t.history else None
    if not run.active:
        remaining = "—"
    elif t.cfg.max_steps:            # a step budget (the server's time cap on it is a safety net)
        remaining = f"{max(0, t.cfg.max_steps - t.step):,} steps"
    else:
        remaining = fmt_seconds(t.remaining_seconds)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Step", f"{t.step:,}")
    m2.metric("Images / s", f"{last.images_per_s:,.0f}" if last else "—")
    m3.metric("Elapsed", fmt_seconds(t.elapsed))
    m4.metric("Remaining", remaining)


def pace_notice(run: state.RunHandle) -> None:
    """While a run trains: the steps its budget will buy at the pace it measures, and, when the server is busy
    or the pace falls short of what its preset needs for clean digits, why and what to do."""
    t = run.trainer
    if run.status != "running":
        return
    pace = expected_steps(t.step, t.elapsed, t.cfg.max_seconds, t.cfg.max_steps)
    if pace is None:
        return
    busy = busy_state(state.server_scheduler().counts()["running"])
    preset = PRESETS.get(t.cfg.preset or "")
    need = preset.digits_after_steps if preset else 0
    short = need and pace.expected_steps < need
    if not busy.busy and not short:
        return
    where = "its cores" if getattr(t.device, "type", "cpu") == "cpu" else "its GPU"
    if pace.budget_steps and pace.expected_steps < pace.budget_steps:
        budget = f"of your {pace.budget_steps:,} before the server's {t.cfg.max_seconds:g} s limit per run ends it"
    elif pace.budget_steps:
        budget = f"of your {pace.budget_steps:,}"
    else:
        budget = f"in your {t.cfg.max_seconds:g} s budget"
    parts = []
    if busy.busy:
        load = (f" (load {busy.load:.1f} on {busy.cores} core{'s' if busy.cores != 1 else ''})"
                if busy.load is not None else "")
        who = f"{busy.runs} runs share {where}" if busy.runs > 1 else f"other work shares {where}"
        parts.append(f"This server is busy: {who}{load}, and training runs at a lower priority than the pages "
                     f"so they stay responsive.")
    parts.append(f"At this run's pace ({pace.steps_per_s:.1f} steps/s) expect ~{pace.expected_steps:,} steps {budget}.")
    if short:
        seconds = need / pace.steps_per_s
        cap = settings.limits().max_seconds
        advice = (f"at this pace that takes ~{seconds:.0f} s: give the next run a longer budget, or a step budget "
                  f"of {need:,}" if seconds <= cap else
                  f"at this pace that takes ~{seconds:.0f} s, more than this server's {cap:g} s limit per run: try "
                  f"again when fewer runs share the server")
        parts.append(f"The {preset.name} recipe draws clean digits of all ten kinds after about {need:,} steps "
                     f"(measured); {advice}.")
    st.info(" ".join(parts), icon=":material/speed:")


def _message(run: state.RunHandle) -> None:
    t = run.trainer
    if not t.message or run.active:
        return
    if t.status == "diverged":
        st.error(f"**Training diverged.** {t.message}", icon=":material/warning:")
    elif t.status == "failed":
        st.error(t.message, icon=":material/error:")
        with st.expander("Details"):
            st.code(getattr(t, "traceback", ""), language="text")
    elif t.status == "finished":
        st.success(t.message, icon=":material/check_circle:")
    else:
        st.info(t.message, icon=":material/stop_circle:")
    if run.save_error:
        st.warning(f"**{run.save_error.capitalize()}.** The server could not keep a copy of this run, so a reload "
                   "or a server restart would lose it: download it below while this tab is open.",
                   icon=":material/save:")


def _live_body(run: state.RunHandle, phase_at_render: str) -> None:
    t = run.trainer
    if _phase(run.status) != phase_at_render:
        st.rerun()                                       # the run changed state: refresh the whole page
    info = t.loss_info
    _status_row(run)
    with st.container():        # one fixed slot, shown or empty: a notice that comes and goes between polls must
        pace_notice(run)        # not shift the charts below it (a shifted chart is a new one: the zoom is lost)
    if run.status == "queued":
        queue_notice(run)
        return
    _message(run)
    last = WINDOWS[st.session_state.get("chart_window") or "All steps"]
    records = charts.window(t.records(), last)
    rev = f"run-{run.number}-{last}"              # zoom state is kept per run and per window
    figs = run.memo("charts", (len(t.history), last), lambda: (
        charts.loss_figure(records, info, rev), charts.scores_figure(records, info, rev),
        charts.gradnorm_figure(records, rev)))
    left, right = st.columns([2.2, 1], gap="medium")
    with left:
        live_chart.live_plotly(figs[0], key=f"loss_{run.number}")
        eq = (f"Dashed lines: where each loss sits when D can no longer tell real from fake "
              f"(D = ln 4 ≈ 1.386, G = {info.g_equilibrium:.3f})." if info.d_equilibrium is not None else
              f"The {info.name} loss has no fixed equilibrium level: watch for trends, not values.")
        st.caption(f"Faint: every step; bold: smoothed. {eq}")
        st.segmented_control("Show", list(WINDOWS), key="chart_window", default="All steps",
                             persist_state="session", label_visibility="collapsed",
                             help="Follow the most recent steps (a zoom that survives the live refresh).")
        coach_panel.render(run)                    # under the loss chart it reads, not under the taller grid
    with right:
        snaps = t.snapshot_list()
        if snaps:
            snap = snaps[-1]
            grid = run.memo("grid", snap.step, lambda: images.grid_png(snap.images.numpy(), ncol=8, scale=1))
            show_png(grid, width="stretch")
            st.caption(f"G on the same 64 noise vectors, step {snap.step:,}: noise turning into digits.")
        else:
            st.caption("The sample grid appears after the first step.")
    c1, c2 = st.columns(2, gap="medium")
    with c1:
        live_chart.live_plotly(figs[1], key=f"scores_{run.number}")
        st.caption("D's verdict on real digits (orange) and on G's fakes (blue). "
                   + ("Both drift to 0.5 when G fools D." if info.probabilistic else "Raw critic scores."))
    with c2:
        live_chart.live_plotly(figs[2], key=f"grads_{run.number}")
        st.caption("How hard each network is being pushed. A G line sinking toward 0 means G has stopped learning.")


def _quality_body(run: state.RunHandle) -> None:
    if run.status != "queued":
        quality_panel(run)


def quality_panel(run: state.RunHandle) -> None:
    """What a digit classifier reads in G's samples, measured every few hundred steps by gan_core's
    QualityMonitor on its own thread; this only draws its records."""
    st.subheader("Sample quality", divider="gray")
    mon = run.quality
    if mon is None:
        st.caption(run.quality_note or "No sample-quality measurements for this run.")
        return
    recs = mon.records()
    if mon.error:
        st.warning(f"Quality measurements stopped: {mon.error}", icon=":material/warning:")
    if not recs:
        st.caption(f"A digit classifier reads {mon.n} digits that G draws from fixed noise every {mon.every} "
                   f"steps; the first reading appears in a moment.")
        return
    step, q = recs[-1]
    real = mon.real_scores()
    k = len(q.histogram)
    st.caption(f"Every {mon.every} steps and at the end, a digit classifier reads {mon.n} digits that G draws "
               f"from the same fixed noise. Latest reading: step {step:,}.")
    m1, m2, m3, m4 = st.columns(4)
    with m1:
        st.metric("Classes present", f"{len(q.classes_present)}/{k}")
        st.caption("Digits that make up ≥ 1 % of samples — fewer means mode collapse.")
    with m2:
        st.metric("Class KL", f"{q.class_kl:.2f}")
        st.caption(f"How far the mix of digits is from the data's: 0 = the same mix, {np.log(k):.1f} = one digit only.")
    with m3:
        st.metric("Classifier IS", f"{q.inception_score:.1f}")
        st.caption(f"High when digits are both clear and varied: 1 to {k}; real digits score "
                   f"{real['inception_score']:.1f}.")
    with m4:
        st.metric("Fréchet distance", fmt_fd(q.frechet))
        st.caption(f"Gap to real digits as the classifier sees them; lower is better, the floor is "
                   f"{fmt_fd(q.frechet_floor)}.")
    if q.code_purity is not None:
        st.caption(f"**InfoGAN code purity {q.code_purity:.0%}**: the share of samples the classifier reads as their "
                   f"code's most common digit. 10 % = the codes mean nothing yet, 100 % = each code has become one "
                   f"digit, although G was never shown a label.")
    rev = f"quality-{run.number}"
    figs = run.memo("quality", len(recs), lambda: (
        charts.class_histogram_figure(q.histogram, mon.class_dist, step, rev),
        charts.frechet_figure([s for s, _ in recs], [r.frechet for _, r in recs], q.frechet_floor, rev)))
    c1, c2 = st.columns(2, gap="medium")
    with c1:
        live_chart.live_plotly(figs[0], key=f"qhist_{run.number}")
        st.caption("Bars: share of G's samples read as each digit. Dark ticks: that digit's share of the real data.")
    with c2:
        live_chart.live_plotly(figs[1], key=f"qfd_{run.number}")
        st.caption(f"Falls as G learns. Dashed: what {q.n} real digits score — the best reachable at this "
                   f"sample size.")


def live_panel(run: state.RunHandle) -> None:
    """Charts and samples; polls every POLL_SECONDS while the run is active, not at all otherwise.

    Zoom: the charts are drawn by gan_ui/live_chart.py (a keyed components-v2 element calling
    Plotly.react with a constant `uirevision`), so a student's zoom survives polls that bring new
    data; the "Last N steps" window follows the most recent steps.
    """
    phase = _phase(run.status)
    active = phase in ("running", "queued")
    st.fragment(_live_body, run_every=settings.POLL_SECONDS if active else None)(run, phase)
    # Sample quality changes once per measurement (every QUALITY_EVERY steps), so its panel polls on its own,
    # less often: each poll redraws ~15 elements in the browser, on the same cores as training on a laptop.
    st.fragment(_quality_body, run_every=settings.QUALITY_POLL_SECONDS if active else None)(run)


# ---------------------------------------------------------------------------------------------
# Timeline and results (shown when the run is paused or over)
# ---------------------------------------------------------------------------------------------
def _explore_z(dim: int) -> torch.Tensor | None:
    keys = [f"z_{k}" for k in range(dim)]
    if not all(k in st.session_state for k in keys):
        return None
    return torch.tensor([float(st.session_state[k]) for k in keys])


def timeline(run: state.RunHandle) -> None:
    t = run.trainer
    snaps = t.snapshot_list()
    if not snaps:
        return
    st.subheader("Timeline", divider="gray")
    st.caption("Scrub through the run: the same 64 noise vectors at every snapshot. Pin one of them to watch "
               "that single digit grow out of noise.")
    n = run.number
    idx = st.select_slider("Snapshot", options=list(range(len(snaps))), value=len(snaps) - 1, key=f"tl_{n}",
                           format_func=lambda i: f"step {snaps[i].step:,}")
    left, right = st.columns([2, 3], gap="large")
    with left:
        raw = st.number_input("Pinned cell (1–64, row by row)", value=1, min_value=None, max_value=None, step=1,
                              key=f"pin_{n}")
        problem = range_problem("Pinned cell", raw, 1, 64)
        if problem:                   # refused on the page; the last good cell stays pinned meanwhile
            cell = int(st.session_state.get(f"pin_ok_{n}", 0))
            st.error(f"{problem} Still showing cell {cell + 1}.", icon=":material/block:")
        else:
            cell = st.session_state[f"pin_ok_{n}"] = int(raw) - 1
        show_png(images.grid_png(snaps[idx].images.numpy(), ncol=8, scale=3, highlight=cell), width=400,
                 caption=f"Step {snaps[idx].step:,}; the pinned cell is framed in orange.")
    with right:
        picks = images.evenly(len(snaps), STRIP_FRAMES)
        strip = torch.stack([snaps[i].images[cell] for i in picks]).numpy()
        st.markdown(f"**Cell {cell + 1} across the run**")
        show_png(images.strip_png(strip, scale=3), width="content",
                 caption=" → ".join(f"{snaps[i].step:,}" for i in (picks[0], picks[-1])) + " steps")
        with_weights = [s for s in snaps if s.g_state is not None]
        z = _explore_z(t.cfg.latent_dim)
        if z is not None and with_weights and st.toggle("Also grow the Explore sliders' z", key=f"growz_{n}",
                                                         help="Uses G's saved weights at up to 10 moments."):
            label = int(st.session_state.get("explore_label") or 0) if t.cfg.conditional else None
            frames = [with_weights[i] for i in images.evenly(len(with_weights), STRIP_FRAMES)]
            digits = []
            for s in frames:
                G = t.generator_at(s)
                digits.append(generate(G, z, label)[0])
            show_png(images.strip_png(torch.stack(digits).numpy(), scale=3), width="content",
                     caption=f"The Explore z through G at steps {frames[0].step:,} → {frames[-1].step:,}")
        elif z is None:
            st.caption("Open Explore once to pin its slider z here too.")


def results(run: state.RunHandle) -> None:
    if not run.usable:
        return
    st.subheader("Use this run", divider="gray")
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="center")
    if c1.button("Open in Explore", type="primary", icon=":material/open_in_new:", key=f"open_{run.number}",
                 width="stretch"):
        store = state.session_store()
        store.viewing = run.number
        entry = store.add_model(run.model_entry())
        st.session_state["explore_model"] = entry.key
        switch_to("explore")
    c2.download_button("Download .safetensors", run.checkpoint, file_name=run.file_name(),
                       mime="application/octet-stream", icon=":material/download:", on_click="ignore",
                       key=f"dl_run_{run.number}", width="stretch")
    c3.caption("The file holds G, D, the config and timeline snapshots. Upload it later in Explore.")
    run_tools.bundle_button(run)


# ---------------------------------------------------------------------------------------------
def _on_view_run() -> None:
    state.session_store().viewing = st.session_state["view_run"]


def _pick_run(store: state.SessionStore) -> state.RunHandle | None:
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
        st.selectbox("Run", numbers, key="view_run", on_change=_on_view_run,
                     format_func=lambda k: store.run(k).label + f" · {store.run(k).status}")
    return store.run(store.viewing)


def render() -> None:
    st.title("Train a GAN")
    st.caption("Pick a recipe and press Start: D learns to tell real digits from G's fakes while G learns to "
               "fool it. Runs belong to this browser tab only.")
    init_controls()
    store = state.session_store()
    for lost in store.interrupted:
        if lost.get("note"):           # it ended, but could not be kept (e.g. "finished, not saved: disk full")
            st.warning(f"Your {lost.get('label', 'run')} ended at step {int(lost.get('step') or 0):,}: "
                       f"{lost['note']}. Start it again when you like.", icon=":material/save:")
            continue
        st.warning(f"Your {lost.get('label', 'run')} was interrupted at step {int(lost.get('step') or 0):,} "
                   f"when the server restarted; its progress is lost. Start it again when you like.",
                   icon=":material/restart_alt:")
    for note in store.notes:
        st.warning(note, icon=":material/timer_off:")
    active = store.active_run()
    left, right = st.columns([1, 2.3], gap="large")
    with left:
        with st.container(border=True):
            controls(active)
        run_tools.config_loader(disabled=active is not None)
        try:
            data = state.shared_dataset(st.session_state.get("cfg_dataset") or "mnist")
            st.caption(f"Trains on {data.describe()}.")
        except (DataUnavailable, DataFormatError) as exc:
            st.warning(str(exc))
    with right:
        run = _pick_run(store)
        if run is None:
            st.info("No run yet. Choose a preset on the left and press **Start**; the charts and a grid of "
                    "samples fill in live. The default run takes 30 seconds.", icon=":material/info:")
            return
        live_panel(run)
    if not run.active or run.status == "paused":
        timeline(run)
        results(run)
    run_tools.compare_section(store)
