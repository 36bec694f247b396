"""A lesson on the Playground page: the lesson picker, the idea, predict-then-run, what to look for, the answer.

The lessons are data (gan_ui/lessons_playground.py). Picking one (or opening a teacher's link such as
`/playground?lesson=pg-collapse&lock=lr`) sets the Playground's settings to the lesson's; its "run" is the
Playground's own game. Predict-then-run as on the Learn page: the Train and step buttons wait for a prediction
(unless the link has `allow=run_first`), the prediction locks when the game has moved, and the answer shows once
G has made the lesson's number of updates in a game with exactly the lesson's settings (`allow=answer` shows it
at once; `hide=answer` leaves it to the teacher).
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import _, format_number
from gan_core.toy2d import ToyConfig, ToyTrainer, toy_preset

from . import settings, teacher, teacher_link
from .layout import page_link, predict_radio
from .lesson_model import PlaygroundLesson
from .lessons import BY_ID, number, translated
from .lessons_playground import PLAYGROUND_BY_ID, PLAYGROUND_IDS, translated_pg
from .playground_settings import apply_settings
from .teacher_params import PLAYGROUND_HIDES, PLAYGROUND_LOCKS

LESSON = "pg_lesson"  # the lesson open on the Playground ("" for free play); not a widget's key, so it outlives
PICK = "pg_lesson_pick"  #   a visit to another page; the picker widget copies it
TEST_G_STEPS = 3  # a lesson's G updates in test mode (GAN_CLASSROOM_TEST_MODE=1)


def lesson_config(item: PlaygroundLesson) -> ToyConfig:
    return toy_preset(item.preset, **item.overrides)


def g_steps(item: PlaygroundLesson) -> int:
    return min(item.g_steps, TEST_G_STEPS) if settings.test_mode() else item.g_steps


def current() -> PlaygroundLesson | None:
    """The lesson open on the Playground, in this tab's language, or None (free play)."""
    lid = st.session_state.get(LESSON) or ""
    return translated_pg(PLAYGROUND_BY_ID[lid]) if lid in PLAYGROUND_BY_ID else None


def sync() -> None:
    """A newly opened lesson sets the settings widgets (call before they are drawn); its values of the locked
    settings become the ones this tab keeps."""
    ss = st.session_state
    lid = ss.get(LESSON) or ""
    if ss.get("_pg_lesson_applied") == lid and "pg_target" in ss:
        return
    ss["_pg_lesson_applied"] = lid
    if lid in PLAYGROUND_BY_ID:
        item = PLAYGROUND_BY_ID[lid]
        apply_settings(item.preset, item.overrides)
        teacher.remember()


def _progress_key(item: PlaygroundLesson) -> str:
    return f"pg_progress_{item.id}"


def progress(item: PlaygroundLesson, trainer: ToyTrainer | None) -> int:
    """The most G updates any game with the lesson's exact settings reached in this session."""
    ss = st.session_state
    done = ss.get(_progress_key(item), 0)
    if trainer is not None and trainer.cfg == lesson_config(item):
        done = ss[_progress_key(item)] = max(done, trainer.g_updates)
    return done


def started(item: PlaygroundLesson, trainer: ToyTrainer | None) -> bool:
    moved = trainer is not None and trainer.d_updates + trainer.g_updates > 0
    return bool(st.session_state.get(f"pg_started_{item.id}")) or moved or progress(item, trainer) > 0


def mark_started(item: PlaygroundLesson | None) -> None:
    if item is not None:
        st.session_state[f"pg_started_{item.id}"] = True


def prediction(item: PlaygroundLesson) -> str | None:
    return st.session_state.get(f"pg_predict_{item.id}")


def may_play(item: PlaygroundLesson | None) -> bool:
    """Free play, or a lesson whose prediction is in (or whose teacher's link allows playing first)."""
    return item is None or prediction(item) is not None or teacher.allowed("run_first")


def answer_due(item: PlaygroundLesson, trainer: ToyTrainer | None) -> bool:
    return teacher.allowed("answer") or progress(item, trainer) >= g_steps(item)


def answer_pending(trainer: ToyTrainer | None) -> bool:
    """For the view's fragment: the answer is due but the page (drawn before the game got there) lacks it."""
    item = current()
    return item is not None and answer_due(item, trainer) and st.session_state.get("_pg_answer_shown") != item.id


def _restore() -> None:
    st.session_state["_pg_lesson_applied"] = None  # sync() applies the lesson again


def _on_pick() -> None:
    st.session_state[LESSON] = st.session_state[PICK]


def header(trainer: ToyTrainer | None) -> PlaygroundLesson | None:
    """The lesson picker, and the open lesson's idea and prediction (steps 1 and 2 of the lesson)."""
    ss = st.session_state
    item = current()
    if not teacher.hidden("lessons"):
        names = {"": _("Free play (no lesson)")} | {i: _(PLAYGROUND_BY_ID[i].title) for i in PLAYGROUND_IDS}
        ss[PICK] = ss.get(LESSON) or ""
        st.selectbox(_("Lesson"), list(names), key=PICK, format_func=names.get, on_change=_on_pick)
    if item is None:
        return None
    st.subheader(item.title, divider="gray")
    st.markdown(item.idea)
    locked = started(item, trainer)
    label = "**" + _("1 · Predict") + "** " + item.question
    said_locked = predict_radio(label, item.choices, f"pg_predict_{item.id}", locked, prediction(item) is not None)
    if not said_locked and not may_play(item):
        st.caption(":material/touch_app: " + _("Make your prediction first: the buttons below wait for it."))
    return item


def footer(item: PlaygroundLesson | None, trainer: ToyTrainer | None) -> None:
    """What to look for, the answer when due, the way on to digits, and the teacher's link builder."""
    if item is None:
        return
    st.subheader(_("2 · What to look for"), divider="gray")
    st.markdown(item.look_for)
    st.subheader(_("3 · The answer"), divider="gray")
    _answer(item, trainer)
    if item.digits in BY_ID:
        page_link(
            "learn",
            label=_("With digits: lesson {n}, {title}").format(
                n=number(item.digits), title=translated(BY_ID[item.digits]).title
            ),
            query={"lesson": item.digits},
            icon=":material/arrow_forward:",
        )
    teacher_link.builder(item.id, page="playground", locks=PLAYGROUND_LOCKS, hides=PLAYGROUND_HIDES, key="pgl")


def _answer(item: PlaygroundLesson, trainer: ToyTrainer | None) -> None:
    if teacher.hidden("answer"):
        st.caption(":material/lock: " + _("Your teacher will give the answer in class."))
        return
    if not answer_due(item, trainer):
        need, done = g_steps(item), progress(item, trainer)
        st.caption(
            ":material/hourglass_top: "
            + _(
                "The answer appears when G has made {need} updates with this lesson's settings ({done} so far)."
            ).format(need=format_number(need), done=format_number(min(done, need)))
        )
        if trainer is not None and trainer.cfg != lesson_config(item):
            st.caption(_("The settings on screen are not the lesson's: this game does not count."))
            st.button(_("Back to the lesson's settings"), key="pg_lesson_restore", on_click=_restore)
        return
    st.session_state["_pg_answer_shown"] = item.id
    pick = prediction(item)
    if pick is not None:
        if pick in item.choices and item.choices.index(pick) == item.correct:
            st.success(
                _("You predicted: *{pick}* - that is what happens.").format(pick=pick), icon=":material/check_circle:"
            )
        else:
            st.warning(
                _("You predicted: *{pick}*. Compare with the answer below.").format(pick=pick),
                icon=":material/lightbulb:",
            )
    st.markdown(item.answer)
