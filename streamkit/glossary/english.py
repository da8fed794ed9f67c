"""English: the index of forms (how a name may be spelled, spaced and punctuated) and the rules that tell a name
from an ordinary word."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .entries import Entry
from .text import _en_norm, _word_char

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
    plural: bool = False  # a fandom addressed in the plural ("CARATs"): ordinary when its singular is


@dataclass
class _EnHit:
    start: int
    end: int
    text: str
    forms: list[_EnForm]
    first: int  # index of its first word
    last: int  # index after its last word
    common: bool  # the words are an ordinary English word or phrase (common-words.toml)


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
