"""``streamkit translate`` (an existing Korean SRT to English) and ``streamkit doctor`` (engines, ffmpeg, model)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..config import load_config
from ..errors import StreamkitError
from ..translation.options import DEFAULT_ENGINE, TranslatorSettings
from ..translation.registry import text_engine_name
from ._app import FPS_HELP, VIDEO_HELP, _guard, _progress, _setup_logging, app, clock, frame_rate, out, parse_fps

if TYPE_CHECKING:
    from ..config import Config
    from ..translation.files import FileTranslation
    from ..translation.retranslate import RetranslateReport

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
Force = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output.")]
ConfigFile = Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")]
SourceSubtitles = Annotated[
    Path, typer.Argument(help="Korean subtitles, NAME.ko.srt (an editor's corrected file, or one made elsewhere).",
                         show_default=False)
]
TranslateOutput = Annotated[
    Path | None, typer.Option("--output", "-o", help="English subtitles [default: NAME.en.srt beside the input].")
]
TextEngineName = Annotated[str | None, typer.Option("--translator", "-t", help=TEXT_ENGINES_HELP)]
Targets = Annotated[str, typer.Option("--to", help="Target languages, comma-separated (en, ja, zh-Hans, th ...): "
                                      "each translated from the Korean into NAME.LANG.srt.")]
TranslateFps = Annotated[
    str | None, typer.Option("--fps", help="Frame rate of the video (minimum gaps are 2 frames). [default: 24]")
]


def _engine_settings(config: Path | None, translator_url: str | None) -> tuple[Config, dict[str, Any]]:
    """The config file and its ``[translator]`` table as TOML gives it, with ``--translator-url``."""
    cfg = load_config(config)
    settings: dict[str, Any] = dict(cfg.values.get("translator", {}))
    if translator_url:
        settings["url"] = translator_url
    return cfg, settings


def _typed_settings(config: Path | None, translator_url: str | None) -> tuple[Config, TranslatorSettings]:
    cfg = load_config(config)
    return cfg, TranslatorSettings.from_table(cfg.values.get("translator", {})).with_url(translator_url or None)


# --------------------------------------------------------------------------- translate


@app.command("translate")
def translate_command(
    subtitles: SourceSubtitles,
    output: TranslateOutput = None,
    translator: TextEngineName = None,
    translator_url: TranslatorUrl = None,
    glossary: ExtraGlossary = None,
    no_glossary: NoGlossary = False,
    target: Targets = "en",
    fps: TranslateFps = None,
    force: Force = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    config: ConfigFile = None,
    verbose: Verbose = 0,
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
        summaries = _translate_files(subtitles, output, translator, translator_url, glossary or [], no_glossary,
                                     target, fps, force, config, quiet or as_json)
        if as_json:
            data = summaries[0].summary() if len(summaries) == 1 else {"outputs": [s.summary() for s in summaries]}
            print(json.dumps(data, ensure_ascii=False, indent=2))
        elif not quiet:
            for s in summaries:
                extra = f"; {s.stats.requests} requests, {s.stats.cached} sentences from the cache" if s.stats else ""
                out.print(f"wrote [bold]{escape(str(s.output))}[/]: {s.cues} cues from "
                          f"{s.sentences} sentences ({escape(s.engine)}{escape(extra)})", highlight=False)

    _guard(body, verbose=verbose)


def _translate_files(subtitles: Path, output: Path | None, translator: str | None, translator_url: str | None,
                     glossary: list[Path], no_glossary: bool, target: str, fps: str | None, force: bool,
                     config: Path | None, quiet: bool) -> list[FileTranslation]:
    """``streamkit translate``'s flags to the core: each language from the Korean, with one progress bar each."""
    from ..glossary import optional_glossary
    from ..languages import parse_targets
    from ..subtitles import read_subtitles
    from ..translation.files import plan_outputs, translate_file
    from ..translation.registry import text_engine

    cfg, settings = _typed_settings(config, translator_url)
    name = text_engine_name(translator, cfg.get("translate", "engine"))
    rate = parse_fps(fps)
    track = read_subtitles(subtitles)
    source = track.language if track.language != "und" else "ko"
    destinations = plan_outputs(subtitles, parse_targets(target, source=source), output, force=force)
    names = optional_glossary(glossary, no_glossary=no_glossary)
    done = []
    for lang, destination in destinations.items():
        engine = text_engine(name, lang, settings, names)
        with _progress(not quiet) as bars:
            report = (lambda d, t: bars("translate", d, t)) if bars else None
            done.append(translate_file(subtitles, track, lang, destination, engine, name=name, source=source,
                                       glossary=names, fps=rate, progress=report))
    return done


# --------------------------------------------------------------------------- retranslate


RETRANSLATE_FPS_HELP = FPS_HELP.replace("[default: 24]", "[default: the draft's, else 24]")
EditedKorean = Annotated[Path, typer.Option("--ko", help="The Korean subtitles as the editor corrected them.",
                                            show_default=False)]
DraftEnglish = Annotated[Path, typer.Option("--en", help="The English draft (may hold the editor's corrections).",
                                            show_default=False)]
RetranslateOutput = Annotated[
    Path | None, typer.Option("--output", "-o", help="New English subtitles [default: NAME.retranslated.en.srt]."),
]
KoreanDraft = Annotated[
    Path | None,
    typer.Option("--ko-draft", help="The Korean the English draft was translated from, when streamkit's "
                 "record of the draft is missing (files moved, or made by an older streamkit)."),
]
RecordedEngine = Annotated[str | None, typer.Option("--translator", "-t", help=TEXT_ENGINES_HELP +
                                                    " [default: the engine that made the draft]")]
DraftLanguage = Annotated[str, typer.Option("--to", help="The language of the --en draft (ja, zh-Hans, th ...): "
                                            "re-translated from the Korean into it, cut by its rules.")]


@app.command("retranslate")
def retranslate_command(
    korean: EditedKorean,
    english: DraftEnglish,
    output: RetranslateOutput = None,
    ko_draft: KoreanDraft = None,
    translator: RecordedEngine = None,
    translator_url: TranslatorUrl = None,
    glossary: ExtraGlossary = None,
    no_glossary: NoGlossary = False,
    video: Annotated[Path | None, typer.Option("--video", help=VIDEO_HELP)] = None,
    fps: Annotated[str | None, typer.Option("--fps", help=RETRANSLATE_FPS_HELP)] = None,
    target: DraftLanguage = "en",
    force: Force = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")] = False,
    config: ConfigFile = None,
    verbose: Verbose = 0,
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
        from ..languages import parse_targets
        from ..translation.retranslate import RetranslateRequest, retranslate_files

        cfg, settings = _typed_settings(config, translator_url)
        request = RetranslateRequest(
            korean, english, parse_targets(target)[0], output, ko_draft, translator, cfg.get("translate", "engine"),
            settings, tuple(glossary or ()), no_glossary, frame_rate(video, fps)[0], force)
        report = retranslate_files(request)
        if as_json:
            print(json.dumps(report.summary(), ensure_ascii=False, indent=2))
            return
        for text in report.result.dropped:
            log.warning("no free time left for %r: place it by hand", text)
        if not quiet:
            _print_retranslation(report)

    _guard(body, verbose=verbose)


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


RETRANSLATE_LABELS = {"retranslated": "re-translated", "added": "added", "removed": "removed",
                      "kept-edit": "review: kept your edit, but the Korean under it changed"}


def _print_retranslation(report: RetranslateReport) -> None:
    result = report.result
    for c in result.changes:
        where = f"draft {_cue_numbers(c.draft_cues)} -> new {_cue_numbers(c.new_cues)}"
        out.print(f"{clock(c.start_ms)}  {where}: {RETRANSLATE_LABELS[c.action]}", highlight=False)
        if c.original and c.original != c.korean:
            out.print(f"    ko was: {escape(c.original)}", highlight=False)
        if c.korean:
            out.print(f"    ko now: {escape(c.korean)}", highlight=False)
        if c.english:
            out.print(f"    en: {escape(c.english)}", highlight=False)
    stats = report.stats
    extra = f"; {stats.requests} requests, {stats.cached} sentences from the cache" if stats is not None else ""
    counts = report.counts()
    out.print(
        f"wrote [bold]{escape(str(report.output))}[/]: {report.cues} cues; {result.unchanged} of "
        f"{report.draft_cues} draft cues kept as they were ({sum(result.plan.human)} edited by hand); "
        f"{counts['retranslated']} re-translated, {counts['added']} added, {counts['removed']} removed, "
        f"{counts['kept-edit']} to review ({escape(report.engine)}{escape(extra)})",
        highlight=False,
    )


# --------------------------------------------------------------------------- doctor


@app.command("doctor")
def doctor_command(
    offline: Annotated[bool, typer.Option("--offline", help="Do not contact any engine.")] = False,
    translator_url: TranslatorUrl = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each engine.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report.")] = False,
    config: ConfigFile = None,
) -> None:
    """Which translation engines are configured and reachable; ffmpeg; the Whisper model (hashed); the GPU; the cache.

    Keys are reported by where they come from, never by value. Reaching an engine sends one short
    greeting (skip with --offline).
    """

    def body() -> None:
        report = _doctor_report(config, translator_url, offline, timeout)
        if as_json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            _print_doctor(report, offline)

    _guard(body)


def _doctor_report(config: Path | None, translator_url: str | None, offline: bool, timeout: float) -> dict[str, Any]:
    """Everything ``streamkit doctor`` checks, as its ``--json`` report."""
    from ..media import find_ffmpeg
    from ..transcribe import resolve_model
    from ..translation.cache import TranslationCache, default_cache_path
    from ..translation.doctor import check_engines

    cfg, settings = _typed_settings(config, translator_url)
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
    cache_path = Path(settings.cache_path) if settings.cache_path else default_cache_path()
    entries = TranslationCache(cache_path).count() if cache_path.exists() else 0
    default = cfg.get("translate", "engine") or DEFAULT_ENGINE
    return {
        "engines": [
            {"name": c.name, "description": c.description, "configured": c.configured,
             "reachable": c.reachable, "detail": c.detail, "default": c.name == default}
            for c in checks
        ],
        "ffmpeg": ffmpeg,
        "model": model,
        "model_check": model_check,
        "gpu": _gpu_check(),
        "translation_cache": {"path": str(cache_path), "entries": entries},
        "config": str(cfg.path) if cfg.path else None,
    }


def _print_doctor(report: dict[str, Any], offline: bool) -> None:
    table = Table(title="translation engines", title_justify="left", show_edge=False)
    for column in ("engine", "configured", "reachable", "details"):
        table.add_column(column)
    for c in report["engines"]:
        mark = " (default)" if c["default"] else ""
        reachable = "skipped (--offline)" if offline and c["reachable"] == "not checked" else c["reachable"]
        table.add_row(escape(c["name"] + mark), c["configured"], reachable, escape(c["detail"] or c["description"]))
    out.print(table)
    model_check, gpu = report["model_check"], report["gpu"]
    out.print(f"ffmpeg: {escape(report['ffmpeg'])}", highlight=False)
    out.print(f"model:  {escape(report['model'])}", highlight=False)
    mark = "[red]DAMAGED[/] " if model_check["ok"] is False else ""
    out.print(f"        {mark}{escape(model_check['detail'])}", highlight=False)
    if model_check["fix"]:
        out.print(f"        fix: {escape(model_check['fix'])}", highlight=False)
    out.print(f"gpu:    {escape(gpu['summary'])}", highlight=False, soft_wrap=True)
    if gpu["fix"]:
        out.print(f"        fix: {escape(gpu['fix'])}", highlight=False, soft_wrap=True)
    cache = report["translation_cache"]
    out.print(f"translation cache: {escape(cache['path'])} ({cache['entries']} entries)", highlight=False)
    out.print(f"config: {escape(report['config']) if report['config'] else 'none found'}", highlight=False)


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
