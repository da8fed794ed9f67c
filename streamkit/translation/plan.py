"""Re-translate an edited Korean track without losing the editor's English work.

After an editor corrects the Korean draft, only the sentences whose Korean changed need new
English, and every English cue the editor already corrected must survive. Both questions need to
know what streamkit itself wrote, so every English draft streamkit writes leaves a
:class:`DraftRecord` (``.streamkit/drafts/NAME.en.srt.json`` beside it): the Korean cues it was
translated from and the English cues as the machine wrote them.

:func:`plan_retranslation` is the pure core:

1. The record's Korean and the edited Korean are joined into sentences
   (:func:`streamkit.translation.sentences.join_sentences`) and diffed by text: equal sentences are
   unchanged, the rest form *regions* (original sentences -> edited sentences).
2. Each machine English cue belongs to the original sentences its time overlaps (English is laid
   over the span of the Korean it renders). A region grows until no machine cue straddles its edge.
3. The draft English is diffed against the machine English by text (after removing a uniform time
   shift, so ``streamkit shift`` is not mistaken for editing): a draft cue whose wording or timing
   differs, and a machine cue the editor deleted, are *human*.
4. A region with no human cue is re-translated: its draft cues are replaced by the new English of
   its edited sentences. A region with a human cue keeps the draft cues as they are and is reported
   as a conflict to review. Everything outside the regions is kept byte for byte.
"""

from __future__ import annotations

import difflib
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import SubtitleTrack
from .drafts import DraftRecord
from .drafts import machine_text as _norm
from .sentences import Sentence, join_sentences, transcript_from_track

__all__ = ["Region", "RetranslationPlan", "plan_retranslation"]

#: Timing differences up to this many ms (after removing the uniform shift) are not edits.
TIMING_TOLERANCE_MS = 40


def _squash(text: str) -> str:
    return "".join(text.split())


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return min(a1, b1) - max(a0, b0)


def _sentence_range(start: int, end: int, sentences: Sequence[Sentence]) -> tuple[int, int] | None:
    """Indices (first, last) of the sentences a span overlaps; the nearest one when it overlaps none."""
    if not sentences:
        return None
    hit = [i for i, s in enumerate(sentences) if _overlap(start, max(end, start + 1), s.start_ms, s.end_ms) > 0]
    if hit:
        return hit[0], hit[-1]
    mid = (start + end) // 2

    def distance(i: int) -> int:
        s = sentences[i]
        return 0 if s.start_ms <= mid <= s.end_ms else min(abs(mid - s.start_ms), abs(mid - s.end_ms))

    nearest = min(range(len(sentences)), key=distance)
    return nearest, nearest


@dataclass(frozen=True, slots=True)
class Region:
    """Original sentences ``[o_lo, o_hi)`` became edited sentences ``[e_lo, e_hi)``."""

    o_lo: int
    o_hi: int
    e_lo: int
    e_hi: int
    #: Draft cue indices (0-based) that render the original sentences.
    draft: tuple[int, ...] = ()
    #: Draft cue indices among ``draft`` that hold an editor's work.
    human: tuple[int, ...] = ()
    #: An editor changed this region's English (a cue's wording or timing, or deleted a cue): the
    #: draft's cues are kept and the region is reported for review instead of re-translated.
    conflict: bool = False


@dataclass(frozen=True, slots=True)
class RetranslationPlan:
    """What changed: the regions to re-translate, and the draft cues that are the editor's."""

    original: tuple[Sentence, ...]
    edited: tuple[Sentence, ...]
    regions: tuple[Region, ...]
    #: Per draft cue: True when an editor changed its wording or timing (or it is not the machine's).
    human: tuple[bool, ...]
    #: The uniform time shift between the machine English and the draft (ms, draft - machine).
    shift_ms: int = 0
    #: Machine cues the editor deleted (indices into the record's English).
    deleted: tuple[int, ...] = ()

    @property
    def changed_sentences(self) -> list[Sentence]:
        return [self.edited[j] for r in self.regions if not r.conflict for j in range(r.e_lo, r.e_hi)]


def _human_cues(
    machine: SubtitleTrack, texts: Sequence[str | None], draft: SubtitleTrack
) -> tuple[list[bool], list[int], int, dict[int, int]]:
    """Which draft cues an editor touched, which machine cues they deleted, the shift, and draft -> machine."""
    sentinel = [f"\x00human-{i}" if t is None else t for i, t in enumerate(texts)]
    draft_texts = [_norm(c) for c in draft.cues]
    matcher = difflib.SequenceMatcher(None, sentinel, draft_texts, autojunk=False)
    pairs: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs[block.b + k] = block.a + k
    diffs = [draft.cues[j].start_ms - machine.cues[i].start_ms for j, i in pairs.items()]
    shift = int(statistics.median(diffs)) if diffs else 0
    human = [True] * len(draft.cues)
    for j, i in pairs.items():
        d, m = draft.cues[j], machine.cues[i]
        moved = max(abs(d.start_ms - shift - m.start_ms), abs(d.end_ms - shift - m.end_ms))
        human[j] = moved > TIMING_TOLERANCE_MS
    matched = set(pairs.values())
    deleted = [i for i in range(len(machine.cues)) if i not in matched]
    return human, deleted, shift, pairs


#: Two sentences this similar (difflib ratio) are one sentence the editor corrected, not two.
SAME_SENTENCE_RATIO = 0.5


def _refine(original: Sequence[str], edited: Sequence[str], i1: int, i2: int, j1: int, j2: int,
            out: list[tuple[int, int, int, int]]) -> None:
    """Split a replaced block into corrected sentences (1:1), deletions and insertions."""
    if i1 == i2 or j1 == j2:
        out.append((i1, i2, j1, j2))
        return
    best, where = SAME_SENTENCE_RATIO, None
    for i in range(i1, i2):
        for j in range(j1, j2):
            ratio = difflib.SequenceMatcher(None, original[i], edited[j], autojunk=False).ratio()
            if ratio > best:
                best, where = ratio, (i, j)
    if where is None:
        out.append((i1, i2, j1, j2))
        return
    i, j = where
    if i > i1 or j > j1:
        _refine(original, edited, i1, i, j1, j, out)
    out.append((i, i + 1, j, j + 1))
    if i + 1 < i2 or j + 1 < j2:
        _refine(original, edited, i + 1, i2, j + 1, j2, out)


def _sentence_diff(
    original: Sequence[Sentence], edited: Sequence[Sentence]
) -> tuple[dict[int, int], list[tuple[int, int, int, int]]]:
    """Unchanged sentences (original index -> edited index) and the changed chunks, in order.

    A chunk is ``(o_lo, o_hi, e_lo, e_hi)``: one corrected sentence (1:1), sentences the editor
    deleted (``e_lo == e_hi``) or added (``o_lo == o_hi``), or a block rewritten beyond recognition.
    """
    a = [_squash(s.text) for s in original]
    b = [_squash(s.text) for s in edited]
    equal_to: dict[int, int] = {}
    chunks: list[tuple[int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            equal_to.update({i1 + k: j1 + k for k in range(i2 - i1)})
        elif max(i2 - i1, j2 - j1) <= 40:
            _refine(a, b, i1, i2, j1, j2, chunks)
        else:  # a rewrite this large is taken as one block (the pairwise search is quadratic)
            chunks.append((i1, i2, j1, j2))
    return equal_to, chunks


def plan_retranslation(record: DraftRecord, edited_korean: SubtitleTrack, draft: SubtitleTrack) -> RetranslationPlan:
    """Compare the edited Korean with the record's and the draft English with the machine's."""
    original = tuple(join_sentences(transcript_from_track(record.korean, language="ko")))
    edited = tuple(join_sentences(transcript_from_track(edited_korean, language="ko")))
    human, deleted, shift, pairs = _human_cues(record.english, record.machine, draft)

    # Which original sentences each machine cue renders (by time), and each draft cue.
    machine_range = [_sentence_range(c.start_ms, c.end_ms, original) for c in record.english.cues]
    draft_range: list[tuple[int, int] | None] = []
    for j, c in enumerate(draft.cues):
        if j in pairs and not human[j]:
            draft_range.append(machine_range[pairs[j]])
        else:
            draft_range.append(_sentence_range(c.start_ms - shift, c.end_ms - shift, original))

    equal_to, chunks = _sentence_diff(original, edited)

    # Grow each region until no machine cue straddles its edge (its English renders sentences on
    # both sides, so all of them are re-translated together), merging regions that come to overlap.
    ranges = [r for r in machine_range if r is not None]
    spans = [list(c) for c in chunks]
    while True:
        grown = False
        for span in spans:
            lo, hi = span[0], span[1]
            for a, b in ranges:
                touches = (a < hi and b >= lo) if hi > lo else (a < lo <= b)
                if touches and (a < lo or b + 1 > hi):
                    lo, hi = min(lo, a), max(hi, b + 1)
            if (lo, hi) != (span[0], span[1]):
                images = [equal_to[i] for i in range(lo, hi) if i in equal_to]
                span[:] = [lo, hi, min([span[2], *images]), max([span[3], *(k + 1 for k in images)])]
                grown = True
        spans.sort()
        merged: list[list[int]] = []
        for span in spans:
            last = merged[-1] if merged else None
            if last is not None and ((span[0] < last[1] and last[0] < span[1]) or span[2] < last[3]):
                last[:] = [min(last[0], span[0]), max(last[1], span[1]), min(last[2], span[2]),
                           max(last[3], span[3])]
            else:
                merged.append(span)
        if not grown and len(merged) == len(spans):
            break
        spans = merged

    def within(r: tuple[int, int] | None, lo: int, hi: int) -> bool:
        return r is not None and hi > lo and r[0] < hi and r[1] >= lo

    regions: list[Region] = []
    for lo, hi, e_lo, e_hi in spans:
        inside = tuple(j for j, r in enumerate(draft_range) if within(r, lo, hi))
        touched = tuple(j for j in inside if human[j])
        # A machine cue of this region that the editor deleted is an edit too.
        gone = any(within(machine_range[i], lo, hi) for i in deleted)
        regions.append(Region(lo, hi, e_lo, e_hi, draft=inside, human=touched, conflict=bool(touched) or gone))
    return RetranslationPlan(original, edited, tuple(regions), tuple(human), shift, tuple(deleted))
