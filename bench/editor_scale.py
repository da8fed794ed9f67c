"""`check` and `fix` on a long subtitle file: wall time and peak RSS of the real CLI.

    python bench/editor_scale.py [--cues 100000]

The file is ``tests/manycues.py``'s: every rule broken somewhere, one or two problems per cue.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, WORK, machine, run_measured

sys.path.insert(0, str(REPO))
from tests.manycues import write_many_cues


def measured(cmd: list[str]) -> dict[str, Any]:
    """Wall, CPU time and peak RSS of ``cmd``; exit 1 ("errors found") is a result for check, not a failure."""
    return run_measured(cmd, ok=(0, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cues", type=int, default=100_000)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    path = write_many_cues(WORK / f"many-{args.cues}.ko.srt", args.cues)
    fixed = WORK / f"many-{args.cues}.fixed.ko.srt"
    runs = {
        "check": ["check", str(path), "--no-glossary"],
        "check --json": ["check", str(path), "--no-glossary", "--json"],
        "fix": ["fix", str(path), "-o", str(fixed), "--force"],
    }
    results = {}
    for name, cli in runs.items():
        result = measured([sys.executable, "-m", "streamkit", *cli])
        results[name] = {key: round(result[key], 1) for key in ("wall_s", "cpu_s", "peak_rss_mb")}
        print(json.dumps({name: results[name]}), flush=True)
    print(json.dumps({"bench": "editor_scale", "cues": args.cues, "machine": machine(), **results}))


if __name__ == "__main__":
    main()
