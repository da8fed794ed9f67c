"""The stage: :func:`segment` runs the passes and times the cues; :func:`rules_for` picks the rules."""

from __future__ import annotations

import math
from fractions import Fraction

from streamkit.models import Cue, SubtitleTrack, Transcript

from .cutting import _cut, _merge_short, _need_ms, _plan
from .layout import _arrange, _lines
from .rules import DEFAULT_FPS, ENGLISH_RULES, SegmentRules, frame_ms
from .words import _tokens


def rules_for(language: str) -> SegmentRules:
    """The rules of ``language`` from :mod:`streamkit.languages` (``KOREAN_RULES`` for ``"ko"``,
    Netflix's Japanese rules for ``"ja"`` ...); ``ENGLISH_RULES`` for a language without its own."""
    # Imported here, not at the top: languages.py imports .rules, and importing it first runs this
    # package's __init__, which imports this module before languages.py has its table.
    from streamkit.languages import LANGUAGES

    known = LANGUAGES.get(language)
    return known.rules if known is not None else ENGLISH_RULES


def segment(transcript: Transcript, rules: SegmentRules | None = None, fps: Fraction | None = None) -> SubtitleTrack:
    """Cut ``transcript`` into timed, line-broken cues following ``rules`` at frame rate ``fps``.

    ``rules`` defaults to ``rules_for(transcript.language)``, ``fps`` to ``DEFAULT_FPS``.
    Guarantees: the cues' words are the input's words in order (only over-wide words are split);
    every cue fits the layout and ``max_duration_ms``; gaps are at least ``frame_ms(min_gap_frames)``;
    a cue starts on its first word's onset unless that is earlier than the previous cue's start
    plus ``min_visible_ms`` plus the gap, in which case it starts exactly there; a cue that cannot stay
    up for its reading time before the next cue's onset starts up to ``max_lead_ms`` earlier (up to
    ``max_reading_lead_ms`` when that is not enough), into the free time before it (:func:`_in_times`).
    """
    rules = rules_for(transcript.language) if rules is None else rules
    rate = DEFAULT_FPS if fps is None else Fraction(fps)
    gap = frame_ms(rules.min_gap_frames, rate)  # validates rate
    chain = math.floor(Fraction(rules.chain_gap_frames * 1000) / rate)
    toks = _tokens(transcript, rules)
    if not toks.text:
        return SubtitleTrack(language=transcript.language, cues=())
    has_limit = transcript.duration_ms > 0
    plan = _plan(toks, rules, transcript.language, gap,
                 float(max(transcript.duration_ms, toks.end[-1])) if has_limit else math.inf)
    groups = _merge_short(plan, _cut(plan))

    layouts = []
    for lo, hi in groups:
        starts = _arrange(plan.pw, plan.bc, lo, hi, rules, plan.gp)
        assert starts is not None, "cut groups always fit the layout"
        layouts.append(_lines(toks.text, starts, hi, toks.glued))
    needs = [_need_ms(sum(len(line) for line in lines), rules) for lines in layouts]
    ins = _in_times(groups, toks.start, toks.end, needs, rules, gap)

    cues: list[Cue] = []
    for c, (lo, hi) in enumerate(groups):
        start = ins[c]
        speech_end = max(toks.end[lo : hi + 1])
        if c + 1 < len(groups):
            limit = ins[c + 1] - gap
        elif has_limit:
            limit = max(transcript.duration_ms, speech_end, start + rules.min_visible_ms)
        else:
            limit = start + rules.max_duration_ms
        hard = min(limit, start + rules.max_duration_ms)
        end = min(speech_end + rules.max_linger_ms, hard)
        end = max(end, min(start + needs[c], hard))
        if c + 1 < len(groups) and ins[c + 1] - end <= chain:
            end = hard
        cues.append(Cue(start_ms=start, end_ms=end, lines=layouts[c]))  # end > start: hard > start
    return SubtitleTrack(language=transcript.language, cues=tuple(cues))


def _in_times(groups: list[tuple[int, int]], onsets: list[int], ends: list[int], needs: list[int],
              rules: SegmentRules, gap: int) -> list[int]:
    """Each cue's in-time: its first word's onset, or the previous in-time plus ``min_visible_ms`` and the gap
    when that is later. When the cue before cannot stay up for its reading time (``needs``) by then and this
    cue's speech runs on from its speech (a pause of at most the gap: no onset to see), this one comes later
    by what that lacks, at most ``max_lag_ms`` after its first word's onset (a dense passage does not drift),
    keeping its own reading time before the next cue's onset. Else a cue that cannot stay up for its reading
    time before the next cue's onset, beyond what that one may come later (:func:`_next_lag`: a text shown after
    its voice began, where no onset is seen, rather than before its voice), starts earlier by what it lacks, at
    most ``max_lead_ms`` (``max_reading_lead_ms`` when ``max_lead_ms`` would still leave it too fast; none when
    ``max_lead_ms`` is 0), and never
    before the previous cue's in-time plus its reading time (and ``min_visible_ms``), its speech end, and the
    gap (stress-2, sequential: 34 characters in 2.82 s between two cues that could not merge, with 10 s of
    silence before them)."""
    ins: list[int] = []
    for c, (lo, _) in enumerate(groups):
        start = onsets[lo] if not ins else max(onsets[lo], ins[-1] + rules.min_visible_ms + gap)
        following = onsets[groups[c + 1][0]] if c + 1 < len(groups) else None
        if ins:
            lack = ins[-1] + max(needs[c - 1], rules.min_visible_ms) + gap - start
            # What the cue before lacks, as far as this one may come later than its first word (``_next_lag``).
            if lack > 0 and (delay := min(lack, _next_lag(c - 1, groups, onsets, ends, needs, rules, gap)
                                          + onsets[lo] - start)) > 0:
                ins.append(start + delay)
                continue
        if following is not None and rules.max_lead_ms > 0:
            short = start + needs[c] + gap - following - _next_lag(c, groups, onsets, ends, needs, rules, gap)
            if short > 0 and following >= start + rules.min_visible_ms + gap:  # else the next one waits anyway
                floor = 0
                if c:
                    a, b = groups[c - 1]
                    floor = max(ins[-1] + max(needs[c - 1], rules.min_visible_ms), max(ends[a : b + 1])) + gap
                start = min(start, max(start - min(short, max(rules.max_lead_ms, rules.max_reading_lead_ms)), floor))
        ins.append(start)
    return ins


def _next_lag(c: int, groups: list[tuple[int, int]], onsets: list[int], ends: list[int], needs: list[int],
              rules: SegmentRules, gap: int) -> int:
    """How much later than its first word the cue after cue ``c`` may come: up to ``max_lag_ms`` when its speech
    runs on from ``c``'s (a pause of at most the gap), keeping its own reading time before the one after it."""
    if rules.max_lag_ms <= 0 or c + 1 >= len(groups):
        return 0
    (lo, hi), nxt = groups[c], groups[c + 1][0]
    if onsets[nxt] - max(ends[lo : hi + 1]) > gap:
        return 0
    if c + 2 >= len(groups):
        return rules.max_lag_ms
    return max(0, min(rules.max_lag_ms, onsets[groups[c + 2][0]] - gap - needs[c + 1] - onsets[nxt]))
