"""Name protection: glossary names become their official English forms before translation, and are restored after.

With a glossary (``settings["glossary"]``, the :class:`NameGlossary` protocol) every name found in
the Korean is replaced by its official English form *before* translation (engines keep Latin
tokens; numbered placeholders get mangled), restored after translation when the engine changed its
case or spacing, and the glossary's ``enforce_english_for`` rewrites aliases.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# --------------------------------------------------------------------------- glossary protocol


class GlossaryEntryLike(Protocol):
    """What name protection needs of a glossary entry: its official English form."""

    @property
    def english(self) -> str: ...


class GlossaryMatchLike(Protocol):
    """A name found in Korean text: ``text[start:end]`` is one of the entry's Hangul forms."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def entry(self) -> GlossaryEntryLike: ...


class NameGlossary(Protocol):
    """The two methods of ``streamkit.glossary.Glossary`` that translation uses."""

    def find_korean(self, text: str) -> Sequence[GlossaryMatchLike]: ...

    def enforce_english_for(self, english: str, korean_source: str) -> str: ...


# --------------------------------------------------------------------------- names


@dataclass(frozen=True, slots=True)
class ProtectedText:
    """A Korean sentence with its glossary names replaced by their official English forms."""

    source: str
    text: str
    names: tuple[str, ...] = ()


def protect_names(text: str, glossary: NameGlossary | None) -> ProtectedText:
    """Replace every glossary name in ``text`` with its official English form (``BTS가 왔어요``).

    Engines pass Latin tokens through (sometimes with another case or spacing, which
    :func:`restore_names` repairs), while they translate Hangul names literally
    ("Bulletproof Boy Scouts") and mangle placeholder tokens.
    """
    if glossary is None:
        return ProtectedText(text, text)
    matches = sorted(glossary.find_korean(text), key=lambda m: (m.start, m.start - m.end))
    out: list[str] = []
    names: list[str] = []
    pos = 0
    for m in matches:
        english = " ".join(m.entry.english.split())
        if m.start < pos or m.end <= m.start or not english:
            continue
        before = text[pos : m.start]
        if before and (before[-1].isalnum() and not before[-1].isascii()):
            before += " "  # keep the Latin name a separate word after Hangul (우리BTS -> 우리 BTS)
        out.append(before)
        out.append(english)
        names.append(english)
        pos = m.end
    out.append(text[pos:])
    return ProtectedText(text, "".join(out), tuple(names))


_SEPARATORS = r"[\s\-_.·'’()]{0,2}"


@functools.lru_cache(maxsize=512)
def _name_pattern(name: str) -> re.Pattern[str]:
    """``name`` in any case, with up to two separators between its letters (``b t s``, ``Black-Pink``)."""
    chars = [ch for ch in name if ch.isalnum()]
    lead = re.escape(name[: len(name) - len(name.lstrip("([{"))])
    body = _SEPARATORS.join(re.escape(ch) for ch in chars)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{lead})?{body}(?![A-Za-z0-9])", re.IGNORECASE)


def _exact_count(text: str, name: str) -> int:
    return len(re.findall(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text))


def restore_names(english: str, protected: ProtectedText, glossary: NameGlossary | None) -> str:
    """Put the official forms back where the engine changed them, then let the glossary enforce aliases."""
    text = english
    for name in dict.fromkeys(protected.names):
        missing = protected.names.count(name) - _exact_count(text, name)
        if missing <= 0 or not any(ch.isalnum() for ch in name):
            continue

        def fix(m: re.Match[str], name: str = name) -> str:
            nonlocal missing
            if missing > 0 and m.group(0) != name:
                missing -= 1
                return name
            return m.group(0)

        text = _name_pattern(name).sub(fix, text)
    if glossary is not None:
        text = glossary.enforce_english_for(text, protected.source)
    return _tidy(text)


def names_kept(english: str, names: Sequence[str]) -> int:
    """How many of ``names`` (with repeats) appear in their exact official form in ``english``."""
    return sum(min(names.count(n), _exact_count(english, n)) for n in dict.fromkeys(names))


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    return re.sub(r"\s+([,.!?;:…]|'s\b|’s\b)", r"\1", text)
