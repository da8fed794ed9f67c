"""Words to subtitle cues: the subtitle rules as data, and the cutter that applies them (pure).

The numbers are Netflix's Timed Text Style Guide defaults (see ``SUBTITLE-RULES.md``):
``ENGLISH_RULES`` and ``KOREAN_RULES`` are plain values a producer can copy with
``dataclasses.replace``. Times are integer milliseconds; frame-based rules take the video's real
frame rate as an exact ``Fraction`` (``30000/1001`` stays exact).

How :func:`segment` works, in four passes (each O(n x words per cue)):

1. **Words.** Each ``Word`` (one 어절 for Korean) becomes one token; an utterance without words
   (a machine translation) is split on whitespace and its span shared out by character count, spaces
   included (a span too short for its reading time reaches into the silence after it, up to the next
   utterance).
   Times are made monotonic (``start = max(start, previous start)``, ``end >= start``); a token
   wider than a line is hard-split by characters.
2. **Cutting.** A dynamic programme over each stretch between long pauses picks cue boundaries:
   every cue must fit the layout and ``max_duration_ms``; cuts after sentence ends, clause ends and
   long pauses are cheap, tiny orphans and half-empty cues are dear, and a cue that lacks reading time or
   minimum duration before the next word's onset is dearest (a hard error where a better cut exists).
3. **Merging.** A cue that cannot get its minimum duration or reading time before the next cue
   starts is merged with the neighbour that helps most, when the result still fits.
4. **Timing.** In-time on speech onset (up to ``max_lead_ms`` earlier for a cue that could not otherwise be
   read before the next one, ``max_reading_lead_ms`` as a last resort); out-time at speech end plus linger,
   stretched for minimum duration and reading speed, chained to the next cue when the gap is small, never
   closer than the minimum gap.

Where things live (import from ``streamkit.segment``; one concern per module):

* ``rules.py``: :class:`SegmentRules`, ``ENGLISH_RULES``, ``KOREAN_RULES``, ``DEFAULT_FPS``,
  :func:`frame_ms` (imports nothing of streamkit: :mod:`streamkit.languages` builds on it).
* ``breaks.py``: where a line or cue may break, as data (punctuation, Korean endings, English
  function words) and the cost of each break.
* ``layout.py``: :func:`display_width` and line layout (:func:`wrap_lines`).
* ``words.py``: pass 1 (words to tokens).
* ``cutting.py``: passes 2 and 3 (cutting, merging).
* ``timing.py``: :func:`segment` (pass 4, timing) and :func:`rules_for`.
"""

from __future__ import annotations

from .breaks import (
    AFTER_FUNCTION_WORD_COST,
    AVOIDED_BREAK_COST,
    BEFORE_CONJUNCTION_COST,
    CLAUSE_BREAK_COST,
    CLAUSE_END,
    CLOSERS,
    ENGLISH_AUXILIARIES,
    ENGLISH_BREAK_BEFORE,
    ENGLISH_DETERMINERS,
    ENGLISH_NEGATIONS,
    ENGLISH_SUBJECT_PRONOUNS,
    FORBIDDEN_BREAK_COST,
    KOREAN_BOUND_NOUNS,
    KOREAN_CLAUSE_ENDINGS,
    KOREAN_DETERMINERS,
    KOREAN_ENDING_BREAK_COST,
    KOREAN_PARTICLE_LOOKALIKES,
    LINE_BALANCE_WEIGHT,
    SENTENCE_BREAK_COST,
    SENTENCE_END,
)
from .cutting import (
    CUE_COST,
    CUT_COST,
    FILL_WEIGHT,
    ORPHAN_COST,
    ORPHAN_SHARE,
    PAUSE_BONUS,
    SHORT_CUE_COST,
    SPEED_WEIGHT,
    UTTERANCE_END_BONUS,
)
from .layout import display_width, wrap_lines
from .rules import BREAK_STYLES, DEFAULT_FPS, ENGLISH_RULES, KOREAN_RULES, SegmentRules, frame_ms
from .timing import rules_for, segment

__all__ = [
    "AFTER_FUNCTION_WORD_COST",
    "AVOIDED_BREAK_COST",
    "BEFORE_CONJUNCTION_COST",
    "BREAK_STYLES",
    "CLAUSE_BREAK_COST",
    "CLAUSE_END",
    "CLOSERS",
    "CUE_COST",
    "CUT_COST",
    "DEFAULT_FPS",
    "ENGLISH_AUXILIARIES",
    "ENGLISH_BREAK_BEFORE",
    "ENGLISH_DETERMINERS",
    "ENGLISH_NEGATIONS",
    "ENGLISH_RULES",
    "ENGLISH_SUBJECT_PRONOUNS",
    "FILL_WEIGHT",
    "FORBIDDEN_BREAK_COST",
    "KOREAN_BOUND_NOUNS",
    "KOREAN_CLAUSE_ENDINGS",
    "KOREAN_DETERMINERS",
    "KOREAN_ENDING_BREAK_COST",
    "KOREAN_PARTICLE_LOOKALIKES",
    "KOREAN_RULES",
    "LINE_BALANCE_WEIGHT",
    "ORPHAN_COST",
    "ORPHAN_SHARE",
    "PAUSE_BONUS",
    "SENTENCE_BREAK_COST",
    "SENTENCE_END",
    "SHORT_CUE_COST",
    "SPEED_WEIGHT",
    "UTTERANCE_END_BONUS",
    "SegmentRules",
    "display_width",
    "frame_ms",
    "rules_for",
    "segment",
    "wrap_lines",
]
