"""Sentences, not cues: the Korean transcript's words (or an SRT's cues) joined into sentences.

:func:`join_sentences` cuts after sentence-final punctuation, after Korean final endings (``다``,
``요``, ``까`` ...) at the end of a decoded segment or before a pause, and at long pauses; over-long
sentences are cut at their best clause boundary. Each English sentence keeps the time span of the
Korean words it renders (first word's start to last word's end) and carries no words, so
``segment`` re-cuts it by the English rules. :func:`transcript_from_track` reads an editor's SRT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import SubtitleTrack, Transcript, Utterance

#: Characters that end a sentence.
SENTENCE_END_MARKS = frozenset(".?!…。？！")
#: Looked through when finding a word's final mark or ending (``요~``, ``"했다."``).
_TRAILERS = "\"'”’)]}»」』>~〜 "
#: Korean final endings that end a sentence at the end of a decoded segment or cue.
FINAL_ENDINGS: tuple[str, ...] = (
    "니다", "어요", "아요", "에요", "예요", "세요", "해요", "네요", "군요", "죠", "요", "다", "까",
    "네", "지", "야", "어", "아", "래", "자", "구나", "거든", "잖아",
)  # fmt: skip
#: Endings strong enough to end a sentence inside a segment, when a short pause follows.
STRONG_ENDINGS: tuple[str, ...] = ("니다", "요", "죠", "다", "까")
#: Words that look like they carry a final ending but do not (nouns, particles).
ENDING_LOOKALIKES: tuple[str, ...] = ("필요", "중요", "주요", "수요", "보다", "바다", "아까", "까지", "부터")
#: Endings after which an over-long sentence is best cut (clause ends).
CLAUSE_ENDINGS: tuple[str, ...] = ("는데", "지만", "니까", "고", "며", "면", "서", "데")
_CLAUSE_MARKS = frozenset(",;:、，；：")
#: Index of ㅂ among the final consonants of a precomposed Hangul syllable.
_JONGSEONG_BIEUP = 17


@dataclass(frozen=True, slots=True)
class Sentence:
    """Korean text to translate as one unit, with the span of the speech it covers."""

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True, slots=True)
class JoinRules:
    """How :func:`join_sentences` cuts. Times in ms."""

    #: Silence at least this long always ends a sentence.
    pause_ms: int = 1500
    #: A strong final ending followed by at least this much silence ends a sentence.
    ending_pause_ms: int = 350
    #: A sentence longer than this (characters) or this (ms) is cut at its best clause boundary.
    max_chars: int = 160
    max_ms: int = 15000


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int
    segment_end: bool = False


def _spread(parts: list[str], start: int, end: int) -> list[_Token]:
    """Share ``start..end`` among ``parts`` by character count (as ``segment`` does)."""
    total = sum(len(p) for p in parts) or 1
    span = max(0, end - start)
    out: list[_Token] = []
    done = 0
    for p in parts:
        a = start + span * done // total
        done += len(p)
        out.append(_Token(p, a, start + span * done // total))
    return out


def _squash(text: str) -> str:
    return "".join(text.split())


def _utterance_tokens(u: Utterance) -> list[_Token]:
    parts = u.text.split()
    words = [w for w in u.words if w.text.strip()]
    if words:
        word_texts = [w.text.strip() for w in words]
        if _squash(" ".join(word_texts)) == _squash(u.text):
            return [_Token(t, w.start_ms, w.end_ms) for t, w in zip(word_texts, words, strict=True)]
        if len(parts) == len(words):  # corrected text (glossary), same words: keep their timing
            return [_Token(t, w.start_ms, w.end_ms) for t, w in zip(parts, words, strict=True)]
        return _spread(parts, words[0].start_ms, max(w.end_ms for w in words))
    return _spread(parts, u.start_ms, u.end_ms)


def _tokens(transcript: Transcript) -> list[_Token]:
    out: list[_Token] = []
    previous = 0
    for u in transcript.utterances:
        tokens = _utterance_tokens(u)
        if not tokens:
            continue
        for tok in tokens:
            tok.start = max(tok.start, previous)
            tok.end = max(tok.end, tok.start)
            previous = tok.start
            if out and not any(ch.isalnum() for ch in tok.text) and not out[-1].segment_end:
                out[-1].text += tok.text  # punctuation decoded as its own word
                out[-1].end = max(out[-1].end, tok.end)
                continue
            out.append(tok)
        out[-1].segment_end = True
    return out


def _core(word: str) -> str:
    return word.rstrip(_TRAILERS + "".join(SENTENCE_END_MARKS) + "".join(_CLAUSE_MARKS) + "-")


def _has_ending(word: str, endings: tuple[str, ...]) -> bool:
    core = _core(word)
    if core.endswith("니까") and endings is not CLAUSE_ENDINGS:
        # 합니까 / 습니까 / 입니까 ask a question (ㅂ final before 니까); 오니까 / 했으니까 mean "because".
        before = core[-3:-2]
        return bool(before) and "가" <= before <= "힣" and (ord(before) - 0xAC00) % 28 == _JONGSEONG_BIEUP
    return core.endswith(endings) and not core.endswith(ENDING_LOOKALIKES)


def _final_mark(word: str) -> str:
    stripped = word.rstrip(_TRAILERS)
    return stripped[-1:] if stripped else ""


def _ends_sentence(tok: _Token, nxt: _Token, rules: JoinRules) -> bool:
    gap = nxt.start - tok.end
    if gap >= rules.pause_ms or _final_mark(tok.text) in SENTENCE_END_MARKS:
        return True
    if tok.segment_end and _has_ending(tok.text, FINAL_ENDINGS):
        return True
    return gap >= rules.ending_pause_ms and _has_ending(tok.text, STRONG_ENDINGS)


def _cut_score(tok: _Token, nxt: _Token) -> float:
    """How good a cut after ``tok`` is, inside a sentence that must be cut."""
    score = min(max(nxt.start - tok.end, 0), 1000) / 1000
    if _final_mark(tok.text) in _CLAUSE_MARKS:
        score += 2.0
    elif _has_ending(tok.text, CLAUSE_ENDINGS) or _has_ending(tok.text, FINAL_ENDINGS):
        score += 1.5
    if tok.segment_end:
        score += 1.0
    return score


def _best_cut(current: list[_Token], nxt: _Token) -> int:
    """How many tokens of ``current`` to keep as a sentence before ``nxt`` (at least 1)."""
    best, where = 0.5, len(current)  # plain cut before ``nxt`` unless a real boundary exists
    for k in range(1, len(current)):
        score = _cut_score(current[k - 1], current[k]) + 0.1 * k / len(current)
        if score > best:
            best, where = score, k
    return where


def _sentence(tokens: list[_Token]) -> Sentence:
    return Sentence(tokens[0].start, max(t.end for t in tokens), " ".join(t.text for t in tokens))


def join_sentences(transcript: Transcript, rules: JoinRules | None = None) -> list[Sentence]:
    """Join a transcript's words (or cues, spread by character count) into sentences.

    The spans are the Korean speech's: start of the first word, end of the last. Works on any
    language, but the ending rules are Korean.
    """
    rules = rules or JoinRules()
    tokens = _tokens(transcript)
    sentences: list[Sentence] = []
    current: list[_Token] = []

    def too_long(tok: _Token) -> bool:
        chars = sum(len(t.text) + 1 for t in current) + len(tok.text)
        return chars > rules.max_chars or tok.end - current[0].start > rules.max_ms

    for i, tok in enumerate(tokens):
        while current and too_long(tok):
            keep = _best_cut(current, tok)
            sentences.append(_sentence(current[:keep]))
            current = current[keep:]
        current.append(tok)
        if i + 1 == len(tokens) or _ends_sentence(tok, tokens[i + 1], rules):
            sentences.append(_sentence(current))
            current = []
    return sentences


_TAG = re.compile(r"<[^>]{1,40}>|\{\\[^}]*\}")
_DASH = re.compile(r"^[-–—]\s*")


def _clean_line(line: str) -> str:
    return " ".join(_TAG.sub("", line).split())


def transcript_from_track(
    track: SubtitleTrack, *, language: str | None = None, duration_ms: int | None = None
) -> Transcript:
    """A transcript from subtitle cues (an editor's SRT): one utterance per cue, no words.

    Formatting tags are dropped; a dual-speaker cue (every line starting with ``-``) becomes one
    utterance per speaker, the cue's span shared out by character count. ``language`` defaults to
    the track's.
    """
    utterances: list[Utterance] = []
    for cue in track.cues:
        lines = [c for c in (_clean_line(line) for line in cue.lines) if c]
        if not lines:
            continue
        if len(lines) > 1 and all(_DASH.match(line) for line in lines):
            parts = [_DASH.sub("", line) for line in lines]
            parts = [p for p in parts if p]
            for tok in _spread(parts, cue.start_ms, cue.end_ms):
                utterances.append(Utterance(tok.start, tok.end, tok.text))
        else:
            utterances.append(Utterance(cue.start_ms, cue.end_ms, " ".join(lines)))
    end = max((c.end_ms for c in track.cues), default=0)
    return Transcript(language or track.language, tuple(utterances), max(duration_ms or 0, end), task="subtitles")
