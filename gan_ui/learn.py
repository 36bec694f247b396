"""The Learn page: guided lessons a teacher can run and a student can follow alone.

Each lesson (gan_ui/lessons.py) is: the idea (with its math), a *predict-then-run* question, a one-click
run of the matching preset with a short step budget (gan_ui/learn_run.py), what to look for in the charts, and the
answer. Lessons 6 and 8 add a panel of their own (gan_ui/learn_extras.py). Everything shown is in the tab's
language: the lesson through `lessons.translated`, the page's own words through the catalogue.

Teacher mode (gan_ui/teacher.py, and the link builder in gan_ui/teacher_link.py):
`?lesson=N&lock=...&hide=...&projector=1`.
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import _

from . import teacher, teacher_link
from .layout import page_link, predict_radio
from .learn_extras import augment_panel, latent_panel
from .learn_run import answer_due, prediction, prediction_locked, run_section
from .lessons import BY_ID, LESSON_IDS, LESSONS, Lesson, number, translated
from .lessons_playground import PLAYGROUND_BY_ID
from .source_view import show_code


def current_lesson() -> Lesson:
    ss = st.session_state
    if ss.get("learn_lesson") not in BY_ID:
        ss["learn_lesson"] = LESSON_IDS[0]
    return translated(BY_ID[ss["learn_lesson"]])  # in the tab's language (?lang=)


def _go(lesson_id: str) -> None:
    st.session_state["learn_lesson"] = lesson_id


def answer_section(lesson: Lesson, extra_result: dict | None) -> None:
    pick = prediction(lesson)
    if teacher.hidden("answer"):
        st.caption(":material/lock: " + _("Your teacher will give the answer in class."))
        return
    if not answer_due(lesson):
        if pick is None:
            st.caption(_("Make your prediction in step 1 first; the answer appears when the run has ended."))
        else:
            st.caption(
                ":material/hourglass_top: "
                + _("Your prediction is in. The answer appears when the run has ended: watch the charts meanwhile.")
            )
        return
    if pick is not None:
        right = lesson.choices.index(pick) == lesson.correct if pick in lesson.choices else False
        if right:
            st.success(
                _("You predicted: *{pick}* - that is what happens.").format(pick=pick), icon=":material/check_circle:"
            )
        else:
            st.warning(
                _("You predicted: *{pick}*. Compare with the answer below.").format(pick=pick),
                icon=":material/lightbulb:",
            )
    text = lesson.answer
    if "AUGMENT_RESULT" in text:
        text = text.replace(
            "AUGMENT_RESULT",
            _("**Measured here:** {summary}").format(summary=extra_result["summary"])
            if extra_result
            else _("Run the experiment above to repeat the measurement on this server."),
        )
    st.markdown(text)


def lesson_body(lesson: Lesson) -> None:
    st.title(_("Lesson {n}: {title}").format(n=number(lesson.id), title=lesson.title))
    st.markdown(lesson.idea)
    for formula in lesson.math:
        st.latex(formula)
    show_code(lesson.code)
    st.subheader(_("1 · Predict"), divider="gray")
    locked = prediction_locked(lesson) or (not lesson.runs and answer_due(lesson))
    predict_radio(lesson.question, lesson.choices, f"predict_{lesson.id}", locked, prediction(lesson) is not None)
    extra_result = None
    step = 2
    if lesson.runs:
        st.subheader(_("{step} · Run it").format(step=step), divider="gray")
        run_section(lesson)
        step += 1
    if lesson.extra == "latent":
        st.subheader(_("{step} · Try it").format(step=step), divider="gray")
        latent_panel()
        step += 1
    elif lesson.extra == "augment":
        st.subheader(_("{step} · The augmentation experiment").format(step=step), divider="gray")
        extra_result = augment_panel()
        step += 1
    st.subheader(_("{step} · What to look for").format(step=step), divider="gray")
    st.markdown(lesson.look_for)
    if lesson.playground in PLAYGROUND_BY_ID:  # the same idea as a game on the plane (gan_ui/playground_lesson.py)
        page_link(
            "playground",
            label=_("On the plane, in the Playground: {title}").format(
                title=_(PLAYGROUND_BY_ID[lesson.playground].title)
            ),
            query={"lesson": lesson.playground},
            icon=":material/scatter_plot:",
        )
    st.subheader(_("{step} · The answer").format(step=step + 1), divider="gray")
    answer_section(lesson, extra_result)


def render() -> None:
    t = teacher.current()
    for problem in t.problems:
        st.warning(_("Teacher link: {problem}").format(problem=problem), icon=":material/link_off:")
    lesson = current_lesson()
    if teacher.hidden("lessons"):
        lesson_body(lesson)
        return
    nav, body = st.columns([1, 3.2], gap="large")
    with nav:
        st.markdown("**" + _("Lessons") + "**")
        # labels made now, in this run's language (a format_func may be called from another thread)
        titles = {i: f"{number(i)}. {translated(BY_ID[i]).title}" for i in LESSON_IDS}
        st.radio(_("Lessons"), LESSON_IDS, key="learn_lesson", label_visibility="collapsed", format_func=titles.get)
        teacher_link.builder(number(lesson.id))
    with body:
        lesson_body(lesson)
        i = LESSON_IDS.index(lesson.id)
        with st.container(horizontal=True, gap="small"):
            if i > 0:
                prev = translated(LESSONS[i - 1]).title
                st.button(f"← {prev}", key="learn_prev", on_click=_go, args=(LESSON_IDS[i - 1],))
            if i < len(LESSONS) - 1:
                st.button(
                    _("Next: {title} →").format(title=translated(LESSONS[i + 1]).title),
                    key="learn_next",
                    type="primary",
                    on_click=_go,
                    args=(LESSON_IDS[i + 1],),
                )
