"""The bad-inputs campaign as a test suite: every input a user can give, tried, with its exact outcome.

Each case is one test marked `bad_input` (a parametrized table row): the CLI's flags and files, config.json
fields, checkpoint files, data folders, uploaded pictures and journal contents. A case passes when its
input was answered clearly: for a refusal, exit code 2 (or the library's own error type) with a message
that says what is wrong, no traceback, nothing written outside --out; for an input that is fine, the
result it should give. At the end of the session one line counts them:

    bad inputs: N tried, N answered clearly, 0 crashed

"crashed" counts cases whose failure message carries CRASH (a traceback, a hang or a dead process);
a case that failed in another way (a wrong message, a file left behind) counts as tried but not clear.

The `tmpfs` fixture gives a real full disk: a 200 kB tmpfs mounted for the test (root only; the tests
that need it skip with the reason when mounting is impossible).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from campaign import CRASH

_tally = {"tried": 0, "clear": 0, "crashed": 0, "skipped": 0}


def pytest_configure(config):
    config.addinivalue_line("markers", "bad_input: one row of the bad-inputs campaign (counted in the summary)")


def pytest_runtest_logreport(report):
    if "bad_input" not in report.keywords:
        return
    if report.when == "setup" and report.skipped:
        _tally["skipped"] += 1
    elif report.when == "setup" and report.failed:
        _tally["tried"] += 1
    elif report.when == "call":
        _tally["tried"] += 1
        if report.passed:
            _tally["clear"] += 1
        elif report.skipped:
            _tally["skipped"] += 1
            _tally["tried"] -= 1
        elif f"{CRASH}: " in getattr(getattr(report.longrepr, "reprcrash", None), "message", str(report.longrepr)):
            _tally["crashed"] += 1


def pytest_terminal_summary(terminalreporter):
    if _tally["tried"] or _tally["skipped"]:
        line = f"bad inputs: {_tally['tried']} tried, {_tally['clear']} answered clearly, {_tally['crashed']} crashed"
        if _tally["skipped"]:
            line += f" ({_tally['skipped']} skipped)"
        terminalreporter.write_line(line)


# ------------------------------------------------------------------------------------------ a full disk
@pytest.fixture(scope="session")
def tmpfs():
    """A mounted 200 kB tmpfs (a real disk that fills up: ENOSPC), or a skip saying why there is none."""
    where = Path(tempfile.mkdtemp(prefix="gan-classroom-tmpfs-"))
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("no `mount` command here, so no small tmpfs for a real full disk")
    proc = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(where)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs for a real full disk (needs root): {proc.stderr.strip() or proc.returncode}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], capture_output=True)
        where.rmdir()
