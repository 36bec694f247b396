"""Names as a page shows them: presets and losses are keys (a teacher link, a config.json and the CLI carry them);
those that are English words get a translated name, with the key after it so a student can still find it.
Plain Python, no Streamlit."""

from __future__ import annotations

from gan_core.i18n import N_, _

# Preset names are keys (a teacher link and config.json carry them); those that are English words get a label.
PRESET_NAMES = {
    "swings": N_("swings"),
    "no-penalty": N_("no-penalty"),
    "collapse": N_("collapse"),
    "saturating": N_("saturating"),
    "strong-d": N_("strong-d"),
    "high-lr": N_("high-lr"),
}
TOY_PRESET_NAMES = {  # the Playground's presets (gan_core.toy2d.TOY_PRESETS): what each game is, in words
    "ring": N_("Ring of 8, players balanced"),
    "ring-collapse": N_("Ring of 8, D too slow: collapse"),
    "ring-wgan-gp": N_("Ring of 8, WGAN-GP"),
    "ring-d-ahead": N_("Ring of 8, D trained first"),
    "grid": N_("Grid of 25"),
}
LOSS_NAMES = {  # loss keys that are English words, shown as _(name)
    "minimax": N_("minimax"),
    "non-saturating": N_("non-saturating"),
    "least-squares": N_("least-squares"),
}


def loss_label(name: str) -> str:
    """A loss as shown: its key, or in Chinese its translated name with the key after it ("非饱和 (non-saturating)")."""
    shown = _(LOSS_NAMES[name]) if name in LOSS_NAMES else name
    return name if shown == name else f"{shown} ({name})"


def preset_label(name: str | None) -> str:
    """A preset as shown: its key, or in Chinese its translated name with the key after it ("模式崩溃 (collapse)")."""
    if not name:
        return _("custom")
    shown = _(PRESET_NAMES[name]) if name in PRESET_NAMES else name
    return name if shown == name else f"{shown} ({name})"


def toy_preset_label(name: str) -> str:
    """A Playground preset as shown, in every language: what it is in words, then its key ("Grid of 25 (grid)")."""
    return f"{_(TOY_PRESET_NAMES[name])} ({name})" if name in TOY_PRESET_NAMES else name
