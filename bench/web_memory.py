"""What the web process holds before any student arrives: its RSS after each thing it loads, in load order.

    OMP_NUM_THREADS=1 python bench/web_memory.py              # the Ray backend's web process (joins a local Ray)
    OMP_NUM_THREADS=1 python bench/web_memory.py --no-ray     # the in-process backend's

Each stage is loaded in one fresh Python process and its resident set (VmRSS, /proc/self/status) read after it:
Streamlit, torch, gan_core, every page's gan_ui modules (what gan_ui/warmup.py imports), the shipped default
generator, the digits, Ray's driver (`ray.init` of a local Ray: the driver's own share, not Ray's daemons).
The growth under load is bench/classroom_load.py's figure. Not a test: it prints MB and never fails.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-ray", action="store_true", help="leave out Ray's driver (the in-process backend)")
    args = ap.parse_args()
    os.environ.setdefault("GAN_CLASSROOM_OFFLINE", "1")
    rows = [("python", rss_mb(), 0.0)]

    def stage(name, fn):
        t0 = time.perf_counter()
        fn()
        rows.append((name, rss_mb(), time.perf_counter() - t0))

    stage("import streamlit", lambda: importlib.import_module("streamlit"))
    stage("import torch", lambda: importlib.import_module("torch"))
    stage("import gan_core", lambda: importlib.import_module("gan_core"))
    from gan_ui import warmup

    stage("gan_ui: Explore's modules", lambda: [importlib.import_module(m) for m in warmup.FIRST_VIEW])
    stage("gan_ui: every other page", lambda: [importlib.import_module(m) for m in warmup.OTHER_PAGES])

    def default_generator():  # as gan_ui/warmup.py loads it
        from gan_ui import catalogue, explore_model

        catalogue.shipped_entry(explore_model.DEFAULT_MODEL.removeprefix("shipped:"))

    stage("the default generator", default_generator)

    def digits():
        from gan_core import load_dataset

        load_dataset("mnist")

    stage("the digits", digits)
    if not args.no_ray:

        def ray_driver():
            import ray

            ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level="WARNING")

        stage("Ray's driver (ray.init, local)", ray_driver)
    print("| stage | RSS after, MB | +MB | s |\n|---|---|---|---|")
    prev = rows[0][1]
    for name, mb, sec in rows:
        print(f"| {name} | {mb:,.0f} | {mb - prev:+,.0f} | {sec:.1f} |")
        prev = mb
    if not args.no_ray:
        import ray

        ray.shutdown()


if __name__ == "__main__":
    main()
