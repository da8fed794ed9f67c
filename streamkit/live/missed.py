"""Voice the rolling window let go without a word, decoded once more on its own: the live side of
:mod:`streamkit.rescue` (issue 12's "no voice left behind", for the captions of issue 15).

The rolling window hears a short reply between pauses in one or two decodes of a short encoder window,
and the two must agree: a phone-band "또한 박" or a reply over a music bed is then read differently each time,
or not at all, and never captioned (``samples/conversation.mp4`` lost 4 of its 12 lines live). Decoded on its
own in Whisper's full 30 s window, as offline decoding's rescue does, the same reply reads "또한 팥".

:class:`MissedVoice` keeps the last ``keep_ms`` of the stream. When the engine has nothing new to decode, it looks
at the audio the engine has decoded at least ``settle_ms`` past: a voiced stretch there (the offline filter's
:func:`~streamkit.quality.voiced_stretches`: voice-level frames with voice activity, 0.4-8 s, standing out from
both sides) on which no word was committed, and after which none was either (a caption is never shown out of
order), is decoded once, alone. What it holds goes through the same filter as every commit.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..quality import QualityOptions, voiced_stretches
from .captions import VIEW_STEP_MS, shifted_signal
from .decoder import timed_words
from .engine import SAMPLE_RATE, StreamingTranscriber
from .policy import TimedWord, cut_collapsed, cut_loop
from .speech import AudioRing

__all__ = ["ClipDecoder", "MissedVoice", "whisper_clip_decoder"]

#: ``decode(samples, offset_ms)`` -> the words of the clip in stream time, decoded in a full 30 s window.
ClipDecoder = Callable[[NDArray[np.float32], int], list[TimedWord]]


def whisper_clip_decoder(model: Any, language: str, prompt: str | None = None,
                         hotwords: str | None = None) -> ClipDecoder:
    """A :data:`ClipDecoder` on a loaded faster-whisper model: the clip as one item of a batch (as
    :func:`streamkit.clips.decode_clips` decodes offline), beam 5, word timestamps, no VAD."""
    from faster_whisper import BatchedInferencePipeline

    pipeline = BatchedInferencePipeline(model)

    def decode(samples: NDArray[np.float32], offset_ms: int) -> list[TimedWord]:
        seconds = samples.size / SAMPLE_RATE
        segments, _info = pipeline.transcribe(
            samples, language=language, beam_size=5, word_timestamps=True, vad_filter=False, batch_size=1,
            clip_timestamps=[{"start": 0.0, "end": seconds}], initial_prompt=prompt, hotwords=hotwords)
        return timed_words(segments, offset_ms)

    return decode


@dataclass
class MissedVoice:
    """Finds the voiced stretches the engine left without words and decodes each once (see the module doc)."""

    decode: ClipDecoder
    quality: QualityOptions = field(default_factory=QualityOptions)
    #: A stretch is judged once the engine has decoded this far past its end (its own silence commit is 700 ms).
    settle_ms: int = 800
    #: The clip: the stretch and this much audio on each side (offline: ``RescueOptions.pad_ms``).
    pad_ms: int = 300
    #: How far back a stretch is still looked for (more than a stretch's longest, ``voice_max_ms``).
    look_back_ms: int = 10_000
    rescan_ms: int = 200
    #: The speech level (dBFS) when too few words were committed to measure it.
    default_level_db: float = -25.0
    ring: AudioRing = field(default_factory=lambda: AudioRing(40_000))
    #: The end of the last stretch decoded: none before it is decoded again.
    checked_ms: int = 0
    decoded: int = 0
    #: Runs of words no two decodes agreed on, heard again alone (:meth:`reread`).
    reread_count: int = 0
    #: A clip read as a loop ("야, 야, 야, …" over a music bed, "1, 2, 3, …" on a phone line) is read once more with
    #: up to this much of the stream before it, and the words from the clip's start on are taken: offline, the
    #: rescue retries a pattern with the 12 s before it. conv-114's "염려가 될 수도 있습니다" over a bed reads "야, 야,
    #: 야, …" alone and right after the 10 s before it. 0: never.
    loop_context_ms: int = 10_000
    #: Clips read once more that way (each one decode more).
    loop_retries: int = 0
    _looked_at_ms: int = field(default=-1_000_000, init=False, repr=False)
    #: The levels of the committed words measured so far, sorted, and how many committed words were looked at.
    _levels: list[float] = field(default_factory=list, init=False, repr=False)
    _counted: int = field(default=0, init=False, repr=False)

    def next_stretch(self, engine: StreamingTranscriber, settle_ms: int | None = None) -> tuple[int, int] | None:
        """The first stretch the engine is done with and left without words, after every committed word and
        every stretch already decoded, or None. ``settle_ms``: in place of :attr:`settle_ms` (0 once the
        stream ended). Looks again at most every ``rescan_ms`` of decoded audio (a look costs ~2 ms)."""
        horizon = engine.processed_ms - (self.settle_ms if settle_ms is None else settle_ms)
        if settle_ms is None and horizon - self._looked_at_ms < self.rescan_ms:
            return None
        self._looked_at_ms = horizon
        start = max(self.checked_ms, engine.agreement.committed_end_ms, horizon - self.look_back_ms, 0)
        if horizon - start < self.quality.voice_min_ms:
            return None
        origin = start // VIEW_STEP_MS * VIEW_STEP_MS  # on a frame of both signals (50 and 32 ms)
        energy = functools.partial(shifted_signal, engine.energy, origin)
        speech = functools.partial(shifted_signal, engine.mean_speech, origin)
        for a, b in voiced_stretches(energy, speech, engine.processed_ms - origin, self._level(engine), self.quality):
            if a == 0 and origin > 0:
                continue  # a run cut by the view's start: maybe part of a longer one (music), never judged whole
            a, b = a + origin, b + origin
            if b > horizon or any(w.start_ms < b for w in engine.agreement.pending):
                return None  # not settled yet: looked at again later
            if a >= start:
                return a, b
        return None

    def hear(self, span: tuple[int, int]) -> list[TimedWord]:
        """The stretch decoded alone (a clip ``pad_ms`` wider): its words, loops and collapsed words cut."""
        a, b = span
        self.checked_ms = max(self.checked_ms, b)
        words = self._alone(a, b)
        self.decoded += words is not None
        return words or []

    def reread(self, words: Sequence[TimedWord], since_ms: int | None = None) -> list[TimedWord] | None:
        """Words no two decodes agreed on, heard once more alone (a clip ``pad_ms`` wider than them, in a full
        window), from ``since_ms`` when that is earlier (the words before them as context): what that reads,
        loops and collapsed words cut; None when their audio is gone (nothing decoded)."""
        start = words[0].start_ms if since_ms is None else min(since_ms, words[0].start_ms)
        heard = self._alone(start, max(w.end_ms for w in words))
        self.reread_count += heard is not None
        return heard

    def _alone(self, a: int, b: int) -> list[TimedWord] | None:
        """``a``-``b`` ms of the stream and ``pad_ms`` on each side decoded alone; None: that audio is gone."""
        lo = max(0, a - self.pad_ms)
        samples = self.ring.span(lo, b + self.pad_ms)
        if samples is None or samples.size < SAMPLE_RATE // 10:
            return None
        heard = cut_collapsed(self.decode(samples, lo))
        kept = cut_loop(heard)
        if len(kept) == len(heard) or not self.loop_context_ms:
            return kept
        return self._in_context(lo, b + self.pad_ms) or kept

    def _in_context(self, lo: int, hi: int) -> list[TimedWord] | None:
        """``lo``-``hi`` ms read with up to ``loop_context_ms`` of the stream before it: the words from ``lo`` on,
        or None when there is no second of context, or when they loop again or are nothing."""
        start = max(self.ring.start_ms, lo - self.loop_context_ms)
        if lo - start < 1000 or (samples := self.ring.span(start, hi)) is None:
            return None
        self.loop_retries += 1
        past = [w for w in cut_collapsed(self.decode(samples, start)) if w.start_ms >= lo]
        kept = cut_loop(past)
        return kept if kept and len(kept) == len(past) else None

    def _level(self, engine: StreamingTranscriber) -> float:
        """The median level of the committed words (the offline filter's speech level), else a default.

        Committed words only grow and the stream's energy of past audio never changes, so each word is measured
        once, into a sorted list: a look costs the same three hours into a stream as in its first minute."""
        committed = engine.agreement.committed
        for w in committed[self._counted :]:
            if w.probability >= 0.5:
                bisect.insort(self._levels, engine.energy(w.start_ms, w.end_ms))
        self._counted = len(committed)
        n = len(self._levels)
        if n < 3:
            return self.default_level_db
        return self._levels[n // 2] if n % 2 else (self._levels[n // 2 - 1] + self._levels[n // 2]) / 2  # the median

