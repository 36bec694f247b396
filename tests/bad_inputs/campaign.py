"""Checks shared by the bad-inputs tests (the hooks and fixtures are in this folder's conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

CRASH = "CRASH"  # marks a failure that is a crash (traceback, hang, dead process)


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


def run_batch(jobs: list[dict], base: Path, env: dict | None = None, timeout: float = 300, restarts: int = 20) -> dict:
    """Run CLI cases ({"id", "argv", "cwd"[, "env"]}) in a child process (cli_batch.py); {id: result}.

    When the child dies (a segfault, the kernel's out-of-memory killer) or hangs past the timeout, the case it
    was running is recorded as that crash and a new child goes on with the cases after it, so one crash
    never hides the outcome of the others (at most `restarts` times)."""
    import json
    import subprocess
    import sys

    here = Path(__file__).resolve().parent
    results = base / "results.jsonl"
    got: dict = {}
    todo = list(jobs)
    for _attempt in range(restarts + 1):
        (base / "cases.json").write_text(json.dumps(todo))
        try:
            proc = subprocess.run(
                [sys.executable, str(here / "cli_batch.py"), str(base / "cases.json"), str(results)],
                cwd=here.parents[1],
                env={**os.environ, **(env or {})},
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            rc, tail = proc.returncode, proc.stderr[-3000:]
        except subprocess.TimeoutExpired:
            rc, tail = None, f"the batch ran past {timeout} s"
        for line in results.read_text().splitlines() if results.exists() else []:
            r = json.loads(line)
            got[r["id"]] = r
        todo = [j for j in todo if j["id"] not in got]
        if not todo:
            break
        dead = todo.pop(0)  # the case the child was running when it died
        got[dead["id"]] = {
            "id": dead["id"],
            "rc": rc,
            "stderr": tail,
            "stdout": "",
            "crash": f"the process running this case died (exit {rc})",
        }
    for j in todo:
        got[j["id"]] = {"id": j["id"], "rc": None, "stderr": "", "stdout": "", "crash": "not run: too many crashes"}
    for j in jobs:
        got[j["id"]]["cwd"] = j["cwd"]
    return got
