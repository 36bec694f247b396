"""Translations: the zh_CN catalogue is complete, current and consistent; the language follows the thread.

* every message the code marks (_(), N_(), ngettext) is in the .po, translated, not fuzzy, not obsolete, and the
  .po holds nothing the code no longer says (re-extracted here with Babel's API, as scripts/i18n.sh does);
* the committed .mo is what the .po compiles to;
* the {placeholders} of each translation are those of its English;
* every glossary term (docs/glossary.csv) in an English message has its Chinese term in the translation;
* _() switches with the context variable, two threads in two languages do not interfere, a Trainer's messages
  are in the language it was created in;
* the CLI speaks Chinese with --lang zh_CN or LANG=zh_CN.UTF-8, English otherwise;
* UI modules owned by this pass (lessons.py, latent.py, images.py) pass no user-visible English around the catalogue.
"""

from __future__ import annotations

import ast
import csv
import io
import os
import re
import string
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from gan_core import i18n
from gan_core.i18n import _

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_CN" / "LC_MESSAGES" / "gan_classroom.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}


def catalog():
    with PO.open("rb") as f:
        return read_po(f)


def messages():
    """(msgid, msgstr) of every real message in the .po (the header left out); a plural message gives each English
    form with the Chinese form (Chinese has one)."""
    out = []
    for m in catalog():
        if isinstance(m.id, tuple):
            out += [(form, m.string[0]) for form in m.id]
        elif m.id:
            out.append((m.id, m.string))
    return out


def extracted_ids() -> set:
    """What scripts/i18n.sh would extract now: babel.cfg's files, our keywords."""
    ids = set()
    method_map = [("gan_core/**.py", "python"), ("gan_ui/**.py", "python"), ("app.py", "python")]
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_po_is_in_sync_with_the_code():
    in_po = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog() if m.id}
    in_code = extracted_ids()
    missing, stale = sorted(in_code - in_po), sorted(in_po - in_code)
    assert not missing, f"{len(missing)} messages in the code are not in the .po (run scripts/i18n.sh): {missing[:5]}"
    assert not stale, f"{len(stale)} messages in the .po are no longer in the code (run scripts/i18n.sh): {stale[:5]}"


def test_every_message_translated_none_fuzzy_none_obsolete():
    cat = catalog()
    untranslated = [m.id for m in cat if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert not untranslated, f"{len(untranslated)} messages without a zh_CN translation: {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (unchecked) translations: {fuzzy[:5]}"
    assert not cat.obsolete, f"obsolete entries left in the .po: {list(cat.obsolete)[:5]}"


def test_committed_mo_matches_the_po():
    buf = io.BytesIO()
    write_mo(buf, catalog())
    compiled = buf.getvalue()
    import gettext

    fresh, committed = gettext.GNUTranslations(io.BytesIO(compiled)), gettext.GNUTranslations(MO.open("rb"))
    # The header entry ('') names the Babel version that compiled it: a developer's Babel may differ from the lock's.
    fresh_messages = {k: v for k, v in fresh._catalog.items() if k != ""}
    committed_messages = {k: v for k, v in committed._catalog.items() if k != ""}
    assert fresh_messages == committed_messages, "the .mo is stale: run scripts/i18n.sh to compile the .po"


def fields(text: str) -> list[str]:
    """The replacement fields of a str.format template, with their format specs ({{ }} are not fields)."""
    try:
        return sorted(
            f"{name}:{spec}" for _lit, name, spec, _conv in string.Formatter().parse(text) if name is not None
        )
    except ValueError as exc:
        raise AssertionError(f"not a valid format string ({exc}): {text[:80]!r}") from None


def test_placeholders_match():
    bad = [
        (msgid[:60], fields(msgid), fields(msgstr)) for msgid, msgstr in messages() if fields(msgid) != fields(msgstr)
    ]
    assert not bad, f"placeholders differ between English and Chinese: {bad[:3]}"
    for msgid, msgstr in messages():  # code spans, markdown emphasis and lesson markers kept
        assert re.findall(r"`[^`]+`", msgid) == re.findall(r"`[^`]+`", msgstr), msgid[:60]
        assert msgid.count("**") == msgstr.count("**"), msgid[:60]
        assert ("AUGMENT_RESULT" in msgid) == ("AUGMENT_RESULT" in msgstr)
        assert msgid.count("\n") <= msgstr.count("\n") or msgid.count("\n- ") == msgstr.count("\n- "), msgid[:60]


def glossary() -> list[tuple[list[str], list[str], str]]:
    rows = []
    with (ROOT / "docs" / "glossary.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if not row["english"] or row["english"].startswith("#"):
                continue
            rows.append((row["english"].split("|"), row["chinese"].split("|"), row["where_used"]))
    return rows


def test_glossary_has_the_issue_terms():
    english = {e.lower() for terms, _zh, _w in glossary() for e in terms}
    for term in (
        "gan",
        "generator",
        "discriminator",
        "loss function",
        "mode collapse",
        "vanishing gradient",
        "spectral normalization",
        "label smoothing",
        "latent space",
        "latent vector",
        "noise",
        "minimax",
        "non-saturating",
        "learning rate",
        "batch",
        "step",
        "epoch",
        "inception score",
        "fréchet distance",
        "wasserstein distance",
        "gradient penalty",
        "convolution",
        "data augmentation",
        "real",
        "fake",
        "ema",
        "conditional gan",
        "infogan",
        "nash equilibrium",
    ):
        assert term in english, term


def test_every_glossary_term_is_translated_the_glossary_way():
    terms = sorted(((e, zh) for en, zh, _w in glossary() for e in en), key=lambda t: -len(t[0]))
    problems = []
    for msgid, msgstr in messages():
        text = re.sub(r"\{[^{}]*\}|GAN Classroom", "\0", msgid)  # placeholders and the product's name
        for english, chinese in terms:  # longest first; a matched span is masked for shorter terms
            pattern = re.compile(r"(?<![\w-])" + re.escape(english) + r"(?:s|es)?(?![\w])", re.IGNORECASE)
            if english.isupper():  # GAN, EMA, FID: case matters (not "gan_core")
                pattern = re.compile(r"(?<![\w-])" + re.escape(english) + r"s?(?![\w])")
            if pattern.search(text):
                if not any(zh in msgstr for zh in chinese):
                    problems.append(f"{english!r} -> {'|'.join(chinese)!r} missing in: {msgid[:70]!r}")
                text = pattern.sub("\0", text)
    assert not problems, f"{len(problems)} glossary terms translated another way:\n" + "\n".join(problems[:20])


# ---------------------------------------------------------------------------------------------------------------
# The API


def test_normalize():
    for code in ("zh-CN", "zh_CN", "zh", "zh-Hans", "zh_Hans_CN", "zh_CN.UTF-8", "ZH-cn", "zh-SG"):
        assert i18n.normalize(code) == "zh_CN", code
    for code in ("en", "en-US", "en_GB.UTF-8", "C", "POSIX", "C.UTF-8"):
        assert i18n.normalize(code) == "en", code
    for code in ("zh-TW", "zh-Hant", "fr-FR", "", None):
        assert i18n.normalize(code) == "en", code
        assert i18n.normalize(code, default=None) is None, code
    assert i18n.supported() == [("en", "English"), ("zh_CN", "简体中文")]


def test_default_language_from_the_environment(monkeypatch):
    for var in (i18n.ENV, "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert i18n.default_language() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.default_language() == "zh_CN"
    monkeypatch.setenv("LANGUAGE", "fr:en")  # the first supported one in the list wins
    assert i18n.default_language() == "en"
    monkeypatch.setenv(i18n.ENV, "zh-CN")
    assert i18n.default_language() == "zh_CN"


def test_underscore_follows_the_context_variable():
    msg = "Reached the budget of {steps} steps."
    with i18n.language("en"):
        assert _(msg).format(steps=5) == "Reached the budget of 5 steps."
        with i18n.language("zh-CN"):
            assert i18n.get_language() == "zh_CN"
            assert _(msg).format(steps=5) == "已达到 5 步的预算。"
        assert i18n.get_language() == "en"
        assert _("a text with no translation") == "a text with no translation"


def test_two_threads_two_languages_do_not_interfere():
    msg, results, barrier = "Mode collapse", {}, threading.Barrier(2)

    def worker(lang):
        i18n.set_language(lang)
        barrier.wait()  # both have set their language before either reads
        results[lang] = [_(msg) for _i in range(200)]

    threads = [threading.Thread(target=worker, args=(lang,)) for lang in ("en", "zh_CN")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results["en"]) == {"Mode collapse"}
    assert set(results["zh_CN"]) == {"模式崩溃"}


def test_lessons_read_translated():
    from gan_ui.lessons import LESSONS, translated

    with i18n.language("zh_CN"):
        first = translated(LESSONS[0])
        assert first.title == "什么是生成对抗网络" and first.id == LESSONS[0].id and first.math == LESSONS[0].math
        assert all(r.preset == o.preset and r.overrides == o.overrides for r, o in zip(first.runs, LESSONS[0].runs))
        for lesson in LESSONS:
            t = translated(lesson)
            assert len(t.choices) == len(lesson.choices) and t.correct == lesson.correct
            for english, chinese in ((lesson.title, t.title), (lesson.idea, t.idea), (lesson.answer, t.answer)):
                assert not english or chinese != english, english[:50]
    with i18n.language("en"):
        assert translated(LESSONS[0]) == LESSONS[0]


def test_numbers_for_the_locale():
    assert i18n.format_number(12345.678, 1, lang="en") == "12,345.7"
    assert i18n.format_number(12345.678, 1, lang="zh_CN") == "12,345.7"
    assert i18n.format_percent(0.427, lang="zh_CN") == "43%"
    with i18n.language("zh_CN"):
        assert i18n.format_number(1500) == "1,500"


def test_trainer_messages_in_the_language_it_was_started_in():
    import torch

    from gan_core import GANConfig, ImageData, Trainer

    data = ImageData("mnist", (torch.rand(64, 28, 28) * 255).to(torch.uint8), torch.arange(64) % 10, "random", {})
    cfg = GANConfig(
        arch="mlp", latent_dim=4, g_width=8, d_width=8, batch_size=8, max_steps=2, max_seconds=0, snapshot_every=1
    )
    with i18n.language("zh_CN"):
        trainer = Trainer(cfg, data, device="cpu")
    with i18n.language("en"):  # started and run from an English thread
        trainer.start().join(timeout=60)
    assert trainer.lang == "zh_CN"
    assert trainer.message == "已达到 2 步的预算。", trainer.message


# ---------------------------------------------------------------------------------------------------------------
# The CLI


def run_cli(*args, env_lang=None):
    env = {k: v for k, v in os.environ.items() if k not in (i18n.ENV, "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    if env_lang:
        env["LANG"] = env_lang
    return subprocess.run(
        [sys.executable, "-m", "gan_core", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def test_cli_speaks_chinese_with_lang_flag_or_lang_variable(tmp_path):
    out = str(tmp_path / "x.png")
    english = run_cli("sample", "--model", "dcgan", "--n", "0", "--out", out)
    assert english.returncode == 2 and "error: --n must be at least 1; got 0." in english.stderr
    flag = run_cli("--lang", "zh_CN", "sample", "--model", "dcgan", "--n", "0", "--out", out)
    assert flag.returncode == 2 and "错误：--n 不能小于 1；实际为 0。" in flag.stderr, flag.stderr
    env = run_cli("sample", "--model", "dcgan", "--n", "0", "--out", out, env_lang="zh_CN.UTF-8")
    assert "错误：--n 不能小于 1；实际为 0。" in env.stderr, env.stderr
    overridden = run_cli("--lang", "en", "presets", env_lang="zh_CN.UTF-8")
    assert overridden.returncode == 0 and "non-saturating" in overridden.stdout
    presets = run_cli("--lang", "zh_CN", "presets")
    assert "模式崩溃" in presets.stdout and "（默认）" in presets.stdout, presets.stdout


# ---------------------------------------------------------------------------------------------------------------
# No English around the catalogue in the UI modules of this pass

UI_MODULES = [
    "gan_ui/lessons.py",
    "gan_ui/lessons_basics.py",
    "gan_ui/lessons_more.py",
    "gan_ui/lesson_model.py",
    "gan_ui/latent.py",
    "gan_ui/images.py",
]
UI_MODULES += [  # Explore and the latent lab
    "gan_ui/explore.py",
    "gan_ui/explore_model.py",
    "gan_ui/explore_sliders.py",
    "gan_ui/explore_views.py",
    "gan_ui/lab.py",
    "gan_ui/lab_directions.py",
    "gan_ui/lab_digit.py",
    "gan_ui/lab_find.py",
    "gan_ui/catalogue.py",
    "gan_ui/inside_view.py",
    "gan_ui/compare.py",
    "gan_ui/scrub/__init__.py",
    "gan_ui/choices.py",
]
VISIBLE_CALLS = {"ValueError", "ConfigError", "RuntimeError", "Alert", "LessonRun", "Lesson"}
VISIBLE_KEYWORDS = {"title", "idea", "question", "answer", "look_for", "label", "choices", "help", "caption"}
MARKERS = {"_", "N_", "gettext", "ngettext", "pgettext"}


def english_literals(path: Path) -> list[str]:
    """String literals with words in them that reach a person without passing through a marker: arguments of
    exceptions and lesson constructors, and values of user-visible keyword arguments."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visible(node):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.search(r"[A-Za-z]{3,} [A-Za-z]", node.value)
        ):
            found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
        elif isinstance(node, ast.JoinedStr):
            found.append(f"{path.name}:{node.lineno}: an f-string")
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                visible(elt)

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name in MARKERS or name == "format":
            continue
        if name in VISIBLE_CALLS:
            for arg in node.args:
                visible(arg)
        for kw in node.keywords:
            if kw.arg in VISIBLE_KEYWORDS:
                visible(kw.value)
    return found


@pytest.mark.parametrize("module", UI_MODULES)
def test_no_user_visible_english_bypasses_the_catalogue(module):
    found = english_literals(ROOT / module)
    assert not found, "user-visible English not marked with _() / N_():\n" + "\n".join(found)


def test_the_lint_catches_a_bare_literal(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        'raise ValueError("This is not marked.")\nx = LessonRun(label="Run it now")\n'
        'ok = ValueError(_("This is marked."))\n'
    )
    assert len(english_literals(bad)) == 2
