"""Shared helpers for the benchmarks: environment facts and appending results to BENCHMARKS.md.

Benchmarks print figures and never fail on a timing; they are not tests.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import platform
import subprocess
import sys
import threading
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT)) if str(ROOT) not in sys.path else None

from gan_core.config import DEFAULT_PRESET  # noqa: E402
from gan_core.device import device_name  # noqa: E402


def environment(device: torch.device) -> dict:
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or "unknown"
        )
    except OSError:
        commit = "unknown"
    return {
        "device": device_name(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "commit": commit,
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def record(section: str, env: dict, lines: list[str]) -> None:
    """Append a dated block under `## section` in BENCHMARKS.md (newest first within the section)."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\nFigures recorded by the scripts in `bench/`.\n"
    head = (
        f"### {env['date']} · {env['device']} · torch {env['torch']} · {env['threads']} threads · "
        f"commit {env['commit']}\n"
    )
    block = head + "\n" + "\n".join(lines) + "\n"
    marker = f"## {section}\n"
    if marker in text:
        i = text.index(marker) + len(marker)
        text = text[:i] + "\n" + block + text[i:]
    else:
        text = text.rstrip() + f"\n\n{marker}\n{block}"
    path.write_text(text)


def run_args(doc: str, seconds: float = 10.0, rounds: int = 3) -> argparse.ArgumentParser:
    """The options of a benchmark that trains runs of a preset in rounds: --seconds, --rounds, --preset, --record."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=seconds, help="training time of each run (s)")
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--preset", default=DEFAULT_PRESET)
    ap.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    return ap


def report(section: str, lines: list[str], save: bool) -> None:
    """Print a CPU benchmark's lines; with `save` (its --record flag), also append them under `## section`."""
    print("\n".join(lines))
    if save:
        record(section, environment(torch.device("cpu")), lines)


def pause_when(trainer, reached) -> threading.Event:
    """Pause `trainer` at the first flush of records where reached(trainer) is true, so a benchmark can
    measure it at a checkpoint without the clock running; the event is set then, and when the run ends."""
    due = threading.Event()

    def on_record(t, _records):
        if reached(t):
            t.pause()
            due.set()

    trainer.add_callback("on_record", on_record)
    trainer.add_callback("on_end", lambda t: due.set())
    return due
