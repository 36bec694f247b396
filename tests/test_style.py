"""The tree passes ruff's lint and format check, with the settings in pyproject.toml (line length 120,
pycodestyle + pyflakes + import order + bugbear). Ruff is pinned in requirements-dev.lock, so CI and a
developer's machine judge the same way."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: it is in requirements-dev.lock (scripts/test.sh installs it)")
    return [found]


@pytest.mark.parametrize("args", [["check", "--no-fix"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_passes(args):
    proc = subprocess.run(ruff() + args + ["."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (
        f"ruff {' '.join(args)} found problems (fix: ruff check --fix . && ruff format .):\n"
        f"{proc.stdout[-4000:]}{proc.stderr[-2000:]}"
    )
