"""A run's name in Explore's model picker follows the tab's language, not the language the run was made in.

The names are formatted from their parts (number, preset, steps; a saved run's file name; an upload's file name)
each time the picker is drawn. The Chinese text is read from the real catalogue (locale/zh_CN).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import open_app, poll

from gan_core import DEFAULT_PRESET, GANConfig, build_models, checkpoint_bytes
from gan_core.i18n import language
from gan_ui.catalogue import ModelEntry, run_name, upload_entry


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
