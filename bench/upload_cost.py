"""What one uploaded picture costs the server in "Your digit": seconds and extra resident memory of
`gan_core.digits.prepare_upload`, each picture in a fresh child process (so one's memory does not hide
another's), for the largest pictures the caps let through and the ones they refuse.

    python bench/upload_cost.py [--repeat 3]

Prints one row per picture: its size on disk, accepted or refused, the first call's seconds, the peak
RSS growth (VmHWM) and whether a second call (the page's rerun) decoded again. Not a test, no timing
assertions; BENCHMARKS.md records the figures against the issue's bound (<= 1 s, <= 200 MB).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import textwrap

from common import ROOT
from PIL import Image, ImageDraw

CHILD = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    from gan_core import digits
    def peak_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    data = sys.stdin.buffer.read()
    before = peak_mb()
    t0 = time.perf_counter()
    try:
        digits.prepare_upload(data)
        verdict = "accepted"
    except digits.DigitImageError as exc:
        verdict = "refused: " + str(exc)[:60]
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    try:
        digits.prepare_upload(data)
    except digits.DigitImageError:
        pass
    again = time.perf_counter() - t1
    print(json.dumps({"verdict": verdict, "first_s": first, "again_s": again, "growth_mb": peak_mb() - before}))
""")


def stroke(size, mode, fmt, back, ink) -> bytes:
    img = Image.new(mode, size, back)
    w, h = size
    ImageDraw.Draw(img).line([(w // 3, h // 5), (w // 2, 4 * h // 5)], fill=ink, width=max(3, min(w, h) // 30))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


PICTURES = {
    "6300 x 6300 RGBA PNG (the issue's)": lambda: stroke(
        (6300, 6300), "RGBA", "PNG", (255, 255, 255, 0), (0, 0, 0, 255)
    ),
    "4000 x 4000 RGBA PNG (16 MP, the most decoded in full)": lambda: stroke(
        (4000, 4000), "RGBA", "PNG", (255, 255, 255, 0), (0, 0, 0, 255)
    ),
    "7000 x 5000 JPEG photo (35 MP, decoded reduced)": lambda: stroke(
        (7000, 5000), "RGB", "JPEG", (250, 250, 250), (20, 20, 20)
    ),
    "9000 x 9000 1-bit PNG (81 MP bomb)": lambda: stroke((9000, 9000), "1", "PNG", 1, 0),
    "4000 x 3000 16-bit grey PNG": lambda: stroke((4000, 3000), "I;16", "PNG", 60000, 1000),
    "600 x 600 phone-style PNG": lambda: stroke((600, 600), "RGB", "PNG", (255, 255, 255), (0, 0, 0)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="child processes per picture; the median is printed")
    args = ap.parse_args()
    print("| picture | file | verdict | first call, s | rerun, s | peak RSS growth, MB |\n|---|---|---|---|---|---|")
    for name, make in PICTURES.items():
        data = make()
        rows = []
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT)], input=data, capture_output=True, timeout=300)
            rows.append(json.loads(out.stdout))
        rows.sort(key=lambda r: r["first_s"])
        mid = rows[len(rows) // 2]
        print(
            f"| {name} | {len(data) / 1024:,.0f} kB | {mid['verdict']} | {mid['first_s']:.2f} | "
            f"{mid['again_s']:.4f} | {max(r['growth_mb'] for r in rows):.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
