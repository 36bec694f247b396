"""Typed numbers on the Train page: why a number a student typed cannot be used, shown under its box.

The number boxes take any number and keep it on screen as typed; these checks say why one is refused, and
Start stays off until it is fixed. (With min/max on the widget itself, Streamlit turns the box red, puts
the reason in a tooltip and quietly keeps the old value, so a run would use a number the student no longer sees.)
"""

from __future__ import annotations

import streamlit as st

from gan_core.i18n import N_, _, format_number

from . import settings

SEED_MAX = 2**31 - 1
D_STEPS_MAX = 10
STEPS_WHY = N_(" on this server (the teacher sets the limit)")  # shown as _(STEPS_WHY)


def range_problem(label: str, value, lo: int, hi: int, unit: str = "", why: str = "") -> str | None:
    """Why a typed number cannot be used (None when it can): a whole number from lo to hi."""
    words = dict(label=label, lo=format_number(lo), hi=format_number(hi), unit=unit)
    if value is None or value == "":
        return _("{label}: type a whole number from {lo} to {hi}{unit}.").format(**words)
    if isinstance(value, float) and not value.is_integer():
        return _("{label}: {value} is not a whole number; type one from {lo} to {hi}{unit}.").format(
            value=f"{value:g}", **words
        )
    v = int(value)
    if v < lo:
        return _("{label}: {value} is less than {lo}{unit}, the smallest allowed{why}.").format(
            value=format_number(v), why=why, **words
        )
    if v > hi:
        return _("{label}: {value} is more than {hi}{unit}, the largest allowed{why}.").format(
            value=format_number(v), why=why, **words
        )
    return None


def number_problems() -> dict[str, str]:
    """{control key: why its typed number is refused} for the Train page's number boxes that are in use."""
    ss = st.session_state
    checks = {
        "cfg_d_steps": (_("D steps per G step"), 1, D_STEPS_MAX, "", ""),
        "cfg_seed": (_("Seed"), 0, SEED_MAX, "", ""),
    }
    if settings.budgets().get(ss.get("budget"), (0, 0))[1] == -1:
        checks["budget_steps"] = (
            _("Steps"),
            1 if settings.test_mode() else 10,
            settings.limits().max_steps,
            _(" steps"),
            _(STEPS_WHY),
        )
    out = {}
    for key, (label, lo, hi, unit, why) in checks.items():
        problem = range_problem(label, ss.get(key), lo, hi, unit, why)
        if problem:
            out[key] = problem
    return out
