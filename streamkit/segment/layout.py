"""Line layout: the display width of text, and the best lines for one cue's words (pure).

Widths count Hangul/CJK (East Asian wide) as 1 column and everything else as the rules'
``narrow_width``; :func:`wrap_lines` lays out a whole text, :func:`_arrange` the words of one cue.
"""

from __future__ import annotations

import itertools
import math
import unicodedata

from streamkit.linebreak import thai_words, tokenize

from .breaks import LINE_BALANCE_WEIGHT, _break_cost
from .rules import SegmentRules

_EPS = 1e-6
_WIDE = frozenset("WF")
_ZERO_WIDTH_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


def _char_width(ch: str, narrow: float) -> float:
    if unicodedata.category(ch) in _ZERO_WIDTH_CATEGORIES or "\u1160" <= ch <= "\u11ff":
        return 0.0  # combining marks, format characters, conjoining Hangul vowels/finals
    if unicodedata.east_asian_width(ch) in _WIDE:
        return 1.0
    return narrow


class _WidthTable(dict[str, float]):
    """Each character's width for one ``narrow_width``, computed the first time it is met."""

    def __init__(self, narrow: float) -> None:
        super().__init__()
        self.narrow = narrow

    def __missing__(self, ch: str) -> float:
        value = self[ch] = _char_width(ch, self.narrow)
        return value


_WIDTH_TABLES: dict[float, _WidthTable] = {}


def display_width(text: str, rules: SegmentRules) -> float:
    """Columns ``text`` takes: Hangul/CJK (East Asian wide) 1, other characters ``narrow_width``."""
    table = _WIDTH_TABLES.get(rules.narrow_width)
    if table is None:
        table = _WIDTH_TABLES.setdefault(rules.narrow_width, _WidthTable(rules.narrow_width))
    # map/sum run in C with one dict lookup per character (`check` measures every line of a file).
    return sum(map(table.__getitem__, text))




def _arrange(
    pw: list[float], bc: list[float], lo: int, hi: int, rules: SegmentRules, gp: list[float] | None = None
) -> list[int] | None:
    """Indices of the tokens that start each line of ``lo..hi``: fewest lines, then lowest cost.

    ``gp``: prefix sums of the space before each token (0 where glued); every gap is a space without it.
    """
    cols = rules.max_line_columns + _EPS
    space = rules.narrow_width

    def width(a: int, b: int) -> float:
        return pw[b + 1] - pw[a] + (gp[b + 1] - gp[a + 1] if gp is not None else (b - a) * space)

    total = width(lo, hi)
    if total <= cols:
        return [lo]
    count = hi - lo + 1
    for lines in range(2, rules.max_lines + 1):
        target = (total - (lines - 1) * space) / lines
        cost = [math.inf] * (count + 1)
        cost[0] = 0.0
        backs: list[list[int]] = []
        for line in range(lines):
            new = [math.inf] * (count + 1)
            back = [-1] * (count + 1)
            for a in range(count):
                if cost[a] == math.inf:
                    continue
                last_line = line == lines - 1
                for b in range(count - 1 if last_line else a, count):
                    w = width(lo + a, lo + b)
                    if w > cols:
                        break
                    c = cost[a] + LINE_BALANCE_WEIGHT * ((w - target) / rules.max_line_columns) ** 2
                    if b < count - 1:
                        c += bc[lo + b]
                    if c < new[b + 1]:
                        new[b + 1] = c
                        back[b + 1] = a
            backs.append(back)
            cost = new
        if cost[count] < math.inf:
            starts: list[int] = []
            end = count
            for back in reversed(backs):
                end = back[end]
                starts.append(lo + end)
            return starts[::-1]
    return None


def _lines(texts: list[str], starts: list[int], hi: int, glued: list[bool] | None = None) -> tuple[str, ...]:
    bounds = [*starts, hi + 1]
    if glued is None:
        return tuple(" ".join(texts[a:b]) for a, b in itertools.pairwise(bounds))
    return tuple("".join(("" if k == a or glued[k] else " ") + texts[k] for k in range(a, b))
                 for a, b in itertools.pairwise(bounds))


def _gap_prefix(glued: list[bool], space: float) -> list[float]:
    """Prefix sums of the space before each token: ``space`` unless glued (the first token has none)."""
    return _prefix([0.0 if k == 0 or g else space for k, g in enumerate(glued)])


def _prefix(values: list[float]) -> list[float]:
    out = [0.0]
    for v in values:
        out.append(out[-1] + v)
    return out


def wrap_lines(text: str, rules: SegmentRules, language: str) -> tuple[str, ...] | None:
    """Best layout of ``text`` in at most ``max_lines`` lines of ``max_line_columns``, or None.

    One line when it fits; otherwise the fewest lines, broken where ``rules.breaks`` allows (at
    spaces; between CJK characters except before closing and after opening punctuation; Thai only
    at spaces and zero-width spaces) and where the break rules for ``language`` (``"en"``,
    ``"ko"``; others use punctuation only) and line balance score best.
    Returns ``()`` for blank text and None when it cannot fit (words are never split here).
    """
    tokens = tokenize(text, rules.breaks)
    if not tokens:
        return ()
    if rules.breaks == "thai":  # a run wider than a line: at its dictionary word boundaries, when known
        tokens = [(w, g if i == 0 else True) for t, g in tokens
                  for i, w in enumerate(thai_words(t) if display_width(t, rules) > rules.max_line_columns else [t])]
    words = [t for t, _ in tokens]
    glued = [g for _, g in tokens]
    widths = [display_width(w, rules) for w in words]
    if max(widths) > rules.max_line_columns + _EPS:
        return None
    bc = [_break_cost(a, b, language) for a, b in itertools.pairwise(words)]
    starts = _arrange(_prefix(widths), bc, 0, len(words) - 1, rules, _gap_prefix(glued, rules.narrow_width))
    return None if starts is None else _lines(words, starts, len(words) - 1, glued)
