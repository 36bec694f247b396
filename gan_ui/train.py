"""The Train page: pick a recipe, start a run, watch D and G compete, then scrub the timeline.

The left column is the controls (gan_ui/train_controls.py draws them, gan_ui/controls.py maps them to a
GANConfig and starts the run); the right column shows the run the tab looks at: its live panel
(gan_ui/live_panel.py) while it trains, then its timeline and results (gan_ui/timeline.py), and under both
the comparison of this tab's runs.
"""

from __future__ import annotations

import streamlit as st

from gan_core import DataFormatError, DataUnavailable
from gan_core.i18n import _, format_number

from . import run_tools, state, step_view
from .controls import init_controls
from .live_panel import live_panel
from .run_handle import STATUS_WORDS, RunHandle
from .server import shared_dataset
from .store import SessionStore
from .timeline import results, timeline
from .train_controls import control_column


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
            format_func=lambda k: f"{store.run(k).label} · {_(STATUS_WORDS[store.run(k).status])}",
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
