"""Applying a :class:`~streamkit.translation.plan.RetranslationPlan`: new English spliced into the draft.

A region with no human cue is re-translated: its draft cues are replaced by the new English of its
edited sentences, cut by the target's rules and fitted between the cues kept. Everything outside
the regions is kept byte for byte; the report (:class:`CueChange`) says what happened where.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from ..models import Cue, SubtitleTrack, Transcript, Utterance
from ..segment import DEFAULT_FPS, SegmentRules, frame_ms, rules_for, segment
from .drafts import DraftRecord
from .drafts import machine_text as _norm
from .plan import Region, RetranslationPlan, plan_retranslation

__all__ = ["CueChange", "Retranslation", "apply_plan", "retranslate_track"]


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


@dataclass(frozen=True, slots=True)
class _Placing:
    """Where new cues may go: the draft cues kept (in time order) and the minimum gap around them."""

    kept: list[tuple[int, Cue]]
    starts: list[int]
    gap: int

    def fit(self, cue: Cue) -> Cue | None:
        k = bisect.bisect_right(self.starts, cue.start_ms)  # kept[:k] start at or before this cue
        lo = self.kept[k - 1][1].end_ms + self.gap if k else 0
        hi = self.kept[k][1].start_ms - self.gap if k < len(self.kept) else cue.end_ms
        return _fit(cue, lo, hi)


def _region_cues(plan: RetranslationPlan, todo: list[Region], english: list[str], draft: SubtitleTrack,
                 placing: _Placing, rules: SegmentRules, fps: Fraction | None,
                 duration_ms: int) -> tuple[list[tuple[Region, Cue]], list[str]]:
    """Each region's new English cut into cues and fitted between the kept cues; what found no room."""
    answers = iter(english)
    new_cues: list[tuple[Region, Cue]] = []
    dropped: list[str] = []
    language = draft.language if draft.language not in ("und", "") else "en"  # the draft's (ja, th ...)
    for region in todo:
        pairs = [(plan.edited[j], next(answers)) for j in range(region.e_lo, region.e_hi)]
        utterances = [Utterance(s.start_ms, s.end_ms, text) for s, text in pairs if text.strip()]
        if not utterances:
            continue
        end = max(u.end_ms for u in utterances)
        track = segment(Transcript(language, tuple(utterances), max(duration_ms, end)), rules, fps)
        for cue in track.cues:
            fitted = placing.fit(cue)
            if fitted is None:
                dropped.append(cue.text)
            else:
                new_cues.append((region, fitted))
    return new_cues, dropped


def _tidy(new_cues: list[tuple[Region, Cue]], gap: int, dropped: list[str]) -> list[tuple[Region, Cue]]:
    """The new cues of one region were cut together, so they never overlap each other; across
    regions they can only touch at a shared linger: trim the earlier one."""
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
    return tidy


@dataclass(frozen=True, slots=True)
class _Numbering:
    """The merged track's machine texts and cue numbers: new cues by region, kept cues by draft index."""

    machine: tuple[str | None, ...]
    new: dict[int, list[int]]
    draft: dict[int, int]


def _number(merged: list[tuple[int, Cue, Region | None]], human: tuple[bool, ...]) -> _Numbering:
    machine: list[str | None] = []
    new_numbers: dict[int, list[int]] = {}
    draft_numbers: dict[int, int] = {}
    for n, (j, cue, source) in enumerate(merged, start=1):
        if source is not None:
            new_numbers.setdefault(id(source), []).append(n)
            machine.append(_norm(cue))
        else:
            draft_numbers[j] = n
            machine.append(None if human[j] else _norm(cue))
    return _Numbering(tuple(machine), new_numbers, draft_numbers)


def _change(plan: RetranslationPlan, region: Region, out: SubtitleTrack, numbering: _Numbering) -> CueChange | None:
    """The report line of one region (None: nothing was there and nothing came)."""
    korean = " ".join(plan.edited[j].text for j in range(region.e_lo, region.e_hi))
    was = " ".join(plan.original[i].text for i in range(region.o_lo, region.o_hi))
    old = tuple(j + 1 for j in region.draft)
    start = (plan.edited[region.e_lo].start_ms if region.e_hi > region.e_lo
             else plan.original[region.o_lo].start_ms if region.o_hi > region.o_lo else 0)
    if region.conflict:
        return CueChange("kept-edit", tuple(j + 1 for j in region.human) or old,
                         tuple(numbering.draft[j] for j in region.draft if j in numbering.draft),
                         start, korean, original=was)
    numbers = tuple(numbering.new.get(id(region), ()))
    if not old and not numbers:
        return None
    text = " / ".join(out.cues[n - 1].text.replace("\n", " ") for n in numbers)
    action = "retranslated" if old and numbers else "added" if numbers else "removed"
    return CueChange(action, old, numbers, start, korean, text, original=was)


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
    english = translate([s.text for s in sentences]) if sentences else []

    replaced = {j for r in todo for j in r.draft}
    kept = [(j, c) for j, c in enumerate(draft.cues) if j not in replaced]
    # a track's cues are in time order
    placing = _Placing(kept, [c.start_ms for _, c in kept], frame_ms(rules.min_gap_frames, fps or DEFAULT_FPS))
    new_cues, dropped = _region_cues(plan, todo, english, draft, placing, rules, fps, duration_ms)
    tidy = _tidy(new_cues, placing.gap, dropped)

    merged: list[tuple[int, Cue, Region | None]] = [(j, c, None) for j, c in kept]
    merged += [(-1, c, r) for r, c in tidy]
    merged.sort(key=lambda x: (x[1].start_ms, x[1].end_ms))
    out = SubtitleTrack(language=draft.language if draft.language != "und" else "en",
                        cues=tuple(c for _, c, _ in merged), title=draft.title)
    numbering = _number(merged, plan.human)
    changes = [c for c in (_change(plan, r, out, numbering) for r in plan.regions) if c is not None]
    return Retranslation(out, tuple(changes), numbering.machine, plan, tuple(dropped))


def retranslate_track(
    record: DraftRecord, edited: SubtitleTrack, draft: SubtitleTrack,
    translate: Callable[[list[str]], list[str]], *, fps: Fraction | None = None,
) -> Retranslation:
    """Plan and apply with the English rules: what ``streamkit retranslate`` and the review page both run."""
    plan = plan_retranslation(record, edited, draft)
    return apply_plan(plan, draft, translate, rules=rules_for("en"), fps=fps or record.fps,
                      duration_ms=max((c.end_ms for c in edited.cues), default=0))
