"""Sentences, not cues: Korean words and SRT cues joined into sentences (streamkit/translation/sentences.py).

Real HTTP against tests/libre_server.py on 127.0.0.1 (``LibreTranslator`` pointed at it with its own
``custom_url``; the other services' adapters by their base URL set by name, e.g. ``deepl_url``).
Nothing is mocked below ``requests``.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.models import Cue, SubtitleTrack, Transcript
from streamkit.translation.sentences import JoinRules, join_sentences, transcript_from_track

from .helpers import utterance

# --------------------------------------------------------------------------- sentence joining


def test_sentences_split_at_punctuation_and_keep_word_spans() -> None:
    t = Transcript("ko", (utterance(("안녕하세요.", 0, 600), ("오늘은", 700, 1000), ("정말", 1050, 1300),
                                    ("좋아요!", 1350, 1800)),), 5000)  # fmt: skip
    got = [(s.text, s.start_ms, s.end_ms) for s in join_sentences(t)]
    assert got == [("안녕하세요.", 0, 600), ("오늘은 정말 좋아요!", 700, 1800)]


def test_fragments_across_segments_join_into_one_sentence() -> None:
    t = Transcript("ko", (utterance(("제가", 0, 300), ("오늘", 350, 600)),
                          utterance(("노래를", 800, 1100), ("부를게요", 1150, 1600))), 3000)  # fmt: skip
    assert [(s.text, s.start_ms, s.end_ms) for s in join_sentences(t)] == [("제가 오늘 노래를 부를게요", 0, 1600)]


def test_korean_endings_and_pauses_end_sentences() -> None:
    t = Transcript("ko", (utterance(("배고파요", 0, 500), ("밥", 1000, 1200), ("먹었어요", 1250, 1700),
                                    ("그리고", 3500, 3800), ("필요", 3850, 4000), ("없어", 4400, 4700)),), 6000)
    got = [s.text for s in join_sentences(t)]
    # 요 + 500 ms pause ends a sentence; a 1.8 s pause always does; 필요 is a noun, not an ending.
    assert got == ["배고파요", "밥 먹었어요", "그리고 필요 없어"]


@pytest.mark.parametrize(("word", "ends"), [("하십니까", True), ("있습니까?", True), ("입니까", True),
                                          ("오니까", False), ("했으니까", False), ("먹을까", True)])
def test_question_endings_are_told_from_because(word: str, ends: bool) -> None:
    t = Transcript("ko", (utterance((word, 0, 500)), utterance(("그래요", 700, 1000))), 2000)
    assert (len(join_sentences(t)) == 2) is ends


def test_long_run_on_is_cut_at_a_clause_boundary() -> None:
    items = []
    t0 = 0
    for i in range(30):
        text = "했는데" if i == 14 else f"말{i}"
        items.append((text, t0, t0 + 250))
        t0 += 300
    t = Transcript("ko", (utterance(*items),), t0)
    got = join_sentences(t, JoinRules(max_chars=80))
    assert len(got) == 2 and got[0].text.endswith("했는데")
    assert got[0].end_ms <= got[1].start_ms


def test_srt_cues_become_sentences_by_character_share() -> None:
    track = SubtitleTrack("ko", (
        Cue(0, 2000, ("<i>안녕하세요.</i> 오늘은",)),
        Cue(2100, 4000, ("정말 좋아요",)),
        Cue(5000, 7000, ("- 뭐 먹었어?", "- 김밥 먹었어요.")),
    ))  # fmt: skip
    t = transcript_from_track(track)
    got = [(s.text, s.start_ms, s.end_ms) for s in join_sentences(t)]
    assert got[0][0] == "안녕하세요." and got[0][1] == 0 and 0 < got[0][2] < 2000
    assert got[1][0] == "오늘은 정말 좋아요" and got[1][2] == 4000
    assert [g[0] for g in got[2:]] == ["뭐 먹었어?", "김밥 먹었어요."]
    assert got[2][1] == 5000 and got[3][2] == 7000


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["오늘", "정말", "좋아요.", "그런데", "했어요", "필요", "밥", "까지", "요?"]),
                          st.integers(0, 2500), st.integers(50, 800)), min_size=1, max_size=40))
def test_joining_keeps_every_word_in_order_within_its_span(spec: list[tuple[str, int, int]]) -> None:
    items, t = [], 0
    for text, gap, length in spec:
        items.append((text, t + gap, t + gap + length))
        t += gap + length
    transcript = Transcript("ko", (utterance(*items),), t)
    sentences = join_sentences(transcript, JoinRules(max_chars=30))
    assert " ".join(s.text for s in sentences).split() == [w for w, _, _ in items]
    for a, b in itertools.pairwise(sentences):
        assert a.start_ms <= a.end_ms <= b.start_ms
    assert sentences[0].start_ms == items[0][1] and sentences[-1].end_ms == items[-1][2]
