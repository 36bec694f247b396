"""The server process's start-up work, done on a background thread so that no student's page waits for it.

A page imports only what it draws (its script in gan_ui/pages/ imports its own module), so the first tab of a
fresh server pays for Explore alone. `start()` (called by the server's start-up hook `lifespan`, and again by
app.py's page script, which does nothing once it has run) then, once per process, on one daemon thread:

1. loads what the default first view needs: torch, the frame (app.py's menu and teacher settings), Explore's
   modules, and the shipped default generator, into the same server-wide cache the page reads
   (`catalogue.shipped_entry`), with its scrub-mode program ready to send, and gc.freeze()s what it loaded;
2. imports every other page's modules, so a later click on Train or Learn does not wait for pandas, plotly or
   the class board either, one module at a time and only when no page has been drawn for `QUIET_FOR` seconds
   (app.py draws each page inside `page_run()`): it does not compete with students' pages for the interpreter
   lock while they arrive (waiting at most `QUIET_WAIT` seconds for a quiet moment);
3. settles the process, again in a quiet moment: gc.freeze() (see `settle_process`).

Nothing here is needed for correctness: a page whose module is not loaded yet imports it itself (Python's
import lock makes the two wait for one import, never run it twice), and a model not warmed yet is loaded by
the first page that opens it.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import threading
import time

log = logging.getLogger("gan_ui")

FIRST_VIEW = ("gan_ui.settings", "gan_ui.frame", "gan_ui.explore")  # what the default page (Explore) imports:
# torch, the frame every page is drawn in (its class board needs sqlalchemy), and Explore
OTHER_PAGES = ("gan_ui.train", "gan_ui.learn", "gan_ui.playground", "gan_ui.about", "gan_ui.class_page")
QUIET_FOR = 2.0  # s without a page drawn that count as a quiet moment
QUIET_WAIT = 60.0  # s step 2 waits for a quiet moment (then it goes on regardless)
GC_YOUNG_THRESHOLD = 10_000  # allocations between young-generation collections (Python's default 700: a
# slider move allocates tens of thousands of objects, nearly all freed at once)

_lock = threading.Lock()
_thread: threading.Thread | None = None
_drawing = 0  # pages being drawn now (script runs inside page_run)
_last_drawn = float("-inf")  # time.monotonic() when the last one ended
_quiet = threading.Condition(_lock)
done = threading.Event()  # set when all of the warm-up has run (tests and benchmarks wait on it)


def start() -> None:
    """Start the warm-up thread, once per process (later calls do nothing)."""
    global _thread
    with _lock:
        if _thread is None:
            gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
            _thread = threading.Thread(target=_warm_up, name="gan_warmup", daemon=True)
            _thread.start()


@contextlib.asynccontextmanager
async def lifespan(_app):
    """The web server's start-up hook (app.py's `st.App(..., lifespan=lifespan)`): `streamlit run app.py` starts
    the warm-up when the server starts (Streamlit's runtime has started by then), not when the first tab
    arrives, so the first student finds the default view in memory."""
    start()
    yield


@contextlib.contextmanager
def page_run():
    """Around the drawing of a page: the warm-up's background imports wait until no page is being drawn."""
    global _drawing, _last_drawn
    with _lock:
        _drawing += 1
    try:
        yield
    finally:
        with _lock:
            _drawing -= 1
            _last_drawn = time.monotonic()
            _quiet.notify_all()


def wait_quiet(timeout: float = QUIET_WAIT, quiet_for: float = QUIET_FOR) -> bool:
    """Wait until no page has been drawn for `quiet_for` s (at most `timeout` s); True if it is quiet."""
    deadline = time.monotonic() + timeout
    while True:
        with _lock:
            if not _quiet.wait_for(lambda: _drawing == 0, max(0.0, deadline - time.monotonic())):
                return False
            rest = _last_drawn + quiet_for - time.monotonic()
        if rest <= 0:
            return True
        if time.monotonic() + rest > deadline:
            time.sleep(max(0.0, deadline - time.monotonic()))
            return False
        time.sleep(rest)


def settle_process(collect: bool = True) -> None:
    """Move every object the process holds now out of the cyclic GC's sight (gc.freeze()), after a collection
    when `collect`; called when the first view's modules are loaded (no collection: it would hold the
    interpreter lock for a student's page) and again, with one, when every page's are.

    Python's cyclic GC now and then walks every object the process holds ("generation 2"). Here that is
    well over a million objects (torch, plotly's figure classes, Streamlit, protobuf), and the walk holds
    the GIL: a full collection took 200-300 ms, about every 10 s, stalling every student's slider move in
    flight (bench/classroom_load.py, 30 sessions). Modules live as long as the process, so they are moved
    out of the collector's sight; objects made later (sessions, runs) are collected as usual, and
    reference counting still frees everything that is not in a cycle. The young generation's threshold is
    raised from the first call of `start()`, so the imports themselves trigger fewer collections.
    """
    if collect:
        gc.collect()
    gc.freeze()


def first_samples(entry) -> None:
    """What the first view computes for the default model, once: G's first forward pass in a process pays for
    PyTorch's kernel set-up (0.28 s of the first tab's run on a busy machine), and the page's choice of a crisp
    starting z (explore_model.crisp_start) loads the shipped digit classifier; the choice, for the first digit
    the page draws, is then kept for every tab."""
    explore_model = importlib.import_module("gan_ui.explore_model")
    explore_model.crisp_start(entry, 0)  # a first view draws digit 0 (latent.current_label)


def scrub_program(entry) -> None:
    """Explore opens in scrub mode, which sends the page G as a program (gan_core.webexport): traced, encoded and
    written to the static folder here, once per process, instead of in the first tab's script run. The export is
    cached on the G module, and `catalogue.shipped_entry` hands every tab the same module."""
    scrub = importlib.import_module("gan_ui.scrub")
    scrub.static_src(scrub.exported(entry.G))


def languages_first_use() -> None:
    """Every language's catalogue and Babel's number formats for it, loaded once per process (Babel's locale data
    took 0.25 s of the first tab's run on a busy machine)."""
    i18n = importlib.import_module("gan_core.i18n")
    for lang in i18n.LANGUAGES:
        i18n.translations(lang)
        i18n.format_decimal(1234.5, lang=lang)
        i18n.format_percent(0.5, lang=lang)


def streamlit_first_use() -> None:
    """What Streamlit itself does once per process, on the first page's first elements, done here instead: the
    first tab's script run took 1.2 s on a warmed-up server (0.4 s once these are done; cProfile, busy machine).

    * `streamlit.emojis`: a regex of every emoji, compiled on import (0.38 s) the first time a label is not
      ASCII (the language switch's 简体中文).
    * The first element a process sends checks once whether it runs in a REPL (`inspect.stack()`, which reads
      the source of every frame: 0.23 s). Private, so looked up by name; only where a server runs (elsewhere
      it would print its "use streamlit run" warning), and a Streamlit without it is simply not warmed here.
    """
    importlib.import_module("streamlit.emojis")
    runtime = importlib.import_module("streamlit.runtime")
    check = getattr(importlib.import_module("streamlit.delta_generator"), "_maybe_print_use_warning", None)
    if check is not None and runtime.exists():
        check()


def _warm_up() -> None:
    t0 = time.monotonic()
    try:
        for name in FIRST_VIEW:
            importlib.import_module(name)
        settings = importlib.import_module("gan_ui.settings")
        settings.configure_torch()
        catalogue = importlib.import_module("gan_ui.catalogue")
        default = importlib.import_module("gan_ui.explore_model").DEFAULT_MODEL.removeprefix("shipped:")
        if default in catalogue.shipped_names():
            entry = catalogue.shipped_entry(default)
            first_samples(entry)
            scrub_program(entry)
        streamlit_first_use()
        languages_first_use()
        settle_process(collect=False)
        log.info("warm-up: first view ready in %.1f s", time.monotonic() - t0)
        for name in OTHER_PAGES:
            wait_quiet()
            importlib.import_module(name)
        wait_quiet()
        importlib.import_module("gan_ui.live_chart").ensure_static_plotly()  # Train's charts: plotly.min.js(.gz)
        wait_quiet()
        settle_process()
        log.info("warm-up: every page loaded and the process settled in %.1f s", time.monotonic() - t0)
    except Exception:  # a warm-up is an optimisation: the pages load what they need themselves
        log.exception("warm-up failed; pages load what they need when they are opened")
    finally:
        done.set()
