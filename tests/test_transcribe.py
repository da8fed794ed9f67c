from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from streamkit.errors import ModelError
from streamkit.evaluation import character_error_rate, load_reference_tsv
from streamkit.media import extract_audio, probe
from streamkit.transcribe import TranscribeOptions, WhisperTranscriber, resolve_model

from .conftest import FANLIVE, SHORT


def test_default_on_cpu_is_the_bundled_base_and_says_why() -> None:
    choice = resolve_model(None, device="cpu")
    assert (choice.name, choice.source, choice.device, choice.compute_type) == ("base", "bundled", "cpu", "int8")
    assert "CUDA" in choice.reason and Path(choice.location, "model.bin").is_file()


def test_a_folder_is_used_as_is(tmp_path: Path) -> None:
    bundled = Path(resolve_model("base", device="cpu").location)
    choice = resolve_model(str(bundled), device="cpu", compute_type="int8_float32")
    assert (choice.source, choice.location, choice.compute_type) == ("folder", str(bundled), "int8_float32")


def test_a_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no model\.bin"):
        resolve_model(str(tmp_path), device="cpu")
    with pytest.raises(ModelError, match="no such model folder"):
        resolve_model(str(tmp_path / "nope"), device="cpu")


def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="no CUDA device"):
        resolve_model(None, device="cuda")


def test_unknown_device() -> None:
    with pytest.raises(ModelError, match="unknown device"):
        resolve_model(None, device="tpu")


def test_an_uncached_hub_model_without_download_is_refused() -> None:
    with pytest.raises(Exception):  # noqa: B017 - faster-whisper raises the hub's own error here
        resolve_model("tiny.en", device="cpu", allow_download=False)


@pytest.mark.slow
def test_transcribes_korean_with_word_timings_deterministically(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    audio = extract_audio(probe(SHORT), tmp_path / "a.wav")
    progress: list[float] = []
    first = transcriber.transcribe(audio, TranscribeOptions(), lambda d, t: progress.append(d))
    second = transcriber.transcribe(audio, TranscribeOptions())
    assert first == second
    assert first.language == "ko" and first.model == "base"
    words = [w for u in first.utterances for w in u.words]
    assert len(words) >= 8
    assert all(a.start_ms <= b.start_ms for a, b in itertools.pairwise(words))
    # speech starts at ~0.3 s in short.mp4 and the clip ends at 7.2 s
    assert 0 <= words[0].start_ms < 1500 and words[-1].end_ms <= 7600
    assert "커피" in first.text
    assert progress and progress[-1] == pytest.approx(audio.duration_ms / 1000)
    ref = " ".join(t for _, _, t in load_reference_tsv(SHORT.with_suffix(".ref.tsv")))
    assert character_error_rate(ref, first.text) < 0.2


@pytest.mark.slow
def test_at_least_as_accurate_as_bare_faster_whisper(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    """The issue's bar: streamkit's Korean text vs. bare faster-whisper (VAD) on the same file and model."""
    audio = extract_audio(probe(FANLIVE), tmp_path / "a.wav")
    ours = transcriber.transcribe(audio, TranscribeOptions()).text
    segments, _ = transcriber.model.transcribe(str(FANLIVE), language="ko", vad_filter=True)
    bare = " ".join(s.text for s in segments)
    ref = " ".join(t for _, _, t in load_reference_tsv(FANLIVE.with_suffix(".ref.tsv")))
    ours_cer, bare_cer = character_error_rate(ref, ours), character_error_rate(ref, bare)
    print(f"CER streamkit {ours_cer:.3%} bare faster-whisper {bare_cer:.3%}")
    assert ours_cer <= bare_cer + 0.002
