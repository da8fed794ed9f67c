"""Target 1: `streamkit subtitle --translator none` vs bare faster-whisper, same file, same run.

    python bench/overhead.py [--minutes 10] [--repeats 1]

Both run as fresh processes (model load and audio decode included on both sides); the ratio is
streamkit wall time / bare wall time. Also reports each side's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WORK, long_recording, machine, run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    video, _ = long_recording(args.minutes)
    out = WORK / "overhead-out"
    bare_cmd = [sys.executable, str(Path(__file__).with_name("bare.py")), str(video)]
    sk_cmd = [sys.executable, "-m", "streamkit", "subtitle", str(video), "--translator", "none", "--out", str(out),
              "--force", "--no-cache", "--quiet"]
    rows = []
    for _ in range(args.repeats):
        shutil.rmtree(out, ignore_errors=True)
        bare = run_measured(bare_cmd)
        ours = run_measured(sk_cmd)
        rows.append({"bare_s": round(bare["wall_s"], 2), "streamkit_s": round(ours["wall_s"], 2),
                     "ratio": round(ours["wall_s"] / bare["wall_s"], 3),
                     "bare_rss_mb": round(bare["peak_rss_mb"]), "streamkit_rss_mb": round(ours["peak_rss_mb"])})
        print(json.dumps(rows[-1]), flush=True)
    best = min(rows, key=lambda r: r["ratio"])
    print(json.dumps({"bench": "overhead", "file": video.name, "machine": machine(), "best": best}))


if __name__ == "__main__":
    main()
