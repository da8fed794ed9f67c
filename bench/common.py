"""Shared helpers for the benchmarks: long inputs made from the samples, timing, peak memory."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
WORK = Path(os.environ.get("STREAMKIT_BENCH_DIR", REPO / "bench" / ".work"))
T = TypeVar("T")

sys.path.insert(0, str(REPO))


def ffmpeg() -> str:
    from streamkit.media import find_ffmpeg

    return find_ffmpeg()


def long_recording(minutes: float, *, source: Path = SAMPLES / "fanlive.mp4") -> tuple[Path, str]:
    """``source`` repeated (stream copy, no re-encode) to at least ``minutes``; and its reference text."""
    from streamkit.evaluation import load_reference_tsv
    from streamkit.media import probe

    WORK.mkdir(parents=True, exist_ok=True)
    one = probe(source).duration_ms / 60000
    repeats = max(1, round(minutes / one))
    target = WORK / f"{source.stem}-x{repeats}.mp4"
    if not target.exists():
        listing = WORK / f"{source.stem}-x{repeats}.txt"
        listing.write_text("".join(f"file '{source}'\n" for _ in range(repeats)))
        tmp = target.with_suffix(".part.mp4")
        subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                        "-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(tmp)], check=True)
        tmp.replace(target)
    ref = " ".join(t for _, _, t in load_reference_tsv(source.with_suffix(".ref.tsv")))
    return target, " ".join([ref] * repeats)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def child_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d")}


def run_measured(cmd: list[str], *, ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
    """Run a command in a child process; wall time, CPU time (the honest figure on a shared machine) and that
    child's peak RSS (GNU time not needed). An exit code outside ``ok`` stops the benchmark."""
    script = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': r.returncode, 'wall_s': time.perf_counter() - t,"
        " 'cpu_s': u.ru_utime + u.ru_stime, 'peak_rss_mb': u.ru_maxrss / 1024}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, *cmd], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] not in ok:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{out.stderr}")
    return result
