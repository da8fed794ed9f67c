"""Target 3: peak RSS of `streamkit subtitle` on a long recording vs a 10-minute one.

    python bench/memory.py [--short 10] [--long 180]

The long input is the sample concatenated by stream copy (about 1 MB per minute on disk).
Transcribing 180 minutes on CPU takes a long while; `--long 60` gives a quicker reading.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WORK, long_recording, machine, run_measured


def measure(minutes: float) -> dict[str, float]:
    video, _ = long_recording(minutes)
    out = WORK / f"memory-{minutes:g}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "streamkit", "subtitle", str(video), "--translator", "none", "--out", str(out),
           "--quiet", "--no-cache"]
    result = run_measured(cmd)
    return {"minutes": minutes, "wall_s": round(result["wall_s"], 1), "peak_rss_mb": round(result["peak_rss_mb"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", type=float, default=10.0)
    parser.add_argument("--long", type=float, default=180.0)
    args = parser.parse_args()
    short = measure(args.short)
    print(json.dumps(short), flush=True)
    long = measure(args.long)
    print(json.dumps(long), flush=True)
    print(json.dumps({"bench": "memory", "machine": machine(), "short": short, "long": long,
                      "ratio": round(long["peak_rss_mb"] / short["peak_rss_mb"], 3)}))


if __name__ == "__main__":
    main()
