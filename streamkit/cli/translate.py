"""``streamkit translate`` (an existing Korean SRT to English) and ``streamkit doctor`` (engines, ffmpeg, model)."""

from __future__ import annotations

import importlib
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
from ._app import _guard, _progress, _setup_logging, app, out, parse_fps

log = logging.getLogger("streamkit")

TEXT_ENGINES_HELP = (
    "Text engine: google (default), deepl, papago, mymemory, libre, or one a plugin adds. "
    "Keys come from environment variables or the config file, never from the command line."
)


def default_output(path: Path, target: str) -> Path:
    """``show.ko.srt`` -> ``show.en.srt``; ``show.srt`` -> ``show.en.srt``."""
    from ..subtitles import language_from_path

    stem = Path(path.stem).stem if language_from_path(path) else path.stem
    return path.with_name(f"{stem}.{target}{path.suffix or '.srt'}")


def _load_glossary(paths: list[Path]) -> Any:
    """The built-in glossary plus ``paths`` (``streamkit.glossary.load_glossary``); None without the module."""
    try:
        module = importlib.import_module("streamkit.glossary")
    except ImportError as exc:
        if paths:
            raise ConfigError("--glossary needs streamkit.glossary, which this build lacks", key="glossary") from exc
        log.warning("no glossary module: names are translated without protection")
        return None
    return module.load_glossary(list(paths))


def _engine_settings(config: Path | None, translator_url: str | None) -> tuple[Any, dict[str, Any]]:
    cfg = load_config(config)
    settings: dict[str, Any] = dict(cfg.values.get("translator", {}))
    if translator_url:
        settings["url"] = translator_url
    return cfg, settings


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
    translator_url: Annotated[
        str | None, typer.Option("--translator-url", help="Server URL for libre, e.g. http://localhost:5000.")
    ] = None,
    glossary: Annotated[
        list[Path] | None,
        typer.Option("--glossary", "-g",
                     help="Extra glossary file (repeatable), on top of the built-in K-pop names."),
    ] = None,
    no_glossary: Annotated[
        bool, typer.Option("--no-glossary", help="Translate names like any other word (no name protection).")
    ] = False,
    target: Annotated[str, typer.Option("--to", help="Target language.")] = "en",
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
        from ..segment import rules_for, segment
        from ..subtitles import read_subtitles, write_subtitles
        from ..textengines import TextEngine, transcript_from_track
        from ..translate import EngineContext, create_translator

        cfg, settings = _engine_settings(config, translator_url)
        configured = cfg.get("subtitle", "translator")
        if configured in ("whisper", "none"):
            configured = None  # the producer's speech default; a subtitle file needs a text engine
        name = translator or configured or "google"
        if name in ("whisper", "none"):
            raise ConfigError(f"--translator {name} cannot translate a subtitle file", key="translator",
                              hint="whisper translates speech; choose a text engine: google, deepl, papago, "
                              "mymemory or libre")
        rate = parse_fps(fps)
        track = read_subtitles(subtitles)
        source = track.language if track.language != "und" else "ko"
        destination = output if output is not None else default_output(subtitles, target)
        if destination.resolve() == subtitles.resolve():
            raise InputError(subtitles, "the output would overwrite the input", hint="choose another --output")
        if destination.exists() and not force:
            raise OutputExistsError([destination])
        if not no_glossary:
            settings["glossary"] = _load_glossary(list(glossary or []))
        elif glossary:
            raise ConfigError("--glossary and --no-glossary contradict each other", key="glossary")
        engine = create_translator(name, EngineContext(target=target, settings=settings))
        assert engine is not None
        transcript = transcript_from_track(track, language=source)
        started = time.perf_counter()
        with _progress(not (quiet or as_json)) as bars:
            report = (lambda d, t: bars("translate", d, t)) if bars else None
            english = engine.translate(transcript, None, report)
        cues = segment(english, rules_for(target), rate)
        written = write_subtitles(cues, destination)
        stats = engine.stats if isinstance(engine, TextEngine) else None
        summary: dict[str, Any] = {
            "input": str(subtitles),
            "output": str(written.path),
            "translator": name,
            "source_cues": len(track.cues),
            "sentences": len(english.utterances),
            "cues": written.cues,
            "seconds": round(time.perf_counter() - started, 3),
        }
        if stats is not None:
            summary.update(requests=stats.requests, cached=stats.cached, translated=stats.translated,
                           retries=stats.retries, names=stats.names, names_kept=stats.names_kept)
        if as_json:
            print(json.dumps(summary, ensure_ascii=False, indent=2))
        elif not quiet:
            extra = (f"; {stats.requests} requests, {stats.cached} sentences from the cache"
                     if stats is not None else "")
            out.print(f"wrote [bold]{escape(summary['output'])}[/]: {written.cues} cues from "
                      f"{summary['sentences']} sentences ({escape(name)}{escape(extra)})", highlight=False)

    _guard(body, verbose=verbose)


# --------------------------------------------------------------------------- doctor


@app.command("doctor")
def doctor_command(
    offline: Annotated[bool, typer.Option("--offline", help="Do not contact any engine.")] = False,
    translator_url: Annotated[
        str | None, typer.Option("--translator-url", help="Server URL for libre, e.g. http://localhost:5000.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each engine.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")] = False,
    config: Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")] = None,
) -> None:
    """Which translation engines are configured and reachable; ffmpeg; the Whisper model; the cache.

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
        try:
            choice = resolve_model(None, allow_download=False)
            model = f"{choice.name} ({choice.source}, {choice.device}): {choice.location}"
        except StreamkitError as exc:
            model = f"unavailable ({exc.message})"
        cache_path = Path(settings["cache_path"]) if settings.get("cache_path") else default_cache_path()
        entries = TranslationCache(cache_path).count() if cache_path.exists() else 0
        default = cfg.get("subtitle", "translator") or "google"
        report = {
            "engines": [
                {"name": c.name, "description": c.description, "configured": c.configured,
                 "reachable": c.reachable, "detail": c.detail, "default": c.name == default}
                for c in checks
            ],
            "ffmpeg": ffmpeg,
            "model": model,
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
        out.print(f"translation cache: {escape(str(cache_path))} ({entries} entries)", highlight=False)
        out.print(f"config: {escape(str(cfg.path)) if cfg.path else 'none found'}", highlight=False)

    _guard(body)
