"""Whisper's encoder on a short window: only inside the block, only on its thread, alike for a whole batch."""

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


def test_a_batch_of_clips_is_encoded_on_one_window_the_longest_clip_long() -> None:
    """np.stack needs the batch's windows alike: each is padded to the longest clip plus the pad."""
    import faster_whisper.transcribe as fwt

    with short_encoder(1000, longest_ms=2500):
        shapes = {fwt.pad_or_trim(np.zeros((80, n), np.float32)).shape for n in (120, 250, 31)}
    assert shapes == {(80, 400)}  # 2.5 s + 1 s, rounded up to 4 s
    with short_encoder(1000, longest_ms=45_000):  # never past Whisper's 30 s
        assert fwt.pad_or_trim(np.zeros((80, 3200), np.float32)).shape == (80, 3000)
    assert fwt.pad_or_trim(np.zeros((80, 120), np.float32)).shape == (80, 3000)
