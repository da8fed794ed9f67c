"""Media: find ffmpeg, probe recordings with PyAV, extract 16 kHz mono audio, run ffmpeg.

ffmpeg commands are built as data (argument lists, with ffmpeg-python) by ``*_args`` functions
and executed by the one runner, :func:`run_ffmpeg`, which maps failures to :class:`FFmpegError`
and turns ffmpeg's ``-progress`` output into a typed progress callback.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import threading
import wave
from collections import Counter, deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np
from numpy.typing import NDArray

from .errors import FFmpegError, FFmpegUnusableError, InputError, MediaError, NoAudioError, OutputError
from .fsutil import DISK_FULL_HINT, atomic_path
from .models import AudioStreamInfo, AudioTrack, MediaInfo, ProgressCallback, VideoStreamInfo

__all__ = [
    "SAMPLE_RATE",
    "ExpectedOutput",
    "check_ffmpeg_runs",
    "extract_audio",
    "extract_audio_args",
    "ffmpeg_write_failure",
    "find_ffmpeg",
    "media_end_ms",
    "probe",
    "read_pcm",
    "run_ffmpeg",
    "verify_output",
]

log = logging.getLogger("streamkit")

SAMPLE_RATE = 16000
#: Decoded audio shorter than this share of the container's duration means a truncated file.
MIN_DECODED_SHARE = 0.9
_QUIET = ("-hide_banner", "-nostdin", "-loglevel", "error")
#: What ffmpeg prints when an output was not written whole. Some ffmpeg versions print
#: "Error writing trailer: No space left on device" and still exit 0.
_WRITE_FAILURES = ("error writing trailer", "error closing file", "error submitting a packet to the muxer",
                   "error muxing a packet", "av_interleaved_write_frame()")
#: OS errors that mean the disk, not the data: an output error whatever ffmpeg's exit code.
_DISK_ERRORS = ("no space left on device", "disk quota exceeded", "file too large")
_LOG_PREFIX = re.compile(r"^(?:\[[^\]]*@ 0x[0-9a-f]+\]\s*)+", re.IGNORECASE)


@functools.cache
def find_ffmpeg() -> str:
    """The ffmpeg binary: ``$STREAMKIT_FFMPEG``, else ``ffmpeg`` on PATH, else imageio-ffmpeg's."""
    explicit = os.environ.get("STREAMKIT_FFMPEG")
    if explicit:
        return explicit
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # imageio-ffmpeg raises RuntimeError when its binary is missing
        raise FFmpegError("start", ["ffmpeg"], f"no ffmpeg found on PATH or in imageio-ffmpeg: {exc}") from exc


def _check_input_file(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "no such file", hint="check the path and the file name's spelling")
    if path.is_dir():
        raise InputError(path, "is a folder, not a recording", hint="give a video or audio file")
    if not os.access(path, os.R_OK):
        raise InputError(path, "is not readable (permission denied)")
    if path.stat().st_size == 0:
        raise MediaError(path, "is empty (0 bytes)")


def _is_cover_art(stream: Any) -> bool:
    from av.stream import Disposition

    return bool(stream.disposition & Disposition.attached_pic)


def _fps(stream: object) -> Fraction:
    for attr in ("average_rate", "guessed_rate", "base_rate"):
        rate = getattr(stream, attr, None)
        if rate:
            return Fraction(rate)
    return Fraction(0)


def probe(path: Path | str) -> MediaInfo:
    """Read streams, duration and frame rate with PyAV; refuse what is not a usable recording."""
    import av

    path = Path(path)
    _check_input_file(path)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise MediaError(path, f"not a media file ffmpeg can read ({_short(exc)})") from exc
    with container:
        videos = []
        audios = []
        subs = 0
        longest = 0
        for s in container.streams:
            if s.duration is not None and s.time_base is not None:
                longest = max(longest, int(s.duration * s.time_base * 1000))
            if s.type == "video":
                if _is_cover_art(s):
                    continue  # cover art is not a video track
                cc: Any = s.codec_context
                videos.append(
                    VideoStreamInfo(s.index, cc.name or "unknown", cc.width or 0, cc.height or 0, _fps(s))
                )
            elif s.type == "audio":
                cc = s.codec_context
                audios.append(
                    AudioStreamInfo(
                        s.index,
                        cc.name or "unknown",
                        cc.sample_rate or 0,
                        cc.channels or 0,
                        s.metadata.get("language"),
                    )
                )
            elif s.type == "subtitle":
                subs += 1
        duration_ms = int(container.duration * 1000 // av.time_base) if container.duration else longest
        fmt = container.format.name
        title = " ".join(str(v) for k, v in container.metadata.items() if k in ("title", "comment"))
    if not audios and not videos:
        # A damaged container (garbled boxes) opens but holds no stream: not "a video without sound".
        raise MediaError(path, "cannot be read as media: ffmpeg finds no audio or video stream in it "
                         "(damaged, or not a recording)")
    if not audios:
        found = ", ".join(f"video {v.codec}" for v in videos)
        raise NoAudioError(path, f"has no audio stream (only {found})")
    return MediaInfo(
        path=path,
        container=fmt,
        duration_ms=max(duration_ms, 0),
        video=tuple(videos),
        audio=tuple(audios),
        subtitle_streams=subs,
        title=title,
    )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # PyAV messages start with "[Errno 1094995529] Invalid data found ...: 'path'"; keep the reason.
    if text.startswith("[Errno"):
        text = text.split("]", 1)[-1].strip()
    return text.split(": '", 1)[0]


def extract_audio_args(source: Path, target: Path, *, stream: int = 0, ffmpeg_exe: str = "ffmpeg") -> list[str]:
    """ffmpeg arguments that write stream ``stream`` of ``source`` as 16 kHz mono s16 WAV."""
    out = ffmpeg.input(str(source)).output(
        str(target),
        map=f"0:a:{stream}",
        vn=None,
        sn=None,
        dn=None,
        ac=1,
        ar=SAMPLE_RATE,
        acodec="pcm_s16le",
        f="wav",
    )
    args: list[str] = out.global_args(*_QUIET).overwrite_output().compile(cmd=ffmpeg_exe)
    return args


def ffmpeg_write_failure(stderr: str) -> str | None:
    """The first line of ffmpeg's ``stderr`` saying an output was not written whole (without the
    ``[out#0/mp4 @ 0x..]`` prefix), or ``None``."""
    for line in stderr.splitlines():
        lowered = line.lower()
        if any(m in lowered for m in _WRITE_FAILURES) or any(m in lowered for m in _DISK_ERRORS):
            return _LOG_PREFIX.sub("", line.strip())
    return None


def _check_written(cmd: list[str], action: str, stderr: str, returncode: int, output: Path | None) -> None:
    """Raise when ffmpeg failed, or said it could not write its output even though it exited 0."""
    failure = ffmpeg_write_failure(stderr)
    if failure is not None and any(m in failure.lower() for m in _DISK_ERRORS):
        target = output if output is not None else Path(cmd[-1])
        raise OutputError(target, f"not written: the disk is full (ffmpeg: {failure})", hint=DISK_FULL_HINT)
    if returncode != 0:
        check_ffmpeg_runs(cmd[0])  # a broken ffmpeg is named, not the input
        raise FFmpegError(action, cmd, stderr, returncode)
    if failure is not None:
        raise FFmpegError(action, cmd, failure, returncode)


def run_ffmpeg(
    args: list[str],
    *,
    action: str,
    total_seconds: float | None = None,
    progress: ProgressCallback | None = None,
    output: Path | None = None,
) -> None:
    """Run one ffmpeg command; raise :class:`FFmpegError` with stderr's tail when it fails.

    A failed write is a failure even when ffmpeg exits 0 (some versions do after "Error writing
    trailer"); a full disk is an :class:`OutputError` naming ``output`` (the file the caller will
    rename the result to; default: the command's last argument). With ``progress``, ffmpeg reports
    ``out_time`` on a pipe and the callback gets ``(seconds_done, total_seconds)``. Ctrl-C stops
    ffmpeg before the interrupt propagates.
    """
    cmd = list(args)
    if progress is not None:
        cmd[1:1] = ["-progress", "pipe:1", "-nostats"]
    log.debug("ffmpeg: %s", subprocess.list2cmdline(cmd))
    total = float(total_seconds or 0.0)
    tail: deque[str] = deque(maxlen=40)
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if progress is not None else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise FFmpegUnusableError(cmd[0], None, str(exc)) from exc

    def drain_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            tail.append(line.rstrip())

    reader = threading.Thread(target=drain_stderr, daemon=True)
    reader.start()
    try:
        if progress is not None and proc.stdout is not None:
            for line in proc.stdout:
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and value.lstrip("-").isdigit():
                    done = max(0, int(value)) / 1e6
                    progress(min(done, total) if total else done, total)
        returncode = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        reader.join(timeout=5)
    _check_written(cmd, action, "\n".join(tail), returncode, output)
    if progress is not None and total:
        progress(total, total)


@functools.lru_cache(maxsize=4)
def _version_check(binary: str) -> tuple[bool, int | None, str]:
    """``(works, exit code, what it said)`` of ``binary -version``."""
    try:
        done = subprocess.run([binary, "-version"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, None, str(exc)
    if done.returncode == 0 and "ffmpeg version" in done.stdout:
        return True, 0, ""
    # Exit 0 without ffmpeg's banner (say /bin/true) is no ffmpeg either.
    return False, done.returncode, done.stderr or done.stdout or "prints no 'ffmpeg version' line: not ffmpeg"


def check_ffmpeg_runs(binary: str) -> None:
    """Raise :class:`FFmpegUnusableError` when ``binary -version`` fails: ffmpeg is broken, not the input.

    Called after a failed command (once per binary), so a bad ``STREAMKIT_FFMPEG`` is named instead
    of the recording being called undecodable.
    """
    works, code, said = _version_check(binary)
    if not works:
        raise FFmpegUnusableError(binary, code, said)


def extract_audio(
    info: MediaInfo,
    target: Path,
    *,
    stream: int = 0,
    progress: ProgressCallback | None = None,
) -> AudioTrack:
    """Decode audio stream ``stream`` of the probed recording into ``target`` (16 kHz mono WAV).

    Refuses zero-length audio and recordings that decode to much less than their stated
    duration (truncated or corrupt files), so a broken recording is never subtitled half-way.
    """
    args = extract_audio_args(info.path, target, stream=stream, ffmpeg_exe=find_ffmpeg())
    with atomic_path(target) as tmp:
        args[args.index(str(target))] = str(tmp)
        try:
            run_ffmpeg(args, action="decode the audio", total_seconds=info.duration_ms / 1000, progress=progress)
        except FFmpegUnusableError:
            raise
        except FFmpegError as exc:
            last = exc.stderr_tail.splitlines()[-1] if exc.stderr_tail else f"exit code {exc.returncode}"
            raise MediaError(info.path, f"audio cannot be decoded ({last})") from exc
        frames = _wav_frames(tmp)
    duration_ms = frames * 1000 // SAMPLE_RATE
    if frames == 0:
        check_ffmpeg_runs(args[0])  # an "ffmpeg" that exits 0 and writes nothing is not the recording's fault
        raise NoAudioError(info.path, "audio track is empty (0 s of sound)")
    if info.duration_ms > 2000 and duration_ms < info.duration_ms * MIN_DECODED_SHARE:
        target.unlink(missing_ok=True)
        raise MediaError(
            info.path,
            f"truncated or corrupt: audio decodes to {duration_ms / 1000:.1f} s "
            f"of the {info.duration_ms / 1000:.1f} s the file declares",
        )
    return AudioTrack(path=target, source=info.path, duration_ms=duration_ms, sample_rate=SAMPLE_RATE)


def _wav_frames(path: Path) -> int:
    try:
        with wave.open(str(path), "rb") as w:
            return int(w.getnframes())
    except (wave.Error, EOFError):
        return 0


def read_pcm(track: AudioTrack, start_ms: int = 0, end_ms: int | None = None) -> NDArray[np.float32]:
    """The samples of ``track`` between two times as float32 in [-1, 1] (a NumPy array).

    Reads through a memory map so a 3-hour track is not loaded whole.
    """
    with wave.open(str(track.path), "rb") as w:
        n = w.getnframes()
    header = track.path.stat().st_size - n * 2
    data = np.memmap(track.path, dtype="<i2", mode="r", offset=header, shape=(n,))
    a = start_ms * SAMPLE_RATE // 1000
    b = n if end_ms is None else min(n, end_ms * SAMPLE_RATE // 1000)
    return (np.asarray(data[a:b], dtype=np.float32) / 32768.0).astype(np.float32)


# --------------------------------------------------------------------------- verifying a written file


@dataclass(frozen=True, slots=True)
class ExpectedOutput:
    """What a media file streamkit writes must hold: its streams by kind and (about) its duration."""

    duration_ms: int
    video: int
    audio: int
    subtitles: int

    @property
    def tolerance_ms(self) -> int:
        """How much shorter than planned a whole file may still be (packet and frame boundaries)."""
        return 1000 + self.duration_ms // 200


def _incomplete(target: Path, problem: str) -> OutputError:
    """The file ffmpeg wrote is not whole; unless the ffmpeg binary itself is broken (an "ffmpeg" that
    exits 0 and writes nothing, say ``STREAMKIT_FFMPEG=/bin/true``), which is named instead."""
    check_ffmpeg_runs(find_ffmpeg())
    return OutputError(
        target,
        f"ffmpeg wrote an incomplete file ({problem}); it was not kept",
        hint="if the disk is full, free some space; then run the same command again",
    )


def _data_end_ms(container: Any, declared_ms: int) -> int:
    """Where the file's packets really stop (ms from its start): demuxes only its last seconds."""
    import av

    start_ms = int(container.start_time * 1000 // av.time_base) if container.start_time else 0
    try:
        container.seek(max(0, (declared_ms - 3000) * 1000), backward=True, any_frame=False)
    except (av.FFmpegError, OverflowError, ValueError):
        container.seek(0)
    end = 0.0
    try:
        for packet in container.demux():
            if packet.pts is not None and packet.time_base is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    except av.FFmpegError:
        pass  # truncated: what was read so far is where the data stops
    return int(end * 1000) - start_ms


def media_end_ms(path: Path) -> int:
    """Where the media data of a (probed, readable) file really stops, in ms: what a copy of it
    must reach. Reads only the file's index and its last seconds."""
    import av

    with av.open(str(path), metadata_errors="ignore") as container:
        declared_ms = int(container.duration * 1000 // av.time_base) if container.duration else 0
        return _data_end_ms(container, declared_ms)


def verify_output(written: Path, expected: ExpectedOutput, *, target: Path | None = None) -> None:
    """Probe the file ffmpeg just wrote (before it is renamed to ``target``); raise ``OutputError``
    when it cannot be opened, lacks a planned stream, is shorter than planned, or its data stops early
    (an index written but the media data cut off by a full disk)."""
    import av

    named = target if target is not None else written
    try:
        container = av.open(str(written), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise _incomplete(named, f"unreadable: {_short(exc)}") from exc
    with container:
        kinds = Counter(s.type for s in container.streams if not (s.type == "video" and _is_cover_art(s)))
        found = (kinds["video"], kinds["audio"], kinds["subtitle"])
        planned = (expected.video, expected.audio, expected.subtitles)
        if found != planned:
            raise _incomplete(named, "{} video, {} audio, {} subtitle streams; planned {}, {}, {}".format(
                *found, *planned))
        declared_ms = int(container.duration * 1000 // av.time_base) if container.duration else 0
        shortest = expected.duration_ms - expected.tolerance_ms
        planned_s = expected.duration_ms / 1000
        if declared_ms < shortest:
            raise _incomplete(named, f"lasts {declared_ms / 1000:.1f} s of the {planned_s:.1f} s planned")
        end_ms = _data_end_ms(container, declared_ms)
        if end_ms < shortest:
            raise _incomplete(named, f"its data stops at {end_ms / 1000:.1f} s of {planned_s:.1f} s")
