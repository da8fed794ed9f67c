"""A long generated subtitle file for scale tests and ``bench/editor_scale.py``.

Every rule is broken somewhere (short, long, too fast, gaps, overlaps, long lines), so ``check``
reports a problem or two per cue and ``fix`` changes about every cue: the worst case for the
report, not a tidy file.
"""

from __future__ import annotations

from pathlib import Path

WORDS = ("오늘", "진짜", "감사합니다", "여러분", "노래", "같이", "들어요", "BTS", "콘서트", "너무", "좋아요")


def _clock(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, rest = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{rest:03d}"


def many_cues_srt(count: int) -> str:
    """``count`` numbered Korean cues as SRT text."""
    blocks = []
    start = 0
    for i in range(1, count + 1):
        shown = (500, 1500, 2500, 9000)[i % 4]
        text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(3 + i % 7))
        blocks.append(f"{i}\n{_clock(start)} --> {_clock(start + shown)}\n{text}\n")
        start += shown + (40, 200, -100, 1000)[i % 4]
    return "\n".join(blocks)


def write_many_cues(path: Path, count: int) -> Path:
    path.write_text(many_cues_srt(count), encoding="utf-8")
    return path
