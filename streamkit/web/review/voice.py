"""Voiced stretches with no cue: where someone speaks and no subtitle is shown.

:func:`speech_spans` finds the speech in a recording once (Silero VAD, faster-whisper's, on the
16 kHz audio read ten minutes at a time: a 3-hour show takes about half a minute, so the page gets
the result later over SSE). :func:`uncovered` is pure: the parts of those spans that no cue of a
track covers, at least ``min_ms`` long.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["MIN_UNCOVERED_MS", "speech_spans", "uncovered"]

#: A voiced stretch shorter than this without a cue is not worth a flag (a laugh, a breath).
MIN_UNCOVERED_MS = 1500
WINDOW_MS = 600_000


def speech_spans(video: Path) -> list[tuple[int, int]]:
    """Speech in ``video`` as ``(start_ms, end_ms)`` spans in time order; ``[]`` without audio."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from ...errors import NoAudioError
    from ...media import extract_audio, probe, read_pcm

    try:
        info = probe(video)
    except NoAudioError:
        return []
    options = VadOptions(min_silence_duration_ms=500, speech_pad_ms=100)
    spans: list[tuple[int, int]] = []
    with tempfile.TemporaryDirectory(prefix="streamkit-review-") as tmp:
        track = extract_audio(info, Path(tmp) / "audio.wav")
        per_ms = track.sample_rate // 1000
        for start in range(0, max(track.duration_ms, 1), WINDOW_MS):
            samples = read_pcm(track, start, start + WINDOW_MS)
            if samples.size == 0:
                break
            for stamp in get_speech_timestamps(samples, options):
                spans.append((start + stamp["start"] // per_ms, start + stamp["end"] // per_ms))
    return spans


def uncovered(
    speech: Sequence[tuple[int, int]], cues: Iterable[tuple[int, int]], min_ms: int = MIN_UNCOVERED_MS
) -> list[tuple[int, int]]:
    """The parts of ``speech`` (spans in time order) that no cue span covers, each at least ``min_ms``."""
    shown = sorted((s, e) for s, e in cues if e > s)
    out: list[tuple[int, int]] = []
    k = 0
    for s0, s1 in speech:
        while k < len(shown) and shown[k][1] <= s0:
            k += 1
        cursor, j = s0, k
        while j < len(shown) and shown[j][0] < s1:
            if shown[j][0] - cursor >= min_ms:
                out.append((cursor, shown[j][0]))
            cursor = max(cursor, shown[j][1])
            j += 1
        if s1 - cursor >= min_ms:
            out.append((cursor, s1))
    return out
