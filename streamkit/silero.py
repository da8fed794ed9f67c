"""Silero VAD (faster-whisper's) scored once per audio, however many stages ask.

A run scores the same window of a recording with Silero three times: faster-whisper's own VAD before
decoding, the quality filter's speech profile (``quality.profiles.vad_profile``) and the rescue's speech
regions (``rescue.turn_regions``). Each pass is ~0.6 s for 5 minutes on 2 cores, 8 % of a short run.
:func:`install` puts a memo in front of faster-whisper's model (``faster_whisper.vad.get_vad_model``): a
call with exactly the samples of an earlier one (compared by a hash of their bytes) gets that call's
probabilities back, so every stage reads what it read before, to the bit. Short inputs (the live engine's
chunks) go straight to the model.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["install"]

#: Inputs shorter than this many samples are not remembered (30 s at 16 kHz: live chunks, single clips).
MIN_SAMPLES = 16_000 * 30
#: Windows remembered: a run's stages ask for the same window one after another.
KEEP = 4


class _Memo:
    """Silero's ``__call__`` with the results of recent long inputs kept by content."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._seen: OrderedDict[tuple[int, int, int, bytes], NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, audio: NDArray[np.float32], num_samples: int = 512,
                 context_size_samples: int = 64) -> NDArray[np.float32]:
        if audio.shape[0] < MIN_SAMPLES:
            out: NDArray[np.float32] = self.model(audio, num_samples, context_size_samples)
            return out
        data = np.ascontiguousarray(audio, dtype=np.float32)
        key = (data.shape[0], num_samples, context_size_samples, hashlib.blake2b(data.tobytes()).digest())
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return self._seen[key].copy()
        out = self.model(data, num_samples, context_size_samples)
        with self._lock:
            self._seen[key] = out
            while len(self._seen) > KEEP:
                self._seen.popitem(last=False)
        return out.copy()


def install() -> None:
    """Put the memo in front of faster-whisper's VAD model for this process (idempotent)."""
    import faster_whisper.vad as fwv

    model = fwv.get_vad_model()
    if not isinstance(model, _Memo):
        memo = _Memo(model)
        fwv.get_vad_model = lambda: memo
