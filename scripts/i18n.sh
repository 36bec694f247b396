#!/usr/bin/env bash
# Translations, the gettext way with Babel (gan_core/i18n.py reads the result).
#
#   scripts/i18n.sh            extract -> update -> compile:
#     1. extract: every _("..."), N_("..."), ngettext(...) in the code (babel.cfg says where) -> locale/gan_classroom.pot
#     2. update:  merge the .pot into each locale/<lang>/LC_MESSAGES/gan_classroom.po (new messages empty, changed
#                 ones marked fuzzy, removed ones obsolete: tests/test_i18n.py fails on all three)
#     3. compile: each .po -> its .mo (committed: the app reads .mo files and never needs a writable folder)
#   scripts/i18n.sh init LANG  start a new language's .po from the .pot (e.g. init ja), then add it to
#                              gan_core/i18n.py LANGUAGES.
#
# Placeholders are {named} (str.format after translation), never %-formatting. Babel still guesses "python-format"
# for a text in which "%" is followed by a space and a conversion letter ("84 % of" reads as "% o") and then refuses
# every translation without it: write such percentages differently ("84 %, ...", "99.7 %: ...").
#
# Then translate the new/fuzzy entries in the .po (remove the "#, fuzzy" line once checked), run this script
# again to compile, and run `python -m pytest tests/test_i18n.py`. Use `pybabel` from the project's venv:
#   PYBABEL=/path/to/venv/bin/pybabel scripts/i18n.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-pybabel}
DOMAIN=gan_classroom
KEYWORDS=(-k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 -k N_)

if [[ "${1:-}" == "init" ]]; then
    "$PYBABEL" init -D "$DOMAIN" -i locale/$DOMAIN.pot -d locale -l "$2"
    exit 0
fi
"$PYBABEL" extract -F babel.cfg "${KEYWORDS[@]}" --no-default-keywords --sort-by-file --no-wrap \
    --omit-header --project "GAN Classroom" -o locale/$DOMAIN.pot .
"$PYBABEL" update -D "$DOMAIN" -i locale/$DOMAIN.pot -d locale --no-wrap --ignore-obsolete
"$PYBABEL" compile -D "$DOMAIN" -d locale --statistics
