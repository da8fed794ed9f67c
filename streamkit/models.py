"""The typed objects that pass between streamkit's stages.

Data flows one way::

    MediaInfo --extract--> AudioTrack --transcribe--> Transcript (ko)
        --translate--> Transcript (en) --segment--> SubtitleTrack --write--> SubtitleFile
        --mux--> MuxedVideo

Every time inside streamkit is an integer number of milliseconds (``start_ms``/``end_ms``).
Conversions happen once, at the edges: faster-whisper's float seconds in ``transcribe.py``,
pysrt's ``SubRipTime`` in ``subtitles.py``. Invariants are enforced in ``__post_init__`` so an
object that exists is an object that is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

__all__ = [
    "LANGUAGE_NAMES",
    "AudioStreamInfo",
    "AudioTrack",
    "Cue",
    "MediaInfo",
    "ModelChoice",
    "MuxedVideo",
    "ProgressCallback",
    "SubtitleFile",
    "SubtitleTrack",
    "Transcript",
    "Utterance",
    "VideoStreamInfo",
    "Word",
    "iso639_2",
    "known_language",
]

#: streamkit language code -> (ISO 639-2/B tag containers use, the track title: the language's own
#: name). ffmpeg's MP4 muxer stores the bibliographic form (fre, ger, chi) whichever is given, and
#: Matroska asks for it. Rules per language live in :mod:`streamkit.languages`.
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "ko": ("kor", "한국어"),
    "en": ("eng", "English"),
    "ja": ("jpn", "日本語"),
    "zh": ("chi", "中文"),
    "zh-Hans": ("chi", "简体中文"),
    "zh-Hant": ("chi", "繁體中文"),
    "es": ("spa", "Español"),
    "fr": ("fre", "Français"),
    "de": ("ger", "Deutsch"),
    "id": ("ind", "Bahasa Indonesia"),
    "th": ("tha", "ไทย"),
    "vi": ("vie", "Tiếng Việt"),
    "pt": ("por", "Português"),
    "ar": ("ara", "العربية"),
    "he": ("heb", "עברית"),
    "tl": ("tgl", "Filipino"),
    "tr": ("tur", "Türkçe"),
    "ru": ("rus", "Русский"),
}


def iso639_2(language: str) -> str:
    """The three-letter tag containers use for ``language`` (``ko`` -> ``kor``, ``pt-BR`` -> ``por``)."""
    if language in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[language][0]
    primary = language.split("-")[0].split("_")[0].lower()
    if primary in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[primary][0]
    return language if len(language) == 3 else "und"


def known_language(language: str) -> bool:
    """Whether containers can be told ``language`` (a code streamkit knows, or a three-letter tag)."""
    return iso639_2(language) != "und" or language == "und"


def _check_span(kind: str, start_ms: int, end_ms: int) -> None:
    if start_ms < 0:
        raise ValueError(f"{kind}: start_ms must not be negative (got {start_ms})")
    if end_ms < start_ms:
        raise ValueError(f"{kind}: end_ms {end_ms} is before start_ms {start_ms}")


# --------------------------------------------------------------------------- media


@dataclass(frozen=True, slots=True)
class VideoStreamInfo:
    index: int
    codec: str
    width: int
    height: int
    #: The real frame rate (``30000/1001`` stays exact); used for the 2-frame gap rule.
    fps: Fraction


@dataclass(frozen=True, slots=True)
class AudioStreamInfo:
    index: int
    codec: str
    sample_rate: int
    channels: int
    language: str | None = None


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What probing a recording found (PyAV, no ffprobe needed)."""

    path: Path
    container: str
    duration_ms: int
    video: tuple[VideoStreamInfo, ...] = ()
    audio: tuple[AudioStreamInfo, ...] = ()
    subtitle_streams: int = 0
    #: The container's own description (title and comment tags), "" when it has none.
    title: str = ""

    def __post_init__(self) -> None:
        if self.duration_ms < 0:
            raise ValueError("MediaInfo: duration_ms must not be negative")

    @property
    def has_video(self) -> bool:
        return bool(self.video)

    @property
    def fps(self) -> Fraction | None:
        return self.video[0].fps if self.video else None


@dataclass(frozen=True, slots=True)
class AudioTrack:
    """16 kHz mono 16-bit PCM WAV extracted from a recording."""

    path: Path
    source: Path
    duration_ms: int
    sample_rate: int = 16000

    def __post_init__(self) -> None:
        if self.duration_ms < 0:
            raise ValueError("AudioTrack: duration_ms must not be negative")


# --------------------------------------------------------------------------- transcript


@dataclass(frozen=True, slots=True)
class Word:
    """One word (Korean: one 어절) with its timing and the model's confidence."""

    start_ms: int
    end_ms: int
    text: str
    probability: float = 1.0

    def __post_init__(self) -> None:
        _check_span("Word", self.start_ms, self.end_ms)
        if not self.text.strip():
            raise ValueError("Word: text must not be empty")


@dataclass(frozen=True, slots=True)
class Utterance:
    """One decoded segment: a sentence or phrase with its words (may be empty for translations)."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0

    def __post_init__(self) -> None:
        _check_span("Utterance", self.start_ms, self.end_ms)
        if not self.text.strip():
            raise ValueError("Utterance: text must not be empty")


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """Which Whisper model runs, where it came from, and why it was chosen."""

    name: str
    #: A local folder or a hub name (what ``WhisperModel`` is given).
    location: str
    source: str  # "folder" | "bundled" | "hub"
    reason: str
    device: str = "cpu"
    compute_type: str = "int8"


@dataclass(frozen=True, slots=True)
class Transcript:
    """Timed text in one language. The Korean transcript and its translations share this type."""

    language: str
    utterances: tuple[Utterance, ...]
    duration_ms: int
    model: str = ""
    task: str = "transcribe"  # "transcribe" | "translate" | engine name for text translations

    def __post_init__(self) -> None:
        if self.duration_ms < 0:
            raise ValueError("Transcript: duration_ms must not be negative")
        previous = -1
        for u in self.utterances:
            if u.start_ms < previous:
                raise ValueError("Transcript: utterances must be in time order")
            previous = u.start_ms

    @property
    def text(self) -> str:
        return " ".join(u.text.strip() for u in self.utterances)


# --------------------------------------------------------------------------- subtitles


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: up to ``max_lines`` lines shown from ``start_ms`` to ``end_ms``."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_span("Cue", self.start_ms, self.end_ms)
        if not self.lines or not any(line.strip() for line in self.lines):
            raise ValueError("Cue: text must not be empty")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True, slots=True)
class SubtitleTrack:
    """Cues in one language, in time order, never overlapping."""

    language: str
    cues: tuple[Cue, ...]
    title: str = ""

    def __post_init__(self) -> None:
        for a, b in zip(self.cues, self.cues[1:], strict=False):
            if b.start_ms < a.end_ms:
                raise ValueError(
                    f"SubtitleTrack: cue at {b.start_ms} ms overlaps the cue ending at {a.end_ms} ms"
                )
        if not self.title:
            object.__setattr__(self, "title", LANGUAGE_NAMES.get(self.language, ("", self.language))[1])

    @property
    def tag(self) -> str:
        """ISO 639-2 tag for containers (``kor``, ``eng``)."""
        return iso639_2(self.language)


@dataclass(frozen=True, slots=True)
class SubtitleFile:
    path: Path
    language: str
    format: str  # "srt" | "vtt"
    cues: int = 0


@dataclass(frozen=True, slots=True)
class MuxedVideo:
    path: Path
    container: str  # "mp4" | "mkv"
    tracks: tuple[SubtitleFile, ...] = field(default_factory=tuple)
    burned_in: str | None = None


# --------------------------------------------------------------------------- progress

#: A typed progress callback: ``(done_seconds, total_seconds)`` of audio processed by a stage.
ProgressCallback = Callable[[float, float], None]
