"""Teaching tools on the Train page: the assignment bundle download, loading a config.json into the
controls, and comparing this tab's runs.

The bundle itself is built by gan_core.bundle (a pure function of the run); the comparison figure and
table by gan_ui.compare; a loaded config becomes control values through gan_ui.controls.values_for.
This module only lays them out.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gan_core import ConfigError, read_config_json
from gan_core.i18n import _, format_decimal, format_number

from . import compare, controls, images, settings
from .builtin_text import translate_uploader
from .language import use_language
from .layout import show_png
from .names import preset_label
from .run_handle import RunHandle
from .store import SessionStore

UPLOAD_KEY = "config_upload"
UPLOAD_MSG = "config_upload_msg"
COMPARE_KEY = "compare_runs"
DIFF_COLOUR = "background-color: #FFF3C4; font-weight: 600"  # a pale highlighter yellow


# ---------------------------------------------------------------------------------------------
# Bundle download
# ---------------------------------------------------------------------------------------------
def bundle_file_name(run: RunHandle) -> str:
    return f"gan-classroom-run{run.number}-{run.cfg.preset or 'custom'}-{run.step}steps-bundle.zip"


def bundle_button(run: RunHandle) -> None:
    """Download the bundle: loss history CSV, final grid PNG, progress GIF, generator, config.json, README."""
    if not run.usable or not run.record_count:
        return
    st.download_button(
        _("Download bundle (.zip)"),
        run.bundle,
        file_name=bundle_file_name(run),
        mime="application/zip",
        icon=":material/folder_zip:",
        on_click="ignore",
        key=f"dl_bundle_{run.number}",
        width="content",
        help=_(
            "For an assignment: history.csv, final_grid.png, progress.gif, "
            "generator.safetensors and config.json (seed included), with a README."
        ),
    )


# ---------------------------------------------------------------------------------------------
# Loading a config.json into the controls
# ---------------------------------------------------------------------------------------------
def _on_config_upload() -> None:
    use_language()  # a callback runs before the page sets the language
    ss = st.session_state
    upload = ss.get(UPLOAD_KEY)
    if upload is None:  # the file was removed from the box: its message goes with it
        ss.pop(UPLOAD_MSG, None)
        return
    try:
        cfg, _notes = read_config_json(upload.getvalue())
        values = controls.values_for(cfg)
        fixed = controls.locked_changes(values)
        if fixed:
            raise ConfigError(
                _("Your teacher fixed these settings, and this config sets them differently: {names}.").format(
                    names=", ".join(fixed)
                )
            )
    except ConfigError as exc:
        ss[UPLOAD_MSG] = (
            "error",
            _("{file} was not loaded; the controls are unchanged. {problem}").format(file=upload.name, problem=exc),
        )
        return
    controls.set_values(values)
    budget = (
        _("{n} steps").format(n=format_number(cfg.max_steps))
        if cfg.max_steps
        else _("{n} s").format(n=format_decimal(cfg.max_seconds))
    )
    ss[UPLOAD_MSG] = (
        "ok",
        _("Loaded {file}: the {preset} recipe, seed {seed}, {budget}. Press Start to train it.").format(
            file=upload.name, preset=preset_label(values["cfg_preset"]), seed=cfg.seed, budget=budget
        ),
    )


def config_loader(disabled: bool = False) -> None:
    """A small uploader that fills the controls from a config.json (a run bundle's, or GANConfig JSON)."""
    with st.expander(_("Load a config.json"), icon=":material/upload_file:"):
        st.file_uploader(
            _("A run bundle's config.json fills in every control above; press Start to train that run again."),
            type=["json"],
            key=UPLOAD_KEY,
            on_change=_on_config_upload,
            disabled=disabled,
        )
        translate_uploader(UPLOAD_KEY, ["json"])
        msg = st.session_state.get(UPLOAD_MSG)
        if msg:
            (st.error if msg[0] == "error" else st.success)(msg[1])


# ---------------------------------------------------------------------------------------------
# Compare runs
# ---------------------------------------------------------------------------------------------
def _name(run: RunHandle) -> str:
    return _("Run {number} · {preset}").format(number=run.number, preset=run.cfg.preset or _("custom"))


def series(run: RunHandle) -> compare.RunSeries:
    return compare.RunSeries(_name(run), run.records(), run.cfg, run.step)


def config_table(runs: list[compare.RunSeries]):
    """The settings of the runs as a styled table: the differing rows first, highlighted."""
    rows = sorted(compare.config_rows(runs), key=lambda r: not r["differs"])  # stable: field order kept
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "differs"} for r in rows]).set_index("setting")
    differs = [r["differs"] for r in rows]
    return frame.style.apply(
        lambda row: [DIFF_COLOUR if differs[frame.index.get_loc(row.name)] else ""] * len(row), axis=1
    )


def compare_section(store: SessionStore) -> None:
    """Overlay the curves of two or more ended runs of this tab, their final grids, and their settings."""
    ended = [h for h in store.runs if not h.active and h.record_count]
    st.subheader(_("Compare runs"), divider="gray")
    if len(ended) < 2:
        st.caption(
            _(
                "Train another run with one setting changed, then compare the two here: curves on shared "
                "axes, final samples side by side, and the settings that differ highlighted."
            )
            + (" " + _("This tab keeps its last {n} runs.").format(n=settings.MAX_RUNS_PER_TAB) if ended else "")
        )
        return
    numbers = [h.number for h in ended]
    ss = st.session_state
    known = ss.get(COMPARE_KEY + "_known", [])
    chosen = [n for n in ss.get(COMPARE_KEY, numbers[-2:]) if n in numbers]  # drop runs the tab forgot
    chosen += [n for n in numbers if known and n not in known and n not in chosen]  # a run that just ended joins
    ss[COMPARE_KEY] = chosen
    ss[COMPARE_KEY + "_known"] = numbers
    picked = st.multiselect(
        _("Runs to compare"),
        numbers,
        key=COMPARE_KEY,
        format_func=lambda n: store.run(n).label,
        placeholder=_("Choose options"),
    )
    if len(picked) < 2:
        st.info(_("Pick at least two runs to compare."), icon=":material/info:")
        return
    runs = [store.run(n) for n in picked]
    data = [series(h) for h in runs]
    fig = compare.compare_figure(data, uirevision="compare-" + "-".join(map(str, picked)))
    st.plotly_chart(fig, key="compare_chart", width="stretch", config={"displaylogo": False})
    st.caption(
        _(
            "Smoothed curves, one colour and dash style per run (the same in every panel). "
            "Dashed grey: 0.5, where D can no longer tell real from fake."
        )
    )
    cols = st.columns(max(3, len(runs)), gap="medium")  # at least 3 columns: grids stay a readable size
    for col, handle, s in zip(cols, runs, data):
        snaps = handle.snapshots()
        with col:
            colour, dash = compare.run_style(data.index(s))
            st.html(
                f'<div style="font-weight:600"><span style="color:{colour}">{compare.DASH_GLYPHS[dash]}</span>'
                f'&nbsp;{s.name}</div>'
            )
            if snaps:
                show_png(images.grid_png(snaps[-1].images.numpy(), ncol=8, scale=2), width="stretch")
            d, g = compare.final_losses(s)
            st.caption(
                _("Step {step}; last 50 steps: D loss {d:.3f}, G loss {g:.3f}.").format(
                    step=format_number(s.steps), d=d, g=g
                )
            )
    diff = compare.differing_fields(data)
    st.markdown(
        _("**Settings** — differ in: {fields}").format(fields=", ".join(diff))
        if diff
        else _("**Settings** — identical")
    )
    st.dataframe(config_table(data), width="stretch", height=min(36 * 26, 35 * (len(compare.config_rows(data)) + 1)))
