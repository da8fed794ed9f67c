"""Real-time publishers for live tests and bench/live.py: ffmpeg writing HLS or a growing file at 1x.

A publisher models a broadcast encoder, which never falls behind the wall clock: it reads at the
recording's pace and, after a stall of its own (a loaded machine), catches up (``-readrate_catchup``;
``-re`` alone kept every stall, so the "source" itself drifted from the clock latency is measured on),
and it never runs ahead of the clock either (no initial burst). An HLS folder is served by a small
HTTP server on 127.0.0.1. Segment numbers start at the epoch second (``-hls_start_number_source
epoch``), as a restarted encoder's do, so a player carries on after a publisher restart.
"""

from __future__ import annotations

import contextlib
import functools
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from streamkit.live.source import CATCHUP_RATE, catches_up
from streamkit.media import find_ffmpeg

PLAYLIST = "live.m3u8"


def realtime_args(ffmpeg_exe: str) -> list[str]:
    """Read at 1x by the wall clock, catching up after a stall, never ahead of it (``-re`` on FFmpeg < 7.1)."""
    if catches_up(ffmpeg_exe):
        return ["-readrate", "1", "-readrate_catchup", f"{CATCHUP_RATE:g}", "-readrate_initial_burst", "0"]
    return ["-re"]


def _progress(path: Path | None) -> list[str]:
    """ffmpeg's ``-progress`` to ``path`` every 0.5 s (how much it has written: bench/live.py's drift run)."""
    return ["-progress", str(path), "-stats_period", "0.5"] if path is not None else []


def _publisher(source: Path, *out: str, start_s: float | None = None, audio_late_s: float = 0.0) -> list[str]:
    """ffmpeg reading ``source`` in real time (from ``start_s``) and writing its audio as 96k AAC to ``out``.
    With ``audio_late_s``, its video goes too, and the audio starts that much after it."""
    exe = find_ffmpeg()
    seek = ["-ss", f"{start_s:.3f}"] if start_s is not None else []
    if audio_late_s:
        late = [*realtime_args(exe), "-itsoffset", f"{audio_late_s:g}", "-i", str(source)]
        streams = [*late, "-map", "0:v:0", "-map", "1:a:0", "-c:v", "libx264", "-preset", "ultrafast",
                   "-tune", "zerolatency", "-g", "60"]
    else:
        streams = ["-map", "0:a:0"]
    return [exe, "-hide_banner", "-nostdin", "-loglevel", "error", *realtime_args(exe), *seek, "-i", str(source),
            *streams, "-c:a", "aac", "-b:a", "96k", *out]


def hls_args(source: Path, folder: Path, *, start_s: float = 0.0, segment_s: float = 1.0) -> list[str]:
    """ffmpeg publishing ``source``'s audio in real time as a live HLS playlist in ``folder`` (as data)."""
    return _publisher(source, "-f", "hls", "-hls_time", f"{segment_s:g}", "-hls_list_size", "6",
                      "-hls_flags", "delete_segments+omit_endlist", "-hls_start_number_source", "epoch",
                      "-hls_segment_filename", str(folder / "seg%d.ts"), str(folder / PLAYLIST), start_s=start_s)


def ingest_args(source: Path, protocol: str, port: int, *, audio_late_s: float = 0.0) -> tuple[list[str], str]:
    """ffmpeg serving ``source``'s audio in real time over ``protocol`` (``rtmp`` or ``srt``) on 127.0.0.1:``port``,
    listening: it starts reading the source when its one player connects, so no server is needed. Returns the
    command (as data) and the URL a player opens (a free port: ``tests.libre_server.free_port``). With
    ``audio_late_s``, the video goes too and the audio starts that much later."""
    if protocol == "rtmp":
        url = f"rtmp://127.0.0.1:{port}/live/key"
        return _publisher(source, "-f", "flv", "-listen", "1", url, audio_late_s=audio_late_s), url
    if protocol == "srt":
        return (_publisher(source, "-f", "mpegts", f"srt://127.0.0.1:{port}?mode=listener",
                           audio_late_s=audio_late_s),
                f"srt://127.0.0.1:{port}?mode=caller")
    raise ValueError(f"unknown ingest protocol {protocol!r}")


def growing_file_args(source: Path, target: Path, *, progress: Path | None = None) -> list[str]:
    """ffmpeg writing ``source`` to an MPEG-TS file that grows in real time (as data)."""
    return _publisher(source, "-f", "mpegts", "-flush_packets", "1", *_progress(progress), str(target))


def start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def wait_for(path: Path, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.05)
