from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamkit.errors import ModelError
from streamkit.evaluation import character_error_rate, load_reference_tsv, normalize_for_cer
from streamkit.media import extract_audio, probe
from streamkit.transcribe import TranscribeOptions, WhisperTranscriber, decodes_batched, plan_windows, resolve_model

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


def test_batched_by_default_with_word_timestamps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CPU: batched when words are timed (the default), sequential without (Whisper's translation)."""
    import faster_whisper

    calls: list[str] = []

    clips: list[object] = []

    class Sequential:
        def transcribe(self, samples: object, **kwargs: object) -> tuple[list[object], None]:
            calls.append("sequential")
            clips.append(kwargs.get("clip_timestamps"))
            return [], None

    class Batched:
        def __init__(self, model: object) -> None:
            pass

        def transcribe(self, samples: object, batch_size: int, **kwargs: object) -> tuple[list[object], None]:
            calls.append("batched")
            clips.append(kwargs.get("clip_timestamps"))
            return [], None

    monkeypatch.setattr(faster_whisper, "BatchedInferencePipeline", Batched)
    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"), whisper_model=Sequential())
    audio = extract_audio(probe(SHORT), tmp_path / "a.wav")
    cases = [
        (TranscribeOptions(), "batched"),
        (TranscribeOptions(batched=False), "sequential"),
        (TranscribeOptions(task="translate", word_timestamps=False), "sequential"),
        (TranscribeOptions(word_timestamps=False, batched=True), "batched"),
    ]
    for options, expected in cases:
        calls.clear()
        transcriber.transcribe(audio, options)
        assert calls == [expected], options
        assert decodes_batched(options, "cpu") == (expected == "batched")  # what the cache key records
    assert decodes_batched(TranscribeOptions(task="translate", word_timestamps=False), "cuda")
    # by turns: the speech regions go to faster-whisper as clips, its own VAD is off; batched takes
    # them as dicts (one batch item each), sequential as a flat list of seconds
    clips.clear()
    transcriber.transcribe(audio, TranscribeOptions(turns=True))
    transcriber.transcribe(audio, TranscribeOptions(turns=True, batched=False))
    transcriber.transcribe(audio, TranscribeOptions())
    batched_clips, sequential_clips, none = clips
    assert isinstance(batched_clips, list) and batched_clips and isinstance(batched_clips[0], dict)
    assert isinstance(sequential_clips, list) and len(sequential_clips) == 2 * len(batched_clips)
    assert none is None


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
def test_a_short_stretch_decoded_on_its_own_gets_a_token_cap_by_its_length(
    transcriber: WhisperTranscriber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short turn Whisper reads as a loop ran to 448 tokens at every temperature of the fallback (conv-105: 36 s
    of a 69 s run). A stretch decoded on its own gets 120 tokens plus 25 a second (a loop cut shorter passed the
    compression test and won over the fallback), a batch of clips (no fallback) 16 plus 25 a second of the longest;
    a long stretch keeps Whisper's own limit. The real model reads the short one all the same."""
    from faster_whisper import BatchedInferencePipeline

    from streamkit.clips import decode_samples
    from streamkit.media import read_pcm

    audio = extract_audio(probe(SHORT), tmp_path / "a.wav")
    asked: list[Any] = []
    real_one, real_batch = transcriber.model.transcribe, BatchedInferencePipeline.transcribe

    def one(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("max_new_tokens"))
        return real_one(*args, **kwargs)

    def batch(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("max_new_tokens"))
        return real_batch(self, *args, **kwargs)

    monkeypatch.setattr(transcriber.model, "transcribe", one)
    monkeypatch.setattr(BatchedInferencePipeline, "transcribe", batch)
    short = transcriber.transcribe_span(audio, 0, 2000, TranscribeOptions())
    transcriber.transcribe_span(extract_audio(probe(FANLIVE), tmp_path / "f.wav"), 0, 20_000, TranscribeOptions())
    clips = decode_samples(transcriber, read_pcm(audio, 0, 7200), [(0, 2000), (2000, 3000)], TranscribeOptions(), 2)
    assert asked == [120 + 50, None, 16 + 50]
    assert short and short[0].words and clips



def test_a_batch_aligned_by_parts_gives_the_words_aligned_at_once(
    transcriber: WhisperTranscriber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Word alignment runs ``ALIGN_BATCH`` items at a time on the CPU (peak memory); the words stay the same."""
    import streamkit.whispermodel as whispermodel
    from streamkit.clips import decode_samples
    from streamkit.media import read_pcm

    audio = extract_audio(probe(FANLIVE), tmp_path / "f.wav")
    samples = read_pcm(audio, 0, 20_000)
    clips = [(0, 3000), (3000, 7000), (7000, 11_000), (11_000, 15_000), (15_000, 20_000)]

    def words(align_batch: int) -> list[tuple[str, int, int, float]]:
        monkeypatch.setattr(whispermodel, "ALIGN_BATCH", align_batch)
        found = decode_samples(transcriber, samples, clips, TranscribeOptions(), len(clips))
        return [(w.text, w.start_ms, w.end_ms, round(w.probability, 3)) for u in found for w in u.words]

    at_once, by_parts = words(len(clips)), words(2)
    assert len(at_once) > 10
    assert by_parts == at_once

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
    # Not worse by more than a few characters of the 220: across CPU kernels the two move apart by
    # up to three characters (bench/model_margins.py); a lost clip costs 0.15 or more.
    assert ours_cer <= bare_cer + OURS_VS_BARE_MARGIN


#: streamkit minus bare faster-whisper on fanlive.mp4: -0.009..+0.0135 across kernels (bench/model_margins.py).
OURS_VS_BARE_MARGIN = 0.03
#: Measured (bench/model_margins.py, CT2_FORCE_CPU_ISA=GENERIC/AVX/AVX2; docs/reliability.md): windowed
#: vs one window differed by 0.022-0.062 CER (0.058 on the CPU of issue 13); a lost or doubled window
#: (32-58 of fanlive.mp4's ~225 characters) is caught window by window below.
WINDOWED_CER_MARGIN = 0.12
#: Characters of one window's text may differ by this share (and 10 characters) from one-window decoding.
WINDOW_CHARS_TOLERANCE = 0.35


def _chars_within(transcript: Any, start: int, end: int) -> int:
    """Characters (spaces and punctuation aside) of the words whose middle lies in ``start..end``."""
    return len(normalize_for_cer("".join(w.text for u in transcript.utterances for w in u.words
                                         if start <= (w.start_ms + w.end_ms) // 2 < end)))


@pytest.mark.slow
def test_windowed_transcription_cuts_in_pauses_and_matches_one_window(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    audio = extract_audio(probe(FANLIVE), tmp_path / "a.wav")
    windows = plan_windows(audio, 20_000)
    assert len(windows) >= 3 and windows[0][0] == 0 and windows[-1][1] == audio.duration_ms
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))  # contiguous, exact
    assert all(e - s <= 20_000 for s, e in windows)
    assert plan_windows(audio, 0) == [(0, audio.duration_ms)]

    # Sequential decoding on both sides: this compares windowing, not batched chunking.
    whole = transcriber.transcribe(audio, TranscribeOptions(window_ms=0, batched=False))
    words = [w for u in whole.utterances for w in u.words]
    for _, cut in windows[:-1]:
        assert not any(w.start_ms < cut < w.end_ms for w in words), f"cut at {cut} ms splits a word"

    seen: list[float] = []
    windowed = transcriber.transcribe(audio, TranscribeOptions(window_ms=20_000, batched=False),
                                      lambda d, t: seen.append(d))
    # Same words within a tolerance, not a near-identical text: int8 kernels differ across CPUs and
    # each window decodes from its own start, so a few characters move ("동격적인"/"본격적인" gave 0.058
    # on another CPU, 0.03 was asserted). A window lost or decoded twice fails the per-window count.
    difference = character_error_rate(whole.text, windowed.text)
    print(f"\nwindowed vs one window: CER {difference:.3f}")
    assert difference <= WINDOWED_CER_MARGIN
    for start, end in windows:  # every window holds about the text one window has there
        alone = _chars_within(whole, start, end)
        cut = _chars_within(windowed, start, end)
        print(f"  window {start}-{end} ms: {cut} characters windowed, {alone} in one window")
        assert abs(cut - alone) <= max(10, WINDOW_CHARS_TOLERANCE * alone), (start, end, cut, alone)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(audio.duration_ms / 1000)
    starts = [w.start_ms for u in windowed.utterances for w in u.words]
    assert starts == sorted(starts)
    # word times stay on the track's clock: each clip's first word starts inside that clip
    for s, e, _ in load_reference_tsv(FANLIVE.with_suffix(".ref.tsv")):
        first = next(w for u in windowed.utterances for w in u.words if w.start_ms >= s - 500)
        assert s - 500 <= first.start_ms <= e


@pytest.mark.slow
def test_a_local_model_makes_no_network_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve, load and run the bundled model with every outgoing connection refused."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network call attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    choice = resolve_model(None, device="cpu")
    fresh = WhisperTranscriber(choice)
    audio = extract_audio(probe(SHORT), tmp_path / "a.wav")
    assert "커피" in fresh.transcribe(audio, TranscribeOptions()).text


def test_heap_is_returned_between_decodes_and_pcm_is_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each decode starts from a trimmed heap, and the window's PCM is released once featurized."""
    import weakref
    from types import SimpleNamespace

    import streamkit.transcribe as transcribe_module

    events: list[str] = []
    monkeypatch.setattr(transcribe_module, "release_memory", lambda: events.append("trim"))

    class Model:
        def transcribe(self, samples: Any, **kwargs: object) -> tuple[Iterator[object], None]:
            pcm = weakref.ref(samples)

            def decode() -> Iterator[object]:  # lazy, as faster-whisper's segments are
                for i in range(3):
                    events.append(f"decode {i}, pcm held: {pcm() is not None}")
                    yield SimpleNamespace(start=i, end=i + 0.5, text=f"말 {i}", words=None, avg_logprob=-0.1,
                                          no_speech_prob=0.0, compression_ratio=1.0)

            return decode(), None

    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"), whisper_model=Model())
    audio = extract_audio(probe(SHORT), tmp_path / "a.wav")
    result = transcriber.transcribe(audio, TranscribeOptions(batched=False))
    assert [u.start_ms for u in result.utterances] == [0, 1000, 2000]
    assert events == ["decode 0, pcm held: False", "trim", "decode 1, pcm held: False", "trim",
                      "decode 2, pcm held: False", "trim", "trim"]



def test_a_stretch_decoded_alone_hands_its_scratch_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rescue's decodes trim the heap after them, so their scratch does not sit under the next batch's peak."""
    from types import SimpleNamespace

    import streamkit.transcribe as transcribe_module

    events: list[str] = []
    monkeypatch.setattr(transcribe_module, "release_memory", lambda: events.append("trim"))

    class Model:
        def transcribe(self, samples: Any, **kwargs: object) -> tuple[Iterator[object], None]:
            events.append("decode")
            return iter([SimpleNamespace(start=0.1, end=0.6, text="네", words=None, avg_logprob=-0.1,
                                         no_speech_prob=0.0, compression_ratio=1.0)]), None

    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"), whisper_model=Model())
    audio = extract_audio(probe(SHORT), tmp_path / "a.wav")
    assert [u.text for u in transcriber.transcribe_span(audio, 500, 1500, TranscribeOptions())] == ["네"]
    assert events == ["decode", "trim"]

def _segment(text: str, words: list[tuple[str, float, float]]) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(start=words[0][1] if words else 0.0, end=words[-1][2] if words else 1.0, text=text,
                           words=[SimpleNamespace(word=w, start=a, end=b, probability=0.99) for w, a, b in words],
                           avg_logprob=-0.5, no_speech_prob=0.1, compression_ratio=1.2)


def test_a_word_cut_inside_a_syllable_is_not_written() -> None:
    """A loop that runs to the token cap ends inside a Hangul syllable's bytes: faster-whisper decodes that as
    U+FFFD, which became a cue of its own ("\ufffd", conv-109 at 269.6 s) once the loop before it was dropped."""
    from streamkit.transcribe import convert_segments

    looped = _segment(" 뱉는 핫스 뱉는 핫스\ufffd", [(" 뱉는", 1.0, 1.4), (" 핫스", 1.4, 1.8), (" 뱉는", 1.8, 2.0),
                                                  (" 핫스", 2.0, 2.2), ("\ufffd", 2.2, 2.4)])
    broken_alone = _segment(" \ufffd", [(" \ufffd", 3.0, 3.2)])
    cut_inside = _segment(" 안녕하\ufffd세요", [(" 안녕하\ufffd세요", 4.0, 4.6)])
    out = list(convert_segments([looped, broken_alone, cut_inside], 5.0, None))
    assert [u.text for u in out] == ["뱉는 핫스 뱉는 핫스", "안녕하세요"]
    assert [w.text for w in out[0].words] == ["뱉는", "핫스", "뱉는", "핫스"]
    assert out[0].end_ms == 2400  # the segment's own end stays: only the unreadable word goes
    assert [w.text for w in out[1].words] == ["안녕하세요"]
