"""Phrase-by-phrase translation (pure parts and the worker with a stand-in engine): every committed word
is translated exactly once, in order, and a shown English caption only ever grows."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.errors import TranslationError
from streamkit.live import Caption
from streamkit.live.translation import PhraseSplitter, TranslationWorker, phrase_end
from streamkit.models import Transcript, Utterance, Word


def word_list(text: str, start: int = 0) -> tuple[Word, ...]:
    return tuple(Word(start + i * 400, start + i * 400 + 350, w) for i, w in enumerate(text.split()))


def caption(sentence: int, text: str, *, final: bool = False) -> Caption:
    ws = word_list(text)
    return Caption("ko", sentence, text, (text,), ws[0].start_ms, ws[-1].end_ms, final, words=ws)


def test_a_phrase_ends_at_a_comma_or_a_clause_ending_else_after_enough_words() -> None:
    assert phrase_end(word_list("김 전 장관의 동료인 교수가 위촉되면서 본격적인"), 4) == 6
    assert phrase_end(word_list("그 바람에 나의 몸도"), 4) == 4
    assert phrase_end(word_list("그 바람에"), 4) == 0
    assert phrase_end(word_list("네, 그"), 4) == 0  # a phrase is two words or more


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["지난해", "3월", "하고,", "교수가", "되면서", "들어갔다."]), min_size=1, max_size=20),
       st.lists(st.integers(1, 4), max_size=10))
def test_every_word_goes_out_once_in_order(texts: list[str], steps: list[int]) -> None:
    splitter = PhraseSplitter(min_words=3)
    sent: list[str] = []
    n = 0
    for step in steps:
        n = min(len(texts), n + step)
        for phrase in splitter.cut(caption(1, " ".join(texts[:n]))):
            sent += phrase.text.split()
    for phrase in splitter.cut(caption(1, " ".join(texts), final=True)):
        assert phrase.final
        sent += phrase.text.split()
    assert sent == texts


@dataclass
class Upper:
    """A stand-in engine (the real engines are tested against tests/libre_server.py): one line per line."""

    def translate(self, transcript: Transcript, _progress: object) -> Transcript:
        return Transcript("en", tuple(Utterance(u.start_ms, u.end_ms, f"<{u.text}>") for u in transcript.utterances),
                          duration_ms=transcript.duration_ms)


def test_a_sentence_s_first_phrase_goes_out_sooner_than_the_rest() -> None:
    splitter = PhraseSplitter(first_chars=0)
    assert [p.text for p in splitter.cut(caption(1, "지난해 3월"))] == []
    assert [p.text for p in splitter.cut(caption(1, "지난해 3월 김"))] == ["지난해 3월 김"]
    assert [p.text for p in splitter.cut(caption(1, "지난해 3월 김 전 장관의 동료인"))] == []  # 3 more: wait for 4
    more = splitter.cut(caption(1, "지난해 3월 김 전 장관의 동료인 장 교수가"))
    assert [p.text for p in more] == ["전 장관의 동료인 장 교수가"]
    assert [p.text for p in splitter.cut(caption(2, "그 바람에 나의"))] == ["그 바람에 나의"]  # a new sentence


@pytest.mark.parametrize(("said", "first"), [
    ("지난해 3월", "지난해 3월"),  # 5 letters and digits: "Last March" says something
    ("다른 지역에서는", "다른 지역에서는"),
    ("그 바람에", None),  # 4: "As a result" alone says nothing yet
    ("또한 박", None),
    ("네", None),  # a phrase is two words or more
])
def test_two_words_that_say_something_are_a_sentence_s_first_phrase(said: str, first: str | None) -> None:
    """noisy.mp4 replayed in 1 s HLS segments: the English median went from 3.73 to 3.07 s (docs/benchmarks.md)."""
    splitter = PhraseSplitter()
    assert [p.text for p in splitter.cut(caption(1, said))] == ([first] if first else [])
    if first is None and len(said.split()) == 2:
        assert [p.text for p in splitter.cut(caption(1, f"{said} 전"))] == [f"{said} 전"]  # the third word


def test_english_grows_phrase_by_phrase_and_is_final_with_the_sentence() -> None:
    shown: list[Caption] = []
    worker = TranslationWorker(Upper(), "en", shown.append)  # type: ignore[arg-type]
    worker.translate_now(caption(1, "지난해 3월"))
    worker.translate_now(caption(1, "지난해 3월 교수가 위촉되면서"))
    worker.translate_now(caption(1, "지난해 3월 교수가 위촉되면서 작업에 들어갔다.", final=True))
    assert [(c.text, c.final) for c in shown] == [
        ("<지난해 3월>", False),
        ("<지난해 3월> <교수가 위촉되면서>", False),
        ("<지난해 3월> <교수가 위촉되면서> <작업에 들어갔다.>", True),
    ]
    assert shown[-1].cues and worker.translated == 1


def test_whole_sentences_only_when_phrases_are_off() -> None:
    shown: list[Caption] = []
    worker = TranslationWorker(Upper(), "en", shown.append, splitter=PhraseSplitter(phrases=False))  # type: ignore[arg-type]
    worker.translate_now(caption(1, "지난해 3월 교수가 위촉되면서"))
    worker.translate_now(caption(1, "지난해 3월 교수가 위촉되면서 작업에 들어갔다.", final=True))
    assert [(c.text, c.final) for c in shown] == [("<지난해 3월 교수가 위촉되면서 작업에 들어갔다.>", True)]


@dataclass
class Outage:
    """A stand-in engine that is unreachable for its first ``down`` requests (a real unreachable host costs a
    connection timeout each time; tests/libre_server.py covers the real engines)."""

    down: int
    calls: int = 0

    def translate(self, transcript: Transcript, _progress: object) -> Transcript:
        self.calls += 1
        if self.calls <= self.down:
            raise TranslationError("google", "unreachable: cannot connect to translate.google.com")
        return Upper().translate(transcript, _progress)


def test_an_unreachable_engine_is_tried_again_later_not_for_every_phrase(caplog: pytest.LogCaptureFixture) -> None:
    """Without a route to the engine, every phrase cost a connection timeout and a warning (10 in 55 s)."""
    shown: list[Caption] = []
    engine = Outage(down=1)
    worker = TranslationWorker(engine, "en", shown.append, first_pause_s=0.2)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="streamkit"):
        for i in range(1, 6):
            worker.translate_now(caption(i, "지난해 3월 교수가 위촉되면서 작업에 들어갔다.", final=True))
        assert engine.calls == 1 and worker.failures == 5 and not shown
        time.sleep(0.25)
        worker.translate_now(caption(6, "지난해 3월 교수가 위촉되면서 작업에 들어갔다.", final=True))
    assert engine.calls == 2 and [c.sentence for c in shown] == [6]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2 and "not translated until it answers again" in warnings[0]
    assert "answers again (5 phrase(s) were not translated)" in warnings[1]
