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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ._version import __version__
from .cache import StageCache, file_digest
from .errors import ConfigError, OutputError, OutputExistsError, StreamkitError
from .fsutil import atomic_write_text, check_name_lengths, ensure_writable_dir
from .media import extract_audio, probe
from .models import MediaInfo, ModelChoice, MuxedVideo, SubtitleFile, SubtitleTrack, Transcript
from .modelstore import model_stamp
from .mux import burn_in, container_for, mux, output_name
from .plugins import notify
from .quality import (
    Dropped,
    QualityOptions,
    clean_transcript,
    dropped_summary,
    energy_profile,
    vad_profile,
    voice_without_words,
)
from .rescue import SpanTranscriber, VoiceReport, rescue_voice
from .segment import DEFAULT_FPS, SegmentRules, rules_for, segment
from .subtitles import FORMATS, write_subtitles
from .transcribe import TranscribeOptions, Transcriber, WhisperTranscriber, decodes_batched, resolve_model
from .translation.drafts import record_path, save_record
from .translation.options import TranslatorSettings
from .translation.protocol import EngineContext
from .translation.targets import create_engines, directed, failure_error, translate_targets
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
class SubtitleJob:
    """Everything that decides what one ``streamkit subtitle`` run produces."""

    input: Path
    out_dir: Path | None = None
    model: str | None = None
    model_reason: str | None = None  # why ``model`` was set (e.g. "config file ...")
    device: str = "auto"
    compute_type: str | None = None
    translator: str = "google"
    translator_url: str | None = None
    #: A loaded :class:`streamkit.glossary.Glossary` (names kept through translation), or None.
    glossary: Any = None
    source_language: str = "ko"
    target_language: str = "en"
    formats: tuple[str, ...] = ("srt",)
    container: str | None = None
    mux: bool = True
    burn_in: str | None = None
    force: bool = False
    use_cache: bool = True
    transcribe_options: TranscribeOptions = field(default_factory=TranscribeOptions)
    rules: dict[str, SegmentRules] = field(default_factory=dict)
    translator_settings: dict[str, Any] = field(default_factory=dict)
    #: Thresholds of the invented-text filter; ``None`` keeps everything Whisper wrote.
    quality: QualityOptions | None = field(default_factory=QualityOptions)
    #: Every subtitle language to translate into (``--to en,ja,zh-Hans``); empty means
    #: ``(target_language,)``. Given, ``target_language`` becomes its first.
    targets: tuple[str, ...] = ()
    #: The language of the replay's default track (``--default-track``) [default: the first target].
    default_track: str | None = None
    #: Decode voiced stretches without a kept word again on their own (``streamkit.rescue``).
    rescue: bool = True

    def __post_init__(self) -> None:
        from .languages import parse_targets

        bad = [f for f in self.formats if f not in FORMATS]
        if bad or not self.formats:
            raise ConfigError(f"unknown subtitle format {', '.join(bad) or '(none)'}", key="format",
                              hint=f"choose from {', '.join(FORMATS)}")
        targets = parse_targets(self.targets or (self.target_language,), source=self.source_language)
        object.__setattr__(self, "targets", targets)
        object.__setattr__(self, "target_language", targets[0])
        if self.burn_in is not None and self.burn_in not in (self.source_language, *targets):
            raise ConfigError(f"--burn-in {self.burn_in}: no such track", key="burn_in",
                              hint=f"use one of {', '.join(targets)} or {self.source_language}")
        if self.burn_in in targets and self.translator == "none":
            raise ConfigError(f"--burn-in {self.burn_in} needs a translation, but --translator is none",
                              key="burn_in")
        if self.default_track is not None and self.default_track not in self.languages:
            raise ConfigError(f"--default-track {self.default_track}: no such track", key="default_track",
                              hint=f"use one of {', '.join(self.languages)}")

    @property
    def languages(self) -> tuple[str, ...]:
        if self.translator == "none":
            return (self.source_language,)
        return (self.source_language, *self.targets)

    @property
    def output_dir(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.input.parent


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
    #: Every translation, in the order of ``job.targets`` (``translation`` is the first).
    translations: tuple[Transcript, ...] = ()
    #: Voiced stretches without words: decoded again, and what is left without a cue.
    voice: VoiceReport | None = None

    def _decoding(self) -> dict[str, Any]:
        options = self.job.transcribe_options
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
            "translator": self.job.translator,
            "targets": list(self.job.targets) if self.job.translator != "none" else [],
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


def glossary_fingerprint(glossary: Any) -> str:
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


def plan_outputs(job: SubtitleJob, info: MediaInfo | None = None) -> dict[str, Path]:
    """Every file the job will write, by role (``ko.srt``, ``en.vtt``, ``video``)."""
    stem = job.input.stem
    folder = job.output_dir
    planned = {f"{lang}.{fmt}": folder / f"{stem}.{lang}.{fmt}" for lang in job.languages for fmt in job.formats}
    has_video = info.has_video if info is not None else True
    if job.mux and has_video:
        container = container_for(job.input, job.container)
        planned["video"] = folder / output_name(job.input, container)
    return planned


class RunManifest:
    """What the last run for one recording wrote (sha256 per file) and whether it finished.

    Lets a run that failed part-way (say, translation was unreachable after the Korean SRT was
    written) be resumed by running the same command again, while a file an editor has changed
    since streamkit wrote it is still never overwritten without ``force``.
    """

    def __init__(self, folder: Path, stem: str) -> None:
        self.path = Workspace(folder).manifest(stem)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.complete = bool(data["complete"])
            self.files: dict[str, str] = dict(data["files"])
        except (OSError, ValueError, KeyError, TypeError):
            self.complete, self.files = True, {}

    def untouched(self, path: Path) -> bool:
        """``path`` is exactly what streamkit last wrote there (no one has edited it)."""
        recorded = self.files.get(path.name)
        return recorded is not None and path.is_file() and file_digest(path) == recorded

    def record(self, paths: list[Path], *, complete: bool) -> None:
        """Record what the run wrote; on failure (a full disk) remove the outputs it could not record.

        Unrecorded, they would be refused on the next run as an editor's; removed, the same
        command writes them again. Files recorded before stay.
        """
        unrecorded = [p for p in paths if not self.untouched(p)]
        self.complete = complete
        self.files = {p.name: file_digest(p) for p in paths if p.is_file()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps({"complete": complete, "files": self.files}, indent=1))
        except (OSError, StreamkitError) as exc:
            for path in unrecorded:
                path.unlink(missing_ok=True)
            if isinstance(exc, StreamkitError):
                raise
            raise OutputError(self.path, f"cannot record the run ({exc.strerror or exc})") from exc


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long to exist: refused by name after the probe
        return False


def check_existing_outputs(planned: dict[str, Path], force: bool, manifest: RunManifest | None = None) -> None:
    """Refuse existing outputs unless ``force``, or unless they are the untouched drafts of an unfinished run."""
    existing = [p for p in planned.values() if _exists(p)]
    if not existing or force:
        return
    if manifest is not None and not manifest.complete and all(manifest.untouched(p) for p in existing):
        log.info("resuming an unfinished run: %s", ", ".join(p.name for p in existing))
        return
    raise OutputExistsError(existing)


class _Stages:
    """Times stages, fires hooks and keeps the timings."""

    def __init__(self, run_id: str, recording: str) -> None:
        self.run_id = run_id
        self.recording = recording
        self.timings: list[StageTiming] = []

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
    stages = _Stages(run_id, recording)
    try:
        result = _run(job, run_id, stages, transcriber, progress)
    except BaseException as exc:
        message = str(exc) if isinstance(exc, StreamkitError) else f"interrupted ({type(exc).__name__})"
        notify("run_finished", run_id=run_id, recording=recording, summary={}, error=message)
        raise
    notify("run_finished", run_id=run_id, recording=recording, summary=result.summary(), error=None)
    return result


def _run(
    job: SubtitleJob,
    run_id: str,
    stages: _Stages,
    transcriber: Transcriber | None,
    progress: StageProgress | None,
) -> RunResult:
    def report(stage: str) -> Callable[[float, float], None] | None:
        if progress is None:
            return None
        return lambda done, total: progress(stage, done, total)

    # Everything that can be refused is refused before any expensive work.
    manifest = RunManifest(job.output_dir, job.input.stem)
    planned = plan_outputs(job)
    check_existing_outputs(planned, job.force, manifest)
    info = probe(job.input)
    planned = plan_outputs(job, info)
    ensure_writable_dir(job.output_dir)
    records = [record_path(path) for key, path in planned.items() if key.startswith(f"{job.target_language}.")]
    check_name_lengths([*planned.values(), *records],
                       hint="rename the recording to a shorter name (streamkit adds up to 14 characters to it)")
    if transcriber is None:
        choice = resolve_model(job.model, device=job.device, compute_type=job.compute_type)
        if job.model_reason and job.model is not None:
            choice = replace(choice, reason=job.model_reason)
        transcriber = WhisperTranscriber(choice)
    # An unknown or misconfigured engine (or one that cannot serve a language) is refused before anything
    # is transcribed. One engine per target language, each translating the Korean.
    settings = TranslatorSettings.from_table(job.translator_settings).with_url(job.translator_url or None)
    engines = create_engines(job.translator, job.targets, EngineContext(
        transcriber=transcriber, transcribe_options=job.transcribe_options, settings=settings,
        glossary=job.glossary))
    cache = StageCache(Workspace(job.output_dir).cache)
    options = job.transcribe_options
    hotwords = ""
    if job.glossary is not None and options.hotwords is None and options.initial_prompt is None:
        # Bias recognition toward the names likely in *this* recording (producer files, title), never the list.
        hotwords = job.glossary.hotwords(job.glossary.hints_for(_recording_context(info)))
        if hotwords:
            options = replace(options, hotwords=hotwords)

    with workdir() as work:
        with stages.stage("media", f"{info.container}, {info.duration_ms / 1000:.1f} s"):
            audio = extract_audio(info, work / "audio.wav", progress=report("media"))

        digest = file_digest(job.input) if job.use_cache else ""
        choice = transcriber.choice
        t_key = StageCache.key("transcribe", digest, choice.location, model_stamp(choice.location),
                               choice.compute_type, options, decodes_batched(options, choice.device))
        with stages.stage("transcribe", f"{choice.name} on {choice.device}") as notes:
            transcript = cache.load_transcript("transcribe", t_key) if job.use_cache else None
            if transcript is not None:
                notes.append("reused cached result")
                if progress:
                    progress("transcribe", audio.duration_ms / 1000, audio.duration_ms / 1000)
            else:
                transcript = transcriber.transcribe(audio, options, report("transcribe"))
                if job.use_cache:
                    cache.save_transcript("transcribe", t_key, transcript)

        dropped: tuple[Dropped, ...] = ()
        voice: VoiceReport | None = None
        energy: Callable[[int, int], float] | None = None
        speech: Any = None
        if job.quality is not None:
            with stages.stage("clean") as notes:
                energy, speech = energy_profile(audio), vad_profile(audio)
                prompt = " ".join(p for p in (options.initial_prompt, options.hotwords) if p) or None
                transcript, dropped = clean_transcript(transcript, job.quality, energy=energy, speech=speech,
                                                       prompt=prompt)
                notes.append(f"dropped {len(dropped)} invented" if dropped else "nothing invented")
                if job.rescue and isinstance(transcriber, SpanTranscriber):
                    transcript, more, voice = rescue_voice(transcript, audio, transcriber, options, job.quality,
                                                           energy=energy, speech=speech, prompt=prompt)
                    dropped += more
                    notes.append(f"{voice.recovered} of {voice.stretches} voiced stretches without words recovered")

        warnings: tuple[str, ...] = ()
        if not transcript.utterances:  # voice but no words? (a damaged model says nothing, exit 0)
            warnings = voice_without_words(transcript, speech if speech is not None else vad_profile(audio))
        if job.glossary is not None:
            with stages.stage("glossary", f"hints: {hotwords}" if hotwords else "no hints") as notes:
                before = transcript.text
                if hotwords:
                    transcript = job.glossary.drop_echoed_hints(transcript, hotwords)
                transcript = job.glossary.apply_korean(transcript)
                if transcript.text != before:
                    notes.append("names normalized")

        results = None
        if engines:
            def x_key(lang: str) -> str:
                return StageCache.key("translate", t_key, job.translator, lang, job.translator_url,
                                      sorted(job.translator_settings.items()), glossary_fingerprint(job.glossary),
                                      job.quality)

            def clean(translation: Transcript) -> Transcript:
                # Whisper's own English invents outros ("Thanks for watching") by itself.
                nonlocal dropped
                if job.quality is None:
                    return translation
                translation, dropped_en = clean_transcript(translation, job.quality, energy=energy, speech=speech)
                dropped += dropped_en
                return translation

            with stages.stage("translate", job.translator) as notes:
                results = translate_targets(
                    engines, transcript, audio, glossary=job.glossary, clean=clean, progress=report("translate"),
                    load=lambda lang: cache.load_transcript("translate", x_key(lang)) if job.use_cache else None,
                    save=lambda lang, t: cache.save_transcript("translate", x_key(lang), t) if job.use_cache else None,
                )
                notes.extend(results.notes)

    fps = info.fps or DEFAULT_FPS
    translations = results.translations if results is not None else {}
    with stages.stage("segment", f"{float(fps):.3f} fps"):
        tracks = [segment(transcript, job.rules.get(job.source_language) or rules_for(job.source_language), fps)]
        for lang, translated in translations.items():
            tracks.append(directed(segment(translated, job.rules.get(lang) or rules_for(lang), fps)))

    files: list[SubtitleFile] = []
    with stages.stage("subtitles"):
        for track in tracks:
            for fmt in job.formats:
                written = write_subtitles(track, planned[f"{track.language}.{fmt}"], fmt)
                files.append(written)
                notify("subtitle_written", run_id=run_id, recording=str(job.input), path=str(written.path),
                       language=written.language, cues=written.cues)
                if track is not tracks[0]:
                    # What the machine wrote, so `streamkit retranslate` can tell an editor's work from it.
                    save_record(written.path, tracks[0], track, engine=job.translator, fps=fps)

    # Until the run finishes, these drafts may be replaced by re-running the same command.
    manifest.record([f.path for f in files], complete=False)
    if results is not None and results.failed:
        # The languages that worked are written; the same command resumes with only the others to do.
        raise failure_error(job.translator, results.failed, [t.language for t in tracks])

    video: MuxedVideo | None = None
    if "video" in planned:
        container = container_for(job.input, job.container)
        srt_like = [f for f in files if f.format == job.formats[0]]
        with stages.stage("mux", "burn-in " + job.burn_in if job.burn_in else "stream copy"):
            if job.burn_in:
                sub = next(f for f in srt_like if f.language == job.burn_in)
                video = burn_in(info, sub, planned["video"], container=container, progress=report("mux"))
            else:
                video = mux(info, srt_like, planned["video"], container=container,
                            default_language=job.default_track or job.target_language, progress=report("mux"))
        notify("replay_written", run_id=run_id, recording=str(job.input), path=str(video.path),
               tracks=[t.language for t in video.tracks], burned_in=video.burned_in)

    manifest.record([f.path for f in files] + ([video.path] if video else []), complete=True)
    return RunResult(
        job=job,
        run_id=run_id,
        media=info,
        model=transcriber.choice,
        transcript=transcript,
        translation=next(iter(translations.values()), None),
        translations=tuple(translations.values()),
        tracks=tuple(tracks),
        files=tuple(files),
        video=video,
        timings=tuple(stages.timings),
        dropped=dropped,
        warnings=warnings,
        voice=voice,
    )
