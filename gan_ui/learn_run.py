"""A lesson's run on the Learn page: predict-then-run, the run's buttons, its live panel and its variants side by side.

Predict-then-run means: the run waits for a prediction, the prediction locks when the run starts, and the
answer shows when the run has ended (a lesson without a run: once predicted). A teacher's link can let the
run start first (`allow=run_first`) or reveal the answer (`allow=answer`).

The run goes through the Train page's own path (its controls are filled with the lesson's preset and
budget, then `controls.start_from_controls()`), so it is an ordinary run of this tab: the live panel drawn here is
the Train page's live panel (`live_panel.live_panel`), and the run also appears on the Train page.
"""

from __future__ import annotations

import streamlit as st

from gan_core import PRESETS, DataFormatError, DataUnavailable
from gan_core.coach import WINDOW, window_values
from gan_core.i18n import _, format_number

from . import controls, settings, state, teacher
from .choices import keep_label
from .lessons import BY_ID, Lesson, LessonRun
from .live_panel import live_panel
from .run_handle import STATUS_WORDS, RunHandle
from .server import shared_dataset

TEST_STEPS = 6  # lesson budgets in test mode (GAN_CLASSROOM_TEST_MODE=1)


def lesson_steps(spec: LessonRun) -> int:
    return min(spec.steps, TEST_STEPS) if settings.test_mode() else spec.steps


def fill_controls(spec: LessonRun) -> None:
    """The Train page's controls set to the lesson's preset, overrides and step budget."""
    controls.set_values(controls.lesson_values(spec.preset, spec.overrides, lesson_steps(spec)))


def _on_run(lesson_id: str, spec: LessonRun) -> None:
    ss = st.session_state
    store = state.session_store()
    if store.active_run() is not None or not may_run(BY_ID[lesson_id]):
        return
    fill_controls(spec)  # the Train page shows (and a teacher's locks keep) the lesson's values
    handle = controls.start_from_controls()
    if handle is not None:
        ss.setdefault("learn_runs", {})[handle.number] = (lesson_id, _source_label(lesson_id, spec))


def _source_label(lesson_id: str, spec: LessonRun) -> str:
    """The variant's label as written (the catalogue's message id), so the runs table says it in the language of
    the moment, not in the one the run was started in."""
    for source in BY_ID[lesson_id].runs:
        if (source.preset, source.overrides, source.steps) == (spec.preset, spec.overrides, spec.steps):
            return source.label
    return spec.label


def prediction(lesson: Lesson) -> str | None:
    return st.session_state.get(f"predict_{lesson.id}")


def may_run(lesson: Lesson) -> bool:
    """A lesson's run starts only after a prediction, unless the teacher's link allows it first."""
    return prediction(lesson) is not None or teacher.allowed("run_first")


def prediction_locked(lesson: Lesson) -> bool:
    """The prediction is fixed once a run of this lesson has started."""
    return bool(lesson_runs(lesson.id))


def answer_due(lesson: Lesson) -> bool:
    """Whether the answer may show: a run of this lesson has ended (or, without a run, a prediction is in;
    lesson 8's experiment counts as its run), or the teacher's link reveals it."""
    if teacher.allowed("answer"):
        return True
    if not lesson.runs:
        return prediction(lesson) is not None
    if lesson.extra == "augment" and st.session_state.get("learn_augment_result"):
        return True
    return any(not h.active for h, _lab in lesson_runs(lesson.id))


def lesson_runs(lesson_id: str) -> list[tuple[RunHandle, str]]:
    """This tab's runs started from this lesson, oldest first, as (handle, variant label)."""
    store = state.session_store()
    tags = st.session_state.get("learn_runs", {})
    return [(h, _(tags[h.number][1])) for h in store.runs if tags.get(h.number, ("",))[0] == lesson_id]


def _median(values) -> float | None:
    values = sorted(values)
    return values[len(values) // 2] if values else None


RATIO_COLUMNS = ("D(x)", "D(G(z))", "‖∇G‖", "‖∇G‖ / ‖∇D‖")  # math: the same in every language


def comparison_rows(runs) -> list[dict]:
    """One row per run: the medians of the last WINDOW steps, and the latest sample-quality reading."""
    rows = []
    for h, label in runs:
        recs = h.records()
        info = h.loss_info
        g, d = _median(window_values(recs, "g_grad_norm", WINDOW)), _median(window_values(recs, "d_grad_norm", WINDOW))
        latest = h.quality.latest() if h.quality is not None else None
        rows.append(
            {
                _("run"): _("Run {n}").format(n=h.number),
                _("variant"): label,
                _("status"): _(STATUS_WORDS.get(h.status, h.status)),
                _("steps"): h.step,
                "D(x)": _median(window_values(recs, "d_real", WINDOW)) if info.probabilistic else None,
                "D(G(z))": _median(window_values(recs, "d_fake", WINDOW)) if info.probabilistic else None,
                "‖∇G‖": g,
                "‖∇G‖ / ‖∇D‖": (g / d) if g is not None and d else None,
                _("classes present"): len(latest[1].classes_present) if latest else None,
            }
        )
    return rows


def _variant(lesson: Lesson, active) -> LessonRun:
    """The lesson's run spec: its only one, or the variant picked with the radio."""
    ss = st.session_state
    specs = list(lesson.runs)
    if len(specs) == 1:
        return specs[0]
    key = f"learn_variant_{lesson.id}"
    labels = [s.label for s in specs]
    keep_label(key, [s.label for s in BY_ID[lesson.id].runs])  # the chosen variant survives a change of language
    if ss.get(key) not in labels:
        ss[key] = labels[0]
    st.radio(
        _("Variant"), labels, key=key, horizontal=True, disabled=teacher.locked("learn_variant") or active is not None
    )
    if teacher.locked("learn_variant"):
        st.caption(":material/lock: " + _("Your teacher chose this variant."))
    return specs[labels.index(ss[key])]


def run_section(lesson: Lesson) -> None:
    store = state.session_store()
    active = store.active_run()
    spec = _variant(lesson, active)
    preset = PRESETS[spec.preset]
    changes = ", ".join(f"{k} = {v}" for k, v in spec.overrides.items())
    st.caption(
        _("Preset **{name}**: {description}").format(name=spec.preset, description=_(preset.description))
        + (" " + _("Changed: {changes}.").format(changes=changes) if changes else "")
        + " "
        + _("Budget: {steps} steps.").format(steps=format_number(lesson_steps(spec)))
    )
    with st.container(horizontal=True, gap="small"):
        st.button(
            spec.label,
            type="primary",
            icon=":material/play_arrow:",
            key=f"learn_run_{lesson.id}",
            on_click=_on_run,
            args=(lesson.id, spec),
            disabled=active is not None or not may_run(lesson),
        )
        st.button(
            _("Stop"),
            icon=":material/stop:",
            key=f"learn_stop_{lesson.id}",
            disabled=active is None,
            on_click=lambda: state.session_store().stop_run(active) if active is not None else None,
        )
    if not may_run(lesson):
        st.caption(
            ":material/touch_app: "
            + _("Make your prediction first (step 1): the run then shows whether you were right.")
        )
    try:
        st.caption(_("Lesson runs train on {data}.").format(data=shared_dataset("mnist").describe()))
    except (DataUnavailable, DataFormatError) as exc:
        st.warning(str(exc))
    if st.session_state.get("start_error"):
        st.error(st.session_state["start_error"], icon=":material/error:")
    runs = lesson_runs(lesson.id)
    if active is not None and all(h is not active for h, _lab in runs):
        st.info(
            _(
                "{run} is training in this tab; it must end (or be stopped on the Train page) "
                "before this lesson's run can start."
            ).format(run=active.label),
            icon=":material/hourglass_top:",
        )
    if not runs:
        st.caption(_("The live charts appear here when the run starts."))
        return
    _show_runs(lesson, runs, active)


def _show_runs(lesson: Lesson, runs, active) -> None:
    """The live panel of the run picked (the newest by default), and the variants' runs side by side."""
    shown, label = runs[-1]
    if len(runs) > 1:
        numbers = [h.number for h, _lab in reversed(runs)]
        pick = st.selectbox(
            _("Show run"),
            numbers,
            key=f"learn_show_{lesson.id}",
            format_func={h.number: _("Run {n}").format(n=h.number) + f" · {lab}" for h, lab in runs}.get,
        )
        if active is None or all(h is not active for h, _lab in runs):
            shown, label = next((h, lab) for h, lab in runs if h.number == pick)
    st.markdown("**" + _("Run {n}: {label}").format(n=shown.number, label=label) + "**")
    live_panel(shown)
    if len(lesson.runs) > 1 and len(runs) > 1:
        st.markdown(
            _(
                "**This lesson's runs, side by side** (medians of the last {window} steps; classes present from "
                "the latest sample-quality reading)"
            ).format(window=WINDOW)
        )
        st.dataframe(
            comparison_rows(runs),
            hide_index=True,
            width="stretch",
            column_config={c: st.column_config.NumberColumn(format="%.3g") for c in RATIO_COLUMNS},
        )
