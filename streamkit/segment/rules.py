"""The subtitle rules as data: :class:`SegmentRules` and the two styles every run starts from.

The numbers are Netflix's Timed Text Style Guide defaults (see ``SUBTITLE-RULES.md``):
``ENGLISH_RULES`` and ``KOREAN_RULES`` are plain values a producer can copy with
``dataclasses.replace``. Times are integer milliseconds; frame-based rules take the video's real
frame rate as an exact ``Fraction`` (``30000/1001`` stays exact).

Every other language's rules are built from these in :mod:`streamkit.languages`. This module imports
nothing of streamkit, so languages.py can import it; :func:`~streamkit.segment.rules_for`, which looks
a language up there, lives beside :func:`~streamkit.segment.segment` in :mod:`.timing`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["BREAK_STYLES", "DEFAULT_FPS", "ENGLISH_RULES", "KOREAN_RULES", "SegmentRules", "frame_ms"]


#: How lines may break (``SegmentRules.breaks``); see :func:`tokenize`.
BREAK_STYLES = ("space", "cjk", "thai")


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """The numbers one subtitle style follows. Times in ms, gaps in frames of the real frame rate."""

    name: str
    #: Line width in columns: Hangul/CJK count 1, everything else ``narrow_width``.
    max_line_columns: float
    max_lines: int = 2
    #: Reading speed: characters per second, counting every character except line breaks.
    max_cps: float = 20.0
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    #: Minimum gap between consecutive cues, in frames (rounded up to whole ms).
    min_gap_frames: int = 2
    #: Gaps of at most this many frames are closed to ``min_gap_frames``.
    chain_gap_frames: int = 12
    #: The out-time may run this long past the end of speech, never into the next cue.
    max_linger_ms: int = 500
    #: A cue that cannot stay up for its reading time before the next cue comes up starts up to this much
    #: before its speech, into the free time before it: a little early beats too fast to read.
    max_lead_ms: int = 500
    #: ... and up to this much when ``max_lead_ms`` still leaves it too fast: reading speed is a hard rule, the
    #: in-time a preference. The cutter plans on ``max_lead_ms``; this is the timing's last resort (conv-106,
    #: Whisper's English: 96 characters for 2.46 s of speech with the next line 1.9 s after it, a cue of 25
    #: characters 28 ms short of its reading time at 0.5 s early, with 1.9 s of silence before it).
    max_reading_lead_ms: int = 1000
    #: A cue whose speech runs on from the cue before it (a pause of at most the minimum gap: mid-sentence, no
    #: voice onset of its own) comes up to this much after its first word when the cue before needs the time to be read,
    #: and it keeps its own reading time: a little late mid-sentence beats too fast to read. A translation is
    #: laid evenly over its speech, so a dense sentence left each of its cues at the limit and one over it
    #: (fanlive, Whisper's English: 46 characters in 2.13 s chained to the next cue, 3 s of silence after).
    max_lag_ms: int = 500
    #: Display width of Latin letters, digits, spaces and punctuation.
    narrow_width: float = 1.0
    #: A pause between words at least this long always starts a new cue: a reply 0.7-1.2 s after a
    #: phrase got the phrase's cue, shown up to a second before its voice (issue 12: cues on time
    #: went up by one line on each conversational set at 700 ms, at 1200 ms before; read speech unchanged).
    #: 600 ms: a reply and the next turn 0.64 s later ("물론 일단" / "염려가 될 수도 있습니다", conv-102)
    #: were one cue, the second turn's shown 1.1 s early. 500 ms cut a trailing word over silence into
    #: a cue of its own (conv-103); 600 ms changed nothing else on the conversational sets, fanlive or noisy.
    #: 400 ms: conversation turns can follow each other 0.4 s apart (issue 12's recordings: pauses of
    #: 0.4-20 s); conv-101's "오픈해 영업하고" / "입장뿐 아니라…" 0.41 s apart were one cue, the second
    #: turn's shown 1.3 s early. Once squeezed words moved onto their voice (quality.voice), 250-500 ms
    #: changed nothing else on the conversational sets (both paths), fanlive, noisy or Zeroth long form.
    pause_split_ms: int = 400
    #: A cue too short or too fast to read still merges with its neighbour across a pause shorter than this.
    merge_pause_ms: int = 1200
    #: When two cues start so close that the first would be shown less than this, the second
    #: cue's in-time is delayed until the first has had this long (plus the minimum gap).
    min_visible_ms: int = 500
    #: Where lines and cues may break: ``"space"`` (between words), ``"cjk"`` (between any two
    #: characters, never before closing or after opening punctuation; no spaces added) or
    #: ``"thai"`` (only at spaces and zero-width spaces: never inside a word).
    breaks: str = "space"

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.name.strip():
            problems.append("name must not be empty")
        for field_name in ("max_line_columns", "max_cps", "narrow_width"):
            value = getattr(self, field_name)
            if not (math.isfinite(value) and value > 0):
                problems.append(f"{field_name} must be a positive number (got {value!r})")
        if math.isfinite(self.max_line_columns) and self.max_line_columns < max(1.0, self.narrow_width):
            problems.append("max_line_columns must hold at least one character of any width")
        for field_name in (
            "max_lines",
            "min_duration_ms",
            "max_duration_ms",
            "pause_split_ms",
            "merge_pause_ms",
            "min_visible_ms",
        ):
            if getattr(self, field_name) < 1:
                problems.append(f"{field_name} must be at least 1 (got {getattr(self, field_name)!r})")
        for field_name in ("min_gap_frames", "chain_gap_frames", "max_linger_ms", "max_lead_ms", "max_reading_lead_ms",
                           "max_lag_ms"):
            if getattr(self, field_name) < 0:
                problems.append(f"{field_name} must not be negative (got {getattr(self, field_name)!r})")
        if self.min_duration_ms > self.max_duration_ms:
            problems.append(f"min_duration_ms {self.min_duration_ms} is above max_duration_ms {self.max_duration_ms}")
        if self.min_visible_ms > self.max_duration_ms:
            problems.append("min_visible_ms must not exceed max_duration_ms")
        if self.chain_gap_frames < self.min_gap_frames:
            problems.append("chain_gap_frames must not be below min_gap_frames")
        if self.breaks not in BREAK_STYLES:
            problems.append(f"breaks must be one of {', '.join(BREAK_STYLES)} (got {self.breaks!r})")
        if problems:
            raise ValueError(f"SegmentRules {self.name!r}: " + "; ".join(problems))


ENGLISH_RULES = SegmentRules(name="netflix-en", max_line_columns=42, max_cps=20.0)
KOREAN_RULES = SegmentRules(name="netflix-ko", max_line_columns=16, max_cps=12.0, narrow_width=0.5)

#: Frame rate assumed when the subtitles are not for a video (audio-only input).
DEFAULT_FPS = Fraction(24)


def frame_ms(frames: int, fps: Fraction) -> int:
    """Milliseconds covering ``frames`` frames at ``fps``, rounded up (2 frames at 24 fps -> 84).

    Rounding up makes a gap of ``frame_ms(2, fps)`` at least two real frames long.
    """
    if frames < 0:
        raise ValueError(f"frames must not be negative (got {frames})")
    rate = Fraction(fps)
    if rate <= 0:
        raise ValueError(f"fps must be positive (got {fps})")
    return math.ceil(Fraction(frames * 1000) / rate)
