"""Text helpers both languages use: Hangul tests, word characters, syllable finals, accent folding."""

from __future__ import annotations

import unicodedata

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
