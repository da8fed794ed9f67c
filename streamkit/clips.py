"""Chosen stretches of a track decoded together, each clip one item of one batch (``clip_timestamps``):
how :mod:`streamkit.rescue` decodes the voice the first pass missed, and the speech regions it decodes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .errors import TranscriptionError
from .models import AudioTrack, Utterance
from .transcribe import (
    CLIP_TOKENS,
    TranscribeOptions,
    WhisperTranscriber,
    convert_segments,
    release_memory,
    token_cap,
)

__all__ = ["CPU_CLIP_BATCH", "clip_batch", "decode_clips", "decode_samples", "rescue_batch", "turn_regions"]


def _clip_groups(spans: Sequence[tuple[int, int]], extent_ms: int) -> list[list[tuple[int, int]]]:
    """``spans`` (sorted) in groups whose extent stays within ``extent_ms`` (one PCM read each)."""
    groups: list[list[tuple[int, int]]] = []
    for a, b in spans:
        if groups and b - groups[-1][0][0] <= max(extent_ms, 1):
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
    return groups


def decode_clips(
    transcriber: WhisperTranscriber, audio: AudioTrack, spans: Sequence[tuple[int, int]], options: TranscribeOptions,
    batch_size: int | None = None,
) -> list[Utterance]:
    """Stretches of ``audio`` decoded together, each one item of one batch (``clip_timestamps``): no VAD,
    no temperature fallback (batched decoding has none), ``options``' prompt; track times in ms.
    ``batch_size`` clips at once (default: :func:`rescue_batch` of the whole track)."""
    import ctranslate2

    from .media import read_pcm

    found: list[Utterance] = []
    ctranslate2.set_random_seed(options.seed)
    for group in _clip_groups(sorted(spans), options.window_ms or 10 * 60 * 1000):
        lo, hi = max(group[0][0], 0), group[-1][1]
        clips = [(max(a, lo) - lo, min(b, hi) - lo) for a, b in group]
        found += decode_samples(transcriber, read_pcm(audio, lo, hi), clips, options,
                                batch_size or rescue_batch(options, audio.duration_ms), offset_ms=lo,
                                prompt=options.initial_prompt, word_timestamps=options.word_timestamps)
    return found


def decode_samples(
    transcriber: WhisperTranscriber, samples: NDArray[np.float32], clips: Sequence[tuple[int, int]],
    options: TranscribeOptions, batch_size: int, *, offset_ms: int = 0, prompt: str | None = None,
    word_timestamps: bool = True,
) -> list[Utterance]:
    """``clips`` (ms into ``samples``, 16 kHz) decoded together, each one item of one batch (``clip_timestamps``):
    no VAD, no temperature fallback; times in ms plus ``offset_ms``. New tokens capped by the longest clip as for a
    stretch decoded on its own (``transcribe.CLIP_TOKENS``): one item read as a loop held the whole batch to 448."""
    from faster_whisper import BatchedInferencePipeline

    spans = [{"start": a / 1000, "end": b / 1000} for a, b in clips]
    try:
        segments, _info = BatchedInferencePipeline(transcriber.model).transcribe(
            samples, language=options.language, task=options.task, beam_size=options.beam_size,
            temperature=list(options.temperature), word_timestamps=word_timestamps, vad_filter=False,
            clip_timestamps=spans, initial_prompt=prompt, hotwords=options.hotwords, batch_size=batch_size,
            max_new_tokens=token_cap(CLIP_TOKENS, max((b - a for a, b in clips), default=0) / 1000))
        return list(convert_segments(segments, samples.size / 16_000, None, offset_ms=offset_ms))
    except (RuntimeError, ValueError) as exc:
        raise TranscriptionError(f"transcription failed: {exc}") from exc
    finally:
        # The batch's scratch stayed resident (conv-109: 479 MB after the rescue's batch, 198 MB before it), and the
        # glue step's batch peaked on top of it (867 MB); handed back, that batch peaks at 745 MB.
        release_memory()


def rescue_batch(options: TranscribeOptions, speech_ms: int) -> int:
    """Clips decoded at once: no more than the 30 s chunks that ``speech_ms`` of speech make (batched
    decoding of the track packs its VAD speech into such chunks and holds them at once), at most
    ``batch_size``. A batch of 8 clips of 30 s on a one-minute recording doubled the run's peak memory
    against bare batched faster-whisper on the same file (1.04 GB vs 0.46)."""
    return max(1, min(options.batch_size, -(-speech_ms // 30_000)))


#: Clips of the rescue and of the glue step decoded at once on the CPU. Each clip is a whole 30 s encoder window, and
#: a batch of them peaked above the first pass that had found nothing there (conv-105: the glue step's 6 clips at
#: once 822 MB, the rescue's 3 at once 720 MB, the first pass at batch 8 652 MB; bare batched faster-whisper 624 MB).
#: Two at a time stayed under the first pass on five of six recordings (conv-105 536-593 MB); the batches took 5-10 %
#: longer (on two cores a batch barely runs faster per clip). On a GPU the batch is what makes the rescue fast.
CPU_CLIP_BATCH = 2


def clip_batch(options: TranscribeOptions, speech_ms: int, transcriber: object) -> int:
    """Clips the rescue or the glue step decodes at once with ``transcriber``: :func:`rescue_batch`, at most
    :data:`CPU_CLIP_BATCH` unless its model runs on a GPU."""
    batch = rescue_batch(options, speech_ms)
    device = getattr(getattr(transcriber, "choice", None), "device", "cpu")
    return batch if device == "cuda" else min(batch, CPU_CLIP_BATCH)


def turn_regions(audio: AudioTrack, options: TranscribeOptions) -> list[tuple[int, int]]:
    """The speech regions of the whole track (``turns.speech_regions``, window by window), track ms."""
    from .media import read_pcm
    from .transcribe import plan_windows
    from .turns import TURN_MIN_SILENCE_MS, speech_regions

    silence = options.vad_min_silence_ms if options.vad_min_silence_ms is not None else TURN_MIN_SILENCE_MS
    regions: list[tuple[int, int]] = []
    for lo, hi in plan_windows(audio, options.window_ms):
        found = speech_regions(read_pcm(audio, lo, hi), threshold=options.vad_threshold, min_silence_ms=silence,
                               pad_ms=options.vad_speech_pad_ms)
        regions += [(lo + a, lo + b) for a, b in found]
    return regions
