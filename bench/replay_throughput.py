"""Replay throughput: the same recordings with 1, 2 ... workers, side by side (and Ray's startup cost).

    python bench/replay_throughput.py [--copies 4] [--workers 1,2] [--translator whisper] [--ray]

Copies ``samples/fanlive.mp4`` (55 s) ``--copies`` times, then runs ``streamkit replay`` on them
once per worker count, each into a fresh output folder (no cache, no state: every recording is
transcribed). Prints wall time, recordings per minute and minutes of audio per minute for each,
and the speed-up over the first. Every run pays its workers' start-up (process spawn + model
load), as a real replay does. With ``--ray``, also runs the largest worker count on a local Ray
instance and reports ``ray.init`` time and the time to the first result.

Results go to stdout as a table and, with ``--json``, as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SAMPLES, machine


def _spec(folder: Path, copies: int, translator: str, source: Path) -> Path:
    rec = folder / "rec"
    rec.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        shutil.copy(source, rec / f"{source.stem}-{i + 1:02d}{source.suffix}")
    spec = folder / "bench.toml"
    spec.write_text(f'[job]\ninputs = ["rec/*{source.suffix}"]\noutput = "out"\n'
                    f'[translate]\nengine = "{translator}"\n[output]\nformats = ["srt"]\n')
    return spec


def _measure(spec_file: Path, workers: int, executor: str, out: Path) -> dict[str, Any]:
    from dataclasses import replace

    from streamkit.media import probe
    from streamkit.replay import load_spec, make_executor, run_replay

    shutil.rmtree(out, ignore_errors=True)
    spec = replace(load_spec(spec_file), workers=workers, executor=executor, output=out)
    audio_min = sum(probe(p).duration_ms for p in spec.inputs) / 60000
    first: list[float] = []
    started = time.perf_counter()

    def observe(p: Any) -> None:
        if p.status == "done" and not first:
            first.append(time.perf_counter() - started)

    runner = make_executor(spec)
    report = run_replay(spec, executor=runner, observer=observe)
    wall = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"a recording failed: {[r.error for r in report.recordings if r.error]}")
    n = len(report.recordings)
    return {"executor": executor, "workers": workers, "recordings": n, "wall_s": round(wall, 2),
            "first_result_s": round(first[0], 2) if first else None,
            "recordings_per_min": round(n / wall * 60, 3), "audio_min_per_min": round(audio_min / wall * 60, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--translator", default="whisper", help="whisper or none")
    parser.add_argument("--source", type=Path, default=SAMPLES / "fanlive.mp4")
    parser.add_argument("--ray", action="store_true", help="also run the largest worker count on a local Ray")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    counts = [int(w) for w in args.workers.split(",")]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="streamkit-bench-") as tmp:
        folder = Path(tmp)
        spec_file = _spec(folder, args.copies, args.translator, args.source)
        for w in counts:
            rows.append(_measure(spec_file, w, "local", folder / f"out-local-{w}"))
            print(f"  local, {w} worker(s): {rows[-1]['wall_s']} s", file=sys.stderr)
        ray_init = None
        if args.ray:
            import ray

            t = time.perf_counter()
            ray.init(num_cpus=max(counts), include_dashboard=False, log_to_driver=False)
            ray_init = round(time.perf_counter() - t, 2)
            try:
                rows.append(_measure(spec_file, max(counts), "ray", folder / "out-ray"))
            finally:
                ray.shutdown()
    base = rows[0]["wall_s"]
    for row in rows:
        row["speedup"] = round(base / row["wall_s"], 2)
    result = {"machine": machine(), "source": args.source.name, "copies": args.copies,
              "translator": args.translator, "ray_init_s": ray_init, "runs": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    m = result["machine"]
    print(f"{args.copies} x {args.source.name}, translator {args.translator}; {m['cpu']}, {m['cores']} cores")
    print(f"{'executor':<9}{'workers':>8}{'wall s':>9}{'1st s':>8}{'rec/min':>9}{'audio min/min':>15}{'speed-up':>10}")
    for r in rows:
        print(f"{r['executor']:<9}{r['workers']:>8}{r['wall_s']:>9}{r['first_result_s']!s:>8}"
              f"{r['recordings_per_min']:>9}{r['audio_min_per_min']:>15}{r['speedup']:>10}")
    if ray_init is not None:
        print(f"ray.init (local instance): {ray_init} s")


if __name__ == "__main__":  # required: local workers are spawned processes that import this module
    main()
