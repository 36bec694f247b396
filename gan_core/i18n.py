"""Languages: gettext catalogues (English source, 简体中文 zh_CN) read with the standard library, made with Babel.

    from gan_core.i18n import _, N_, ngettext

    raise ConfigError(_("{name} must be >= 0; got {value}.").format(name=name, value=value))
    TITLE = N_("Mode collapse")          # marked at import time (English), translated where shown: _(TITLE)

The catalogues live in the repository: `locale/gan_classroom.pot` (extracted from the code by Babel, see
`babel.cfg`) and `locale/<lang>/LC_MESSAGES/gan_classroom.po` (the translations), made by `scripts/i18n.sh`
(extract -> update -> compile). The message ids are the English texts, so English needs no catalogue.

Which language? One `contextvars.ContextVar`, so that each thread (each Streamlit session's script thread, each
training thread) has its own:

  * a Streamlit page sets it at the start of every rerun: `i18n.set_language(code)`, from the tab's choice
    (`?lang=`, the switch, else `st.context.locale`); `normalize()` accepts "zh-CN", "zh_Hans_CN", "en-US"...;
  * a thread that never set it (the CLI, a worker) gets the process default: $GAN_CLASSROOM_LANG, else
    gettext's environment variables LANGUAGE, LC_ALL, LC_MESSAGES, LANG; English when none names a supported
    language. The CLI's `--lang` sets it. A Trainer records the language it was created in (`trainer.lang`) and
    writes its messages in it, whatever thread runs it.
  * `with language("zh_CN"): ...` for a block.

The compiled catalogues (`.mo`) are committed beside their `.po`: a fresh clone, a wheel or a read-only install
(the Docker image's /app belongs to another user than the one that could write a cache) reads them with the
standard library's `gettext` and needs neither Babel at run time nor a writable folder, and nothing can go
stale between two processes. tests/test_i18n.py fails when a committed `.mo` differs from what its `.po`
compiles to, so the two cannot drift. Should a `.mo` be missing (someone edited the `.po` and deleted the
`.mo` without compiling), the `.po` is compiled in memory with Babel, with a warning in the log.

Numbers for the reader: `format_number`, `format_percent`, `format_decimal` use Babel's locale data (grouping,
decimal sign) for the current language. Math, code names (lr_G, D(x)) and units are never translated.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import io
import logging
import os
import threading
from pathlib import Path

DOMAIN = "gan_classroom"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT = "en"
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}  # code -> the language's own name (for a switch)
ENV = "GAN_CLASSROOM_LANG"

log = logging.getLogger(__name__)
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("gan_classroom_lang", default=None)
_cache: dict[str, _gettext.NullTranslations] = {}
_lock = threading.Lock()


def supported() -> list[tuple[str, str]]:
    """[(code, the language's own name)], English first: [("en", "English"), ("zh_CN", "简体中文")]."""
    return list(LANGUAGES.items())


def normalize(code: str | None, default: str | None = DEFAULT) -> str | None:
    """A supported language code for a browser locale, a ?lang= value or a LANG variable, else `default`.

    "zh-CN", "zh_CN", "zh", "zh-Hans", "zh_Hans_CN", "zh_CN.UTF-8", "ZH-cn" -> "zh_CN"; "en-US", "en_GB.UTF-8",
    "C", "POSIX" -> "en". Traditional Chinese ("zh-TW", "zh-Hant") is not Simplified: -> `default`.
    """
    if not code or not isinstance(code, str):
        return default
    text = code.strip().split(".")[0].split("@")[0].replace("-", "_")
    parts = [p.lower() for p in text.split("_") if p]
    if not parts:
        return default
    if parts[0] in ("c", "posix", "en"):
        return "en"
    if parts[0] == "zh":
        rest = set(parts[1:])
        if rest & {"hant", "tw", "hk", "mo"} and "hans" not in rest:
            return default
        return "zh_CN"
    return default


def default_language() -> str:
    """The process default: $GAN_CLASSROOM_LANG, then LANGUAGE (a colon-separated list), LC_ALL, LC_MESSAGES,
    LANG, the first that names a supported language; English otherwise."""
    for var in (ENV, "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for code in (os.environ.get(var) or "").split(":"):
            found = normalize(code, default=None)
            if found:
                return found
    return DEFAULT


def get_language() -> str:
    """The language of this thread (or context): set_language's, else the process default."""
    return _current.get() or default_language()


def set_language(code: str | None) -> str:
    """Set this thread's (context's) language; returns the supported code used. None or unknown -> the default.
    A Streamlit page calls it at the start of every rerun (the script thread is the session's)."""
    lang = normalize(code, default=None) or default_language()
    _current.set(lang)
    return lang


@contextlib.contextmanager
def language(code: str | None):
    """`with language("zh_CN"): ...`: messages in that language inside the block, the previous one after it."""
    token = _current.set(normalize(code, default=None) or default_language())
    try:
        yield get_language()
    finally:
        _current.reset(token)


def _compile_po(po: Path) -> _gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def translations(lang: str) -> _gettext.NullTranslations:
    """The catalogue of `lang` (cached); English and a missing catalogue give the identity."""
    with _lock:
        found = _cache.get(lang)
        if found is not None:
            return found
        found = _gettext.NullTranslations()
        if lang != DEFAULT:
            folder = LOCALE_DIR / lang / "LC_MESSAGES"
            mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
            if mo.is_file():
                with mo.open("rb") as f:
                    found = _gettext.GNUTranslations(f)
            elif po.is_file():
                log.warning("%s is missing: compiling %s in memory (run scripts/i18n.sh to compile it)", mo, po)
                found = _compile_po(po)
            else:
                log.warning("no catalogue for %s in %s: showing English", lang, LOCALE_DIR)
        _cache[lang] = found
        return found


def reload() -> None:
    """Forget the loaded catalogues (after scripts/i18n.sh compiled new ones, or in tests)."""
    with _lock:
        _cache.clear()


def gettext(message: str) -> str:
    """`message` in the current language (the English text itself when it has no translation)."""
    return translations(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for the count n, in the current language (Chinese has one form)."""
    return translations(get_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in `context` (the same English word translated differently in two places)."""
    return translations(get_language()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (module-level data, lessons, column docs):
    translate it where it is shown, with _(value)."""
    return message


def translator(lang: str | None):
    """A `_` bound to one language, whatever thread calls it (e.g. the messages of a run started in Chinese)."""
    table = translations(normalize(lang) or DEFAULT)
    return table.gettext


# ---- numbers for the reader --------------------------------------------------------------------------------


def _babel_locale(lang: str | None = None) -> str:
    return {"zh_CN": "zh_Hans_CN"}.get(lang or get_language(), "en_US")


def format_decimal(value, format: str | None = None, lang: str | None = None) -> str:
    """Babel's format_decimal in the current language, e.g. format_decimal(12345.678, "#,##0.0")."""
    from babel.numbers import format_decimal as fmt

    return fmt(value, format=format, locale=_babel_locale(lang))


def format_number(value, digits: int | None = None, lang: str | None = None) -> str:
    """A number with the locale's grouping and decimal sign: `digits` decimals (None: as many as it has, up to 3)."""
    if digits is None:
        return format_decimal(value, lang=lang)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, pattern, lang=lang)


def format_percent(value, digits: int = 0, lang: str | None = None) -> str:
    """A fraction as a percentage for the locale: format_percent(0.427) -> '43%'."""
    from babel.numbers import format_percent as fmt

    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return fmt(value, format=pattern, locale=_babel_locale(lang))
