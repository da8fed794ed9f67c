"""Transcription: model resolution and the faster-whisper adapter behind a small Protocol.

``resolve_model`` decides which Whisper model runs and records why (a folder you named, the
bundled ``base``, or a hub name). ``WhisperTranscriber`` runs faster-whisper with Korean,
VAD and word timestamps on, deterministically, and converts its float seconds into streamkit's
integer milliseconds here, once.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import ModelError, ModelIntegrityError, TranscriptionError
from .media import read_pcm
from .models import AudioTrack, ModelChoice, ProgressCallback, Transcript, Utterance, Word
from .problems import readable
from .whispermodel import whisper_model_class

__all__ = [
    "DEFAULT_CPU_MODEL",
    "DEFAULT_CUDA_MODEL",
    "TranscribeOptions",
    "Transcriber",
    "WhisperTranscriber",
    "convert_segments",
    "cuda_available",
    "decodes_batched",
    "plan_windows",
    "release_memory",
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
    #: VAD's minimum silence between speech regions; ``None``: 500 ms when decoding by turns (a
    #: reply after half a second of silence is a turn of its own), faster-whisper's default (2 s)
    #: otherwise, which measured better than 500 ms on the Zeroth clips there (CER 7.5 % vs 7.9 %).
    vad_min_silence_ms: int | None = None
    #: Turn-aware decoding (``streamkit.turns``): speech regions found first with the VAD settings
    #: below, each decoded on its own (batched: one batch item per region). Off (the default):
    #: faster-whisper's own VAD chunks (up to 30 s of several turns, decoded whole). On keeps 11 of
    #: 12 lines of samples/conversation.mp4 instead of 6-7, but a music region decoded alone gets
    #: invented text the filter does not all catch (noisy.mp4: 2 cues over music), so it is opt-in.
    turns: bool = False
    #: Silero VAD speech threshold for the regions (0.3 measured worse than 0.5 on the whole
    #: pipeline: more music regions) and the padding added on each side of a region.
    vad_threshold: float = 0.5
    vad_speech_pad_ms: int = 200
    #: Regions at most this far apart are decoded together (one encoder pass instead of two), up to
    #: ``turn_max_ms``. 0: every region alone (measured: joining across 1 s lost a turn of 12).
    turn_join_gap_ms: int = 0
    turn_max_ms: int = 28_000
    #: Batched inference (faster-whisper's ``BatchedInferencePipeline``): ``None`` = automatic,
    #: True/False to force. Automatic is batched on CUDA, and on CPU whenever word timestamps are on
    #: (the default): there it measured twice as fast at a lower CER (RTF 0.085 vs 0.18;
    #: docs/benchmarks.md). A batched segment is a whole VAD chunk (up to 30 s); its words carry the
    #: timing, and the invented-text filter judges it run by run (streamkit.quality). Without word
    #: timestamps (Whisper's own translation) it would be one span of up to 30 s of text, so
    #: automatic decodes sequentially on CPU there.
    batched: bool | None = None
    batch_size: int = 8
    #: Long recordings are transcribed in windows of at most this length, cut at pauses, so
    #: memory does not grow with the length of the stream (0 = one window).
    window_ms: int = 10 * 60 * 1000

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


def decodes_batched(options: TranscribeOptions, device: str) -> bool:
    """Whether ``options`` decode with the batched pipeline on ``device`` (``batched=None`` resolved)."""
    if options.batched is not None:
        return options.batched
    return device == "cuda" or options.word_timestamps


def _decode(model: Any, samples: Any, options: TranscribeOptions, batched: bool, kwargs: dict[str, Any]) -> Any:
    """faster-whisper's lazy segments for one window: by turns, or over its own VAD chunks."""
    if options.turns and options.vad:
        from .turns import window_regions

        regions = window_regions(samples, options)
        if not regions:
            return []
        kwargs = {**kwargs, "vad_filter": False, "vad_parameters": None}
        if batched:
            kwargs["clip_timestamps"] = [{"start": a / 1000, "end": b / 1000} for a, b in regions]
        else:
            kwargs["clip_timestamps"] = [t / 1000 for region in regions for t in region]
    if batched:
        from faster_whisper import BatchedInferencePipeline

        return BatchedInferencePipeline(model).transcribe(samples, batch_size=options.batch_size, **kwargs)[0]
    return model.transcribe(samples, **kwargs)[0]


@dataclass
class WhisperTranscriber:
    """faster-whisper behind the :class:`Transcriber` protocol. Loads the model once, lazily.

    ``whisper_model`` injects an already loaded model (a ``faster_whisper.WhisperModel``, or in a
    test an object with its ``transcribe``) instead of loading ``choice``.
    """

    choice: ModelChoice
    cpu_threads: int = 0
    num_workers: int = 1
    whisper_model: Any = field(default=None, repr=False, compare=False)
    _model: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._model = self.whisper_model

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        from .silero import install

        install()  # faster-whisper's VAD and the filter's score a window once (silero.py)
        local = self.choice.source in ("folder", "bundled") or Path(self.choice.location).is_dir()
        try:
            return whisper_model_class()(self.choice.location, device=self.choice.device,
                                         compute_type=self.choice.compute_type, cpu_threads=self.cpu_threads,
                                         num_workers=self.num_workers, local_files_only=local)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(self.choice.name, f"cannot be loaded ({exc})",
                             hint="check --device and --compute-type, or use the bundled base") from exc

    def transcribe(
        self, audio: AudioTrack, options: TranscribeOptions, progress: ProgressCallback | None = None
    ) -> Transcript:
        """Transcribe ``audio`` window by window (see :func:`plan_windows`): memory stays flat in length."""
        import ctranslate2

        total = audio.duration_ms / 1000
        batched = decodes_batched(options, self.choice.device)
        kwargs: dict[str, Any] = dict(
            language=options.language,
            task=options.task,
            beam_size=options.beam_size,
            temperature=list(options.temperature),
            condition_on_previous_text=options.condition_on_previous_text,
            word_timestamps=options.word_timestamps,
            vad_filter=options.vad,
            vad_parameters=(
                {"min_silence_duration_ms": options.vad_min_silence_ms} if options.vad_min_silence_ms else None
            ),
            initial_prompt=options.initial_prompt,
            hotwords=options.hotwords,
        )
        utterances: list[Utterance] = []
        ctranslate2.set_random_seed(options.seed)
        for start_ms, end_ms in plan_windows(audio, options.window_ms):
            samples = read_pcm(audio, start_ms, end_ms)
            if samples.size == 0:
                continue

            def report(done: float, _total: float, offset: float = start_ms / 1000) -> None:
                if progress is not None:
                    progress(min(offset + done, total), total)

            try:
                segments = _decode(self.model, samples, options, batched, kwargs)
                # faster-whisper has featurized the window and decodes lazily from the features:
                # the PCM (38 MB per 10 minutes) need not stay alive through the decoding peak.
                del samples
                window_total = (end_ms - start_ms) / 1000
                last = utterances[-1].start_ms if utterances else 0
                utterances.extend(convert_segments(_trimmed(segments), window_total, report, offset_ms=start_ms,
                                           not_before_ms=last))
            except (RuntimeError, ValueError) as exc:
                raise TranscriptionError(f"transcription failed: {exc}") from exc
            release_memory()
        if progress is not None:
            progress(total, total)
        return Transcript(
            language="en" if options.task == "translate" else options.language,
            utterances=tuple(utterances),
            duration_ms=audio.duration_ms,
            model=self.choice.name,
            task=options.task,
        )

    def transcribe_span(
        self, audio: AudioTrack, start_ms: int, end_ms: int, options: TranscribeOptions, prompt: str | None = None
    ) -> list[Utterance]:
        """One stretch of ``audio`` decoded on its own: sequential, no VAD (the caller found voice there),
        temperature fallback, ``prompt`` (the text before it) as context; track times in ms."""
        import ctranslate2

        samples = read_pcm(audio, max(start_ms, 0), end_ms)
        if samples.size == 0:
            return []
        ctranslate2.set_random_seed(options.seed)
        context = " ".join(p for p in (options.initial_prompt, prompt) if p) or None
        try:
            segments, _info = self.model.transcribe(
                samples, language=options.language, task=options.task, beam_size=options.beam_size,
                temperature=list(options.temperature), condition_on_previous_text=True,
                word_timestamps=options.word_timestamps, vad_filter=False, initial_prompt=context,
                hotwords=options.hotwords, max_new_tokens=token_cap(SPAN_TOKENS, samples.size / 16_000),
            )
            return list(convert_segments(segments, (end_ms - start_ms) / 1000, None, offset_ms=max(start_ms, 0)))
        except (RuntimeError, ValueError) as exc:
            raise TranscriptionError(f"transcription failed: {exc}") from exc
        finally:
            release_memory()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_memory() -> None:
    """Hand freed heap back to the OS (glibc ``malloc_trim``), so peak RSS does not creep with length, and a decode's
    scratch does not sit under the next one's peak (the rescue's batches and stretches: :mod:`streamkit.clips`)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _trimmed(segments: Iterable[Any]) -> Iterator[Any]:
    """``segments``, with freed heap handed back to the OS before each next one is decoded.

    faster-whisper decodes lazily (the next segment runs CTranslate2 on one 30 s chunk, or a batch of them). The
    scratch buffers a decode frees stay in glibc's arenas, fragmented, and without a trim that memory sat on top of
    every later peak, varying by hundreds of MB from window to window and run to run (docs/benchmarks.md, Memory).
    A trim costs about 1.5 ms; segments of one batch arrive together, so those trims find nothing."""
    for seg in segments:
        yield seg
        release_memory()


#: New tokens for a stretch decoded on its own, (base, per second, above which none), and for a batch of clips by
#: its longest. A turn read as a loop ran to Whisper's 448 at each temperature of the fallback (conv-105: 36 s of 69);
#: a loop cut short passes the compression test and wins over the fallback, so a stretch's cap is long.
SPAN_TOKENS, CLIP_TOKENS = (120, 25, 220), (16, 25, 200)


def token_cap(rule: tuple[int, int, int], seconds: float) -> int | None:
    """``max_new_tokens`` for ``seconds`` of audio: ``rule``'s base plus its tokens a second, None past its third."""
    cap = rule[0] + math.ceil(rule[1] * seconds)
    return cap if cap <= rule[2] else None


#: How far back from a window's nominal end the quietest cut point is searched for.
CUT_SEARCH_MS = 30_000
_CUT_FRAME_MS = 200


def plan_windows(audio: AudioTrack, window_ms: int) -> list[tuple[int, int]]:
    """Split a long track into windows of at most ``window_ms``, each cut at the quietest moment.

    A cut is placed in the quietest 200 ms within the last 30 s before the nominal end (a pause,
    not a word), so no word straddles two windows and every timestamp is exact: a window's
    samples start at ``start_ms * 16`` and its times are offset by ``start_ms``.
    """
    import numpy as np

    total = audio.duration_ms
    if window_ms <= 0 or total <= window_ms:
        return [(0, total)]
    windows = []
    start = 0
    while total - start > window_ms:
        hi = start + window_ms
        lo = max(start + window_ms // 2, hi - CUT_SEARCH_MS)
        pcm = read_pcm(audio, lo, hi)
        frame = audio.sample_rate * _CUT_FRAME_MS // 1000
        usable = pcm[: pcm.size // frame * frame].reshape(-1, frame) if pcm.size >= frame else None
        if usable is None or len(usable) == 0:
            cut = hi
        else:
            energy = (usable.astype(np.float64) ** 2).mean(axis=1)
            quietest = int(np.argmin(energy[::-1]))  # the latest of equally quiet frames
            index = len(energy) - 1 - quietest
            cut = lo + index * _CUT_FRAME_MS + _CUT_FRAME_MS // 2
        windows.append((start, cut))
        start = cut
    windows.append((start, total))
    return windows


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def convert_segments(
    segments: Iterable[Any],
    total: float,
    progress: ProgressCallback | None,
    *,
    offset_ms: int = 0,
    not_before_ms: int = 0,
) -> Iterable[Utterance]:
    """faster-whisper segments (float seconds of one window) -> Utterances (int ms of the track)."""
    last_start = not_before_ms
    for seg in segments:
        if progress is not None:
            progress(min(float(seg.end), total), total)
        text = readable(seg.text)
        if not text:
            continue
        words = tuple(_words(seg.words or (), offset_ms))
        start = _ms(seg.start) + offset_ms
        end = max(start, _ms(seg.end) + offset_ms)
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


def _words(words: Sequence[Any], offset_ms: int = 0) -> Iterable[Word]:
    for w in words:
        text = readable(w.word)
        if not text:
            continue
        start = max(_ms(w.start), 0) + offset_ms
        end = max(_ms(w.end) + offset_ms, start)
        yield Word(start_ms=start, end_ms=end, text=text, probability=float(w.probability))
