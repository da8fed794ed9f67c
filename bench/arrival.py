"""When audio reaches the live engine: a followed file against RTMP, SRT and HLS of each segment length.

ffmpeg publishes a sample in real time (tests/live/publish.py, as bench/live.py does), streamkit's
own reader command (``streamkit.live.decode_args``) reads it, and every chunk's arrival is compared
with the publisher's clock: the publisher started at t0, so media time m exists at t0 + m (RTMP, SRT: the
publisher listens and starts when the reader connects, so t0 is when the reader starts). The media
time of the first sample read is found by cross-correlating it with the source. The offset common to
all modes (the publisher's own start-up) cancels when modes are compared; the difference is what the
transport adds to every caption's latency before the engine sees the audio.

    python bench/arrival.py                          # file, RTMP, SRT, HLS 0.5 / 1 / 2 s, noisy.mp4
    python bench/arrival.py --modes hls:6 --sample fanlive
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import SAMPLES, ffmpeg, machine

from streamkit.live.source import decode_args, parse_source
from tests.libre_server import free_port
from tests.live import publish

RATE = 16000


def arrivals(source: Path, mode: str, seconds: float) -> dict[str, Any]:
    """Read ``source`` published as ``mode`` (``file`` or ``hls:SEGMENT_S``) for ``seconds``."""
    exe = ffmpeg()
    reference = np.frombuffer(subprocess.run([exe, "-v", "error", "-i", str(source), "-f", "s16le", "-ac", "1",
                                              "-ar", str(RATE), "-"], capture_output=True, check=True).stdout,
                              np.int16).astype(np.float32)
    chunks: list[bytes] = []
    times: list[tuple[float, int]] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        if mode in ("rtmp", "srt"):  # the publisher listens and starts reading when the reader connects: t0 then
            args, target = publish.ingest_args(source, mode, free_port())
            publisher = publish.start(args)
            time.sleep(1.0)
            t0 = time.monotonic()
        elif mode.startswith("hls"):
            base = stack.enter_context(publish.serve_folder(folder))
            t0 = time.monotonic()
            publisher = publish.start(publish.hls_args(source, folder, segment_s=float(mode.split(":")[1])))
            publish.wait_for(folder / publish.PLAYLIST)
            target = f"{base}/{publish.PLAYLIST}"
        else:
            t0 = time.monotonic()
            publisher = publish.start(publish.growing_file_args(source, folder / "show.ts"))
            publish.wait_for(folder / "show.ts")
            target = str(folder / "show.ts")
        reader = subprocess.Popen(decode_args(parse_source(target), ffmpeg_exe=exe), stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        assert reader.stdout is not None
        got = 0
        try:
            while time.monotonic() - t0 < seconds:
                data = reader.stdout.read1(65536)  # type: ignore[attr-defined]
                if not data:
                    break
                got += len(data)
                chunks.append(data)
                times.append((time.monotonic(), got // 2))
        finally:
            for proc in (reader, publisher):
                proc.kill()
                proc.wait()
    heard = np.frombuffer(b"".join(chunks), np.int16).astype(np.float32)
    probe = heard[RATE:3 * RATE]
    size = 1 << int(np.ceil(np.log2(reference.size + probe.size)))
    correlation = np.fft.irfft(np.fft.rfft(reference, size) * np.conj(np.fft.rfft(probe, size)), size)
    first = int(np.argmax(correlation[:reference.size])) - RATE  # media sample of the first sample read
    lags = np.array([at - (t0 + (first + n) / RATE) for at, n in times if (first + n) / RATE > 5])
    return {"mode": mode, "first_media_s": round(first / RATE, 2), "chunks": len(times),
            "arrival_vs_publisher_s": {q: round(float(np.percentile(lags, int(q[1:]))), 2)
                                       for q in ("p5", "p50", "p95")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", default="noisy")
    parser.add_argument("--modes", default="file,rtmp,srt,hls:0.5,hls:1,hls:2")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": machine(), "sample": args.sample, "runs": []}
    for mode in args.modes.split(","):
        run = arrivals(SAMPLES / f"{args.sample}.mp4", mode, args.seconds)
        print(json.dumps(run), flush=True)
        report["runs"].append(run)
    file_run = next((r for r in report["runs"] if r["mode"] == "file"), None)
    if file_run:
        for run in report["runs"]:
            run["p50_vs_file_s"] = round(run["arrival_vs_publisher_s"]["p50"]
                                         - file_run["arrival_vs_publisher_s"]["p50"], 2)
        print(json.dumps({r["mode"]: r["p50_vs_file_s"] for r in report["runs"]}), flush=True)


if __name__ == "__main__":
    main()
