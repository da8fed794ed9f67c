"""The glossary's entries indexed for finding names: group context, the Korean and the English scanners.

:class:`GlossaryIndex` holds the loaded entries and the two indexes built from them on first use;
:class:`~streamkit.glossary.normalize.KoreanNames`, :class:`~streamkit.glossary.enforce.EnglishNames`
and :class:`~streamkit.glossary.Glossary` build on it, one concern each.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import TypeVar

from .english import (
    _JOINERS,
    _MAX_GAP,
    _PLAIN_JOINERS,
    _TOKEN,
    _chunks,
    _edge,
    _EnForm,
    _EnHit,
    _form_needs_context,
    _free_split_ok,
    _marks,
    _offsets,
    _outer_ok,
    _phrase,
    _plain_caps,
    _titled_mid_sentence,
)
from .entries import GROUP_KINDS, Entry
from .korean import _CLAUSE_END, _KoForm, _KoHit, _tail_ok
from .text import _en_norm, _final, _squash, _syllables, _word_char

_T = TypeVar("_T")


class GlossaryIndex:
    """Loaded, validated glossary entries, the acts they belong to, and where their forms occur in a text."""

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        common_en: Iterable[str] = (),
        common_strict: Iterable[str] = (),
        common_ko: Iterable[str] = (),
        producer_ids: Iterable[str] = (),
        overrides: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        #: Ordinary English words and phrases that are also names, as normalised words joined by one space.
        self.common_en: frozenset[str] = frozenset(_phrase(w) for w in common_en)
        #: Ordinary phrases that stay ordinary even capitalised mid-sentence ("the Big Bang theory").
        self.common_strict: frozenset[str] = frozenset(_phrase(w) for w in common_strict)
        self.common_ko: frozenset[str] = frozenset(_squash(w) for w in common_ko)
        self.producer_ids: frozenset[str] = frozenset(producer_ids)
        #: ``(id, earlier source, later source)`` for each entry a later file replaced.
        self.overrides: tuple[tuple[str, str, str], ...] = tuple(overrides)
        self._rank = {e.id: (0 if e.id in self.producer_ids else 1, i) for i, e in enumerate(self.entries)}
        self._members: dict[str, list[Entry]] = defaultdict(list)
        for e in self.entries:
            if e.group is not None and e.kind == "member":
                self._members[e.group].append(e)
        self._context_cache: dict[str, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"Glossary({len(self.entries)} entries)"

    def members_of(self, group_id: str) -> list[Entry]:
        return list(self._members.get(group_id, ()))

    # ------------------------------------------------------------------ group context

    def _group_keys(self, entry: Entry) -> frozenset[str]:
        """The acts an entry belongs to: itself for an act, its group (and that group's parent) otherwise."""
        keys: set[str] = set()
        current: Entry | None = entry
        if entry.kind not in GROUP_KINDS:
            current = self.by_id.get(entry.group) if entry.group else None
            if current is None and entry.group:
                keys.add(entry.group)
        seen = 0
        while current is not None and seen < 4:
            keys.add(current.id)
            current = self.by_id.get(current.group) if current.group else None
            seen += 1
        return frozenset(keys)

    def _active(self, hits_entries: Iterable[Sequence[Entry]]) -> set[str]:
        """Acts named without doubt: each non-ambiguous match contributes the acts all its entries share."""
        active: set[str] = set()
        for entries in hits_entries:
            shared: frozenset[str] | None = None
            for e in entries:
                keys = self._group_keys(e)
                shared = keys if shared is None else shared & keys
            if shared:
                active |= shared
        return active

    def _context_groups(self, context: str) -> frozenset[str]:
        if not context:
            return frozenset()
        cached = self._context_cache.get(context)
        if cached is None:
            hits = self._scan_ko(context)
            groups = self._active([e for e, _ in h.form.hits] for h in hits if not h.form.common)
            groups |= self._active([f.entry for f in forms]
                                   for _, forms in self._walk(self._scan_en(context), self._sure))
            cached = frozenset(groups)
            if len(self._context_cache) > 16:
                self._context_cache.clear()
            self._context_cache[context] = cached
        return cached

    # ------------------------------------------------------------------ Korean

    def _ko_common(self, form: str) -> bool:
        """One Hangul syllable (진, 뷔, 키: inside too many ordinary sentences) or listed as an ordinary word."""
        squashed = _squash(form)
        return (len(squashed) == 1 and _syllables(squashed) == 1) or squashed in self.common_ko

    @cached_property
    def _ko_index(self) -> dict[str, list[_KoForm]]:
        forms: dict[str, _KoForm] = {}
        for e in self.entries:
            roles = [(k, "canonical" if i == 0 else "variant") for i, k in enumerate(e.korean)]
            roles += [(k, "nickname") for k in e.nicknames_ko]
            for text, role in roles:
                squashed = _squash(text).lower()
                if not squashed:
                    continue
                kf = forms.get(squashed)
                if kf is None:
                    kf = forms[squashed] = _KoForm(squashed, " ".join(text.lower().split()), self._ko_common(text))
                if all(h[0].id != e.id for h in kf.hits):
                    kf.hits.append((e, role))
                elif role == "canonical":
                    kf.hits = [(he, "canonical" if he.id == e.id else r) for he, r in kf.hits]
        index: dict[str, list[_KoForm]] = defaultdict(list)
        for kf in forms.values():
            index[kf.squashed[0]].append(kf)
        for bucket in index.values():
            bucket.sort(key=lambda f: -len(f.squashed))
        return dict(index)

    def _scan_ko(self, text: str) -> list[_KoHit]:
        """Every name form at a word start, followed by particles and a word end; longest first."""
        index = self._ko_index
        hits: list[_KoHit] = []
        pos, n = 0, len(text)
        while pos < n:
            bucket = index.get(text[pos].lower())
            if bucket is None or (pos > 0 and _word_char(text[pos - 1])):
                pos += 1
                continue
            for kf in bucket:
                end = kf.match(text, pos)
                if end <= pos:
                    continue
                if _tail_ok(text, end, _final(text[end - 1]), nominal=kf.common):
                    bare = end >= n or not _word_char(text[end])
                    hits.append(_KoHit(pos, end, kf, bare and _CLAUSE_END.match(text, end) is not None))
                    pos = end
                    break
            else:
                pos += 1
        return hits

    # ------------------------------------------------------------------ English

    @cached_property
    def _en_index(self) -> tuple[dict[str, list[_EnForm]], int]:
        index: dict[str, list[_EnForm]] = defaultdict(list)
        longest = 2
        for e in self.entries:
            seen: dict[tuple[str, str], int] = {}
            forms = [(t, t, True, False) for t in e.english_forms] + [(a, e.english, False, False)
                                                                       for a in e.aliases_en]
            if e.kind == "fandom":  # fans are greeted in the plural: "Hello CARATs", "ARMYs"
                forms += [(t + "s", target + "s", correct, True) for t, target, correct, _ in forms
                          if len(_chunks(t)) == 1 and t[-1:].isalpha() and t[-1:].lower() != "s"]
            for text, target, correct, plural in forms:
                parts = _chunks(text)
                if not parts:
                    continue
                key, splits = _offsets(parts)
                longest = max(longest, len(splits) + 1)
                bucket = index[key]
                if (key, target) in seen:  # "Black Pink" and "BLACKPINK": one form, both spacings
                    at = seen[(key, target)]
                    bucket[at] = dataclasses.replace(bucket[at], splits=bucket[at].splits | splits,
                                                     marks=bucket[at].marks | _marks(text),
                                                     listed=bucket[at].listed | ({text} if not correct else set()))
                    continue
                seen[(key, target)] = len(bucket)
                plain = _plain_caps(text)
                free = (correct and e.kind in ("member", "soloist", "guest") and len(parts) == 1
                        and plain and len(key) >= 4 and key.isalpha())
                bucket.append(_EnForm(
                    entry=e, text=text, target=target, key=key, splits=splits, marks=_marks(text), correct=correct,
                    listed=frozenset() if correct else frozenset({text}),
                    plain=plain, free_split=free,
                    prefix=_edge(target, lead=True), suffix=_edge(target, lead=False), plural=plural,
                ))
        return dict(index), longest

    def _scan_en(self, text: str) -> list[list[_EnHit]]:
        """For each word where a name may start, the windows of words that spell a form, longest first.

        Words are joined only where the form allows it: ``New Jeans`` (NewJeans), ``G-Idle`` ((G)I-DLE),
        never ``day 6`` (DAY6) or ``I'm`` (I.M). A window never starts or ends inside a word.
        """
        index, longest = self._en_index
        tokens = list(_TOKEN.finditer(text))
        norms = [_en_norm(t.group()) for t in tokens]
        out: list[list[_EnHit]] = []
        for i in range(len(tokens)):
            limit = 1
            while limit < longest and i + limit < len(tokens):
                gap = text[tokens[i + limit - 1].end():tokens[i + limit].start()]
                if not gap or len(gap) > _MAX_GAP or any(c not in _JOINERS for c in gap):
                    break
                limit += 1
            alternatives: list[_EnHit] = []
            for n in range(limit, 0, -1):
                key, cuts = _offsets(norms[i:i + n])
                forms = index.get(key)
                if not forms:
                    continue
                start, end = tokens[i].start(), tokens[i + n - 1].end()
                window = [t.group() for t in tokens[i:i + n]]
                gaps = [text[tokens[k].end():tokens[k + 1].start()] for k in range(i, i + n - 1)]
                special = {(cut, ch) for cut, gap in zip(sorted(cuts), gaps, strict=True)
                           for ch in gap if ch not in _PLAIN_JOINERS}
                fitting = [f for f in forms if (cuts <= f.splits and special <= f.marks)
                           or (not special and _free_split_ok(f, window, gaps))]
                if not fitting or not _outer_ok(text, start, end):
                    continue
                for f in fitting:
                    if f.prefix and text[max(0, start - len(f.prefix)):start] == f.prefix:
                        start -= len(f.prefix)
                        break
                for f in fitting:
                    if f.suffix and text[end:end + len(f.suffix)] == f.suffix:
                        end += len(f.suffix)
                        break
                said = text[start:end]
                phrase = " ".join(norms[i:i + n])
                common = phrase in self.common_strict or (
                    phrase in self.common_en and not (n > 1 and _titled_mid_sentence(text, window, start))) or (
                    n == 1 and phrase[:-1] in self.common_en and all(f.plural for f in fitting))
                alternatives.append(_EnHit(start, end, said, fitting, i, i + n, common))
            if alternatives:
                out.append(alternatives)
        return out

    @staticmethod
    def _walk(scan: list[list[_EnHit]], choose: Callable[[_EnHit], _T | None]) -> list[tuple[_EnHit, _T]]:
        """Left to right, at each word the longest window ``choose`` accepts; chosen windows never overlap."""
        chosen: list[tuple[_EnHit, _T]] = []
        free = 0
        for alternatives in scan:
            if alternatives[0].first < free:
                continue
            for hit in alternatives:
                result = choose(hit)
                if result is not None:
                    chosen.append((hit, result))
                    free = hit.last
                    break
        return chosen

    def _sure(self, hit: _EnHit, *, exact_common: bool = False) -> list[_EnForm] | None:
        """The forms that make this window certainly a name (no ordinary words); None if none.
        With ``exact_common``, an exact stylized form counts too ("TWICE" in a title not all in capitals)."""
        forms = [f for f in hit.forms if not _form_needs_context(f, hit.text, hit.common)]
        if not forms and exact_common:
            forms = [f for f in hit.forms if f.correct and f.text == hit.text and not f.plain]
        return forms or None
