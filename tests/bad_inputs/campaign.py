"""Checks shared by the bad-inputs tests (the hooks and fixtures are in this folder's conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

CRASH = "CRASH"                           # marks a failure that is a crash (traceback, hang, dead process)


def assert_clear_error(rc, stderr: str, fragment: str, crash: str | None = None) -> None:
    """Exit code 2, no traceback, and the reason on one `error:` line, the last one, containing `fragment`."""
    assert crash is None, f"{CRASH}: {crash}"
    assert "Traceback" not in stderr, f"{CRASH}: {stderr}"
    assert rc == 2, stderr
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert lines[-1] == errors[0], stderr
    assert fragment in errors[0], stderr


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def fill(folder: Path, leave: int = 0) -> None:
    """Fill the filesystem of `folder` until at most `leave` bytes are free."""
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    with open(folder / "filler", "wb") as fh:
        try:
            fh.write(bytes(max(0, free - leave)))
            fh.flush()
        except OSError:
            pass
