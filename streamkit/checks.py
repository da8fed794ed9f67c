"""Rule checks on subtitle files: what ``streamkit check`` reports.

:func:`check_track` takes the cues as :func:`streamkit.subtitles.read_raw` found them (possibly
overlapping, empty, out of order) and returns one :class:`Problem` per rule violation, each naming
the cue (its position in the file, as subtitle editors number rows), its time, the line in the file,
a code and a short reason. The rules are ``SUBTITLE-RULES.md``'s, given as a
:class:`~streamkit.segment.SegmentRules` and the video's frame rate; the codes and their severities
are data (:data:`CHECKS`).

Suspected invented text reuses :mod:`streamkit.quality`'s detectors (outro phrases, loops). Other
checks plug in through ``extra_checks`` (the glossary report, for instance): callables that get the
cues and the language and yield more problems.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from .problems import (
    CHECKS,
    ERROR,
    UNREADABLE,
    WARNING,
    CheckMemo,
    ExtraCheck,
    Problem,
    cue_chars,
    plain_text,
)
from .problems import cues_as_transcript as _as_transcript
from .problems import problem as _problem
from .quality import (
    QualityOptions,
    find_loops,
    match_outro,
    normalize_text,
    speech_level,
    voiced_stretches,
    without_words,
)
from .segment import DEFAULT_FPS, SegmentRules, display_width, frame_ms, rules_for
from .subtitles import RawCue, ReadResult, language_from_path, read_raw

__all__ = [
    "CHECKS",
    "ERROR",
    "WARNING",
    "CheckMemo",
    "CheckReport",
    "ExtraCheck",
    "Problem",
    "check_file",
    "check_track",
    "cue_chars",
    "glossary_check",
    "guess_language",
    "plain_text",
    "voice_check",
]

def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f} s"


def check_track(
    cues: Sequence[RawCue],
    rules: SegmentRules,
    fps: Fraction | float | int,
    language: str,
    *,
    extra_checks: Sequence[ExtraCheck] = (),
    quality: QualityOptions | None = None,
    numbered: bool = True,
    memo: CheckMemo | None = None,
    invented: bool = True,
) -> list[Problem]:
    """Every rule violation in ``cues`` (as read from a file), sorted by cue.

    Per cue: empty, end before start, line width (``display_width``, tags not counted), line
    count, reading speed, minimum / maximum duration, suspected invented text. Between cues in
    time order: overlap, gap below ``min_gap_frames``, small gaps that chaining would close. In the
    file: cues out of time order, missing / duplicate / out-of-order numbers (only when
    ``numbered``: WebVTT cues need no numbers). ``invented=False`` skips the invented-text
    warnings (the costliest pass; ``fix`` only counts the errors left).

    ``memo`` (a dict kept between calls) remembers each cue's own problems by its wording and
    timing, so checking a long track again after one edit redoes only the edited cue: the review
    page checks 3,000 cues on every keystroke.
    """
    q = quality or QualityOptions()
    items = list(enumerate(cues, start=1))
    problems = _own_problems(items, rules, q, memo, invented)
    if invented:
        problems.extend(_repeated_cues(items, q, memo))
    problems.extend(_spacing_problems(items, rules, Fraction(fps)))
    problems.extend(_order_problems(items))
    if numbered:
        problems.extend(_number_problems(items))
    for check in extra_checks:
        problems.extend(check(cues, language))
    order = {code: i for i, code in enumerate(CHECKS)}
    problems.sort(key=lambda p: (p.cue, order.get(p.code, len(order)), p.line))
    return problems


def _own_problems(items: list[tuple[int, RawCue]], rules: SegmentRules, q: QualityOptions,
                  memo: CheckMemo | None, invented: bool) -> list[Problem]:
    """Each cue's own problems (see :func:`_cue_problems`), through ``memo`` when one is kept."""
    problems: list[Problem] = []
    context = hash((rules, q))  # hashed once per call, not once per cue
    for pos, cue in items:
        if memo is None:
            problems.extend(_cue_problems(pos, cue, rules, q, invented))
            continue
        key = (context, invented, cue.start_ms, cue.end_ms, cue.lines)
        found = memo.get(key)
        if found is None:  # computed once per wording and timing, at position 0 and line 0
            found = memo[key] = tuple(_cue_problems(0, replace(cue, line=0), rules, q, invented))
        problems.extend(replace(p, cue=pos, line=cue.line + p.line) for p in found)
    return problems


def _spacing_problems(items: list[tuple[int, RawCue]], rules: SegmentRules, rate: Fraction) -> Iterable[Problem]:
    """Between consecutive cues in time order: overlap, a gap below the minimum, a gap chaining would close."""
    gap_ms = frame_ms(rules.min_gap_frames, rate)
    chain_ms = math.floor(Fraction(rules.chain_gap_frames * 1000) / rate)
    # A gap a few ms over 2 frames is 2 frames; chaining concerns gaps of 3 or more frames.
    chain_from = frame_ms(rules.min_gap_frames + 1, rate)
    timed = sorted((item for item in items if item[1].end_ms >= item[1].start_ms),
                   key=lambda item: (item[1].start_ms, item[1].end_ms))
    for (a_pos, a), (b_pos, b) in itertools.pairwise(timed):
        space = b.start_ms - a.end_ms
        if space < 0:
            yield _problem(b_pos, b, "overlap", f"starts {-space} ms before cue {a_pos} ends")
        elif space < gap_ms:
            yield _problem(b_pos, b, "gap", f"{space} ms after cue {a_pos} (min {gap_ms} ms = "
                           f"{rules.min_gap_frames} frames at {_fps(rate)} fps)")
        elif chain_from <= space <= chain_ms:
            yield _problem(a_pos, a, "chain", f"{space} ms before cue {b_pos}: close to {gap_ms} ms "
                           f"(gaps up to {rules.chain_gap_frames} frames are chained)")


def _order_problems(items: list[tuple[int, RawCue]]) -> Iterable[Problem]:
    """Cues that start before the cue above them in the file."""
    for (_, a), (b_pos, b) in itertools.pairwise(items):
        if (b.start_ms, b.end_ms) < (a.start_ms, a.end_ms):
            yield _problem(b_pos, b, "order", f"starts before cue {b_pos - 1} in the file")


def _number_problems(items: list[tuple[int, RawCue]]) -> Iterable[Problem]:
    """Missing, repeated and out-of-order cue numbers (SRT; WebVTT cues need none)."""
    seen: dict[int, int] = {}
    for pos, cue in items:
        line = max(cue.line - 1, 1)
        if cue.index is None:
            yield _problem(pos, cue, "number", "no cue number", line=line)
        elif cue.index in seen:
            yield _problem(pos, cue, "number", f"number {cue.index} repeats cue {seen[cue.index]}", line=line)
        elif cue.index != pos:
            yield _problem(pos, cue, "number", f"numbered {cue.index}, is cue {pos} of the file", line=line)
        if cue.index is not None:
            seen.setdefault(cue.index, pos)


def _cue_problems(pos: int, cue: RawCue, rules: SegmentRules, q: QualityOptions, invented: bool = True
                  ) -> list[Problem]:
    """The rules of one cue on its own: text, width, lines, reading speed, duration, invented text."""
    problems: list[Problem] = []
    texts = [plain_text(line) for line in cue.lines]
    if not any(t.strip() for t in texts):
        problems.append(_problem(pos, cue, "empty", "no text"))
    if broken := sum(t.count(UNREADABLE) for t in texts):
        problems.append(_problem(pos, cue, "unreadable", f"{broken} x U+FFFD ({UNREADABLE}): bytes that were not text"))
    if cue.end_ms < cue.start_ms:
        early = cue.start_ms - cue.end_ms
        problems.append(_problem(pos, cue, "end-before-start", f"ends {early} ms before it starts"))
        return problems
    for i, text in enumerate(texts):
        width = display_width(text, rules)
        if width > rules.max_line_columns + 1e-6:
            problems.append(_problem(pos, cue, "line-too-long",
                                     f"line {i + 1} is {width:g} columns wide (max {rules.max_line_columns:g})",
                                     line=cue.line + 1 + i))
    if len(cue.lines) > rules.max_lines:
        problems.append(_problem(pos, cue, "too-many-lines", f"{len(cue.lines)} lines (max {rules.max_lines})"))
    duration = cue.end_ms - cue.start_ms
    chars = cue_chars(cue.lines)
    if chars and duration > 0 and chars * 1000 / duration > rules.max_cps + 1e-9:
        problems.append(_problem(pos, cue, "too-fast", f"{chars * 1000 / duration:.1f} characters/s "
                                 f"(max {rules.max_cps:g}: {chars} characters need "
                                 f"{_seconds(math.ceil(chars * 1000 / rules.max_cps))})"))
    if duration < rules.min_duration_ms:
        problems.append(_problem(pos, cue, "too-short",
                                 f"shown {_seconds(duration)} (min {_seconds(rules.min_duration_ms)})"))
    elif duration > rules.max_duration_ms:
        problems.append(_problem(pos, cue, "too-long",
                                 f"shown {_seconds(duration)} (max {_seconds(rules.max_duration_ms)})"))
    if invented:
        problems.extend(_invented(pos, cue, q))
    return problems


def _fps(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{float(rate):.3f}"


def _invented(pos: int, cue: RawCue, q: QualityOptions) -> Iterable[Problem]:
    text = " ".join(plain_text(line) for line in cue.lines)
    outro = match_outro(text, q)
    if outro is not None and outro[1]:
        yield _problem(pos, cue, "invented", f"looks like an invented outro ({outro[0]!r}): was it said?")
    for loop in find_loops(text.split(), min_repeats=q.loop_min_repeats, max_unit=q.loop_max_unit):
        unit = " ".join(text.split()[loop.start : loop.start + loop.unit])
        yield _problem(pos, cue, "invented", f"{unit!r} repeated {loop.repeats} times: a recognition loop?")


def _repeated_cues(items: Sequence[tuple[int, RawCue]], q: QualityOptions,
                   memo: CheckMemo | None = None) -> Iterable[Problem]:
    """Runs of at least ``utterance_loop_repeats`` cues with the same text."""
    run: list[tuple[int, RawCue]] = []
    run_key = ""

    def key_of(cue: RawCue) -> str:
        if memo is None:
            return normalize_text(" ".join(plain_text(line) for line in cue.lines))
        found = memo.get(("normalized", cue.lines))
        if found is None:
            found = memo[("normalized", cue.lines)] = normalize_text(" ".join(plain_text(x) for x in cue.lines))
        return str(found)

    def flush() -> Iterable[Problem]:
        if len(run) >= q.utterance_loop_repeats:
            first = run[0][0]
            for pos, cue in run[1:]:
                yield _problem(pos, cue, "invented", f"same text as cue {first} ({len(run)} in a row): a loop?")

    for pos, cue in items:
        key = key_of(cue)
        if run and key and key == run_key:
            run.append((pos, cue))
            continue
        yield from flush()
        run, run_key = [(pos, cue)], key
    yield from flush()


# --------------------------------------------------------------------------- glossary


def glossary_check(glossary: Any, counterpart: Sequence[RawCue] | None = None) -> ExtraCheck:
    """An extra check from :meth:`streamkit.glossary.Glossary.report`.

    For a Korean file: names said in it that the English ``counterpart`` (the other file of the
    pair) does not show at the same time. For an English file with its Korean ``counterpart``: the
    same names, reported on the English cue, and English cues the glossary would spell
    differently. Warnings: the name finder is a heuristic, an editor decides.
    """

    def check(cues: Sequence[RawCue], language: str) -> Iterable[Problem]:
        if language.split("-")[0] not in ("ko", "en") and counterpart is not None:
            from .glossary.forms import name_findings  # names in that language's form (issue 16)

            for pos, cue, message in name_findings(glossary, _as_transcript(counterpart, "ko"), cues, language):
                yield _problem(pos, cue, "glossary", message)
            return
        if language.split("-")[0] == "ko":
            korean, english = _as_transcript(cues, "ko"), counterpart
            report = glossary.report(korean, _as_transcript(english, "en") if english is not None else None)
        elif counterpart is not None:
            report = glossary.report(_as_transcript(counterpart, "ko"), _as_transcript(cues, language))
        else:
            return
        numbered = list(enumerate(cues, start=1))

        def at(start: int, end: int) -> tuple[int, RawCue] | None:
            near = [(pos, c) for pos, c in numbered if c.start_ms < end + 1000 and c.end_ms > start - 1000]
            return min(near, key=lambda item: abs(item[1].start_ms - start)) if near else None

        for m in report.missing:
            found = at(m.start_ms, m.end_ms)
            if found is not None:
                name = f"{m.entry.english} ({m.entry.canonical_ko})"
                yield _problem(found[0], found[1], "glossary", f"{name} is said but not in the English at this time")
        if language.split("-")[0] != "ko":
            for start, old, new in report.fixable:
                found = at(start, start)
                if found is not None:
                    yield _problem(found[0], found[1], "glossary", f"the glossary spells it {new!r} (is {old!r})")

    return check


# --------------------------------------------------------------------------- voice without a cue


def voice_check(energy: Any, speech: Any, duration_ms: int, options: QualityOptions | None = None) -> ExtraCheck:
    """An extra check: every voiced stretch of the video's audio with no cue over it.

    ``energy`` and ``speech`` are the audio's profiles (:func:`streamkit.quality.energy_profile`,
    :func:`streamkit.quality.vad_profile`). A stretch is reported on the cue before it.
    """
    o = options or QualityOptions()

    def check(cues: Sequence[RawCue], language: str) -> Iterable[Problem]:
        heard = _as_transcript(cues, language)
        level = speech_level(heard, energy, o)
        stretches = without_words(voiced_stretches(energy, speech, duration_ms, level, o), heard, o)
        for a, b in stretches:
            before = [(pos, c.line) for pos, c in enumerate(cues, start=1) if c.start_ms <= a]
            pos, line = before[-1] if before else (1, cues[0].line if cues else 1)
            yield Problem(pos, a, b, line, "voice", WARNING,
                          f"{(b - a) / 1000:.1f} s of voice at {_seconds(a)} with no cue over it (missed speech?)")

    return check


# --------------------------------------------------------------------------- whole files


def guess_language(path: Path, cues: Sequence[RawCue]) -> str:
    """The language from the file name (``x.ko.srt``), else ``ko`` when Hangul, else ``en``.

    "Hangul" means at least a third of the letters are Hangul syllables (one syllable carries what
    two or three Latin letters do, and Korean drafts are full of Latin names: "오늘 BTS 콘서트").
    """
    return language_from_path(path) or script_language(line for cue in cues for line in cue.lines)


def script_language(lines: Iterable[str]) -> str:
    """``ko`` when at least a third of the letters in ``lines`` (tags aside) are Hangul, else ``en``."""
    letters = [ch for line in lines for ch in plain_text(line) if ch.isalpha()]
    hangul = sum(1 for ch in letters if unicodedata.name(ch, "").startswith("HANGUL"))
    return "ko" if letters and hangul * 3 >= len(letters) else "en"


@dataclass(frozen=True)
class CheckReport:
    """What ``streamkit check`` found in one file."""

    read: ReadResult
    language: str
    fps: Fraction
    rules: SegmentRules
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == WARNING)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.problems:
            out[p.code] = out.get(p.code, 0) + 1
        return out


def check_file(
    path: Path,
    *,
    language: str | None = None,
    fps: Fraction | None = None,
    rules: SegmentRules | None = None,
    extra_checks: Sequence[ExtraCheck] = (),
) -> CheckReport:
    """Read ``path`` leniently and check it. Raises ``SubtitleFormatError`` for unreadable files.

    ``fps`` defaults to :data:`~streamkit.segment.DEFAULT_FPS` (24), ``language`` to
    :func:`guess_language`, ``rules`` to ``rules_for(language)``.
    """
    read = read_raw(Path(path))
    lang = language or guess_language(read.path, read.cues)
    rate = Fraction(fps) if fps is not None else DEFAULT_FPS
    chosen = rules or rules_for(lang)
    problems = check_track(read.cues, chosen, rate, lang, extra_checks=extra_checks, numbered=read.format == "srt")
    if read.encoding not in ("utf-8",) and read.cues:
        first = read.cues[0]
        problems.insert(0, Problem(1, first.start_ms, first.end_ms, 1, "encoding", WARNING,
                                   f"the file is {read.encoding.upper()}, not UTF-8 (fix writes UTF-8)"))
    return CheckReport(read, lang, rate, chosen, tuple(problems))
