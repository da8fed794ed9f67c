"""English enforcement: official forms in place of aliases and case or spacing variants, names that
are also ordinary words rewritten only when the Korean source (or their group) names them."""

from __future__ import annotations

from collections import Counter

from .english import _EnHit, _form_needs_context, _shouting, _target_for
from .entries import Entry, GlossaryMatch
from .normalize import KoreanNames


class EnglishNames(KoreanNames):
    """Finding names in English and enforcing their official forms (see :class:`~streamkit.glossary.Glossary`)."""

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
                # an official form as written, a plural of one included ("ARMYs"): a mention already right
                for entry_id in {f.entry.id for f in hit.forms
                                 if hit.text in f.entry.english_forms or (f.correct and f.text == hit.text)}:
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
