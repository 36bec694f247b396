"""The web process's malloc arenas (gan_ui/memory.py): `streamlit run app.py` imports app.py as a module when the
server starts, and that import caps glibc's arenas at two, as MALLOC_ARENA_MAX=2 does in the Dockerfile, so
the threads that run every tab's script share two arenas instead of taking up to 8 per core.

Each case runs in a fresh Python process (glibc's arenas are per process and never go away), imports app.py the
way Streamlit does (a module named `app`, not `__main__`), then starts eight threads that each allocate, as eight
tabs' script runs would, and reads the arena count from glibc's malloc_info.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")

PROBE = """
import importlib.util, sys, threading, time
from gan_ui import memory
if sys.argv[1] == "import-app":
    spec = importlib.util.spec_from_file_location("app", "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert type(module.app).__name__ == "App", module.app
held = []
def tab():
    for _ in range(200):
        held.append(bytes(4000))  # above pymalloc's 512 bytes: glibc's malloc, in this thread's arena
    time.sleep(0.3)  # the threads overlap, as tabs' script runs do
threads = [threading.Thread(target=tab) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(memory.arena_count())
"""


def arenas_after_eight_threads(how: str, **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    environ.update(env, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", PROBE, how], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return int(out.stdout.strip().splitlines()[-1])


def test_eight_threads_take_arenas_of_their_own_by_default():
    """The control: without the cap, eight allocating threads get arenas of their own (glibc allows 8 per core),
    so the next test's two is the cap's doing."""
    assert arenas_after_eight_threads("plain") > 2


def test_the_server_importing_app_caps_the_arenas_at_two():
    assert arenas_after_eight_threads("import-app") == 2


def test_a_malloc_arena_max_the_person_set_is_kept():
    assert arenas_after_eight_threads("import-app", MALLOC_ARENA_MAX="4") == 4


def test_cap_arenas_leaves_a_chosen_value_alone():
    from gan_ui import memory

    assert memory.cap_arenas({"MALLOC_ARENA_MAX": "8"}) is None
