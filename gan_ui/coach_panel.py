"""The training-health coach beside the live charts: gan_core.coach's alerts, each linking to its lesson.

Called once per poll from the Train page's live panel (and so also under a lesson's run on the Learn
page). The alerts are pure functions of the run's records and latest sample-quality reading, so the
panel says the same thing a teacher would say pointing at the charts, as it happens.
"""

from __future__ import annotations

import streamlit as st

from gan_core.coach import diagnose
from gan_core.i18n import _

from . import teacher
from .layout import page_link
from .lessons import BY_ID, number, translated
from .run_handle import RunHandle

ICONS = {
    "error": ":material/error:",
    "warning": ":material/warning:",
    "info": ":material/info:",
    "ok": ":material/check_circle:",
}
BOXES = {"error": st.error, "warning": st.warning, "info": st.info, "ok": st.success}


def alerts_for(run: RunHandle) -> list:
    latest = run.quality.latest() if run.quality is not None else None
    step, quality = latest if latest else (None, None)
    return diagnose(run.records(), run.loss_info.probabilistic, quality, step)


def render(run: RunHandle) -> None:
    """The coach's current alerts for this run, most urgent first (nothing at all when hidden by a teacher)."""
    if teacher.hidden("coach"):
        return
    alerts = run.memo("coach", (run.record_count, run.quality and len(run.quality.records())), lambda: alerts_for(run))
    with st.container(key=f"coach_{run.number}"):
        st.markdown("**" + _("Coach") + "**")
        if not alerts:
            st.caption(
                _("Nothing to flag yet: the coach reads the last 50 steps and the latest sample-quality reading.")
            )
        for a in alerts:
            lesson = BY_ID.get(a.lesson_id)
            BOXES[a.severity](a.message, icon=ICONS[a.severity])
            if lesson is not None:
                page_link(
                    "learn",
                    _("Why? Lesson {n}").format(n=number(lesson.id)),
                    query={"lesson": lesson.id},
                    icon=":material/school:",
                    help=translated(lesson).title,
                )
