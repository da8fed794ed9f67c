"""The commit policy of live captions: LocalAgreement-2 (pure).

whisper_streaming (Macháček, Dabre and Bojar, 2023) decodes a growing audio buffer again and again
and commits a word only when two consecutive decodes agree on it: the longest common prefix of the
last two hypotheses, beyond what is already committed. Committed words are shown and never taken
back; the rest of the newest hypothesis waits for the next decode.

Times are integer milliseconds of the stream. A hypothesis covers the whole audio buffer, so its
first words repeat what is already committed: words starting before the last committed word's end
(less ``tolerance_ms``) are ignored, and so is a repeated n-gram (1-5 words) at the seam.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..quality import stutters, timeless_runs
from ..segment import SENTENCE_END

__all__ = ["LocalAgreement", "TimedWord", "after_loop", "common_prefix", "cut_collapsed", "cut_loop", "cut_tail_repeat",
           "ends_sentence", "goes_on", "letter_count", "loop_start"]


@dataclass(frozen=True, slots=True)
class TimedWord:
    """One decoded word with its stream time and the decoder's confidence in it and its segment."""

    start_ms: int
    end_ms: int
    text: str
    probability: float = 1.0
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    #: False: the window committed it as one decode read it (the speaker stopped, or its audio left the window,
    #: before a second decode confirmed it). True otherwise, a stretch decoded alone in a full window included
    #: (:meth:`LocalAgreement.take`: marking those False changed nothing on the ten replayed recordings).
    agreed: bool = True

    def __post_init__(self) -> None:
        if self.start_ms < 0 or self.end_ms < self.start_ms:
            raise ValueError(f"TimedWord: bad span {self.start_ms}-{self.end_ms} ms")
        if not self.text.strip():
            raise ValueError("TimedWord: text must not be empty")


def _letters(text: str) -> str:
    """A word's text as compared between decodes: no spaces, no punctuation."""
    return "".join(ch for ch in text if ch.isalnum())


def letter_count(words: Iterable[TimedWord]) -> int:
    """How many letters ``words`` hold, as compared between decodes (no spaces, no punctuation)."""
    return sum(len(_letters(w.text)) for w in words)


def common_prefix(a: Sequence[TimedWord], b: Sequence[TimedWord]) -> int:
    """How many leading words of ``b`` the two hypotheses share, compared letter by letter.

    Whisper spaces Korean differently from one decode to the next ("한잔의 커피가" / "한 잔의 커피가") and
    moves a comma or a full stop; compared word by word, fanlive's last sentence found no agreement in
    five decodes (3 s) over its first word. A word of ``b`` is shared when its letters lie within the
    letters both share, and either more shared letters follow or ``a`` ends a word there too (so "잔"
    never agrees with the start of "잔의").
    """
    left, right = "".join(_letters(w.text) for w in a), "".join(_letters(w.text) for w in b)
    shared = next((i for i, (x, y) in enumerate(zip(left, right, strict=False)) if x != y), min(len(left), len(right)))
    ends = set(itertools.accumulate(len(_letters(w.text)) for w in a))
    n, pos = 0, 0
    for w in b:
        pos += len(_letters(w.text))
        if pos > shared or (pos == shared and pos not in ends):
            break
        n += 1
    return n


def _is_number(text: str) -> bool:
    return text.strip(" ,.?!").isdigit()


def cut_loop(words: Sequence[TimedWord], n: int = 3, keep: int = 2) -> list[TimedWord]:
    """``words`` up to where Whisper starts looping: the ``keep + 1``-th occurrence of any ``n``-gram,
    a word said ``keep + 2`` times in a row, ``keep + 1`` bare numbers in a row (it counts "1, 2, 3, 4"
    over music), or a word that stutters (a syllable four times: "인은은은은"). Speech rarely does that in
    one window; a decoder stuck over music or noise does it at once ("한 번 더, 한 번 더, 한 번 더 …")."""
    found = _find_loop(words, n, keep)
    return list(words[: found[1]]) if found else list(words)


def cut_tail_repeat(words: Sequence[TimedWord], max_words: int = 3) -> list[TimedWord]:
    """``words`` with a word or a phrase of up to ``max_words`` said again and again at their very end said once:
    at the end of the audio Whisper starts its loop with a second round of the last word ("미니슨의 에디슨의
    에디슨의..", "못놔서, 못놔서, 못놔서." over music after a sentence, conversation.mp4 and conv-105) or of a short
    line ("반전의 컵 반전의 컵" over the music after "한 잔 의", conv-104); speech that goes on shows in the next
    decodes."""
    bare = [_letters(w.text) for w in words]

    def repeated(n: int) -> int:  # the length of the shortest phrase said twice at the end of ``words[:n]``; 0: none
        return next((k for k in range(1, max_words + 1)
                     if n >= 2 * k and all(bare[n - k:n]) and bare[n - k:n] == bare[n - 2 * k:n - k]), 0)

    n = len(words)
    while k := repeated(n):
        n -= k
    return list(words[:n])


def goes_on(committed: Sequence[TimedWord], word: TimedWord, pause_ms: int) -> bool:
    """``word`` goes on from the ``committed`` words: after one that ends no sentence, less than ``pause_ms`` later.

    The word before a loop over the music after a sentence is often the sentence's last ("민간 자문단장으로
    위축되면서 뭐, 뭐, 뭐, …", conversation.mp4 at 9.5 s): thrown away with the loop, it was never captioned."""
    return bool(committed) and not ends_sentence(committed[-1]) and word.start_ms - committed[-1].end_ms < pause_ms


def ends_sentence(word: TimedWord) -> bool:
    """Whether ``word`` ends a sentence (its last letter before closing quotes or brackets is a full stop, ...)."""
    return word.text.rstrip("\"'”’)]")[-1:] in SENTENCE_END


def cut_collapsed(words: Sequence[TimedWord], run: int = 3, max_ms: int = 20) -> list[TimedWord]:
    """``words`` up to the first ``run`` words in a row that take no time (``max_ms`` or less each).

    Whisper sometimes writes on past the audio it heard: at the end of a live window it repeated the
    whole sentence (noisy.mp4 at 71.8 s: "더 선은 이름이 밝혀지지 …" 14 words, each 71.77-71.77). Text
    with no time under it was not heard; left in, it made the sentence look like a loop from its
    first word, and the engine threw the sentence away with the loop."""
    gone = timeless_runs(words, run=run, max_ms=max_ms)
    return list(words[: gone[0]]) if gone else list(words)


def loop_start(words: Sequence[TimedWord], n: int = 3, keep: int = 2) -> int | None:
    """Where the loop :func:`cut_loop` cuts began (its first occurrence), or None without a loop."""
    found = _find_loop(words, n, keep)
    return found[0] if found else None


def after_loop(words: Sequence[TimedWord], lead: int = 2) -> int | None:
    """The first word after a loop that starts within the first ``lead`` words, or None.

    Over music the VAD calls speech, Whisper writes a word or two, loops ("로봇에 러스 러스 러스 …",
    "여러분, 쌤아 쓰시시시…"), and then, in the same decode, the sentence that follows the music. Cut at the
    loop, every hypothesis ended before the sentence, the junk before the loop never agreed, and the
    sentence waited until the window was cut (noisy.mp4 at 64.8 s, 10 s late). The word returned is the
    first after the loop's second round that is not one of the loop's words, a number or a stutter:
    where the speech may resume.
    """
    found = _find_loop(words, 3, 1)
    if found is None or found[0] > lead:
        return None
    first, cut = found
    looped = {w.text.strip(",.?!") for w in words[first: max(cut, first + 1)]}
    for i in range(cut, len(words)):
        bare = words[i].text.strip(",.?!")
        if not (bare in looped or _is_number(words[i].text) or stutters(bare)):
            return i
    return None


def _find_loop(words: Sequence[TimedWord], n: int, keep: int) -> tuple[int, int] | None:
    """``(first occurrence, cut)`` of the first loop in ``words``, or None."""
    seen: dict[tuple[str, ...], list[int]] = {}
    run, numbers = 1, 0
    bare = [w.text.strip(",.?!") for w in words]  # "화이팅, 화이팅, 화이팅" is one word three times
    for i, w in enumerate(words):
        if stutters(bare[i]):
            return i, i
        run = run + 1 if i and bare[i - 1] == bare[i] else 1
        if run > keep + 1:
            return i + 1 - run, i
        numbers = numbers + 1 if _is_number(w.text) else 0
        if numbers > keep:
            return i + 1 - numbers, i + 1 - numbers
        if i + 1 >= n:
            gram = tuple(bare[i + 1 - n: i + 1])
            seen.setdefault(gram, []).append(i + 1 - n)
            if len(seen[gram]) > keep:
                return seen[gram][0], i + 1 - n
    return None


@dataclass
class LocalAgreement:
    """Feed each new hypothesis to :meth:`insert`; it returns the words newly committed.

    The committed sequence only grows: nothing returned is ever changed or taken back.
    """

    tolerance_ms: int = 100
    max_ngram: int = 5
    committed: list[TimedWord] = field(default_factory=list)
    pending: list[TimedWord] = field(default_factory=list)

    @property
    def committed_end_ms(self) -> int:
        return self.committed[-1].end_ms if self.committed else 0

    def beyond_committed(self, hypothesis: Sequence[TimedWord]) -> list[TimedWord]:
        """The words of a hypothesis of the whole buffer that come after the committed ones."""
        floor = self.committed_end_ms - self.tolerance_ms
        new = [w for w in hypothesis if w.start_ms > floor] if self.committed else list(hypothesis)
        rest = self._rest_of_joined(hypothesis, floor)
        if rest is not None:
            new.insert(0, rest)
        if new and self.committed and abs(new[0].start_ms - self.committed_end_ms) < 1000:
            tail = [w.text for w in self.committed[-self.max_ngram:]]
            for n in range(min(len(tail), len(new), self.max_ngram), 0, -1):
                if tail[-n:] == [w.text for w in new[:n]]:
                    new = new[n:]
                    break
        return new

    def _rest_of_joined(self, hypothesis: Sequence[TimedWord], floor: int) -> TimedWord | None:
        """What a word across the seam holds beyond the committed words it begins with, or None.

        Whisper joins words differently from one decode to the next: fanlive at 16 s, "겹쳐" was committed
        and the next decodes wrote "겹쳐스러지면" as one word from the same start; as a word starting before
        the committed end it counted as said, and "쓰러지며" was never captioned. A word that starts with the
        letters of the committed words under it and goes on past them stands for its remaining letters."""
        if not self.committed:
            return None
        end = self.committed_end_ms
        across = [w for w in hypothesis if w.start_ms <= floor and w.end_ms > end + self.tolerance_ms]
        if not across:
            return None
        word = across[-1]
        said = "".join(_letters(c.text) for c in self.committed if c.end_ms > word.start_ms)
        letters = _letters(word.text)
        if not said or len(letters) <= len(said) or not letters.startswith(said):
            return None
        seen = 0
        for i, ch in enumerate(word.text):
            seen += ch.isalnum()
            if seen == len(said):
                return replace(word, start_ms=end, text=word.text[i + 1:].strip().lstrip(",.?!"))
        return None

    def insert(self, hypothesis: Sequence[TimedWord], until_ms: int | None = None) -> list[TimedWord]:
        """Take the newest decode of the buffer; commit what it and the previous one agree on.

        ``until_ms``: only words ending by then may commit (a word at the very end of the audio may be
        cut off mid-syllable in both decodes, and agree on the wrong text)."""
        new = self.beyond_committed(hypothesis)
        agreed = common_prefix(self.pending, new)
        if until_ms is not None:
            agreed = next((i for i, w in enumerate(new[:agreed]) if w.end_ms > until_ms), agreed)
        out = self._commit(new[:agreed])
        self.pending = new[agreed:]
        return out

    def flush(self) -> list[TimedWord]:
        """Commit the pending words as they are (the speech ended, or the stream did), marked as not agreed on."""
        out = self._commit([replace(w, agreed=False) for w in self.pending])
        self.pending = []
        return out

    def flush_until(self, ms: int) -> list[TimedWord]:
        """Commit the pending words that end by ``ms`` (their audio is being dropped); the rest stay pending."""
        n = next((i for i, w in enumerate(self.pending) if w.end_ms > ms), len(self.pending))
        out = self._commit([replace(w, agreed=False) for w in self.pending[:n]])
        self.pending = self.pending[n:]
        return out

    def past_committed(self, words: Iterable[TimedWord]) -> list[TimedWord]:
        """The ``words`` heard elsewhere that :meth:`take` would commit: those starting after the committed ones."""
        return [w for w in words if w.start_ms >= self.committed_end_ms - self.tolerance_ms]

    def take(self, words: Sequence[TimedWord]) -> list[TimedWord]:
        """Commit ``words`` heard elsewhere (a stretch decoded alone) as they are, those after the committed
        ones only; the pending words stay."""
        return self._commit(self.past_committed(words))

    def drop_pending(self) -> None:
        """Forget the pending words (audio skipped, a gap in the source)."""
        self.pending = []

    def _commit(self, words: Sequence[TimedWord]) -> list[TimedWord]:
        out: list[TimedWord] = []
        for w in words:
            floor = self.committed_end_ms
            start = max(w.start_ms, floor)
            word = w if start == w.start_ms else replace(w, start_ms=start, end_ms=max(start, w.end_ms))
            self.committed.append(word)
            out.append(word)
        # Only the seam matters for de-duplication: keep memory flat on a long stream.
        if len(self.committed) > 64:
            del self.committed[: len(self.committed) - 32]
        return out
