"""Live English from the speech (``-t whisper``): the audio ring by stream time, the engine's rules, and a
real run with the bundled model (its translate task on each final sentence)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.errors import TranslationError
from streamkit.live import LiveJob, LiveOptions, parse_source, run_live
from streamkit.live.speech import AudioRing, SpeechTranslator
from streamkit.models import Transcript, Utterance
from streamkit.subtitles import read_subtitles
from streamkit.transcribe import WhisperTranscriber

from ..conftest import SHORT

# A chunk of audio (its length in ms) or a gap (negative: that many ms missing).
_pieces = st.lists(st.one_of(st.integers(1, 700), st.integers(-3000, -1)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(_pieces, st.integers(0, 30_000), st.integers(1, 4000))
def test_the_ring_reads_back_the_stream_by_its_own_clock(pieces: list[int], start_ms: int, length_ms: int) -> None:
    """What a span reads is what the stream had there (a gap as silence), as far back as the ring reaches."""
    ring = AudioRing(keep_ms=5000)
    stream: list[np.ndarray] = []
    value, reset_at = 0.0, 0  # reset_at: where the audio after the last gap longer than the ring starts
    for ms in pieces:
        if ms > 0:
            chunk = (np.arange(ms * 16, dtype=np.float32) + value) / 1e6
            value += ms * 16
            ring.feed(chunk)
            stream.append(chunk)
        else:
            ring.gap(-ms)
            stream.append(np.zeros(-ms * 16, np.float32))
            if -ms * 16 >= ring.keep:
                reset_at = sum(x.size for x in stream)
    whole = np.concatenate(stream) if stream else np.zeros(0, np.float32)
    assert ring.end_ms == whole.size // 16
    a, b = start_ms * 16, (start_ms + length_ms) * 16
    got = ring.span(start_ms, start_ms + length_ms)
    if max(whole.size - ring.keep, reset_at) <= a < whole.size:  # always held: the last keep_ms of it
        assert got is not None
        np.testing.assert_array_equal(got, whole[a : min(b, whole.size)])
    if a >= whole.size or a < whole.size - ring.keep * 3 // 2 - 16_000:  # never held: not yet, or long gone
        assert got is None


def _sentence(start_ms: int, end_ms: int) -> Transcript:
    return Transcript("ko", (Utterance(start_ms, end_ms, "문장"),), duration_ms=end_ms)


def test_a_sentence_is_decoded_from_its_own_audio_unless_the_captions_are_behind() -> None:
    """(A stand-in decoder that reports what it was given: the real one is in the run below.)"""
    ring = AudioRing()
    ring.feed(np.ones(16_000 * 5, np.float32))
    heard: list[int] = []

    def decode(samples: np.ndarray) -> str:
        heard.append(samples.size)
        return "A sentence."

    behind = False
    speech = SpeechTranslator(decode, ring, behind=lambda: behind, pad_ms=200)
    out = speech.translate(_sentence(1000, 3000))
    assert [u.text for u in out.utterances] == ["A sentence."] and heard == [16 * 2400]
    assert (out.utterances[0].start_ms, out.utterances[0].end_ms) == (1000, 3000)
    behind = True
    assert speech.translate(_sentence(3000, 4000)).utterances == () and speech.skipped == 1
    behind = False
    assert speech.translate(_sentence(9000, 9500)).utterances == () and speech.skipped == 2  # not heard yet
    with pytest.raises(TranslationError, match="speech, not text"):
        speech.translate_texts(["문장"])


def test_only_english_is_offered_from_the_speech(tmp_path: Path) -> None:
    from streamkit.errors import ConfigError

    with pytest.raises(ConfigError, match="only translate into English"):
        LiveJob(parse_source(str(SHORT)), tmp_path, "short", target="ja", translator="whisper")
    LiveJob(parse_source(str(SHORT)), tmp_path, "short", target="en", translator="whisper")


@pytest.mark.slow
def test_a_live_run_gets_english_from_the_speech(tmp_path: Path, transcriber: WhisperTranscriber,
                                                 ffmpeg_exe: str) -> None:
    """The real model, offline: each final Korean sentence's audio through Whisper's translate task."""
    captions: list[dict[str, object]] = []
    job = LiveJob(parse_source(str(SHORT)), tmp_path, "short", target="en", translator="whisper", idle_timeout_s=2.0,
                  options=LiveOptions(cheap_lag_ms=60_000, skip_lag_ms=120_000), ffmpeg=ffmpeg_exe)
    result = run_live(job, transcriber, lambda name, payload: captions.append(payload) if name == "caption" else None)
    assert result.sentences["en"] == result.sentences["ko"] >= 1
    assert result.summary()["translation_failures"] == 0
    ko = [c for c in captions if c["language"] == "ko" and c["final"]]
    en = [c for c in captions if c["language"] == "en" and c["final"]]
    assert [(c["start_ms"], c["end_ms"]) for c in en] == [(c["start_ms"], c["end_ms"]) for c in ko]
    english = " ".join(str(c["text"]) for c in en)
    assert len(re.findall(r"[A-Za-z]+", english)) >= 5, english  # English words, from speech alone
    assert [c for c in captions if c["language"] == "en" and not c["final"]] == []  # whole sentences only
    assert read_subtitles(tmp_path / "short.live.en.srt").cues
