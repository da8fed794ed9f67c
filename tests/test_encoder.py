"""Whisper's encoder on a short window: only inside the block, only on its thread."""

from __future__ import annotations

import threading

import numpy as np

from streamkit.encoder import short_encoder


def test_the_encoder_window_is_short_only_inside_the_block_on_its_own_thread() -> None:
    import faster_whisper.transcribe as fwt

    features = np.zeros((80, 801), np.float32)
    with short_encoder(1000):
        assert fwt.pad_or_trim(features).shape == (80, 1000)  # 8 s + 1 s, rounded up to a second
        seen: list[tuple[int, ...]] = []
        other = threading.Thread(target=lambda: seen.append(fwt.pad_or_trim(features).shape))
        other.start()
        other.join()
        assert seen == [(80, 3000)]
    assert fwt.pad_or_trim(features).shape == (80, 3000)
    with short_encoder(None):
        assert fwt.pad_or_trim(features).shape == (80, 3000)

