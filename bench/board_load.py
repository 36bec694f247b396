"""The class board under 30 live runs: server time per board refresh, and the cost of one tile write.

    python bench/board_load.py [--runs 30] [--refreshes 20]

A class in a fresh SQLite database (the default storage) with `--runs` students, each tile with full
sparklines and a 4x4 grid; a writer thread rewrites every tile each 2 s (gan_ui/class_feed.FEED_S), as live
runs do. Measured: the board page's script run through Streamlit's AppTest (query + 30 tiles rendered; what
the fragment costs the server each BOARD_S seconds), `ClassroomDB.tiles` alone, and `publish` per tile.
Prints median and p95; not a test, no timing assertions. Target (issue #24): <= 300 ms a refresh.
"""

from __future__ import annotations

import argparse
import os
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
from gan_ui.class_feed import FEED_S, grid_4x4  # noqa: E402


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]


def tile(i: int, step: int) -> dict:
    rng = np.random.default_rng(i + step)
    return {
        "run": 1, "preset": "dcgan", "changes": {"lr_G": 0.001 * (i % 5 + 1)}, "step": step, "status": "running",
        "d_loss": rng.random(60).tolist(), "g_loss": rng.random(60).tolist(), "alert": "d_winning" if i % 7 == 0
        else None, "alert_text": "D is winning.", "classes": 9, "kl": 0.1, "inception": 7.5, "fd_ratio": 3.2,
        "frechet": 40.0 + i,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--refreshes", type=int, default=20)
    args = ap.parse_args()
    db = class_state.reset(Path(tempfile.mkdtemp(prefix="board-bench-")))
    code, secret = db.create_class()
    tokens = [db.join(code, f"student{i:02d}", client=str(i))["token"] for i in range(args.runs)]
    png = grid_4x4(np.random.default_rng(0).integers(0, 255, (16, 28, 28), dtype=np.uint8))
    publish: list[float] = []
    for i, tok in enumerate(tokens):
        t0 = time.perf_counter()
        db.publish(tok, "1", tile(i, 0), grid_png=png)
        publish.append(time.perf_counter() - t0)
    stop = threading.Event()

    def writer():
        step = 0
        while not stop.is_set():
            step += 10
            for i, tok in enumerate(tokens):
                t0 = time.perf_counter()
                db.publish(tok, "1", tile(i, step), grid_png=png)
                publish.append(time.perf_counter() - t0)
            stop.wait(FEED_S)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["board"] = secret
    at.run()
    at.switch_page("gan_ui/pages/class.py").run()
    assert not at.exception, at.exception
    page, query = [], []
    for _i in range(args.refreshes):
        t0 = time.perf_counter()
        at.run()
        page.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        db.tiles(secret)
        query.append(time.perf_counter() - t0)
    stop.set()
    thread.join()
    ms = 1000.0
    print(f"board with {args.runs} live runs ({args.refreshes} refreshes, SQLite WAL, writer rewriting every tile)")
    print(f"  board page run   median {statistics.median(page) * ms:7.1f} ms   p95 {p95(page) * ms:7.1f} ms")
    print(f"  tiles() query    median {statistics.median(query) * ms:7.1f} ms   p95 {p95(query) * ms:7.1f} ms")
    print(f"  publish per tile median {statistics.median(publish) * ms:7.1f} ms   p95 {p95(publish) * ms:7.1f} ms")


if __name__ == "__main__":
    main()
