"""The tab's language from a teacher link (?lang=zh-CN), and the controls <-> GANConfig mapping both ways.

The lesson's title is read from the real catalogue (locale/zh_CN), so a lesson title that lost its
translation, or a page that no longer sets the language before drawing, fails here.
"""

from __future__ import annotations

import pytest
from e2e_support import ROOT
from streamlit.testing.v1 import AppTest

from gan_core import PRESETS, ConfigError
from gan_core.i18n import _, language
from gan_ui import controls
from gan_ui.lessons import LESSONS

APP = str(ROOT / "app.py")


@pytest.mark.usefixtures("app_env")
def test_a_lang_link_shows_the_lesson_in_chinese_and_the_tab_keeps_it():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "zh-CN"
    at.run()
    # The test speaks the page's language: AppTest formats a selectbox's options (Explore's model picker, the
    # landing page) in the test's thread when it sends the widgets back.
    with language("zh_CN"):
        at.switch_page("gan_ui/pages/learn.py").run()
        assert not at.exception, at.exception
        chinese = _(LESSONS[0].title)
        assert chinese != LESSONS[0].title  # the catalogue has it
        assert chinese in at.title[0].value
        at.query_params.clear()  # a page switch drops the query: the tab keeps zh_CN
        at.switch_page("gan_ui/pages/learn.py").run()
        assert chinese in at.title[0].value


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("name", list(PRESETS))
def test_controls_show_every_preset_and_give_the_same_config_back(name):
    cfg = controls.config_from_values({**controls.preset_values(name), "budget": "Steps", "budget_steps": 50})
    values = controls.values_for(cfg)
    if values["cfg_ema"]:
        assert cfg.ema == controls.EMA_DECAY  # the toggle's "on" is the one decay
    assert controls.config_from_values(values) == cfg
    assert cfg.preset == name and cfg.max_steps == 50 and cfg.max_seconds == 0


@pytest.mark.usefixtures("app_env")
def test_a_config_the_controls_cannot_show_is_refused_with_the_setting_named():
    cfg = controls.config_from_values(controls.preset_values("cdcgan")).replace(ema=0.99, lr_g=3e-4)
    with pytest.raises(ConfigError, match=r"lr_g=0\.0003.*ema=0\.99"):
        controls.values_for(cfg)


def test_a_lesson_run_sets_its_overrides_and_step_budget():
    values = controls.lesson_values("dcgan", {"lr_d": 1e-3, "ema": 0.999}, steps=300)
    assert values["cfg_lr_d"] == 1e-3 and values["cfg_ema"] is True
    assert values["budget"] == "Steps" and values["budget_steps"] == 300 and values["cfg_preset"] == "dcgan"
