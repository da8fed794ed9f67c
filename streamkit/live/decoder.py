"""The rolling window's decoder on a faster-whisper model: a short encoder window, VAD, word timestamps, a token
bound; and faster-whisper's segments as :class:`~.policy.TimedWord` in stream time."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..encoder import short_encoder
from ..problems import readable
from .engine import SAMPLE_RATE, Decoder
from .options import LiveOptions, token_bound
from .policy import TimedWord

__all__ = ["timed_words", "whisper_decoder"]


def whisper_decoder(model: Any, options: LiveOptions) -> Decoder:
    """A :data:`Decoder` on a loaded faster-whisper ``WhisperModel`` (VAD, word timestamps, greedy fallback off)."""

    def decode(samples: NDArray[np.float32], beam_size: int, offset_ms: int) -> list[TimedWord]:
        with short_encoder(options.encoder_pad_ms):
            return _decode(samples, beam_size, offset_ms)

    def _decode(samples: NDArray[np.float32], beam_size: int, offset_ms: int) -> list[TimedWord]:
        seconds = samples.size / SAMPLE_RATE
        segments, _info = model.transcribe(
            samples, language=options.language, beam_size=beam_size, word_timestamps=True,
            # A loop over noise would otherwise run to 448 tokens and stall the stream for many seconds.
            max_new_tokens=token_bound(options, seconds),
            vad_filter=True, vad_parameters={"min_silence_duration_ms": 500},
            condition_on_previous_text=False, temperature=[0.0],
            initial_prompt=options.initial_prompt, hotwords=options.hotwords,
        )
        return timed_words(segments, offset_ms)

    return decode


def timed_words(segments: Any, offset_ms: int) -> list[TimedWord]:
    """faster-whisper's segments (with word timestamps) as words in stream time (:class:`TimedWord`)."""
    words: list[TimedWord] = []
    for seg in segments:
        for w in seg.words or ():
            text = readable(w.word)
            if not text:
                continue
            start = offset_ms + max(0, round(w.start * 1000))
            end = max(start, offset_ms + round(w.end * 1000))
            words.append(TimedWord(start, end, text, float(w.probability), float(seg.avg_logprob),
                                   float(seg.no_speech_prob), float(seg.compression_ratio)))
    return words
