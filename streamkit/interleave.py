"""Pieces decoded again put back among the kept utterances, in time order (:func:`interleave`)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from .models import Utterance
from .quality import keep_words


def _split_at(u: Utterance, cuts: Sequence[int]) -> list[Utterance]:
    """``u`` cut before each word index in ``cuts`` (sorted, 0 < i < len(u.words))."""
    bounds = [0, *cuts, len(u.words)]
    parts = (keep_words(u, range(a, b)) for a, b in itertools.pairwise(bounds))
    return [p for p in parts if p is not None]


def interleave(kept: Sequence[Utterance], found: Sequence[Utterance]) -> list[Utterance]:
    """``kept`` and ``found`` as one list in time order, their words in time order too.

    A piece found again lies where no kept word does, but it may lie inside a kept utterance: a
    batched segment runs on over the music and the turns between its words (conv-101: one segment
    from 115.6 to 140.8 s, three rescued turns at 120-129 s inside it). Sorted by start alone, the
    pieces came after the long segment's last word, and the cues they made were squeezed after it
    (25 characters in 0.5 s). So a kept utterance is cut at the gap between its words where each
    piece inside it falls (the gap it overlaps most; the nearest gap to its middle when it
    overlaps none).
    """
    cuts: dict[int, set[int]] = {}
    for piece in found:
        middle = (piece.start_ms + piece.end_ms) / 2
        for k, u in enumerate(kept):
            if len(u.words) < 2 or not u.words[0].start_ms < int(middle) < u.words[-1].end_ms:
                continue
            gaps = [(u.words[i - 1].end_ms, u.words[i].start_ms) for i in range(1, len(u.words))]
            best = max(range(len(gaps)), key=lambda i: (
                min(gaps[i][1], piece.end_ms) - max(gaps[i][0], piece.start_ms),
                -abs((gaps[i][0] + gaps[i][1]) / 2 - middle)))
            cuts.setdefault(k, set()).add(best + 1)
    pieces = [part for k, u in enumerate(kept) for part in (_split_at(u, sorted(cuts[k])) if k in cuts else [u])]
    return sorted([*pieces, *found], key=lambda u: (u.start_ms, u.end_ms))
