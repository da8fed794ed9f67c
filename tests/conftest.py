"""Shared fixtures: the bundled samples, real ffmpeg, and one loaded Whisper model per session."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from streamkit.media import find_ffmpeg
from streamkit.transcribe import WhisperTranscriber, resolve_model

pytest_plugins = ["tests.browser"]  # the headless Chromium fixtures `browser` and `page`

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SHORT = SAMPLES / "short.mp4"
FANLIVE = SAMPLES / "fanlive.mp4"


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    return find_ffmpeg()


@pytest.fixture(scope="session")
def transcriber() -> WhisperTranscriber:
    """The real bundled ``base`` model, loaded once for the whole session."""
    return WhisperTranscriber(resolve_model("base", device="cpu"))


def run_ffmpeg_cmd(*args: str) -> None:
    subprocess.run([find_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def make_video(path: Path, *, seconds: float = 2.0, audio: bool = True, speech_from: Path | None = None) -> Path:
    """A small real H.264 (+ AAC) file made with ffmpeg's lavfi sources, or with speech from a sample."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=25:duration={seconds}"]
    if speech_from is not None:
        args += ["-i", str(speech_from), "-map", "0:v", "-map", "1:a", "-shortest"]
    elif audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio or speech_from is not None:
        args += ["-c:a", "aac", "-b:a", "64k"]
    run_ffmpeg_cmd(*args, str(path))
    return path
