"""The Learn page and teacher mode through streamlit.testing.v1.AppTest (test mode: 6-step lesson runs).

Lesson navigation (list, next/previous, a `?lesson=` link), predict-then-run (no answer before a
prediction), a lesson's one-click run (the preset and the variant's overrides reach the Trainer, the live
panel shows it), and teacher links: locked controls are disabled on the Train page with a note, hidden
parts are gone, projector mode styles the page, and a bad link says what it did not understand.
"""

from __future__ import annotations

import pytest
from e2e_support import ROOT, wait_for
from streamlit.testing.v1 import AppTest

from gan_ui import projector, teacher, teacher_link
from gan_ui.lessons import LESSON_IDS, LESSONS

APP = str(ROOT / "app.py")
TIMEOUT = 120
pytestmark = pytest.mark.usefixtures("app_env")  # tests/conftest.py: offline, test mode, runs stopped after


def open_learn(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("gan_ui/pages/learn.py").run()
    assert not at.exception, at.exception
    return at


def store_runs(at: AppTest) -> list:
    """The runs of this AppTest tab's own store (other tests' stores may still be alive)."""
    from gan_ui.state import live_stores

    tab = at.session_state["_tab_token"]
    return next(s for s in live_stores() if s.owner == tab and not s.closed).runs


def title(at: AppTest) -> str:
    return at.title[0].value


def answer_shown(at: AppTest, lesson) -> bool:
    first_words = lesson.answer.split(".")[0][:40]
    return any(first_words in m.value for m in at.markdown)


def test_lesson_list_and_next_previous():
    at = open_learn()
    nav = at.radio(key="learn_lesson")
    assert nav.options == [f"{i + 1}. {lesson.title}" for i, lesson in enumerate(LESSONS)]
    assert title(at) == f"Lesson 1: {LESSONS[0].title}"
    next(b for b in at.button if b.key == "learn_next").click().run()
    assert title(at) == f"Lesson 2: {LESSONS[1].title}" and at.session_state["learn_lesson"] == LESSON_IDS[1]
    next(b for b in at.button if b.key == "learn_prev").click().run()
    assert title(at) == f"Lesson 1: {LESSONS[0].title}"
    at.radio(key="learn_lesson").set_value("collapse").run()
    assert title(at) == "Lesson 5: Mode collapse"
    assert not at.exception


@pytest.mark.parametrize("lesson", LESSONS, ids=LESSON_IDS)
def test_every_lesson_renders_with_its_math_and_question(lesson):
    at = open_learn(lesson=lesson.id)
    assert title(at).endswith(lesson.title)
    assert len(at.latex) == len(lesson.math)
    question = at.radio(key=f"predict_{lesson.id}")
    assert question.label == lesson.question and list(question.options) == list(lesson.choices)
    assert question.value is None  # nothing pre-selected: the student must commit
    assert not at.exception


def run_button(at: AppTest, lesson):
    return next(b for b in at.button if b.key == f"learn_run_{lesson.id}")


def wait_lesson_run_end(at: AppTest, steps: int = 6) -> None:
    def ended():
        at.run()
        assert not at.exception, at.exception
        return any(f"Reached the budget of {steps} steps" in s.value for s in at.success)

    wait_for(ended, 60, interval=0.5, what="the end of the lesson run")


def test_predict_then_run_locks_the_prediction_and_answers_after_the_run():
    lesson = LESSONS[2]
    at = open_learn(lesson="3")
    assert title(at) == f"Lesson 3: {lesson.title}"
    assert not answer_shown(at, lesson)
    assert run_button(at, lesson).disabled  # no run before a prediction
    assert any("Make your prediction first" in c.value for c in at.caption)
    wrong = lesson.choices[(lesson.correct + 1) % len(lesson.choices)]
    at.radio(key=f"predict_{lesson.id}").set_value(wrong).run()
    assert not answer_shown(at, lesson)  # predicted, not yet run: no answer
    assert not run_button(at, lesson).disabled
    run_button(at, lesson).click().run()
    assert not at.exception, at.exception
    assert at.radio(key=f"predict_{lesson.id}").disabled  # locked once the run started
    runs = store_runs(at)
    assert len(runs) == 1
    assert runs[0].join(60)
    wait_lesson_run_end(at)
    assert answer_shown(at, lesson)
    assert any(f"You predicted: *{wrong}*" in w.value for w in at.warning)
    assert at.radio(key=f"predict_{lesson.id}").value == wrong


def test_a_teacher_link_can_allow_running_first_and_reveal_the_answer():
    lesson = LESSONS[2]
    at = open_learn(lesson="3", allow="run_first")
    assert not run_button(at, lesson).disabled
    assert not answer_shown(at, lesson)
    at = open_learn(lesson="3", allow="answer")
    assert run_button(at, lesson).disabled
    assert answer_shown(at, lesson)


def test_lesson_run_uses_the_variant_preset_and_shows_live_charts():
    at = open_learn(lesson="saturating")
    at.radio(key="predict_saturating").set_value(LESSONS[2].choices[0]).run()
    variant = at.radio(key="learn_variant_saturating")
    variant.set_value(variant.options[1]).run()  # non-saturating, same learning rates
    next(b for b in at.button if b.key == "learn_run_saturating").click().run()
    assert not at.exception, at.exception
    runs = store_runs(at)
    assert len(runs) == 1
    cfg = runs[0].cfg
    assert cfg.loss == "non-saturating" and cfg.lr_d == 5e-4 and cfg.max_steps == 6
    assert runs[0].join(60)
    wait_lesson_run_end(at)
    assert any("Run 1: Non-saturating loss" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) >= 3  # losses, D's verdicts, gradient norms
    at.switch_page("gan_ui/pages/train.py").run()  # the same run is an ordinary run of the tab
    assert (
        at.selectbox(key="cfg_preset").value == "saturating" and at.selectbox(key="cfg_loss").value == "non-saturating"
    )


def test_teacher_link_locks_controls_on_the_train_page():
    at = open_learn(lesson="4", lock="lr,loss", hide="advanced")
    assert title(at).startswith("Lesson 4")
    at.switch_page("gan_ui/pages/train.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="cfg_loss").disabled and at.selectbox(key="cfg_preset").disabled
    assert at.select_slider(key="cfg_lr_g").disabled and at.select_slider(key="cfg_lr_d").disabled
    assert at.select_slider(key="cfg_beta1").disabled  # hidden with "advanced": locked as well
    assert not at.segmented_control(key="budget").disabled  # not locked
    assert any("Your teacher fixed: loss, lr" in c.value for c in at.caption)
    assert any(".st-key-train_advanced" in h.proto.body for h in at.get("html"))
    # moving to another page keeps the settings (the URL loses its query string there)
    at.switch_page("gan_ui/pages/explore.py").run()
    at.switch_page("gan_ui/pages/train.py").run()
    assert at.select_slider(key="cfg_lr_g").disabled


def test_without_a_teacher_link_nothing_is_locked():
    at = open_learn()
    at.switch_page("gan_ui/pages/train.py").run()
    assert not at.selectbox(key="cfg_loss").disabled and not at.select_slider(key="cfg_lr_g").disabled
    assert not any("Your teacher" in c.value for c in at.caption)


def test_hidden_answer_and_lesson_list_and_variant_lock():
    lesson = LESSONS[5]
    at = open_learn(lesson="6", hide="answer,lessons", lock="variant")
    assert title(at) == f"Lesson 6: {lesson.title}"
    assert not any(r.key == "learn_lesson" for r in at.radio)  # no way to other lessons
    assert at.radio(key="learn_variant_stabilisers").disabled
    at.radio(key=f"predict_{lesson.id}").set_value(lesson.choices[0]).run()
    assert not answer_shown(at, lesson)
    assert any("teacher will give the answer" in c.value for c in at.caption)


def test_projector_mode_and_a_bad_link():
    at = open_learn(lesson="99", lock="lr,nonsense", projector="1")
    warnings = " ".join(w.value for w in at.warning)
    assert "lesson='99' is not a lesson" in warnings and "lock='nonsense'" in warnings
    assert title(at) == f"Lesson 1: {LESSONS[0].title}"  # falls back to the first lesson
    assert any("font-size: 20px" in h.proto.body for h in at.get("html"))


def test_teacher_link_builder_round_trips():
    url = teacher_link.link("http://school:8501/", 5, ["lr", "loss"], ["advanced"], True, ["run_first"])
    assert url == "http://school:8501/learn?lesson=5&lock=lr,loss&hide=advanced&allow=run_first&projector=1"
    from urllib.parse import parse_qs, urlparse

    params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    s = teacher.parse(params, LESSON_IDS)
    assert s.lesson == "collapse" and s.lock == {"lr", "loss", "preset"} and s.hide == {"advanced"} and s.projector
    assert s.allow == {"run_first"}
    assert not s.problems
    assert teacher_link.link("http://x") == "http://x/learn"


@pytest.mark.parametrize(
    "url, base",
    [
        ("http://127.0.0.1:8611/learn", "http://127.0.0.1:8611"),
        ("https://school.example/gan/learn", "https://school.example/gan"),
        ("http://10.0.0.5:8501/", "http://10.0.0.5:8501"),
        ("http://10.0.0.5:8501", "http://10.0.0.5:8501"),
        ("http://host:8501/gan/train", "http://host:8501/gan"),
        (None, None),
        ("", None),
        ("file:///x", None),
    ],
)
def test_the_app_address_comes_from_the_browser_url(url, base):
    assert teacher_link.app_base(url, ("explore", "train", "learn", "about")) == base


def test_local_addresses_are_told_apart():
    assert teacher_link.is_local("http://localhost:8501")
    assert teacher_link.is_local("http://127.0.0.1:8611")
    assert not teacher_link.is_local("http://10.0.0.5:8501")
    assert not teacher_link.is_local("https://school.example/gan")


def test_the_qr_code_is_a_png_of_the_link():
    png = teacher_link.qr_png("http://10.0.0.5:8501/learn?lesson=1")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert teacher_link.qr_png("http://10.0.0.5:8501/learn?lesson=2") != png


@pytest.mark.slow
def test_lesson_8_experiment_runs_and_fills_the_answer():
    lesson = LESSONS[7]
    at = open_learn(lesson="8")
    at.radio(key=f"predict_{lesson.id}").set_value(lesson.choices[1]).run()
    assert not answer_shown(at, lesson)  # the experiment (or the lesson's run) comes first
    next(b for b in at.button if b.key == "learn_augment").click().run()
    assert not at.exception, at.exception
    rows = at.session_state["learn_augment_result"]["rows"]
    assert len(rows) == 1 and 0.2 < rows[0]["real only"] <= 1 and 0.2 < rows[0]["real + generated"] <= 1
    assert any("**Measured here:** 100 real digits" in m.value for m in at.markdown)


@pytest.mark.slow
def test_coach_alert_beside_the_train_charts_links_to_its_lesson():
    """A real 40-step run of the overpowered-D preset: the coach says D is winning and links lesson 4."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("gan_ui/pages/train.py").run()
    at.selectbox(key="cfg_preset").set_value("strong-d").run()
    at.segmented_control(key="budget").set_value("Steps").run()
    at.number_input(key="budget_steps").set_value(40).run()
    next(b for b in at.button if b.key == "btn_start").click().run()

    def coached():
        at.run()
        assert not at.exception, at.exception
        return any(w.value.startswith("D is winning") for w in at.warning)

    wait_for(coached, 400, interval=1.0, what="the coach's 'D is winning' alert")
    links = [p.proto for p in at.get("page_link") if p.proto.label == "Why? Lesson 4"]
    assert links, [p.proto.label for p in at.get("page_link")]
    assert links[0].page == "learn"
    tab = at.session_state["_tab_token"]
    assert links[0].query_string == f"lesson=unstable&tab={tab}"  # the lesson, in this same tab
    for h in store_runs(at):  # end the run and its quality thread cleanly
        h.stop()
        assert h.join(60) and (h.quality is None or h.quality.join(60))


@pytest.mark.slow
def test_two_variants_are_compared_side_by_side():
    at = open_learn(lesson="saturating")
    at.radio(key="predict_saturating").set_value(LESSONS[2].choices[0]).run()

    def run_variant(i):
        at.radio(key="learn_variant_saturating").set_value(at.radio(key="learn_variant_saturating").options[i]).run()
        next(b for b in at.button if b.key == "learn_run_saturating").click().run()
        runs = store_runs(at)
        assert runs[-1].join(60) and (runs[-1].quality is None or runs[-1].quality.join(60))
        at.run()
        assert not at.exception, at.exception

    run_variant(0)
    run_variant(1)
    table = at.dataframe[-1].value
    assert list(table["variant"]) == [LESSONS[2].runs[0].label, LESSONS[2].runs[1].label]
    assert list(table["steps"]) == [6, 6]
    assert all(0 <= v <= 1 for v in table["D(G(z))"])


def test_projector_style_recolours_d_and_enlarges_type(monkeypatch):
    """style_figure only changes a figure in projector mode: vermillion for D, larger ticks; G stays blue."""
    from gan_core import LOSS_INFO
    from gan_core.training import StepRecord
    from gan_ui import charts
    from gan_ui.settings import D_COLOR, G_COLOR

    recs = [StepRecord(i, i * 0.1, 1.0, 0.8, 0.6, 0.4, 3.0, 2.0, 100.0) for i in range(1, 30)]
    fig = charts.loss_figure(recs, LOSS_INFO["non-saturating"])
    monkeypatch.setattr(teacher, "current", lambda: teacher.TeacherSettings())
    assert teacher.style_figure(fig) is fig
    monkeypatch.setattr(teacher, "current", lambda: teacher.TeacherSettings(projector=True))
    styled = teacher.style_figure(fig)
    colours = {t.name: t.line.color for t in styled.data}
    assert colours["D loss"] == projector.D != D_COLOR and colours["G loss"] == G_COLOR
    assert styled.layout.xaxis.tickfont.size == 15 and styled.layout.height > fig.layout.height
    assert {t.line.color for t in fig.data} == {D_COLOR, G_COLOR}  # the original is untouched


def test_each_lesson_shows_the_real_code_behind_its_math():
    """A lesson's 'Show the code' is the installed gan_core's own source (gan_ui.source_view), not a copy."""
    import inspect

    from gan_ui.source_view import CODE

    assert all(lesson.code for lesson in LESSONS)
    for lesson in LESSONS:
        assert set(lesson.code) <= set(CODE), lesson.id
    at = open_learn(lesson="3")  # saturating vs non-saturating
    shown = "\n".join(c.value for c in at.code)
    for key in LESSONS[2].code:
        for obj in CODE[key][1]:
            assert inspect.getsource(obj).strip().splitlines()[0] in shown, (key, obj)
