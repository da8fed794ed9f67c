"""One recording through the stages: media -> transcribe -> translate -> segment -> subtitles -> mux.

:func:`run_subtitle` takes a typed :class:`SubtitleJob` (never CLI arguments), fires hooks
around every stage, reports progress through a callback, and returns a :class:`RunResult`.
The replay pipeline reuses it for every recording.

Nothing is lost: every output is checked before any work starts (existing files are refused
without ``force``), written atomically, and the input is only ever read. The transcription is
cached under ``<out>/.streamkit/cache`` so a run that fails later (or is interrupted) resumes
without transcribing again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ._version import __version__
from .cache import StageCache, file_digest
from .errors import StreamkitError
from .fsutil import check_name_lengths, ensure_writable_dir
from .glossary import Glossary
from .job import ModelOptions, SubtitleJob
from .media import extract_audio, probe
from .models import AudioTrack, MediaInfo, ModelChoice, MuxedVideo, SubtitleFile, SubtitleTrack, Transcript
from .modelstore import model_stamp
from .mux import burn_in, container_for, mux
from .plugins import notify
from .quality import (
    Dropped,
    QualityOptions,
    SpeechFn,
    band_profile,
    bass_profile,
    clean_transcript,
    dropped_summary,
    energy_profile,
    music_frames,
    phone_voice,
    vad_profile,
    voice_without_words,
)
from .rescue import SpanTranscriber, VoiceReport, rescue_voice
from .runplan import RunManifest, check_existing_outputs, plan_outputs
from .segment import DEFAULT_FPS, SegmentRules, rules_for, segment
from .subtitles import write_subtitles
from .transcribe import TranscribeOptions, Transcriber, WhisperTranscriber, decodes_batched, resolve_model
from .translation.drafts import record_path, save_record
from .translation.protocol import EngineContext, Translator
from .translation.targets import TargetResults, create_engines, directed, failure_error, translate_targets
from .workdir import workdir
from .workspace import Workspace

__all__ = [
    "STAGES",
    "RunManifest",
    "RunResult",
    "StageTiming",
    "SubtitleJob",
    "check_existing_outputs",
    "plan_outputs",
    "run_subtitle",
]

log = logging.getLogger("streamkit")

STAGES = ("media", "transcribe", "clean", "glossary", "translate", "segment", "subtitles", "mux")

#: ``(stage, done_seconds, total_seconds)``: drives progress bars.
StageProgress = Callable[[str, float, float], None]


@dataclass(frozen=True)
class StageTiming:
    stage: str
    seconds: float
    note: str = ""


@dataclass(frozen=True)
class RunResult:
    job: SubtitleJob
    run_id: str
    media: MediaInfo
    model: ModelChoice
    transcript: Transcript
    translation: Transcript | None
    tracks: tuple[SubtitleTrack, ...]
    files: tuple[SubtitleFile, ...]
    video: MuxedVideo | None
    timings: tuple[StageTiming, ...]
    dropped: tuple[Dropped, ...] = ()
    #: What the producer must look at although the run finished (e.g. voice but no words).
    warnings: tuple[str, ...] = ()
    #: Every translation, in the order of ``job.translate.targets`` (``translation`` is the first).
    translations: tuple[Transcript, ...] = ()
    #: Voiced stretches without words: decoded again, and what is left without a cue.
    voice: VoiceReport | None = None

    def _decoding(self) -> dict[str, Any]:
        options = self.job.decoding
        batched = decodes_batched(options, self.model.device)
        return {"beam_size": options.beam_size, "batched": batched,
                **({"batch_size": options.batch_size} if batched else {})}

    def summary(self) -> dict[str, Any]:
        """The machine-readable summary (``--json``); also what ``run_finished`` hooks receive."""
        return {
            "streamkit": __version__,
            "run_id": self.run_id,
            "input": str(self.media.path),
            "duration_s": round(self.media.duration_ms / 1000, 3),
            "model": {
                "name": self.model.name,
                "source": self.model.source,
                "location": self.model.location,
                "device": self.model.device,
                "compute_type": self.model.compute_type,
                "reason": self.model.reason,
            },
            "decoding": self._decoding(),
            "translator": self.job.translate.engine,
            "targets": list(self.job.translate.targets) if self.job.translate.enabled else [],
            "outputs": [
                {"path": str(f.path), "kind": "subtitles", "language": f.language, "format": f.format,
                 "cues": f.cues}
                for f in self.files
            ]
            + (
                [{"path": str(self.video.path), "kind": "video", "container": self.video.container,
                  "tracks": [t.language for t in self.video.tracks], "burned_in": self.video.burned_in}]
                if self.video
                else []
            ),
            "stages": [{"stage": t.stage, "seconds": round(t.seconds, 3), "note": t.note} for t in self.timings],
            "dropped": dropped_summary(self.dropped),
            "warnings": self.all_warnings(),
            **({"voice": self.voice.summary()} if self.voice is not None else {}),
        }

    def all_warnings(self) -> list[str]:
        """What the person should know although the run succeeded (``--json``: ``warnings``)."""
        if self.warnings:
            return list(self.warnings)
        if self.tracks and not self.tracks[0].cues:
            return [f"no speech found in {self.media.path.name}: the subtitle files have no cues"
                    + (" (the speech that was heard was dropped as invented text)" if self.dropped else "")]
        return []


def _recording_context(info: MediaInfo) -> str:
    """What the recording says about itself before it is heard: its file name and container title."""
    return f"{info.path.stem.replace('_', ' ').replace('-', ' ')} {info.title}".strip()


def glossary_fingerprint(glossary: Glossary | None) -> str:
    """A digest of a glossary's entries, so a changed glossary re-translates (the object's repr would not)."""
    if glossary is None:
        return ""
    entries = getattr(glossary, "entries", ())
    blob = json.dumps(
        [[getattr(e, "id", ""), getattr(e, "english", ""), list(getattr(e, "korean", ())),
          list(getattr(e, "aliases_en", ())), *([dict(getattr(e, "forms", ()))] if getattr(e, "forms", ()) else [])]
         for e in entries],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class _Stages:
    """Times stages, fires hooks and keeps the timings."""

    def __init__(self, run_id: str, recording: str, progress: StageProgress | None = None) -> None:
        self.run_id = run_id
        self.recording = recording
        self.progress = progress
        self.timings: list[StageTiming] = []

    def report(self, stage: str) -> Callable[[float, float], None] | None:
        """The progress callback of one stage (None without a progress bar)."""
        progress = self.progress
        if progress is None:
            return None
        return lambda done, total: progress(stage, done, total)

    def done(self, stage: str, total: float) -> None:
        if self.progress is not None:
            self.progress(stage, total, total)

    @contextmanager
    def stage(self, name: str, note: str = "") -> Iterator[list[str]]:
        notes = [note] if note else []
        notify("stage_started", run_id=self.run_id, recording=self.recording, stage=name)
        started = time.perf_counter()
        error: str | None = None
        try:
            yield notes
        except BaseException as exc:
            error = str(exc) if isinstance(exc, StreamkitError) else type(exc).__name__
            raise
        finally:
            seconds = time.perf_counter() - started
            self.timings.append(StageTiming(name, seconds, "; ".join(notes)))
            notify("stage_finished", run_id=self.run_id, recording=self.recording, stage=name,
                   seconds=seconds, error=error)


def run_subtitle(
    job: SubtitleJob,
    *,
    transcriber: Transcriber | None = None,
    progress: StageProgress | None = None,
) -> RunResult:
    """Run one recording through every stage. Raises a :class:`StreamkitError` on bad input."""
    run_id = uuid.uuid4().hex[:12]
    recording = str(job.input)
    stages = _Stages(run_id, recording, progress)
    try:
        result = _run(job, run_id, stages, transcriber)
    except BaseException as exc:
        message = str(exc) if isinstance(exc, StreamkitError) else f"interrupted ({type(exc).__name__})"
        notify("run_finished", run_id=run_id, recording=recording, summary={}, error=message)
        raise
    notify("run_finished", run_id=run_id, recording=recording, summary=result.summary(), error=None)
    return result


def _run(job: SubtitleJob, run_id: str, stages: _Stages, transcriber: Transcriber | None) -> RunResult:
    """The stages in order, each called with its own options from ``job``."""
    planned, info, manifest = _refuse_early(job)
    transcriber = transcriber or _load_model(job.model)
    # An unknown or misconfigured engine (or one that cannot serve a language) is refused before anything
    # is transcribed. One engine per target language, each translating the Korean.
    engines = create_engines(job.translate.engine, job.translate.targets, EngineContext(
        transcriber=transcriber, transcribe_options=job.decoding, settings=job.translate.settings,
        glossary=job.glossary))
    cache = _Cache(job)
    options, hotwords = _with_hints(job.decoding, job.glossary, info)
    with workdir() as work:
        audio = _media(stages, info, work)
        transcript, t_key = _transcribe(stages, cache, transcriber, audio, options)
        heard = _clean(stages, transcript, audio, transcriber, options, job.quality, rescue=job.rescue)
        korean = _names(stages, heard.transcript, job.glossary, hotwords)
        translations, dropped = _translate(stages, cache, engines, korean, audio, job, heard.dropped, t_key)
    fps = info.fps or DEFAULT_FPS
    tracks = _segment(stages, korean, translations, job.rules, fps)
    files = _write(stages, tracks, planned, job, fps)
    # Until the run finishes, these drafts may be replaced by re-running the same command.
    manifest.record([f.path for f in files], complete=False)
    if translations.failed:
        # The languages that worked are written; the same command resumes with only the others to do.
        raise failure_error(job.translate.engine, translations.failed, [t.language for t in tracks])
    video = _mux(stages, info, files, planned, job) if "video" in planned else None
    manifest.record([f.path for f in files] + ([video.path] if video else []), complete=True)
    return RunResult(
        job=job, run_id=run_id, media=info, model=transcriber.choice, transcript=korean,
        translation=next(iter(translations.translations.values()), None),
        translations=tuple(translations.translations.values()), tracks=tuple(tracks), files=tuple(files),
        video=video, timings=tuple(stages.timings), dropped=dropped, warnings=heard.warnings, voice=heard.voice,
    )


def _refuse_early(job: SubtitleJob) -> tuple[dict[str, Path], MediaInfo, RunManifest]:
    """Everything that can be refused is refused before any expensive work."""
    manifest = RunManifest(job.output_dir, job.input.stem)
    check_existing_outputs(plan_outputs(job), job.outputs.force, manifest)
    info = probe(job.input)
    planned = plan_outputs(job, info)
    ensure_writable_dir(job.output_dir)
    records = [record_path(path) for key, path in planned.items() if key.startswith(f"{job.target_language}.")]
    check_name_lengths([*planned.values(), *records],
                       hint="rename the recording to a shorter name (streamkit adds up to 14 characters to it)")
    return planned, info, manifest


def _load_model(model: ModelOptions) -> Transcriber:
    choice = resolve_model(model.name, device=model.device, compute_type=model.compute_type)
    if model.reason and model.name is not None:
        choice = replace(choice, reason=model.reason)
    return WhisperTranscriber(choice)


class _Cache:
    """The stage cache of the job's output folder (nothing read or written with ``use_cache`` off)."""

    def __init__(self, job: SubtitleJob) -> None:
        self.use = job.outputs.use_cache
        self.store = StageCache(Workspace(job.output_dir).cache)
        self.digest = file_digest(job.input) if self.use else ""

    def load(self, stage: str, key: str) -> Transcript | None:
        return self.store.load_transcript(stage, key) if self.use else None

    def save(self, stage: str, key: str, transcript: Transcript) -> None:
        if self.use:
            self.store.save_transcript(stage, key, transcript)


def _with_hints(options: TranscribeOptions, glossary: Glossary | None,
                info: MediaInfo) -> tuple[TranscribeOptions, str]:
    """Bias recognition toward the names likely in *this* recording (producer files, title), never the list."""
    if glossary is None or options.hotwords is not None or options.initial_prompt is not None:
        return options, ""
    hotwords = glossary.hotwords(glossary.hints_for(_recording_context(info)))
    return (replace(options, hotwords=hotwords) if hotwords else options), hotwords


def _media(stages: _Stages, info: MediaInfo, work: Path) -> AudioTrack:
    with stages.stage("media", f"{info.container}, {info.duration_ms / 1000:.1f} s"):
        return extract_audio(info, work / "audio.wav", progress=stages.report("media"))


def _transcribe(stages: _Stages, cache: _Cache, transcriber: Transcriber, audio: AudioTrack,
                options: TranscribeOptions) -> tuple[Transcript, str]:
    choice = transcriber.choice
    key = StageCache.key("transcribe", cache.digest, choice.location, model_stamp(choice.location),
                         choice.compute_type, options, decodes_batched(options, choice.device))
    with stages.stage("transcribe", f"{choice.name} on {choice.device}") as notes:
        transcript = cache.load("transcribe", key)
        if transcript is not None:
            notes.append("reused cached result")
            stages.done("transcribe", audio.duration_ms / 1000)
        else:
            transcript = transcriber.transcribe(audio, options, stages.report("transcribe"))
            cache.save("transcribe", key, transcript)
    return transcript, key


@dataclass(frozen=True)
class _Heard:
    """The Korean after the invented-text filter and the rescue: what was dropped, the voice report, the VAD."""

    transcript: Transcript
    dropped: tuple[Dropped, ...] = ()
    voice: VoiceReport | None = None
    speech: SpeechFn | None = None
    warnings: tuple[str, ...] = ()


def _clean(stages: _Stages, transcript: Transcript, audio: AudioTrack, transcriber: Transcriber,
           options: TranscribeOptions, quality: QualityOptions | None, *, rescue: bool) -> _Heard:
    heard = _Heard(transcript)
    if quality is not None:
        with stages.stage("clean") as notes:
            energy, band = energy_profile(audio), band_profile(audio)
            # A phone-band voice is a voice, though Silero hardly hears it (quality.phone_voice).
            speech = phone_voice(vad_profile(audio), band, energy, quality.phone_share)
            # ... and a singer is none, though Silero hears one (quality.music_frames).
            music = music_frames(bass_profile(audio), quality.music_bass_db, reach_ms=quality.music_reach_ms)
            prompt = " ".join(p for p in (options.initial_prompt, options.hotwords) if p) or None
            transcript, dropped = clean_transcript(transcript, quality, energy=energy, speech=speech, prompt=prompt,
                                                   band=band, music=music)
            notes.append(f"dropped {len(dropped)} invented" if dropped else "nothing invented")
            voice = None
            if rescue and isinstance(transcriber, SpanTranscriber):
                transcript, more, voice = rescue_voice(transcript, audio, transcriber, options, quality,
                                                       energy=energy, speech=speech, prompt=prompt, band=band,
                                                       music=music)
                dropped += more
                notes.append(f"{voice.recovered} of {voice.stretches} voiced stretches without words recovered")
        heard = _Heard(transcript, dropped, voice, speech)
    if not transcript.utterances:  # voice but no words? (a damaged model says nothing, exit 0)
        warnings = voice_without_words(transcript, heard.speech or vad_profile(audio))
        heard = replace(heard, warnings=warnings)
    return heard


def _names(stages: _Stages, transcript: Transcript, glossary: Glossary | None, hotwords: str) -> Transcript:
    if glossary is None:
        return transcript
    with stages.stage("glossary", f"hints: {hotwords}" if hotwords else "no hints") as notes:
        before = transcript.text
        if hotwords:
            transcript = glossary.drop_echoed_hints(transcript, hotwords)
        transcript = glossary.apply_korean(transcript)
        if transcript.text != before:
            notes.append("names normalized")
    return transcript


def clean_translation(translation: Transcript, quality: QualityOptions) -> tuple[Transcript, tuple[Dropped, ...]]:
    """Whisper's own English (the translate task), judged by its text and decoder only.

    It invents outros ("Thanks for watching") and loops by itself. It lies on the Korean sentences the filter
    kept, whose audio was judged there: judged again without words, on the sentence's span, a line whose Korean
    words sit 0.5 s off its voice read as quiet (conv-102's "Let's have a drink!" for 한잔의, dropped). A closing
    people say ("Thank you") is no evidence either: it is how Whisper renders a short Korean line the filter kept
    (conversation.mp4 at 57.1 s, "고쉽니다." as "Thank you very much.", dropped with the recording's end near
    and the line left without English); a channel's outro still is. Nor is the decoder's doubt: over the voice
    of a kept line only known invented patterns drop text (``QualityOptions.assume_voice``); Whisper's
    no-speech rule took conv-101's English for a phone reply at 100 s (no-speech 0.62, log-probability -1.56),
    and the line was left without English. A phrase said three times over is one of those patterns here
    ("I'm sorry. I'm sorry. I'm sorry." on conv-101): Whisper's English loop (``translation.whisper.loops``)."""
    patterns = tuple(dict.fromkeys((*quality.pattern_signals, "repeat")))
    return clean_transcript(translation, replace(quality, w_weak_outro=0.0, assume_voice=True,
                                                 pattern_signals=patterns))


def _translate(stages: _Stages, cache: _Cache, engines: dict[str, Translator], korean: Transcript,
               audio: AudioTrack, job: SubtitleJob, dropped: tuple[Dropped, ...], t_key: str,
               ) -> tuple[TargetResults, tuple[Dropped, ...]]:
    if not engines:
        return TargetResults(), dropped
    settings = job.translate

    def x_key(lang: str) -> str:
        # An engine that changed how it translates names its revision: a run resumed after an upgrade does
        # not reuse what the old one wrote (the whisper engine's English, once one looping pass).
        revision = getattr(engines.get(lang), "revision", "")
        return StageCache.key("translate", t_key, settings.engine, lang, settings.settings.fingerprint(),
                              glossary_fingerprint(job.glossary), job.quality, *([revision] if revision else []))

    def clean(translation: Transcript) -> Transcript:
        nonlocal dropped
        if job.quality is None:
            return translation
        translation, more = clean_translation(translation, job.quality)
        dropped += more
        return translation

    with stages.stage("translate", settings.engine) as notes:
        results = translate_targets(
            engines, korean, audio, glossary=job.glossary, clean=clean, progress=stages.report("translate"),
            load=lambda lang: cache.load("translate", x_key(lang)),
            save=lambda lang, t: cache.save("translate", x_key(lang), t),
        )
        notes.extend(results.notes)
    return results, dropped


def _segment(stages: _Stages, korean: Transcript, translations: TargetResults,
             rules: Mapping[str, SegmentRules], fps: Fraction) -> list[SubtitleTrack]:
    with stages.stage("segment", f"{float(fps):.3f} fps"):
        tracks = [segment(korean, rules.get(korean.language) or rules_for(korean.language), fps)]
        for lang, translated in translations.translations.items():
            tracks.append(directed(segment(translated, rules.get(lang) or rules_for(lang), fps)))
    return tracks


def _write(stages: _Stages, tracks: list[SubtitleTrack], planned: dict[str, Path], job: SubtitleJob,
           fps: Fraction) -> list[SubtitleFile]:
    files: list[SubtitleFile] = []
    with stages.stage("subtitles"):
        for track in tracks:
            for fmt in job.outputs.formats:
                written = write_subtitles(track, planned[f"{track.language}.{fmt}"], fmt)
                files.append(written)
                notify("subtitle_written", run_id=stages.run_id, recording=stages.recording,
                       path=str(written.path), language=written.language, cues=written.cues)
                if track is not tracks[0]:
                    # What the machine wrote, so `streamkit retranslate` can tell an editor's work from it.
                    save_record(written.path, tracks[0], track, engine=job.translate.engine, fps=fps)
    return files


def _mux(stages: _Stages, info: MediaInfo, files: list[SubtitleFile], planned: dict[str, Path],
         job: SubtitleJob) -> MuxedVideo:
    out = job.outputs
    container = container_for(job.input, out.container)
    srt_like = [f for f in files if f.format == out.formats[0]]
    with stages.stage("mux", "burn-in " + out.burn_in if out.burn_in else "stream copy"):
        if out.burn_in:
            sub = next(f for f in srt_like if f.language == out.burn_in)
            video = burn_in(info, sub, planned["video"], container=container, progress=stages.report("mux"))
        else:
            video = mux(info, srt_like, planned["video"], container=container,
                        default_language=out.default_track or job.target_language, progress=stages.report("mux"))
    notify("replay_written", run_id=stages.run_id, recording=stages.recording, path=str(video.path),
           tracks=[t.language for t in video.tracks], burned_in=video.burned_in)
    return video
