"""Voiced stretches with no cue: the pure part with hypothesis, the speech search on a real recording."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamkit.web.review.voice import speech_spans, uncovered

from ...conftest import FANLIVE


def test_uncovered_parts_of_speech() -> None:
    speech = [(0, 10_000), (20_000, 22_000)]
    cues = [(1000, 4000), (4000, 5000), (9000, 12_000)]
    assert uncovered(speech, cues, min_ms=1000) == [(0, 1000), (5000, 9000), (20_000, 22_000)]
    assert uncovered(speech, cues, min_ms=1500) == [(5000, 9000), (20_000, 22_000)]
    assert uncovered(speech, [(0, 30_000)]) == []


spans = st.lists(st.tuples(st.integers(0, 100_000), st.integers(1, 5000)), max_size=30).map(
    lambda xs: sorted((a, a + d) for a, d in xs))


@given(spans, spans, st.integers(1, 3000))
def test_uncovered_pieces_are_speech_no_cue_covers(speech: list[tuple[int, int]], cues: list[tuple[int, int]],
                                                   min_ms: int) -> None:
    for a, b in uncovered(speech, cues, min_ms):
        assert b - a >= min_ms
        assert any(s <= a and b <= e for s, e in speech)
        assert not any(c0 < b and a < c1 for c0, c1 in cues)


@pytest.mark.slow
def test_speech_is_found_in_a_real_recording() -> None:
    found = speech_spans(FANLIVE)  # five read sentences between 1 s and 54 s
    assert 3 <= len(found) <= 20
    assert found[0][0] < 3000 and found[-1][1] > 45_000
    assert all(a < b for a, b in found)
