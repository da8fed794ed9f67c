"""One live run: source -> streaming transcription -> sentences -> translation -> pages, files and hooks.

:func:`run_live` takes a :class:`LiveJob` and a loaded model, and runs until the source ends or the
user stops it (Ctrl-C). Pages get every change through ``publish(name, payload)`` (the web layer's
:class:`~streamkit.web.EventBroker`); final sentences are written to the rolling subtitle files and
fired as ``caption_committed`` hook events. Whatever ends the run, the files are finalized first:
the last words are committed, the queued translations done, the record file closed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import statistics
import threading
import time
import uuid
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from ..fsutil import atomic_path, ensure_writable_dir
from ..plugins import notify
from ..quality import QualityOptions
from ..translation.options import TranslatorSettings
from .captions import Caption, RollingTrack, SentenceBuilder, live_paths
from .decoder import whisper_decoder
from .engine import StepResult, StreamingTranscriber
from .missed import MissedVoice, whisper_clip_decoder
from .options import LiveOptions
from .source import AudioChunk, AudioFeed, FeedEnded, Gap, LiveSourceError, RetryPolicy, SourceSpec, decode_args
from .speech import AudioRing, SpeechTranslator, whisper_speech
from .translation import TranslationWorker

if TYPE_CHECKING:
    from ..glossary import Glossary

__all__ = ["GAP_MARKER", "LiveJob", "LiveResult", "Publish", "build_pipeline", "run_live"]

log = logging.getLogger("streamkit")

GAP_MARKER = "[…]"
#: ``publish(event_name, payload)``: how pages hear about captions, gaps and the lag.
Publish = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class LiveJob:
    """Everything one live run needs (the CLI builds it; nothing here reads CLI arguments)."""

    source: SourceSpec
    out_dir: Path
    name: str
    target: str | None = "en"  # None: Korean only
    #: Every translated language, each from the Korean (``--to en,ja,es``); empty: ``target`` alone.
    targets: tuple[str, ...] = ()
    translator: str = "google"
    translator_settings: TranslatorSettings = field(default_factory=TranslatorSettings)
    glossary: Glossary | None = None
    formats: tuple[str, ...] = ("srt", "vtt")
    record: Path | None = None
    idle_timeout_s: float = 10.0
    options: LiveOptions = field(default_factory=LiveOptions)
    quality: QualityOptions | None = field(default_factory=QualityOptions)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    ffmpeg: str = "ffmpeg"
    #: Translate committed phrases as they come (English sooner); False: whole sentences (better English, later).
    phrases: bool = True

    def __post_init__(self) -> None:
        if self.targets:
            object.__setattr__(self, "target", self.targets[0])
        elif self.target is not None:
            object.__setattr__(self, "targets", (self.target,))
        other = [t for t in self.targets if t != "en"]
        if other and self.translator == "whisper":
            raise ConfigError(f"the whisper engine can only translate into English, not {other[0]!r}",
                              key="translator", hint="use a text engine (-t google, libre ...) for other languages")


@dataclass(frozen=True)
class LiveResult:
    """What a run did: files, sentences, lag, gaps and CPU share (``summary()`` is the JSON form)."""

    files: tuple[Path, ...]
    sentences: dict[str, int]
    audio_ms: int
    wall_s: float
    cpu_s: float
    lag_ms: tuple[int, ...]
    cheap_steps: int
    decode_cpu_ms: tuple[int, ...]
    skipped_ms: int
    gaps: int
    dropped: int
    translation_failures: int
    interrupted: bool
    #: Voiced stretches the rolling window left without words, decoded again alone (``MissedVoice``).
    decoded_alone: int = 0
    #: Runs of words no two decodes agreed on, heard again alone at a pause (``LiveOptions.reread_unagreed``).
    reread: int = 0

    def summary(self) -> dict[str, Any]:
        lag = sorted(self.lag_ms) or [0]
        return {
            "files": [str(p) for p in self.files],
            "sentences": self.sentences,
            "audio_s": round(self.audio_ms / 1000, 1),
            "wall_s": round(self.wall_s, 1),
            "cpu_share_of_one_core": round(self.cpu_s / self.wall_s, 2) if self.wall_s else 0.0,
            "lag_s": {"median": round(statistics.median(lag) / 1000, 2), "max": round(lag[-1] / 1000, 2)},
            "cheap_steps": self.cheap_steps,
            "decodes": len(self.decode_cpu_ms),
            "decode_cpu_s_median": round(statistics.median(self.decode_cpu_ms or [0]) / 1000, 2),
            "skipped_s": round(self.skipped_ms / 1000, 1),
            "gaps": self.gaps,
            "dropped_invented": self.dropped,
            "decoded_alone": self.decoded_alone,
            "reread": self.reread,
            "translation_failures": self.translation_failures,
            "interrupted": self.interrupted,
        }


class _Notifier:
    """Fires ``caption_committed`` on its own thread: a slow plugin never holds up captions."""

    def __init__(self, run_id: str, source: str) -> None:
        self.run_id, self.source = run_id, source
        self._queue: queue.Queue[Caption | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="streamkit-live-hooks", daemon=True)
        self._thread.start()

    def submit(self, caption: Caption) -> None:
        self._queue.put(caption)

    def _run(self) -> None:
        while (caption := self._queue.get()) is not None:
            notify("caption_committed", run_id=self.run_id, source=self.source, language=caption.language,
                   sentence=caption.sentence, text=caption.text, start_ms=caption.start_ms, end_ms=caption.end_ms)

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)


@contextlib.contextmanager
def _recorder(path: Path | None) -> Iterator[Callable[[np.ndarray[Any, Any]], None]]:
    """A 16 kHz mono WAV copy of what was received, written atomically when the run ends."""
    if path is None:
        yield lambda _samples: None
        return
    ensure_writable_dir(path.parent)
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        yield lambda samples: wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def build_pipeline(model: Any, options: LiveOptions, quality: QualityOptions | None = None,
                   glossary: Glossary | None = None) -> tuple[StreamingTranscriber, SentenceBuilder]:
    """The engine on a loaded faster-whisper model (with Silero VAD) and the sentence builder reading its signals.

    One place, so ``bench/live.py``'s virtual-time replay runs exactly what a live run runs."""
    from faster_whisper.vad import get_vad_model

    engine = StreamingTranscriber(whisper_decoder(model, options), options, vad=get_vad_model())
    q = quality or QualityOptions()
    if options.second_chance:
        clips = whisper_clip_decoder(model, options.language, options.initial_prompt, options.hotwords)
        engine.missed = MissedVoice(clips, q)
    prompt = " ".join(p for p in (options.initial_prompt, options.hotwords) if p) or None
    builder = SentenceBuilder(options.language, quality, glossary, engine.mean_speech, prompt, engine.energy,
                              heard_ms=lambda: engine.received_ms,
                              music=functools.partial(engine.music, music_db=q.music_bass_db,
                                                      reach_ms=q.music_reach_ms))
    return engine, builder


class _Run:
    """The state of one run; :func:`run_live` drives it."""

    def __init__(self, job: LiveJob, model: Any, publish: Publish) -> None:
        self.job, self.publish = job, publish
        self.run_id = uuid.uuid4().hex[:12]
        self.engine, self.builder = build_pipeline(model, job.options, job.quality, job.glossary)
        self.tracks = {job.options.language: RollingTrack(job.options.language, live_paths(
            job.out_dir, job.name, job.options.language, job.formats))}
        self.notifier = _Notifier(self.run_id, job.source.label)
        self.history: list[dict[str, Any]] = []
        self.lags: list[int] = []
        self.decode_cpu: list[int] = []
        self.cheap = self.skipped = self.gaps = 0
        self.sentences: dict[str, int] = {job.options.language: 0}
        self.translators: list[TranslationWorker] = []
        self.ring: AudioRing | None = None
        self._last_status = 0.0

    def start_translation(self, model_transcriber: Any) -> None:
        """A worker (a thread) per target language, each translating the Korean."""
        for target in self.job.targets:
            worker = self._worker(target, model_transcriber)
            if worker is None:
                return  # the none engine
            self.tracks[target] = RollingTrack(target, live_paths(self.job.out_dir, self.job.name, target,
                                                                  self.job.formats))
            self.sentences[target] = 0
            self.translators.append(worker.start())

    def _worker(self, target: str, model_transcriber: Any) -> TranslationWorker | None:
        from .translation import PhraseSplitter, translation_worker

        job = self.job
        if job.translator == "whisper":  # from the speech: each final sentence's audio, decoded once more
            self.ring = AudioRing()
            speech = SpeechTranslator(whisper_speech(model_transcriber.model, job.options), self.ring,
                                      behind=lambda: self.engine.lag_ms > job.options.cheap_lag_ms)
            return TranslationWorker(speech, target, self.on_caption, job.glossary, splitter=PhraseSplitter(False))
        return translation_worker(job.translator, target, self.on_caption, job.translator_settings,
                                  glossary=job.glossary, transcriber=model_transcriber, phrases=job.phrases)

    @property
    def translation_failures(self) -> int:
        return sum(w.failures + getattr(w.engine, "skipped", 0) for w in self.translators)

    def on_caption(self, caption: Caption) -> None:
        """A caption changed: pages and translation (phrase by phrase) hear it; a final one goes to files and hooks."""
        self.publish("caption", caption.to_dict())
        if caption.language == self.job.options.language:
            for worker in self.translators:
                worker.submit(caption)
        if not caption.final:
            return
        track = self.tracks[caption.language]
        track.append(caption.cues)
        track.write()
        self.sentences[caption.language] += 1
        self.notifier.submit(caption)

    def handle(self, result: StepResult, gap: str | None = None) -> None:
        """One step's outcome to the pages and files; ``gap`` is why audio is missing (None: the lag)."""
        if result.decoded or result.skipped_ms:
            self.lags.append(result.lag_ms)
        if result.decode_cpu_ms:
            self.decode_cpu.append(result.decode_cpu_ms)
        self.cheap += result.cheap
        for caption in self.builder.add(result.words, result.sentence_end):
            self.on_caption(caption)
        if result.skipped_ms:
            if gap is None:
                self.skipped += result.skipped_ms
            at = (self.engine.received_ms if gap else self.engine.processed_ms) - result.skipped_ms
            self.publish("gap", {"at_ms": max(0, at), "skipped_ms": result.skipped_ms, "text": GAP_MARKER,
                                 "reason": gap or "the captions fell behind: audio skipped"})
        now = time.monotonic()
        if now - self._last_status >= 1.0:
            self._last_status = now
            self.publish("status", {"lag_ms": self.engine.lag_ms,
                                    "received_ms": self.engine.received_ms, "cheap": result.cheap})

    def pump(self, feed: AudioFeed, record: Callable[[np.ndarray[Any, Any]], None],
             stop: threading.Event) -> LiveSourceError | None:
        """Move audio from the source to the engine until the source ends; returns its error, if any."""
        while not stop.is_set():
            item = feed.get(timeout=0.2)
            while item is not None:
                if isinstance(item, FeedEnded):
                    return item.error
                if isinstance(item, AudioChunk):
                    record(item.samples)
                    self.engine.feed(item.samples)
                    if self.ring is not None:
                        self.ring.feed(item.samples)
                elif isinstance(item, Gap):
                    ms = int(item.seconds * 1000)
                    record(np.zeros(min(ms, 600_000) * 16, np.float32))
                    if self.ring is not None:
                        self.ring.gap(ms)
                    self.gaps += 1
                    self.handle(self.engine.gap(ms), gap=item.reason)
                # A backlog in the source's queue counts as lag too: step (and skip) rather than drain it all.
                behind = self.engine.received_ms - self.engine.processed_ms > self.job.options.skip_lag_ms
                item = None if behind or feed.items.empty() else feed.items.get_nowait()
            self.handle(self.engine.step())
        return None

    def finalize(self) -> None:
        self.handle(self.engine.finish())
        for caption in self.builder.close():
            self.on_caption(caption)
        for worker in self.translators:
            worker.close()
        # A source that never gave audio (unreachable, refused) leaves no empty drafts: they would block the
        # next run on the same stream (drafts are never overwritten without --force).
        for track in self.tracks.values() if self.engine.received_ms else ():
            track.write()
        self.notifier.close()


def run_live(
    job: LiveJob, transcriber: Any, publish: Publish | None = None, stop: threading.Event | None = None
) -> LiveResult:
    """Caption ``job.source`` live until it ends or Ctrl-C; files finalized either way.

    ``transcriber`` is a :class:`streamkit.transcribe.WhisperTranscriber` (its model is loaded once).
    Raises :class:`LiveSourceError` (after finalizing) when the source could not be read to its end.
    Ctrl-C ends the run like the source ending, with ``result.interrupted`` set; setting ``stop`` (a
    program embedding the run) ends it the same way.
    """
    ensure_writable_dir(job.out_dir)
    run = _Run(job, transcriber.model, publish or (lambda _name, _payload: None))
    run.start_translation(transcriber)
    wall0, cpu0 = time.monotonic(), time.process_time()
    error: LiveSourceError | None = None
    interrupted = False
    feed = AudioFeed(job.source, decode_args(job.source, ffmpeg_exe=job.ffmpeg, idle_timeout_s=job.idle_timeout_s),
                     job.retry)
    with _recorder(job.record) as record:
        feed.start()
        try:
            error = run.pump(feed, record, stop or threading.Event())
        except KeyboardInterrupt:
            interrupted = True
        finally:
            feed.stop()
            run.finalize()
    result = LiveResult(
        files=tuple(p for t in run.tracks.values() for p in t.paths if run.engine.received_ms)
        + ((job.record,) if job.record else ()),
        sentences=dict(run.sentences), audio_ms=run.engine.received_ms, wall_s=time.monotonic() - wall0,
        cpu_s=time.process_time() - cpu0, lag_ms=tuple(run.lags), cheap_steps=run.cheap,
        decode_cpu_ms=tuple(run.decode_cpu), skipped_ms=run.skipped,
        gaps=run.gaps, dropped=run.builder.dropped,
        translation_failures=run.translation_failures, interrupted=interrupted,
        decoded_alone=run.engine.missed.decoded if run.engine.missed is not None else 0,
        reread=run.engine.missed.reread_count if run.engine.missed is not None else 0)
    run.publish("end", result.summary())
    if error is not None:
        raise error
    return result
