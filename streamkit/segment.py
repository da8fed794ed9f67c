"""Words to subtitle cues: the subtitle rules as data, and the cutter that applies them (pure).

The numbers are Netflix's Timed Text Style Guide defaults (see ``SUBTITLE-RULES.md``):
``ENGLISH_RULES`` and ``KOREAN_RULES`` are plain values a producer can copy with
``dataclasses.replace``. Times are integer milliseconds; frame-based rules take the video's real
frame rate as an exact ``Fraction`` (``30000/1001`` stays exact).

How :func:`segment` works, in four passes (each O(n x words per cue)):

1. **Words.** Each ``Word`` (one 어절 for Korean) becomes one token; an utterance without words
   (a machine translation) is split on whitespace and its span shared out by character count.
   Times are made monotonic (``start = max(start, previous start)``, ``end >= start``); a token
   wider than a line is hard-split by characters.
2. **Cutting.** A dynamic programme over each stretch between long pauses picks cue boundaries:
   every cue must fit the layout and ``max_duration_ms``; cuts after sentence ends, clause ends and
   long pauses are cheap, tiny orphans and half-empty cues are dear.
3. **Merging.** A cue that cannot get its minimum duration or reading time before the next cue
   starts is merged with the neighbour that helps most, when the result still fits.
4. **Timing.** In-time on speech onset; out-time at speech end plus linger, stretched for minimum
   duration and reading speed, chained to the next cue when the gap is small, never closer than
   the minimum gap.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from streamkit.linebreak import thai_words, tokenize
from streamkit.models import Cue, SubtitleTrack, Transcript

__all__ = [
    "DEFAULT_FPS",
    "ENGLISH_RULES",
    "KOREAN_RULES",
    "SegmentRules",
    "display_width",
    "frame_ms",
    "rules_for",
    "segment",
    "wrap_lines",
]


#: How lines may break (``SegmentRules.breaks``); see :func:`tokenize`.
BREAK_STYLES = ("space", "cjk", "thai")


@dataclass(frozen=True, slots=True)
class SegmentRules:
    """The numbers one subtitle style follows. Times in ms, gaps in frames of the real frame rate."""

    name: str
    #: Line width in columns: Hangul/CJK count 1, everything else ``narrow_width``.
    max_line_columns: float
    max_lines: int = 2
    #: Reading speed: characters per second, counting every character except line breaks.
    max_cps: float = 20.0
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    #: Minimum gap between consecutive cues, in frames (rounded up to whole ms).
    min_gap_frames: int = 2
    #: Gaps of at most this many frames are closed to ``min_gap_frames``.
    chain_gap_frames: int = 12
    #: The out-time may run this long past the end of speech, never into the next cue.
    max_linger_ms: int = 500
    #: Display width of Latin letters, digits, spaces and punctuation.
    narrow_width: float = 1.0
    #: A pause between words at least this long always starts a new cue.
    pause_split_ms: int = 1200
    #: When two cues start so close that the first would be shown less than this, the second
    #: cue's in-time is delayed until the first has had this long (plus the minimum gap).
    min_visible_ms: int = 500
    #: Where lines and cues may break: ``"space"`` (between words), ``"cjk"`` (between any two
    #: characters, never before closing or after opening punctuation; no spaces added) or
    #: ``"thai"`` (only at spaces and zero-width spaces: never inside a word).
    breaks: str = "space"

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.name.strip():
            problems.append("name must not be empty")
        for field_name in ("max_line_columns", "max_cps", "narrow_width"):
            value = getattr(self, field_name)
            if not (math.isfinite(value) and value > 0):
                problems.append(f"{field_name} must be a positive number (got {value!r})")
        if math.isfinite(self.max_line_columns) and self.max_line_columns < max(1.0, self.narrow_width):
            problems.append("max_line_columns must hold at least one character of any width")
        for field_name in (
            "max_lines",
            "min_duration_ms",
            "max_duration_ms",
            "pause_split_ms",
            "min_visible_ms",
        ):
            if getattr(self, field_name) < 1:
                problems.append(f"{field_name} must be at least 1 (got {getattr(self, field_name)!r})")
        for field_name in ("min_gap_frames", "chain_gap_frames", "max_linger_ms"):
            if getattr(self, field_name) < 0:
                problems.append(f"{field_name} must not be negative (got {getattr(self, field_name)!r})")
        if self.min_duration_ms > self.max_duration_ms:
            problems.append(f"min_duration_ms {self.min_duration_ms} is above max_duration_ms {self.max_duration_ms}")
        if self.min_visible_ms > self.max_duration_ms:
            problems.append("min_visible_ms must not exceed max_duration_ms")
        if self.chain_gap_frames < self.min_gap_frames:
            problems.append("chain_gap_frames must not be below min_gap_frames")
        if self.breaks not in BREAK_STYLES:
            problems.append(f"breaks must be one of {', '.join(BREAK_STYLES)} (got {self.breaks!r})")
        if problems:
            raise ValueError(f"SegmentRules {self.name!r}: " + "; ".join(problems))


ENGLISH_RULES = SegmentRules(name="netflix-en", max_line_columns=42, max_cps=20.0)
KOREAN_RULES = SegmentRules(name="netflix-ko", max_line_columns=16, max_cps=12.0, narrow_width=0.5)

#: Frame rate assumed when the subtitles are not for a video (audio-only input).
DEFAULT_FPS = Fraction(24)


def rules_for(language: str) -> SegmentRules:
    """The rules of ``language`` from :mod:`streamkit.languages` (``KOREAN_RULES`` for ``"ko"``,
    Netflix's Japanese rules for ``"ja"`` ...); ``ENGLISH_RULES`` for a language without its own."""
    from .languages import LANGUAGES  # languages.py builds its table from this module's rules

    known = LANGUAGES.get(language)
    return known.rules if known is not None else ENGLISH_RULES


def frame_ms(frames: int, fps: Fraction) -> int:
    """Milliseconds covering ``frames`` frames at ``fps``, rounded up (2 frames at 24 fps -> 84).

    Rounding up makes a gap of ``frame_ms(2, fps)`` at least two real frames long.
    """
    if frames < 0:
        raise ValueError(f"frames must not be negative (got {frames})")
    rate = Fraction(fps)
    if rate <= 0:
        raise ValueError(f"fps must be positive (got {fps})")
    return math.ceil(Fraction(frames * 1000) / rate)


# --------------------------------------------------------------------------- display width

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


# --------------------------------------------------------------------------- break rules (data)

#: Characters that end a sentence, and characters that end a clause.
SENTENCE_END = frozenset(".?!…。？！")
CLAUSE_END = frozenset(",;:、，；：–—")
#: Closing quotes and brackets looked through when checking a word's final punctuation.
CLOSERS = "\"'”’)]}»」』>"
#: Korean connective and final endings after which a break reads naturally.
KOREAN_CLAUSE_ENDINGS: tuple[str, ...] = ("는데", "지만", "니까", "고", "며", "면", "서", "데", "요", "다")
#: Particles that look like clause endings (서울에서 is a place, not a clause).
KOREAN_PARTICLE_LOOKALIKES: tuple[str, ...] = ("에서", "에게서", "한테서")
#: Korean determiners (관형사) kept with the noun that follows.
KOREAN_DETERMINERS = frozenset(
    {"새", "이", "그", "저", "한", "두", "세", "몇", "모든", "어떤", "무슨", "다른", "첫", "각"}
)
#: Korean bound nouns (의존 명사) kept with the word before them (할 수, 볼 건데요).
KOREAN_BOUND_NOUNS = frozenset(
    {"수", "수가", "수도", "수는", "것", "것이", "것을", "것은", "것도", "거", "거야", "거예요", "거죠",
     "건", "건데", "건데요", "걸", "걸요", "게", "줄", "적", "적이", "뿐", "때문에", "만큼", "듯", "척"}
)  # fmt: skip
#: English words a line (or cue) may start with: conjunctions and prepositions.
ENGLISH_BREAK_BEFORE = frozenset(
    {
        "and", "but", "or", "nor", "so", "yet", "because", "that", "which", "who", "whom", "whose",
        "when", "while", "where", "whether", "if", "although", "though", "unless", "until", "since",
        "than", "as", "to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "into",
        "onto", "after", "before", "over", "under", "through", "without", "between", "during",
        "against", "like",
    }
)  # fmt: skip
#: English words never left at the end of a line: articles and determiners.
ENGLISH_DETERMINERS = frozenset(
    {"a", "an", "the", "this", "these", "those", "my", "your", "our", "their", "his", "her", "its",
     "some", "any", "no", "every", "each"}
)  # fmt: skip
#: Subject pronouns, kept with the verb that follows.
ENGLISH_SUBJECT_PRONOUNS = frozenset({"i", "you", "he", "she", "we", "they", "it"})
#: Auxiliaries and modals, kept with the verb or negation that follows.
ENGLISH_AUXILIARIES = frozenset(
    {"is", "are", "was", "were", "am", "be", "been", "will", "would", "can", "could", "do", "does",
     "did", "have", "has", "had", "should", "must", "shall", "may", "might"}
)  # fmt: skip
#: Negations, never moved away from their auxiliary.
ENGLISH_NEGATIONS = frozenset({"not", "n't"})

#: Costs of breaking (a line or a cue) after a word; lower is better.
SENTENCE_BREAK_COST = -3.0
CLAUSE_BREAK_COST = -2.0
KOREAN_ENDING_BREAK_COST = -1.5
BEFORE_CONJUNCTION_COST = -1.5
AFTER_FUNCTION_WORD_COST = 2.0
AVOIDED_BREAK_COST = 4.0
FORBIDDEN_BREAK_COST = 10.0
#: Weight of the squared difference between line widths (in line widths).
LINE_BALANCE_WEIGHT = 6.0

_STRIP = "\"'“”‘’()[]{}«»「」『』<>.,;:!?…。？！、，；：–—-~*"


def _final_mark(word: str) -> str:
    stripped = word.rstrip(CLOSERS)
    return stripped[-1] if stripped else ""


def _break_cost(prev: str, nxt: str, language: str) -> float:
    """Cost of a line or cue break between ``prev`` and ``nxt`` (words of ``language``)."""
    mark = _final_mark(prev)
    if mark in SENTENCE_END:
        return SENTENCE_BREAK_COST
    if mark in CLAUSE_END:
        return CLAUSE_BREAK_COST
    if language == "ko":
        if prev in KOREAN_DETERMINERS or nxt.rstrip(_STRIP) in KOREAN_BOUND_NOUNS:
            return AVOIDED_BREAK_COST
        word = prev.rstrip(_STRIP)
        if word.endswith(KOREAN_CLAUSE_ENDINGS) and not word.endswith(KOREAN_PARTICLE_LOOKALIKES):
            return KOREAN_ENDING_BREAK_COST
        return 0.0
    if language != "en":
        return 0.0
    p = prev.strip(_STRIP).lower()
    n = nxt.strip(_STRIP).lower()
    if p in ENGLISH_DETERMINERS or n in ENGLISH_NEGATIONS or n.startswith("n't"):
        return FORBIDDEN_BREAK_COST
    if n in ENGLISH_BREAK_BEFORE:
        return BEFORE_CONJUNCTION_COST
    if p in ENGLISH_SUBJECT_PRONOUNS or p in ENGLISH_AUXILIARIES:
        return FORBIDDEN_BREAK_COST
    if p in ENGLISH_BREAK_BEFORE:
        return AFTER_FUNCTION_WORD_COST
    if prev[:1].isupper() and nxt[:1].isupper() and p != "i":
        return AVOIDED_BREAK_COST  # likely a first name and a last name
    return 0.0


# --------------------------------------------------------------------------- line layout


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


# --------------------------------------------------------------------------- words


def _spread(parts: list[str], start: int, end: int) -> list[tuple[str, int, int]]:
    """Share ``start..end`` among ``parts`` in proportion to their character counts."""
    total = sum(len(p) for p in parts)
    span = end - start
    out: list[tuple[str, int, int]] = []
    done = 0
    for p in parts:
        a = start + span * done // total
        done += len(p)
        out.append((p, a, start + span * done // total))
    return out


def _hard_split(word: str, rules: SegmentRules) -> list[str]:
    """Cut a word wider than a line into pieces that each fit a line."""
    pieces: list[str] = []
    current = ""
    width = 0.0
    for ch in word:
        cw = _char_width(ch, rules.narrow_width)
        if current and width + cw > rules.max_line_columns + _EPS:
            pieces.append(current)
            current, width = "", 0.0
        current += ch
        width += cw
    pieces.append(current)
    return pieces


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
    """A text without word times as timed tokens: its span shared out by character count."""
    tokens = tokenize(utterance_text, rules.breaks)
    spread = _spread([t for t, _ in tokens], start, end) if tokens else []
    return [(text, a, b, glued) for (text, a, b), (_, glued) in zip(spread, tokens, strict=True)]


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
    for utterance in transcript.utterances:
        items: list[tuple[str, int, int, bool]] = []
        if utterance.words:
            for w in utterance.words:
                parts = w.text.split()
                if len(parts) == 1:
                    items.append((parts[0], w.start_ms, w.end_ms, False))
                else:
                    items.extend((p, a, b, False) for p, a, b in _spread(parts, w.start_ms, w.end_ms))
        else:
            items = _items(utterance.text, utterance.start_ms, utterance.end_ms, rules)
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


# --------------------------------------------------------------------------- cutting

#: Cost of every cue (fewer cues are better) and of a cut at an unremarkable word boundary.
CUE_COST = 1.0
CUT_COST = 3.0
#: Bonus for a cut at a pause, reaching its maximum at ``pause_split_ms``.
PAUSE_BONUS = 2.5
#: Bonus for a cut at the end of an utterance (a decoded segment or a translated sentence).
UTTERANCE_END_BONUS = 1.0
#: Weight of the squared empty share of a cue's capacity (prefers full, balanced cues).
FILL_WEIGHT = 0.5
#: A cue narrower than this share of one line, cut off from its neighbours, is an orphan.
ORPHAN_SHARE = 0.3
ORPHAN_COST = 1.5


@dataclass(slots=True)
class _Plan:
    """Per-token facts the cutter needs, precomputed once."""

    toks: _Tokens
    rules: SegmentRules
    language: str
    pw: list[float]  # prefix sums of widths
    pc: list[int]  # prefix sums of character counts
    bc: list[float]  # break cost after token k (k < n - 1)
    forced: list[bool]  # a cue must end after token k
    gap: list[float]  # width of the space before token k (0 when glued, and for token 0)
    gp: list[float]  # prefix sums of ``gap``
    spaces: list[int]  # prefix counts of the spaces between tokens (what reading speed counts)


def _plan(toks: _Tokens, rules: SegmentRules, language: str) -> _Plan:
    n = len(toks.text)
    pc = [0]
    for t in toks.text:
        pc.append(pc[-1] + len(t))
    bc = [_break_cost(toks.text[k], toks.text[k + 1], language) for k in range(n - 1)]
    forced = [True] * n
    latest_end = 0
    for k in range(n - 1):
        latest_end = max(latest_end, toks.end[k])
        forced[k] = toks.start[k + 1] - latest_end >= rules.pause_split_ms
    gp = _gap_prefix(toks.glued, rules.narrow_width)
    gap = [b - a for a, b in itertools.pairwise(gp)]
    spaces = [0]
    for k, glued in enumerate(toks.glued):
        spaces.append(spaces[-1] + (0 if k == 0 or glued else 1))
    return _Plan(toks, rules, language, _prefix(toks.width), pc, bc, forced, gap, gp, spaces)


def _fits(plan: _Plan, lo: int, hi: int) -> bool:
    """Whether ``lo..hi`` can be one cue: layout, duration and no long pause inside."""
    rules = plan.rules
    toks = plan.toks
    cols = rules.max_line_columns + _EPS
    lines, line_w, latest = 1, toks.width[lo], toks.end[lo]
    for k in range(lo + 1, hi + 1):
        if plan.forced[k - 1]:
            return False
        if line_w + plan.gap[k] + toks.width[k] <= cols:
            line_w += plan.gap[k] + toks.width[k]
        else:
            lines, line_w = lines + 1, toks.width[k]
            if lines > rules.max_lines:
                return False
        latest = max(latest, toks.end[k])
    return lo == hi or latest - toks.start[lo] <= rules.max_duration_ms


def _mergeable(plan: _Plan, lo: int, hi: int) -> bool:
    """Whether ``lo..hi`` fits one cue without a forbidden line break."""
    if not _fits(plan, lo, hi):
        return False
    starts = _arrange(plan.pw, plan.bc, lo, hi, plan.rules, plan.gp)
    return starts is not None and all(plan.bc[t - 1] < FORBIDDEN_BREAK_COST for t in starts[1:])


def _cut_block(plan: _Plan, a: int, b: int, out: list[tuple[int, int]]) -> None:
    """Cheapest cutting of tokens ``a..b`` (no forced cut inside) into cues, appended to ``out``."""
    rules, toks = plan.rules, plan.toks
    cols = rules.max_line_columns + _EPS
    capacity = rules.max_line_columns * rules.max_lines
    orphan_width = rules.max_line_columns * ORPHAN_SHARE
    cut_cost = [0.0] * (b - a + 1)
    for k in range(a, b):
        pause = toks.start[k + 1] - toks.end[k]
        cost = CUT_COST + plan.bc[k] - PAUSE_BONUS * min(max(pause, 0), rules.pause_split_ms) / rules.pause_split_ms
        if toks.utterance_end[k]:
            cost -= UTTERANCE_END_BONUS
        cut_cost[k - a] = cost
    # best[k - a + 1]: cheapest cutting of a..k; back[...]: where its last cue starts.
    best = [math.inf] * (b - a + 2)
    best[0] = 0.0
    back = [0] * (b - a + 2)
    pw, bc, widths, starts, ends = plan.pw, plan.bc, toks.width, toks.start, toks.end
    gap, gp = plan.gap, plan.gp
    max_lines, max_duration = rules.max_lines, rules.max_duration_ms
    for i in range(a, b + 1):
        base = best[i - a] + CUE_COST
        lines, line_w, width = 1, widths[i], widths[i]
        start, latest = starts[i], ends[i]
        # For two-line cues: the cheapest line break still possible (first line i..t, t >= t_lo).
        break_min: list[float] = []
        t_lo = i
        for k in range(i, b + 1):
            if k > i:
                w = widths[k]
                g = gap[k]
                width += g + w
                if line_w + g + w <= cols:
                    line_w += g + w
                else:
                    lines += 1
                    if lines > max_lines:
                        break
                    line_w = w
                    if lines == 2:
                        break_min = bc[i:k]
                        for j in range(len(break_min) - 2, -1, -1):
                            if break_min[j + 1] < break_min[j]:
                                break_min[j] = break_min[j + 1]
                if ends[k] > latest:
                    latest = ends[k]
                    if latest - start > max_duration:
                        break
            empty = 1.0 - width / capacity
            cost = base + cut_cost[k - a]
            if empty > 0.0:
                cost += FILL_WEIGHT * empty * empty
            if lines == 2:
                while pw[k + 1] - pw[t_lo + 1] + gp[k + 1] - gp[t_lo + 2] > cols:
                    t_lo += 1
                if break_min[t_lo - i] > 0.0:
                    cost += break_min[t_lo - i]
            if width < orphan_width and (i > a or k < b):
                cost += ORPHAN_COST
            if cost < best[k - a + 1]:
                best[k - a + 1] = cost
                back[k - a + 1] = i
    cues: list[tuple[int, int]] = []
    end = b
    while end >= a:
        i = back[end - a + 1]
        cues.append((i, end))
        end = i - 1
    out.extend(reversed(cues))


def _cut(plan: _Plan) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    a = 0
    for k, forced in enumerate(plan.forced):
        if forced:
            _cut_block(plan, a, k, groups)
            a = k + 1
    return groups


# --------------------------------------------------------------------------- merging


def _need_ms(chars: int, rules: SegmentRules) -> int:
    """How long a cue of ``chars`` characters should stay up: minimum duration and reading speed."""
    return min(rules.max_duration_ms, max(rules.min_duration_ms, math.ceil(chars * 1000 / rules.max_cps)))


def _merge_short(plan: _Plan, groups: list[tuple[int, int]], gap: int, last_limit: float) -> list[tuple[int, int]]:
    """Merge cues that cannot be shown long enough with the neighbour that helps most."""
    toks = plan.toks
    n = len(toks.text)

    def shortfall(g: tuple[int, int]) -> float:
        lo, hi = g
        need = _need_ms(plan.pc[hi + 1] - plan.pc[lo] + plan.spaces[hi + 1] - plan.spaces[lo + 1], plan.rules)
        room = (toks.start[hi + 1] - gap if hi + 1 < n else last_limit) - toks.start[lo]
        return max(0.0, need - room)

    out: list[tuple[int, int]] = []
    idx = 0
    cur = groups[0]
    while True:
        short = shortfall(cur)
        if short > 0:
            gain_next = gain_prev = 0.0
            if idx + 1 < len(groups) and _mergeable(plan, cur[0], groups[idx + 1][1]):
                nxt = groups[idx + 1]
                gain_next = short + shortfall(nxt) - shortfall((cur[0], nxt[1]))
            if out and _mergeable(plan, out[-1][0], cur[1]):
                prev = out[-1]
                gain_prev = shortfall(prev) + short - shortfall((prev[0], cur[1]))
            if gain_next > 0 and gain_next >= gain_prev:
                idx += 1
                cur = (cur[0], groups[idx][1])
                continue
            if gain_prev > 0:
                cur = (out.pop()[0], cur[1])
                continue
        out.append(cur)
        idx += 1
        if idx >= len(groups):
            return out
        cur = groups[idx]


# --------------------------------------------------------------------------- timing


def segment(transcript: Transcript, rules: SegmentRules | None = None, fps: Fraction | None = None) -> SubtitleTrack:
    """Cut ``transcript`` into timed, line-broken cues following ``rules`` at frame rate ``fps``.

    ``rules`` defaults to ``rules_for(transcript.language)``, ``fps`` to ``DEFAULT_FPS``.
    Guarantees: the cues' words are the input's words in order (only over-wide words are split);
    every cue fits the layout and ``max_duration_ms``; gaps are at least ``frame_ms(min_gap_frames)``;
    a cue starts on its first word's onset unless that is earlier than the previous cue's start
    plus ``min_visible_ms`` plus the gap, in which case it starts exactly there.
    """
    rules = rules_for(transcript.language) if rules is None else rules
    rate = DEFAULT_FPS if fps is None else Fraction(fps)
    gap = frame_ms(rules.min_gap_frames, rate)  # validates rate
    chain = math.floor(Fraction(rules.chain_gap_frames * 1000) / rate)
    toks = _tokens(transcript, rules)
    if not toks.text:
        return SubtitleTrack(language=transcript.language, cues=())
    plan = _plan(toks, rules, transcript.language)
    has_limit = transcript.duration_ms > 0
    groups = _merge_short(
        plan, _cut(plan), gap, float(max(transcript.duration_ms, toks.end[-1])) if has_limit else math.inf
    )

    ins: list[int] = []
    for lo, _ in groups:
        ins.append(toks.start[lo] if not ins else max(toks.start[lo], ins[-1] + rules.min_visible_ms + gap))

    cues: list[Cue] = []
    for c, (lo, hi) in enumerate(groups):
        start = ins[c]
        speech_end = max(toks.end[lo : hi + 1])
        if c + 1 < len(groups):
            limit = ins[c + 1] - gap
        elif has_limit:
            limit = max(transcript.duration_ms, speech_end, start + rules.min_visible_ms)
        else:
            limit = start + rules.max_duration_ms
        hard = min(limit, start + rules.max_duration_ms)
        starts = _arrange(plan.pw, plan.bc, lo, hi, rules, plan.gp)
        assert starts is not None, "cut groups always fit the layout"
        lines = _lines(toks.text, starts, hi, toks.glued)
        need = _need_ms(sum(len(line) for line in lines), rules)
        end = min(speech_end + rules.max_linger_ms, hard)
        end = max(end, min(start + need, hard))
        if c + 1 < len(groups) and ins[c + 1] - end <= chain:
            end = hard
        cues.append(Cue(start_ms=start, end_ms=end, lines=lines))  # end > start: hard > start
    return SubtitleTrack(language=transcript.language, cues=tuple(cues))
