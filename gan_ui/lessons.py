"""The lessons of the Learn page, as data: the idea, a predict-then-run question, the run, what to look for.

Each lesson's run is a preset from gan_core.config.PRESETS plus a few overrides and a short step budget.
What the texts say a run shows was observed on short runs on a 2-core CPU (1 thread, the 5,000 offline
MNIST digits); tests/test_lessons.py re-measures each promised phenomenon on real digits.

No Streamlit here: gan_ui/learn.py draws these. The lessons live in gan_ui/lessons_basics.py and
gan_ui/lessons_more.py, what a lesson is in gan_ui/lesson_model.py; this module gathers and translates them.

Languages: every text a student reads is marked N_() (extracted into the gettext catalogue, left English here);
`translated(lesson)` gives the lesson in the current language (gan_core.i18n), the math, ids, presets and
overrides untouched. learn.py draws `translated(lesson(id))`, never the raw English.
"""

from __future__ import annotations

from dataclasses import replace

from gan_core.i18n import _

from .lesson_model import VALUE_FN, Lesson, LessonRun
from .lessons_basics import BASICS
from .lessons_more import MORE

__all__ = ["BY_ID", "LESSONS", "LESSON_IDS", "VALUE_FN", "Lesson", "LessonRun", "lesson", "number", "translated"]

LESSONS: list[Lesson] = BASICS + MORE

LESSON_IDS = [lesson.id for lesson in LESSONS]
BY_ID = {lesson.id: lesson for lesson in LESSONS}


def number(lesson_id: str) -> int:
    """1-based lesson number."""
    return LESSON_IDS.index(lesson_id) + 1


def lesson(lesson_id: str) -> Lesson:
    return BY_ID[lesson_id]


def translated(item: Lesson) -> Lesson:
    """The same lesson with every text a student reads in the current language (gan_core.i18n.set_language).
    English (or a message without a translation) gives the text as written here."""
    return replace(
        item,
        title=_(item.title),
        idea=_(item.idea),
        question=_(item.question) if item.question else "",
        choices=tuple(_(c) for c in item.choices),
        answer=_(item.answer) if item.answer else "",
        look_for=_(item.look_for) if item.look_for else "",
        runs=tuple(replace(r, label=_(r.label)) for r in item.runs),
    )
