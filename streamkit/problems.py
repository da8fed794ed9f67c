"""What a check reports, shared by :mod:`streamkit.checks` and the checks that plug into it.

The check codes and their severities (:data:`CHECKS`), :class:`Problem`, the extra-check type and
the small helpers an extra check needs (:func:`problem`, :func:`cues_as_transcript`). A module of
its own so that a check living elsewhere (the glossary's name check in :mod:`streamkit.glossary.forms`)
needs nothing from :mod:`streamkit.checks`, which imports it: no import circle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .models import Transcript, Utterance
from .subtitles import RawCue

__all__ = ["CHECKS", "ERROR", "UNREADABLE", "WARNING", "CheckMemo", "ExtraCheck", "Problem", "cue_chars",
           "cues_as_transcript", "plain_text", "problem", "readable"]

ERROR = "error"
WARNING = "warning"
#: U+FFFD, what a decoder writes for bytes that are not text: a token sequence cut inside a Hangul syllable
#: (:func:`readable` keeps it out of streamkit's drafts), or a file read in another encoding.
UNREADABLE = "\ufffd"


def readable(text: str) -> str:
    """``text`` without :data:`UNREADABLE`, its whitespace collapsed (empty: nothing to read).

    Whisper's byte-level tokens split a Hangul syllable's three bytes, and a loop that runs to the token cap ends
    mid-syllable: faster-whisper decodes that as U+FFFD (conv-109 at 269.6 s: a word of its own after "뱉는 핫스"
    looped, kept as a cue once the loop was dropped). Decoded text and ``streamkit fix`` both go through here."""
    return " ".join(text.replace(UNREADABLE, "").split())

#: Every check: code -> (severity, the rule it enforces). ``docs/editing.md`` lists the same.
CHECKS: dict[str, tuple[str, str]] = {
    "empty": (ERROR, "a cue must have text"),
    "end-before-start": (ERROR, "a cue must end after it starts"),
    "unreadable": (ERROR, "no U+FFFD in the text: bytes that were not text (a decode cut inside a character)"),
    "line-too-long": (ERROR, "at most max_line_columns per line (en 42; ko 16, Latin/digits/spaces 0.5)"),
    "too-many-lines": (ERROR, "at most max_lines lines per cue (2)"),
    "too-fast": (ERROR, "reading speed at most max_cps characters per second (en 20, ko 12)"),
    "too-short": (ERROR, "a cue stays up at least min_duration_ms (833 ms)"),
    "too-long": (ERROR, "a cue stays up at most max_duration_ms (7 s)"),
    "overlap": (ERROR, "a cue must end before the next one starts"),
    "gap": (ERROR, "consecutive cues are at least 2 frames apart"),
    "chain": (WARNING, "gaps up to 12 frames are closed to 2 frames (chaining)"),
    "order": (WARNING, "cues are stored in time order"),
    "number": (WARNING, "cues are numbered 1, 2, 3 ... in file order"),
    "encoding": (WARNING, "the file is UTF-8 (players misread CP949 / UTF-16)"),
    "invented": (WARNING, "no text Whisper typically invents: outros, credits, looped repetition"),
    "glossary": (WARNING, "names as the glossary spells them, and said names present in the translation"),
    "voice": (WARNING, "someone speaks (energy and voice activity agree, 0.4 s or more) and no cue is up (--video)"),
}

_TAG = re.compile(r"</?[A-Za-z][^<>]*>|\{\\[^{}]*\}")


def plain_text(line: str) -> str:
    """A cue line without formatting tags (``<i>``, ``<font ...>``, ``{\\an8}``)."""
    if "<" not in line and "{" not in line:  # most lines: no tag can be there (100,000 cues: ~1 s)
        return line
    return _TAG.sub("", line)


def cue_chars(lines: Sequence[str]) -> int:
    """Characters the reading-speed rule counts: every character except line breaks and tags."""
    return sum(len(plain_text(line)) for line in lines)


@dataclass(frozen=True)
class Problem:
    """One rule violation in a subtitle file."""

    #: 1-based position of the cue in the file (what subtitle editors show as the row number).
    cue: int
    start_ms: int
    end_ms: int
    #: 1-based line in the file (the timing line, or the offending text line).
    line: int
    code: str
    severity: str  # "error" | "warning"
    message: str

    def __post_init__(self) -> None:
        if self.severity not in (ERROR, WARNING):
            raise ValueError(f"Problem: severity must be 'error' or 'warning', not {self.severity!r}")


#: What :func:`check_track` remembers between calls: a cue's own problems by its wording and timing.
CheckMemo = dict[tuple[object, ...], Any]

#: A pluggable check: ``(cues, language) -> problems`` (the glossary report plugs in here).
ExtraCheck = Callable[[Sequence[RawCue], str], Iterable[Problem]]


def problem(position: int, cue: RawCue, code: str, message: str, *, line: int | None = None) -> Problem:
    return Problem(position, cue.start_ms, cue.end_ms, cue.line if line is None else line, code,
                   CHECKS[code][0], message)


def cues_as_transcript(cues: Sequence[RawCue], language: str) -> Transcript:
    """Readable cues as a transcript (overlaps allowed there), for the glossary report."""
    good = sorted((c for c in cues if c.end_ms >= c.start_ms and " ".join(plain_text(x) for x in c.lines).strip()),
                  key=lambda c: (c.start_ms, c.end_ms))
    utterances = tuple(Utterance(c.start_ms, c.end_ms, " ".join(plain_text(x) for x in c.lines).strip()) for c in good)
    return Transcript(language, utterances, max((c.end_ms for c in good), default=0))
