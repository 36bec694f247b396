"""A run's name follows the tab's language, not the language the run was made in: in Explore's model picker, and in
a lesson's table of its runs (variant and status), where the chosen variant also survives the switch.

The names are formatted from their parts (number, preset, steps; a saved run's file name; an upload's file name;
a lesson variant's message id) each time they are drawn. The Chinese is read from the real catalogue (locale/zh_CN).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import open_app, poll
from test_learn_app import open_learn, store_runs

from gan_core import DEFAULT_PRESET, GANConfig, build_models, checkpoint_bytes
from gan_core.i18n import _, language
from gan_ui.catalogue import ModelEntry, run_name, upload_entry
from gan_ui.lessons import LESSONS
from gan_ui.run_handle import STATUS_WORDS


def _texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in (at.info, at.success, at.warning, at.error) for e in kind)


def _entry(kind: str, key: str, label: str) -> ModelEntry:
    cfg = GANConfig(latent_dim=8, g_width=8, d_width=8, preset="dcgan")
    return ModelEntry(key, label, kind, cfg, build_models(cfg)[0], {"steps": 400})


def test_entries_made_in_english_are_named_in_chinese_after_a_switch():
    with language("en"):
        run = _entry("run", "run:3", run_name(3, "dcgan", 400))
        saved = _entry("saved", "saved:run2-dcgan-5steps", "Saved: run2-dcgan-5steps")
        cfg = GANConfig(latent_dim=8, g_width=8, d_width=8)
        upload = upload_entry(checkpoint_bytes(cfg, build_models(cfg)[0]), "mine.safetensors", 1)
        assert run.picker_label() == "Run 3 · dcgan · 400 steps"
        assert upload.picker_label() == "Uploaded: mine"
    with language("zh_CN"):
        assert run.picker_label() == "训练 3 · dcgan · 400 步", run.picker_label()
        assert saved.picker_label() == "已保存：run2-dcgan-5steps"
        assert upload.picker_label() == "已上传：mine"
    with language("en"):  # and back
        assert run.picker_label() == "Run 3 · dcgan · 400 steps"


def test_a_run_without_a_preset_is_custom_in_either_language():
    with language("en"):
        assert run_name(1, None, 1) == "Run 1 · custom · 1 step"
    with language("zh_CN"):
        assert run_name(1, None, 1) == "训练 1 · 自定义 · 1 步"


@pytest.mark.usefixtures("app_env")
def test_a_run_made_in_english_shows_its_chinese_name_in_the_picker_after_the_switch():
    at = open_app("train")
    at.segmented_control(key="budget").set_value("5 steps").run()
    at.button(key="btn_start").click().run()
    poll(at, lambda a: "Reached the budget of 5 steps." in _texts(a), what="the run to finish")
    at.switch_page("gan_ui/pages/explore.py").run()
    assert not at.exception, at.exception
    english = f"Run 1 · {DEFAULT_PRESET} · 5 steps"
    assert english in at.selectbox(key="explore_model").options
    at.query_params["lang"] = "zh-CN"
    at.run()  # the switch (AppTest sends back the English texts the page showed, as a browser would)
    assert not at.exception, at.exception
    with language("zh_CN"):
        options = at.selectbox(key="explore_model").options
        assert f"训练 1 · {DEFAULT_PRESET} · 5 步" in options, options
        assert english not in options


@pytest.mark.usefixtures("app_env")
def test_lesson_runs_made_in_english_are_listed_in_chinese_after_the_switch_with_the_variant_kept():
    at = open_learn(lesson="saturating")
    at.radio(key="predict_saturating").set_value(LESSONS[2].choices[0]).run()
    for i in (0, 1):  # two variants: the lesson's side-by-side table appears
        at.radio(key="learn_variant_saturating").set_value(LESSONS[2].runs[i].label).run()
        next(b for b in at.button if b.key == "learn_run_saturating").click().run()
        run = store_runs(at)[-1]
        assert run.join(60) and (run.quality is None or run.quality.join(60))
        at.run()
        assert not at.exception, at.exception
    english = [r.label for r in LESSONS[2].runs[:2]]
    assert list(at.dataframe[-1].value["variant"]) == english
    at.query_params["lang"] = "zh-CN"
    at.run()
    assert not at.exception, at.exception
    with language("zh_CN"):
        variants = [_(label) for label in english]
        status = _(STATUS_WORDS[run.status])
        assert variants != english and status != run.status  # the catalogue has them
        table = at.dataframe[-1].value
        assert list(table[_("variant")]) == variants, table
        assert set(table[_("status")]) == {status}, table
        assert at.radio(key="learn_variant_saturating").value == variants[1]  # the chosen variant, not the first
        shown = _("Run {n}: {label}").format(n=run.number, label=variants[1])
        assert any(shown in m.value for m in at.markdown), [m.value for m in at.markdown][:8]
