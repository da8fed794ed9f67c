"""``streamkit retranslate``'s core: an edited Korean track re-translated into a draft, the editor's work kept.

:func:`retranslate_files` checks the inputs (files exist, the right script in each), finds what the
draft was made from (its :class:`~streamkit.translation.drafts.DraftRecord`, or ``--ko-draft``),
sends only the changed sentences through the engine's ``translate_texts``
(:func:`~streamkit.translation.protocol.text_translator`), writes the new track and its record, and
returns a :class:`RetranslateReport`. Printing is the CLI's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..errors import InputError, OutputExistsError
from ..models import SubtitleTrack
from .apply import Retranslation, retranslate_track
from .drafts import DraftRecord, load_record, save_record
from .files import engine_stats
from .options import TranslatorSettings
from .protocol import Translator, text_translator
from .registry import create_text_engine, text_engine_name
from .textengine import EngineStats

__all__ = ["RetranslateReport", "RetranslateRequest", "retranslate_files", "retranslated_name"]

ACTIONS = ("retranslated", "added", "removed", "kept-edit")


def retranslated_name(english: Path) -> Path:
    """``show.en.srt`` -> ``show.retranslated.en.srt``."""
    from ..subtitles import language_from_path

    lang = language_from_path(english)
    stem = Path(english.stem).stem if lang else english.stem
    return english.with_name(f"{stem}.retranslated{'.' + lang if lang else ''}{english.suffix or '.srt'}")


@dataclass(frozen=True)
class RetranslateRequest:
    """What ``streamkit retranslate`` was asked: the files, the engine and its settings."""

    korean: Path  # the Korean as the editor corrected it
    english: Path  # the draft (may hold the editor's corrections)
    language: str = "en"  # the draft's language
    output: Path | None = None  # default: NAME.retranslated.LANG.srt
    ko_draft: Path | None = None  # the Korean the draft was made from, when the record is missing
    engine: str | None = None  # --translator (default: the engine that made the draft, else the config's)
    configured: str | None = None  # the config file's engine
    settings: TranslatorSettings = field(default_factory=TranslatorSettings)
    glossary: tuple[Path, ...] = ()
    no_glossary: bool = False
    fps: Fraction | None = None  # --fps or --video (default: the draft's)
    force: bool = False

    @property
    def destination(self) -> Path:
        return self.output if self.output is not None else retranslated_name(self.english)


@dataclass(frozen=True)
class RetranslateReport:
    """What ``streamkit retranslate`` did."""

    request: RetranslateRequest
    result: Retranslation
    output: Path
    cues: int
    engine: str
    basis: str
    draft_cues: int
    seconds: float
    stats: EngineStats | None = None

    def counts(self) -> dict[str, int]:
        return {a: sum(1 for c in self.result.changes if c.action == a) for a in ACTIONS}

    def summary(self) -> dict[str, object]:
        """The ``--json`` report (as ``streamkit retranslate`` always printed it)."""
        plan = self.result.plan
        out: dict[str, object] = {
            "korean": str(self.request.korean), "draft": str(self.request.english), "output": str(self.output),
            "translator": self.engine, "basis": self.basis, "draft_cues": self.draft_cues, "cues": self.cues,
            "unchanged": self.result.unchanged, "edited_by_hand": sum(plan.human), "shift_ms": plan.shift_ms,
            "sentences_sent": len(plan.changed_sentences), **self.counts(),
            "changes": [
                {"action": c.action, "draft_cues": list(c.draft_cues), "new_cues": list(c.new_cues),
                 "start_ms": c.start_ms, "korean": c.korean, "korean_was": c.original, "english": c.english}
                for c in self.result.changes
            ],
            "not_placed": list(self.result.dropped),
            "seconds": self.seconds,
        }
        if self.stats is not None:
            out.update(requests=self.stats.requests, cached=self.stats.cached)
        return out


def require_language(path: Path, track: SubtitleTrack, want: str, option: str) -> None:
    """Refuse a file whose text is in the other script (swapped --ko and --en), whatever its name says."""
    from ..checks import script_language

    if script_language(line for cue in track.cues for line in cue.lines) != want:
        raise InputError(path, f"{option} expects {'Korean' if want == 'ko' else 'English'} subtitles, "
                         f"but this file is mostly {'Latin letters' if want == 'ko' else 'Hangul'}",
                         hint="check the order: --ko EDITED.ko.srt --en DRAFT.en.srt")


def _check_paths(request: RetranslateRequest) -> None:
    given = [(request.korean, "--ko"), (request.english, "--en")]
    if request.ko_draft is not None:
        given.append((request.ko_draft, "--ko-draft"))
    for path, option in given:
        if not path.exists():
            raise InputError(path, "no such file", hint=f"check the {option} path")
        if path.is_dir():
            raise InputError(path, "is a folder, not a subtitle file", hint=f"give {option} a .srt file")
    destination = request.destination
    inputs = [request.korean.resolve(), *((request.ko_draft.resolve(),) if request.ko_draft else ())]
    if destination.resolve() in inputs:
        raise InputError(destination, "the output would overwrite the Korean input", hint="choose another -o")
    if destination.exists() and not request.force:
        raise OutputExistsError([destination])


def _read_inputs(request: RetranslateRequest) -> tuple[SubtitleTrack, SubtitleTrack]:
    from ..subtitles import read_subtitles

    edited = read_subtitles(request.korean, "ko")
    draft = read_subtitles(request.english, request.language)
    require_language(request.korean, edited, "ko", "--ko")
    if request.language == "en":
        require_language(request.english, draft, "en", "--en")
    return edited, draft


def _basis(request: RetranslateRequest, record: DraftRecord | None, engine: Translator, name: str,
           fps: Fraction | None) -> tuple[DraftRecord, str]:
    """The record the draft is compared with, and what it was built from."""
    from ..segment import rules_for, segment
    from ..subtitles import read_subtitles
    from .sentences import transcript_from_track

    if request.ko_draft is not None:
        original = read_subtitles(request.ko_draft, "ko")
        require_language(request.ko_draft, original, "ko", "--ko-draft")
        if record is None:
            # The machine English is recomputed: the same sentences through the same engine (its
            # cache answers when this engine made the draft) cut by the same rules.
            transcript = transcript_from_track(original, language="ko")
            machine = segment(engine.translate(transcript, None), rules_for(request.language), fps)
            return DraftRecord.of_machine(original, machine, engine=name, fps=fps), \
                "--ko-draft (machine English recomputed)"
        record = DraftRecord(original, record.english, record.machine, engine=record.engine, fps=record.fps)
        return record, "--ko-draft with the record's English"
    if record is None:
        raise InputError(request.english, "streamkit has no record of how this draft was made",
                         hint="give --ko-draft with the Korean the English was translated from "
                         "(the unedited NAME.ko.srt)")
    return record, "record"


def retranslate_files(request: RetranslateRequest) -> RetranslateReport:
    """Re-translate only what changed in the Korean; every English edit kept (see :mod:`.plan`)."""
    from ..subtitles import write_subtitles

    _check_paths(request)
    edited, draft = _read_inputs(request)
    record = load_record(request.english)
    name = text_engine_name(request.engine, request.configured, record.engine if record else None)
    fps = request.fps if request.fps is not None else (record.fps if record is not None else None)
    engine = create_text_engine(name, request.settings, request.language, glossary=request.glossary,
                                no_glossary=request.no_glossary)
    started = time.perf_counter()
    record, basis = _basis(request, record, engine, name, fps)
    translate = text_translator(engine, name)
    result = retranslate_track(record, edited, draft, lambda texts: translate(texts, "ko"), fps=fps)
    written = write_subtitles(result.track, request.destination)
    save_record(written.path, edited, result.track, engine=name, fps=fps, machine=result.machine)
    return RetranslateReport(request, result, written.path, written.cues, name, basis, len(draft.cues),
                             round(time.perf_counter() - started, 3), engine_stats(engine))
