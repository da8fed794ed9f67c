"""The offline ``whisper`` engine: each Korean sentence's audio translated as one clip, on its span."""

from __future__ import annotations

import itertools
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamkit.job import OutputOptions
from streamkit.media import extract_audio, probe
from streamkit.models import Transcript, Utterance, Word
from streamkit.pipeline import SubtitleJob, run_subtitle
from streamkit.transcribe import TranscribeOptions, WhisperTranscriber
from streamkit.translation.options import TranslateOptions, TranslatorSettings
from streamkit.translation.protocol import EngineContext
from streamkit.translation.sentences import Sentence
from streamkit.translation.whisper import (
    CLIP_MAX_MS,
    SENTENCE_PAD_MS,
    WhisperTranslator,
    _on_sentences,
    _without_loops,
    loops,
    sentence_clips,
    whisper_factory,
)

from ..conftest import SHORT
from ..test_conversation import SAMPLE, SPEECH, SPEECH_UNDER_MS, overlap, timeline


@st.composite
def sentences(draw: st.DrawFn) -> tuple[list[Sentence], int]:
    out: list[Sentence] = []
    t = draw(st.integers(0, 2000))
    for _ in range(draw(st.integers(0, 8))):
        length = draw(st.integers(1, 70_000))
        out.append(Sentence(t, t + length, "말"))
        t += length + draw(st.integers(0, 3000))
    return out, t + draw(st.integers(0, 2000))


@given(sentences())
def test_each_sentence_is_one_clip_or_more_padded_never_into_its_neighbour(case: tuple[list[Sentence], int]) -> None:
    found, duration = case
    clips = sentence_clips(found, duration)
    assert all(a < b <= duration and b - a <= CLIP_MAX_MS for a, b, _ in clips)
    assert all(x[1] <= y[0] for x, y in itertools.pairwise(clips))  # in order, never overlapping
    for i, s in enumerate(found):
        own = [(a, b) for a, b, of in clips if of is s]
        assert own and own[0][0] <= s.start_ms and own[-1][1] >= s.end_ms  # the whole sentence is heard
        assert all(x[1] == y[0] for x, y in itertools.pairwise(own))  # a long one in pieces, end to end
        assert own[0][0] >= max(s.start_ms - SENTENCE_PAD_MS, found[i - 1].end_ms if i else 0)
        assert own[-1][1] <= max(s.end_ms + SENTENCE_PAD_MS, s.end_ms)
        if i + 1 < len(found):
            assert own[-1][1] <= max(found[i + 1].start_ms, s.end_ms)


@given(sentences(), st.data())
def test_every_decoded_piece_is_kept_in_order_on_the_sentence_of_its_clip(
    case: tuple[list[Sentence], int], data: st.DataObject
) -> None:
    found, duration = case
    clips = sentence_clips(found, duration)
    picks = data.draw(st.lists(st.sampled_from(clips), max_size=12)) if clips else []
    decoded = []
    for lo, hi, sentence in picks:
        a = data.draw(st.integers(lo, hi - 1))
        decoded.append((Utterance(a, data.draw(st.integers(a, hi)), "Yes."), sentence))
    decoded.sort(key=lambda d: d[0].start_ms)
    english = _on_sentences([u for u, _ in decoded], clips)
    assert len(english) == len(decoded)
    previous = 0
    for u, (_, sentence) in zip(english, decoded, strict=True):
        assert u.end_ms > u.start_ms >= previous and not u.words  # in order
        # on its own sentence's span, unless held back to the piece before it (two pieces of one clip)
        assert u.start_ms == previous or sentence.start_ms <= u.start_ms < max(sentence.end_ms, sentence.start_ms + 1)
        assert u.end_ms <= max(sentence.end_ms, u.start_ms + 1)
        previous = u.start_ms


def test_the_english_of_a_clip_lies_on_its_sentence() -> None:
    first, second = Sentence(1000, 2500, "그래?"), Sentence(6000, 9000, "알겠어. 내일 봐.")
    clips = sentence_clips([first, second], 12_000)
    assert [(a, b) for a, b, _ in clips] == [(700, 2800), (5700, 9300)]
    # batched clips come back with the clip's span; a second segment of one clip follows the first
    decoded = [Utterance(700, 2800, "Really?"), Utterance(5700, 7000, "Okay."), Utterance(7000, 9300, "See you.")]
    english = _on_sentences(decoded, clips)
    assert [(u.start_ms, u.end_ms, u.text) for u in english] == [
        (1000, 2500, "Really?"), (6000, 7000, "Okay."), (7000, 9000, "See you.")]


@pytest.mark.slow
def test_english_that_loops_is_told_by_its_compression_or_a_word_looping_within_itself() -> None:
    looped = "If Park Geun-eul-deok-deok-deok-deok-deok-deok."
    assert loops(Utterance(0, 1000, looped, compression_ratio=1.9))  # one segment's ratio may stay low
    assert loops(Utterance(0, 1000, "Thank you.", compression_ratio=2.6))
    assert loops(Utterance(0, 1000, "I'm sorry. I'm sorry. I'm sorry.", compression_ratio=1.5))  # conv-101
    assert not loops(Utterance(0, 1000, "In other areas, it would be difficult to find.", compression_ratio=0.9))
    assert not loops(Utterance(0, 1000, "The name of the mountain was said to be the name.", compression_ratio=1.3))


class _Redecoder:
    """Stands in for the model's sequential decode (a decode that loops cannot be made to order on a short
    clip): records each span asked for and answers with ``answer``."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.segments = 1
        self.spans: list[tuple[int, int]] = []
        self.options: list[TranscribeOptions] = []

    def transcribe_span(self, audio: object, start_ms: int, end_ms: int, options: TranscribeOptions,
                        prompt: str | None = None) -> list[Utterance]:
        self.spans.append((start_ms, end_ms))
        self.options.append(options)
        step = (end_ms - start_ms) // self.segments
        return [Utterance(start_ms + i * step, start_ms + (i + 1) * step - 90, self.answer, compression_ratio=1.2)
                for i in range(self.segments)]


def test_a_clip_whose_english_loops_is_decoded_again_with_the_temperature_fallback() -> None:
    """noisy.mp4 at 34.9 s: a batch (no fallback) gave "If Park Geun-eul-deok-deok-…" over two cues."""
    clips = [(0, 4000, Sentence(300, 3700, "가")), (4000, 9000, Sentence(4300, 8700, "나"))]
    decoded = [Utterance(300, 3700, "Fine."), Utterance(4300, 8700, "If Park deok-deok-deok-deok-deok.",
                                                         compression_ratio=3.7)]
    options = TranscribeOptions(task="translate", temperature=(0.0,))
    again = _Redecoder("If Park's parents really give up.")
    out = _without_loops(decoded, clips, again, None, options)  # type: ignore[arg-type]
    assert again.spans == [(4000, 9000)] and len(again.options[0].temperature) > 1
    assert [u.text for u in out] == ["Fine.", "If Park's parents really give up."]
    # When the fallback loops too, the batch's English stays (the filter judges it): within a segment, or one
    # segment said twice (conv-101 at 120.9 s: "I'm going to take care of myself" two times over).
    still = _without_loops(decoded, clips, _Redecoder("deok-deok-deok-deok-deok"), None, options)  # type: ignore[arg-type]
    assert still == decoded
    twice = _Redecoder("I'm going to take care of myself")
    twice.segments = 2
    assert _without_loops(decoded, clips, twice, None, options) == decoded  # type: ignore[arg-type]


def test_the_engine_translates_sentence_by_sentence_and_reports_its_progress(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    audio = extract_audio(probe(SHORT), tmp_path / "short.wav")
    words = [Word(300, 900, "한잔의"), Word(900, 1700, "커피가"), Word(1700, 3000, "소비자에게"),
             Word(4000, 5200, "전해지기"), Word(5200, 6000, "위해선"), Word(6000, 7100, "공정을 거쳐야 한다.")]
    korean = Transcript("ko", (Utterance(300, 3000, "…", tuple(words[:3])), Utterance(4000, 7100, "…",
                                                                                          tuple(words[3:]))), 7500)
    translator = whisper_factory(EngineContext(settings=TranslatorSettings(), target="en", transcriber=transcriber))
    seen: list[tuple[float, float]] = []
    english = translator.translate(korean, audio, lambda done, total: seen.append((done, total)))
    assert english.language == "en" and english.task == "translate"
    assert english.utterances and all(u.text.isascii() and not u.words for u in english.utterances)
    # two sentences (a 1 s pause between them), each English on its own sentence's span
    assert all(300 <= u.start_ms < u.end_ms <= 3000 or 4000 <= u.start_ms < u.end_ms <= 7100
               for u in english.utterances)
    assert {u.start_ms >= 4000 for u in english.utterances} == {False, True}
    assert seen and seen[-1][0] == seen[-1][1] == audio.duration_ms / 1000
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.slow
def test_every_korean_line_of_a_conversation_gets_its_english_and_music_none(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    # Translated in one sequential pass, the English of this sample looped over its pauses and covered 2 of
    # its 12 lines; the conversational sets: 1-7 of 27-42 (docs/benchmarks.md).
    job = SubtitleJob(SAMPLE, outputs=OutputOptions(folder=tmp_path, mux=False, use_cache=False),
                      translate=TranslateOptions(engine="whisper"))
    result = run_subtitle(job, transcriber=transcriber)
    korean, english = result.tracks[0].cues, result.tracks[1].cues
    assert result.tracks[1].language == "en" and english
    rows = timeline()
    speech = [r for r in rows if r.kind in SPEECH]
    heard = [r for r in speech if any(overlap(c, r) >= SPEECH_UNDER_MS for c in korean)]
    assert len(heard) >= 10
    missing = [r.text for r in heard if not any(overlap(c, r) > 0 for c in english)]
    assert not missing, f"Korean lines without English: {missing}"
    over_nothing = [c.lines for c in english if sum(overlap(c, r) for r in speech) < SPEECH_UNDER_MS]
    assert not over_nothing, f"English cues over music or silence: {over_nothing}"


@pytest.mark.slow
def test_a_resumed_run_reuses_the_english_unless_the_engine_translates_another_way(
    transcriber: WhisperTranscriber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "show.mp4"
    shutil.copy(SHORT, src)

    def run(force: bool) -> dict[str, str]:
        job = SubtitleJob(src, outputs=OutputOptions(mux=False, force=force),
                          translate=TranslateOptions(engine="whisper"))
        return {t.stage: t.note for t in run_subtitle(job, transcriber=transcriber).timings}

    run(False)  # may itself reuse another test's English: the stage cache is keyed by what is decoded
    assert "reused cached result" in run(True)["translate"]
    # as if an older streamkit had written the English (a name of its own: the stage cache outlives the test)
    monkeypatch.setattr(WhisperTranslator, "revision", f"another way {uuid.uuid4()}")
    assert "reused" not in run(True)["translate"]
    assert "reused cached result" in run(True)["translate"]
