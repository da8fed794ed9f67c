"""Safe fixes to subtitle files (``streamkit fix``) and time shifting (``streamkit shift``).

"Safe" means a fix never changes what is said: the words of every cue stay the same words in the
same order (only the line breaks between them may move), and no cue's text moves to another cue.
What :func:`fix_cues` may change, each reported as a :class:`Change`:

* ``sort``: cues stored out of time order are put in time order;
* ``renumber``: cues are numbered 1, 2, 3 ... (missing, duplicate, out-of-order numbers);
* ``remove-unreadable``: U+FFFD, bytes that were not text (nothing said), leaves the cue's lines;
* ``remove-empty``: a cue without text is removed (one left with none by the step above too);
* ``reflow``: a cue whose lines are too wide or too many is re-broken with
  :func:`streamkit.segment.wrap_lines` (same words; a cue in ``<i>...</i>`` keeps the tags around
  the whole cue; cues with other tags or dual-speaker dashes are left alone);
* ``overlap`` / ``gap``: a cue that runs into the next one, or ends less than 2 frames before it,
  ends 2 frames before it, when it keeps its minimum duration (else it is reported, not changed);
* ``extend``: a cue shorter than its minimum duration or reading time is extended into the free
  time after it, never closer than 2 frames to the next cue and never past the maximum duration;
* ``chain``: a gap of up to 12 frames is closed to 2 frames;
* ``encoding``: the file is written as UTF-8 without BOM, ``\\n`` line ends, a final blank line.

In-times never move (they sit on the speech onset); a cue is never split, merged or shortened
below its minimum. What cannot be fixed safely (a cue that ends before it starts) is refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from .checks import cue_chars, plain_text
from .errors import ConfigError, SubtitleFormatError
from .problems import UNREADABLE, readable
from .segment import SegmentRules, display_width, frame_ms, wrap_lines
from .subtitles import RawCue, ReadResult

__all__ = [
    "Change",
    "FixResult",
    "default_output",
    "first_below_zero",
    "fix_cues",
    "format_raw_srt",
    "parse_offset",
    "refuse_broken",
    "shift_cues",
]


@dataclass(frozen=True)
class Change:
    """One change a fix made: which cue (position in the input file), what, before -> after."""

    cue: int
    what: str
    before: str
    after: str


@dataclass(frozen=True)
class FixResult:
    cues: tuple[RawCue, ...]
    changes: tuple[Change, ...]


def _time(ms: int) -> str:
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, rest = divmod(rest, 1000)
    return f"{sign}{h:02d}:{m:02d}:{s:02d},{rest:03d}"


def _span(cue: RawCue) -> str:
    return f"{_time(cue.start_ms)} --> {_time(cue.end_ms)}"


def refuse_broken(read: ReadResult) -> None:
    """Raise ``SubtitleFormatError`` for what no safe fix can repair: a cue ending before it starts."""
    for pos, cue in enumerate(read.cues, start=1):
        if cue.end_ms < cue.start_ms:
            raise SubtitleFormatError(
                read.path,
                f"ends before it starts ({_span(cue)}); correct the times by hand",
                line=cue.line,
                cue=pos,
            )


# --------------------------------------------------------------------------- reflow

_WHOLE_ITALIC = re.compile(r"^<i>(.*)</i>$", re.DOTALL)


def _reflow(lines: tuple[str, ...], rules: SegmentRules, language: str) -> tuple[str, ...] | None:
    """New lines for a cue that breaks the layout rules, with the same words; None if not possible."""
    text = " ".join(line.strip() for line in lines)
    if any(line.lstrip().startswith("-") for line in lines):
        return None  # dual speakers: each line is a speaker
    whole = _WHOLE_ITALIC.match(text)
    inner = whole.group(1) if whole else text
    if plain_text(inner) != inner:
        return None  # tags inside the text: a re-break could split them
    wrapped = wrap_lines(inner, rules, language)
    if not wrapped:
        return None
    if whole:
        wrapped = (f"<i>{wrapped[0]}", *wrapped[1:-1], f"{wrapped[-1]}</i>") if len(wrapped) > 1 else (
            f"<i>{wrapped[0]}</i>",
        )
    return tuple(wrapped)


def _breaks_layout(lines: tuple[str, ...], rules: SegmentRules) -> bool:
    return len(lines) > rules.max_lines or any(
        display_width(plain_text(line), rules) > rules.max_line_columns + 1e-6 for line in lines
    )


# --------------------------------------------------------------------------- fix


def fix_cues(
    cues: Sequence[RawCue], rules: SegmentRules, fps: Fraction | float | int, language: str
) -> FixResult:
    """Apply the safe fixes (module docstring) to ``cues``; the changes are listed in cue order.

    ``Change.cue`` is the cue's position in the input. Raises ``ValueError`` for a cue that ends
    before it starts (see :func:`refuse_broken`, which names the file and line).
    """
    for pos, cue in enumerate(cues, start=1):
        if cue.end_ms < cue.start_ms:
            raise ValueError(f"cue {pos} ends before it starts")
    changes: list[Change] = []
    kept = _sorted_without_empty(cues, changes)
    laid = _laid_out(kept, rules, language, changes)
    timed = _retimed(laid, rules, Fraction(fps), changes)
    fixed = tuple(cue if cue.index == number else replace(cue, index=number)
                  for number, (_, cue) in enumerate(timed, start=1))
    changes.sort(key=lambda c: c.cue)
    return FixResult(fixed, tuple(changes))


def _sorted_without_empty(cues: Sequence[RawCue], changes: list[Change]) -> list[tuple[int, RawCue]]:
    """Time order, U+FFFD and then empty cues removed, numbering checked: each cue with its position in the input."""
    items = list(enumerate(cues, start=1))
    ordered = sorted(items, key=lambda item: (item[1].start_ms, item[1].end_ms))
    if [pos for pos, _ in ordered] != [pos for pos, _ in items]:
        moved = [pos for (pos, _), (was, _) in zip(ordered, items, strict=True) if pos != was]
        changes.append(Change(moved[0], "sort", "cues out of time order", "sorted by start time"))
    kept: list[tuple[int, RawCue]] = []
    for pos, cue in ordered:
        if any(UNREADABLE in line for line in cue.lines):
            lines = tuple(line for line in map(readable, cue.lines) if line)
            changes.append(Change(pos, "remove-unreadable", " | ".join(cue.lines), " | ".join(lines) or "(no text)"))
            cue = replace(cue, lines=lines)
        if not any(plain_text(line).strip() for line in cue.lines):
            changes.append(Change(pos, "remove-empty", f"{_span(cue)} (no text)", "removed"))
        else:
            kept.append((pos, cue))
    if any(cue.index != number for number, (_, cue) in enumerate(kept, start=1)):
        first = next(pos for number, (pos, cue) in enumerate(kept, start=1) if cue.index != number)
        changes.append(Change(first, "renumber", "numbers missing, repeated or out of order", "numbered 1, 2, 3 ..."))
    return kept


def _laid_out(kept: list[tuple[int, RawCue]], rules: SegmentRules, language: str,
              changes: list[Change]) -> list[tuple[int, RawCue]]:
    """Cues whose lines break the layout rules reflowed (when a better layout exists)."""
    laid: list[tuple[int, RawCue]] = []
    # Both steps are pure: a wording seen before (chants, thanks, laughter repeat) is decided once.
    breaks: dict[tuple[str, ...], bool] = {}
    reflowed: dict[tuple[str, ...], tuple[str, ...] | None] = {}
    for pos, cue in kept:
        broken = breaks.get(cue.lines)
        if broken is None:
            broken = breaks[cue.lines] = _breaks_layout(cue.lines, rules)
        if broken:
            if cue.lines not in reflowed:
                reflowed[cue.lines] = _reflow(cue.lines, rules, language)
            new = reflowed[cue.lines]
            if new is not None and new != cue.lines:
                changes.append(Change(pos, "reflow", " | ".join(cue.lines), " | ".join(new)))
                cue = replace(cue, lines=new)
        laid.append((pos, cue))
    return laid


def _retimed(laid: list[tuple[int, RawCue]], rules: SegmentRules, rate: Fraction,
             changes: list[Change]) -> list[tuple[int, RawCue]]:
    """Timing, out-times only: overlaps and short gaps cut, short cues extended, small gaps chained."""
    gap = frame_ms(rules.min_gap_frames, rate)
    chain = math.floor(Fraction(rules.chain_gap_frames * 1000) / rate)
    chain_from = frame_ms(rules.min_gap_frames + 1, rate)
    # Two cues may share an in-time (which fix never moves): a cue is cut before the next cue that starts later,
    # else fixing the fixed file cut it again once the shorter of the two sorted first.
    later: list[int | None] = [None] * len(laid)
    for k in range(len(laid) - 2, -1, -1):
        following = laid[k + 1][1].start_ms
        later[k] = following if following > laid[k][1].start_ms else later[k + 1]
    timed: list[tuple[int, RawCue]] = []
    for k, (pos, cue) in enumerate(laid):
        start, end = cue.start_ms, cue.end_ms
        limit = laid[k + 1][1].start_ms - gap if k + 1 < len(laid) else None
        nearest = later[k]
        cut = None if nearest is None else nearest - gap
        if cut is not None and end > cut:
            code = "overlap" if end > cut + gap else "gap"
            if cut - start >= rules.min_duration_ms:
                changes.append(Change(pos, code, _span(cue), f"ends at {_time(cut)} ({gap} ms before the next cue)"))
                end = cut
        need = min(rules.max_duration_ms,
                   max(rules.min_duration_ms, math.ceil(cue_chars(cue.lines) * 1000 / rules.max_cps)))
        if end - start < need:
            target = start + need if limit is None else min(start + need, limit)
            if target > end:
                changes.append(Change(pos, "extend", _span(cue),
                                      f"ends at {_time(target)} (shown {(target - start) / 1000:.3f} s)"))
                end = target
        if limit is not None and chain_from <= limit + gap - end <= chain and end - start < rules.max_duration_ms:
            target = min(limit, start + rules.max_duration_ms)
            if target > end:
                changes.append(Change(pos, "chain", _span(cue), f"ends at {_time(target)} (gap closed to {gap} ms)"))
                end = target
        timed.append((pos, cue if end == cue.end_ms else replace(cue, end_ms=end)))
    return timed


def format_raw_srt(cues: Sequence[RawCue]) -> str:
    """Cues as SRT: numbered 1..n in the given order, text lines exactly as they are, ``\\n``, final blank line."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        body = "\n".join(cue.lines)
        blocks.append(f"{number}\n{_time(cue.start_ms)} --> {_time(cue.end_ms)}\n{body}\n" if body else
                      f"{number}\n{_time(cue.start_ms)} --> {_time(cue.end_ms)}\n")
    return "\n".join(blocks)


# --------------------------------------------------------------------------- shift

_OFFSET_UNITS = re.compile(r"([+-]?)(\d+(?:\.\d+)?)(ms|s|m|min|h)?")
_OFFSET_CLOCK = re.compile(r"([+-]?)(?:(\d+):)?(\d{1,2}):(\d{2})(?:[,.](\d{1,3}))?")


def parse_offset(text: str) -> int:
    """Milliseconds from ``+1.5s``, ``-500ms``, ``2m``, ``1.5`` (seconds), ``00:00:01,200``, ``-0:01.5``."""
    value = text.strip().replace(" ", "")
    m = _OFFSET_UNITS.fullmatch(value)
    if m:
        sign, number, unit = m.groups()
        scale = {"ms": 1, "s": 1000, None: 1000, "m": 60_000, "min": 60_000, "h": 3_600_000}[unit]
        ms = round(float(number) * scale)
        return -ms if sign == "-" else ms
    m = _OFFSET_CLOCK.fullmatch(value)
    if m:
        sign, hours, minutes, seconds, fraction = m.groups()
        if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
            raise ConfigError(f"bad offset {text!r}: minutes and seconds must be 00-59", key="offset")
        ms = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000
        ms += int((fraction or "0").ljust(3, "0"))
        return -ms if sign == "-" else ms
    raise ConfigError(
        f"bad offset {text!r}",
        key="offset",
        hint="write it like +1.5s, -500ms, 2m or 00:00:01,200 (a leading - moves cues earlier)",
    )


def first_below_zero(cues: Sequence[RawCue], offset_ms: int) -> int | None:
    """The 1-based position of the first cue that would start before 0 after the shift, or None."""
    return next((pos for pos, cue in enumerate(cues, start=1) if cue.start_ms + offset_ms < 0), None)


def shift_cues(cues: Sequence[RawCue], offset_ms: int, *, clamp: bool = False) -> tuple[tuple[RawCue, ...], int]:
    """Every cue moved by ``offset_ms``; with ``clamp``, times below 0 become 0.

    Returns the cues and how many were removed because they would end at or before 0 (only
    with ``clamp``). Without ``clamp``, a cue that would start before 0 raises ``ValueError``
    (check with :func:`first_below_zero` first to name it).
    """
    if not clamp and first_below_zero(cues, offset_ms) is not None:
        raise ValueError(f"cue {first_below_zero(cues, offset_ms)} would start before 0")
    out: list[RawCue] = []
    removed = 0
    for cue in cues:
        start, end = cue.start_ms + offset_ms, cue.end_ms + offset_ms
        if clamp:
            if end <= 0:
                removed += 1
                continue
            start, end = max(0, start), max(0, end)
        out.append(replace(cue, start_ms=start, end_ms=end))
    return tuple(out), removed


def default_output(path: Path, tag: str) -> Path:
    """``show.ko.srt`` -> ``show.TAG.ko.srt`` (the language tag stays last), ``show.srt`` -> ``show.TAG.srt``."""
    from .subtitles import language_from_path

    suffixes = path.suffixes
    if language_from_path(path) and len(suffixes) >= 2:
        base = path.name[: -len("".join(suffixes[-2:]))]
        return path.with_name(f"{base}.{tag}{suffixes[-2]}.srt")
    return path.with_name(f"{path.name[: -len(path.suffix)] if path.suffix else path.name}.{tag}.srt")
