"""The :class:`Glossary`: recognition hints, reports and learning, on top of finding and applying names
(:mod:`.index`: the entries indexed; :mod:`.normalize`: Korean; :mod:`.enforce`: English)."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from ..models import SubtitleTrack, Transcript, Utterance
from .echo import _echo_filter, _squash_punct
from .enforce import EnglishNames
from .entries import NAME_KINDS, Entry, GlossaryReport, MissingName, NameCount, Proposal
from .learn import _pair_cues, _replacements, _spans
from .text import _has_hangul, _squash

log = logging.getLogger("streamkit")


class Glossary(EnglishNames):
    """Loaded, validated glossary entries and everything that applies them (see the package doc)."""

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
