"""Transcription: model resolution and the faster-whisper adapter behind a small Protocol.

``resolve_model`` decides which Whisper model runs and records why (a folder you named, the
bundled ``base``, or a hub name). ``WhisperTranscriber`` runs faster-whisper with Korean,
VAD and word timestamps on, deterministically, and converts its float seconds into streamkit's
integer milliseconds here, once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import ModelError, ModelIntegrityError, TranscriptionError
from .media import read_pcm
from .models import AudioTrack, ModelChoice, ProgressCallback, Transcript, Utterance, Word

__all__ = [
    "DEFAULT_CPU_MODEL",
    "DEFAULT_CUDA_MODEL",
    "TranscribeOptions",
    "Transcriber",
    "WhisperTranscriber",
    "cuda_available",
    "resolve_model",
]

log = logging.getLogger("streamkit")

DEFAULT_CPU_MODEL = "base"
DEFAULT_CUDA_MODEL = "large-v3-turbo"
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True, slots=True)
class TranscribeOptions:
    """Decoding settings. The defaults are the ones streamkit's accuracy figures were measured with."""

    language: str = "ko"
    task: str = "transcribe"  # or "translate" (Whisper's own X -> English)
    beam_size: int = 5
    vad: bool = True
    word_timestamps: bool = True
    #: Conditioning on earlier text makes Whisper repeat itself in loops on long recordings.
    condition_on_previous_text: bool = False
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    #: Fixed seed for the sampling fallback: same input, same output.
    seed: int = 0
    initial_prompt: str | None = None
    hotwords: str | None = None
    vad_min_silence_ms: int = 500
    #: Batched inference: ``None`` = automatic (on CUDA only), True/False to force.
    batched: bool | None = None
    batch_size: int = 8

    def __post_init__(self) -> None:
        if self.task not in ("transcribe", "translate"):
            raise ValueError(f"task must be 'transcribe' or 'translate', not {self.task!r}")
        if self.beam_size < 1:
            raise ValueError("beam_size must be at least 1")


class Transcriber(Protocol):
    """Anything that turns an audio track into a timed transcript."""

    @property
    def choice(self) -> ModelChoice: ...

    def transcribe(
        self, audio: AudioTrack, options: TranscribeOptions, progress: ProgressCallback | None = None
    ) -> Transcript: ...


def cuda_available() -> bool:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count()) > 0
    except Exception:  # no CUDA runtime at all
        return False


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or spec.startswith((".", "~")) or Path(spec).exists()


def _hub_model(name: str, *, allow_download: bool) -> str:
    """Path of hub model ``name`` in the local hub cache, downloading only if allowed."""
    from faster_whisper.utils import download_model

    try:
        return str(download_model(name, local_files_only=True))
    except Exception:
        if not allow_download:
            raise
    try:
        return str(download_model(name))
    except ValueError as exc:  # unknown name
        raise ModelError(name, str(exc), hint="use a known name (base, small, large-v3, turbo) or a folder") from exc
    except Exception as exc:
        raise ModelError(
            name,
            f"cannot be downloaded from the model hub ({type(exc).__name__})",
            hint="use --model base (bundled, works offline) or --model PATH to a downloaded model folder",
        ) from exc


def resolve_model(
    spec: str | None = None,
    *,
    device: str = "auto",
    compute_type: str | None = None,
    allow_download: bool = True,
) -> ModelChoice:
    """Decide which model runs and why: folder -> bundled ``base`` -> hub by name.

    With no ``spec``: ``large-v3-turbo`` on a CUDA machine when obtainable, otherwise the
    bundled ``base``. Using a folder or the bundled model never touches the network.
    """
    from .modelstore import bundled_model_dir

    if device not in DEVICES:
        raise ModelError(spec or "default", f"unknown device {device!r}", hint="use auto, cpu or cuda")
    has_cuda = cuda_available()
    if device == "cuda" and not has_cuda:
        raise ModelError(spec or "default", "--device cuda was asked for but no CUDA device is available",
                         hint="use --device cpu (or auto)")
    run_device = "cuda" if device == "cuda" or (device == "auto" and has_cuda) else "cpu"
    ctype = compute_type or ("float16" if run_device == "cuda" else "int8")

    def choice(name: str, location: str, source: str, reason: str) -> ModelChoice:
        return ModelChoice(name, location, source, reason, device=run_device, compute_type=ctype)

    if spec is None:
        if run_device == "cuda":
            try:
                location = _hub_model(DEFAULT_CUDA_MODEL, allow_download=allow_download)
                return choice(DEFAULT_CUDA_MODEL, location, "hub",
                              "default on a CUDA machine: large-v3-turbo, accurate and fast on GPU")
            except Exception as exc:
                log.warning("large-v3-turbo not obtainable (%s); using the bundled base", exc)
                return choice("base", str(bundled_model_dir()), "bundled",
                              "CUDA found but large-v3-turbo is not obtainable here; bundled base instead")
        return choice("base", str(bundled_model_dir()), "bundled",
                      "default without a CUDA device: the bundled base model (int8, offline)")

    if _looks_like_path(spec):
        folder = Path(spec).expanduser()
        if not folder.is_dir():
            raise ModelError(spec, "no such model folder", hint="give a folder with model.bin, or a model name")
        if not (folder / "model.bin").is_file():
            raise ModelError(spec, "folder has no model.bin (not a CTranslate2 Whisper model)",
                             hint="convert it with ct2-transformers-converter, or give a model name")
        return choice(folder.name, str(folder), "folder", f"--model {spec}: the folder you named")

    if spec == "base":
        try:
            return choice("base", str(bundled_model_dir()), "bundled", "--model base: the bundled copy (offline)")
        except ModelIntegrityError:
            raise
        except ModelError as exc:
            log.warning("bundled base unavailable (%s); trying the hub", exc.problem)
    location = _hub_model(spec, allow_download=allow_download)
    return choice(spec, location, "hub", f"--model {spec}: loaded by name from the model hub cache")


@dataclass
class WhisperTranscriber:
    """faster-whisper behind the :class:`Transcriber` protocol. Loads the model once, lazily."""

    choice: ModelChoice
    cpu_threads: int = 0
    num_workers: int = 1
    _model: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        from faster_whisper import WhisperModel

        local = self.choice.source in ("folder", "bundled") or Path(self.choice.location).is_dir()
        try:
            return WhisperModel(
                self.choice.location,
                device=self.choice.device,
                compute_type=self.choice.compute_type,
                cpu_threads=self.cpu_threads,
                num_workers=self.num_workers,
                local_files_only=local,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(self.choice.name, f"cannot be loaded ({exc})",
                             hint="check --device and --compute-type, or use the bundled base") from exc

    def transcribe(
        self, audio: AudioTrack, options: TranscribeOptions, progress: ProgressCallback | None = None
    ) -> Transcript:
        import ctranslate2

        total = audio.duration_ms / 1000
        samples = read_pcm(audio)
        if samples.size == 0:
            return Transcript(options.language, (), audio.duration_ms, self.choice.name, options.task)
        ctranslate2.set_random_seed(options.seed)
        batched = options.batched if options.batched is not None else self.choice.device == "cuda"
        kwargs: dict[str, Any] = dict(
            language=options.language,
            task=options.task,
            beam_size=options.beam_size,
            temperature=list(options.temperature),
            condition_on_previous_text=options.condition_on_previous_text,
            word_timestamps=options.word_timestamps,
            vad_filter=options.vad,
            vad_parameters={"min_silence_duration_ms": options.vad_min_silence_ms},
            initial_prompt=options.initial_prompt,
            hotwords=options.hotwords,
        )
        try:
            if batched:
                from faster_whisper import BatchedInferencePipeline

                pipeline = BatchedInferencePipeline(self.model)
                segments, _info = pipeline.transcribe(samples, batch_size=options.batch_size, **kwargs)
            else:
                segments, _info = self.model.transcribe(samples, **kwargs)
            utterances = list(_convert(segments, total, progress))
        except (RuntimeError, ValueError) as exc:
            raise TranscriptionError(f"transcription failed: {exc}") from exc
        if progress is not None:
            progress(total, total)
        return Transcript(
            language="en" if options.task == "translate" else options.language,
            utterances=tuple(utterances),
            duration_ms=audio.duration_ms,
            model=self.choice.name,
            task=options.task,
        )


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _convert(segments: Iterable[Any], total: float, progress: ProgressCallback | None) -> Iterable[Utterance]:
    """faster-whisper segments (float seconds) -> Utterances (int ms), in time order."""
    last_start = 0
    for seg in segments:
        if progress is not None:
            progress(min(float(seg.end), total), total)
        text = " ".join(seg.text.split())
        if not text:
            continue
        words = tuple(_words(seg.words or ()))
        start = _ms(seg.start)
        end = max(start, _ms(seg.end))
        if words:
            start, end = min(start, words[0].start_ms), max(end, words[-1].end_ms)
        start = max(start, last_start)
        end = max(end, start)
        last_start = start
        yield Utterance(
            start_ms=start,
            end_ms=end,
            text=text,
            words=words,
            avg_logprob=float(seg.avg_logprob),
            no_speech_prob=float(seg.no_speech_prob),
            compression_ratio=float(seg.compression_ratio),
        )


def _words(words: Sequence[Any]) -> Iterable[Word]:
    for w in words:
        text = w.word.strip()
        if not text:
            continue
        start = max(_ms(w.start), 0)
        end = max(_ms(w.end), start)
        yield Word(start_ms=start, end_ms=end, text=text, probability=float(w.probability))

