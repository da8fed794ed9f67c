"""Silero VAD scored once per window: the filter's profile and faster-whisper's VAD share one pass, to the bit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from streamkit import silero
from streamkit.media import extract_audio, probe, read_pcm
from streamkit.quality.profiles import vad_profile

from .conftest import FANLIVE


class Counting:
    """The real Silero model, counting the calls that reach it."""

    def __init__(self) -> None:
        from faster_whisper.vad import SileroVADModel, get_assets_path

        self.model = SileroVADModel(str(Path(get_assets_path()) / "silero_vad_v6.onnx"))
        self.calls = 0

    def __call__(self, audio: NDArray[np.float32], *args: Any) -> Any:
        self.calls += 1
        return self.model(audio, *args)


def test_the_same_long_samples_are_scored_once_and_read_back_alike() -> None:
    model = Counting()
    memo = silero._Memo(model)
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(-(-silero.MIN_SAMPLES // 512) * 512 + 512 * 3) * 0.05).astype(np.float32)
    copies = [audio.copy() for _ in range(3)]  # Silero zeroes the last 64 samples of what it is given
    first = memo(copies[0])
    again = memo(copies[1])
    assert model.calls == 1 and np.array_equal(first, again)
    again[0] = 1.0  # a caller's change does not reach the memo
    assert np.array_equal(memo(copies[2]), first)
    other = audio.copy()
    other[0] += 0.01
    memo(other)
    assert model.calls == 2  # one sample differs: scored anew
    memo(audio[: 512 * 10].copy()), memo(audio[: 512 * 10].copy())
    assert model.calls == 4  # live chunks are not remembered


@pytest.mark.slow
def test_the_filter_profile_reuses_faster_whispers_vad_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import faster_whisper.vad as fwv

    track = extract_audio(probe(FANLIVE), tmp_path / "audio.wav")
    model = Counting()
    samples = read_pcm(track, 0, track.duration_ms)
    alone = np.asarray(model.model(np.pad(samples, (0, 512 - samples.size % 512))), np.float64).reshape(-1)
    memo = silero._Memo(model)
    monkeypatch.setattr(fwv, "get_vad_model", lambda: memo)
    regions = fwv.get_speech_timestamps(samples, fwv.VadOptions())  # what transcription runs first
    profile = vad_profile(track)
    assert regions and model.calls == 1
    assert np.array_equal(profile.values, alone[: -(-samples.size // 512)])  # type: ignore[attr-defined]
