"""Turn-aware decoding: where the speech regions of a window are, found once, before decoding.

Whisper decoding a whole 30 s chunk at once (batched decoding above all, which writes one piece
of text per chunk) skips short replies between pauses: measured on ``samples/conversation.mp4``,
faster-whisper's batched VAD chunks covered 8 of 12 turns, the same audio decoded region by region
11 of 12 (``bench/conversation.py``). With ``TranscribeOptions(turns=True)`` (``[transcribe]
turns = true``; opt-in, because a music region decoded alone gets invented text the filter does
not all catch: docs/benchmarks.md) streamkit finds the speech regions itself with Silero VAD
(faster-whisper's; regions split at 500 ms
of silence instead of 2 s, 200 ms of padding) and decodes each region on its own: batched, each
region one item of the batch (``clip_timestamps``), or sequentially clip by clip.

A region longer than ``MAX_REGION_S`` is split by the VAD at its longest inner pause (Whisper
reads at most 30 s at once). Regions closer than ``turn_join_gap_ms`` are decoded together, up
to ``turn_max_ms``: a breath inside a sentence is not a turn, and every region costs one encoder pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .transcribe import TranscribeOptions

__all__ = ["MAX_REGION_S", "TURN_MIN_SILENCE_MS", "join_regions", "speech_regions", "window_regions"]

SAMPLE_RATE = 16_000
#: Whisper reads at most 30 s at once; the VAD pads both sides, so regions stay a little shorter.
MAX_REGION_S = 28.0
#: Silence that ends a speech region when decoding by turns (``vad_min_silence_ms`` unset).
TURN_MIN_SILENCE_MS = 500


def speech_regions(
    samples: NDArray[np.float32], *, threshold: float, min_silence_ms: int, pad_ms: int
) -> list[tuple[int, int]]:
    """Speech regions of 16 kHz ``samples`` as (start_ms, end_ms), from Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if samples.size == 0:
        return []
    found = get_speech_timestamps(samples, VadOptions(
        threshold=threshold, min_silence_duration_ms=min_silence_ms, speech_pad_ms=pad_ms,
        max_speech_duration_s=MAX_REGION_S))
    per_ms = SAMPLE_RATE // 1000
    return [(int(c["start"]) // per_ms, int(c["end"]) // per_ms) for c in found]


def join_regions(regions: Sequence[tuple[int, int]], gap_ms: int, max_ms: int) -> list[tuple[int, int]]:
    """``regions`` with those closer than ``gap_ms`` joined, while a joined one stays within ``max_ms``."""
    out: list[tuple[int, int]] = []
    for a, b in regions:
        if out and a - out[-1][1] <= gap_ms and b - out[-1][0] <= max_ms:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def window_regions(samples: NDArray[np.float32], options: TranscribeOptions) -> list[tuple[int, int]]:
    """The regions of one window (ms from its start) decoded one by one, with ``options``' VAD settings."""
    silence = options.vad_min_silence_ms if options.vad_min_silence_ms is not None else TURN_MIN_SILENCE_MS
    found = speech_regions(samples, threshold=options.vad_threshold, min_silence_ms=silence,
                           pad_ms=options.vad_speech_pad_ms)
    return join_regions(found, options.turn_join_gap_ms, options.turn_max_ms)
