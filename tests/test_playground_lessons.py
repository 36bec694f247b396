"""The Playground's lessons and its teacher links.

Pure parts (the link's parameters, the link builder), the page through AppTest (test mode: a lesson's answer
is due after 3 G updates instead of thousands): a `?lesson=` link opens the lesson with its settings, `lock`
disables settings, the buttons wait for a prediction, the prediction locks when the game moves, the answer
shows when the lesson's game has made its G updates, and only a game with the lesson's settings counts.
Then each lesson's game is replayed (seed 0, the lesson's full length) and must show what its answer says.
"""

from __future__ import annotations

import numpy as np
import pytest
from e2e_support import ROOT
from streamlit.testing.v1 import AppTest

from gan_core.i18n import language
from gan_core.toy2d import TOY_PRESETS, ToyTrainer, toy_preset
from gan_ui import teacher_link
from gan_ui.lessons import BY_ID, LESSON_IDS
from gan_ui.lessons_playground import PLAYGROUND_BY_ID, PLAYGROUND_LESSONS
from gan_ui.names import TOY_PRESET_NAMES, toy_preset_label
from gan_ui.teacher_params import PLAYGROUND_LOCKS, parse

APP = str(ROOT / "app.py")
TIMEOUT = 120


# ---------------------------------------------------------------------------------------------- pure
def test_a_playground_lesson_link_is_parsed_and_built():
    s = parse({"lesson": "pg-collapse", "lock": "lr,target", "hide": "answer"}, LESSON_IDS)
    assert s.playground == "pg-collapse" and s.lesson is None
    assert s.lock == {"lr", "target", "preset"}  # any lock locks the preset too
    assert s.hide == {"answer"} and not s.problems
    url = teacher_link.link("http://h:8501/", "pg-collapse", ["lr", "target"], ["answer"], page="playground")
    assert url == "http://h:8501/playground?lesson=pg-collapse&lock=lr,target&hide=answer"
    assert parse({"lesson": "2"}, LESSON_IDS).lesson == LESSON_IDS[1]  # Learn lessons unchanged
    bad = parse({"lesson": "pg-nope"}, LESSON_IDS)
    assert bad.lesson is None and bad.playground is None
    assert "pg-collapse" in bad.problems[0]  # the problem lists the Playground's lessons too


def test_lessons_are_consistent():
    assert {"target", "optimizer", "lr", "loss"} <= set(PLAYGROUND_LOCKS) and "arch" not in PLAYGROUND_LOCKS
    for item in PLAYGROUND_LESSONS:
        assert item.preset in TOY_PRESETS
        toy_preset(item.preset, **item.overrides).validate()
        assert 0 <= item.correct < len(item.choices)
        assert item.digits in BY_ID
    linked = {lesson.playground for lesson in BY_ID.values() if lesson.playground}
    assert linked == set(PLAYGROUND_BY_ID)  # each is reached from a Learn lesson


# ---------------------------------------------------------------------------------------------- the page
pytestmark_app = pytest.mark.usefixtures("app_env")


def open_playground(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("gan_ui/pages/playground.py").run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def answer_shown(at: AppTest, item) -> bool:
    return any(item.answer.split(".")[0][:30] in m.value for m in at.markdown)


@pytestmark_app
def test_a_teacher_link_opens_a_lesson_with_its_settings_locked():
    item = PLAYGROUND_BY_ID["pg-collapse"]
    at = open_playground(lesson="pg-collapse", lock="lr,target")
    assert at.session_state["pg_lr_d"] == 1e-4 and at.session_state["pg_preset"] == "ring-collapse"
    assert at.select_slider(key="pg_lr_d").disabled and at.select_slider(key="pg_lr_g").disabled
    assert at.selectbox(key="pg_target").disabled and at.selectbox(key="pg_preset").disabled
    assert not at.selectbox(key="pg_loss").disabled  # not locked
    assert any("Your teacher fixed" in c.value for c in at.caption)
    assert at.radio(key="pg_predict_pg-collapse").label.endswith(item.question)
    for key in ("pg_play", "pg_d_step", "pg_g_step", "pg_iteration"):
        assert button(at, key).disabled, key  # waiting for a prediction
    assert not answer_shown(at, item)


@pytestmark_app
def test_predict_then_step_locks_the_prediction_and_answers_after_the_lessons_g_steps():
    item = PLAYGROUND_BY_ID["pg-collapse"]
    at = open_playground(lesson="pg-collapse")
    wrong = item.choices[(item.correct + 1) % len(item.choices)]
    at.radio(key="pg_predict_pg-collapse").set_value(wrong).run()
    assert not button(at, "pg_iteration").disabled
    button(at, "pg_iteration").click().run()
    assert at.radio(key="pg_predict_pg-collapse").disabled  # the game moved: locked
    assert not answer_shown(at, item)
    assert any("1 so far" in c.value for c in at.caption)
    button(at, "pg_iteration").click().run()
    button(at, "pg_g_step").click().run()  # a lone G step counts: 3 G updates, test mode's budget
    assert not at.exception, at.exception
    assert answer_shown(at, item)
    assert any("Compare with the answer" in w.value for w in at.warning)
    assert at.radio(key="pg_predict_pg-collapse").value == wrong


@pytestmark_app
def test_only_a_game_with_the_lessons_settings_counts_and_free_play_has_no_lesson():
    item = PLAYGROUND_BY_ID["pg-what-d-sees"]
    at = open_playground(lesson="pg-what-d-sees", allow="run_first")
    assert not button(at, "pg_g_step").disabled  # the link lets the game start before a prediction
    at.select_slider(key="pg_lr_g").set_value(1e-2).run()
    button(at, "pg_g_step").click().run()
    assert not answer_shown(at, item)
    assert any("does not count" in c.value for c in at.caption)
    button(at, "pg_lesson_restore").click().run()
    assert at.session_state["pg_lr_g"] == 1e-3
    button(at, "pg_g_step").click().run()
    assert answer_shown(at, item)
    at.selectbox(key="pg_lesson_pick").set_value("").run()
    assert not any(r.key and r.key.startswith("pg_predict_") for r in at.radio)
    assert not button(at, "pg_play").disabled  # free play: nothing to predict


@pytestmark_app
@pytest.mark.parametrize(
    "learn, playground", [("collapse", "pg-collapse"), ("saturating", "pg-saturating")], ids=["collapse", "loss"]
)
def test_a_learn_lesson_links_to_its_playground_lesson(learn, playground):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lesson"] = learn
    at.run()
    at.switch_page("gan_ui/pages/learn.py").run()
    title = PLAYGROUND_BY_ID[playground].title
    links = [p for p in at.get("page_link") if title in p.proto.label]
    assert links and f"lesson={playground}" in links[0].proto.query_string


@pytestmark_app
def test_the_loss_lesson_opens_from_a_teacher_link_with_d_ahead_and_the_minimax_loss():
    at = open_playground(lesson="pg-saturating", lock="loss")
    ss = at.session_state
    assert (ss["pg_preset"], ss["pg_loss"], ss["pg_d_head_start"], ss["pg_optimizer"]) == (
        "ring-d-ahead",
        "minimax",
        1000,
        "sgd",
    )
    assert at.selectbox(key="pg_loss").disabled and at.selectbox(key="pg_preset").disabled
    assert at.number_input(key="pg_d_head_start").value == 1000
    assert any(r.key == "pg_predict_pg-saturating" for r in at.radio)


# ---------------------------------------------------------------------------------------------- the answers
def test_what_d_sees_one_g_step_moves_only_gs_points():
    item = PLAYGROUND_BY_ID["pg-what-d-sees"]
    t = ToyTrainer(toy_preset(item.preset, **item.overrides))
    g = t.g_step(record=True)
    np.testing.assert_array_equal(g.heat_after, g.heat_before)  # D's background: the same
    assert np.abs(g.fakes_after - g.fakes_before).max() > 1e-5  # G's points: moved
    assert item.correct == item.choices.index("Only G's points (and its mesh)")


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id, lo, hi", [("pg-collapse", 0, 1), ("pg-wgan-gp", 7, 8)])
def test_each_lessons_game_shows_its_answer(lesson_id, lo, hi):
    """Seed 0 over the lesson's full length; the answer's figures are over seeds 0-4 (BENCHMARKS.md)."""
    item = PLAYGROUND_BY_ID[lesson_id]
    t = ToyTrainer(toy_preset(item.preset, **item.overrides))
    t.train(item.g_steps)
    covered = t.measure().covered
    assert lo <= covered <= hi, f"{lesson_id}: {covered} of 8 modes covered after {item.g_steps} iterations"


@pytestmark_app
def test_a_link_can_hide_the_lesson_list_and_the_answer():
    at = open_playground(lesson="pg-what-d-sees", hide="lessons,answer", allow="run_first")
    assert not any(s.key == "pg_lesson_pick" for s in at.selectbox)  # students stay on the link's lesson
    button(at, "pg_g_step").click().run()
    assert not answer_shown(at, PLAYGROUND_BY_ID["pg-what-d-sees"])
    assert any("Your teacher will give the answer in class" in c.value for c in at.caption)


def _saturating_game(loss: str, seed: int, iterations: int) -> tuple[float, float, float]:
    """The loss lesson's game under `loss`: (D(G(z)) at the start, mean push at the start, mean distance moved)."""
    item = PLAYGROUND_BY_ID["pg-saturating"]
    t = ToyTrainer(toy_preset(item.preset, **{**item.overrides, "loss": loss, "seed": seed}))
    start = t.frame()
    t.train(iterations)
    return start["verdict"], start["push_norm"], float(np.linalg.norm(t.fakes() - start["fake"], axis=1).mean())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_loss_lesson_minimax_barely_moves_g_while_d_is_ahead(seed):
    """What pg-saturating's answer says, per seed (the figures over seeds 0-4: bench/toy2d_loss_lesson.py):
    from D's head start, the minimax loss's push and G's move are a small fraction of the non-saturating ones.
    Swapping the two losses (or a head start that leaves D unsure) fails it."""
    item = PLAYGROUND_BY_ID["pg-saturating"]
    assert item.overrides["loss"] == "minimax"
    assert item.choices[item.correct] == "Far less: the push almost vanishes"
    verdict, push_mm, moved_mm = _saturating_game("minimax", seed, item.g_steps)
    same_start, push_ns, moved_ns = _saturating_game("non-saturating", seed, item.g_steps)
    assert verdict == same_start  # the head start does not depend on G's loss: one start, two losses
    assert verdict < 0.05, f"D is not ahead: D(G(z)) = {verdict:.3f} at the start"
    assert push_mm * 10 < push_ns, f"push: minimax {push_mm:.4f}, non-saturating {push_ns:.4f}"
    assert moved_mm * 20 < moved_ns, f"moved: minimax {moved_mm:.4f}, non-saturating {moved_ns:.4f}"


def test_preset_labels_say_what_each_game_is_in_both_languages():
    assert set(TOY_PRESET_NAMES) == set(TOY_PRESETS)
    for key in TOY_PRESETS:
        english = toy_preset_label(key)
        with language("zh_CN"):
            chinese = toy_preset_label(key)
        assert english.endswith(f"({key})") and chinese.endswith(f"({key})")  # the key stays findable
        assert english != f"{key} ({key})" and chinese != english, (english, chinese)
