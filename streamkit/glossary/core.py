"""The :class:`Glossary`: loaded entries and everything that applies them (recognition hints, Korean
normalization, English enforcement, reports and learning)."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import TypeVar

from ..models import SubtitleTrack, Transcript, Utterance, Word
from .echo import _echo_filter, _squash_punct
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
    _shouting,
    _target_for,
    _titled_mid_sentence,
)
from .entries import GROUP_KINDS, NAME_KINDS, Entry, GlossaryMatch, GlossaryReport, MissingName, NameCount, Proposal
from .korean import _CLAUSE_END, _KoForm, _KoHit, _tail_ok
from .learn import _pair_cues, _replacements, _spans
from .text import _en_norm, _final, _has_hangul, _squash, _syllables, _word_char

log = logging.getLogger("streamkit")
_T = TypeVar("_T")

# --------------------------------------------------------------------------- the glossary


class Glossary:
    """Loaded, validated glossary entries and everything that applies them (see the package doc)."""

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

    def _decide(self, hit: _EnHit, named: dict[str, int], active: set[str]) -> tuple[str, str, str] | None:
        """What to do with a window: ("keep"|"rewrite"|"pending", target, entry id), or None to try shorter."""
        tier1 = [f for f in hit.forms if f.entry.id in named]
        if not tier1 and any(f.correct and f.text == hit.text for f in hit.forms):
            return ("keep", hit.text, "")
        upper = any(c.isupper() for c in hit.text)
        tier2 = [f for f in hit.forms if self._group_keys(f.entry) & active
                 and (upper or not _form_needs_context(f, hit.text, hit.common))]
        tier3 = [f for f in hit.forms if not _form_needs_context(f, hit.text, hit.common)]
        tier = tier1 or tier2 or tier3
        if not tier:
            return None
        targets = {_target_for(hit.text, [f for f in tier if f.entry.id == entry_id])
                   for entry_id in {f.entry.id for f in tier}}
        if len(targets) != 1:
            return ("keep", hit.text, "") if hit.text in targets else None
        target = targets.pop()
        if target == hit.text:
            return ("keep", target, "")
        if tier is tier1 and all(_form_needs_context(f, hit.text, hit.common) for f in tier):
            return ("pending", target, tier[0].entry.id)
        return ("rewrite", target, "")

    def _enforce(self, text: str, named: dict[str, int], korean_groups: frozenset[str]) -> str:
        scan = self._scan_en(text)
        if not scan:
            return text
        active = set(korean_groups)
        active |= self._active([f.entry for f in forms] for _, forms in self._walk(scan, self._sure))
        decisions = self._walk(scan, lambda h: self._decide(h, named, active))
        exact: Counter[str] = Counter()
        for hit, (action, _target, _eid) in decisions:
            if action == "keep":
                for entry_id in {f.entry.id for f in hit.forms if hit.text in f.entry.english_forms}:
                    exact[entry_id] += 1
        plans = [(hit, target) for hit, (action, target, _) in decisions if action == "rewrite"]
        pending = sorted(((not any(c.isupper() for c in hit.text), hit.start), hit, target, eid)
                         for hit, (action, target, eid) in decisions if action == "pending")
        quota = {eid: count - exact[eid] for eid, count in named.items()}
        for _priority, hit, target, eid in pending:
            if quota.get(eid, 0) > 0:
                quota[eid] -= 1
                plans.append((hit, target))
        for hit, target in sorted(plans, key=lambda p: -p[0].start):
            text = text[:hit.start] + target + text[hit.end:]
        return text

    def _fixpoint(self, text: str, named: dict[str, int], groups: frozenset[str]) -> str:
        for _ in range(4):
            again = self._enforce(text, named, groups)
            if again == text:
                break
            text = again
        return text

    def enforce_english(self, text: str) -> str:
        """Aliases, case and spacing -> the official English form; idempotent.

        Without a Korean source, names that are also ordinary words ("Twice", "army", "rose") are
        left alone unless their group is named in the same text (``BLACKPINK's Rose`` -> ``Rosé``).
        Never touches part of a word (``Onceler``, ``armyworm``), hashtags, handles or links.
        """
        return self._fixpoint(text, {}, frozenset())

    def enforce_english_for(self, english: str, korean_source: str, *, context: str = "") -> str:
        """Like :meth:`enforce_english`, and names the Korean source says are rewritten even when they
        are ordinary words: ``트와이스`` said once makes one "Twice" (capitalised ones first) ``TWICE``.

        A member name several groups share is resolved by the group named in ``korean_source`` or
        ``context`` (the recording's whole transcript); without one, the English is left as it is.
        """
        named: Counter[str] = Counter()
        resolved, active = self._resolve_ko(korean_source, context, True)
        for hit, ranked, decided in resolved:
            entries = [ranked[0][0]] if decided else [e for e, _ in ranked]
            if hit.form.common:  # an ordinary word (모아, 마이) counts only with its group named, or as a term
                entries = [e for e in entries if e.kind == "term" or self._group_keys(e) & active]
            for e in entries:
                named[e.id] += 1
        return self._fixpoint(english, dict(named), frozenset(active))

    def find_english(self, text: str) -> list[GlossaryMatch]:
        """Names in an English text that are certainly names (not ordinary words), with the entry meant."""
        out: list[GlossaryMatch] = []
        exact = not _shouting(text)
        for hit, forms in self._walk(self._scan_en(text), lambda h: self._sure(h, exact_common=exact)):
            ranked = sorted({f.entry.id: f.entry for f in forms}.values(), key=lambda e: self._rank[e.id])
            out.append(GlossaryMatch(hit.start, hit.end, hit.text, ranked[0], tuple(ranked[1:]),
                                     ranked[0].canonical_ko))
        return out

    def _mentions(self, entry: Entry, english: str) -> bool:
        """Any form of ``entry`` (right or wrong, ordinary word or not) appears in ``english``."""
        return any(f.entry.id == entry.id for alts in self._scan_en(english) for h in alts for f in h.forms)

    # ------------------------------------------------------------------ recognition

    def hints_for(self, context: str = "", *, limit: int = 30) -> list[Entry]:
        """Names to bias recognition toward for one recording, never the whole list.

        Producer files' names first, then names found in ``context`` (the recording's title and
        metadata, or a first-pass transcript), then the acts they belong to and those acts' members.
        """
        chosen: dict[str, Entry] = {}

        def add(entry: Entry) -> None:
            if len(chosen) < limit and entry.kind != "term":
                chosen.setdefault(entry.id, entry)

        for e in self.entries:
            if e.id in self.producer_ids:
                add(e)
        found: list[Entry] = []
        if context:
            found += [e for m in self.find_korean(context, uncertain=True) for e in (m.entry, *m.alternatives)]
            found += [m.entry for m in self.find_english(context)]
        for e in found:
            add(e)
        for e in list(found):
            for key in sorted(self._group_keys(e), key=lambda k: self._rank.get(k, (2, 0))):
                act = self.by_id.get(key)
                if act is not None:
                    add(act)
                for member in self._members.get(key, ()):
                    add(member)
        return list(chosen.values())

    def hotwords(self, entries: Sequence[Entry], *, max_chars: int = 120) -> str:
        """faster-whisper's ``hotwords=``: the canonical Hangul of ``entries``, space separated, short."""
        words: list[str] = []
        size = 0
        for e in entries:
            word = e.canonical_ko
            if word in words:
                continue
            if size + len(word) + (1 if words else 0) > max_chars:
                break
            size += len(word) + (1 if words else 0)
            words.append(word)
        return " ".join(words)

    def drop_echoed_hints(self, transcript: Transcript, hints: str) -> Transcript:
        """Remove what only echoes the hint/prompt text: the prompt itself, or a run of hint names.

        An utterance goes when its text is the prompt (or a piece of it of 6+ characters), when it
        is nothing but 3+ hint names, or 2 in the prompt's order, or one with Whisper's no-speech
        probability over 0.6. A run of 3+ consecutive hint names at the start or end of an otherwise
        real utterance is cut off. Names said with particles (``지민아``) are speech, not echo.
        """
        hint_tokens = [_squash_punct(t) for t in re.split(r"[\s,、]+", hints) if _squash_punct(t)]
        if not hint_tokens:
            return transcript
        hint_core = "".join(hint_tokens)
        hint_set = set(hint_tokens)
        kept: list[Utterance] = []
        changed = False
        for u in transcript.utterances:
            result = _echo_filter(u, hint_core, hint_set, hint_tokens)
            if result is not u:
                changed = True
                if result is not None:
                    log.debug("glossary: trimmed echoed hint names from %r", u.text)
                else:
                    log.debug("glossary: dropped echoed hint text %r", u.text)
            if result is not None:
                kept.append(result)
        if not changed:
            return transcript
        return dataclasses.replace(transcript, utterances=tuple(kept))

    # ------------------------------------------------------------------ reports and learning

    def report(self, korean: SubtitleTrack | Transcript, english: SubtitleTrack | Transcript | None) -> GlossaryReport:
        """Names found in the Korean; names with no form in the English shown at the same time (±1 s)."""
        ko_spans = _spans(korean)
        en_spans = _spans(english) if english is not None else []
        context = " ".join(t for _, _, t in ko_spans)
        counts: Counter[str] = Counter()
        first: dict[str, int] = {}
        missing: list[MissingName] = []
        fixable: list[tuple[int, str, str]] = []
        for start, end, text in ko_spans:
            english_text = " ".join(t for s, e, t in en_spans if s < end + 1000 and e > start - 1000)
            for m in self.find_korean(text, context=context, uncertain=True):
                if m.entry.kind not in NAME_KINDS:
                    continue
                counts[m.entry.id] += 1
                first.setdefault(m.entry.id, start)
                if english is not None and not any(self._mentions(e, english_text)
                                                   for e in (m.entry, *m.alternatives)):
                    missing.append(MissingName(m.entry, start, end, text, english_text))
        for start, end, text in en_spans:
            korean_text = " ".join(t for s, e, t in ko_spans if s < end and e > start)
            fixed = self.enforce_english_for(text, korean_text, context=context)
            if fixed != text:
                fixable.append((start, text, fixed))
        found = tuple(sorted((NameCount(self.by_id[i], c, first[i]) for i, c in counts.items()),
                             key=lambda n: (n.first_ms, n.entry.id)))
        return GlossaryReport(found, tuple(missing), tuple(fixable))

    def learn(self, draft: SubtitleTrack, corrected: SubtitleTrack) -> list[Proposal]:
        """Propose entries from what editors changed between a draft and its corrected version."""
        seen: dict[tuple[str, str], list[str]] = defaultdict(list)
        for before, after in _pair_cues(draft, corrected):
            for old, new, at_start in _replacements(before, after):
                if at_start and not _has_hangul(new) and new[1:] == new[1:].lower() and " " not in new:
                    continue  # a capital at the start of a cue proves nothing
                seen[(old, new)].append(after)
        proposals: dict[tuple[str | None, str], Proposal] = {}
        for (old, new), examples in seen.items():
            proposal = self._propose(old, new, examples)
            if proposal is None:
                continue
            key = (proposal.entry.id if proposal.entry else None, proposal.english if not proposal.korean
                   else proposal.korean[0])
            prior = proposals.get(key)
            if prior is not None:
                proposal = dataclasses.replace(
                    prior,
                    korean=tuple(dict.fromkeys(prior.korean + proposal.korean)),
                    aliases_en=tuple(dict.fromkeys(prior.aliases_en + proposal.aliases_en)),
                    count=prior.count + proposal.count,
                    examples=(prior.examples + proposal.examples)[:3],
                )
            proposals[key] = proposal
        return sorted(proposals.values(), key=lambda p: (-p.count, p.english, p.korean))

    def _propose(self, old: str, new: str, examples: list[str]) -> Proposal | None:
        count = len(examples)
        sample = tuple(examples[:3])
        if _has_hangul(new):
            if self.normalize_korean(old) == new:
                return None  # the glossary already does it
            existing = [m for m in self.find_korean(new, common=True, uncertain=True)
                        if m.start == 0 and m.end == len(new)]
            if existing:
                entry = existing[0].entry
                if _squash(old) in {_squash(k) for k in entry.korean}:
                    return None
                return Proposal(entry, (*entry.korean, old), entry.english, entry.aliases_en, count, sample)
            if count < 2:
                return None  # a one-off Korean correction is more likely a mishearing than a name
            return Proposal(None, (new, old), "", (), count, sample)
        if not any(c.isupper() for c in new) or _has_hangul(old):
            return None
        if self.enforce_english(old) == new:
            return None
        for e in self.entries:
            if new in e.english_forms:
                if old in e.aliases_en:
                    return None
                return Proposal(e, e.korean, e.english, (*e.aliases_en, old), count, sample)
        return Proposal(None, (), new, (old,), count, sample)
