"""Korean normalization: names found in Korean text, resolved by the acts named around them, and
spelling and spacing variants rewritten to the canonical Hangul."""

from __future__ import annotations

import dataclasses

from ..models import Transcript, Word
from .entries import GROUP_KINDS, Entry, GlossaryMatch
from .index import GlossaryIndex
from .korean import _KoHit


class KoreanNames(GlossaryIndex):
    """Finding names in Korean and writing them the canonical way (see :class:`~streamkit.glossary.Glossary`)."""

    def _resolve_ko(
        self, text: str, context: str, common: bool
    ) -> tuple[list[tuple[_KoHit, list[tuple[Entry, str]], bool]], set[str]]:
        """Hits with the entries the context allows, best first (the bool: the context picked the first
        one), and the acts named without doubt in ``text`` and ``context``."""
        hits = self._scan_ko(text)
        active = set(self._context_groups(context))
        active |= self._active([e for e, _ in h.form.hits] for h in hits if not h.form.common)
        out: list[tuple[_KoHit, list[tuple[Entry, str]], bool]] = []
        for k, h in enumerate(hits):
            candidates = h.form.hits
            if h.form.common and not common:
                if h.clause_end:
                    # "뭐 하니?" is a verb; "뉴진스 하니" (the group right before) is still the name.
                    before = hits[k - 1] if k else None
                    if before is None or before.form.common or text[before.end:h.start].strip(" \t"):
                        continue
                    named = {g.id for g, _ in before.form.hits if g.kind in GROUP_KINDS}
                    candidates = [(e, r) for e, r in candidates if e.group in named]
                candidates = [(e, r) for e, r in candidates if self._group_keys(e) & active]
            if not candidates:
                continue
            preferred = [(e, r) for e, r in candidates if self._group_keys(e) & active]
            decided = bool(preferred) and len(preferred) < len(candidates)
            ranked = sorted(preferred or candidates, key=lambda er: self._rank[er[0].id])
            others = [c for c in candidates if c not in ranked]
            out.append((h, ranked + others, decided or len(candidates) == 1))
        return out, active

    def find_korean(
        self, text: str, *, context: str = "", common: bool = False, uncertain: bool = False
    ) -> list[GlossaryMatch]:
        """Names in a Korean text: whole words, particles allowed after, non-overlapping, longest first.

        A member name used by several groups is resolved by the group named in ``text`` or in
        ``context`` (the recording's title or whole transcript); ``alternatives`` keeps the others.
        When nothing decides between entries with *different* English forms (선우: Sunoo or Sunwoo),
        the match is left out, so name protection never writes the other group's spelling; with
        ``uncertain=True`` it is returned with its alternatives. Forms that are also ordinary words
        (``있지``, ``모아``, one-syllable names like ``진``) are only found when their group is named in
        the text or context, or with ``common=True``.
        """
        matches: list[GlossaryMatch] = []
        for hit, ranked, decided in self._resolve_ko(text, context, common)[0]:
            if not decided and not uncertain and len({e.english for e, _ in ranked}) > 1:
                continue
            entry, role = ranked[0]
            canonical = text[hit.start:hit.end] if role == "nickname" else entry.canonical_ko
            matches.append(GlossaryMatch(hit.start, hit.end, text[hit.start:hit.end], entry,
                                         tuple(e for e, _ in ranked[1:]), canonical))
        return matches

    def _ko_rewrites(self, text: str, context: str) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        for hit, ranked, decided in self._resolve_ko(text, context, False)[0]:
            # a spelling variant, or the canonical form spaced differently (방탄 소년단); nicknames stay as said
            targets = {None if r == "nickname" else e.canonical_ko for e, r in (ranked[:1] if decided else ranked)}
            entry, role = ranked[0]
            if role == "nickname" or len(targets) != 1:
                continue
            if text[hit.start:hit.end] != entry.canonical_ko:
                out.append((hit.start, hit.end, entry.canonical_ko))
        return out

    def normalize_korean(self, text: str, *, context: str = "") -> str:
        """Spelling and spacing variants -> the canonical Hangul (``방탄 소년단의`` -> ``방탄소년단의``)."""
        for start, end, canonical in reversed(self._ko_rewrites(text, context)):
            text = text[:start] + canonical + text[end:]
        return text

    def apply_korean(self, transcript: Transcript) -> Transcript:
        """Normalize every utterance's text and words; a variant spanning several words becomes one Word."""
        context = transcript.text
        utterances = []
        changed = False
        for u in transcript.utterances:
            text = self.normalize_korean(u.text, context=context)
            words = self._apply_words(u.words, context)
            if text != u.text or words != u.words:
                changed = True
                u = dataclasses.replace(u, text=text, words=words)
            utterances.append(u)
        if not changed:
            return transcript
        return dataclasses.replace(transcript, utterances=tuple(utterances))

    def _apply_words(self, words: tuple[Word, ...], context: str) -> tuple[Word, ...]:
        if not words:
            return words
        joined = ""
        spans: list[tuple[int, int]] = []
        for w in words:
            if joined:
                joined += " "
            spans.append((len(joined), len(joined) + len(w.text)))
            joined += w.text
        rewrites = self._ko_rewrites(joined, context)
        if not rewrites:
            return words
        out: list[Word] = []
        i = 0
        k = 0
        while i < len(words):
            if k < len(rewrites) and spans[i][0] <= rewrites[k][0] < spans[i][1] + 1:
                # gather every rewrite that starts in this run of words
                first = i
                last = i
                group: list[tuple[int, int, str]] = []
                while k < len(rewrites) and rewrites[k][0] < spans[last][1] + 1:
                    start, end, canonical = rewrites[k]
                    while spans[last][1] < end:
                        last += 1
                    group.append((start, end, canonical))
                    k += 1
                seg_start, seg_end = spans[first][0], spans[last][1]
                text = joined[seg_start:seg_end]
                for start, end, canonical in reversed(group):
                    text = text[: start - seg_start] + canonical + text[end - seg_start:]
                merged = words[first:last + 1]
                out.append(Word(merged[0].start_ms, max(w.end_ms for w in merged), text,
                                min(w.probability for w in merged)))
                i = last + 1
            else:
                out.append(words[i])
                i += 1
        return tuple(out)
