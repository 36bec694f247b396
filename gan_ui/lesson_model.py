"""What a lesson is, as data: the idea, a predict-then-run question, the run, what to look for.

gan_ui/lessons.py gathers the lessons (gan_ui/lessons_basics.py, gan_ui/lessons_more.py) and translates them;
gan_ui/lessons_playground.py holds the Playground's lessons.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LessonRun:
    label: str  # what the run button / variant picker says
    preset: str  # a gan_core PRESETS name
    overrides: dict = field(default_factory=dict)
    steps: int = 300  # short: ~1-2 minutes on a busy CPU, seconds on a GPU


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    idea: str  # markdown, a few sentences
    math: tuple = ()  # LaTeX formulas shown after the idea (st.latex)
    question: str = ""  # the predict-then-run question
    choices: tuple = ()
    correct: int = 0  # index into choices
    answer: str = ""  # markdown: why, in terms of what the run shows
    look_for: str = ""  # markdown: where to look in the charts
    runs: tuple = ()  # LessonRun variants (the student picks one when there are several)
    extra: str = ""  # "latent" | "augment": a lesson-specific panel instead of/besides a run
    code: tuple = ()  # gan_ui.source_view.CODE keys: the real source behind the lesson's math
    playground: str = ""  # a PlaygroundLesson id: the same idea on the plane (a link from this lesson)


@dataclass(frozen=True)
class PlaygroundLesson:
    """A lesson on the Playground page (gan_ui/lessons_playground.py): the game on the plane, predict-then-run.

    Its run is the Playground's own game with a 2-D preset (gan_core.toy2d.TOY_PRESETS) plus overrides; the answer
    shows once G has made `g_steps` updates in a game with exactly those settings."""

    id: str
    title: str
    idea: str
    question: str
    choices: tuple
    correct: int
    answer: str
    look_for: str
    preset: str  # a gan_core.toy2d.TOY_PRESETS name
    overrides: dict = field(default_factory=dict)
    g_steps: int = 2000  # G updates before the answer shows
    digits: str = ""  # a Learn lesson id: where the idea goes on with digits


VALUE_FN = (
    r"\min_G \max_D \; V(D,G) = \mathbb{E}_{x\sim p_\text{data}}\big[\log D(x)\big]"
    r" + \mathbb{E}_{z\sim \mathcal{N}(0,I)}\big[\log\big(1-D(G(z))\big)\big]"
)
