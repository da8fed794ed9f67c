"""Words to tokens: one token per word (a Korean 어절), times made monotonic, a word wider than a
line split by characters, a text without word times shared out by character count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from streamkit.linebreak import NO_LINE_END, NO_LINE_START, thai_words, tokenize
from streamkit.models import Transcript

from .layout import _EPS, _char_width, display_width
from .rules import SegmentRules

# --------------------------------------------------------------------------- words


def _spread(parts: list[str], start: int, end: int, weights: list[int] | None = None) -> list[tuple[str, int, int]]:
    """Share ``start..end`` among ``parts`` in proportion to their character counts (or ``weights``)."""
    sizes = [len(p) for p in parts] if weights is None else weights
    total = sum(sizes)
    span = end - start
    out: list[tuple[str, int, int]] = []
    done = 0
    for p, size in zip(parts, sizes, strict=True):
        a = start + span * done // total
        done += size
        out.append((p, a, start + span * done // total))
    return out


def _hard_split(word: str, rules: SegmentRules) -> list[str]:
    """Cut a word wider than a line into pieces that each fit a line.

    In CJK text a cut keeps the line-breaking rules of :mod:`streamkit.linebreak` when it can: a piece
    never starts with closing punctuation or a small kana and never ends with opening punctuation
    (``NewJeansっ`` in a 13-column line is cut ``NewJean`` + ``sっ``, not before the ``っ``).
    """
    pieces: list[str] = []
    current = ""
    width = 0.0
    for ch in word:
        cw = _char_width(ch, rules.narrow_width)
        if current and width + cw > rules.max_line_columns + _EPS:
            keep = _kinsoku_cut(current, ch, rules) if rules.breaks == "cjk" else len(current)
            pieces.append(current[:keep])
            current = current[keep:]
            width = sum(_char_width(c, rules.narrow_width) for c in current)
        current += ch
        width += cw
    pieces.append(current)
    return pieces


def _kinsoku_cut(current: str, ch: str, rules: SegmentRules) -> int:
    """Where to end the piece ``current`` when ``ch`` does not fit after it: as late as the rules allow
    (no closing mark starts the next piece, no opening mark ends this one); at the end when nowhere."""
    rest = ch
    for keep in range(len(current), 0, -1):
        if display_width(rest, rules) > rules.max_line_columns + _EPS:
            break
        if rest[0] not in NO_LINE_START and current[keep - 1] not in NO_LINE_END:
            return keep
        rest = current[keep - 1] + rest
    return len(current)


@dataclass(slots=True)
class _Tokens:
    text: list[str]
    start: list[int]
    end: list[int]
    width: list[float]
    utterance_end: list[bool]
    #: The token follows the previous one with no space (CJK characters, Thai after a zero-width space).
    glued: list[bool]


def _items(utterance_text: str, start: int, end: int, rules: SegmentRules) -> list[tuple[str, int, int, bool]]:
    """A text without word times as timed tokens: its span shared out by character count, a space counted with
    the token after it (reading speed counts spaces: shared out without them, a cue of short words got less
    time than it needs at the rate the whole sentence is read at)."""
    tokens = tokenize(utterance_text, rules.breaks)
    weights = [len(t) + (0 if glued or i == 0 else 1) for i, (t, glued) in enumerate(tokens)]
    spread = _spread([t for t, _ in tokens], start, end, weights) if tokens else []
    return [(text, a, b, glued) for (text, a, b), (_, glued) in zip(spread, tokens, strict=True)]


def _reading_end(text: str, start: int, end: int, next_start: int | None, rules: SegmentRules) -> int:
    """Where a text without word times is spread to: its span, or as far into the silence after it as its
    reading time needs, at most the rules' linger (``max_linger_ms``: an out-time may run that far past the
    speech) and never past the next utterance's start, or the track's end when known.

    A translation is longer than the speech it renders (English runs 20 characters a second, Korean 12);
    shared out over the Korean span only, a sentence's every cue was too fast to read although the pause
    after it stood free (fanlive, Whisper's English: 6 cues at 21-28 characters a second; 5 with this). Spread
    further, up to the next utterance, a sentence's last cue came up after its voice had ended, a cue over
    silence. Its cues' in-times inside the sentence are guesses either way: no word of it is timed."""
    needs = min(start + math.ceil(len(text) * 1000 / rules.max_cps), end + rules.max_linger_ms)
    if needs <= end:
        return end
    return max(end, needs if next_start is None else min(needs, next_start))


def _pieces(text: str, start: int, end: int, rules: SegmentRules) -> list[tuple[str, int, int, float, bool]]:
    """One token, or the pieces of a token wider than a line (a Thai run is left whole: no word is split)."""
    width = display_width(text, rules)
    if width <= rules.max_line_columns + _EPS:
        return [(text, start, end, width, False)]
    if rules.breaks == "thai":  # at dictionary word boundaries, else shown whole on a line of its own
        words = thai_words(text)
        return [(w, a, b, min(display_width(w, rules), rules.max_line_columns), i > 0)
                for i, (w, a, b) in enumerate(_spread(words, start, end))]
    glue = rules.breaks != "space"  # the pieces of one word are written without a space (not in Latin: as before)
    return [(p, a, b, display_width(p, rules), glue and i > 0)
            for i, (p, a, b) in enumerate(_spread(_hard_split(text, rules), start, end))]


def _tokens(transcript: Transcript, rules: SegmentRules) -> _Tokens:
    toks = _Tokens([], [], [], [], [], [])
    prev_start = 0
    following: list[int | None] = [u.start_ms for u in transcript.utterances[1:]]
    following.append(transcript.duration_ms or None)  # 0: the track's length is not known
    for utterance, next_start in zip(transcript.utterances, following, strict=False):
        items: list[tuple[str, int, int, bool]] = []
        if utterance.words:
            for w in utterance.words:
                parts = w.text.split()
                if len(parts) == 1:
                    items.append((parts[0], w.start_ms, w.end_ms, False))
                else:
                    items.extend((p, a, b, False) for p, a, b in _spread(parts, w.start_ms, w.end_ms))
        else:
            items = _items(utterance.text, utterance.start_ms, _reading_end(utterance.text, utterance.start_ms,
                                                                          utterance.end_ms, next_start, rules), rules)
        if items and rules.breaks == "cjk" and toks.text:
            items[0] = (*items[0][:3], True)  # CJK sentences follow each other without a space
        for text, start, end, glued in items:
            for i, (p, a, b, pw, piece_glued) in enumerate(_pieces(text, start, end, rules)):
                prev_start = max(a, prev_start)
                toks.text.append(p)
                toks.start.append(prev_start)
                toks.end.append(max(b, prev_start))
                toks.width.append(pw)
                toks.utterance_end.append(False)
                toks.glued.append(glued if i == 0 else piece_glued)
        if items:
            toks.utterance_end[-1] = True
    return toks
