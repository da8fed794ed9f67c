"""Where a line may break, per script (pure): text -> tokens that a line break may fall between.

:func:`tokenize` returns ``(token, glued)`` pairs: ``glued`` is True when the token follows the
previous one with no space (the line is written without one, and a break there adds none).

- ``"space"`` (Latin, Cyrillic, Hangul, Arabic, Hebrew): a token per word, never glued.
- ``"cjk"`` (Japanese, Chinese): every full-width character is a token, a run of half-width
  characters (a Latin name, a number) is one token, and the line-breaking rules of Japanese and
  Chinese typesetting (kinsoku shori, JIS X 4051) hold: a token never starts with closing
  punctuation, an iteration mark, a small kana or the prolonged-sound mark (``、。」ー っ``: they
  are glued to the token before), and never ends with opening punctuation (``「（``: glued to the
  token after).
- ``"thai"``: Thai writes no spaces between words, so a line breaks only where the text has a
  space or a zero-width space (U+200B, removed from the text), never inside a word. A run wider than
  a line is cut at its dictionary word boundaries (:func:`thai_words`, PyThaiNLP's ``newmm`` with its
  bundled dictionary, when installed: ``pip install streamkit[thai]``), else left whole.
"""

from __future__ import annotations

import functools
import importlib
import unicodedata
from collections.abc import Callable

__all__ = ["NO_LINE_END", "NO_LINE_START", "RLM", "ZWSP", "right_to_left", "thai_words", "tokenize"]

#: Characters a line must not start with (closing punctuation, small kana, iteration marks ...).
NO_LINE_START = frozenset(
    "、。，．・：；？！）〕］｝〉》」』】〙〗〟’”｠»"
    "ー―‐〜～…‥ゝゞヽヾ々〻"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    ",.:;?!%)]}"
)
#: Characters a line must not end with (opening punctuation).
NO_LINE_END = frozenset("（〔［｛〈《「『【〘〖〝‘“｟«([{")
#: The zero-width space: an invisible break opportunity (Thai, sometimes Japanese).
ZWSP = "\u200b"
_WIDE = frozenset("WF")
#: The right-to-left mark: an invisible strong RTL character.
RLM = "\u200f"


def _atoms(text: str, breaks: str) -> list[tuple[str, bool]]:
    """Break opportunities before kinsoku: wide characters alone, other runs between spaces whole."""
    atoms: list[tuple[str, bool]] = []
    run, run_glued = "", False
    gap = "space"  # what separates the next character from the previous one: "space", "zw" or ""
    for ch in text:
        if ch.isspace() or ch == ZWSP:
            if run:
                atoms.append((run, run_glued))
                run = ""
            gap = "space" if gap == "space" or ch != ZWSP else "zw"
            continue
        glued = bool(atoms or run) and gap != "space"
        if breaks == "cjk" and unicodedata.east_asian_width(ch) in _WIDE:
            if run:
                atoms.append((run, run_glued))
                run = ""
            atoms.append((ch, glued))
        elif run and not gap:
            run += ch
        else:
            if run:
                atoms.append((run, run_glued))
            run, run_glued = ch, glued
        gap = ""
    if run:
        atoms.append((run, run_glued))
    return atoms


def tokenize(text: str, breaks: str = "space") -> list[tuple[str, bool]]:
    """``text`` as ``(token, glued)`` pairs for line breaking in the ``breaks`` style (see the module)."""
    if breaks == "space":
        return [(word, False) for word in text.split()]
    atoms = _atoms(text, breaks)
    if breaks != "cjk":
        return atoms
    out: list[tuple[str, bool]] = []
    join_next = False
    for token, glued in atoms:
        if out and (join_next or token[0] in NO_LINE_START):
            prev, prev_glued = out[-1]
            out[-1] = (prev + ("" if glued else " ") + token, prev_glued)
        else:
            out.append((token, glued))
        join_next = out[-1][0][-1] in NO_LINE_END
    return out


def right_to_left(line: str) -> str:
    """A line of Arabic or Hebrew that players lay out right to left even when it starts with a Latin name.

    Players (and libass) take a line's direction from its first strong character: ``BTS في المسرح``
    would be laid out left to right, with the name on the wrong side. A right-to-left mark in front
    fixes that; a line that already starts with a right-to-left letter is left as it is.
    """
    for ch in line:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return line
        if kind == "L":
            return RLM + line
    return line


@functools.cache
def _thai_segmenter() -> Callable[[str], list[str]] | None:
    try:
        module = importlib.import_module("pythainlp.tokenize")
    except ImportError:
        return None
    tokenize_words = module.word_tokenize
    return lambda text: list(tokenize_words(text, engine="newmm", keep_whitespace=False))


def thai_words(run: str) -> list[str]:
    """A run of Thai without spaces cut at its dictionary word boundaries; ``[run]`` when PyThaiNLP is not
    installed or its words do not give back the run exactly (nothing is ever cut inside a word)."""
    segmenter = _thai_segmenter()
    if segmenter is None:
        return [run]
    words = [w for w in segmenter(run) if w]
    return words if len(words) > 1 and "".join(words) == run else [run]
