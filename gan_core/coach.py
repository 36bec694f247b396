"""The training-health coach: plain-language alerts computed from a run's records, as they happen.

GAN Lab's lesson is that a student can *see why* training succeeds or fails. The charts show the
numbers; the coach says in words what a teacher would say pointing at them, and which lesson
explains it. It is pure: functions of a list of `StepRecord`s (and, optionally, the latest sample-
quality reading of `monitor.QualityMonitor`), returning `Alert`s. No UI, no torch.

Every rule reads a *window* of recent steps (the median over the last WINDOW steps), never one
step: single-step values of a GAN jump around (D(G(z)) moves by 0.2 between consecutive steps on a
healthy run), and an alert that flickers on and off every second teaches nothing.

The rules and why their thresholds are where they are (measured on the presets, 1 CPU thread,
the 5,000 offline MNIST digits; see tests/test_coach.py, which re-measures them):

* diverged        a loss became NaN/inf. Nothing to tune: the trainer stops the run there.
* runaway         raw-score losses only (WGAN, hinge, least-squares): the window median of D's larger
                  score |D(x)|, |D(G(z))| above 500. Nothing bounds an unconstrained critic: WGAN's loss
                  E[D(x)] - E[D(G(z))] rewards ever larger scores unless D is kept 1-Lipschitz. With the
                  gradient penalty (preset wgan-gp) the DCGAN critic's scores stay at 10-40; with the penalty
                  off (preset no-penalty) they pass 1,000 within 100 steps and keep growing: the game
                  diverges without ever producing a NaN.
* d_winning       probabilistic losses only: median D(x) > 0.98 and median D(G(z)) < 0.02. Early in
                  a healthy run D is ahead too, and the default recipe (cdcgan) is furthest ahead: over
                  steps 90-160 its window medians reach 0.95-0.96 and 0.025-0.035 (seeds 0-2) before G
                  catches up (0.85-0.88 and 0.10-0.12 by step 400); the plain DCGAN peaks at 0.93 and 0.047
                  near step 100. A line at 0.95 / 0.05 flagged the default recipe for those ~70 steps and
                  then took it back ("D is winning", then "nothing to flag"). When D really wins the medians
                  sit well beyond 0.98 / 0.02: strong-d 0.996-0.999 and 0.000 (steps 30-60), saturating
                  0.990-0.995 and 0.004-0.014, swings after its swings 1.000 and 0.000-0.016.
* g_vanished      G's gradient norm ||dL_G/dtheta_G|| below 1.0 while D rejects the fakes (median
                  D(G(z)) < 0.05, probabilistic losses), both as window medians. With the saturating minimax
                  loss and a confident D, the DCGAN's G gradient is 0.06-0.3: the "vanishing gradient" of
                  Goodfellow et al. (2014), section 3. With the non-saturating loss it is 7-160 (largest
                  when D wins: dL_G/ds -> -1). The D(G(z)) condition is needed because a small gradient
                  alone is not alarming: the healthy MLP's G gradient is 0.7-1.5 while D(G(z)) ~ 0.45.
                  (D's own gradient is small when it is confident too, so a G/D ratio would not show it.)
* oscillating     D(G(z)) swings up and down strongly across the window: its standard deviation over
                  the window above 0.2 *and* at least OSCILLATION_SWINGS swings between the top and bottom
                  thirds of the window's range. Healthy DCGAN and MLP runs stay at or below 0.12; in the
                  first 30-60 steps of preset swings (learning rates 500x too high) it is 0.2-0.35 with
                  4-12 swings, flipping between "G fools D" and "D rejects everything". The swings come
                  early and last tens of steps, so this rule reads from MIN_STEPS on, not only once a full
                  window has passed (BENCHMARKS.md, "Coach margins", has the per-seed figures). The swing count
                  tells oscillation from a one-way fall: when D takes over, D(G(z)) drops from ~0.5 to ~0
                  once - a wide spread but a single swing - and that is "D is winning", not oscillation.
                  Nor is a run that D wins with a lucky step or two for G: D(G(z)) jumps from ~0 to ~1 for
                  one step and back (two swings per spike), so each of the top and bottom thirds must hold at
                  least OSCILLATION_SHARE of the window's steps; a game that swings spends many steps in both.
* mode_collapse   from the sample-quality reading (ignored before step MIN_QUALITY_STEP, when G's blobs
                  read as one or two digits whatever the recipe): one digit makes up >= 40 % of G's samples
                  (MNIST's most common digit is ~11 %), or at most 5 of 10 classes present.
* balanced        good news (severity "ok"): D(x) and D(G(z)) both within 0.25 of 0.5 and no
                  warning fires - "this is what a healthy game looks like".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median, pstdev

from .i18n import _

WINDOW = 50  # steps each rule reads: long enough to outvote noisy single steps, short enough to react
MIN_STEPS = 30  # no verdict from fewer steps than this (the first steps are pure noise)
D_WIN_REAL = 0.98  # D(x) above this ...
D_WIN_FAKE = 0.02  # ... and D(G(z)) below this, both as window medians: D is winning
VANISH_FAKE = 0.05  # D(G(z)) below this (window median) while ||grad G|| is small: G's gradient vanished
VANISH_NORM = 1.0  # ||grad G|| below this (window median): G's gradient has vanished
OSCILLATION_STD = 0.2  # std of D(G(z)) over the window above this (healthy presets: at most 0.12) ...
OSCILLATION_SWINGS = 3  # ... with at least this many high <-> low swings (up, down, up): the game oscillates
OSCILLATION_SHARE = 0.1  # ... spending at least this share of the window in the top third and in the bottom third
SCORE_RUNAWAY = 500.0  # raw-score losses: |D| above this (window median) is a runaway critic (healthy WGAN-GP: 10-40)
COLLAPSE_TOP_SHARE = 0.40  # one class >= 40 % of the samples (MNIST's largest is ~11 %)
COLLAPSE_MAX_PRESENT = 5  # or at most this many classes present
MIN_QUALITY_STEP = 100  # before this G draws blobs that the classifier reads as one or two digits, whatever the recipe
BALANCE_BAND = 0.25  # D(x), D(G(z)) within 0.5 +- this: a healthy, balanced game

SEVERITIES = ("error", "warning", "info", "ok")  # most to least urgent


@dataclass(frozen=True)
class Alert:
    kind: str  # "diverged", "runaway", "d_winning", "g_vanished", "oscillating", "mode_collapse", "balanced"
    severity: str  # one of SEVERITIES
    message: str  # one or two plain sentences, with the numbers that triggered it
    lesson_id: str  # the lesson that explains it (gan_ui.lessons ids)


def _finite(values) -> list[float]:
    return [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def window_values(records, field: str, window: int = WINDOW) -> list[float]:
    """The finite values of records[*].field over the last `window` steps."""
    return _finite(getattr(r, field) for r in records[-window:])


def check_diverged(records) -> Alert | None:
    bad = next((r for r in records if not (math.isfinite(r.d_loss) and math.isfinite(r.g_loss))), None)
    if bad is None:
        return None
    which = "D" if not math.isfinite(bad.d_loss) else "G"
    return Alert(
        "diverged",
        "error",
        _(
            "The losses diverged: {which}'s loss became {value} at step {step}. Learning rate too high? "
            "The updates grew until the numbers overflowed."
        ).format(which=which, value=getattr(bad, which.lower() + '_loss'), step=bad.step),
        "unstable",
    )


def check_runaway(records, probabilistic: bool, window: int = WINDOW) -> Alert | None:
    if probabilistic or len(records) < MIN_STEPS:
        return None
    real, fake = window_values(records, "d_real", window), window_values(records, "d_fake", window)
    if not real or not fake:
        return None
    size = median(max(abs(r), abs(f)) for r, f in zip(real, fake))
    if size > SCORE_RUNAWAY:
        return Alert(
            "runaway",
            "error",
            _(
                "The game is diverging: D's scores have run off to about {size:,.0f} (D(x) ≈ {real:,.0f}, "
                "D(G(z)) ≈ {fake:,.0f}; a critic kept 1-Lipschitz stays in the tens). Nothing bounds D: "
                "turn its gradient penalty or spectral normalization back on, or lower the learning rate."
            ).format(size=size, real=median(real), fake=median(fake)),
            "unstable",
        )
    return None


def _thirds(values: list[float]) -> list[int]:
    """Each value's third of the range of `values`: 1 top, -1 bottom, 0 middle."""
    lo, hi = min(values), max(values)
    low_band, high_band = lo + (hi - lo) / 3, hi - (hi - lo) / 3
    return [1 if v > high_band else -1 if v < low_band else 0 for v in values]


def swings(values: list[float]) -> int:
    """How many times `values` crosses from the top third of its range to the bottom third or back.
    Noise inside the middle third does not count, so a one-way fall is one swing."""
    if len(values) < 2:
        return 0
    count, side = 0, 0
    for now in _thirds(values):
        if now and side and now != side:
            count += 1
        side = now or side
    return count


def least_third_share(values: list[float]) -> float:
    """The smaller of the shares of `values` in the top and in the bottom third of their range: near 0.5 for a
    game flipping between the two, 1/len for one spike above a flat line, 0 for a constant."""
    if len(values) < 2 or max(values) == min(values):
        return 0.0
    thirds = _thirds(values)
    return min(thirds.count(1), thirds.count(-1)) / len(values)


def check_d_winning(records, probabilistic: bool, window: int = WINDOW) -> Alert | None:
    if not probabilistic or len(records) < MIN_STEPS:
        return None
    real, fake = window_values(records, "d_real", window), window_values(records, "d_fake", window)
    if not real or not fake:
        return None
    r, f = median(real), median(fake)
    if r > D_WIN_REAL and f < D_WIN_FAKE:
        return Alert(
            "d_winning",
            "warning",
            _(
                "D is winning: D(x) ≈ {real:.2f} on real digits, D(G(z)) ≈ {fake:.2f} on fakes. D spots "
                "every fake, so G gets little useful signal."
            ).format(real=r, fake=f),
            "unstable",
        )
    return None


def check_g_vanished(records, probabilistic: bool = True, window: int = WINDOW) -> Alert | None:
    if not probabilistic or len(records) < MIN_STEPS:
        return None
    g, fake = window_values(records, "g_grad_norm", window), window_values(records, "d_fake", window)
    if not g or not fake:
        return None
    mg, mf = median(g), median(fake)
    if mg < VANISH_NORM and mf < VANISH_FAKE:
        return Alert(
            "g_vanished",
            "warning",
            _(
                "G's gradient vanished: ‖∇G‖ ≈ {norm:.2g} over the last {steps} steps, while D(G(z)) ≈ "
                "{fake:.3f}. G has almost stopped learning: the saturating loss log(1 − D(G(z))) is flat where "
                "D rejects every fake."
            ).format(norm=mg, steps=len(g), fake=mf),
            "saturating",
        )
    return None


def check_oscillating(records, probabilistic: bool, window: int = WINDOW) -> Alert | None:
    if not probabilistic or len(records) < MIN_STEPS:  # from MIN_STEPS on: swings come early in a run
        return None
    fake = window_values(records, "d_fake", window)
    if len(fake) < window // 2:
        return None
    s, n = pstdev(fake), swings(fake)
    if s > OSCILLATION_STD and n >= OSCILLATION_SWINGS and least_third_share(fake) >= OSCILLATION_SHARE:
        return Alert(
            "oscillating",
            "warning",
            _(
                "The game oscillates: D(G(z)) swings between {low:.2f} and {high:.2f} ({swings} swings in "
                "{steps} steps, spread {spread:.2f}). D and G overshoot each other: is the learning rate too "
                "high?"
            ).format(low=min(fake), high=max(fake), swings=n, steps=len(fake), spread=s),
            "unstable",
        )
    return None


def check_mode_collapse(quality, step: int | None = None) -> Alert | None:
    """quality: a metrics.QuickQuality (histogram, classes_present), or None before the first reading;
    step: the step it was measured at (readings before MIN_QUALITY_STEP are ignored)."""
    if quality is None or not quality.histogram or (step is not None and step < MIN_QUALITY_STEP):
        return None
    counts = list(quality.histogram)
    total = sum(counts) or 1
    top = max(range(len(counts)), key=counts.__getitem__)
    share = counts[top] / total
    present = len(quality.classes_present)
    if share >= COLLAPSE_TOP_SHARE or present <= COLLAPSE_MAX_PRESENT:
        return Alert(
            "mode_collapse",
            "warning",
            _(
                "Mode collapse: {share:.0%} of G's samples are one digit (a {digit}); {present} of {total} "
                "digits appear at all."
            ).format(share=share, digit=top, present=present, total=len(counts)),
            "collapse",
        )
    return None


def check_balanced(records, probabilistic: bool, window: int = WINDOW) -> Alert | None:
    if not probabilistic or len(records) < max(MIN_STEPS, window):
        return None
    real, fake = window_values(records, "d_real", window), window_values(records, "d_fake", window)
    if not real or not fake:
        return None
    r, f = median(real), median(fake)
    if abs(r - 0.5) <= BALANCE_BAND and abs(f - 0.5) <= BALANCE_BAND:
        return Alert(
            "balanced",
            "ok",
            _(
                "A balanced game: D(x) ≈ {real:.2f} and D(G(z)) ≈ {fake:.2f}, both near 0.5. D cannot "
                "easily tell G's digits from real ones."
            ).format(real=r, fake=f),
            "curves",
        )
    return None


def diagnose(
    records, probabilistic: bool = True, quality=None, quality_step: int | None = None, window: int = WINDOW
) -> list[Alert]:
    """Every alert that applies to the run now, most urgent first.

    records: the run's StepRecords (the whole history or at least its last `window` steps);
    probabilistic: whether D outputs a probability (LOSS_INFO[loss].probabilistic);
    quality: the latest metrics.QuickQuality reading, or None; quality_step: the step it was taken at.
    """
    diverged = check_diverged(records)
    if diverged is not None:
        return [diverged]  # after a NaN every other number is meaningless
    checks = (
        check_runaway(records, probabilistic, window),
        check_d_winning(records, probabilistic, window),
        check_g_vanished(records, probabilistic, window),
        check_oscillating(records, probabilistic, window),
        check_mode_collapse(quality, quality_step),
    )
    alerts = [a for a in checks if a is not None]
    if not alerts:
        ok = check_balanced(records, probabilistic, window)
        alerts = [ok] if ok else []
    return sorted(alerts, key=lambda a: SEVERITIES.index(a.severity))


def alerts_along(records, probabilistic: bool = True, every: int = 5) -> dict[str, list[int]]:
    """Replay a finished run through the coach: {alert kind: [steps at which the coach, reading only the
    records up to that step, raised it]}, checked every `every` steps from MIN_STEPS on. What a student
    watching the live panel would have seen, as data (the tests and bench/coach_margins.py read it)."""
    found: dict[str, list[int]] = {}
    for end in range(MIN_STEPS, len(records) + 1, every):
        for a in diagnose(records[:end], probabilistic):
            found.setdefault(a.kind, []).append(end)
    return found
