"""What a teacher link may say, and reading it: the names a link can lock, hide and allow, and `parse`.

Pure (no Streamlit): gan_ui/teacher.py applies the result to a tab, gan_ui/teacher_link.py builds links from
the same names, gan_ui/class_state.py reads a class's pushed locks with `parse` too.

A lock name fixes a setting wherever it appears: `lock=loss` fixes the Train page's loss and the Playground's.
`target` and `optimizer` exist on the Playground only. `lesson` names a Learn lesson (its number or id) or a
Playground lesson (its id, gan_ui/lessons_playground.py): the link's page (/learn or /playground) shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gan_core.i18n import N_, _

from .lessons_playground import PLAYGROUND_IDS

# lock name -> the control keys it disables: the Train page's (cfg_*, budget, the Learn page's variant picker)
# and the Playground's (pg_*). "preset" is locked with any of them: picking a preset would reset the locked
# control.
LOCKABLE = {
    "preset": ("cfg_preset", "pg_preset"),
    "budget": ("budget", "budget_steps"),
    "arch": ("cfg_arch",),
    "loss": ("cfg_loss", "pg_loss"),
    "lr": ("cfg_lr_g", "cfg_lr_d", "pg_lr_g", "pg_lr_d"),
    "beta": ("cfg_beta1", "cfg_beta2", "pg_beta1", "pg_beta2"),
    "batch": ("cfg_batch_size", "pg_batch_size"),
    "latent": ("cfg_latent_dim", "pg_z_dim"),
    "d_steps": ("cfg_d_steps", "pg_d_steps", "pg_d_head_start"),
    "smoothing": ("cfg_label_smoothing", "pg_label_smoothing"),
    "sn": ("cfg_spectral_norm", "pg_spectral_norm"),
    "ema": ("cfg_ema",),
    "conditional": ("cfg_conditional",),
    "seed": ("cfg_seed", "pg_seed"),
    "dataset": ("cfg_dataset",),
    "variant": ("learn_variant",),
    "target": ("pg_target",),
    "optimizer": ("pg_optimizer",),
}
TRAIN_LOCKS = tuple(n for n, keys in LOCKABLE.items() if not all(k.startswith("pg_") for k in keys))
PLAYGROUND_LOCKS = tuple(n for n, keys in LOCKABLE.items() if any(k.startswith("pg_") for k in keys))
# lock name -> the name shown to people: in English the name itself, which is also the URL's value (that stays
# English in every language); in another language what it fixes ("lr" -> 学习率)
LOCK_NAMES = {
    "preset": N_("preset"),
    "budget": N_("budget"),
    "arch": N_("arch"),
    "loss": N_("loss"),
    "lr": N_("lr"),
    "beta": N_("beta"),
    "batch": N_("batch"),
    "latent": N_("latent"),
    "d_steps": N_("d_steps"),
    "smoothing": N_("smoothing"),
    "sn": N_("sn"),
    "ema": N_("ema"),
    "conditional": N_("conditional"),
    "seed": N_("seed"),
    "dataset": N_("dataset"),
    "variant": N_("variant"),
    "target": N_("target"),
    "optimizer": N_("optimizer"),
}
HIDEABLE = {
    "advanced": N_("the Train page's advanced settings"),
    "answer": N_("the lesson's answer (the teacher gives it in class)"),
    "lessons": N_("the list of other lessons (students stay on the lesson of the link)"),
    "coach": N_("the training-health coach's alerts"),
}
PLAYGROUND_HIDES = ("answer", "lessons")
ALLOWABLE = {
    "run_first": N_("start a lesson's run before predicting"),
    "answer": N_("show the answer now, without waiting for the run (the teacher reveals it)"),
}


@dataclass
class TeacherSettings:
    lesson: str | None = None  # Learn lesson id the link opens
    playground: str | None = None  # Playground lesson id the link opens
    lock: frozenset = frozenset()  # LOCKABLE names
    hide: frozenset = frozenset()  # HIDEABLE names
    allow: frozenset = frozenset()  # ALLOWABLE names
    projector: bool = False
    problems: list = field(default_factory=list)  # what in the link was not understood, in words
    held: dict = field(default_factory=dict)  # locked control key -> the value it keeps in this tab

    @property
    def active(self) -> bool:
        return bool(self.lock or self.hide or self.allow or self.projector)


def _names(raw: str | None) -> list[str]:
    return [n.strip().lower() for n in (raw or "").split(",") if n.strip()]


def _known(params, key: str, allowed, what: str, problems: list) -> set:
    """The names in params[key] that are in `allowed`; each other name adds a problem saying what is allowed."""
    found = set()
    for n in _names(params.get(key)):
        if n in allowed:
            found.add(n)
        else:
            problems.append(
                _("{key}={name!r} is not {what} ({allowed}).").format(
                    key=key, name=n, what=_(what), allowed=", ".join(allowed)
                )
            )
    return found


def parse(params: dict, lesson_ids: list[str]) -> TeacherSettings:
    """TeacherSettings from query parameters (a mapping of str -> str). Pure: tested without Streamlit."""
    s = TeacherSettings()
    raw = (params.get("lesson") or "").strip().lower()
    if raw:
        if raw.isdigit() and 1 <= int(raw) <= len(lesson_ids):
            s.lesson = lesson_ids[int(raw) - 1]
        elif raw in lesson_ids:
            s.lesson = raw
        elif raw in PLAYGROUND_IDS:
            s.playground = raw
        else:
            s.problems.append(
                _("lesson={raw!r} is not a lesson: use 1 to {n} or one of {ids}.").format(
                    raw=raw, n=len(lesson_ids), ids=", ".join([*lesson_ids, *PLAYGROUND_IDS])
                )
            )
    lock = _known(params, "lock", LOCKABLE, N_("a control that can be locked"), s.problems)
    if lock - {"variant"}:
        lock.add("preset")
    s.lock = frozenset(lock)
    s.hide = frozenset(_known(params, "hide", HIDEABLE, N_("something that can be hidden"), s.problems))
    s.allow = frozenset(_known(params, "allow", ALLOWABLE, N_("something a link can allow"), s.problems))
    s.projector = (params.get("projector") or "").strip().lower() in ("1", "true", "yes", "on")
    return s
