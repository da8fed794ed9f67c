"""LocalAgreement-2 (pure): commit only what two consecutive decodes agree on; never take it back."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.live import LocalAgreement, TimedWord


def words(*texts: str, start: int = 0, step: int = 300) -> list[TimedWord]:
    return [TimedWord(start + i * step, start + i * step + 250, t) for i, t in enumerate(texts)]


def test_a_word_is_committed_only_when_two_decodes_agree() -> None:
    la = LocalAgreement()
    assert la.insert(words("안녕", "하세")) == []
    committed = la.insert(words("안녕", "하세요", "여러분"))
    assert [w.text for w in committed] == ["안녕"]
    committed = la.insert(words("안녕", "하세요", "여러분", "오늘"))
    assert [w.text for w in committed] == ["하세요", "여러분"]
    assert [w.text for w in la.pending] == ["오늘"]
    assert [w.text for w in la.flush()] == ["오늘"]


def test_words_already_committed_are_not_committed_again_after_a_trim() -> None:
    la = LocalAgreement()
    la.insert(words("하나", "둘", "셋"))
    la.insert(words("하나", "둘", "셋"))
    # The buffer was trimmed after "둘": the next decode starts at "셋" (a repeat at the seam) and goes on.
    tail = words("셋", "넷", start=600)
    assert la.insert(tail) == []
    assert [w.text for w in la.insert(words("셋", "넷", "다섯", start=600))] == ["넷"]


def test_committed_times_never_go_back() -> None:
    la = LocalAgreement()
    la.insert(words("가", "나"))
    la.insert(words("가", "나"))
    early = [TimedWord(450, 500, "다"), TimedWord(600, 700, "라")]
    la.insert(early)
    out = la.insert(early)
    assert out and out[0].start_ms >= 550


hyp = st.lists(st.sampled_from(["가", "나", "다", "라", "마", "바"]), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(hyp, min_size=1, max_size=12))
def test_the_committed_sequence_only_grows_and_each_word_was_agreed(hypotheses: list[list[str]]) -> None:
    la = LocalAgreement(tolerance_ms=0, max_ngram=0)
    shown: list[TimedWord] = []
    previous: list[TimedWord] = []
    for texts in hypotheses:
        # Every decode covers the same audio from 0: times are fixed per position.
        current = words(*texts)
        before = list(shown)
        new = la.insert(current)
        shown.extend(new)
        assert shown[: len(before)] == before  # never retracted or changed
        for w in new:  # each committed word is in this decode and was in the previous one, same place
            assert any(p.text == w.text and p.start_ms == w.start_ms for p in previous)
            assert any(c.text == w.text and c.start_ms == w.start_ms for c in current)
        assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(shown))
        previous = current
