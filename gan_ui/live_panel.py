"""The Train page's live panel: a run's status, its D/G charts, its samples and its sample quality, while it trains.

Training never runs in the script thread: the run behind a `RunHandle` trains on its own (a thread, or
a worker process), and this panel only reads the handle's records and snapshots. A fragment polls once
a second while the run is active (and stops polling when it is not); when the run's state changes it
calls st.rerun() so the rest of the page (buttons, timeline, results) catches up.

Under it, its own fragment polling less often: the "Sample quality" panel (gan_ui/quality_panel.py); above
the charts, the queue and pace notices (gan_ui/pace_notice.py).
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import N_, _, format_number, get_language

from . import charts, coach_panel, images, live_chart, settings
from .language import use_language
from .layout import show_png
from .names import preset_label
from .pace_notice import fmt_seconds, pace_notice, queue_notice
from .quality_panel import quality_body
from .run_handle import STATUS_WORDS, RunHandle

STATUS_COLOUR = {
    "queued": "orange",
    "ready": "blue",
    "running": "green",
    "paused": "orange",
    "finished": "blue",
    "stopped": "gray",
    "diverged": "red",
    "failed": "red",
    "interrupted": "red",
}  # the badge's words: run_handle.STATUS_WORDS
WINDOWS = {N_("All steps"): None, N_("Last 500 steps"): 500, N_("Last 100 steps"): 100}  # shown as _(name)


# ---------------------------------------------------------------------------------------------
# Live panel
# ---------------------------------------------------------------------------------------------
def _phase(status: str) -> str:
    return "running" if status in ("ready", "running") else status


def _status_row(run: RunHandle) -> None:
    t, status = run, run.status
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.badge(
            _(STATUS_WORDS[status]),
            color=STATUS_COLOUR[status],
            icon=":material/circle:" if status == "running" else None,
        )
        st.badge(
            f"{t.device_name} · {t.precision}",
            color="gray",
            icon=":material/memory:",
            help=_("Where this run trains, and its arithmetic: bf16 where the chip has bfloat16 units, else fp32"),
        )
        st.badge(preset_label(t.cfg.preset), color="violet", icon=":material/tune:")
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
    elif t.status == "interrupted":  # its worker died: the last snapshot's weights are what is left
        st.warning(t.message, icon=":material/report:")
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
    st.fragment(quality_body, run_every=settings.QUALITY_POLL_SECONDS if active else None)(run)
