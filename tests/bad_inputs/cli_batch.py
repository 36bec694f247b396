"""Run many `python -m gan_core` command lines in one process (torch imports once, not once a case).

    python cli_batch.py CASES.json RESULTS.jsonl

CASES.json is a list of {"id", "argv", "cwd"} (and optionally "env": variables set for that case only). Each
case runs `gan_core.cli.main(argv)` in its own working directory with stdout and stderr captured, exactly as
`python -m gan_core` would run it (argparse's SystemExit gives the exit code). One JSON line per case is
appended to RESULTS.jsonl as soon as the case ends, so if the process dies (a segfault), the cases before it
keep their results and the case that was running is the one without a line. A case that raises (a traceback:
what this suite exists to catch) or runs past TIMEOUT seconds (a hang) is recorded as such, and the next case
still runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
TIMEOUT = 90  # seconds one case may take; the slowest (a 2-step training run) needs ~3


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"the case ran past {TIMEOUT} s")


def maxrss_mb() -> float:
    """This process's peak resident memory. VmHWM where there is /proc: ru_maxrss starts at the parent's
    peak (it survives exec), which would hide the first cases' growth."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(case: dict) -> dict:
    import torch

    from gan_core import cli

    out, err = io.StringIO(), io.StringIO()
    before, start = maxrss_mb(), time.monotonic()
    result = {"id": case["id"], "rc": None, "crash": None}
    os.chdir(case["cwd"])
    saved_env = {k: os.environ.get(k) for k in case.get("env", {})}
    os.environ.update(case.get("env", {}))
    tempfile.tempdir = None  # gettempdir() reads $TMPDIR again
    signal.alarm(TIMEOUT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                result["rc"] = cli.main(case["argv"])
            except SystemExit as exc:  # argparse's usage errors (and --help)
                result["rc"] = exc.code if isinstance(exc.code, int) else 1
    except Hang as exc:
        result["crash"] = f"hang: {exc}"
    except BaseException:  # noqa: BLE001 - the point: record it, go on
        result["crash"] = traceback.format_exc()
    finally:
        signal.alarm(0)
        os.chdir(ROOT)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        tempfile.tempdir = None
        torch.set_num_threads(1)  # a case may have set it (--threads)
    result.update(
        stdout=out.getvalue(),
        stderr=err.getvalue(),
        seconds=round(time.monotonic() - start, 2),
        rss_growth_mb=round(maxrss_mb() - before, 1),
    )
    return result


def main() -> None:
    cases = json.loads(Path(sys.argv[1]).read_text())
    signal.signal(signal.SIGALRM, _alarm)
    import torch

    torch.set_num_threads(1)
    with open(sys.argv[2], "a") as results:
        for case in cases:
            results.write(json.dumps(run_case(case)) + "\n")
            results.flush()


if __name__ == "__main__":
    main()
