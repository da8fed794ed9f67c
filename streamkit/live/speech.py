"""Live English from the speech itself (``-t whisper``): Whisper's translate task on each final sentence's audio.

The offline engine, offline: no server, no network. The streaming decoder decodes every window many times
(every half second); this decodes each final sentence once more, with ``task="translate"``, on the same
loaded model and the same short encoder window, so on ``fanlive`` it adds about one CPU-second per 8-11 s
sentence. Whole sentences only: a phrase of Korean is too short for Whisper to translate (and each would
cost a decode). Where it cannot keep up (the captions are past the lag at which they go the cheap way),
a sentence is left without English rather than holding up the Korean; the run's summary counts those.

Quality follows the model, as offline: rough with ``base``, usable with ``large-v3``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..encoder import short_encoder
from ..errors import TranslationError
from ..models import AudioTrack, ProgressCallback, Transcript, Utterance
from ..problems import readable
from ..translation.whisper import speech_only
from .engine import SAMPLE_RATE
from .options import LiveOptions, token_bound

__all__ = ["AudioRing", "SpeechTranslator", "whisper_speech"]

log = logging.getLogger("streamkit")

_PER_MS = SAMPLE_RATE // 1000


class AudioRing:
    """The last ``keep_ms`` of the stream's audio, addressed by stream time (the engine's clock: a gap is
    silence). Fed on the source's thread, read on the translation thread."""

    def __init__(self, keep_ms: int = 120_000) -> None:
        self.keep = keep_ms * _PER_MS
        self._samples = np.zeros(0, np.float32)
        self._first = 0  # stream sample index of self._samples[0]
        self._lock = threading.Lock()

    @property
    def start_ms(self) -> int:
        return -(-self._first // _PER_MS)

    @property
    def end_ms(self) -> int:
        return (self._first + self._samples.size) // _PER_MS

    def feed(self, samples: NDArray[np.float32]) -> None:
        with self._lock:
            self._samples = np.concatenate([self._samples, samples.astype(np.float32, copy=False)])
            self._drop_old()

    def gap(self, ms: int) -> None:
        """``ms`` of audio are missing: they read as silence (as far back as the ring reaches)."""
        with self._lock:
            missing = ms * _PER_MS
            if missing >= self.keep:
                self._first += self._samples.size + missing
                self._samples = np.zeros(0, np.float32)
            else:
                self._samples = np.concatenate([self._samples, np.zeros(missing, np.float32)])
                self._drop_old()

    def span(self, start_ms: int, end_ms: int) -> NDArray[np.float32] | None:
        """The audio from ``start_ms`` to ``end_ms`` (clipped to what was received), or None when none of it
        is still held."""
        with self._lock:
            a = max(start_ms * _PER_MS, self._first) - self._first
            b = min(end_ms * _PER_MS, self._first + self._samples.size) - self._first
            if b <= a or start_ms * _PER_MS < self._first - _PER_MS * 1000:
                return None  # gone (more than a second of it), or not received yet
            return self._samples[a:b].copy()

    def _drop_old(self) -> None:
        # Cut in bulk (a copy) once half a ring too long, not at every chunk.
        extra = self._samples.size - self.keep
        if extra > self.keep // 2:
            self._samples = self._samples[extra:].copy()
            self._first += extra


def whisper_speech(model: Any, options: LiveOptions) -> Callable[[NDArray[np.float32]], str]:
    """``decode(samples) -> English``: Whisper's translate task on a loaded faster-whisper ``WhisperModel``."""

    def decode(samples: NDArray[np.float32]) -> str:
        seconds = samples.size / SAMPLE_RATE
        with short_encoder(options.encoder_pad_ms):
            segments, _info = model.transcribe(
                samples, language=options.language, task="translate", beam_size=options.beam_size,
                word_timestamps=False, vad_filter=False, condition_on_previous_text=False, temperature=[0.0],
                max_new_tokens=token_bound(options, seconds),
            )
            return " ".join(text for seg in segments if (text := readable(seg.text)))

    return decode


@dataclass
class SpeechTranslator:
    """The ``whisper`` engine for :class:`~.translation.TranslationWorker`: each utterance's audio, from the
    ring, through ``decode``. ``behind()`` says the captions are falling behind: then nothing is decoded."""

    decode: Callable[[NDArray[np.float32]], str]
    ring: AudioRing
    behind: Callable[[], bool] = field(default=lambda: False)
    #: Audio around a sentence's words that goes with it (Whisper hears a first syllable cut at its edge poorly).
    pad_ms: int = 200
    name: str = "whisper"
    #: Sentences left without English: the captions were behind, or their audio was gone.
    skipped: int = 0

    def translate(
        self, transcript: Transcript, audio: AudioTrack | None = None, progress: ProgressCallback | None = None
    ) -> Transcript:
        out = []
        for u in transcript.utterances:
            samples = None if self.behind() else self.ring.span(u.start_ms - self.pad_ms, u.end_ms + self.pad_ms)
            text = ""
            if samples is None:
                if not self.skipped:
                    log.warning("live English (whisper) left a sentence untranslated: the captions are behind; "
                                "a faster machine, a GPU or a text engine keeps up")
                self.skipped += 1
            else:
                try:
                    text = self.decode(samples)
                except RuntimeError as exc:  # CTranslate2
                    raise TranslationError(self.name, f"could not decode the sentence's audio ({exc})") from exc
            if text:  # none: the worker shows no English for that sentence
                out.append(Utterance(u.start_ms, u.end_ms, text))
        return Transcript("en", tuple(out), transcript.duration_ms)

    def translate_texts(self, texts: Sequence[str], source: str = "ko", progress: Any = None) -> list[str]:
        raise speech_only(self.name)
