"""``streamkit translate`` (an existing Korean SRT to English) and ``streamkit doctor`` (engines, ffmpeg, model)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..config import load_config
from ..errors import ConfigError, InputError, OutputExistsError, StreamkitError
from ..translate import text_engine_name
from ._app import FPS_HELP, VIDEO_HELP, _guard, _progress, _setup_logging, app, clock, frame_rate, out, parse_fps

log = logging.getLogger("streamkit")

TEXT_ENGINES_HELP = (
    "Text engine: google (default), deepl, papago, mymemory, libre, llm (an OpenAI-compatible chat server), "
    "or one a plugin adds. "
    "Keys come from environment variables or the config file, never from the command line."
)

TranslatorUrl = Annotated[
    str | None, typer.Option("--translator-url", help="Server URL for libre (e.g. http://localhost:5000) or llm (e.g. http://127.0.0.1:11434/v1).")
]
ExtraGlossary = Annotated[
    list[Path] | None,
    typer.Option("--glossary", "-g", help="Extra glossary file (repeatable), on top of the built-in K-pop names."),
]
NoGlossary = Annotated[
    bool, typer.Option("--no-glossary", help="Translate names like any other word (no name protection).")
]


def default_output(path: Path, target: str) -> Path:
    """``show.ko.srt`` -> ``show.en.srt``; ``show.srt`` -> ``show.en.srt``."""
    from ..subtitles import language_from_path

    stem = Path(path.stem).stem if language_from_path(path) else path.stem
    return path.with_name(f"{stem}.{target}{path.suffix or '.srt'}")


def _engine_settings(config: Path | None, translator_url: str | None) -> tuple[Any, dict[str, Any]]:
    cfg = load_config(config)
    settings: dict[str, Any] = dict(cfg.values.get("translator", {}))
    if translator_url:
        settings["url"] = translator_url
    return cfg, settings


def _text_engine(name: str, settings: dict[str, Any], target: str, glossary: list[Path] | None,
                 no_glossary: bool) -> Any:
    from ..translate import create_text_engine

    return create_text_engine(name, settings, target, glossary=glossary or [], no_glossary=no_glossary)


# --------------------------------------------------------------------------- translate


@app.command("translate")
def translate_command(
    subtitles: Annotated[
        Path, typer.Argument(help="Korean subtitles, NAME.ko.srt (an editor's corrected file, or one made elsewhere).",
                             show_default=False)
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="English subtitles [default: NAME.en.srt beside the input].")
    ] = None,
    translator: Annotated[str | None, typer.Option("--translator", "-t", help=TEXT_ENGINES_HELP)] = None,
    translator_url: TranslatorUrl = None,
    glossary: ExtraGlossary = None,
    no_glossary: NoGlossary = False,
    target: Annotated[str, typer.Option("--to", help="Target languages, comma-separated (en, ja, zh-Hans, th ...): "
                                        "each translated from the Korean into NAME.LANG.srt.")] = "en",
    fps: Annotated[
        str | None, typer.Option("--fps", help="Frame rate of the video (minimum gaps are 2 frames). [default: 24]")
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    config: Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, errors only.")] = False,
) -> None:
    """Translate an existing Korean SRT into English subtitles, with the same engines, rules and cache.

    Cues are joined into sentences, translated, and re-cut by the English rules (42 columns, 2 lines,
    20 characters per second) within the time of the Korean speech. Names in the glossary (built-in
    K-pop names plus --glossary files) come out in their official English form. Sentences
    translated before (by any run) come from the cache: re-translating an edited draft only sends
    what changed.
    """
    _setup_logging(verbose, quiet)

    def body() -> None:
        from ..languages import parse_targets
        from ..subtitles import read_subtitles

        cfg, settings = _engine_settings(config, translator_url)
        name = text_engine_name(translator, cfg.get("subtitle", "translator"))
        rate = parse_fps(fps)
        track = read_subtitles(subtitles)
        source = track.language if track.language != "und" else "ko"
        targets = parse_targets(target, source=source)
        if output is not None and len(targets) > 1:
            raise ConfigError("--output names one file, but --to names several languages", key="output",
                              hint="leave --output out: each language is written as NAME.LANG.srt beside the input")
        destinations = {lang: output if output is not None else default_output(subtitles, lang) for lang in targets}
        for destination in destinations.values():
            if destination.resolve() == subtitles.resolve():
                raise InputError(subtitles, "the output would overwrite the input", hint="choose another --output")
        existing = [d for d in destinations.values() if d.exists()]
        if existing and not force:
            raise OutputExistsError(existing)
        summaries = [
            _translate_one(subtitles, track, source, lang, destination, name, dict(settings), glossary,
                           no_glossary, rate, quiet or as_json)
            for lang, destination in destinations.items()
        ]
        if as_json:
            print(json.dumps(summaries[0] if len(summaries) == 1 else {"outputs": summaries}, ensure_ascii=False,
                             indent=2))
        elif not quiet:
            for summary in summaries:
                extra = (f"; {summary['requests']} requests, {summary['cached']} sentences from the cache"
                         if "requests" in summary else "")
                out.print(f"wrote [bold]{escape(summary['output'])}[/]: {summary['cues']} cues from "
                          f"{summary['sentences']} sentences ({escape(name)}{escape(extra)})", highlight=False)

    _guard(body, verbose=verbose)


def _translate_one(path: Path, track: Any, source: str, target: str, destination: Path, name: str,
                   settings: dict[str, Any], glossary: list[Path] | None, no_glossary: bool, rate: Any,
                   quiet: bool) -> dict[str, Any]:
    """One target language of ``streamkit translate``: translated from the Korean, cut by that language's rules."""
    from ..retranslate import save_record
    from ..segment import rules_for, segment
    from ..subtitles import write_subtitles
    from ..targets import directed, names_in
    from ..textengines import TextEngine, transcript_from_track

    engine = _text_engine(name, settings, target, glossary, no_glossary)
    transcript = transcript_from_track(track, language=source)
    started = time.perf_counter()
    with _progress(not quiet) as bars:
        report = (lambda d, t: bars("translate", d, t)) if bars else None
        translated = engine.translate(transcript, None, report)
    if settings.get("glossary") is not None and target != "en":
        translated = names_in(settings["glossary"], translated, transcript)
    cues = directed(segment(translated, rules_for(target), rate))
    written = write_subtitles(cues, destination)
    save_record(written.path, track, cues, engine=name, fps=rate)
    stats = engine.stats if isinstance(engine, TextEngine) else None
    summary: dict[str, Any] = {
        "input": str(path),
        "output": str(written.path),
        "language": target,
        "translator": name,
        "source_cues": len(track.cues),
        "sentences": len(translated.utterances),
        "cues": written.cues,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if stats is not None:
        summary.update(requests=stats.requests, cached=stats.cached, translated=stats.translated,
                       retries=stats.retries, names=stats.names, names_kept=stats.names_kept)
    return summary


# --------------------------------------------------------------------------- retranslate


RETRANSLATE_FPS_HELP = FPS_HELP.replace("[default: 24]", "[default: the draft's, else 24]")


def _retranslated_name(english: Path) -> Path:
    """``show.en.srt`` -> ``show.retranslated.en.srt``."""
    from ..subtitles import language_from_path

    lang = language_from_path(english)
    stem = Path(english.stem).stem if lang else english.stem
    return english.with_name(f"{stem}.retranslated{'.' + lang if lang else ''}{english.suffix or '.srt'}")


def _require_language(path: Path, track: Any, want: str, option: str) -> None:
    """Refuse a file whose text is in the other script (swapped --ko and --en), whatever its name says."""
    from ..checks import script_language

    if script_language(line for cue in track.cues for line in cue.lines) != want:
        raise InputError(path, f"{option} expects {'Korean' if want == 'ko' else 'English'} subtitles, "
                         f"but this file is mostly {'Latin letters' if want == 'ko' else 'Hangul'}",
                         hint="check the order: --ko EDITED.ko.srt --en DRAFT.en.srt")


def _cue_numbers(numbers: tuple[int, ...]) -> str:
    if not numbers:
        return "-"
    runs: list[str] = []
    start = prev = numbers[0]
    for n in (*numbers[1:], None):
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(runs)


@app.command("retranslate")
def retranslate_command(
    korean: Annotated[Path, typer.Option("--ko", help="The Korean subtitles as the editor corrected them.",
                                         show_default=False)],
    english: Annotated[Path, typer.Option("--en", help="The English draft (may hold the editor's corrections).",
                                          show_default=False)],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="New English subtitles [default: NAME.retranslated.en.srt]."),
    ] = None,
    ko_draft: Annotated[
        Path | None,
        typer.Option("--ko-draft", help="The Korean the English draft was translated from, when streamkit's "
                     "record of the draft is missing (files moved, or made by an older streamkit)."),
    ] = None,
    translator: Annotated[str | None, typer.Option("--translator", "-t", help=TEXT_ENGINES_HELP +
                                                   " [default: the engine that made the draft]")] = None,
    translator_url: TranslatorUrl = None,
    glossary: ExtraGlossary = None,
    no_glossary: NoGlossary = False,
    video: Annotated[Path | None, typer.Option("--video", help=VIDEO_HELP)] = None,
    fps: Annotated[str | None, typer.Option("--fps", help=RETRANSLATE_FPS_HELP)] = None,
    target: Annotated[str, typer.Option("--to", help="The language of the --en draft (ja, zh-Hans, th ...): "
                                        "re-translated from the Korean into it, cut by its rules.")] = "en",
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")] = False,
    config: Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No report, errors only.")] = False,
) -> None:
    """After an editor corrected the Korean: re-translate only what changed, keep every English edit.

    The edited Korean is compared sentence by sentence with the Korean the English draft was made
    from (streamkit records it beside every English draft it writes, in .streamkit/drafts/; or give
    --ko-draft). Only sentences whose Korean changed are sent to the engine. English cues the editor
    changed (wording or timing; a uniform shift does not count) are never replaced: where the Korean
    under them changed too, they are kept and listed as "review". Every other cue is carried over
    exactly. The report lists the cues it touched, by number in the draft and in the new file.
    """
    _setup_logging(verbose, quiet)

    def body() -> None:
        from ..retranslate import DraftRecord, load_record, retranslate_track, save_record
        from ..segment import rules_for, segment
        from ..subtitles import read_subtitles, write_subtitles
        from ..textengines import TextEngine, transcript_from_track

        for path, option in ((korean, "--ko"), (english, "--en")) + (((ko_draft, "--ko-draft"),) if ko_draft else ()):
            if not path.exists():
                raise InputError(path, "no such file", hint=f"check the {option} path")
            if path.is_dir():
                raise InputError(path, "is a folder, not a subtitle file", hint=f"give {option} a .srt file")
        destination = output if output is not None else _retranslated_name(english)
        if destination.resolve() in (korean.resolve(), *((ko_draft.resolve(),) if ko_draft else ())):
            raise InputError(destination, "the output would overwrite the Korean input", hint="choose another -o")
        if destination.exists() and not force:
            raise OutputExistsError([destination])
        from ..languages import parse_targets

        lang = parse_targets(target)[0]
        edited = read_subtitles(korean, "ko")
        draft = read_subtitles(english, lang)
        _require_language(korean, edited, "ko", "--ko")
        if lang == "en":
            _require_language(english, draft, "en", "--en")
        cfg, settings = _engine_settings(config, translator_url)
        record = load_record(english)
        name = text_engine_name(translator, cfg.get("subtitle", "translator"), record.engine if record else None)
        rate, _source = frame_rate(video, fps)
        if rate is None and record is not None:
            rate = record.fps
        engine = _text_engine(name, settings, lang, glossary, no_glossary)
        started = time.perf_counter()
        rules = rules_for(lang)
        basis = "record"
        if ko_draft is not None:
            original = read_subtitles(ko_draft, "ko")
            _require_language(ko_draft, original, "ko", "--ko-draft")
            if record is None:
                # The machine English is recomputed: the same sentences through the same engine (its
                # cache answers when this engine made the draft) cut by the same rules.
                machine = segment(engine.translate(transcript_from_track(original, language="ko"), None), rules, rate)
                record = DraftRecord.of_machine(original, machine, engine=name, fps=rate)
                basis = "--ko-draft (machine English recomputed)"
            else:
                record = DraftRecord(original, record.english, record.machine, engine=record.engine, fps=record.fps)
                basis = "--ko-draft with the record's English"
        if record is None:
            raise InputError(english, "streamkit has no record of how this draft was made",
                             hint="give --ko-draft with the Korean the English was translated from "
                             "(the unedited NAME.ko.srt)")
        result = retranslate_track(record, edited, draft, lambda texts: engine.translate_texts(texts, "ko"),
                                   fps=rate)
        plan = result.plan
        written = write_subtitles(result.track, destination)
        save_record(written.path, edited, result.track, engine=name, fps=rate, machine=result.machine)
        stats = engine.stats if isinstance(engine, TextEngine) else None
        counts = {a: sum(1 for c in result.changes if c.action == a)
                  for a in ("retranslated", "added", "removed", "kept-edit")}
        summary: dict[str, Any] = {
            "korean": str(korean),
            "draft": str(english),
            "output": str(written.path),
            "translator": name,
            "basis": basis,
            "draft_cues": len(draft.cues),
            "cues": written.cues,
            "unchanged": result.unchanged,
            "edited_by_hand": sum(plan.human),
            "shift_ms": plan.shift_ms,
            "sentences_sent": len(plan.changed_sentences),
            **counts,
            "changes": [
                {"action": c.action, "draft_cues": list(c.draft_cues), "new_cues": list(c.new_cues),
                 "start_ms": c.start_ms, "korean": c.korean, "korean_was": c.original, "english": c.english}
                for c in result.changes
            ],
            "not_placed": list(result.dropped),
            "seconds": round(time.perf_counter() - started, 3),
        }
        if stats is not None:
            summary.update(requests=stats.requests, cached=stats.cached)
        if as_json:
            print(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        for text in result.dropped:
            log.warning("no free time left for %r: place it by hand", text)
        if quiet:
            return
        labels = {"retranslated": "re-translated", "added": "added", "removed": "removed",
                  "kept-edit": "review: kept your edit, but the Korean under it changed"}
        for c in result.changes:
            where = f"draft {_cue_numbers(c.draft_cues)} -> new {_cue_numbers(c.new_cues)}"
            out.print(f"{clock(c.start_ms)}  {where}: {labels[c.action]}", highlight=False)
            if c.original and c.original != c.korean:
                out.print(f"    ko was: {escape(c.original)}", highlight=False)
            if c.korean:
                out.print(f"    ko now: {escape(c.korean)}", highlight=False)
            if c.english:
                out.print(f"    en: {escape(c.english)}", highlight=False)
        extra = f"; {stats.requests} requests, {stats.cached} sentences from the cache" if stats is not None else ""
        out.print(
            f"wrote [bold]{escape(summary['output'])}[/]: {written.cues} cues; {result.unchanged} of "
            f"{len(draft.cues)} draft cues kept as they were ({summary['edited_by_hand']} edited by hand); "
            f"{counts['retranslated']} re-translated, {counts['added']} added, {counts['removed']} removed, "
            f"{counts['kept-edit']} to review ({escape(name)}{escape(extra)})",
            highlight=False,
        )

    _guard(body, verbose=verbose)


# --------------------------------------------------------------------------- doctor


@app.command("doctor")
def doctor_command(
    offline: Annotated[bool, typer.Option("--offline", help="Do not contact any engine.")] = False,
    translator_url: TranslatorUrl = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each engine.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")] = False,
    config: Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")] = None,
) -> None:
    """Which translation engines are configured and reachable; ffmpeg; the Whisper model (hashed); the GPU; the cache.

    Keys are reported by where they come from, never by value. Reaching an engine sends one short
    greeting (skip with --offline).
    """

    def body() -> None:
        from ..media import find_ffmpeg
        from ..textengines import TranslationCache, check_engines, default_cache_path
        from ..transcribe import resolve_model

        cfg, settings = _engine_settings(config, translator_url)
        checks = check_engines(settings, offline=offline, timeout=timeout)
        try:
            ffmpeg = find_ffmpeg()
        except StreamkitError as exc:
            ffmpeg = f"missing ({exc.message})"
        model_check: dict[str, Any] = {"ok": None, "damaged": [], "detail": "not checked", "fix": ""}
        try:
            choice = resolve_model(None, allow_download=False)
            model = f"{choice.name} ({choice.source}, {choice.device}): {choice.location}"
            model_check = _model_check(choice.name) if choice.source == "bundled" else model_check
        except StreamkitError as exc:
            model = f"unavailable ({exc.message})"
        cache_path = Path(settings["cache_path"]) if settings.get("cache_path") else default_cache_path()
        entries = TranslationCache(cache_path).count() if cache_path.exists() else 0
        default = cfg.get("subtitle", "translator") or "google"
        gpu = _gpu_check()
        report = {
            "engines": [
                {"name": c.name, "description": c.description, "configured": c.configured,
                 "reachable": c.reachable, "detail": c.detail, "default": c.name == default}
                for c in checks
            ],
            "ffmpeg": ffmpeg,
            "model": model,
            "model_check": model_check,
            "gpu": gpu,
            "translation_cache": {"path": str(cache_path), "entries": entries},
            "config": str(cfg.path) if cfg.path else None,
        }
        if as_json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
            return
        table = Table(title="translation engines", title_justify="left", show_edge=False)
        for column in ("engine", "configured", "reachable", "details"):
            table.add_column(column)
        for c in checks:
            mark = " (default)" if c.name == default else ""
            reachable = "skipped (--offline)" if offline and c.reachable == "not checked" else c.reachable
            table.add_row(escape(c.name + mark), c.configured, reachable, escape(c.detail or c.description))
        out.print(table)
        out.print(f"ffmpeg: {escape(ffmpeg)}", highlight=False)
        out.print(f"model:  {escape(model)}", highlight=False)
        mark = "[red]DAMAGED[/] " if model_check["ok"] is False else ""
        out.print(f"        {mark}{escape(model_check['detail'])}", highlight=False)
        if model_check["fix"]:
            out.print(f"        fix: {escape(model_check['fix'])}", highlight=False)
        out.print(f"gpu:    {escape(gpu['summary'])}", highlight=False, soft_wrap=True)
        if gpu["fix"]:
            out.print(f"        fix: {escape(gpu['fix'])}", highlight=False, soft_wrap=True)
        out.print(f"translation cache: {escape(str(cache_path))} ({entries} entries)", highlight=False)
        out.print(f"config: {escape(str(cfg.path)) if cfg.path else 'none found'}", highlight=False)

    _guard(body)


def _model_check(name: str) -> dict[str, Any]:
    """The bundled model's files hashed against their declared sha256 (``streamkit model --verify``)."""
    from ..modelstore import verify_bundled
    from .subtitle import REPAIR_HINT

    check = verify_bundled(name)
    if check is None:
        return {"ok": None, "damaged": [], "detail": "not cached yet (assembled on first use)", "fix": ""}
    if check.ok:
        return {"ok": True, "damaged": [], "fix": "",
                "detail": f"sha256 verified ({len(check.files)} files, {check.source} parts)"}
    return {"ok": False, "damaged": list(check.damaged), "detail": check.problem(), "fix": REPAIR_HINT}


def _gpu_check() -> dict[str, Any]:
    """CUDA device and the cuBLAS 12 / cuDNN 9 libraries CTranslate2 needs, with the exact fix."""
    from ..gpu import gpu_status, probe_gpu

    status = gpu_status(probe_gpu())
    return {"ready": status.ready, "cuda_devices": status.devices, "missing": list(status.missing),
            "summary": status.summary, "fix": status.fix}
