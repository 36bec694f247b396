"""The Train page's live panel: a run's status, its D/G charts, its samples and its sample quality, while it trains.

Training never runs in the script thread: the run behind a `RunHandle` trains on its own (a thread, or
a worker process), and this panel only reads the handle's records and snapshots. A fragment polls once
a second while the run is active (and stops polling when it is not); when the run's state changes it
calls st.rerun() so the rest of the page (buttons, timeline, results) catches up.

While an MNIST run trains, a "Sample quality" panel shows what a digit classifier reads in G's
samples (classes present, class KL, classifier IS, the Fréchet distance curve with its real-data
floor). gan_core.QualityMonitor measures it on its own thread every few hundred steps; this panel
only draws its records.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from gan_core import PRESETS
from gan_core.i18n import N_, _, format_number, format_percent, get_language
from gan_core.pace import busy_state, expected_steps

from . import charts, coach_panel, images, live_chart, settings
from .language import use_language
from .layout import show_png
from .run_handle import RunHandle
from .server import server_scheduler

STATUS_BADGE = {
    "queued": (N_("waiting for a slot"), "orange"),
    "ready": (N_("starting"), "blue"),
    "running": (N_("training"), "green"),
    "paused": (N_("paused"), "orange"),
    "finished": (N_("finished"), "blue"),
    "stopped": (N_("stopped"), "gray"),
    "diverged": (N_("diverged"), "red"),
    "failed": (N_("crashed"), "red"),
    "interrupted": ("interrupted", "red"),
}
WINDOWS = {N_("All steps"): None, N_("Last 500 steps"): 500, N_("Last 100 steps"): 100}  # shown as _(name)


def fmt_fd(v: float) -> str:
    """A Fréchet distance: whole numbers when large (745, 1,230), one decimal when small (10.8)."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s:.0f} s" if s >= 10 else f"{s:.1f} s"


# ---------------------------------------------------------------------------------------------
# Live panel
# ---------------------------------------------------------------------------------------------
def _phase(status: str) -> str:
    return "running" if status in ("ready", "running") else status


def queue_notice(run: RunHandle) -> None:
    """A queued run: its place in the server's queue and about how long until it starts."""
    pos, wait = run.queue_position, run.wait_estimate()
    counts = server_scheduler().counts()
    st.info(
        _(
            "**Waiting for a free training slot — number {pos} in line.** Training slots on this server, shared "
            "by the whole class: {slots}. Yours starts by itself in about {wait}. Keep this tab open (Stop takes "
            "it out of the queue)."
        ).format(pos=pos, slots=counts["slots"], wait=fmt_seconds(max(1.0, wait))),
        icon=":material/hourglass_top:",
    )


def _status_row(run: RunHandle) -> None:
    t, status = run, run.status
    label, colour = STATUS_BADGE[status]
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.badge(_(label), color=colour, icon=":material/circle:" if status == "running" else None)
        st.badge(
            f"{t.device_name} · {t.precision}",
            color="gray",
            icon=":material/memory:",
            help=_("Where this run trains, and its arithmetic: bf16 where the chip has bfloat16 units, else fp32"),
        )
        st.badge(t.cfg.preset or _("custom"), color="violet", icon=":material/tune:")
    last = run.last_record()
    if not run.active:
        remaining = "—"
    elif t.cfg.max_steps:  # a step budget (the server's time cap on it is a safety net)
        remaining = _("{n} steps").format(n=format_number(max(0, t.cfg.max_steps - t.step)))
    else:
        remaining = fmt_seconds(t.remaining_seconds)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(_("Step"), format_number(t.step))
    m2.metric(_("Images / s"), format_number(round(last.images_per_s)) if last else "—")
    m3.metric(_("Elapsed"), fmt_seconds(t.elapsed))
    m4.metric(_("Remaining"), remaining)


def pace_notice(run: RunHandle) -> None:
    """While a run trains: the steps its budget will buy at the pace it measures, and, when the server is busy
    or the pace falls short of what its preset needs for clean digits, why and what to do."""
    t = run
    if run.status != "running":
        return
    pace = expected_steps(t.step, t.elapsed, t.cfg.max_seconds, t.cfg.max_steps)
    if pace is None:
        return
    busy = busy_state(server_scheduler().counts()["running"])
    preset = PRESETS.get(t.cfg.preset or "")
    need = preset.digits_after_steps if preset else 0
    short = need and pace.expected_steps < need
    if not busy.busy and not short:
        return
    where = "its cores" if run.device_type == "cpu" else "its GPU"
    if pace.budget_steps and pace.expected_steps < pace.budget_steps:
        budget = f"of your {pace.budget_steps:,} before the server's {t.cfg.max_seconds:g} s limit per run ends it"
    elif pace.budget_steps:
        budget = f"of your {pace.budget_steps:,}"
    else:
        budget = f"in your {t.cfg.max_seconds:g} s budget"
    parts = []
    if busy.busy:
        load = (
            f" (load {busy.load:.1f} on {busy.cores} core{'s' if busy.cores != 1 else ''})"
            if busy.load is not None
            else ""
        )
        who = f"{busy.runs} runs share {where}" if busy.runs > 1 else f"other work shares {where}"
        parts.append(
            f"This server is busy: {who}{load}, and training runs at a lower priority than the pages "
            f"so they stay responsive."
        )
    parts.append(f"At this run's pace ({pace.steps_per_s:.1f} steps/s) expect ~{pace.expected_steps:,} steps {budget}.")
    if short:
        seconds = need / pace.steps_per_s
        cap = settings.limits().max_seconds
        advice = (
            f"at this pace that takes ~{seconds:.0f} s: give the next run a longer budget, or a step budget of {need:,}"
            if seconds <= cap
            else f"at this pace that takes ~{seconds:.0f} s, more than this server's {cap:g} s limit per run: try "
            f"again when fewer runs share the server"
        )
        parts.append(
            f"The {preset.name} recipe draws clean digits of all ten kinds after about {need:,} steps "
            f"(measured); {advice}."
        )
    st.info(" ".join(parts), icon=":material/speed:")


def _message(run: RunHandle) -> None:
    t = run
    if not t.message or run.active:
        return
    if t.status == "diverged":
        st.error(_("**Training diverged.** {message}").format(message=t.message), icon=":material/warning:")
    elif t.status == "failed":
        st.error(t.message, icon=":material/error:")
        with st.expander(_("Details")):
            st.code(run.traceback, language="text")
    elif t.status == "finished":
        st.success(t.message, icon=":material/check_circle:")
    else:
        st.info(t.message, icon=":material/stop_circle:")
    if run.save_error:
        st.warning(
            _(
                "**{problem}.** The server could not keep a copy of this run, so a reload or a server restart "
                "would lose it: download it below while this tab is open."
            ).format(problem=run.save_error.capitalize()),
            icon=":material/save:",
        )


def _live_body(run: RunHandle, phase_at_render: str) -> None:
    use_language()  # a fragment rerun does not pass through frame.navigation
    t = run
    if _phase(run.status) != phase_at_render:
        st.rerun()  # the run changed state: refresh the whole page
    info = t.loss_info
    _status_row(run)
    with st.container():  # one fixed slot, shown or empty: a notice that comes and goes between polls must
        pace_notice(run)  # not shift the charts below it (a shifted chart is a new one: the zoom is lost)
    if run.status == "queued":
        queue_notice(run)
        return
    _message(run)
    last = WINDOWS[st.session_state.get("chart_window") or "All steps"]
    records = charts.window(t.records(), last)
    rev = f"run-{run.number}-{last}"  # zoom state is kept per run and per window
    figs = run.memo(
        "charts",
        (run.record_count, last, get_language()),  # a language switch redraws them
        lambda: (
            charts.loss_figure(records, info, rev),
            charts.scores_figure(records, info, rev),
            charts.gradnorm_figure(records, rev),
        ),
    )
    left, right = st.columns([2.2, 1], gap="medium")
    with left:
        live_chart.live_plotly(figs[0], key=f"loss_{run.number}")
        eq = (
            _(
                "Dashed lines: where each loss sits when D can no longer tell real from fake "
                "(D = ln 4 ≈ 1.386, G = {g:.3f})."
            ).format(g=info.g_equilibrium)
            if info.d_equilibrium is not None
            else _("The {loss} loss has no fixed equilibrium level: watch for trends, not values.").format(
                loss=info.name
            )
        )
        st.caption(_("Faint: every step; bold: smoothed. {note}").format(note=eq))
        st.segmented_control(
            _("Show"),
            list(WINDOWS),
            format_func=lambda w: _(w),
            key="chart_window",
            default="All steps",
            persist_state="session",
            label_visibility="collapsed",
            help=_("Follow the most recent steps (a zoom that survives the live refresh)."),
        )
        coach_panel.render(run)  # under the loss chart it reads, not under the taller grid
    with right:
        snaps = run.snapshots()
        if snaps:
            snap = snaps[-1]
            grid = run.memo("grid", snap.step, lambda: images.grid_png(snap.images.numpy(), ncol=8, scale=1))
            show_png(grid, width="stretch")
            st.caption(
                _("G on the same 64 noise vectors, step {step}: noise turning into digits.").format(
                    step=format_number(snap.step)
                )
            )
        else:
            st.caption(_("The sample grid appears after the first step."))
    c1, c2 = st.columns(2, gap="medium")
    with c1:
        live_chart.live_plotly(figs[1], key=f"scores_{run.number}")
        st.caption(
            _("D's verdict on real digits (orange) and on G's fakes (blue).")
            + " "
            + (_("Both drift to 0.5 when G fools D.") if info.probabilistic else _("Raw critic scores."))
        )
    with c2:
        live_chart.live_plotly(figs[2], key=f"grads_{run.number}")
        st.caption(_("How hard each network is being pushed. A G line sinking toward 0 means G has stopped learning."))


def _quality_body(run: RunHandle) -> None:
    use_language()
    if run.status != "queued":
        quality_panel(run)


def quality_panel(run: RunHandle) -> None:
    """What a digit classifier reads in G's samples, measured every few hundred steps by gan_core's
    QualityMonitor on its own thread; this only draws its records."""
    st.subheader(_("Sample quality"), divider="gray")
    mon = run.quality
    if mon is None:
        st.caption(run.quality_note or _("No sample-quality measurements for this run."))
        return
    recs = mon.records()
    if mon.error:
        st.warning(_("Quality measurements stopped: {error}").format(error=mon.error), icon=":material/warning:")
    if not recs:
        st.caption(
            _(
                "A digit classifier reads {n} digits that G draws from fixed noise every {every} steps; "
                "the first reading appears in a moment."
            ).format(n=mon.n, every=mon.every)
        )
        return
    step, q = recs[-1]
    real = mon.real_scores()
    k = len(q.histogram)
    st.caption(
        _(
            "Every {every} steps and at the end, a digit classifier reads {n} digits that G draws "
            "from the same fixed noise. Latest reading: step {step}."
        ).format(every=mon.every, n=mon.n, step=format_number(step))
    )
    m1, m2, m3, m4 = st.columns(4)
    with m1:
        st.metric(_("Classes present"), f"{len(q.classes_present)}/{k}")
        st.caption(_("Digits that make up at least 1 in 100 samples — fewer means mode collapse."))
    with m2:
        st.metric(_("Class KL"), f"{q.class_kl:.2f}")
        st.caption(
            _("How far the mix of digits is from the data's: 0 = the same mix, {top:.1f} = one digit only.").format(
                top=np.log(k)
            )
        )
    with m3:
        st.metric(_("Classifier IS"), f"{q.inception_score:.1f}")
        st.caption(
            _("High when digits are both clear and varied: 1 to {k}; real digits score {real:.1f}.").format(
                k=k, real=real["inception_score"]
            )
        )
    with m4:
        st.metric(_("Fréchet distance"), fmt_fd(q.frechet))
        st.caption(
            _("Gap to real digits as the classifier sees them; lower is better, the floor is {floor}.").format(
                floor=fmt_fd(q.frechet_floor)
            )
        )
    if q.code_purity is not None:
        st.caption(
            _(
                "**InfoGAN code purity {purity}**: the share of samples the classifier reads as their "
                "code's most common digit. 10 % = the codes mean nothing yet, 100 % = each code has become one "
                "digit, although G was never shown a label."
            ).format(purity=format_percent(q.code_purity))
        )
    rev = f"quality-{run.number}"
    figs = run.memo(
        "quality",
        len(recs),
        lambda: (
            charts.class_histogram_figure(q.histogram, mon.class_dist, step, rev),
            charts.frechet_figure([s for s, _ in recs], [r.frechet for _, r in recs], q.frechet_floor, rev),
        ),
    )
    c1, c2 = st.columns(2, gap="medium")
    with c1:
        live_chart.live_plotly(figs[0], key=f"qhist_{run.number}")
        st.caption(_("Bars: share of G's samples read as each digit. Dark ticks: that digit's share of the real data."))
    with c2:
        live_chart.live_plotly(figs[1], key=f"qfd_{run.number}")
        st.caption(
            _("Falls as G learns. Dashed: what {n} real digits score — the best reachable at this sample size.").format(
                n=q.n
            )
        )


def live_panel(run: RunHandle) -> None:
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
