"""The K-pop glossary: every name right, in Korean and in English.

The glossary is data (TOML files under ``glossary/`` plus a producer's own files, see
``docs/glossary.md``); this module loads and validates it and applies it at three places:

* **Recognition**: :meth:`Glossary.hints_for` picks the few names likely in one recording,
  :meth:`Glossary.hotwords` turns them into faster-whisper's ``hotwords=``, and
  :meth:`Glossary.drop_echoed_hints` removes what Whisper echoed from the hint text.
* **Korean transcript**: :meth:`Glossary.find_korean` finds names as whole words followed by
  particles (``방탄소년단의``, ``지민이가``), never inside another word; :meth:`Glossary.normalize_korean`
  and :meth:`Glossary.apply_korean` rewrite spelling variants to the canonical Hangul.
* **English**: :meth:`Glossary.enforce_english` / :meth:`Glossary.enforce_english_for` put the
  official stylization in place of aliases and case/spacing variants, idempotently. Names that are
  also ordinary words ("twice", "army", "rose") are only rewritten when the Korean source names them
  (or their group is named in the same text).

Loading is all-or-nothing: a bad file raises :class:`GlossaryError` naming the file, the line and the
entry, and nothing is applied.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError, InputError
from .models import SubtitleTrack, Transcript, Utterance, Word

__all__ = [
    "GROUP_KINDS",
    "KINDS",
    "NAME_KINDS",
    "Entry",
    "Glossary",
    "GlossaryError",
    "GlossaryMatch",
    "GlossaryReport",
    "MissingName",
    "NameCount",
    "Proposal",
    "builtin_dir",
    "check_glossary",
    "import_kpopnet",
    "load_glossary",
    "proposals_toml",
]

log = logging.getLogger("streamkit")
_T = TypeVar("_T")

#: Every kind an entry may have (each is also a TOML array-of-tables name: ``[[group]]`` ...).
KINDS = (
    "group", "unit", "member", "soloist", "fandom", "show", "platform", "term", "song", "segment",
    "guest", "name",
)  # fmt: skip
#: Kinds that are a performing act (what the coverage count and group context are about).
GROUP_KINDS = frozenset({"group", "unit", "soloist"})
#: Kinds that are names (everything but the subtitlers' terms).
NAME_KINDS = frozenset(KINDS) - {"term"}

_ID = re.compile(r"[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)*")
_LOCAL_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_FIELDS = frozenset({"id", "english", "korean", "aliases_en", "also_en", "nicknames_ko", "group", "ambiguous", "note"})
_MEMBER_FIELDS = _FIELDS - {"group"}


# --------------------------------------------------------------------------- errors


class GlossaryError(ConfigError):
    """A glossary file that cannot be used; names the file, the line and the entry."""

    default_hint = "fix that line of the glossary file (nothing was applied)"

    def __init__(
        self,
        problem: str,
        *,
        file: Path | str,
        line: int | None = None,
        entry: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file)
        self.line = line
        self.entry = entry
        where = f"{self.file}:{line}" if line else self.file
        what = f"entry {entry!r}: " if entry else ""
        super().__init__(f"{what}{problem}", key=entry or "", source=where, hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "problem": self.problem, "file": self.file, "line": self.line, "entry": self.entry}


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True, slots=True)
class Entry:
    """One name (or subtitler's term) with its Korean forms and its official English form.

    ``korean[0]`` is the canonical Hangul; the other ``korean`` forms are spelling or spacing
    variants that :meth:`Glossary.normalize_korean` rewrites to it. ``nicknames_ko`` are other
    ways to say the name (``방탄``, ``투바투``): recognised, never rewritten. ``aliases_en`` are
    wrong English forms (``Bulletproof Boy Scouts``) rewritten to ``english``; ``also_en`` are
    other correct English forms left as they are (``SNSD``). ``group`` is the group id of a
    member, unit, fandom or song. ``source`` is ``file:line``.
    """

    id: str
    kind: str
    english: str
    korean: tuple[str, ...]
    aliases_en: tuple[str, ...] = ()
    group: str | None = None
    source: str = ""
    nicknames_ko: tuple[str, ...] = ()
    also_en: tuple[str, ...] = ()
    #: Rewrite English variants only when the Korean source (or the group) names this entry.
    ambiguous: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Entry: id must not be empty")
        if not self.english.strip():
            raise ValueError(f"Entry {self.id}: english must not be empty")
        if not self.korean or not all(k.strip() for k in self.korean):
            raise ValueError(f"Entry {self.id}: needs at least one Korean form")

    @property
    def canonical_ko(self) -> str:
        return self.korean[0]

    @property
    def english_forms(self) -> tuple[str, ...]:
        """The correct English forms: the official one first."""
        return (self.english, *self.also_en)


@dataclass(frozen=True, slots=True)
class GlossaryMatch:
    """A name found in a text: ``text[start:end]`` (particles excluded) is a form of ``entry``.

    ``alternatives`` are the other entries with the same form (a member name used in several
    groups) that the context did not rule out.
    """

    start: int
    end: int
    text: str
    entry: Entry
    alternatives: tuple[Entry, ...] = ()
    #: The Hangul this span should read (``entry.canonical_ko`` for a variant, else ``text``).
    canonical: str = ""


@dataclass(frozen=True, slots=True)
class NameCount:
    entry: Entry
    count: int
    first_ms: int


@dataclass(frozen=True, slots=True)
class MissingName:
    """A name said in Korean with no form of it in the English shown at the same time."""

    entry: Entry
    start_ms: int
    end_ms: int
    korean: str
    english: str


@dataclass(frozen=True, slots=True)
class GlossaryReport:
    """What ``streamkit check`` says about names: found, missing in English, fixable."""

    found: tuple[NameCount, ...]
    missing: tuple[MissingName, ...]
    #: English cues that :meth:`Glossary.enforce_english_for` would change: ``(start_ms, old, new)``.
    fixable: tuple[tuple[int, str, str], ...] = ()

    def summary(self) -> dict[str, Any]:
        return {
            "found": [{"id": n.entry.id, "english": n.entry.english, "korean": n.entry.canonical_ko,
                       "count": n.count, "first_s": round(n.first_ms / 1000, 3)} for n in self.found],
            "missing": [{"id": m.entry.id, "english": m.entry.english, "at_s": round(m.start_ms / 1000, 3),
                         "korean": m.korean, "english_text": m.english} for m in self.missing],
            "fixable": [{"at_s": round(t / 1000, 3), "english_text": old, "fixed": new}
                        for t, old, new in self.fixable],
        }


@dataclass(frozen=True, slots=True)
class Proposal:
    """A change ``learn`` proposes from what an editor corrected."""

    entry: Entry | None  # the existing entry to extend, or None for a new one
    korean: tuple[str, ...]
    english: str
    aliases_en: tuple[str, ...]
    count: int
    examples: tuple[str, ...]

    @property
    def is_new(self) -> bool:
        return self.entry is None


# --------------------------------------------------------------------------- text helpers


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e"


def _has_hangul(text: str) -> bool:
    return any(_is_hangul(c) for c in text)


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _final(ch: str) -> str:
    """The end sound of a syllable: V (vowel), L (ㄹ), C (other consonant) or X (not Hangul)."""
    offset = ord(ch) - 0xAC00
    if 0 <= offset < 11172:
        jong = offset % 28
        return "V" if jong == 0 else ("L" if jong == 8 else "C")
    return "X"


def _squash(text: str) -> str:
    return "".join(text.split())


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    kept = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def _en_norm(text: str) -> str:
    return _strip_accents(text).casefold()


def _syllables(text: str) -> int:
    return sum(1 for c in text if "\uac00" <= c <= "\ud7a3")


# --------------------------------------------------------------------------- Korean particles

_AFTER_C = frozenset("CLX")  # after a consonant-final syllable (or digits/Latin)
_AFTER_V = frozenset("VX")
_AFTER_VL = frozenset("VLX")  # 로: after a vowel or ㄹ
_AFTER_C_NOT_L = frozenset("CX")  # 으로
_ANY = frozenset("VCLX")

_PARTICLE_TABLE: dict[frozenset[str], tuple[str, ...]] = {
    _ANY: ("의", "에", "에게", "에게서", "에서", "한테", "한테서", "께", "께서", "도", "만", "까지", "부터", "처럼",
           "보다", "하고", "들", "씨", "님", "형", "오빠", "언니", "누나", "쌤", "선배", "선배님", "같이", "마저",
           "조차", "밖에", "요", "뿐", "보고", "더러", "입니다", "입니까", "에요", "만큼", "같은", "인데", "인가",
           "인가요", "으로부터", "로부터", "한테로", "에게로", "이랑도"),
    _AFTER_C: ("은", "이", "을", "과", "이랑", "아", "이야", "이에요", "이다", "이라고", "이라는", "이란", "이나",
               "이든", "이라도", "이며", "이고", "이잖아", "이니까", "이면", "이라서", "이여", "이었어", "이었다",
               "이었는데", "이었고", "이었지", "이지", "이죠", "이네", "이라면", "이었으면"),
    _AFTER_V: ("는", "가", "를", "와", "랑", "야", "예요", "다", "라고", "라는", "란", "나", "든", "라도", "며",
               "고", "잖아", "니까", "면", "라서", "여", "였어", "였다", "였는데", "였고", "였지", "지", "죠", "네",
               "라면", "였으면"),
    _AFTER_VL: ("로", "로서", "로는"),
    _AFTER_C_NOT_L: ("으로", "으로서", "으로는"),
}
#: (particle, the finals it may follow), longest first.
PARTICLES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    sorted(((p, cond) for cond, ps in _PARTICLE_TABLE.items() for p in ps), key=lambda pc: -len(pc[0]))
)
_MAX_PARTICLES = 3
#: The particles a name that is also an ordinary word may take: the ones that make it a noun.
#: (있지만, 있지요, 있지도, 있지는 are verb forms; 있지가, 있지랑, 있지한테 are the group.)
NOMINAL_PARTICLES = frozenset({
    "이", "가", "을", "를", "의", "에게", "한테", "께", "께서", "와", "과", "랑", "이랑", "처럼", "보다", "들", "님",
    "씨", "아", "야", "이야", "이에요", "예요", "입니다", "하고", "한테서", "에게서", "선배", "선배님", "언니", "오빠",
    "누나", "형",
})


def _tail_ok(text: str, i: int, state: str, depth: int = 0, *, nominal: bool = False) -> bool:
    """True when ``text[i:]`` is a word end, or particles (proper to the sound before) then a word end."""
    if i >= len(text) or not _word_char(text[i]):
        return True
    if depth >= _MAX_PARTICLES:
        return False
    for particle, after in PARTICLES:
        if state in after and text.startswith(particle, i) and (not nominal or particle in NOMINAL_PARTICLES) \
                and _tail_ok(text, i + len(particle), _final(particle[-1]), depth + 1, nominal=nominal):
            return True
    return False


# --------------------------------------------------------------------------- Korean index

_SPACES = frozenset(" \t\u00a0")


@dataclass
class _KoForm:
    """One Korean form: spaces in it are optional, and with 3+ syllables one space may come between any two."""

    squashed: str
    text: str  # lower case, single spaces
    common: bool
    hits: list[tuple[Entry, str]] = field(default_factory=list)  # (entry, "canonical"|"variant"|"nickname")

    def match(self, text: str, pos: int) -> int:
        """The end of this form at ``text[pos:]``, or -1."""
        gaps = _syllables(self.text) >= 3
        i, n = pos, len(text)
        prev = ""
        for ch in self.text:
            if ch == " ":
                while i < n and text[i] in _SPACES:
                    i += 1
                prev = ""
                continue
            if gaps and prev and i + 1 < n and text[i] in _SPACES and text[i + 1].lower() == ch \
                    and _is_hangul(prev) and _is_hangul(ch):
                i += 1
            if i >= n or text[i].lower() != ch:
                return -1
            i += 1
            prev = ch
        return i


@dataclass(frozen=True)
class _KoHit:
    start: int
    end: int
    form: _KoForm
    #: No particle, and the sentence ends right after: an ordinary word (뭐 있지?) more likely than a name.
    clause_end: bool = False


_CLAUSE_END = re.compile(r"[ \t]*(?:$|[?.!…~,\n])")


# --------------------------------------------------------------------------- English index

_TOKEN = re.compile(r"[^\W_]+")
_JOINERS = frozenset(" \t\u00a0-‐‑–.'’_:*!&(),")
_MAX_GAP = 3


def _chunks(form: str) -> list[str]:
    """Alphanumeric chunks of a form, split also where lower case meets upper case (NewJeans)."""
    out: list[str] = []
    for chunk in _TOKEN.findall(unicodedata.normalize("NFC", form)):
        start = 0
        for i in range(1, len(chunk)):
            if chunk[i - 1].islower() and chunk[i].isupper():
                out.append(chunk[start:i])
                start = i
        out.append(chunk[start:])
    return out


def _offsets(parts: Sequence[str]) -> tuple[str, frozenset[int]]:
    key = ""
    cuts: set[int] = set()
    for part in parts:
        if key:
            cuts.add(len(key))
        key += _en_norm(part)
    return key, frozenset(cuts)


#: Separators any form may have between its parts; other joiners (' : * ! & ( )) only where the form has them.
_PLAIN_JOINERS = frozenset(" \t\u00a0-‐‑–._")


def _marks(form: str) -> frozenset[tuple[int, str]]:
    """``(offset in the key, character)`` for each special joiner inside a form (NU'EST, IZ*ONE, (G)I-DLE)."""
    marks: set[tuple[int, str]] = set()
    offset = 0
    for m in re.finditer(r"[^\W_]+|[\W_]+", unicodedata.normalize("NFC", form.strip())):
        piece = m.group(0)
        if _TOKEN.fullmatch(piece):
            offset += len(_en_norm(piece))
        else:
            marks.update((offset, ch) for ch in piece if ch not in _PLAIN_JOINERS)
    return frozenset(marks)


def _edge(form: str, *, lead: bool) -> str:
    text = form.strip()
    m = re.match(r"[^\w]+", text) if lead else re.search(r"[^\w]+$", text)
    return m.group(0) if m else ""


def _plain_caps(form: str) -> bool:
    """A name written like an ordinary word (Jisoo, Red Velvet): case changes alone prove nothing."""
    return all(c.isdigit() or (c[0].isupper() and (len(c) == 1 or c[1:].islower())) for c in _TOKEN.findall(form))


@dataclass(frozen=True)
class _EnForm:
    entry: Entry
    text: str
    target: str
    key: str
    splits: frozenset[int]
    marks: frozenset[tuple[int, str]]
    correct: bool  # the form is itself a correct form (official or also_en)
    #: Aliases merged into this form because they spell the same letters: rewritten as listed, whatever their case.
    listed: frozenset[str]
    plain: bool
    free_split: bool  # a romanised given name: "Ji-hyo", "Jung Kook" accepted
    prefix: str
    suffix: str


@dataclass
class _EnHit:
    start: int
    end: int
    text: str
    forms: list[_EnForm]
    first: int  # index of its first word
    last: int  # index after its last word
    common: bool  # the words are an ordinary English word or phrase (common-words.toml)


# --------------------------------------------------------------------------- the glossary


class Glossary:
    """Loaded, validated glossary entries and everything that applies them (see the module doc)."""

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
        for h in hits:
            candidates = h.form.hits
            if h.form.common and not common:
                if h.clause_end:
                    continue
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
            forms = [(t, t, True) for t in e.english_forms] + [(a, e.english, False) for a in e.aliases_en]
            for text, target, correct in forms:
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
                    prefix=_edge(target, lead=True), suffix=_edge(target, lead=False),
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
                    phrase in self.common_en and not (n > 1 and _titled_mid_sentence(text, window, start)))
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


# --------------------------------------------------------------------------- English helpers


def _form_needs_context(form: _EnForm, matched: str, common: bool) -> bool:
    """True when ``matched`` may be ordinary English: a listed common word, an ambiguous entry, or a
    name written like a word whose case alone differs (``winter`` for Winter proves nothing)."""
    if common or form.entry.ambiguous:
        return True
    if form.correct and form.plain and matched not in form.listed:  # "winter" -> "Winter" proves nothing
        said, wanted = _TOKEN.findall(matched), _TOKEN.findall(form.text)
        return said != wanted and [_en_norm(w) for w in said] == [_en_norm(w) for w in wanted]
    return False


def _target_for(said: str, forms: list[_EnForm]) -> str:
    """One entry's form for what was written: itself if right, the right form differing only in case
    (``tomorrow x together`` -> ``TOMORROW X TOGETHER``), else the official form."""
    entry = forms[0].entry
    correct = entry.english_forms
    if said in correct:
        return said
    folded = [c for c in correct if c.casefold() == said.casefold()]
    if folded:
        return folded[0]
    targets = {f.target for f in forms}
    return entry.english if entry.english in targets or len(targets) != 1 else targets.pop()


def _phrase(text: str) -> str:
    return " ".join(_en_norm(t) for t in _TOKEN.findall(text))


def _titled_mid_sentence(text: str, words: Sequence[str], start: int) -> bool:
    """Several capitalised words inside a sentence ("I love New Jeans"): a name, not the phrase."""
    if not all(w[:1].isupper() or w.isdigit() or len(w) <= 3 for w in words):
        return False
    if not any(w[:1].isupper() for w in words):
        return False
    before = text[:start].rstrip(" \t\"“‘'([-")
    return bool(before) and before[-1] not in ".!?…:\n"


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def _free_split_ok(form: _EnForm, window: list[str], gaps: list[str]) -> bool:
    """A romanised given name split at a syllable: ``Ji-hyo``, ``Jung Kook`` (capitalised halves)."""
    if not form.free_split or len(window) != 2:
        return False
    return gaps[0] == "-" or (gaps[0] == " " and window[0][:1].isupper() and window[1][:1].isupper())


def _outer_ok(text: str, start: int, end: int) -> bool:
    """The window is a word of its own: not inside a word, a hashtag, a handle, a link or a compound."""
    if start > 0:
        before = text[start - 1]
        if _word_char(before) or before in "@#":
            return False
        if before in "-.'’/" and start > 1 and _word_char(text[start - 2]):
            return False
    if end < len(text):
        after = text[end]
        if _word_char(after) or after in "@":
            return False
        if after in "-.'’/" and end + 1 < len(text) and _word_char(text[end + 1]):
            tail = text[end:end + 2].lower()
            if not (tail in ("'s", "’s") and (end + 2 == len(text) or not _word_char(text[end + 2]))):
                return False
    return True


# --------------------------------------------------------------------------- echo detection


def _squash_punct(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _in_order(tokens: Sequence[str], hint_tokens: Sequence[str]) -> bool:
    """``tokens`` appear consecutively, in this order, in the hint list."""
    n = len(tokens)
    return any(list(hint_tokens[i:i + n]) == list(tokens) for i in range(len(hint_tokens) - n + 1))


def _echo_filter(u: Utterance, hint_core: str, hint_set: set[str], hint_tokens: list[str]) -> Utterance | None:
    core = _squash_punct(u.text)
    if not core:
        return u
    if core == hint_core or (len(core) >= 6 and core in hint_core):
        return None
    raw = u.text.split()
    tokens = [_squash_punct(t) for t in raw]
    names = [t in hint_set for t in tokens]
    if all(names):
        if len(tokens) >= 3 or (len(tokens) == 2 and _in_order(tokens, hint_tokens)) or u.no_speech_prob > 0.6:
            return None
        return u
    # a run of hint names glued to real speech at either end
    lead = 0
    while lead < len(tokens) and names[lead]:
        lead += 1
    trail = 0
    while trail < len(tokens) - lead and names[len(tokens) - 1 - trail]:
        trail += 1
    cut_lead = lead if lead >= 3 and _in_order(tokens[:lead], hint_tokens) else 0
    cut_trail = trail if trail >= 3 and _in_order(tokens[len(tokens) - trail:], hint_tokens) else 0
    if not cut_lead and not cut_trail:
        return u
    keep = raw[cut_lead:len(raw) - cut_trail]
    text = " ".join(keep)
    if not text.strip():
        return None
    words = u.words
    if len(words) == len(raw):
        words = words[cut_lead:len(words) - cut_trail]
    else:
        dropped = set(tokens[:cut_lead]) | set(tokens[len(tokens) - cut_trail:])
        words = tuple(w for w in words if _squash_punct(w.text) not in dropped)
    start = words[0].start_ms if words else u.start_ms
    end = words[-1].end_ms if words else u.end_ms
    return dataclasses.replace(u, text=text, words=words, start_ms=max(u.start_ms, start),
                               end_ms=max(max(u.start_ms, start), min(u.end_ms, end)))


# --------------------------------------------------------------------------- tracks


def _spans(source: SubtitleTrack | Transcript) -> list[tuple[int, int, str]]:
    if isinstance(source, SubtitleTrack):
        return [(c.start_ms, c.end_ms, " ".join(c.lines)) for c in source.cues]
    return [(u.start_ms, u.end_ms, u.text) for u in source.utterances]


def _pair_cues(draft: SubtitleTrack, corrected: SubtitleTrack) -> Iterator[tuple[str, str]]:
    """Each corrected cue with the draft cue that overlaps it most (by index when times differ wholly)."""
    used: set[int] = set()
    for i, cue in enumerate(corrected.cues):
        best, overlap = -1, 0
        for j, d in enumerate(draft.cues):
            shared = min(cue.end_ms, d.end_ms) - max(cue.start_ms, d.start_ms)
            if shared > overlap:
                best, overlap = j, shared
        if best < 0 and i < len(draft.cues):
            best = i
        if best >= 0 and best not in used:
            used.add(best)
            yield " ".join(draft.cues[best].lines), " ".join(cue.lines)


_EDGE_PUNCT = "\"“”‘'.,!?;:…()[]"


def _strip_edges(token: str) -> str:
    token = token.strip(_EDGE_PUNCT)
    for suffix in ("'s", "’s"):
        if token.endswith(suffix):
            token = token[: -len(suffix)]
    return token


def _strip_particles(old: str, new: str) -> tuple[str, str]:
    """Drop a particle both sides share (``방탕소년단이`` / ``방탄소년단이``)."""
    for particle, _ in PARTICLES:
        if old.endswith(particle) and new.endswith(particle) and len(old) > len(particle) + 1 \
                and len(new) > len(particle) + 1:
            return old[: -len(particle)], new[: -len(particle)]
    return old, new


def _replacements(before: str, after: str) -> Iterator[tuple[str, str, bool]]:
    a, b = before.split(), after.split()
    matcher = difflib.SequenceMatcher(a=[_strip_edges(t) for t in a], b=[_strip_edges(t) for t in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "replace" or not (1 <= i2 - i1 <= 4 and 1 <= j2 - j1 <= 4):
            continue
        old = " ".join(_strip_edges(t) for t in a[i1:i2]).strip()
        new = " ".join(_strip_edges(t) for t in b[j1:j2]).strip()
        if _has_hangul(new):
            old, new = _strip_particles(old, new)
        if old and new and old != new:
            yield old, new, j1 == 0


# --------------------------------------------------------------------------- loading


def builtin_dir() -> Path | None:
    """The folder of the built-in glossary: the repository's ``glossary/`` or, in a wheel, ``streamkit/_glossary``."""
    here = Path(__file__).resolve()
    packaged = here.parent / "_glossary"
    if packaged.is_dir() and any(packaged.glob("*.toml")):
        return packaged
    checkout = here.parents[1] / "glossary"  # a source checkout or an editable install
    if checkout.is_dir() and (here.parents[1] / "pyproject.toml").is_file():
        return checkout
    return None


def _builtin_files() -> list[tuple[Path, str]]:
    folder = builtin_dir()
    if folder is None:
        log.warning("glossary: the built-in glossary folder is missing; only your files are used")
        return []
    return [(p, f"glossary/{p.name}") for p in sorted(folder.glob("*.toml")) if not p.name.startswith("_")]


class _Locator:
    """Line numbers in a TOML file (tomllib gives none): table headers and ``id = "..."`` lines."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(?:#.*)?$")
    _ID_FIELD = re.compile(r"""(?:^|[{,]|\s)id\s*=\s*["']([^"']*)["']""")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = defaultdict(list)
        self.top: list[int] = []
        self.ids: dict[str, list[int]] = defaultdict(list)
        for n, line in enumerate(self.lines, start=1):
            m = self._HEADER.match(line)
            if m:
                name = m.group(1).strip()
                self.headers[name].append(n)
                if "." not in name:
                    self.top.append(n)
            for ident in self._ID_FIELD.findall(line):
                self.ids[ident].append(n)

    def table(self, kind: str, index: int) -> int:
        lines = self.headers.get(kind, [])
        if index < len(lines):
            return lines[index]
        for n, line in enumerate(self.lines, start=1):
            if re.match(rf"\s*{re.escape(kind)}\s*=", line):
                return n
        return 1

    def id_line(self, ident: str, after: int) -> int:
        end = next((t for t in self.top if t > after), len(self.lines) + 1)
        return next((n for n in self.ids.get(ident, ()) if after <= n < end), after)

    def field_line(self, name: str, after: int) -> int:
        end = next((t for t in self.top if t > after), len(self.lines) + 1)
        pattern = re.compile(rf"^\s*{re.escape(name)}\s*=")
        for n in range(after, end):
            if pattern.search(self.lines[n - 1]):
                return n
        return after

    def entry_before(self, line: int) -> str | None:
        pattern = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")
        for n in range(min(line, len(self.lines)), 0, -1):
            m = pattern.search(self.lines[n - 1])
            if m:
                return m.group(1)
            if n in self.top:
                return None
        return None


@dataclass
class _Parsed:
    entries: list[Entry] = field(default_factory=list)
    common_en: list[str] = field(default_factory=list)
    common_strict: list[str] = field(default_factory=list)
    common_ko: list[str] = field(default_factory=list)
    problems: list[GlossaryError] = field(default_factory=list)


def _strings(value: Any, name: str, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail(f"{name} must be a string or a list of strings")
        return ()
    return tuple(" ".join(v.split()) for v in value if v.strip())


def _parse_file(path: Path, display: str) -> _Parsed:
    parsed = _Parsed()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        parsed.problems.append(GlossaryError("no such file", file=display, hint="check the --glossary path"))
        return parsed
    except IsADirectoryError:
        parsed.problems.append(GlossaryError("is a folder, not a TOML file", file=display))
        return parsed
    except OSError as exc:
        parsed.problems.append(GlossaryError(f"cannot read ({exc.strerror or exc})", file=display))
        return parsed
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        parsed.problems.append(GlossaryError("not UTF-8 text", file=display, line=line, hint="save it as UTF-8"))
        return parsed
    where = _Locator(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(m.group(1)) if m else max(1, len(where.lines))
        problem = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", message)
        if problem == "Cannot overwrite a value":
            problem = "duplicate key (a key set twice in one table)"
        parsed.problems.append(GlossaryError(f"invalid TOML: {problem}", file=display, line=line,
                                             entry=where.entry_before(line)))
        return parsed

    for key, value in data.items():
        if key == "common":
            line = where.table("common", 0)
            if not isinstance(value, dict) or set(value) - {"english", "english_strict", "korean"}:
                parsed.problems.append(GlossaryError("[common] takes english, english_strict and korean lists",
                                                     file=display, line=line))
                continue

            def fail_common(problem: str, line: int = line) -> None:
                parsed.problems.append(GlossaryError(problem, file=display, line=line))

            parsed.common_en += _strings(value.get("english"), "common.english", fail_common)
            parsed.common_strict += _strings(value.get("english_strict"), "common.english_strict", fail_common)
            parsed.common_ko += _strings(value.get("korean"), "common.korean", fail_common)
            continue
        if key not in (*KINDS, "entry"):
            parsed.problems.append(GlossaryError(
                f"unknown table [[{key}]]", file=display, line=where.table(key, 0),
                hint=f"use one of: {', '.join(KINDS)}, entry (with kind = ...), common"))
            continue
        tables = value if isinstance(value, list) else [value]
        for index, table in enumerate(tables):
            header = where.table(key, index)
            if not isinstance(table, dict):
                parsed.problems.append(GlossaryError(f"{key} must be a table ([[{key}]])", file=display, line=header))
                continue
            _parse_entry(table, key, header, where, display, parsed)
    return parsed


def _parse_entry(table: dict[str, Any], key: str, header: int, where: _Locator, display: str,
                 parsed: _Parsed, *, parent: Entry | None = None) -> None:
    ident = table.get("id")
    line = where.id_line(ident, header) if isinstance(ident, str) else header
    label = ident if isinstance(ident, str) else None
    if parent is not None and isinstance(ident, str):
        label = f"{parent.id}.{ident}"
    errors: list[GlossaryError] = []

    def fail(problem: str, hint: str | None = None, at: int | None = None) -> None:
        errors.append(GlossaryError(problem, file=display, line=at or line, entry=label, hint=hint))

    kind = key
    if parent is not None:
        kind = "member"
        allowed = _MEMBER_FIELDS | {"kind"}
    elif key == "entry":
        kind_value = table.get("kind")
        if not isinstance(kind_value, str) or kind_value not in KINDS:
            fail(f"kind must be one of {', '.join(KINDS)}", at=where.field_line("kind", header))
            kind_value = "name"
        kind = kind_value
        allowed = _FIELDS | {"kind", "members"}
    else:
        allowed = _FIELDS | {"members"}
    unknown = sorted(set(table) - allowed)
    if "members" in table and kind not in ("group", "unit"):
        unknown.append("members")
    for name in unknown:
        fail(f"unknown field {name!r}", hint=f"fields: {', '.join(sorted(allowed - {'members'}))}",
             at=where.field_line(name, line))
    if not isinstance(ident, str) or not ident:
        fail("no id (id = \"...\", lowercase letters, digits, - and _)")
        ident = ""
    elif not (_LOCAL_ID if parent is not None else _ID).fullmatch(ident):
        fail(f"bad id {ident!r}: use lowercase letters, digits, - and _" +
             ("" if parent is not None else ", dots only between a group id and a member id"))
    english = table.get("english")
    if not isinstance(english, str) or not english.strip():
        fail("no English form (english = \"...\")", hint="every entry needs its official English form")
        english = ""
    korean = _strings(table.get("korean"), "korean", fail)
    if not korean:
        fail("no Korean form (korean = [\"...\"], the canonical Hangul first)")
    elif not _has_hangul(korean[0]):
        fail(f"the first Korean form {korean[0]!r} has no Hangul", hint="put the canonical Hangul first")
    group = table.get("group") if parent is None else parent.id
    if group is not None and not (isinstance(group, str) and _ID.fullmatch(group)):
        fail("group must be the id of a group (group = \"bts\")")
        group = None
    ambiguous = table.get("ambiguous", kind == "term")
    if not isinstance(ambiguous, bool):
        fail("ambiguous must be true or false")
        ambiguous = False
    note = table.get("note", "")
    if not isinstance(note, str):
        fail("note must be a string")
        note = ""
    entry_id = f"{parent.id}.{ident}" if parent is not None else ident
    fields = dict(
        aliases_en=_strings(table.get("aliases_en"), "aliases_en", fail),
        also_en=_strings(table.get("also_en"), "also_en", fail),
        nicknames_ko=_strings(table.get("nicknames_ko"), "nicknames_ko", fail),
    )
    if errors:
        parsed.problems.extend(errors)
        return
    entry = Entry(id=entry_id, kind=kind, english=" ".join(english.split()), korean=korean, group=group,
                  source=f"{display}:{line}", ambiguous=ambiguous, note=note, **fields)
    parsed.entries.append(entry)
    members = table.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        parsed.problems.append(GlossaryError("members must be a list of tables", file=display, line=line,
                                             entry=entry_id))
        return
    for member in members:
        _parse_entry(member, key, line, where, display, parsed, parent=entry)


_PARSED: dict[tuple[str, int, int], _Parsed] = {}


def _parse_cached(path: Path, display: str) -> _Parsed:
    """Built-in files are parsed once per process (per version of the file)."""
    try:
        stat = path.stat()
    except OSError:
        return _parse_file(path, display)
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _PARSED[key] = _parse_file(path, display)
    return dataclasses.replace(parsed, entries=list(parsed.entries), problems=list(parsed.problems))


def _merge(files: Sequence[tuple[Path, str, bool]]) -> tuple[Glossary | None, list[GlossaryError]]:
    problems: list[GlossaryError] = []
    merged: dict[str, Entry] = {}
    producer: set[str] = set()
    overrides: list[tuple[str, str, str]] = []
    common_en: list[str] = []
    common_strict: list[str] = []
    common_ko: list[str] = []
    for path, display, is_producer in files:
        parsed = _parse_file(path, display) if is_producer else _parse_cached(path, display)
        problems += parsed.problems
        common_en += parsed.common_en
        common_strict += parsed.common_strict
        common_ko += parsed.common_ko
        in_file: dict[str, Entry] = {}
        for entry in parsed.entries:
            twin = in_file.get(entry.id)
            if twin is not None:
                file, _, line = entry.source.rpartition(":")
                problems.append(GlossaryError(f"duplicate id (first at line {twin.source.rpartition(':')[2]})",
                                              file=file, line=int(line), entry=entry.id,
                                              hint="ids must be unique within a file; a later file may replace it"))
                continue
            in_file[entry.id] = entry
            earlier = merged.pop(entry.id, None)
            if earlier is not None:
                overrides.append((entry.id, earlier.source, entry.source))
            merged[entry.id] = entry
            if is_producer:
                producer.add(entry.id)
            else:
                producer.discard(entry.id)
    for entry in merged.values():
        if entry.group is not None and entry.group not in merged:
            file, _, line = entry.source.rpartition(":")
            problems.append(GlossaryError(f"group {entry.group!r} is not in the glossary", file=file,
                                          line=int(line), entry=entry.id))
    if problems:
        return None, problems
    return Glossary(merged.values(), common_en=common_en, common_strict=common_strict, common_ko=common_ko,
                    producer_ids=producer,
                    overrides=overrides), []


def _files(paths: Sequence[Path], builtin: bool) -> list[tuple[Path, str, bool]]:
    files = [(p, d, False) for p, d in _builtin_files()] if builtin else []
    files += [(Path(p), str(p), True) for p in paths]
    return files


def load_glossary(paths: Sequence[Path] = (), *, builtin: bool = True) -> Glossary:
    """The built-in glossary (``glossary/*.toml``) then ``paths`` in order; later entries replace earlier ones
    with the same id. All or nothing: the first problem raises :class:`GlossaryError`."""
    glossary, problems = _merge(_files(paths, builtin))
    if problems:
        raise problems[0]
    assert glossary is not None
    return glossary


def check_glossary(paths: Sequence[Path] = (), *, builtin: bool = True) -> tuple[Glossary | None, list[GlossaryError]]:
    """Every problem of every file (``streamkit glossary check``), and the glossary when there are none."""
    return _merge(_files(paths, builtin))


# --------------------------------------------------------------------------- TOML writing


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _qlist(items: Iterable[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _inline(fields: list[tuple[str, Any]]) -> str:
    parts = []
    for name, value in fields:
        if isinstance(value, bool):
            parts.append(f"{name} = {'true' if value else 'false'}")
        elif isinstance(value, str):
            parts.append(f"{name} = {_q(value)}")
        else:
            parts.append(f"{name} = {_qlist(value)}")
    return ", ".join(parts)


def _entry_fields(entry: Entry) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = [("id", entry.id), ("english", entry.english), ("korean", entry.korean)]
    for name in ("also_en", "aliases_en", "nicknames_ko"):
        value = getattr(entry, name)
        if value:
            fields.append((name, value))
    if entry.ambiguous and entry.kind != "term":
        fields.append(("ambiguous", True))
    if entry.note:
        fields.append(("note", entry.note))
    return fields


def proposals_toml(proposals: Sequence[Proposal]) -> str:
    """Proposals as a producer glossary file: review, fill the TODOs, then use it with ``--glossary``."""
    out = ["# Glossary entries proposed by `streamkit glossary learn` from editors' corrections.",
           "# Review each one; an existing entry is repeated in full because a later file replaces",
           "# an entry with the same id. Fill in every TODO before using the file.", ""]
    for p in proposals:
        out.append(f"# seen {p.count}x, e.g. {p.examples[0][:80]!r}" if p.examples else f"# seen {p.count}x")
        if p.entry is not None:
            e = dataclasses.replace(p.entry, korean=p.korean, aliases_en=p.aliases_en)
            out.append("[[entry]]")
            out.append(f"kind = {_q(e.kind)}")
            for name, value in _entry_fields(e):
                out.append(f"{name} = {_inline([(name, value)]).split(' = ', 1)[1]}")
            if e.group:
                out.append(f"group = {_q(e.group)}")
        else:
            slug = _slug(p.english or _romanless(p.korean)) or "todo"
            out.append("[[entry]]")
            out.append('kind = "name"  # TODO: member, group, song, guest, segment ...')
            out.append(f"id = {_q(slug)}")
            out.append(f"english = {_q(p.english or 'TODO')}" + ("" if p.english else "  # TODO: the official English"))
            if p.korean:
                out.append(f"korean = {_qlist(p.korean)}")
            else:
                out.append("korean = []  # TODO: the Hangul, canonical first")
            if p.aliases_en:
                out.append(f"aliases_en = {_qlist(p.aliases_en)}")
        out.append("")
    return "\n".join(out)


def _romanless(korean: Sequence[str]) -> str:
    return "name-" + "-".join(f"{ord(c):x}" for c in (korean[0] if korean else "")[:2])


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# --------------------------------------------------------------------------- kpopnet import

_KPOPNET_FIXES = "_kpopnet-fixes.toml"


def import_kpopnet(json_path: Path, *, fixes: Path | None = None) -> str:
    """TOML entries for the girl groups in kpopnet.json (CC0): groups with a Hangul name, current members.

    Disbanded groups are kept (their names are still said) without members; sub-units become
    ``unit`` entries of their parent group, listing only members not already in the parent.
    ``glossary/_kpopnet-fixes.toml`` corrects stylizations and adds aliases and variants.
    """
    path = Path(json_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(path, "no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not JSON: {exc.msg} (line {exc.lineno})") from exc
    if not (isinstance(data, dict) and isinstance(data.get("groups"), list) and isinstance(data.get("idols"), list)):
        raise InputError(path, "not kpopnet.json: expected an object with groups[] and idols[]")
    fix = _load_fixes(fixes)
    idols = {i["id"]: i for i in data["idols"] if isinstance(i, dict) and "id" in i}
    groups = [g for g in data["groups"] if isinstance(g, dict) and _has_hangul(g.get("name_original") or "")]
    groups = [g for g in groups if g.get("name") not in fix["skip"]]
    by_id = {g["id"]: g for g in groups}
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for g in groups:
        wanted = fix["group"].get(g["name"], {}).get("id") or _slug(g["name"]) or "group"
        ident = wanted
        n = 2
        while ident in taken:
            ident = f"{wanted}-{n}"
            n += 1
        taken.add(ident)
        ids[g["id"]] = ident

    def current(g: dict[str, Any]) -> list[dict[str, Any]]:
        if g.get("disband_date"):
            return []
        out = []
        for m in g.get("members") or []:
            idol = idols.get(m.get("idol_id"))
            if m.get("current") and idol and _has_hangul(idol.get("name_original") or ""):
                out.append(idol)
        return out

    lines = [
        "# Girl groups and their current members, generated by `streamkit glossary import kpopnet.json`.",
        "# Source: kpopnet.json (net.kpop.re), CC0 1.0 Universal (public domain dedication), see",
        "# ../shared/data/kpopnet.COPYING. Corrections (official stylizations, aliases, spelling",
        "# variants) come from glossary/_kpopnet-fixes.toml. Do not edit by hand: change the fixes",
        "# and run `streamkit glossary import ../shared/data/kpopnet.json -o glossary/girl-groups.toml --force`.",
        "",
    ]
    ordered = sorted(groups, key=lambda g: (g.get("parent_id") is not None, ids[g["id"]]))
    for g in ordered:
        gfix = fix["group"].get(g["name"], {})
        parent = by_id.get(g.get("parent_id") or "")
        kind = "unit" if parent is not None else "group"
        english = gfix.get("english", g["name"])
        korean = (g["name_original"].strip(), *gfix.get("korean", ()))
        also = list(gfix.get("also_en", ()))
        if g.get("name_alias"):
            also += [a.strip() for a in str(g["name_alias"]).split(",") if a.strip()]
        aliases = list(gfix.get("aliases_en", ()))
        if g["name"] != english and _en_norm(g["name"]) != _en_norm(english) and g["name"] not in also:
            aliases.append(g["name"])  # kpopnet's spelling, where the fixes give the official one
        entry_fields: list[tuple[str, Any]] = [("id", ids[g["id"]]), ("english", english),
                                               ("korean", tuple(dict.fromkeys(korean)))]
        if also:
            entry_fields.append(("also_en", tuple(dict.fromkeys(also))))
        if aliases:
            entry_fields.append(("aliases_en", tuple(dict.fromkeys(aliases))))
        if gfix.get("nicknames_ko"):
            entry_fields.append(("nicknames_ko", tuple(gfix["nicknames_ko"])))
        if gfix.get("ambiguous"):
            entry_fields.append(("ambiguous", True))
        if g.get("disband_date"):
            entry_fields.append(("note", f"disbanded {g['disband_date']}"))
        lines.append(f"[[{kind}]]")
        for name, value in entry_fields:
            lines.append(f"{name} = {_inline([(name, value)]).split(' = ', 1)[1]}")
        if parent is not None:
            lines.append(f"group = {_q(ids[parent['id']])}")
        members = current(g)
        if parent is not None:
            in_parent = {i["id"] for i in current(parent)}
            members = [m for m in members if m["id"] not in in_parent]
        if members:
            lines.append("members = [")
            local: set[str] = set()
            for idol in members:
                mfix = fix["member"].get(f"{g['name']}/{idol['name']}", {})
                wanted = mfix.get("id") or _slug(idol["name"]) or "member"
                ident = wanted
                n = 2
                while ident in local:
                    ident = f"{wanted}-{n}"
                    n += 1
                local.add(ident)
                m_english = mfix.get("english", idol["name"].strip())
                m_korean = tuple(dict.fromkeys((mfix.get("korean", [idol["name_original"].strip()])[0],
                                                *mfix.get("korean", [])[1:])))
                fields: list[tuple[str, Any]] = [("id", ident), ("english", m_english), ("korean", m_korean)]
                m_aliases = list(mfix.get("aliases_en", ()))
                m_also: list[str] = []
                original = idol["name"].strip()
                if original != m_english and original not in m_aliases:
                    # kpopnet's form: a wrong one (Rose for Rosé) or another right one (Jang Wonyoung)
                    (m_aliases if mfix.get("original") == "alias" else m_also).append(original)
                if m_also:
                    fields.append(("also_en", tuple(m_also)))
                if m_aliases:
                    fields.append(("aliases_en", tuple(m_aliases)))
                nick = [k for k in mfix.get("nicknames_ko", ()) if k not in m_korean]
                if idol["name_original"].strip() not in m_korean:
                    nick.append(idol["name_original"].strip())
                if nick:
                    fields.append(("nicknames_ko", tuple(dict.fromkeys(nick))))
                if mfix.get("ambiguous"):
                    fields.append(("ambiguous", True))
                lines.append(f"  {{ {_inline(fields)} }},")
            lines.append("]")
        lines.append("")
    return "\n".join(lines)


def _load_fixes(path: Path | None) -> dict[str, Any]:
    if path is None:
        folder = builtin_dir()
        path = folder / _KPOPNET_FIXES if folder is not None else None
    empty: dict[str, Any] = {"skip": set(), "group": {}, "member": {}}
    if path is None or not path.is_file():
        return empty
    display = f"glossary/{path.name}" if path.parent == builtin_dir() else str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise GlossaryError(f"invalid TOML: {exc}", file=display, line=int(m.group(1)) if m else None) from exc
    return {"skip": set(data.get("skip_groups", [])), "group": dict(data.get("group", {})),
            "member": dict(data.get("member", {}))}
