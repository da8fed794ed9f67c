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
    plus ``min_visible_ms`` plus the gap, in which case it starts exactly there.
    """
    rules = rules_for(transcript.language) if rules is None else rules
    rate = DEFAULT_FPS if fps is None else Fraction(fps)
    gap = frame_ms(rules.min_gap_frames, rate)  # validates rate
    chain = math.floor(Fraction(rules.chain_gap_frames * 1000) / rate)
    toks = _tokens(transcript, rules)
    if not toks.text:
        return SubtitleTrack(language=transcript.language, cues=())
    plan = _plan(toks, rules, transcript.language)
    has_limit = transcript.duration_ms > 0
    groups = _merge_short(
        plan, _cut(plan), gap, float(max(transcript.duration_ms, toks.end[-1])) if has_limit else math.inf
    )

    ins: list[int] = []
    for lo, _ in groups:
        ins.append(toks.start[lo] if not ins else max(toks.start[lo], ins[-1] + rules.min_visible_ms + gap))

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
        starts = _arrange(plan.pw, plan.bc, lo, hi, rules, plan.gp)
        assert starts is not None, "cut groups always fit the layout"
        lines = _lines(toks.text, starts, hi, toks.glued)
        need = _need_ms(sum(len(line) for line in lines), rules)
        end = min(speech_end + rules.max_linger_ms, hard)
        end = max(end, min(start + need, hard))
        if c + 1 < len(groups) and ins[c + 1] - end <= chain:
            end = hard
        cues.append(Cue(start_ms=start, end_ms=end, lines=lines))  # end > start: hard > start
    return SubtitleTrack(language=transcript.language, cues=tuple(cues))
