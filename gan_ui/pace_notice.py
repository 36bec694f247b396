"""What a run's pace means while it waits or trains: its place in the server's queue, and the steps its budget
will buy at the pace it measures (with why, and what to do, when that falls short of clean digits)."""

from __future__ import annotations

import streamlit as st

from gan_core import PRESETS
from gan_core.i18n import _, format_decimal, format_number, ngettext
from gan_core.pace import busy_state, expected_steps

from . import settings
from .names import preset_label
from .run_handle import RunHandle
from .server import server_scheduler


def fmt_seconds(s: float | None) -> str:
    """Seconds for the reader: "42 s", "7.5 s" (the unit is a symbol in both languages)."""
    if s is None:
        return "—"
    return _("{n} s").format(n=format_number(s, 0 if s >= 10 else 1))


def queue_notice(run: RunHandle) -> None:
    """A queued run: its place in the server's queue and about how long until it starts."""
    pos, wait = run.queue_position, run.wait_estimate()
    counts = server_scheduler().counts()
    st.info(
        _(
            "**Waiting for a free training slot — number {pos} in line.** Training slots on this server, shared "
            "by the whole class: {slots}. Yours starts by itself in about {wait}. Keep this tab open (Stop takes "
            "it out of the queue)."
        ).format(pos=pos, slots=counts["slots"], wait=fmt_seconds(max(1.0, wait))),
        icon=":material/hourglass_top:",
    )


def _busy_sentence(busy, on_cpu: bool) -> str:
    """Why the server is slow now, in one sentence."""
    if busy.runs > 1:
        who = (
            _("{n} runs share its cores").format(n=busy.runs)
            if on_cpu
            else _("{n} runs share its GPU").format(n=busy.runs)
        )
    else:
        who = _("other work shares its cores") if on_cpu else _("other work shares its GPU")
    load = ""
    if busy.load is not None:
        load = ngettext(" (load {load} on {n} core)", " (load {load} on {n} cores)", busy.cores).format(
            load=format_number(busy.load, 1), n=busy.cores
        )
    return _(
        "This server is busy: {who}{load}, and training runs at a lower priority than the pages so they stay "
        "responsive."
    ).format(who=who, load=load)


def pace_notice(run: RunHandle) -> None:
    """While a run trains: the steps its budget will buy at the pace it measures, and, when the server is busy
    or the pace falls short of what its preset needs for clean digits, why and what to do."""
    t = run
    if run.status != "running":
        return
    pace = expected_steps(t.step, t.elapsed, t.cfg.max_seconds, t.cfg.max_steps)
    if pace is None:
        return
    busy = busy_state(server_scheduler().counts()["running"])
    preset = PRESETS.get(t.cfg.preset or "")
    need = preset.digits_after_steps if preset else 0
    short = need and pace.expected_steps < need
    if not busy.busy and not short:
        return
    limit = format_decimal(t.cfg.max_seconds)
    expect = dict(rate=format_number(pace.steps_per_s, 1), n=format_number(pace.expected_steps))
    if pace.budget_steps and pace.expected_steps < pace.budget_steps:
        pace_text = _(
            "At this run's pace ({rate} steps/s) expect ~{n} steps of your {budget} before the server's {limit} s "
            "limit per run ends it."
        ).format(budget=format_number(pace.budget_steps), limit=limit, **expect)
    elif pace.budget_steps:
        pace_text = _("At this run's pace ({rate} steps/s) expect ~{n} steps of your {budget}.").format(
            budget=format_number(pace.budget_steps), **expect
        )
    else:
        pace_text = _("At this run's pace ({rate} steps/s) expect ~{n} steps in your {limit} s budget.").format(
            limit=limit, **expect
        )
    parts = [_busy_sentence(busy, run.device_type == "cpu")] if busy.busy else []
    parts.append(pace_text)
    if short:
        seconds = format_number(need / pace.steps_per_s, 0)
        cap = settings.limits().max_seconds
        words = dict(name=preset_label(preset.name), need=format_number(need), seconds=seconds)
        if need / pace.steps_per_s <= cap:
            advice = _(
                "The {name} recipe draws clean digits of all ten kinds after about {need} steps (measured); at this "
                "pace that takes ~{seconds} s: give the next run a longer budget, or a step budget of {need}."
            ).format(**words)
        else:
            advice = _(
                "The {name} recipe draws clean digits of all ten kinds after about {need} steps (measured); at this "
                "pace that takes ~{seconds} s, more than this server's {cap} s limit per run: try again when fewer "
                "runs share the server."
            ).format(cap=format_decimal(cap), **words)
        parts.append(advice)
    st.info(" ".join(parts), icon=":material/speed:")
