"""The class board under 30 live runs: 30 simulated student clients, the board's server time per refresh,
and how long a student's step takes to reach the board.

    python bench/board_load.py [--clients 30] [--seconds 60]

A class in a fresh SQLite database (the default storage). Each client is a thread that joins with its own
nickname and, like the class publisher does for a live run, rewrites its tile every FEED_S seconds (random
phase): full 60-point sparklines, a new 4x4 grid PNG, the step it has reached (steps advance with time) and the
moment it wrote it. The board: the Class page with ?board=<secret> run through Streamlit's AppTest every
BOARD_S seconds (the fragment's period; AppTest runs the whole page, so this over-counts the fragment).

Measured:
  * board page run: server time per refresh (navigation + the one query + 30 tiles);
  * tiles() query alone, and publish() per tile (a fsync'd commit + an atomic PNG);
  * step -> board: for every tile write the board shows for the first time, the worst delay for a step it
    carries: (the refresh that first shows it) - (the same client's previous write), since a step made just
    after that previous write waits for this one. Target (issue #24): <= 5 s; refresh <= 300 ms.
With `--server`, the board is the real thing instead of AppTest: `streamlit run app.py` in a subprocess with its
runs folder (and so its class database) shared with the simulated clients, and the board opened by a
protocol-level client (bench/st_client.py) that re-runs the board's polling fragment every BOARD_S seconds, as a
browser's timer does. Measured: the server time of each fragment refresh (from the rerun message sent until the
server's "script finished" arrives, over loopback: the fragment's run plus a few ms of websocket), i.e. exactly
what the board costs the server per update.

    python bench/board_load.py --server [--clients 30] [--seconds 60]

Prints median, p95 and max; not a test, no timing assertions. The load average is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GAN_CLASSROOM_OFFLINE", "1")
os.environ.setdefault("GAN_CLASSROOM_TEST_MODE", "1")

import numpy as np  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from gan_ui import class_state  # noqa: E402
from gan_ui.class_board import BOARD_S  # noqa: E402
from gan_ui.class_feed import FEED_S, grid_4x4  # noqa: E402

STEPS_PER_S = 10.0  # a simulated run's pace


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[max(0, int(round(q * len(xs))) - 1)]


def row(name: str, xs: list[float], scale: float = 1000.0, unit: str = "ms") -> str:
    med, p95, top = statistics.median(xs) * scale, pct(xs, 0.95) * scale, max(xs) * scale
    return f"  {name:<34} median {med:8.1f} {unit}   p95 {p95:8.1f} {unit}   max {top:8.1f} {unit}   (n={len(xs)})"


class Student(threading.Thread):
    """One simulated student: joins, then rewrites its tile every FEED_S seconds until told to stop."""

    def __init__(self, i: int, db, code: str, stop: threading.Event, start_at: float):
        super().__init__(daemon=True)
        self.i, self.db, self.stop_event, self.start_at = i, db, stop, start_at
        self.nick = f"student{i:02d}"
        self.token = db.join(code, self.nick, client=self.nick)["token"]
        self.rng = np.random.default_rng(i)
        self.writes: list[float] = []  # the `made` time of each write, in order
        self.publish: list[float] = []

    def tile(self, made: float) -> dict:
        return {
            "run": 1, "preset": "dcgan", "changes": {"lr_G": 0.001 * (self.i % 5 + 1)}, "status": "running",
            "step": int((made - self.start_at) * STEPS_PER_S), "made": made,
            "d_loss": self.rng.random(60).tolist(), "g_loss": self.rng.random(60).tolist(),
            "alert": "d_winning" if self.i % 7 == 0 else None, "alert_text": {"en": "D is winning."},
            "classes": 9, "kl": 0.1, "inception": 7.5, "fd_ratio": 3.2, "frechet": 40.0 + self.i,
        }  # fmt: skip

    def run(self) -> None:
        self.stop_event.wait(random.Random(self.i).uniform(0, FEED_S))  # clients are not in step
        while not self.stop_event.is_set():
            made = time.time()
            png = grid_4x4(self.rng.integers(0, 255, (16, 28, 28), dtype=np.uint8))
            t0 = time.perf_counter()
            self.db.publish(self.token, "1", self.tile(made), grid_png=png)
            self.publish.append(time.perf_counter() - t0)
            self.writes.append(made)
            self.stop_event.wait(max(0.0, FEED_S - (time.time() - made)))


def served_board(args) -> None:
    """The board in a real server, refreshed by a protocol client's polling fragment; the server time per refresh."""
    import asyncio

    sys.path.insert(0, str(ROOT / "tests"))
    from e2e_support import StreamlitServer
    from st_client import Client

    runs = Path(tempfile.mkdtemp(prefix="board-bench-"))
    db = class_state.reset(runs)
    code, secret = db.create_class()
    stop = threading.Event()
    clients = [Student(i, db, code, stop, time.time()) for i in range(args.clients)]
    for c in clients:
        c.start()
    env = {"GAN_CLASSROOM_TEST_MODE": "0", "GAN_CLASSROOM_RUNS_DIR": str(runs), "OMP_NUM_THREADS": "1"}
    server = StreamlitServer(runs / "server.log", env=env).start()
    load, shown = [], []

    async def watch() -> list[float]:
        board = Client(server.url, "board", query=f"board={secret}")
        await board.connect()
        await board.goto("class")
        await board.wait(lambda c: c.fragments, 60)  # the board's polling fragment announced itself
        board.fragment_runs.clear()
        end = time.time() + args.seconds
        while time.time() < end:
            await asyncio.sleep(1.0)
            load.append(os.getloadavg()[0])
        runs_ = list(board.fragment_runs)
        text = board.texts()
        shown.append(sum(1 for c in clients if c.nick in text))
        errors = list(board.exceptions)
        await board.close()
        if errors:
            print("exceptions on the board:", errors[:3])
        return runs_

    try:
        times = asyncio.run(watch())
    finally:
        stop.set()
        for c in clients:
            c.join()
        server.stop()
    print(
        f"board in a real server (`streamlit run app.py`), {args.clients} simulated clients writing their tiles every "
        f"{FEED_S:g} s, the board's fragment re-run every {BOARD_S:g} s by a protocol client, {args.seconds:.0f} s, "
        f"{os.cpu_count()} cores, load average {min(load):.1f}-{max(load):.1f}"
    )
    print(row("board fragment refresh (server)", times))
    print(f"  tiles on the board at the end: {shown[0] if shown else 0} of {args.clients}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the board is measured")
    ap.add_argument("--server", action="store_true", help="a real server and a protocol client instead of AppTest")
    args = ap.parse_args()
    if args.server:
        served_board(args)
        return
    db = class_state.reset(Path(tempfile.mkdtemp(prefix="board-bench-")))
    code, secret = db.create_class()
    stop = threading.Event()
    clients = [Student(i, db, code, stop, time.time()) for i in range(args.clients)]
    by_nick = {c.nick: c for c in clients}
    for c in clients:
        c.start()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["board"] = secret
    at.run()
    at.switch_page("gan_ui/pages/class.py").run()
    assert not at.exception, at.exception
    page, query, delays = [], [], []
    seen: dict[str, float] = {}
    load = []
    end = time.time() + args.seconds
    while time.time() < end:
        tick = time.time()
        t0 = time.perf_counter()
        tiles = db.tiles(secret)  # before the page's own query: every write read here is on that page
        query.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        at.run()
        page.append(time.perf_counter() - t0)
        shown = time.time()  # the refresh is on the page now
        for t in tiles:
            if t.get("made") is None or seen.get(t["nickname"]) == t["made"]:
                continue
            seen[t["nickname"]] = t["made"]
            client = by_nick[t["nickname"]]
            earlier = [w for w in client.writes if w < t["made"]]
            if earlier:
                delays.append(shown - earlier[-1])
        load.append(os.getloadavg()[0])
        time.sleep(max(0.0, BOARD_S - (time.time() - tick)))
    stop.set()
    for c in clients:
        c.join()
    publish = [x for c in clients for x in c.publish]
    print(
        f"board with {args.clients} simulated clients ({args.seconds:.0f} s, {len(page)} refreshes every {BOARD_S:g} s,"
        f" tiles written every {FEED_S:g} s, SQLite WAL synchronous=FULL), {os.cpu_count()} cores,"
        f" load average {min(load):.1f}-{max(load):.1f}"
    )
    print(row("board page run (AppTest)", page))
    print(row("tiles() query", query))
    print(row("publish() per tile", publish))
    print(row("step -> board (worst step of a write)", delays, scale=1.0, unit="s "))


if __name__ == "__main__":
    main()
