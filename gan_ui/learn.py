"""The Learn page: guided lessons a teacher can run and a student can follow alone.

Each lesson (gan_ui/lessons.py) is: the idea (with its math), a *predict-then-run* question, a one-click
run of the matching preset with a short step budget, what to look for in the charts, and the answer.
Predict-then-run means: the run waits for a prediction, the prediction locks when the run starts, and the
answer shows when the run has ended (a lesson without a run: once predicted). A teacher's link can let the
run start first (`allow=run_first`) or reveal the answer (`allow=answer`).

The run goes through the Train page's own path (its controls are filled with the lesson's preset and
budget, then `controls.start_from_controls()`), so it is an ordinary run of this tab: the live panel drawn here is
the Train page's live panel (`live_panel.live_panel`: charts, samples, sample quality and the coach's alerts), and the
run also appears on the Train page, ready for its timeline, Explore and download.

Teacher mode (gan_ui/teacher.py): `?lesson=N&lock=...&hide=...&projector=1`.
"""

from __future__ import annotations

import streamlit as st

from gan_core import PRESETS, DataFormatError, DataUnavailable
from gan_core.coach import WINDOW, window_values
from gan_core.sampling import generate, interpolate, sample_z, sweep

from . import controls, copy_button, images, settings, state, teacher
from .catalogue import shipped_entry
from .layout import PAGE_SPECS, page_link, show_png
from .lessons import BY_ID, LESSON_IDS, LESSONS, Lesson, LessonRun, number, translated
from .live_panel import live_panel
from .run_handle import RunHandle
from .server import shared_dataset
from .source_view import show_code

PAGE_PATHS = tuple(PAGE_SPECS)  # the pages' url paths (learn, train, ...): not part of the app's address
TEST_STEPS = 6  # lesson budgets in test mode (GAN_CLASSROOM_TEST_MODE=1)


def current_lesson() -> Lesson:
    ss = st.session_state
    if ss.get("learn_lesson") not in BY_ID:
        ss["learn_lesson"] = LESSON_IDS[0]
    return translated(BY_ID[ss["learn_lesson"]])  # in the tab's language (?lang=)


def _go(lesson_id: str) -> None:
    st.session_state["learn_lesson"] = lesson_id


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
def lesson_steps(spec: LessonRun) -> int:
    return min(spec.steps, TEST_STEPS) if settings.test_mode() else spec.steps


def fill_controls(spec: LessonRun) -> None:
    """The Train page's controls set to the lesson's preset, overrides and step budget."""
    controls.set_values(controls.lesson_values(spec.preset, spec.overrides, lesson_steps(spec)))


def _on_run(lesson_id: str, spec: LessonRun) -> None:
    ss = st.session_state
    store = state.session_store()
    if store.active_run() is not None or not may_run(BY_ID[lesson_id]):
        return
    fill_controls(spec)  # the Train page shows (and a teacher's locks keep) the lesson's values
    handle = controls.start_from_controls()
    if handle is not None:
        ss.setdefault("learn_runs", {})[handle.number] = (lesson_id, spec.label)


def prediction(lesson: Lesson) -> str | None:
    return st.session_state.get(f"predict_{lesson.id}")


def may_run(lesson: Lesson) -> bool:
    """A lesson's run starts only after a prediction, unless the teacher's link allows it first."""
    return prediction(lesson) is not None or teacher.allowed("run_first")


def prediction_locked(lesson: Lesson) -> bool:
    """The prediction is fixed once a run of this lesson has started."""
    return bool(lesson_runs(lesson.id))


def answer_due(lesson: Lesson) -> bool:
    """Whether the answer may show: a run of this lesson has ended (or, without a run, a prediction is in;
    lesson 8's experiment counts as its run), or the teacher's link reveals it."""
    if teacher.allowed("answer"):
        return True
    if not lesson.runs:
        return prediction(lesson) is not None
    if lesson.extra == "augment" and st.session_state.get("learn_augment_result"):
        return True
    return any(not h.active for h, _ in lesson_runs(lesson.id))


def lesson_runs(lesson_id: str) -> list[tuple[RunHandle, str]]:
    """This tab's runs started from this lesson, oldest first, as (handle, variant label)."""
    store = state.session_store()
    tags = st.session_state.get("learn_runs", {})
    return [(h, tags[h.number][1]) for h in store.runs if tags.get(h.number, ("",))[0] == lesson_id]


def _median(values) -> float | None:
    values = sorted(values)
    return values[len(values) // 2] if values else None


def comparison_rows(runs) -> list[dict]:
    """One row per run: the medians of the last WINDOW steps, and the latest sample-quality reading."""
    rows = []
    for h, label in runs:
        recs = h.records()
        info = h.loss_info
        g, d = _median(window_values(recs, "g_grad_norm", WINDOW)), _median(window_values(recs, "d_grad_norm", WINDOW))
        latest = h.quality.latest() if h.quality is not None else None
        rows.append(
            {
                "run": f"Run {h.number}",
                "variant": label,
                "status": h.status,
                "steps": h.step,
                "D(x)": _median(window_values(recs, "d_real", WINDOW)) if info.probabilistic else None,
                "D(G(z))": _median(window_values(recs, "d_fake", WINDOW)) if info.probabilistic else None,
                "‖∇G‖": g,
                "‖∇G‖ / ‖∇D‖": (g / d) if g is not None and d else None,
                "classes present": len(latest[1].classes_present) if latest else None,
            }
        )
    return rows


def run_section(lesson: Lesson) -> None:
    ss = st.session_state
    store = state.session_store()
    active = store.active_run()
    specs = list(lesson.runs)
    key = f"learn_variant_{lesson.id}"
    if len(specs) > 1:
        labels = [s.label for s in specs]
        if ss.get(key) not in labels:
            ss[key] = labels[0]
        st.radio(
            "Variant", labels, key=key, horizontal=True, disabled=teacher.locked("learn_variant") or active is not None
        )
        if teacher.locked("learn_variant"):
            st.caption(":material/lock: Your teacher chose this variant.")
        spec = specs[labels.index(ss[key])]
    else:
        spec = specs[0]
    preset = PRESETS[spec.preset]
    changes = ", ".join(f"{k} = {v}" for k, v in spec.overrides.items())
    st.caption(
        f"Preset **{spec.preset}**: {preset.description}"
        + (f" Changed: {changes}." if changes else "")
        + f" Budget: {lesson_steps(spec):,} steps."
    )
    with st.container(horizontal=True, gap="small"):
        st.button(
            spec.label,
            type="primary",
            icon=":material/play_arrow:",
            key=f"learn_run_{lesson.id}",
            on_click=_on_run,
            args=(lesson.id, spec),
            disabled=active is not None or not may_run(lesson),
        )
        st.button(
            "Stop",
            icon=":material/stop:",
            key=f"learn_stop_{lesson.id}",
            disabled=active is None,
            on_click=lambda: state.session_store().stop_run(active) if active is not None else None,
        )
    if not may_run(lesson):
        st.caption(
            ":material/touch_app: Make your prediction first (step 1): the run then shows whether you were right."
        )
    try:
        st.caption(f"Lesson runs train on {shared_dataset('mnist').describe()}.")
    except (DataUnavailable, DataFormatError) as exc:
        st.warning(str(exc))
    if st.session_state.get("start_error"):
        st.error(st.session_state["start_error"], icon=":material/error:")
    runs = lesson_runs(lesson.id)
    if active is not None and all(h is not active for h, _ in runs):
        st.info(
            f"{active.label} is training in this tab; it must end (or be stopped on the Train page) "
            "before this lesson's run can start.",
            icon=":material/hourglass_top:",
        )
    if not runs:
        st.caption("The live charts appear here when the run starts.")
        return
    shown, label = runs[-1]
    if len(runs) > 1:
        numbers = [h.number for h, _ in reversed(runs)]
        pick = st.selectbox(
            "Show run",
            numbers,
            key=f"learn_show_{lesson.id}",
            format_func=lambda n: next(f"Run {h.number} · {lab}" for h, lab in runs if h.number == n),
        )
        if active is None or all(h is not active for h, _ in runs):
            shown, label = next((h, lab) for h, lab in runs if h.number == pick)
    st.markdown(f"**Run {shown.number}: {label}**")
    live_panel(shown)
    if len(specs) > 1 and len(runs) > 1:
        st.markdown(
            "**This lesson's runs, side by side** (medians of the last "
            f"{WINDOW} steps; classes present from the latest sample-quality reading)"
        )
        st.dataframe(
            comparison_rows(runs),
            hide_index=True,
            width="stretch",
            column_config={
                c: st.column_config.NumberColumn(format="%.3g") for c in ("D(x)", "D(G(z))", "‖∇G‖", "‖∇G‖ / ‖∇D‖")
            },
        )


# ---------------------------------------------------------------------------------------------
# Lesson-specific panels
# ---------------------------------------------------------------------------------------------
def latent_panel() -> None:
    entry = shipped_entry("dcgan")
    ss = st.session_state
    ss.setdefault("learn_pair", 0)
    c1, c2 = st.columns([1, 3], vertical_alignment="center")
    c1.button(
        "Two new points",
        icon=":material/casino:",
        key="learn_new_pair",
        on_click=lambda: ss.update(learn_pair=ss["learn_pair"] + 1),
    )
    c2.caption(f"The shipped `dcgan` generator ({entry.latent_dim}-d z). Pair #{ss['learn_pair'] + 1}.")
    z = sample_z(2, entry.latent_dim, seed=1000 + ss["learn_pair"])  # (2, latent)
    strip = generate(entry.G, interpolate(z[0], z[1], 9, "slerp")).numpy()  # (9, 28, 28)
    show_png(images.strip_png(strip, scale=4), width="stretch", caption="z₀ → z₁ along the sphere (slerp), 9 steps.")
    dim = st.slider(
        "What does dimension k do?",
        1,
        entry.latent_dim,
        1,
        key="learn_dim",
        help="Sweep one coordinate of z₀ from −3 to 3, all others fixed.",
    )
    row = generate(entry.G, sweep(z[0], dim - 1, 9)).numpy()
    show_png(images.strip_png(row, scale=4), width="stretch", caption=f"z₀ with dimension {dim} swept from −3 to +3.")
    page_link("explore", "Open Explore: a slider for every dimension")


@st.cache_data(max_entries=4, show_spinner=False)
def _augment(n_real: int, n_fake: int, n_test: int, seeds: tuple) -> dict:
    """The experiment's result (deterministic in its arguments, so cached for every session)."""
    from gan_core.augment import run_augmentation

    data = shared_dataset("mnist")
    result = run_augmentation(
        data, n_real=n_real, n_fake=n_fake, n_test=n_test, seeds=seeds, steps=20 if settings.test_mode() else 300
    )
    return {
        "summary": result.summary(),
        "seconds": result.seconds,
        "rows": [
            {
                "seed": t.seed,
                "real only": t.acc_real,
                "real + generated": t.acc_aug,
                "difference (points)": 100 * t.gain,
            }
            for t in result.trials
        ],
    }


AUGMENT_SIZES = {  # label -> (real digits, generated digits, test digits, seeds)
    "Quick: 1 seed": (200, 1000, 1000, (0,)),
    "Full: 3 seeds": (200, 1000, 1000, (0, 1, 2)),
}
TEST_AUGMENT = (100, 500, 500, (0,))


def augment_panel() -> dict | None:
    size = st.segmented_control(
        "Size", list(AUGMENT_SIZES), key="learn_augment_size", default="Quick: 1 seed", required=True
    )
    n_real, n_fake, n_test, seeds = TEST_AUGMENT if settings.test_mode() else AUGMENT_SIZES[size]
    st.caption(
        f"{n_real} real digits (class-balanced) vs the same plus {n_fake} digits from the shipped `cdcgan`; "
        f"tested on {n_test} other real digits; {len(seeds)} seed(s). Each seed trains the classifier twice: "
        f"a minute or more per seed on a CPU (several on a busy one). A result, once computed, is kept for "
        f"everyone on this server."
    )
    ss = st.session_state
    if st.button("Run the experiment", icon=":material/science:", key="learn_augment"):
        try:
            with st.spinner("Training the digit classifier with and without generated digits…"):
                ss["learn_augment_result"] = _augment(n_real, n_fake, n_test, seeds)
        except Exception as exc:  # a missing generator file, ...: say so, never a traceback
            st.error(f"The experiment could not run: {exc}", icon=":material/error:")
    result = ss.get("learn_augment_result")
    if result:
        st.dataframe(
            result["rows"],
            hide_index=True,
            width="stretch",
            column_config={
                "real only": st.column_config.NumberColumn(format="percent"),
                "real + generated": st.column_config.NumberColumn(format="percent"),
                "difference (points)": st.column_config.NumberColumn(format="%+.1f"),
            },
        )
        st.markdown(result["summary"])
    return result


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------
def answer_section(lesson: Lesson, extra_result: dict | None) -> None:
    pick = prediction(lesson)
    if teacher.hidden("answer"):
        st.caption(":material/lock: Your teacher will give the answer in class.")
        return
    if not answer_due(lesson):
        if pick is None:
            st.caption("Make your prediction in step 1 first; the answer appears when the run has ended.")
        else:
            st.caption(
                ":material/hourglass_top: Your prediction is in. The answer appears when the run has ended: "
                "watch the charts meanwhile."
            )
        return
    if pick is not None:
        right = lesson.choices.index(pick) == lesson.correct if pick in lesson.choices else False
        if right:
            st.success(f"You predicted: *{pick}* - that is what happens.", icon=":material/check_circle:")
        else:
            st.warning(f"You predicted: *{pick}*. Compare with the answer below.", icon=":material/lightbulb:")
    text = lesson.answer
    if "AUGMENT_RESULT" in text:
        text = text.replace(
            "AUGMENT_RESULT",
            f"**Measured here:** {extra_result['summary']}"
            if extra_result
            else "Run the experiment above to repeat the measurement on this server.",
        )
    st.markdown(text)


def lesson_body(lesson: Lesson) -> None:
    n = number(lesson.id)
    st.title(f"Lesson {n}: {lesson.title}")
    st.markdown(lesson.idea)
    for formula in lesson.math:
        st.latex(formula)
    show_code(lesson.code)
    st.subheader("1 · Predict", divider="gray")
    locked = prediction_locked(lesson) or (not lesson.runs and answer_due(lesson))
    st.radio(
        lesson.question,
        lesson.choices,
        index=None,
        key=f"predict_{lesson.id}",
        disabled=locked,
        persist_state="session",
    )
    if locked and prediction(lesson) is not None:
        st.caption(":material/lock: Your prediction is locked in.")
    extra_result = None
    step = 2
    if lesson.runs:
        st.subheader(f"{step} · Run it", divider="gray")
        run_section(lesson)
        step += 1
    if lesson.extra == "latent":
        st.subheader(f"{step} · Try it", divider="gray")
        latent_panel()
        step += 1
    elif lesson.extra == "augment":
        st.subheader(f"{step} · The augmentation experiment", divider="gray")
        extra_result = augment_panel()
        step += 1
    st.subheader(f"{step} · What to look for", divider="gray")
    st.markdown(lesson.look_for)
    st.subheader(f"{step + 1} · The answer", divider="gray")
    answer_section(lesson, extra_result)


def teacher_links() -> None:
    with st.expander("For teachers: a link that opens this lesson", icon=":material/co_present:"):
        st.caption("Choose what students may change; share the link (or show its QR code on the projector).")
        lesson = current_lesson()
        lock = st.multiselect("Lock (shown, not changeable)", [n for n in teacher.LOCKABLE], key="tl_lock")
        hide = st.multiselect(
            "Hide", list(teacher.HIDEABLE), key="tl_hide", format_func=lambda n: f"{n}: {teacher.HIDEABLE[n]}"
        )
        allow = st.multiselect(
            "Allow", list(teacher.ALLOWABLE), key="tl_allow", format_func=lambda n: f"{n}: {teacher.ALLOWABLE[n]}"
        )
        projector = st.toggle("Projector mode (large type, high contrast)", key="tl_projector")
        host = st.context.headers.get("Host")  # the browser's address; its Host header else
        here = (
            teacher.app_base(st.context.url, PAGE_PATHS)
            or (f"http://{host}" if host else None)
            or "http://localhost:8501"
        )
        if st.session_state.get("tl_base_seen") != here:  # the address this browser is on, as its default
            st.session_state["tl_base"] = st.session_state["tl_base_seen"] = here
        base = st.text_input(
            "App address",
            key="tl_base",
            help="Filled in from your browser's address bar. Change it if students reach this "
            "server by another address.",
        )
        if teacher.is_local(base):
            other = teacher.network_base(base)
            st.warning(
                "Only this computer can open this address. Students need the server's network address"
                + (
                    f", probably **{other}** (the server must listen on the network: `--server.address 0.0.0.0`)."
                    if other
                    else "."
                ),
                icon=":material/wifi_off:",
            )
        url = teacher.link(base, number(lesson.id), lock, hide, projector, allow)
        st.code(url, language="text", wrap_lines=True)
        copy_button.copy_button(url, "Copy link", key="tl_copy")
        show_png(
            teacher.qr_png(url), width="content", caption="QR code of this link: students scan it from the projector"
        )


def render() -> None:
    t = teacher.current()
    for problem in t.problems:
        st.warning(f"Teacher link: {problem}", icon=":material/link_off:")
    lesson = current_lesson()
    if teacher.hidden("lessons"):
        lesson_body(lesson)
        return
    nav, body = st.columns([1, 3.2], gap="large")
    with nav:
        st.markdown("**Lessons**")
        st.radio(
            "Lessons",
            LESSON_IDS,
            key="learn_lesson",
            label_visibility="collapsed",
            format_func=lambda i: f"{number(i)}. {BY_ID[i].title}",
        )
        teacher_links()
    with body:
        lesson_body(lesson)
        i = LESSON_IDS.index(lesson.id)
        with st.container(horizontal=True, gap="small"):
            if i > 0:
                st.button(f"← {LESSONS[i - 1].title}", key="learn_prev", on_click=_go, args=(LESSON_IDS[i - 1],))
            if i < len(LESSONS) - 1:
                st.button(
                    f"Next: {LESSONS[i + 1].title} →",
                    key="learn_next",
                    type="primary",
                    on_click=_go,
                    args=(LESSON_IDS[i + 1],),
                )
