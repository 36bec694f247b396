"""The README's Python snippet is part of the API contract: run it as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_snippet_runs(monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_OFFLINE", "1")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README.md should show how to use gan_core from Python"
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - our own README
    trainer, png = namespace["trainer"], namespace["png"]
    assert trainer.status == "finished" and trainer.step == 20
    assert png.startswith(b"\x89PNG")


def test_readme_has_the_two_setup_commands():
    text = README.read_text()
    assert "streamlit run app.py" in text
    assert "scripts/test.sh" in text
    ci = README.parent / ".ci" / "run"
    assert ci.exists() and "scripts/test.sh" in ci.read_text()


def test_readme_images_exist_and_are_pngs():
    """Every image the README shows is in the repository (a renamed screenshot would leave a broken picture)."""
    paths = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README.read_text())
    local = [p for p in paths if not p.startswith(("http://", "https://"))]
    assert "docs/screenshots/playground.png" in local
    for path in local:
        image = README.parent / path
        assert image.is_file(), f"README shows {path}, which is missing"
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" or path.endswith((".svg", ".gif", ".jpg")), path
