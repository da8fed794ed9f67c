"""Text detectors: :func:`normalize_text`, outro phrases (:func:`match_outro`, :func:`is_outro_phrase`),
loops (:func:`find_loops`, a word that :func:`stutters`), the transcript language's script, prompt echoes
and a text's syllables (:func:`syllables`). Text in, answer out.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .options import QualityOptions

# --------------------------------------------------------------------------- text detectors

_DROP_CATEGORIES = frozenset("PSZC")


class _DropTable(dict[int, int | None]):
    """``str.translate`` table deleting spaces, punctuation, symbols and controls, filled as characters are met."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.category(chr(code))[0] in _DROP_CATEGORIES else code
        self[code] = value
        return value


_DROP_TABLE = _DropTable()


def normalize_text(text: str) -> str:
    """NFKC, case-folded, without spaces, punctuation and symbols: what phrase matching compares."""
    # One C-level pass per text (the table remembers each character's category): `check` on
    # 100,000 cues spent most of its time here when every character went through a generator.
    return unicodedata.normalize("NFKC", text).casefold().translate(_DROP_TABLE)


def _phrase_table(options: QualityOptions) -> tuple[tuple[str, str, bool], ...]:
    """(normalized phrase, phrase, strong) for every outro phrase."""
    return _normalized_phrases(options.outro_phrases, options.weak_outro_phrases)


@functools.lru_cache(maxsize=8)
def _normalized_phrases(strong: tuple[str, ...], weak: tuple[str, ...]) -> tuple[tuple[str, str, bool], ...]:
    # Normalized once per phrase list, not once per text: `streamkit check` calls match_outro per cue.
    return tuple((normalize_text(p), p, True) for p in strong) + tuple((normalize_text(p), p, False) for p in weak)


@functools.lru_cache(maxsize=8)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def is_outro_phrase(text: str, options: QualityOptions | None = None) -> bool:
    """Whether ``text`` is nothing but one outro phrase, strong or weak ("수고하셨습니다.", "고맙습니다")."""
    norm = normalize_text(text)
    return bool(norm) and any(key == norm for key, _phrase, _strong in _phrase_table(options or QualityOptions()))


def loops_within(text: str, max_unit: int = 3, times: int = 4) -> bool:
    """Whether ``text`` holds 1 to ``max_unit`` characters (not digits: 10000) said ``times`` times in a row: Whisper
    looping within a token ("인은은은은은…", "스위시시시시…" over music; "Geun-eul-deok-deok-deok-…" in English)."""
    return re.search(rf"(\D{{1,{max_unit}}})\1{{{max(times - 1, 1)},}}", text) is not None


def stutters(word: str, times: int = 4) -> bool:
    """Whether ``word`` (its edge punctuation aside) loops within itself: one to three characters ``times`` times."""
    return loops_within(word.strip(",.?!"), times=times)


def match_outro(text: str, options: QualityOptions | None = None) -> tuple[str, bool] | None:
    """The outro phrase that covers ``text`` and whether it is a strong one, else None.

    A phrase covers the text when its normalized form occurs in the normalized text and makes up
    at least ``outro_coverage`` of it: "시청해주셔서 감사합니다!" matches, a long sentence that
    happens to end in "감사합니다" does not.
    """
    opts = options or QualityOptions()
    norm = normalize_text(text)
    if not norm:
        return None
    best: tuple[str, bool, int] | None = None
    for key, phrase, strong in _phrase_table(opts):
        if key and key in norm:
            covered = len(key) * norm.count(key)
            if covered >= opts.outro_coverage * len(norm) and (
                best is None or (strong, covered) > (best[1], best[2])
            ):
                best = (phrase, strong, covered)
    spaced = unicodedata.normalize("NFKC", text)
    for pattern in _compiled(opts.outro_patterns):
        m = pattern.search(spaced)
        if m is not None:
            covered = len(normalize_text(m.group(0)))
            if covered >= opts.outro_coverage * len(norm) and (best is None or not best[1] or covered > best[2]):
                best = (m.group(0), True, covered)
    return None if best is None else (best[0], best[1])


@dataclass(frozen=True)
class Loop:
    """Tokens ``start .. start + unit * repeats`` are one unit of ``unit`` tokens repeated; then
    ``partial`` tokens of one more round cut short (its last token may be cut off mid-word)."""

    start: int
    unit: int
    repeats: int
    partial: int = 0

    @property
    def end(self) -> int:
        return self.start + self.unit * self.repeats + self.partial


def _partial_round(keys: Sequence[str], at: int, first: Sequence[str]) -> int:
    """How many tokens from ``at`` begin one more round of ``first``: whole tokens, then at most one
    cut off (a strict prefix: "흥난" after "흥난리" said 40 times, where Whisper's output stopped)."""
    j = 0
    while j < len(first) - 1 and at + j < len(keys) and keys[at + j] == first[j]:
        j += 1
    if at + j < len(keys) and keys[at + j] and keys[at + j] != first[j] and first[j].startswith(keys[at + j]):
        j += 1
    return j


class Timed(Protocol):
    """Anything with a span: a transcript's :class:`~streamkit.models.Word`, a live decode's word."""

    @property
    def start_ms(self) -> int: ...

    @property
    def end_ms(self) -> int: ...


def timeless_runs(words: Sequence[Timed], *, run: int = 3, max_ms: int = 20) -> list[int]:
    """Indexes of the words in runs of ``run`` or more in a row that take ``max_ms`` or less each.

    Whisper's word alignment gives every word it heard at least a frame; words of no length, several
    in a row, are text it wrote without audio under them: the sequential path repeated an earlier
    sentence at conv-101's 149.9 s ("박근혜 대통령이 정말로 손을 내밀어야", five words at 0 ms, over
    another line), and a live window its own sentence again past the audio's end."""
    out: list[int] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and words[j].end_ms - words[j].start_ms <= max_ms:
            j += 1
        if j - i >= run:
            out.extend(range(i, j))
        i = max(j, i + 1)
    return out


def find_loops(tokens: Sequence[str], *, min_repeats: int = 4, max_unit: int = 8) -> list[Loop]:
    """Runs where a unit of 1..``max_unit`` tokens repeats at least ``min_repeats`` times in a row.

    Tokens are compared normalized (punctuation and case ignored). Left to right, the run covering
    the most tokens wins at each position; runs do not overlap.
    """
    keys = [normalize_text(t) or t for t in tokens]
    n = len(keys)
    if min_repeats >= 2 and len(set(keys)) == n:
        return []  # no token repeats, so nothing loops (the common case: one call per cue in `check`)
    loops: list[Loop] = []
    i = 0
    while i < n:
        best: Loop | None = None
        for unit in range(1, max_unit + 1):
            if i + unit * min_repeats > n:
                break
            first = keys[i : i + unit]
            repeats = 1
            while keys[i + unit * repeats : i + unit * (repeats + 1)] == first:
                repeats += 1
            if repeats >= min_repeats and (best is None or unit * repeats > best.unit * best.repeats):
                best = Loop(i, unit, repeats, _partial_round(keys, i + unit * repeats, first))
        if best is not None:
            loops.append(best)
            i = best.end
        else:
            i += 1
    return loops


#: Unicode name prefixes of the letters each transcript language is written in.
SCRIPTS: dict[str, tuple[str, ...]] = {
    "ko": ("HANGUL",),
    "ja": ("HIRAGANA", "KATAKANA", "CJK"),
    "zh": ("CJK",),
    "en": ("LATIN",),
}


def _script_mismatch(text: str, language: str) -> bool:
    """Whether ``text`` has letters but none in ``language``'s script (English text in a Korean track)."""
    wanted = SCRIPTS.get(language.split("-")[0].lower())
    if not wanted:
        return False
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 2 and not any(unicodedata.name(ch, "").startswith(wanted) for ch in letters)


def _prompt_echo(text: str, prompt_norm: str, options: QualityOptions) -> bool:
    norm = normalize_text(text)
    return len(norm) >= options.echo_min_chars and bool(prompt_norm) and norm in prompt_norm


_NUMBER = re.compile(r"\d+")


def _counting(text: str) -> bool:
    """Whether ``text`` is nothing but two or more numbers ("1, 2, 3, 4"): Whisper counts over music."""
    norm = normalize_text(text)
    return bool(norm) and norm.isdigit() and len(_NUMBER.findall(text)) >= 2


#: One laughing syllable said twice or more, perhaps after a vowel: laughter as Whisper writes it.
_LAUGH = re.compile(f"[어아으우에]?([{normalize_text('하허흐히호후헤크킥ㅋㅎ')}])\\1+")  # NFKC: ㅋ is U+110F


def _laughter(text: str) -> bool:
    """Whether ``text`` is nothing but laughter written as syllables ("어허허허", "흐흐흐", "하하 하하", "ㅋㅋㅋ"):
    a burst of laughter, not words to subtitle or translate ("아하" and "하하 정말" are not)."""
    words = [w for w in (normalize_text(t) for t in text.split()) if w]
    return bool(words) and all(_LAUGH.fullmatch(w) for w in words)


def _repeated(text: str, times: int) -> bool:
    """Whether ``text`` is one word said ``times`` times or more, and nothing else ("또는, 또는, 또는")."""
    words = [w for w in (normalize_text(t) for t in text.split()) if w]
    return len(words) >= times and len(set(words)) == 1


def _phrase_loop(text: str, max_words: int) -> bool:
    """Whether ``text`` is nothing but a phrase of 2 to ``max_words`` words said more than twice, its last round
    perhaps cut short, mid-word included ("시즌은 이 시즌은 이 시즌": Whisper's loop over intro music, cut where
    its segment ended; a one-word phrase is :func:`_repeated`'s), after at most ``unit - 1`` of the phrase's own
    words ("아님 | 아님 신이시네 아님 신이시네 아님 신이시네 아님" over the music of conv-115)."""
    words = [w for w in (normalize_text(t) for t in text.split()) if w]
    last = len(words) - 1
    for unit in range(2, max_words + 1):
        for lead in range(unit):
            head = words[lead: lead + unit]
            if len(words) - lead <= 2 * unit or len(set(head)) == 1 or not set(words[:lead]) <= set(head):
                continue
            if all(w == head[(i - lead) % unit] or (i == last and head[(i - lead) % unit].startswith(w))
                   for i, w in enumerate(words) if i >= lead):
                return True
    return False


_VOWEL_GROUP = re.compile(r"[aeiouy]+")


def syllables(text: str) -> int:
    """About how many syllables ``text`` says: a Hangul block, a kana or a CJK character is one, a
    Latin word has one per vowel group (at least one), a digit one; punctuation none.

    Rough on purpose: it only has to tell a one- or two-syllable piece ("더", "네", "응", "Hi") from
    a longer one.
    """
    count = 0
    for token in re.findall(r"[a-z]+|[^a-z]", normalize_text(text)):
        if token.isascii() and token.isalpha():
            count += max(len(_VOWEL_GROUP.findall(token)), 1)
        elif token.isalnum():
            count += 1
    return count
