"""Teaching tools on the Train page: the assignment bundle download, loading a config.json into the
controls, and comparing this tab's runs.

The bundle itself is built by gan_core.bundle (a pure function of the run); the comparison figure and
table by gan_ui.compare. This module only lays them out and maps a loaded config onto the controls.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gan_core import PRESETS, ConfigError, GANConfig, read_config_json, trainer_bundle
from gan_core.config import DEFAULT_PRESET

from . import compare, images, settings, state, teacher
from .layout import show_png

UPLOAD_KEY = "config_upload"
UPLOAD_MSG = "config_upload_msg"
COMPARE_KEY = "compare_runs"
DIFF_COLOUR = "background-color: #FFF3C4; font-weight: 600"     # a pale highlighter yellow
# Config fields the Train controls cannot set: a loaded config must keep its preset's values for these.
# (snapshot_every only sets how often the timeline is drawn: it changes no weight, so the app's own value is used.)
UNCONTROLLED = ("num_classes", "g_width", "d_width", "gp_weight", "grad_clip", "info_codes", "info_weight", "lr_decay",
                "minibatch_std", "d_augment")


# ---------------------------------------------------------------------------------------------
# Bundle download
# ---------------------------------------------------------------------------------------------
def bundle_bytes(run: state.RunHandle) -> bytes:
    """The run's assignment bundle (.zip), built once per run (the run has ended, so it never changes)."""
    return run.memo("bundle", run.trainer.step, lambda: trainer_bundle(run.trainer, generator=run.checkpoint()))


def bundle_file_name(run: state.RunHandle) -> str:
    t = run.trainer
    return f"gan-classroom-run{run.number}-{t.cfg.preset or 'custom'}-{t.step}steps-bundle.zip"


def bundle_button(run: state.RunHandle) -> None:
    """Download the bundle: loss history CSV, final grid PNG, progress GIF, generator, config.json, README."""
    if not run.usable or not run.trainer.history:
        return
    st.download_button("Download bundle (.zip)", lambda: bundle_bytes(run), file_name=bundle_file_name(run),
                       mime="application/zip", icon=":material/folder_zip:", on_click="ignore",
                       key=f"dl_bundle_{run.number}", width="content",
                       help="For an assignment: history.csv, final_grid.png, progress.gif, "
                            "generator.safetensors and config.json (seed included), with a README.")


# ---------------------------------------------------------------------------------------------
# Loading a config.json into the controls
# ---------------------------------------------------------------------------------------------
def _budget_for(cfg: GANConfig) -> tuple[str, int | None]:
    """(budget option, step count) for a config's budget; ConfigError when the app has no such budget."""
    budgets = settings.budgets()
    if cfg.max_steps and not cfg.max_seconds:
        lo = 1 if settings.test_mode() else 10
        if not lo <= cfg.max_steps <= 100_000:
            raise ConfigError(f"The app's step budget is {lo} to 100,000 steps; this config asks for {cfg.max_steps:,}.")
        return "Steps", cfg.max_steps
    if cfg.max_seconds and not cfg.max_steps:
        for name, (secs, steps) in budgets.items():
            if steps == 0 and secs == cfg.max_seconds:
                return name, None
    options = ", ".join(n for n, (s, k) in budgets.items() if k == 0)
    raise ConfigError(f"The app's budgets are a step count or one of {options}; this config asks for "
                      f"max_steps={cfg.max_steps}, max_seconds={cfg.max_seconds:g}.")


def controls_for(cfg: GANConfig) -> dict:
    """The session-state values of the Train controls that describe `cfg`, or ConfigError saying which
    setting the controls cannot show (the command line can still train it)."""
    from .train import BATCH_OPTIONS, BETA1_OPTIONS, BETA2_OPTIONS, CONTROLS, EMA_DECAY, LATENT_OPTIONS, \
        LR_OPTIONS, SMOOTHING_OPTIONS

    preset = cfg.preset.removesuffix("-custom")
    preset = preset if preset in PRESETS else DEFAULT_PRESET
    base = PRESETS[preset].config()
    problems = [f"{name}={getattr(cfg, name)!r} (the app uses {getattr(base, name)!r})"
                for name in UNCONTROLLED if getattr(cfg, name) != getattr(base, name)]
    options = {"lr_g": LR_OPTIONS, "lr_d": LR_OPTIONS, "beta1": BETA1_OPTIONS, "beta2": BETA2_OPTIONS,
               "batch_size": BATCH_OPTIONS, "latent_dim": LATENT_OPTIONS, "label_smoothing": SMOOTHING_OPTIONS}
    problems += [f"{name}={getattr(cfg, name)!r} (the control offers {', '.join(f'{o:g}' for o in opts)})"
                 for name, opts in options.items() if getattr(cfg, name) not in opts]
    if cfg.ema not in (0.0, EMA_DECAY):
        problems.append(f"ema={cfg.ema:g} (the app's EMA toggle means {EMA_DECAY})")
    if not 1 <= cfg.d_steps <= 10:
        problems.append(f"d_steps={cfg.d_steps} (the control offers 1 to 10)")
    try:
        budget, steps = _budget_for(cfg)
    except ConfigError as exc:
        problems.append(str(exc))
    if problems:
        raise ConfigError("The Train controls cannot show " + "; ".join(problems) + ". Train this config from the "
                          "command line instead: python -m gan_core train --config config.json --out run.safetensors")
    values = {key: getattr(cfg, fld) for key, fld in CONTROLS.items()}
    values["cfg_ema"] = bool(cfg.ema)
    values["cfg_preset"] = preset
    values["budget"] = budget
    if steps is not None:
        values["budget_steps"] = steps
    return values


def locked_changes(values: dict) -> list[str]:
    """The controls among `values` that the teacher locked and that `values` would change (their labels)."""
    ss = st.session_state
    return [LABELS.get(key, key) for key, value in values.items()
            if teacher.locked(key) and key in ss and ss[key] != value]


LABELS = {"cfg_preset": "the preset", "budget": "the budget", "budget_steps": "the step budget",
          "cfg_arch": "the architecture", "cfg_loss": "the loss", "cfg_lr_g": "G's learning rate",
          "cfg_lr_d": "D's learning rate", "cfg_beta1": "Adam β1", "cfg_beta2": "Adam β2",
          "cfg_batch_size": "the batch size", "cfg_latent_dim": "the latent size", "cfg_d_steps": "D steps",
          "cfg_label_smoothing": "label smoothing", "cfg_spectral_norm": "spectral norm", "cfg_ema": "EMA",
          "cfg_conditional": "the conditional switch", "cfg_seed": "the seed", "cfg_dataset": "the dataset"}


def _on_config_upload() -> None:
    ss = st.session_state
    upload = ss.get(UPLOAD_KEY)
    if upload is None:                       # the file was removed from the box: its message goes with it
        ss.pop(UPLOAD_MSG, None)
        return
    try:
        cfg, _ = read_config_json(upload.getvalue())
        values = controls_for(cfg)
        fixed = locked_changes(values)
        if fixed:
            raise ConfigError(f"Your teacher fixed {', '.join(fixed)}, and this config sets "
                              f"{'them' if len(fixed) > 1 else 'it'} differently.")
    except ConfigError as exc:
        ss[UPLOAD_MSG] = ("error", f"{upload.name} was not loaded; the controls are unchanged. {exc}")
        return
    for key, value in values.items():
        ss[key] = value
    ss.pop("start_error", None)
    budget = f"{cfg.max_steps:,} steps" if cfg.max_steps else f"{cfg.max_seconds:g} s"
    ss[UPLOAD_MSG] = ("ok", f"Loaded {upload.name}: {values['cfg_preset']} recipe, seed {cfg.seed}, {budget}. "
                            f"Press Start to train it.")


def config_loader(disabled: bool = False) -> None:
    """A small uploader that fills the controls from a config.json (a run bundle's, or GANConfig JSON)."""
    with st.expander("Load a config.json", icon=":material/upload_file:"):
        st.file_uploader("A run bundle's config.json fills in every control above; press Start to train that "
                         "run again.", type=["json"], key=UPLOAD_KEY, on_change=_on_config_upload,
                         disabled=disabled)
        msg = st.session_state.get(UPLOAD_MSG)
        if msg:
            (st.error if msg[0] == "error" else st.success)(msg[1])


# ---------------------------------------------------------------------------------------------
# Compare runs
# ---------------------------------------------------------------------------------------------
def _name(run: state.RunHandle) -> str:
    return f"Run {run.number} · {run.trainer.cfg.preset or 'custom'}"


def series(run: state.RunHandle) -> compare.RunSeries:
    t = run.trainer
    return compare.RunSeries(_name(run), t.records(), t.cfg, t.step)


def config_table(runs: list[compare.RunSeries]):
    """The settings of the runs as a styled table: the differing rows first, highlighted."""
    rows = sorted(compare.config_rows(runs), key=lambda r: not r["differs"])       # stable: field order kept
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "differs"} for r in rows]).set_index("setting")
    differs = [r["differs"] for r in rows]
    return frame.style.apply(lambda row: [DIFF_COLOUR if differs[frame.index.get_loc(row.name)] else ""] * len(row),
                             axis=1)


def compare_section(store: state.SessionStore) -> None:
    """Overlay the curves of two or more ended runs of this tab, their final grids, and their settings."""
    ended = [h for h in store.runs if not h.active and h.trainer.history]
    st.subheader("Compare runs", divider="gray")
    if len(ended) < 2:
        st.caption("Train another run with one setting changed, then compare the two here: curves on shared "
                   "axes, final samples side by side, and the settings that differ highlighted."
                   + (f" This tab keeps its last {settings.MAX_RUNS_PER_TAB} runs." if ended else ""))
        return
    numbers = [h.number for h in ended]
    ss = st.session_state
    known = ss.get(COMPARE_KEY + "_known", [])
    chosen = [n for n in ss.get(COMPARE_KEY, numbers[-2:]) if n in numbers]     # drop runs the tab forgot
    chosen += [n for n in numbers if known and n not in known and n not in chosen]  # a run that just ended joins
    ss[COMPARE_KEY] = chosen
    ss[COMPARE_KEY + "_known"] = numbers
    picked = st.multiselect("Runs to compare", numbers, key=COMPARE_KEY,
                            format_func=lambda n: f"{_name(store.run(n))} · {store.run(n).trainer.step:,} steps")
    if len(picked) < 2:
        st.info("Pick at least two runs to compare.", icon=":material/info:")
        return
    runs = [store.run(n) for n in picked]
    data = [series(h) for h in runs]
    fig = compare.compare_figure(data, uirevision="compare-" + "-".join(map(str, picked)))
    st.plotly_chart(fig, key="compare_chart", width="stretch", config={"displaylogo": False})
    st.caption("Smoothed curves, one colour and dash style per run (the same in every panel). "
               "Dashed grey: 0.5, where D can no longer tell real from fake.")
    cols = st.columns(max(3, len(runs)), gap="medium")      # at least 3 columns: grids stay a readable size
    for col, handle, s in zip(cols, runs, data):
        snaps = handle.trainer.snapshot_list()
        with col:
            colour, dash = compare.run_style(data.index(s))
            st.html(f'<div style="font-weight:600"><span style="color:{colour}">{compare.DASH_GLYPHS[dash]}</span>'
                    f'&nbsp;{s.name}</div>')
            if snaps:
                show_png(images.grid_png(snaps[-1].images.numpy(), ncol=8, scale=2), width="stretch")
            d, g = compare.final_losses(s)
            st.caption(f"Step {s.steps:,}; last 50 steps: D loss {d:.3f}, G loss {g:.3f}.")
    diff = compare.differing_fields(data)
    st.markdown("**Settings** " + (f"— differ in: {', '.join(diff)}" if diff else "— identical"))
    st.dataframe(config_table(data), width="stretch", height=min(36 * 26, 35 * (len(compare.config_rows(data)) + 1)))
