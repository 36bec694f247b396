"""The class board (teacher only, made for a projector): one live tile per student run.

Opened as the Class page with `?board=<teacher secret>`. A fragment re-reads the tiles every BOARD_S seconds
(one query; the sparklines are small SVG images, not charts, so 30 tiles stay cheap). Around it: sort and filter,
a leaderboard of finished runs by Fréchet distance, the hall of collapse (runs the coach flagged), one run
full-screen, remove a tile, push locked controls to every student, download the hand-ins, delete the class.
"""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile

import streamlit as st

from gan_core.classroom_db import ClassroomError
from gan_core.i18n import N_, _, format_number, get_language

from . import class_state, teacher
from .language import use_language
from .layout import show_png
from .names import preset_label
from .settings import D_COLOR, G_COLOR

BOARD_S = 3.0  # seconds between two refreshes: with the 2 s feed, a step reaches the board within 5 s
COLUMNS = 4  # tiles a row on a projector
SORTS = {
    "updated": lambda t: -t.get("updated", 0),
    "alert": lambda t: (t.get("alert") is None, t.get("nickname", "")),
    "quality": lambda t: (t.get("fd_ratio") is None, t.get("fd_ratio") or 0),
    "step": lambda t: -t.get("step", 0),
}

ALERT_NAMES = {  # the coach's alert kinds (gan_core/coach.py) in a few words, for the tiles and the hall of collapse
    "diverged": N_("losses diverged (NaN)"),
    "runaway": N_("the game is diverging"),
    "d_winning": N_("D is winning"),
    "g_vanished": N_("G's gradient vanished"),
    "oscillating": N_("the game oscillates"),
    "mode_collapse": N_("mode collapse"),
}


def alert_name(kind: str) -> str:
    return _(ALERT_NAMES[kind]) if kind in ALERT_NAMES else kind


def alert_text(tile: dict) -> str:
    """The coach's alert in the board's language (a tile carries it in every language), else its name."""
    texts = tile.get("alert_text") or {}
    if isinstance(texts, str):  # a tile written before tiles carried every language
        return texts
    return texts.get(get_language()) or texts.get("en") or alert_name(tile.get("alert") or "")


def _sort_label(key: str) -> str:
    return {"updated": _("newest"), "alert": _("alerts first"), "quality": _("best quality"), "step": _("most steps")}[
        key
    ]


def spark_svg(d_loss: list, g_loss: list, width: int = 220, height: int = 48) -> str:
    """D and G loss as two polylines in one SVG, on a shared scale (None values skipped)."""
    values = [v for v in (*d_loss, *g_loss) if v is not None]
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0

    def line(series, color):
        n = max(1, len(series) - 1)
        pts = " ".join(
            f"{i * width / n:.1f},{height - (v - lo) / span * height:.1f}"
            for i, v in enumerate(series)
            if v is not None
        )
        return f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}"/>'

    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"{line(d_loss, D_COLOR)}{line(g_loss, G_COLOR)}</svg>"
    )


def _figures(tile: dict) -> str:
    parts = [_("step {step}").format(step=format_number(tile.get("step", 0)))]
    if tile.get("classes") is not None:
        parts.append(_("{n} classes").format(n=tile["classes"]))
        parts.append(f"KL {tile['kl']:.2f}" if tile.get("kl") is not None else "")
        parts.append(f"IS {tile['inception']:.2f}" if tile.get("inception") is not None else "")
        parts.append(_("FD ÷ floor {r:.1f}").format(r=tile["fd_ratio"]) if tile.get("fd_ratio") else "")
    return " · ".join(p for p in parts if p)


def _settings(tile: dict) -> str:
    changes = tile.get("changes") or {}
    extra = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
    preset = tile.get("preset") or ""
    shown = _("custom") if preset == "custom" else preset_label(preset) if preset else ""
    return shown + (f" · {extra}" if extra else "")


def _tile(secret: str, tile: dict) -> None:
    with st.container(border=True, key=f"tile_{tile['tile'].replace('/', '_')}"):
        st.markdown(f"**{html.escape(tile['nickname'])}** · {html.escape(_settings(tile))}")
        st.caption(_figures(tile))
        if tile.get("grid"):
            try:
                with open(tile["grid"], "rb") as handle:
                    show_png(handle.read(), width=160)
            except OSError:
                pass  # the student left between the query and the read
        svg = spark_svg(tile.get("d_loss") or [], tile.get("g_loss") or [])
        if svg:  # an image: st.html would strip the <svg> (its sanitiser allows HTML only)
            st.image(svg, width=220)
        if tile.get("alert"):
            st.warning(alert_text(tile), icon=":material/warning:")
        cols = st.columns(2)
        if cols[0].button(_("Full screen"), key=f"full_{tile['tile']}", icon=":material/fullscreen:"):
            st.session_state["board_full"] = tile["tile"]
            st.rerun()
        if cols[1].button(_("Remove"), key=f"remove_{tile['tile']}", icon=":material/delete:"):
            class_state.db().remove_tile(secret, tile["tile"])
            st.rerun(scope="fragment")


def _tiles(secret: str) -> None:
    use_language()  # a fragment rerun (every BOARD_S) does not pass through frame.navigation
    try:
        tiles = class_state.db().tiles(secret)
    except ClassroomError:
        st.error(_("This board's class no longer exists."))
        return
    ss = st.session_state
    if ss.get("board_full"):
        _full_screen(tiles, ss["board_full"])
        return
    wanted = ss.get("board_filter", "").strip().lower()
    if ss.get("board_alerts_only"):
        tiles = [t for t in tiles if t.get("alert")]
    if wanted:
        tiles = [t for t in tiles if wanted in _settings(t).lower() or wanted in _alert_words(t)]
    tiles.sort(key=SORTS[ss.get("board_sort", "updated")])
    st.caption(_("{n} runs").format(n=len(tiles)))
    for start in range(0, len(tiles), COLUMNS):
        for col, tile in zip(st.columns(COLUMNS), tiles[start : start + COLUMNS], strict=False):
            with col:
                _tile(secret, tile)
    _rankings(tiles)


def _alert_words(tile: dict) -> str:
    kind = tile.get("alert") or ""
    return f"{kind} {alert_name(kind)}".lower() if kind else ""


def _full_screen(tiles: list, key: str) -> None:
    tile = next((t for t in tiles if t["tile"] == key), None)
    if st.button(_("Back to the board"), key="board_back", icon=":material/arrow_back:") or tile is None:
        st.session_state.pop("board_full", None)
        st.rerun()
    st.header(f"{tile['nickname']} · {_settings(tile)}")
    st.subheader(_figures(tile))
    if tile.get("grid"):
        with open(tile["grid"], "rb") as handle:
            show_png(handle.read(), width=480)
    svg = spark_svg(tile.get("d_loss") or [], tile.get("g_loss") or [], width=900, height=240)
    if svg:
        st.image(svg, width=900)
    if tile.get("alert"):
        st.warning(alert_text(tile))


def _rankings(tiles: list) -> None:
    finished = sorted(
        (t for t in tiles if t.get("status") == "finished" and t.get("frechet") is not None), key=lambda t: t["frechet"]
    )
    left, right = st.columns(2)
    with left:
        st.subheader(_("Leaderboard (Fréchet distance, lower is better)"))
        for rank, t in enumerate(finished, start=1):
            st.markdown(f"{rank}. **{html.escape(t['nickname'])}** · FD {t['frechet']:.1f} · {_settings(t)}")
    with right:
        st.subheader(_("Hall of collapse"))
        for t in (t for t in tiles if t.get("alert")):
            st.markdown(f"**{html.escape(t['nickname'])}** · {alert_name(t['alert'])} · {_settings(t)}")


def hand_ins_zip(entries: list) -> bytes:
    """Every hand-in's bundle (nickname_run.zip) and hand_ins.csv with their settings and metrics."""
    buffer = io.BytesIO()
    settings_keys = sorted({k for e in entries for k in e["settings"]})
    metric_keys = sorted({k for e in entries for k in e["metrics"]})
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["nickname", "run", "file", *metric_keys, *settings_keys])
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for e in entries:
            name = f"{e['nickname']}_run{e['run_id']}.zip".replace("/", "_").replace("\\", "_").replace(" ", "_")
            archive.write(e["bundle"], name)
            row = [e["nickname"], e["run_id"], name]
            row += [e["metrics"].get(k, "") for k in metric_keys]
            row += [json.dumps(e["settings"].get(k, "")) for k in settings_keys]
            writer.writerow(row)
        archive.writestr("hand_ins.csv", table.getvalue())
    return buffer.getvalue()


def _teacher_tools(secret: str, info: dict) -> None:
    with st.expander(_("Lock controls for every student"), icon=":material/lock:"):
        lesson = st.number_input(_("Lesson (0 = none)"), 0, 20, int(info["locked"].get("lesson") or 0), key="b_lesson")
        lock = st.multiselect(
            _("Locked controls"),
            list(teacher.LOCKABLE),
            info["locked"].get("lock", []),
            key="b_lock",
            placeholder=_("Choose options"),
        )
        if st.button(_("Push to every student"), key="board_push"):
            class_state.db().set_locked(secret, {"lesson": lesson or None, "lock": lock})
            st.success(_("Pushed: students get it on their next page update."))
    entries = class_state.db().hand_ins(secret)
    st.download_button(
        _("Download {n} hand-ins (zip + CSV)").format(n=len(entries)),
        data=hand_ins_zip(entries) if entries else b"",
        file_name=f"class_{info['code']}_hand_ins.zip",
        disabled=not entries,
        key="board_download",
    )
    if st.button(_("Delete the class now"), key="board_delete", icon=":material/delete_forever:"):
        class_state.db().delete_class(secret)
        st.rerun()


def render(secret: str) -> None:
    try:
        info = class_state.db().class_info(secret)
    except ClassroomError:
        st.error(_("This board link is not valid, or its class has ended."))
        return
    st.title(_("Class board · code {code}").format(code=info["code"]))
    cols = st.columns([2, 2, 1])
    cols[0].selectbox(_("Sort"), list(SORTS), format_func=_sort_label, key="board_sort")
    cols[1].text_input(_("Filter by a setting or alert (e.g. lr_G)"), key="board_filter")
    cols[2].toggle(_("Alerts only"), key="board_alerts_only")
    st.fragment(_tiles, run_every=BOARD_S)(secret)
    _teacher_tools(secret, info)
