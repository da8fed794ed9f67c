"""streamkit: a Korean livestream recording in, Korean and English subtitles and a subtitled replay out.

The core is importable without the CLI::

    from streamkit import SubtitleJob, run_subtitle
    result = run_subtitle(SubtitleJob(Path("recording.mp4"), translate=TranslateOptions(engine="whisper")))

A job is a recording and typed parts (``outputs``, ``model``, ``decoding``, ``quality``, ``glossary``,
``translate``, ``hooks``: :mod:`streamkit.job`); :mod:`streamkit.jobconfig` builds them from TOML.
"""

from __future__ import annotations

from ._version import __version__
from .errors import (
    ConfigError,
    FFmpegError,
    InputError,
    MediaError,
    ModelError,
    ModelIntegrityError,
    NoAudioError,
    OutputError,
    OutputExistsError,
    StreamkitError,
    SubtitleFormatError,
    TranscriptionError,
    TranslationError,
)
from .job import HookOptions, JobSettings, ModelOptions, OutputOptions
from .models import (
    AudioTrack,
    Cue,
    MediaInfo,
    ModelChoice,
    MuxedVideo,
    SubtitleFile,
    SubtitleTrack,
    Transcript,
    Utterance,
    Word,
)
from .pipeline import RunResult, SubtitleJob, run_subtitle
from .translation.options import TranslateOptions, TranslatorSettings

__all__ = [
    "AudioTrack",
    "ConfigError",
    "Cue",
    "FFmpegError",
    "HookOptions",
    "InputError",
    "JobSettings",
    "MediaError",
    "MediaInfo",
    "ModelChoice",
    "ModelError",
    "ModelIntegrityError",
    "ModelOptions",
    "MuxedVideo",
    "NoAudioError",
    "OutputError",
    "OutputExistsError",
    "OutputOptions",
    "RunResult",
    "StreamkitError",
    "SubtitleFile",
    "SubtitleFormatError",
    "SubtitleJob",
    "SubtitleTrack",
    "Transcript",
    "TranscriptionError",
    "TranslateOptions",
    "TranslationError",
    "TranslatorSettings",
    "Utterance",
    "Word",
    "__version__",
    "run_subtitle",
]
