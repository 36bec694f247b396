"""The web process's malloc arenas: two, unless the person starting the server says otherwise.

Streamlit runs every tab's script in a thread, and glibc gives each new thread a malloc arena of its own, up to
8 per core, which it seldom gives back to the system. Under 30 students that is what grows the web process
(BENCHMARKS.md, "Web process memory at start" and "Classroom load: in-process vs Ray"): two arenas kept it
under 1.2 GB where glibc's default reached 1.3 GB, with slider moves no slower.

glibc reads `MALLOC_ARENA_MAX` from the environment only when the process starts, so the Dockerfile and
deploy/start-web.sh set it; `cap_arenas()` gives a plain `streamlit run app.py` the same through glibc's
`mallopt(M_ARENA_MAX, n)`, called from app.py when the server imports it, before any tab's thread exists.
glibc creates arenas lazily and checks the cap each time it would create one, so the cap holds from then on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2  # the figure measured (see the module docstring); MALLOC_ARENA_MAX overrides it


def cap_arenas(environ: dict | None = None) -> int | None:
    """Cap glibc's malloc arenas at ARENAS for this process; returns the cap set, or None when nothing was done:
    not glibc (macOS, Windows, musl), or MALLOC_ARENA_MAX already set (glibc applied it at start, and a value
    the person chose is theirs)."""
    environ = os.environ if environ is None else environ
    if "MALLOC_ARENA_MAX" in environ or platform.libc_ver()[0] != "glibc":
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        ok = libc.mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(ARENAS))
    except (OSError, AttributeError):
        return None
    return ARENAS if ok == 1 else None


def arena_count() -> int | None:
    """How many malloc arenas this process has now, read from glibc's malloc_info (one `<heap nr=...>` element
    per arena); None when it cannot be read (not glibc)."""
    if platform.libc_ver()[0] != "glibc":
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.open_memstream.restype = ctypes.c_void_p
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not stream:
        return None
    try:
        libc.malloc_info(0, ctypes.c_void_p(stream))
    finally:
        libc.fclose(ctypes.c_void_p(stream))
    try:
        return (buf.value or b"").count(b"<heap nr=")
    finally:
        libc.free(buf)
