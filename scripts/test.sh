#!/usr/bin/env bash
# Run the test suite on a fresh Debian machine, or re-run it in seconds on one that ran it before.
#
#   scripts/test.sh                 # everything (pytest.ini: testpaths = tests)
#   scripts/test.sh tests/test_losses.py -k hinge
#   scripts/test.sh -m "not slow and not browser"
#
# 1. System packages: Debian's Chromium (the browser tests drive it), dataset-fashion-mnist, nginx, PostgreSQL
#    and fonts-noto-cjk (Chinese glyphs).
#    Installed with apt-get when missing (as root, or through sudo); without either, a warning and
#    the browser tests skip with their reason.
# 2. A virtual environment OUTSIDE the clone, named after the lock file it holds:
#    $GAN_CLASSROOM_VENV, or ~/.cache/gan-classroom/venv-<first 12 hex of sha256(requirements-dev.lock)>.
#    It installs exactly the lock (pinned versions, checked against their hashes, no other packages);
#    pip runs only when that venv is new or its last install did not complete.
#    scripts/test-newest.sh runs the same suite on the newest releases instead.
# 3. pytest from the repository root, with GAN_CLASSROOM_REQUIRE_BROWSER=1 when Chromium is
#    installed, so that skipped browser tests fail the run instead of passing quietly.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[test.sh] %s\n' "$*" >&2; }
warn() { printf '[test.sh] WARNING: %s\n' "$*" >&2; }

# ------------------------------------------------------------------------------ system packages
CHROMIUM=/usr/bin/chromium
FASHION_DIR=/usr/share/datasets/fashion-mnist
PG_INITDB=/usr/lib/postgresql/15/bin/initdb   # the class board's storage tests run against a real PostgreSQL
PYTHON="${PYTHON:-python3}"

LOCK="${GAN_CLASSROOM_LOCK:-requirements-dev.lock}"
HASH="$(sha256sum "$LOCK" | cut -c1-12)"
VENV="${GAN_CLASSROOM_VENV:-$HOME/.cache/gan-classroom/venv-$HASH}"
MARKER="$VENV/.gan-classroom-install-incomplete"

installed() {   # a Debian package, or (without dpkg) the path it provides
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
    else
        [[ -e "$2" ]]
    fi
}

missing=()
installed chromium "$CHROMIUM" || missing+=(chromium)
installed dataset-fashion-mnist "$FASHION_DIR" || missing+=(dataset-fashion-mnist)
installed nginx /usr/sbin/nginx || missing+=(nginx)   # the deploy test's sticky proxy (tests/test_deploy_e2e.py)
installed postgresql "$PG_INITDB" || missing+=(postgresql)
# Chinese glyphs: the browser tests' screenshots of Chinese pages (tofu boxes without them) and the words drawn into
# images (gan_core/fonts.py); tests/test_fonts_installed.py checks both where this script could install it.
installed fonts-noto-cjk /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || missing+=(fonts-noto-cjk)
if [[ ! -x "$VENV/bin/python" ]] && ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    missing+=(python3-venv)          # Debian splits `python3 -m venv` into its own package
fi

if ((${#missing[@]})); then
    as_root=()
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            as_root=(sudo -n)
        else
            as_root=(none)
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        warn "apt-get not found; cannot install ${missing[*]}. Browser tests will skip (with their reason)."
    elif [[ "${as_root[*]-}" == none ]]; then
        warn "not root and no password-less sudo; cannot install ${missing[*]}."
        warn "Run: sudo apt-get install ${missing[*]}   (browser tests will skip with their reason until then)"
    else
        say "installing Debian packages: ${missing[*]}"
        if ! { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
               "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                   "${missing[@]}"; }; then
            warn "apt-get install ${missing[*]} failed; continuing. Browser tests will skip (with their reason)."
        fi
    fi
fi

# ------------------------------------------------------------------------------ virtual environment
if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating $VENV"
    mkdir -p "$VENV"
    touch "$MARKER"                  # written first: an interrupted creation or install is redone next time
    "$PYTHON" -m venv "$VENV"
fi
if [[ -e "$MARKER" ]]; then
    say "installing $LOCK into $VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q --require-hashes --no-deps -r "$LOCK"
    rm -f "$MARKER"
else
    say "reusing $VENV"
fi

# ------------------------------------------------------------------------------ run
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
if [[ -x "$CHROMIUM" ]]; then
    export GAN_CLASSROOM_REQUIRE_BROWSER=1
else
    warn "$CHROMIUM not found: browser tests will be skipped (with their reason)."
fi
say "python -m pytest $*"
exec "$VENV/bin/python" -m pytest "$@"
