"""streamkit/glossary/core.py: recognition hints, echoed hints, learning and reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streamkit.glossary import Glossary, load_glossary, proposals_toml
from streamkit.models import Cue, SubtitleTrack, Transcript, Utterance, Word

HANGUL = re.compile(r"[\uac00-\ud7a3]")


# --------------------------------------------------------------------------- recognition


def test_hints_are_chosen_per_recording_never_the_whole_list(g: Glossary) -> None:
    assert g.hints_for("") == []
    assert g.hints_for("오늘 커피 마셨어요") == []
    hints = g.hints_for("[LIVE] 트와이스 9주년 축하해요")
    ids = [e.id for e in hints]
    assert ids[0] == "twice" and "twice.tzuyu" in ids and "bts" not in ids
    assert all(e.id == "twice" or e.group == "twice" for e in hints)
    assert len(g.hints_for("BTS SEVENTEEN TWICE BLACKPINK aespa IVE", limit=12)) == 12


def test_hotwords_are_short_hangul(g: Glossary) -> None:
    hints = g.hints_for("방탄소년단 세븐틴 트와이스 블랙핑크")
    words = g.hotwords(hints)
    assert 0 < len(words) <= 120 and HANGUL.search(words)
    assert "방탄소년단" in words.split() and len(set(words.split())) == len(words.split())
    assert g.hotwords(hints, max_chars=8) == "방탄소년단"


def test_producer_files_come_first_and_override(tmp_path: Path) -> None:
    event = tmp_path / "event.toml"
    event.write_text(
        '[[guest]]\nid = "mc-kim"\nenglish = "MC Kim"\nkorean = ["김엠씨"]\n\n'
        '[[song]]\nid = "whiplash"\nenglish = "Whiplash"\nkorean = ["위플래시"]\ngroup = "aespa"\n\n'
        '[[group]]\nid = "bts"\nenglish = "BTS"\nkorean = ["방탄소년단"]\naliases_en = ["Bantan"]\n',
        encoding="utf-8")
    glossary = load_glossary([event])
    assert [e.id for e in glossary.hints_for("", limit=5)] == ["mc-kim", "whiplash", "bts"]
    assert glossary.enforce_english("Bantan and Bulletproof Boy Scouts") == "BTS and Bulletproof Boy Scouts"
    assert glossary.overrides[0][0] == "bts" and glossary.overrides[0][2] == f"{event}:13"
    assert glossary.by_id["bts.jimin"].group == "bts"  # members stay


def _utt(start: int, text: str, no_speech: float = 0.0) -> Utterance:
    words = tuple(Word(start + i * 300, start + i * 300 + 250, w) for i, w in enumerate(text.split()))
    return Utterance(start, start + 300 * len(words), text, words, no_speech_prob=no_speech)


def test_drop_echoed_hints(g: Glossary) -> None:
    hints = "방탄소년단 알엠 진 슈가 제이홉 지민 뷔 정국"
    t = Transcript("ko", (
        _utt(0, "방탄소년단 알엠 진 슈가 제이홉 지민 뷔 정국"),  # the prompt itself
        _utt(3000, "오늘 커피 마셨어요"),
        _utt(6000, "뷔 정국"),  # two names, the prompt's order
        _utt(9000, "지민아 사랑해"),  # said with a particle: speech
        _utt(12000, "정국 지민"),  # two names, not the prompt's order: could be said
        _utt(15000, "감사합니다 슈가 제이홉 지민"),  # an echoed run glued to speech
        _utt(18000, "정국", no_speech=0.9),
    ), 20000)
    out = g.drop_echoed_hints(t, hints)
    assert [u.text for u in out.utterances] == ["오늘 커피 마셨어요", "지민아 사랑해", "정국 지민", "감사합니다"]
    trimmed = out.utterances[-1]
    assert [w.text for w in trimmed.words] == ["감사합니다"] and trimmed.end_ms == 15250
    assert g.drop_echoed_hints(out, hints) == out
    assert g.drop_echoed_hints(t, "") is t


# --------------------------------------------------------------------------- learn and report


def _track(language: str, *texts: str) -> SubtitleTrack:
    return SubtitleTrack(language, tuple(Cue(i * 2000, i * 2000 + 1500, (t,)) for i, t in enumerate(texts)))


def test_learn_proposes_aliases_variants_and_new_names(g: Glossary) -> None:
    draft = _track("en", "I love Black Pinky so much", "they sang dynamite today", "New Jeans is here")
    fixed = _track("en", "I love BLACKPINK so much", "they sang Dynamite today", "NewJeans is here")
    proposals = g.learn(draft, fixed)
    by_english = {p.english: p for p in proposals}
    assert by_english["BLACKPINK"].entry is not None and "Black Pinky" in by_english["BLACKPINK"].aliases_en
    assert by_english["Dynamite"].is_new and by_english["Dynamite"].aliases_en == ("dynamite",)
    assert "NewJeans" not in by_english  # the glossary already fixes it
    text = proposals_toml(proposals)
    assert 'korean = []  # TODO' in text and '"Black Pinky"' in text
    ko = g.learn(_track("ko", "방탕소년단이 왔어", "방탕소년단이 최고"),
                 _track("ko", "방탄소년단이 왔어", "방탄소년단이 최고"))
    assert len(ko) == 1 and ko[0].entry is not None and ko[0].entry.id == "bts" and "방탕소년단" in ko[0].korean
    assert ko[0].count == 2


def test_report_finds_names_and_missing_english(g: Glossary) -> None:
    korean = _track("ko", "트와이스 왔어요", "지민이 노래해요", "커피 마셔요")
    english = _track("en", "Twice is here", "Someone is singing", "Drinking coffee")
    report = g.report(korean, english)
    assert [(n.entry.id, n.count) for n in report.found] == [("twice", 1), ("bts.jimin", 1)]
    assert [m.entry.id for m in report.missing] == ["bts.jimin"]
    assert report.fixable == ((0, "Twice is here", "TWICE is here"),)
    assert report.summary()["missing"][0]["english"] == "Jimin"


# --------------------------------------------------------------------------- recognition, for real


@pytest.mark.slow
def test_biasing_does_not_invent_names(g: Glossary, transcriber, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Hotwords (and a prompt) full of idol names on a news sentence about coffee: no name appears."""
    from streamkit.media import extract_audio, probe
    from streamkit.transcribe import TranscribeOptions

    from ..conftest import SHORT

    hints = g.hints_for("방탄소년단 세븐틴 트와이스 라이브")
    hotwords = g.hotwords(hints)
    assert len(hints) >= 10 and "방탄소년단" in hotwords
    audio = extract_audio(probe(SHORT), tmp_path / "short.wav")
    for options in (TranscribeOptions(hotwords=hotwords), TranscribeOptions(initial_prompt=hotwords)):
        transcript = transcriber.transcribe(audio, options)
        text = g.drop_echoed_hints(transcript, hotwords).text
        assert "커피" in text, text
        said = {re.sub(r"[\W_]+", "", w) for w in text.split()}
        assert said.isdisjoint(hotwords.split()), text
        assert [m.entry.id for m in g.find_korean(text) if m.entry.kind != "term"] == [], text
