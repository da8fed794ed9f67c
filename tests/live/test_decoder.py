"""streamkit.live.decoder: faster-whisper's segments as words in stream time (segments given as data), and the real
model on a window that once stopped the stream."""

from __future__ import annotations

import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from streamkit.live import LiveOptions
from streamkit.live.decoder import timed_words, whisper_decoder
from streamkit.transcribe import WhisperTranscriber

DATA = Path(__file__).parent / "data"


def _word(text: str, start: float, end: float) -> SimpleNamespace:
    return SimpleNamespace(word=text, start=start, end=end, probability=0.9)


def test_words_are_placed_in_stream_time_with_their_segment_scores() -> None:
    seg = SimpleNamespace(words=[_word(" 안녕하세요", 0.5, 1.0), _word(" 여러분", 1.0, 1.5)], avg_logprob=-0.3,
                          no_speech_prob=0.05, compression_ratio=1.1)
    words = timed_words([seg], 10_000)
    assert [(w.text, w.start_ms, w.end_ms) for w in words] == [("안녕하세요", 10_500, 11_000),
                                                              ("여러분", 11_000, 11_500)]
    assert words[0].avg_logprob == -0.3 and words[0].probability == 0.9


def test_a_word_cut_inside_a_syllable_is_never_a_caption() -> None:
    """The live decoder bounds its tokens, so a loop stops at the bound, often inside a Hangul syllable's bytes:
    faster-whisper decodes that as U+FFFD. Such a word is dropped, and the broken character goes from any word."""
    seg = SimpleNamespace(words=[_word(" 핫스", 0.0, 0.3), _word("\ufffd", 0.3, 0.4), _word(" 뱉\ufffd는", 0.4, 0.6)],
                          avg_logprob=-0.3, no_speech_prob=0.05, compression_ratio=2.6)
    assert [w.text for w in timed_words([seg], 0)] == ["핫스", "뱉는"]


@pytest.mark.slow
def test_a_segment_written_past_the_window_does_not_stop_the_stream(transcriber: WhisperTranscriber) -> None:
    """The real model on the window that stopped ``streamkit live`` with a traceback: conv-102 20 dB quieter, 2.3 s
    in (1.7 s of a quiet voice, ``data/past-the-window.wav``). Whisper wrote a segment past the audio, CTranslate2
    gave it an empty alignment and faster-whisper 1.2.1 raised ``IndexError`` (SYSTRAN/faster-whisper#1460)."""
    with wave.open(str(DATA / "past-the-window.wav"), "rb") as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    words = whisper_decoder(transcriber.model, LiveOptions())(samples, 5, 2304)
    assert all(2304 <= w.start_ms <= w.end_ms <= 2304 + 1700 for w in words)
