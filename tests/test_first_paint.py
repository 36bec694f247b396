"""The fast first page (issue #22): a page loads only what it draws, the shipped models load when opened, and
the warm-up loads the default generator and the other pages in the background.

What is imported is checked in a fresh interpreter (this test process has long imported everything). The
speed itself is measured by bench/first_paint.py, never here.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from e2e_support import APP_ENV, free_port, page_script, wait_for
from streamlit.testing.v1 import AppTest

import gan_core
from gan_ui import catalogue
from gan_ui.explore_model import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parent.parent
PAGE_MODULES = ["gan_ui.about", "gan_ui.class_page", "gan_ui.explore", "gan_ui.learn", "gan_ui.playground"]


def fresh_python(code: str, timeout: float = 300) -> str:
    """Run `code` in a new interpreter at the project's root; its stdout (stderr shown when it fails)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "GAN_CLASSROOM_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_gan_core_imports_a_module_when_one_of_its_names_is_first_used():
    out = fresh_python(
        """
        import sys
        import gan_core, gan_core.i18n
        print("torch" in sys.modules, "gan_core.training" in sys.modules)
        from gan_core import Trainer
        print("gan_core.training" in sys.modules, Trainer.__module__)
        """
    )
    assert out.split() == ["False", "False", "True", "gan_core.training"]


def test_every_public_name_of_gan_core_is_still_there():
    assert sorted(gan_core.__all__) == sorted(gan_core._HOMES)
    for name in gan_core.__all__:
        assert getattr(gan_core, name) is getattr(importlib.import_module(f"gan_core.{gan_core._HOMES[name]}"), name)
    assert set(gan_core.__all__) <= set(dir(gan_core))
    with pytest.raises(AttributeError, match="no attribute 'Nonsense'"):
        gan_core.Nonsense  # noqa: B018


def test_the_frame_imports_no_page():
    """app.py's frame draws the menu and picks the page; the page's own script imports the page's module."""
    out = fresh_python(
        f"""
        import sys
        import gan_ui.frame
        print([m for m in {PAGE_MODULES + ["gan_ui.train", "pandas"]!r} if m in sys.modules])
        """
    )
    assert out.strip() == "[]"


@pytest.mark.usefixtures("app_env")
def test_explore_loads_the_model_it_shows_and_another_only_when_picked(monkeypatch):
    """The picker names every shipped generator from its file's header; only the chosen one is loaded."""
    loaded = []

    def recorded(name, *args, **kwargs):  # the real loader, with a note of what it was asked for
        loaded.append(str(name))
        return real(name, *args, **kwargs)

    real = catalogue.load_checkpoint
    monkeypatch.setattr(catalogue, "load_checkpoint", recorded)
    catalogue._shipped.clear()
    at = AppTest.from_string(page_script("explore"), default_timeout=120).run()
    assert not at.exception, at.exception[0].value
    picker = at.selectbox(key="explore_model")
    assert picker.value == DEFAULT_MODEL
    assert picker.options == [catalogue.catalogue([]).label(f"shipped:{n}") for n in catalogue.shipped_names()]
    assert loaded == [DEFAULT_MODEL.removeprefix("shipped:")]
    picker.set_value("shipped:mlp").run()
    assert not at.exception, at.exception[0].value
    assert loaded == [DEFAULT_MODEL.removeprefix("shipped:"), "mlp"]


def test_a_label_from_the_header_is_the_label_of_the_loaded_model():
    cat = catalogue.catalogue([])
    assert list(cat) == [f"shipped:{n}" for n in catalogue.shipped_names()]
    for key in cat:
        assert cat.label(key) == cat[key].picker_label()
    with pytest.raises(KeyError):
        cat["shipped:no-such-model"]


def test_the_warm_up_loads_the_default_generator_then_every_page_then_settles():
    """In a fresh process, as the server's start-up hook does before the server takes its first tab."""
    out = fresh_python(
        f"""
        import gc, sys
        from gan_ui import catalogue, warmup
        loaded = []
        real = catalogue.load_checkpoint
        catalogue.load_checkpoint = lambda name, *a, **k: loaded.append(str(name)) or real(name, *a, **k)
        warmup.start()
        warmup.start()  # once per process
        assert warmup.done.wait(240), "the warm-up did not finish"
        entry = catalogue.shipped_entry({DEFAULT_MODEL.removeprefix("shipped:")!r})  # the page's call: cached by now
        from gan_ui import scrub
        ex = scrub._EXPORTS.get(entry.G)  # scrub mode's program, exported for the first tab
        print(ex is not None and ex.error is None and ex.header["latentDim"] == entry.latent_dim)
        print(loaded)
        print([m for m in {PAGE_MODULES + ["gan_ui.train"]!r} if m not in sys.modules])
        print(gc.get_freeze_count() > 0)
        from gan_core import classifier
        print("streamlit.emojis" in sys.modules, classifier._default is not None)  # the first tab's first-use costs
        """
    )
    lines = out.strip().splitlines()
    assert lines[-5:] == ["True", repr([DEFAULT_MODEL.removeprefix("shipped:")]), "[]", "True", "True True"]


def test_the_warm_up_waits_for_a_quiet_moment():
    """Its background imports wait while a page is drawn, and until none has been drawn for a while."""
    from gan_ui import warmup

    with warmup.page_run():
        assert not warmup.wait_quiet(timeout=0.05, quiet_for=0.0)
    assert not warmup.wait_quiet(timeout=0.05, quiet_for=30.0)  # a page just ended: not quiet for 30 s yet
    assert warmup.wait_quiet(timeout=1.0, quiet_for=0.2)


@pytest.mark.parametrize("command", [["streamlit", "run", "app.py"], ["gan_ui"]], ids=["streamlit-run", "python-m"])
def test_the_server_warms_up_before_any_tab_arrives(tmp_path, command):
    """`streamlit run app.py` (the README's command) and `python -m gan_ui` start the warm-up with the server
    (app.py's st.App and its lifespan hook): no tab is opened here, yet the log says the first view, then every
    page, were loaded."""
    port = free_port()
    log_path = tmp_path / "server.log"
    cmd = [sys.executable, "-m", *command, "--server.headless", "true", "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **APP_ENV}, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: healthy(port) or proc.poll() is not None, 180, what="the server's health check")
            assert proc.poll() is None, log_path.read_text()
            wait_for(lambda: "warm-up: every page loaded" in log_path.read_text(), 240, what="the warm-up's end")
            text = log_path.read_text()
            assert text.index("warm-up: first view ready") < text.index("warm-up: every page loaded")
            assert "warm-up failed" not in text
        finally:
            proc.terminate()
            proc.wait(20)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False
