"""Many subtitle languages in one run: one engine per target, each translating the Korean sentences.

:func:`create_engines` builds the chosen engine once per target language before anything is
transcribed (an engine that cannot serve a language, e.g. ``whisper`` for Japanese, is refused up
front). :func:`translate_targets` then translates the Korean transcript into each language in turn
(never through English), each with the engine's own batching, cache, timeouts and retries, and the
stage cache per language; a language whose engine gives up is reported in
:attr:`TargetResults.failed` while the others go on, so a rerun has only that language left to do.
Official names are enforced after every engine, in every language
(:func:`streamkit.glossary.forms.localize_names`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..errors import TranslationError
from ..models import AudioTrack, ProgressCallback, SubtitleTrack, Transcript
from .protocol import EngineContext, Translator
from .registry import create_translator

if TYPE_CHECKING:
    from ..glossary import Glossary

__all__ = ["TargetResults", "create_engines", "directed", "failure_error", "names_in", "translate_targets"]

log = logging.getLogger("streamkit")


@dataclass
class TargetResults:
    """What :func:`translate_targets` produced: translations by language, failures by language."""

    translations: dict[str, Transcript] = field(default_factory=dict)
    failed: dict[str, TranslationError] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def create_engines(name: str, targets: Sequence[str], context: EngineContext) -> dict[str, Translator]:
    """The engine ``name`` for every target (empty for ``none``); raises before any work if one cannot be made.

    ``context`` is the run's (settings, glossary, model); its ``target`` is replaced by each language.
    """
    engines: dict[str, Translator] = {}
    for lang in targets:
        engine = create_translator(name, replace(context, target=lang))
        if engine is None:
            return {}
        engines[lang] = engine
    return engines


def names_in(glossary: Glossary, translation: Transcript, korean: Transcript) -> Transcript:
    """``localize_names`` on every utterance, informed by the Korean said at the same time."""
    from ..glossary.forms import localize_names

    context = korean.text
    fixed = []
    for u in translation.utterances:
        said = " ".join(k.text for k in korean.utterances if k.start_ms < u.end_ms and k.end_ms > u.start_ms)
        text = localize_names(glossary, u.text, translation.language, said, context=context)
        fixed.append(replace(u, text=text) if text != u.text and text.strip() else u)
    return replace(translation, utterances=tuple(fixed))


def translate_targets(
    engines: Mapping[str, Translator],
    korean: Transcript,
    audio: AudioTrack | None,
    *,
    load: Callable[[str], Transcript | None],
    save: Callable[[str, Transcript], None],
    glossary: Glossary | None = None,
    clean: Callable[[Transcript], Transcript] | None = None,
    progress: ProgressCallback | None = None,
) -> TargetResults:
    """Translate ``korean`` into every language of ``engines``; a failed language never stops the others.

    ``load(lang)``/``save(lang, transcript)`` are the stage cache for the raw engine output; ``clean``
    (for Whisper's own English) and the names apply to fresh and cached results alike.
    """
    results = TargetResults()
    for lang, engine in engines.items():
        label = f"{lang}: " if len(engines) > 1 else ""  # one language: the notes read as they always did
        try:
            translation = load(lang)
            if translation is not None:
                results.notes.append(f"{label}reused cached result")
            else:
                translation = engine.translate(korean, audio, progress)
                save(lang, translation)
                stats = getattr(engine, "stats", None)
                if stats is not None:
                    results.notes.append(f"{label}{stats.requests} requests, {stats.cached} cached")
        except TranslationError as exc:
            log.warning("translation into %s failed: %s", lang, exc)
            results.failed[lang] = exc
            results.notes.append(f"{label}failed")
            continue
        if clean is not None and translation.task == "translate":
            translation = clean(translation)
        if glossary is not None:
            translation = names_in(glossary, translation, korean)
        results.translations[lang] = translation
    return results


def failure_error(engine: str, failed: Mapping[str, TranslationError], written: Sequence[str]) -> TranslationError:
    """One error for the languages that failed, naming them and what was written."""
    first = next(iter(failed.values()))
    what = "the Korean subtitles" if list(written) == ["ko"] else f"the subtitles in {', '.join(written)}"
    missing = f" (not translated: {', '.join(failed)})" if len(failed) > 1 or list(failed) != ["en"] else ""
    hint = (first.hint + "; " if first.hint else "") + (
        "run the same command again to resume at translation (the transcription is kept; "
        "only the missing languages are translated)")
    return TranslationError(engine, f"{first.problem}{missing}; {what} were written", hint=hint)


def directed(track: SubtitleTrack) -> SubtitleTrack:
    """An Arabic or Hebrew track whose lines players lay out right to left, even those starting with a
    Latin name (:func:`streamkit.linebreak.right_to_left`); other languages as they are."""
    from ..languages import is_rtl
    from ..linebreak import right_to_left

    if not is_rtl(track.language):
        return track
    return replace(track, cues=tuple(replace(c, lines=tuple(right_to_left(line) for line in c.lines))
                                     for c in track.cues))
