"""The job a run is built from: one recording and the typed parts that decide what it produces.

:class:`JobSettings` is every part except the recording (what a config file, a replay spec and the
command line decide, merged by :mod:`streamkit.jobconfig`); :class:`SubtitleJob` is those settings
for one recording, the object :func:`streamkit.run_subtitle` takes. Each part is the options object
of the stage it drives::

    SubtitleJob(input)
      outputs:   OutputOptions      folder, formats, container, mux, burn-in, default track, force, cache
      model:     ModelOptions       name, why it was chosen, device, compute type
      decoding:  TranscribeOptions  (streamkit.transcribe)
      quality:   QualityOptions | None   (streamkit.quality; None keeps everything Whisper wrote)
      rescue:    bool               (streamkit.rescue)
      glossary:  Glossary | None    (streamkit.glossary)
      translate: TranslateOptions   engine, targets, TranslatorSettings (streamkit.translation.options)
      rules:     per-language SegmentRules (streamkit.segment; empty: each language's own)
      hooks:     HookOptions        event log, webhook: configured by whoever runs the job
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError
from .glossary import Glossary
from .quality import QualityOptions
from .segment import SegmentRules
from .transcribe import TranscribeOptions
from .translation.options import TranslateOptions

__all__ = ["HookOptions", "JobSettings", "ModelOptions", "OutputOptions", "SubtitleJob"]

SOURCE_LANGUAGE = "ko"
CONTAINERS = ("mp4", "mkv")
_FORMATS = ("srt", "vtt")  # streamkit.subtitles.FORMATS, without importing pysrt here


@dataclass(frozen=True)
class OutputOptions:
    """Where the outputs go and what they are."""

    folder: Path | None = None  # None: next to the recording
    formats: tuple[str, ...] = ("srt",)
    container: str | None = None  # mp4 or mkv; None: as the input
    mux: bool = True
    burn_in: str | None = None  # a language rendered into the picture instead of soft tracks
    default_track: str | None = None  # the replay's default subtitle track; None: the first target
    force: bool = False  # overwrite existing outputs
    use_cache: bool = True  # reuse the stage cache (``--no-cache``: transcribe again)

    def __post_init__(self) -> None:
        bad = [f for f in self.formats if f not in _FORMATS]
        if bad or not self.formats:
            raise ConfigError(f"unknown subtitle format {', '.join(bad) or '(none)'}", key="format",
                              hint=f"choose from {', '.join(_FORMATS)}")
        if self.container not in (None, *CONTAINERS):
            raise ConfigError(f"unknown container {self.container!r}", key="container", hint="use mp4 or mkv")


@dataclass(frozen=True)
class ModelOptions:
    """Which Whisper model runs, and why (the reason is shown in the summary)."""

    name: str | None = None  # None: large-v3-turbo on CUDA, else the bundled base
    reason: str | None = None  # e.g. "config file streamkit.toml: model.name = 'small'"
    device: str = "auto"
    compute_type: str | None = None


@dataclass(frozen=True)
class HookOptions:
    """Where every hook event goes besides plugins. Configured by the one who runs the job (the
    ``subtitle`` command, the replay driver), not by :func:`run_subtitle`: a replay's workers send
    their events back to the driver."""

    event_log: Path | None = None
    webhook: str | None = None


@dataclass(frozen=True, kw_only=True)
class JobSettings:
    """Every part of a job except the recording."""

    outputs: OutputOptions = field(default_factory=OutputOptions)
    model: ModelOptions = field(default_factory=ModelOptions)
    decoding: TranscribeOptions = field(default_factory=TranscribeOptions)
    #: Thresholds of the invented-text filter; ``None`` keeps everything Whisper wrote.
    quality: QualityOptions | None = field(default_factory=QualityOptions)
    #: Decode voiced stretches without a kept word again on their own (``streamkit.rescue``).
    rescue: bool = True
    #: Names kept through recognition and translation; ``None``: no glossary.
    glossary: Glossary | None = None
    translate: TranslateOptions = field(default_factory=TranslateOptions)
    rules: Mapping[str, SegmentRules] = field(default_factory=dict)
    hooks: HookOptions = field(default_factory=HookOptions)
    source_language: str = SOURCE_LANGUAGE

    def __post_init__(self) -> None:
        from .languages import parse_targets

        targets = parse_targets(self.translate.targets, source=self.source_language)
        if targets != self.translate.targets:
            object.__setattr__(self, "translate", replace(self.translate, targets=targets))
        burn_in, default = self.outputs.burn_in, self.outputs.default_track
        if burn_in is not None and burn_in not in (self.source_language, *targets):
            raise ConfigError(f"--burn-in {burn_in}: no such track", key="burn_in",
                              hint=f"use one of {', '.join(targets)} or {self.source_language}")
        if burn_in in targets and not self.translate.enabled:
            raise ConfigError(f"--burn-in {burn_in} needs a translation, but --translator is none", key="burn_in")
        if default is not None and default not in self.languages:
            raise ConfigError(f"--default-track {default}: no such track", key="default_track",
                              hint=f"use one of {', '.join(self.languages)}")

    @property
    def target_language(self) -> str:
        """The first subtitle language (the replay's default track unless ``default_track`` says otherwise)."""
        return self.translate.targets[0]

    @property
    def languages(self) -> tuple[str, ...]:
        """Every subtitle track the run writes: the Korean, then each target when translating."""
        if not self.translate.enabled:
            return (self.source_language,)
        return (self.source_language, *self.translate.targets)

    def job_for(self, recording: Path, *, folder: Path | None = None, force: bool | None = None,
                use_cache: bool | None = None) -> SubtitleJob:
        """These settings for ``recording`` (``folder``, ``force``, ``use_cache`` replace the outputs')."""
        out = self.outputs
        outputs = replace(out, folder=folder if folder is not None else out.folder,
                          force=out.force if force is None else force,
                          use_cache=out.use_cache if use_cache is None else use_cache)
        return SubtitleJob(recording, outputs=outputs, model=self.model, decoding=self.decoding,
                           quality=self.quality, rescue=self.rescue, glossary=self.glossary,
                           translate=self.translate, rules=self.rules, hooks=self.hooks,
                           source_language=self.source_language)


@dataclass(frozen=True)
class SubtitleJob(JobSettings):
    """Everything that decides what one ``streamkit subtitle`` run produces: a recording and its settings."""

    input: Path

    @property
    def output_dir(self) -> Path:
        return self.outputs.folder if self.outputs.folder is not None else self.input.parent

    def with_outputs(self, **changes: object) -> SubtitleJob:
        """This job with some output options changed (``force=True``, ``folder=...``)."""
        return replace(self, outputs=replace(self.outputs, **changes))  # type: ignore[arg-type]
