"""TextEngine (streamkit/translation/textengine.py): batching, the cache in use, English laid over each sentence.

Real HTTP against tests/libre_server.py on 127.0.0.1 (``LibreTranslator`` pointed at it with its own
``custom_url``; the other services' adapters by their base URL set by name, e.g. ``deepl_url``).
Nothing is mocked below ``requests``.
"""

from __future__ import annotations

import math
from pathlib import Path

from streamkit.segment import ENGLISH_RULES, display_width, segment
from streamkit.translation.adapters import LibreEngine
from streamkit.translation.sentences import join_sentences

from ..libre_server import LibreServer, iter_sentences
from .helpers import GLOSSARY, fast, korean_transcript, libre_engine

# --------------------------------------------------------------------------- batching and cache


def test_batches_stay_within_the_limit_and_count_requests(libre: LibreServer, tmp_path: Path) -> None:
    texts = list(iter_sentences(60))
    engine = libre_engine(libre, tmp_path, libre_max_chars=500)
    english = engine.translate_texts(texts)
    assert all(english) and len(english) == 60
    chars = len("\n".join(texts))
    assert libre.translate_requests <= math.ceil(chars / 500) + 2
    assert all(len(h.params["q"][0]) <= 500 for h in libre.hits("/translate"))
    assert english[0] == libre.translate_line(texts[0])  # split back line by line, in order


def test_default_limit_sends_one_request_for_a_short_recording(libre: LibreServer, tmp_path: Path) -> None:
    engine = libre_engine(libre, tmp_path)
    engine.translate_texts(list(iter_sentences(40)))
    assert libre.translate_requests == 1


def test_cached_rerun_costs_nothing_and_edits_cost_only_what_changed(libre: LibreServer, tmp_path: Path) -> None:
    texts = list(iter_sentences(30))
    first = libre_engine(libre, tmp_path).translate_texts(texts)
    libre.reset_counts()
    again = libre_engine(libre, tmp_path)  # a new process, same cache file
    assert again.translate_texts(texts) == first
    assert libre.translate_requests == 0 and again.stats.cached == 30
    edited = list(texts)
    edited[3] = "오늘 무대 정말 최고였어요."
    edited[17] = "내일 또 만나요."
    libre.reset_counts()
    result = libre_engine(libre, tmp_path).translate_texts(edited)
    assert libre.translate_requests == 1
    assert libre.hits("/translate")[0].params["q"][0].split("\n") == [edited[3], edited[17]]
    assert result[0] == first[0] and result[3] != first[3]


def test_cache_is_keyed_by_engine_settings_and_languages(libre: LibreServer, tmp_path: Path) -> None:
    texts = ["안녕하세요."]
    libre_engine(libre, tmp_path).translate_texts(texts)
    with LibreServer() as other:  # another LibreTranslate server may translate differently
        LibreEngine(settings=fast(other, tmp_path)).translate_texts(texts)
        assert other.translate_requests == 1
    LibreEngine(target="ja", settings=fast(libre, tmp_path)).translate_texts(texts)
    assert libre.translate_requests == 2


def test_unusable_cache_does_not_fail_the_run(libre: LibreServer, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    engine = libre_engine(libre, tmp_path, cache_path=str(blocker / "t.sqlite"))
    assert engine.translate_texts(["안녕하세요."]) == ["Hello."]

# --------------------------------------------------------------------------- transcripts and subtitle rules


def test_english_is_laid_over_each_sentence_and_follows_the_english_rules(libre: LibreServer, tmp_path: Path) -> None:
    korean = korean_transcript()
    sentences = join_sentences(korean)
    engine = libre_engine(libre, tmp_path, glossary=GLOSSARY)
    english = engine.translate(korean, None)
    assert english.language == "en" and all(not u.words for u in english.utterances)
    assert [(u.start_ms, u.end_ms) for u in english.utterances] == [(s.start_ms, s.end_ms) for s in sentences]
    assert libre.translate_requests == 1
    track = segment(english, ENGLISH_RULES)
    assert track.cues
    starts = [s.start_ms for s in sentences]
    for cue in track.cues:
        assert len(cue.lines) <= 2
        assert all(display_width(line, ENGLISH_RULES) <= 42 for line in cue.lines)
        assert cue.duration_ms <= 7000
        # In on the Korean speech it renders; out before the next Korean sentence starts.
        owner = max(i for i, s in enumerate(sentences) if s.start_ms <= cue.start_ms)
        assert cue.start_ms < sentences[owner].end_ms
        if owner + 1 < len(sentences):
            assert cue.end_ms <= starts[owner + 1]
        chars = sum(len(line) for line in cue.lines)
        assert chars / (cue.duration_ms / 1000) <= 20.0 + 1e-9, cue
    text = " ".join(c.text.replace("\n", " ") for c in track.cues)
    assert "BTS" in text and "Jimin" in text and "Jungkook" in text


def test_progress_reports_seconds_of_the_recording(libre: LibreServer, tmp_path: Path) -> None:
    calls: list[tuple[float, float]] = []
    korean = korean_transcript()
    libre_engine(libre, tmp_path).translate(korean, None, lambda d, t: calls.append((d, t)))
    assert calls[-1] == (korean.duration_ms / 1000, korean.duration_ms / 1000)


def test_sentences_without_letters_are_not_sent(libre: LibreServer, tmp_path: Path) -> None:
    engine = libre_engine(libre, tmp_path)
    assert engine.translate_texts(["♪", "...", "안녕하세요."]) == ["♪", "...", "Hello."]
    assert libre.hits("/translate")[0].params["q"][0] == "안녕하세요."
