"""`check` and `fix` on a long subtitle file: wall time and peak RSS of the real CLI.

    python bench/editor_scale.py [--cues 100000]

The file is ``tests/manycues.py``'s: every rule broken somewhere, one or two problems per cue.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, WORK, machine

sys.path.insert(0, str(REPO))
from tests.manycues import write_many_cues


def measured(cmd: list[str]) -> dict[str, float]:
    """Wall time, CPU time (the honest figure on a shared machine) and peak RSS of ``cmd`` in a child.

    Exit 1 ("errors found") is a result for check, not a failure.
    """
    script = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': r.returncode, 'wall_s': time.perf_counter() - t,"
        " 'cpu_s': u.ru_utime + u.ru_stime, 'peak_rss_mb': u.ru_maxrss / 1024}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, *cmd], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rc"] not in (0, 1):
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{done.stderr}")
    return result


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
