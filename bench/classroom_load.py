"""Classroom load: 30 students open the app on one server at once, move sliders and start short runs.

    OMP_NUM_THREADS=1 python bench/classroom_load.py                 # 30 sessions; --record: to BENCHMARKS.md
    python bench/classroom_load.py --sessions 8 --browsers 1    # a quick look
    OMP_NUM_THREADS=1 python bench/classroom_load.py --backend ray   # runs in Ray workers (a local Ray)
    OMP_NUM_THREADS=1 python bench/classroom_load.py --board         # the trainers in a class, its board open

It starts `streamlit run app.py` on a free loopback port (the real server, real settings, the
default queue cap for this machine) and opens `--sessions` tabs: `--browsers` of them real
headless Chromium contexts, the rest protocol-level clients (bench/st_client.py: the same
websocket messages a browser sends, polling fragments included, without rendering). Then:

* every session opens Explore; `--trainers` of them go to Train, pick the 15 s budget and press
  Start (the server queues what it cannot train at once) and keep watching the live panel;
* all the others keep moving latent sliders (a random dimension to a random value, with a short
  pause between moves) while the runs train. A slider round trip is the time from sending the new
  value until the server's new digit image arrives (protocol clients: its delta; Chromium: the new <img>
  loaded, timed in the page). Explore opens in scrub mode (G in the browser): the Chromium students
  click its sliders and are also timed to the browser's own repaint, what a student sees move; the
  protocol clients send its "release" trigger, as the component does when a slider is let go;
* it reports errors (exception elements any session received, stException in the browsers,
  tracebacks in the server log), slider latency p50/p95, each run's queue wait and end state,
  and the server's peak RSS and thread count (sampled from /proc every 0.25 s); with `--backend ray`
  also the peak RSS of the server's whole process tree (its local Ray and the workers training the runs).

With `--board` (issue #24), the benchmark creates a class in the server's class database (the server's runs
folder), the trainers join it as members of their tabs (each protocol client carries a `?tab=` token, and is
joined with `ClassroomDB.join` under that tab's member token, as the Class page's join form does), and one more
headless Chromium context keeps the teacher's board (`/class?board=<secret>`) open for the whole run: the
students' tiles are written by the server's class publisher and redrawn on the board every few seconds, so the
slider figures include the board's cost. It reports how many tiles the board showed at its fullest.

Loopback only, bounded in time (`--duration`). Not a test: it prints figures and never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench.st_client import Client  # noqa: E402

DIGIT = "G(z)"
DIGIT_CAPTION = "G(z): the generator's output for this z"
RUN_DONE = ("Reached the time budget", "Reached the budget", "Stopped by", "diverged", "crashed")


def pct(values, q):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


def proc_status(pid: int) -> tuple[float, int]:
    """(RSS in MB, threads) of a process, from /proc."""
    rss, threads = 0.0, 0
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def tree_rss(pid: int) -> float:
    """RSS in MB of a process and every process under it (a local Ray's GCS, raylet and workers)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass

    def under(p: int) -> bool:
        for _ in range(64):
            if p == pid:
                return True
            p = parents.get(p, 1)
            if p <= 1:
                return False
        return False

    total = 0.0
    for p in parents:
        if under(p):
            try:
                total += proc_status(p)[0]
            except OSError:
                pass
    return total


def cpu_by_process(server: int) -> dict[int, tuple[str, float]]:
    """Every process's group and CPU seconds used so far: the web server, what runs under it (a local Ray, its
    workers), this benchmark (the protocol clients), Chromium, and everything else."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float, str]] = {}  # pid -> (parent, cpu s, command)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                head, rest = fh.read().rsplit(")", 1)
            fields = rest.split()
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, head.split("(", 1)[1])
        except (OSError, ValueError, IndexError):
            pass

    def group(p: int) -> str:
        me, name = p, stats[p][2]
        for _ in range(64):
            if p == server:
                return "server" if me == server else "server's children (Ray, workers)"
            if p == os.getpid():
                return "chromium" if "chrom" in name or "headless" in name else "benchmark (protocol clients)"
            p = stats.get(p, (1,))[0]
            if p <= 1:
                break
        return "chromium" if "chrom" in name else "everything else"

    return {p: (group(p), cpu) for p, (_parent, cpu, _name) in stats.items()}


class CpuMeter:
    """CPU seconds by group over a stretch of time, from /proc snapshots taken every `look()`: a process that
    starts and ends between two looks (a short-lived worker) is counted up to its last look."""

    def __init__(self, server: int):
        self.server, self.first, self.last = server, cpu_by_process(server), {}
        self.last = dict(self.first)

    def look(self) -> None:
        self.last.update(cpu_by_process(self.server))

    def cores(self, seconds: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for p, (g, cpu) in self.last.items():
            out[g] = out.get(g, 0.0) + cpu - self.first.get(p, (g, 0.0))[1]
        return {g: c / seconds for g, c in out.items()}


class Results:
    def __init__(self):
        self.latency: list[float] = []  # seconds, protocol clients
        self.browser_latency: list[float] = []  # seconds, Chromium (key press or click to the server's new digit)
        self.paint_latency: list[float] = []  # seconds, Chromium in scrub mode (click to the browser's repaint)
        self.misses = 0  # slider moves whose digit never came back (timeout)
        self.unchanged = 0  # protocol moves whose rerun ended with the same digit (same pixels)
        self.errors: list[str] = []
        self.runs: list[dict] = []  # per trainer: queued?, wait, end text
        self.connect: list[float] = []  # seconds from opening to the first full page
        self.ready = 0  # sessions connected and waiting for the go signal


# ---------------------------------------------------------------------------------------------
# protocol-level students
# ---------------------------------------------------------------------------------------------
async def slider_student(
    url: str, name: str, res: Results, go: asyncio.Event, duration: float, rng: random.Random
) -> None:
    t0 = time.monotonic()
    c = await Client(url, name).connect()
    try:
        await c.wait(lambda c: c.images(DIGIT), 60)
        res.connect.append(time.monotonic() - t0)
        sliders = [w for w in c.widgets("slider") if w.label.startswith("z")]
        scrub = c.scrub()  # scrub mode (on as Explore opens): a move is a release of the component's slider
        z = list(scrub[2]["z"]) if scrub else None
        res.ready += 1
        await go.wait()
        until = time.monotonic() + duration
        while time.monotonic() < until:
            before, done = set(c.images(DIGIT)), c.finished
            t0 = time.monotonic()
            if scrub:
                z[rng.randrange(min(8, len(z)))] = round(rng.uniform(-3, 3), 2)
                await c.scrub_release(z, scrub[2].get("label"))
            else:
                await c.set_slider(rng.choice(sliders), round(rng.uniform(-3, 3), 2))
            try:
                # The new digit's delta, or the end of the rerun: a small move can leave every pixel as it
                # was, and then the digit keeps its URL and no new one ever comes.
                await c.wait(lambda c, before=before, done=done: set(c.images(DIGIT)) - before or c.finished > done, 30)
                if set(c.images(DIGIT)) - before:
                    res.latency.append(time.monotonic() - t0)
                else:
                    res.unchanged += 1
            except asyncio.TimeoutError:
                res.misses += 1
            await asyncio.sleep(rng.uniform(0.3, 1.0))  # a student looks at the digit
    finally:
        res.errors += [f"{name}: {e}" for e in c.exceptions]
        await c.close()


async def training_student(
    url: str, name: str, res: Results, go: asyncio.Event, budget: str, timeout: float, query: str = ""
) -> None:
    t0 = time.monotonic()
    c = await Client(url, name, query=query).connect()
    res.connect.append(time.monotonic() - t0)
    run = {"name": name, "queued": False, "wait": None, "end": None}
    res.runs.append(run)
    try:
        await c.goto("train")
        res.ready += 1
        await go.wait()
        group = c.widget("button_group", "Budget")
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=group.id)
        state.string_array_value.data.append(budget)
        c.keep(state)
        await c.rerun()
        t0 = time.monotonic()
        await c.click(c.widget("button", "Start"))

        def progress(c):
            text = c.texts()
            if "Waiting for a free training slot" in text:
                run["queued"] = True
            step = c.metric("Step")
            return (step not in (None, "0")) or any(s in text for s in RUN_DONE) or "limit" in text

        await c.wait(progress, timeout)
        run["wait"] = time.monotonic() - t0
        await c.wait(lambda c: next((s for s in RUN_DONE if s in c.texts()), None), timeout)
        run["end"] = next(s for s in RUN_DONE if s in c.texts())
    except asyncio.TimeoutError:
        run["end"] = f"timeout ({c.metric('Step')} steps)"
    finally:
        res.errors += [f"{name}: {e}" for e in c.exceptions]
        await c.close()


# ---------------------------------------------------------------------------------------------
# real Chromium students
# ---------------------------------------------------------------------------------------------
INSTALL_JS = """(caption) => {
    window.__ganDigit = () => {
        for (const el of document.querySelectorAll('[data-testid="stImage"]'))
            if (el.textContent.includes(caption)) return el.querySelector('img');
        return null;
    };
    document.addEventListener('keydown', () => { window.__ganKeyAt = performance.now(); }, true);
    document.addEventListener('pointerdown', () => { window.__ganKeyAt = performance.now(); }, true);
}"""
# Scrub mode: ms from the pointer going down on a slider to the component's first repaint after it (its own
# record of each paint, `S.frames`), or null while none has come.
PAINTED_JS = """() => {
    const S = document.querySelector('.gan-scrub').__ganScrub;
    const f = S.frames.find(f => f.at >= window.__ganKeyAt);
    return f ? f.at - window.__ganKeyAt : null;
}"""
CHANGED_JS = """(prev) => {
    const img = window.__ganDigit();
    if (!img || img.src === prev || !(img.complete && img.naturalWidth > 0)) return false;
    return performance.now() - window.__ganKeyAt;
}"""


async def browser_student(
    browser, url: str, name: str, res: Results, go: asyncio.Event, duration: float, rng: random.Random
) -> None:
    ctx = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await ctx.new_page()
    try:
        t0 = time.monotonic()
        await page.goto(url, timeout=180_000)
        await page.wait_for_selector(f'[data-testid="stImage"]:has-text("{DIGIT_CAPTION}") img', timeout=180_000)
        res.connect.append(time.monotonic() - t0)
        await page.evaluate(INSTALL_JS, DIGIT_CAPTION)
        try:  # scrub mode, on as Explore opens, unless it fell back to the server's sliders
            await page.wait_for_selector('.gan-scrub[data-state="ready"] .gan-scrub-slider', timeout=60_000)
            scrub = True
        except Exception:
            scrub = False
        res.ready += 1
        await go.wait()
        until = time.monotonic() + duration
        if scrub:
            await scrub_moves(page, res, until, rng)
        thumbs = page.locator('[data-testid="stSlider"] input[type="range"]')
        n = min(8, await thumbs.count())
        while not scrub and time.monotonic() < until:
            thumb = thumbs.nth(rng.randrange(n))
            prev = await page.evaluate("() => { const i = window.__ganDigit(); return i ? i.src : null; }")
            await thumb.focus()
            value = float((await thumb.get_attribute("aria-valuetext") or "0").replace("\u2212", "-"))
            await page.keyboard.press("ArrowLeft" if value > 0 else "ArrowRight")
            try:
                ms = await (await page.wait_for_function(CHANGED_JS, arg=prev, polling=5, timeout=30_000)).json_value()
                res.browser_latency.append(ms / 1e3)
            except Exception:
                res.misses += 1
            await asyncio.sleep(rng.uniform(0.3, 1.0))
        if await page.locator('[data-testid="stException"]').count():
            res.errors.append(f"{name}: stException on the page")
    except Exception as exc:
        res.errors.append(f"{name}: {type(exc).__name__}: {exc}")
    finally:
        await ctx.close()


async def scrub_moves(page, res: Results, until: float, rng: random.Random) -> None:
    """A student clicking scrub mode's sliders (a random one of the eight shown, at a random place at least a
    seventh of the track away from its thumb: the value jumps there, as a click on a slider's track does). Timed
    twice: pointer down -> the component's repaint (what the student sees move) and pointer down -> the server's
    digit redrawn after the release (the round trip)."""
    thumbs = page.locator(".gan-scrub-slider")
    n = min(8, await thumbs.count())
    while time.monotonic() < until:
        thumb = thumbs.nth(rng.randrange(n))
        box = await thumb.bounding_box()
        now = (float(await thumb.input_value()) + 3) / 6  # where the thumb is, 0..1 along the track
        to = rng.choice([f for f in (rng.random() for _ in range(20)) if abs(f - now) > 0.15] or [1 - now])
        prev = await page.evaluate("() => { const i = window.__ganDigit(); return i ? i.src : null; }")
        await page.mouse.click(box["x"] + 6 + to * (box["width"] - 12), box["y"] + box["height"] / 2)
        try:
            ms = await (await page.wait_for_function(PAINTED_JS, polling=5, timeout=30_000)).json_value()
            res.paint_latency.append(ms / 1e3)
            ms = await (await page.wait_for_function(CHANGED_JS, arg=prev, polling=5, timeout=30_000)).json_value()
            res.browser_latency.append(ms / 1e3)
        except Exception:
            res.misses += 1
        await asyncio.sleep(rng.uniform(0.3, 1.0))


TILE_COUNT_JS = """() => document.querySelectorAll('[data-testid="stImage"] img').length"""


async def board_teacher(browser, url: str, res: Results, peak: dict, stop: asyncio.Event) -> None:
    """The teacher's board on the projector for the whole run: counts the images it shows (a grid per tile)."""
    ctx = await browser.new_context(viewport={"width": 1920, "height": 1080})
    page = await ctx.new_page()
    try:
        await page.goto(url, timeout=180_000)
        await page.wait_for_selector('[data-testid="stMain"]', timeout=180_000)
        while not stop.is_set():
            peak["board_images"] = max(peak.get("board_images", 0), await page.evaluate(TILE_COUNT_JS))
            await asyncio.sleep(2.0)
        if await page.locator('[data-testid="stException"]').count():
            res.errors.append("board: stException on the page")
    except Exception as exc:
        res.errors.append(f"board: {type(exc).__name__}: {exc}")
    finally:
        await ctx.close()


def open_class(runs_dir: Path, members: int) -> tuple[str, list[str]]:
    """A class in the server's database and `members` tab tokens joined to it: (teacher secret, tab tokens)."""
    import uuid

    from gan_core.classroom_db import ClassroomDB
    from gan_core.classroom_rules import member_token

    db = ClassroomDB(runs_dir)
    try:
        code, secret = db.create_class()
        tabs = [uuid.uuid4().hex for _i in range(members)]
        for i, tab in enumerate(tabs):
            db.join(code, f"student{i + 1}", client=tab, token=member_token(tab))
    finally:
        db.close()
    return secret, tabs


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> float:
    """The machine's 1-minute load average: on a shared machine, how much else wanted the CPU."""
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


async def baseline(url: str, pid: int, moves: int) -> tuple[list[float], float]:
    """The same slider round trip with one session alone on the server, measured in the same run;
    and the server's CPU time per move (from /proc, the opening run excluded)."""
    res = Results()
    go = asyncio.Event()
    task = asyncio.create_task(slider_student(url, "alone", res, go, 1e9, random.Random(7)))
    while not res.ready and not task.done():
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    cpu0 = cpu_seconds(pid)
    go.set()
    while len(res.latency) < moves and not task.done():
        await asyncio.sleep(0.02)
    cpu = (cpu_seconds(pid) - cpu0) / max(1, len(res.latency))
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    return res.latency, cpu


# ---------------------------------------------------------------------------------------------
async def load(url: str, pid: int, args, runs_dir: Path) -> tuple[Results, dict]:
    res = Results()
    await baseline(url, pid, 3)  # warm-up: first imports, caches
    base, cpu_per_move = await baseline(url, pid, args.baseline_moves)
    rss0, threads0 = proc_status(pid)
    peak = {
        "baseline": base,
        "load": [],
        "cpu_per_move": cpu_per_move,
        "rss": 0.0,
        "tree_rss": 0.0,
        "threads": 0,
        "rss_start": rss0,
        "threads_start": threads0,
    }
    stop = asyncio.Event()

    async def sample():
        n = 0
        while not stop.is_set():
            n += 1
            if n % 20 == 0:
                peak["load"].append(loadavg())
            if n % 8 == 0:
                peak["tree_rss"] = max(peak["tree_rss"], tree_rss(pid))
            rss, threads = proc_status(pid)
            peak["rss"], peak["threads"] = max(peak["rss"], rss), max(peak["threads"], threads)
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    n_proto = args.sessions - args.browsers
    trainers = min(args.trainers, n_proto)
    secret, tabs = open_class(runs_dir, trainers) if args.board else ("", [""] * trainers)
    go = asyncio.Event()
    tasks = []
    for i in range(n_proto):
        name = f"proto{i + 1}"
        if i < trainers:
            query = f"tab={tabs[i]}" if tabs[i] else ""
            tasks.append(training_student(url, name, res, go, args.budget, args.duration + 240, query))
        else:
            tasks.append(slider_student(url, name, res, go, args.duration, random.Random(i)))
    pw = browser = None
    if args.browsers or args.board:
        from e2e_support import CHROMIUM, CHROMIUM_ARGS
        from playwright.async_api import async_playwright

        pw = await async_playwright().start()
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tasks += [
            browser_student(browser, url, f"chromium{i + 1}", res, go, args.duration, random.Random(100 + i))
            for i in range(args.browsers)
        ]
    if args.clients_nice:
        # The protocol clients stand for students' own machines, which in a classroom take none of the server's
        # CPU: at a niceness they get only what the server, its training and the measuring Chromiums leave.
        # Chromium was started above, so it keeps the niceness it had; only this process's main thread (the
        # clients' event loop) is lowered.
        os.nice(args.clients_nice)
    board_stop = asyncio.Event()
    board = (
        asyncio.create_task(board_teacher(browser, f"{url}/class?board={secret}", res, peak, board_stop))
        if args.board
        else None
    )

    async def starter():
        """Everyone opens the app first (the connect storm is timed on its own); then the lesson starts."""
        t0 = time.monotonic()
        while res.ready < len(tasks) and time.monotonic() - t0 < 300:
            await asyncio.sleep(0.2)
        peak["all_connected_s"] = time.monotonic() - t0
        go.set()

    async def staggered(i, coro):
        await asyncio.sleep(i * args.stagger)  # students do not all click in the same ms
        try:
            await coro
        except Exception as exc:
            res.errors.append(f"session {i}: {type(exc).__name__}: {exc}")

    t_load, cpu_load, meter = time.monotonic(), cpu_seconds(pid), CpuMeter(pid)

    async def meter_looks():
        while not stop.is_set():
            meter.look()
            await asyncio.sleep(1.0)

    looks = asyncio.create_task(meter_looks())
    await asyncio.gather(starter(), *(staggered(i, c) for i, c in enumerate(tasks)))
    wall = time.monotonic() - t_load
    peak["cores_used"] = (cpu_seconds(pid) - cpu_load) / wall
    meter.look()
    peak["cores_by_group"] = meter.cores(wall)
    board_stop.set()
    if board is not None:
        await board
    stop.set()
    await sampler
    await looks
    if browser is not None:
        await browser.close()
        await pw.stop()
    await asyncio.sleep(3)
    peak["rss_end"], peak["threads_end"] = proc_status(pid)
    return res, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--browsers", type=int, default=3, help="how many sessions are real Chromium contexts")
    ap.add_argument("--trainers", type=int, default=10, help="protocol sessions that start a run")
    ap.add_argument("--budget", default="15 s", help="the Budget chip the trainers pick")
    ap.add_argument("--duration", type=float, default=90.0, help="seconds the slider students keep moving")
    ap.add_argument("--stagger", type=float, default=0.1, help="seconds between session starts")
    ap.add_argument("--baseline-moves", type=int, default=20, help="slider moves of one session alone, first")
    ap.add_argument("--backend", choices=("inprocess", "ray"), default="inprocess", help="GAN_CLASSROOM_BACKEND")
    ap.add_argument("--board", action="store_true", help="the trainers join a class; its board open in Chromium")
    ap.add_argument(
        "--clients-nice",
        type=int,
        default=0,
        help="niceness of the protocol clients (they stand for other machines; 19: they take only spare CPU)",
    )
    ap.add_argument("--record", action="store_true", help="append the figures to BENCHMARKS.md")
    args = ap.parse_args()

    from e2e_support import StreamlitServer

    log_path = Path(tempfile.mkdtemp(prefix="gan-load-")) / "server.log"
    env = {"GAN_CLASSROOM_TEST_MODE": "0", "GAN_CLASSROOM_TORCH_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["GAN_CLASSROOM_BACKEND"] = args.backend
    env["GAN_CLASSROOM_RUNS_DIR"] = str(log_path.parent / "runs")
    server = StreamlitServer(log_path, env=env).start()
    try:
        res, peak = asyncio.run(load(server.url, server.proc.pid, args, log_path.parent / "runs"))
        log = server.log()
    finally:
        server.stop()
    tracebacks = log.count("Traceback")
    if tracebacks:
        res.errors.append(f"server log: {tracebacks} traceback(s)")
    queued = [r for r in res.runs if r["queued"]]
    waits = [r["wait"] for r in res.runs if r["wait"] is not None]
    ends = {}
    for r in res.runs:
        ends[r["end"]] = ends.get(r["end"], 0) + 1
    lat = res.latency
    con = res.connect
    lines = [
        f"- `bench/classroom_load.py`: **{args.sessions} concurrent sessions** against one `streamlit run app.py` "
        f"({args.browsers} headless Chromium contexts + {args.sessions - args.browsers} protocol-level websocket "
        f"clients), {args.duration:.0f} s of slider moves while {len(res.runs)} sessions train a `{args.budget}` run "
        f"each through the queue (cap: the default for this machine); backend **{args.backend}**"
        + (" (a local Ray started by the server)" if args.backend == "ray" else "")
        + (
            f"; the trainers in a class, the teacher's board open in Chromium (at most {peak.get('board_images', 0)} "
            "images on it at once: a grid and a sparkline per live tile)"
            if args.board
            else ""
        )
        + f"; server log: {log_path}",
        f"- opening: {len(con)} of {args.sessions} sessions got their first full page (Explore), p50 "
        f"{pct(con, 50):.1f} s / max {max(con) if con else float('nan'):.1f} s after opening, {args.stagger:g} s "
        f"apart; all in {peak.get('all_connected_s', float('nan')):.0f} s",
        f"- errors: **{len(res.errors)}**"
        + (
            " — " + "; ".join(res.errors[:8])
            if res.errors
            else " (no exception element in any session, no traceback in the server log)"
        ),
        f"- slider round trip while the runs train, protocol clients (value sent -> new digit delta received): "
        f"**p50 {pct(lat, 50) * 1e3:.0f} ms / p95 {pct(lat, 95) * 1e3:.0f} ms** over {len(lat)} moves"
        + (
            f"; Chromium (key press or click -> the server's new digit loaded): p50 "
            f"{pct(res.browser_latency, 50) * 1e3:.0f} ms / p95 {pct(res.browser_latency, 95) * 1e3:.0f} ms over "
            f"{len(res.browser_latency)} moves"
            if res.browser_latency
            else ""
        )
        + (
            f"; Chromium in scrub mode (click -> the digit redrawn by the browser): **p50 "
            f"{pct(res.paint_latency, 50) * 1e3:.0f} ms / p95 {pct(res.paint_latency, 95) * 1e3:.0f} ms** over "
            f"{len(res.paint_latency)} moves"
            if res.paint_latency
            else ""
        )
        + f"; {res.misses} moves without a new digit within 30 s"
        + f"; {res.unchanged} protocol moves whose rerun ended with an identical digit (not timed)",
        f"- the same protocol round trip with one session alone on the server, measured first in the same run: "
        f"p50 {pct(peak['baseline'], 50) * 1e3:.0f} ms / p95 {pct(peak['baseline'], 95) * 1e3:.0f} ms "
        f"({len(peak['baseline'])} moves); under load p95 is **{pct(lat, 95) / pct(peak['baseline'], 95):.1f}x** that. "
        f"Server CPU per slider move (alone): {peak['cpu_per_move'] * 1e3:.0f} ms. During the load the server "
        f"process got {peak['cores_used']:.2f} cores on average; machine load average "
        f"{statistics.mean(peak['load']) if peak['load'] else float('nan'):.1f} (2 cores, shared with other jobs)",
        "- where the 2 cores went during the load (mean cores, from /proc every second): "
        + ", ".join(f"{g} {c:.2f}" for g, c in sorted(peak["cores_by_group"].items(), key=lambda gc: -gc[1]))
        + (f"; protocol clients at nice {args.clients_nice}" if args.clients_nice else ""),
        f"- runs: {len(res.runs)} started, {len(queued)} had to wait in the queue; time from Start to the first "
        f"trained step p50 {pct(waits, 50):.1f} s / max {max(waits) if waits else float('nan'):.1f} s; "
        f"ended: {', '.join(f'{k}: {v}' for k, v in ends.items())}",
        f"- server process: peak RSS **{peak['rss']:.0f} MB** (start {peak['rss_start']:.0f} MB, end "
        f"{peak['rss_end']:.0f} MB); threads start {peak['threads_start']}, peak {peak['threads']}, "
        f"end {peak['threads_end']}"
        + (
            f"; with its process tree (the local Ray, the workers): peak {peak['tree_rss']:.0f} MB"
            if args.backend == "ray"
            else ""
        ),
    ]
    print("\n".join(lines))
    if args.record:
        import torch

        from bench.common import environment, record

        torch.set_num_threads(1)
        record("Classroom load", environment(torch.device("cpu")), lines)


if __name__ == "__main__":
    main()
