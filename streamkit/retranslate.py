"""Re-translate an edited Korean track without losing the editor's English work.

After an editor corrects the Korean draft, only the sentences whose Korean changed need new
English, and every English cue the editor already corrected must survive. Both questions need to
know what streamkit itself wrote, so every English draft streamkit writes leaves a
:class:`DraftRecord` (``.streamkit/drafts/NAME.en.srt.json`` beside it): the Korean cues it was
translated from and the English cues as the machine wrote them.

:func:`plan_retranslation` is the pure core:

1. The record's Korean and the edited Korean are joined into sentences
   (:func:`streamkit.textengines.join_sentences`) and diffed by text: equal sentences are
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

import bisect
import difflib
import json
import logging
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import StreamkitError
from .fsutil import atomic_write_text
from .models import Cue, SubtitleTrack, Transcript, Utterance
from .segment import DEFAULT_FPS, SegmentRules, frame_ms, rules_for, segment
from .textengines import Sentence, join_sentences, transcript_from_track
from .workspace import Workspace

log = logging.getLogger(__name__)

__all__ = [
    "CueChange",
    "DraftRecord",
    "Region",
    "RetranslationPlan",
    "apply_plan",
    "load_record",
    "plan_retranslation",
    "record_path",
    "retranslate_track",
    "save_record",
]

RECORD_VERSION = 1
#: Timing differences up to this many ms (after removing the uniform shift) are not edits.
TIMING_TOLERANCE_MS = 40


# --------------------------------------------------------------------------- the record


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """What streamkit wrote for one English draft.

    ``korean`` is the Korean track the English was made from; ``english`` the English cues as
    written, with ``machine[i]`` the machine's text for ``english.cues[i]``, or ``None`` where the
    cue holds an editor's text that a re-translation kept.
    """

    korean: SubtitleTrack
    english: SubtitleTrack
    machine: tuple[str | None, ...]
    engine: str = ""
    fps: Fraction | None = None

    def __post_init__(self) -> None:
        if len(self.machine) != len(self.english.cues):
            raise ValueError("DraftRecord: one machine text per English cue")

    @classmethod
    def of_machine(
        cls, korean: SubtitleTrack, english: SubtitleTrack, *, engine: str = "", fps: Fraction | None = None
    ) -> DraftRecord:
        """The record of a draft whose every English cue is the machine's own."""
        return cls(korean, english, tuple(_norm(c) for c in english.cues), engine=engine, fps=fps)


def record_path(english: Path) -> Path:
    """Where the record of the English draft ``english`` lives."""
    return Workspace(english.parent).draft_record(english.name)


def _cues_json(track: SubtitleTrack) -> list[list[object]]:
    return [[c.start_ms, c.end_ms, list(c.lines)] for c in track.cues]


def _track(language: str, rows: object) -> SubtitleTrack:
    if not isinstance(rows, list):
        raise ValueError("cues must be a list")
    cues = [Cue(int(r[0]), int(r[1]), tuple(str(x) for x in r[2])) for r in rows]
    return SubtitleTrack(language=language, cues=tuple(cues))


def save_record(
    english_path: Path,
    korean: SubtitleTrack,
    english: SubtitleTrack,
    *,
    engine: str,
    fps: Fraction | None = None,
    machine: Sequence[str | None] | None = None,
) -> None:
    """Record the draft just written to ``english_path``. Bookkeeping: a failure is only logged."""
    texts = list(machine) if machine is not None else list(DraftRecord.of_machine(korean, english).machine)
    data = {
        "version": RECORD_VERSION,
        "english_file": english_path.name,
        "engine": engine,
        "fps": str(fps) if fps is not None else None,
        "korean": _cues_json(korean),
        "english": _cues_json(english),
        "machine": texts,
    }
    target = record_path(english_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, json.dumps(data, ensure_ascii=False, indent=0))
    except (OSError, StreamkitError) as exc:
        log.warning("could not record the draft of %s (retranslate will need --ko-draft): %s", english_path, exc)


def load_record(english_path: Path) -> DraftRecord | None:
    """The record of ``english_path``, or ``None`` when there is none (or it cannot be read)."""
    path = record_path(english_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != RECORD_VERSION:
            return None
        fps = Fraction(data["fps"]) if data.get("fps") else None
        korean = _track("ko", data["korean"])
        english = _track("en", data["english"])
        machine = tuple(None if m is None else str(m) for m in data["machine"])
        return DraftRecord(korean, english, machine, engine=str(data.get("engine", "")), fps=fps)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError, ZeroDivisionError, AttributeError) as exc:
        log.warning("ignoring the unreadable draft record %s: %s", path, exc)
        return None


# --------------------------------------------------------------------------- planning


def _norm(cue: Cue) -> str:
    """A cue's wording for comparison: line breaks and spacing do not count."""
    return " ".join(" ".join(cue.lines).split())


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


# --------------------------------------------------------------------------- applying


@dataclass(frozen=True, slots=True)
class CueChange:
    """One line of the report: what happened to which cues."""

    #: ``retranslated``, ``added``, ``removed`` or ``kept-edit`` (a conflict to review).
    action: str
    #: Cue numbers (1-based) in the draft English that this change concerns.
    draft_cues: tuple[int, ...]
    #: Cue numbers (1-based) in the new English.
    new_cues: tuple[int, ...]
    start_ms: int
    #: The Korean as edited ("" when the editor deleted it) and as it was.
    korean: str
    english: str = ""
    original: str = ""


@dataclass(frozen=True, slots=True)
class Retranslation:
    """The new English track, the report, and the record to keep for the next round."""

    track: SubtitleTrack
    changes: tuple[CueChange, ...]
    machine: tuple[str | None, ...]
    plan: RetranslationPlan
    dropped: tuple[str, ...] = field(default=())

    @property
    def unchanged(self) -> int:
        """Draft cues carried over as they were."""
        replaced = {j for r in self.plan.regions if not r.conflict for j in r.draft}
        return len(self.plan.human) - len(replaced)


def _fit(cue: Cue, lo: int, hi: int) -> Cue | None:
    """``cue`` moved inside ``[lo, hi]`` (trimmed), or None when no time is left."""
    start, end = max(cue.start_ms, lo), min(cue.end_ms, hi)
    if end <= start:
        return None
    return Cue(start, end, cue.lines)


def apply_plan(
    plan: RetranslationPlan,
    draft: SubtitleTrack,
    translate: Callable[[list[str]], list[str]],
    *,
    rules: SegmentRules | None = None,
    fps: Fraction | None = None,
    duration_ms: int = 0,
) -> Retranslation:
    """Translate the changed sentences with ``translate`` and splice them into ``draft``."""
    rules = rules or rules_for("en")
    todo = [r for r in plan.regions if not r.conflict]
    sentences = [plan.edited[j] for r in todo for j in range(r.e_lo, r.e_hi)]
    english = iter(translate([s.text for s in sentences]) if sentences else [])

    replaced = {j for r in todo for j in r.draft}
    kept = [(j, c) for j, c in enumerate(draft.cues) if j not in replaced]
    kept_starts = [c.start_ms for _, c in kept]  # a track's cues are in time order
    gap = frame_ms(rules.min_gap_frames, fps or DEFAULT_FPS)

    new_cues: list[tuple[Region, Cue]] = []
    dropped: list[str] = []
    for region in todo:
        pairs = [(plan.edited[j], next(english)) for j in range(region.e_lo, region.e_hi)]
        utterances = [Utterance(s.start_ms, s.end_ms, text) for s, text in pairs if text.strip()]
        if not utterances:
            continue
        end = max(u.end_ms for u in utterances)
        language = draft.language if draft.language not in ("und", "") else "en"  # the draft's (ja, th ...)
        track = segment(Transcript(language, tuple(utterances), max(duration_ms, end)), rules, fps)
        for cue in track.cues:
            k = bisect.bisect_right(kept_starts, cue.start_ms)  # kept[:k] start at or before this cue
            lo = kept[k - 1][1].end_ms + gap if k else 0
            hi = kept[k][1].start_ms - gap if k < len(kept) else cue.end_ms
            fitted = _fit(cue, lo, hi)
            if fitted is None:
                dropped.append(cue.text)
                continue
            new_cues.append((region, fitted))

    # The new cues of one region were cut together, so they never overlap each other; across
    # regions they can only touch at a shared linger: trim the earlier one.
    new_cues.sort(key=lambda rc: rc[1].start_ms)
    tidy: list[tuple[Region, Cue]] = []
    for region, cue in new_cues:
        if tidy and tidy[-1][1].end_ms + gap > cue.start_ms:
            prev_region, prev = tidy[-1]
            fitted = _fit(prev, prev.start_ms, cue.start_ms - gap)
            if fitted is None:
                dropped.append(prev.text)
                tidy.pop()
            else:
                tidy[-1] = (prev_region, fitted)
        tidy.append((region, cue))

    merged: list[tuple[int, Cue, Region | None]] = [(j, c, None) for j, c in kept]
    merged += [(-1, c, r) for r, c in tidy]
    merged.sort(key=lambda x: (x[1].start_ms, x[1].end_ms))
    out = SubtitleTrack(language=draft.language if draft.language != "und" else "en",
                        cues=tuple(c for _, c, _ in merged), title=draft.title)

    machine: list[str | None] = []
    new_numbers: dict[int, list[int]] = {}
    draft_numbers: dict[int, int] = {}
    for n, (j, cue, source) in enumerate(merged, start=1):
        if source is not None:
            new_numbers.setdefault(id(source), []).append(n)
            machine.append(_norm(cue))
        else:
            draft_numbers[j] = n
            machine.append(None if plan.human[j] else _norm(cue))

    changes: list[CueChange] = []
    for region in plan.regions:
        korean = " ".join(plan.edited[j].text for j in range(region.e_lo, region.e_hi))
        was = " ".join(plan.original[i].text for i in range(region.o_lo, region.o_hi))
        old = tuple(j + 1 for j in region.draft)
        start = (plan.edited[region.e_lo].start_ms if region.e_hi > region.e_lo
                 else plan.original[region.o_lo].start_ms if region.o_hi > region.o_lo else 0)
        if region.conflict:
            changes.append(CueChange("kept-edit", tuple(j + 1 for j in region.human) or old,
                                     tuple(draft_numbers[j] for j in region.draft if j in draft_numbers),
                                     start, korean, original=was))
            continue
        numbers = tuple(new_numbers.get(id(region), ()))
        if not old and not numbers:
            continue
        text = " / ".join(out.cues[n - 1].text.replace("\n", " ") for n in numbers)
        action = "retranslated" if old and numbers else "added" if numbers else "removed"
        changes.append(CueChange(action, old, numbers, start, korean, text, original=was))
    return Retranslation(out, tuple(changes), tuple(machine), plan, tuple(dropped))


def retranslate_track(
    record: DraftRecord, edited: SubtitleTrack, draft: SubtitleTrack,
    translate: Callable[[list[str]], list[str]], *, fps: Fraction | None = None,
) -> Retranslation:
    """Plan and apply with the English rules: what ``streamkit retranslate`` and the review page both run."""
    plan = plan_retranslation(record, edited, draft)
    return apply_plan(plan, draft, translate, rules=rules_for("en"), fps=fps or record.fps,
                      duration_ms=max((c.end_ms for c in edited.cues), default=0))
