"""Live audio in: a stream URL, a recording still being written, or an audio device, via ffmpeg.

:func:`parse_source` says what a SOURCE argument is; :func:`decode_args` builds the ffmpeg command
as data (16 kHz mono s16le on stdout, in real time); :class:`AudioFeed` runs it on a thread and
hands out chunks of samples, reconnecting a dropped stream a bounded number of times and telling
the caller where the gaps are.
"""

from __future__ import annotations

import functools
import logging
import queue
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import StreamkitError

__all__ = [
    "AudioChunk",
    "AudioFeed",
    "FeedEnded",
    "Gap",
    "LiveSourceError",
    "RetryPolicy",
    "SourceSpec",
    "decode_args",
    "parse_source",
]

log = logging.getLogger("streamkit")

SAMPLE_RATE = 16000
URL_SCHEMES = ("http", "https", "rtmp", "rtmps", "srt", "rtsp", "udp", "tcp")
DEVICE_FORMATS = ("alsa", "pulse")
#: 100 ms of s16le mono at 16 kHz: how much the reader hands over at a time.
CHUNK_BYTES = SAMPLE_RATE // 10 * 2


class LiveSourceError(StreamkitError):
    """The live source cannot be read (unreachable, no audio, stopped for good)."""

    exit_code = 3

    def __init__(self, source: str, problem: str, *, hint: str | None = None) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "source": self.source, "problem": self.problem}


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What SOURCE names: ``url`` (HLS/RTMP/SRT...), ``file`` (followed as it grows) or ``device``."""

    kind: str
    target: str
    device_format: str = ""

    @property
    def label(self) -> str:
        return f"{self.device_format}:{self.target}" if self.kind == "device" else self.target

    @property
    def reconnects(self) -> bool:
        return self.kind == "url"


def parse_source(text: str) -> SourceSpec:
    """``https://.../live.m3u8`` -> url; ``alsa:default`` / ``pulse:NAME`` -> device; else a file path."""
    scheme, sep, rest = text.partition(":")
    if sep and scheme.lower() in URL_SCHEMES and rest.startswith("//"):
        return SourceSpec("url", text)
    if sep and scheme.lower() in DEVICE_FORMATS and rest:
        return SourceSpec("device", rest, scheme.lower())
    path = Path(text).expanduser()
    if not path.exists():
        raise LiveSourceError(text, "no such file, and not a stream URL (http, rtmp, srt ...) or device (alsa:NAME)",
                              hint="give a stream URL, a recording being written, or alsa:default")
    if path.is_dir():
        raise LiveSourceError(text, "is a folder", hint="give the recording file being written")
    return SourceSpec("file", str(path))


#: How much of a live input ffmpeg reads to find its streams before it decodes any (media time 0.5 s, or 2 MB
#: of a video recording). Its default is 5 s, and a live input has those 5 s only 5 s later: the first sentence
#: of an RTMP or SRT stream (and of a followed file) was captioned 5 s late. A stream whose audio starts later
#: is still decoded: ffmpeg sets the decoder up when the first audio packet comes.
LIVE_PROBE = ("-analyzeduration", "500000", "-probesize", "2000000")

#: How much faster than real time a followed file is read after a stall (``-readrate_catchup``).
CATCHUP_RATE = 4.0


@functools.lru_cache(maxsize=8)
def catches_up(ffmpeg_exe: str) -> bool:
    """Whether this ffmpeg can read at the recording's pace and catch up after a stall (FFmpeg 7.1+)."""
    try:
        done = subprocess.run([ffmpeg_exe, "-hide_banner", "-h", "full"], capture_output=True, text=True,
                              timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return "-readrate_catchup" in done.stdout


#: How far a followed file may be read ahead of the reader's own clock (``-readrate_initial_burst``), which
#: starts only once the file is open: the time opening it took is won back instead of kept as latency.
LEAD_S = 2.0


def pace_args(ffmpeg_exe: str) -> list[str]:
    """Read at the recording's own pace. ``-re`` alone never reads faster than real time, so every stall of
    the reader (a loaded machine) would stay as latency for the rest of the run; with ``-readrate_catchup``
    the reader catches up after a stall, and with the lead it catches up with its own late start."""
    if catches_up(ffmpeg_exe):
        return ["-readrate_initial_burst", f"{LEAD_S:g}", "-readrate", "1", "-readrate_catchup", f"{CATCHUP_RATE:g}"]
    return ["-re"]


def decode_args(spec: SourceSpec, *, ffmpeg_exe: str = "ffmpeg", idle_timeout_s: float = 10.0,
                rw_timeout_s: float = 10.0) -> list[str]:
    """The ffmpeg command that decodes ``spec`` to 16 kHz mono s16le on stdout, in real time."""
    args = [ffmpeg_exe, "-hide_banner", "-nostdin", "-loglevel", "error"]
    if spec.kind == "url":
        if spec.target.lower().startswith(("http://", "https://")):
            args += ["-reconnect", "1", "-reconnect_streamed", "1", "-reconnect_on_network_error", "1",
                     "-reconnect_delay_max", "2"]
            if spec.target.split("?")[0].lower().endswith(".m3u8"):
                args += ["-live_start_index", "-1"]  # a live playlist: start at its newest segment
        args += ["-rw_timeout", str(int(rw_timeout_s * 1e6)), *LIVE_PROBE, "-i", spec.target]
    elif spec.kind == "file":
        # Read at the recording's own pace, waiting at its end for more (tail -f) until idle. With ffmpeg's
        # default probing the paced reader stayed 4.4 s behind the recording for the whole run.
        args += [*pace_args(ffmpeg_exe), "-follow", "1", "-rw_timeout", str(int(idle_timeout_s * 1e6)),
                 *LIVE_PROBE, "-i", f"file:{spec.target}"]
    elif spec.kind == "device":
        args += ["-f", spec.device_format, "-i", spec.target]
    else:
        raise ValueError(f"unknown source kind {spec.kind!r}")
    args += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SAMPLE_RATE),
             "-acodec", "pcm_s16le", "-f", "s16le", "pipe:1"]
    return args


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a dropped stream is reopened before the run gives up, and how long a silent pipe is trusted."""

    attempts: int = 5
    first_delay_s: float = 0.5
    max_delay_s: float = 4.0
    #: No audio for this long after the audio received has played out, from a running ffmpeg: the stream is
    #: stuck; reopen it.
    stall_s: float = 15.0
    #: Audio resuming this long after what came before it has played out (wall clock) is marked as a gap.
    gap_s: float = 3.0
    #: A reopened stream counts as recovered (the retries start over) after this much audio.
    recovered_s: float = 10.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class AudioChunk:
    samples: NDArray[np.float32]
    received_at: float  # time.monotonic()


@dataclass(frozen=True, slots=True)
class Gap:
    """Audio is missing here: the stream dropped for ``seconds`` (wall clock) and came back."""

    seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class FeedEnded:
    """The source ended: cleanly (``error`` None) or for good after bounded retries."""

    error: LiveSourceError | None = None


FeedItem = AudioChunk | Gap | FeedEnded


def _no_audio(stderr: str) -> bool:
    text = stderr.lower()
    return "matches no streams" in text or "does not contain any stream" in text or "no audio" in text


class AudioFeed:
    """Runs ffmpeg for a :class:`SourceSpec` on a thread; :meth:`get` yields chunks, gaps and the end."""

    def __init__(self, spec: SourceSpec, args: list[str], retry: RetryPolicy | None = None) -> None:
        self.spec = spec
        self.args = args
        self.retry = retry or RetryPolicy()
        self.items: queue.Queue[FeedItem] = queue.Queue()
        self.connects = 0
        self.reconnects = 0
        self._stop = threading.Event()
        self._stalled = threading.Event()
        self._run_audio_s = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="streamkit-live-source", daemon=True)

    def start(self) -> AudioFeed:
        self._thread.start()
        return self

    def get(self, timeout: float) -> FeedItem | None:
        try:
            return self.items.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> None:
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
        self._thread.join(5)

    # ----------------------------------------------------------------- the reader thread

    def _run(self) -> None:
        failures = 0
        ever_audio = False
        lost_at: float | None = None
        while not self._stop.is_set():
            got_audio, stderr, returncode = self._read_once(lost_at)
            if self._stop.is_set():
                break
            if got_audio:
                ever_audio, lost_at = True, time.monotonic()
                if self._run_audio_s >= self.retry.recovered_s:  # a real recovery, not a replayed last segment
                    failures = 0
            if _no_audio(stderr):
                self._end(LiveSourceError(self.spec.label, "has no audio stream",
                                          hint="check the stream carries sound (ffmpeg -i URL)"))
                return
            if got_audio and returncode == 0:  # the stream ended properly (an HLS #EXT-X-ENDLIST ...)
                self._end(None)
                return
            if not self.spec.reconnects:
                problem = None if ever_audio else f"cannot be read ({_last_line(stderr) or 'no audio arrived'})"
                self._end(LiveSourceError(self.spec.label, problem) if problem and stderr else None)
                return
            failures += 1
            if failures > self.retry.attempts:
                detail = _last_line(stderr) or "no audio arrived"
                what = "stopped and did not come back" if ever_audio else "is unreachable"
                self._end(LiveSourceError(self.spec.label, f"{what} after {self.retry.attempts} retries ({detail})",
                                          hint="check the URL and that the stream is live"))
                return
            log.warning("live source dropped (%s); reconnecting (%d/%d)", _last_line(stderr) or "ended",
                        failures, self.retry.attempts)
            self._stop.wait(self.retry.delay(failures))

    def _read_once(self, lost_at: float | None) -> tuple[bool, str, int | None]:
        """One ffmpeg run: pass its audio on; returns (any audio came, stderr tail, exit code; None: stalled)."""
        tail: deque[str] = deque(maxlen=20)
        try:
            # Buffered: a read returns a whole chunk (100 ms), not each scrap ffmpeg wrote (often 341 samples).
            proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, bufsize=CHUNK_BYTES,
                                    start_new_session=True)  # Ctrl-C is ours to handle
        except OSError as exc:
            return False, f"cannot start ffmpeg: {exc}", None
        self._proc = proc
        self._stalled.clear()
        self.connects += 1

        def drain() -> None:
            assert proc.stderr is not None
            for line in iter(proc.stderr.readline, b""):
                tail.append(line.decode("utf-8", "replace").rstrip())

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        last_data = time.monotonic()
        # When the audio received so far has played out, by the wall clock. An HLS source hands over whole
        # segments (6 s by Apple's authoring spec) with nothing between them: a pause is missing audio only
        # when the wall clock runs ahead of the audio, not whenever the pipe is quiet for a while. So is a
        # stall (a segment longer than stall_s is not one). A followed file misses nothing when its writer
        # pauses (what it writes next is what came next), so its clock stays the recording's own: no gaps.
        due = 0.0
        marks_gaps = self.spec.reconnects
        watchdog = threading.Thread(target=self._watch, args=(proc, lambda: max(last_data, due)), daemon=True)
        watchdog.start()
        got = False
        self._run_audio_s = 0.0
        pending = b""
        assert proc.stdout is not None
        while True:
            data = proc.stdout.read(CHUNK_BYTES)
            if not data:
                break
            now = time.monotonic()
            if got and marks_gaps and now - due > self.retry.gap_s:  # a live stream paused (a publisher restart)
                self.items.put(Gap(now - due, f"no audio for {now - due:.0f} s"))
            last_data = now
            if not got:
                got = True
                if lost_at is not None:
                    self.reconnects += 1
                    self.items.put(Gap(last_data - lost_at, "the source dropped and came back"))
            pending += data
            usable = len(pending) // 2 * 2
            samples = np.frombuffer(pending[:usable], dtype=np.int16).astype(np.float32) / 32768.0
            pending = pending[usable:]
            self._run_audio_s += samples.size / SAMPLE_RATE
            due = max(due, now) + samples.size / SAMPLE_RATE
            self.items.put(AudioChunk(samples, last_data))
        returncode = proc.wait()
        reader.join(2)
        return got, "\n".join(tail), None if self._stalled.is_set() else returncode

    def _watch(self, proc: subprocess.Popen[bytes], last: Any) -> None:
        while proc.poll() is None and not self._stop.is_set():
            if time.monotonic() - last() > self.retry.stall_s and self.spec.reconnects:
                self._stalled.set()
                log.warning("live source stalled for %.0f s; reopening it", self.retry.stall_s)
                proc.kill()
                return
            time.sleep(0.25)

    def _end(self, error: LiveSourceError | None) -> None:
        self.items.put(FeedEnded(error))


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""
