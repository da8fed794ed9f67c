"""streamkit: a Korean livestream recording in, Korean and English subtitles and a subtitled replay out.

The core is importable without the CLI::

    from streamkit import SubtitleJob, run_subtitle
    result = run_subtitle(SubtitleJob(Path("recording.mp4"), translator="whisper"))
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

__all__ = [
    "AudioTrack",
    "ConfigError",
    "Cue",
    "FFmpegError",
    "InputError",
    "MediaError",
    "MediaInfo",
    "ModelChoice",
    "ModelError",
    "ModelIntegrityError",
    "MuxedVideo",
    "NoAudioError",
    "OutputError",
    "OutputExistsError",
    "RunResult",
    "StreamkitError",
    "SubtitleFile",
    "SubtitleFormatError",
    "SubtitleJob",
    "SubtitleTrack",
    "Transcript",
    "TranscriptionError",
    "TranslationError",
    "Utterance",
    "Word",
    "__version__",
    "run_subtitle",
]
