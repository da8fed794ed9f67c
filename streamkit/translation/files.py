"""``streamkit translate``'s core: an existing Korean subtitle file into one or more target languages.

:func:`plan_outputs` checks where each language goes (never over the input, never over an existing
file without ``force``); :func:`translate_file` translates the cues (joined into sentences, names
protected, cached), cuts them by the target's rules, writes the file and records the draft for
``streamkit retranslate``. It returns a :class:`FileTranslation`; printing is the CLI's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, InputError, OutputExistsError
from ..models import SubtitleTrack
from .drafts import save_record
from .protocol import Translator
from .targets import directed, names_in
from .textengine import EngineStats, TextEngine

if TYPE_CHECKING:
    from ..glossary import Glossary

__all__ = ["FileTranslation", "default_output", "engine_stats", "plan_outputs", "translate_file"]

#: ``(done, total)`` of the one translation bar.
Progress = Callable[[float, float], None]


def default_output(path: Path, target: str) -> Path:
    """``show.ko.srt`` -> ``show.en.srt``; ``show.srt`` -> ``show.en.srt``."""
    from ..subtitles import language_from_path

    stem = Path(path.stem).stem if language_from_path(path) else path.stem
    return path.with_name(f"{stem}.{target}{path.suffix or '.srt'}")


def plan_outputs(source: Path, targets: Sequence[str], output: Path | None, *, force: bool) -> dict[str, Path]:
    """Where each target language is written; refuses before any work what must not be overwritten."""
    if output is not None and len(targets) > 1:
        raise ConfigError("--output names one file, but --to names several languages", key="output",
                          hint="leave --output out: each language is written as NAME.LANG.srt beside the input")
    destinations = {lang: output if output is not None else default_output(source, lang) for lang in targets}
    for destination in destinations.values():
        if destination.resolve() == source.resolve():
            raise InputError(source, "the output would overwrite the input", hint="choose another --output")
    existing = [d for d in destinations.values() if d.exists()]
    if existing and not force:
        raise OutputExistsError(existing)
    return destinations


def engine_stats(engine: object) -> EngineStats | None:
    """What a text engine counted (requests, cache hits ...); ``None`` for an engine that counts nothing."""
    return engine.stats if isinstance(engine, TextEngine) else None


@dataclass(frozen=True)
class FileTranslation:
    """One written language of ``streamkit translate``."""

    input: Path
    output: Path
    language: str
    engine: str
    source_cues: int
    sentences: int
    cues: int
    seconds: float
    stats: EngineStats | None = None

    def summary(self) -> dict[str, object]:
        """The ``--json`` summary (as ``streamkit translate`` always printed it)."""
        out: dict[str, object] = {
            "input": str(self.input), "output": str(self.output), "language": self.language,
            "translator": self.engine, "source_cues": self.source_cues, "sentences": self.sentences,
            "cues": self.cues, "seconds": self.seconds,
        }
        if self.stats is not None:
            s = self.stats
            out.update(requests=s.requests, cached=s.cached, translated=s.translated, retries=s.retries,
                       names=s.names, names_kept=s.names_kept)
        return out


def translate_file(path: Path, track: SubtitleTrack, target: str, destination: Path, engine: Translator, *,
                   name: str, source: str = "ko", glossary: Glossary | None = None, fps: Fraction | None = None,
                   progress: Progress | None = None) -> FileTranslation:
    """One target language: translated from the Korean, cut by that language's rules, written and recorded."""
    from ..segment import rules_for, segment
    from ..subtitles import write_subtitles
    from .sentences import transcript_from_track

    transcript = transcript_from_track(track, language=source)
    started = time.perf_counter()
    translated = engine.translate(transcript, None, progress)
    if glossary is not None and target != "en":
        translated = names_in(glossary, translated, transcript)
    cues = directed(segment(translated, rules_for(target), fps))
    written = write_subtitles(cues, destination)
    save_record(written.path, track, cues, engine=name, fps=fps)
    return FileTranslation(path, written.path, target, name, len(track.cues), len(translated.utterances),
                           written.cues, round(time.perf_counter() - started, 3), engine_stats(engine))
