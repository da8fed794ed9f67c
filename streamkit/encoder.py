"""Whisper's encoder on a short window instead of its fixed 30 s, on one thread at a time.

faster-whisper pads every window it encodes to 30 s (its ``transcribe`` module calls ``pad_or_trim``). For a
few seconds of audio that is most of the cost: an 8 s live buffer costs ~1.4 CPU-s encoded on 9 s and ~3.5
on 30 s. CTranslate2's encoder takes any length up to 3000 frames (10 ms each). Inside :func:`short_encoder`
the module's ``pad_or_trim`` pads only to the audio plus ``pad_ms`` (rounded up to a second); on every other
thread and outside the block it behaves as faster-whisper's, so other transcriptions in the same process are
unchanged.

Not used for the rescue's batch of clips (tried, 2026-12-05: each batch padded to its longest clip plus 1 s;
the clips' wall time did not move on conv-103, and conversation.mp4 lost a reply that 30 s windows read).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

__all__ = ["short_encoder"]

_short = threading.local()


def _pad_or_trim(array: NDArray[np.float32], length: int = 3000, *, axis: int = -1) -> NDArray[np.float32]:
    """faster-whisper's ``pad_or_trim``, padding only to the short window on a thread inside :func:`short_encoder`."""
    from faster_whisper.audio import pad_or_trim

    pad = getattr(_short, "frames", None)
    if pad is not None:
        length = min(length, -(-(array.shape[axis] + pad) // 100) * 100)
    padded: NDArray[np.float32] = pad_or_trim(array, length=length, axis=axis)
    return padded


@contextlib.contextmanager
def short_encoder(pad_ms: int | None) -> Iterator[None]:
    """Inside: faster-whisper on this thread encodes its audio plus ``pad_ms``, not a 30 s window (None: 30 s)."""
    import faster_whisper.transcribe as fwt

    if pad_ms is None:
        yield
        return
    if fwt.pad_or_trim is not _pad_or_trim:
        fwt.pad_or_trim = _pad_or_trim
    _short.frames = pad_ms // 10
    try:
        yield
    finally:
        _short.frames = None
