"""Run every benchmark and print one JSON line per result: `python bench/run_all.py [--quick]`.

--quick uses shorter inputs (2-minute overhead, 10 vs 30-minute memory, 10-minute mux, one stress recording).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = [
        ["accuracy.py", "--minutes", "3" if args.quick else "10"],
        ["overhead.py", "--minutes", "2" if args.quick else "10"],
        ["memory.py", "--short", "10", "--long", "30" if args.quick else "180"],
        ["mux.py", "--minutes", "10" if args.quick else "60"],
        ["invented.py", "--recordings", "1" if args.quick else "3"],  # quality, not speed: cues over music
        ["review.py", "--cues", "3000"],  # the review page on a 3-hour show
    ]
    try:
        import pyinstrument  # noqa: F401  (optional: the profile needs it)

        runs.append(["profile.py", "--minutes", "3"])
    except ImportError:
        print("== profile.py skipped: pip install pyinstrument", flush=True)
    for script, *rest in runs:
        print(f"== {script} {' '.join(rest)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *rest], check=True)


if __name__ == "__main__":
    main()
