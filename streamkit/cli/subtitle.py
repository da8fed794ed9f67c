"""``streamkit subtitle``, ``streamkit mux`` and ``streamkit model``: the producer's commands."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import ConfigError, InputError, ModelError, OutputExistsError
from ..fsutil import FolderLock
from ..plugins import failures
from ..sinks import ENV_WEBHOOK_SECRET, check_event_log, configure_sinks, unregister_sinks
from ._app import _guard, _progress, _setup_logging, app, err, out

if TYPE_CHECKING:
    from ..job import SubtitleJob
    from ..models import SubtitleFile
    from ..pipeline import RunResult

# --------------------------------------------------------------------------- subtitle

FORMAT_HELP = "Subtitle formats to write, comma-separated: srt, vtt."

Recording = Annotated[Path, typer.Argument(help="The recording (mp4, mkv, mov, ts, or audio).", show_default=False)]
OutDir = Annotated[
    Path | None, typer.Option("--out", "-o", help="Folder for the outputs [default: next to the recording].")
]
ModelName = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Whisper model: a name (base, small, large-v3, turbo) or a folder. "
                 "[default: large-v3-turbo on CUDA, else the bundled base]"),
]
Device = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
ComputeType = Annotated[
    str | None, typer.Option(help="CTranslate2 compute type [default: int8 on CPU, float16 on CUDA].")
]
TranslatorName = Annotated[
    str | None,
    typer.Option("--translator", "-t", help="English engine: google, deepl, papago, mymemory, libre, llm, "
                 "whisper (offline, Whisper's own translation) or none (Korean only); plugins add more. "
                 "Keys come from environment variables or the config file. [default: google]"),
]
TranslatorUrl = Annotated[
    str | None, typer.Option("--translator-url", help="Server of the libre or llm engine "
                             "(LibreTranslate API; OpenAI-compatible /v1).")
]
Targets = Annotated[
    str | None,
    typer.Option("--to", metavar="LANGS", help="Subtitle languages, comma-separated, each translated from the "
                 "Korean: en, ja, es, pt, id, th, zh-Hans, zh-Hant, vi, fr, de, ar, tl, tr, ru, he. "
                 "[default: en, or [translate] targets in the config file]"),
]
DefaultTrack = Annotated[
    str | None, typer.Option("--default-track", metavar="LANG", help="Language of the replay's default "
                             "subtitle track [default: the first of --to].")
]
GlossaryFiles = Annotated[
    list[Path] | None,
    typer.Option("--glossary", "-g", help="Extra glossary file (TOML) for guests, songs, segments; repeatable. "
                 "Later files override earlier ones and the built-in glossary."),
]
Formats = Annotated[str, typer.Option("--format", help=FORMAT_HELP)]
Container = Annotated[str | None, typer.Option(help="Replay container: mp4 or mkv [default: as the input].")]
NoMux = Annotated[bool, typer.Option("--no-mux", help="Write subtitle files only, no replay video.")]
BurnIn = Annotated[
    str | None,
    typer.Option("--burn-in", metavar="LANG", help="Render LANG (ko or one of --to) into the picture instead "
                 "of soft tracks (re-encodes the video), with a font for its script."),
]
Force = Annotated[bool, typer.Option("--force", "-f", help="Overwrite existing outputs.")]
KeepInvented = Annotated[
    bool, typer.Option("--keep-invented", help="Keep text the invented-text filter would drop (music, outros, loops).")
]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Transcribe again even if a cached result exists.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary instead of the table.")]
EventLog = Annotated[
    Path | None, typer.Option("--event-log", help="Append every pipeline event to this JSON-lines file.")
]
Webhook = Annotated[
    str | None,
    typer.Option("--webhook", help="POST every pipeline event as JSON to this URL (signed with "
                 "$STREAMKIT_WEBHOOK_SECRET when set)."),
]
ConfigFile = Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars, errors only.")]


def _split_formats(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in value.split(",") if f.strip()))


@app.command()
def subtitle(
    recording: Recording, out_dir: OutDir = None, model: ModelName = None, device: Device = "auto",
    compute_type: ComputeType = None, translator: TranslatorName = None, translator_url: TranslatorUrl = None,
    to: Targets = None, default_track: DefaultTrack = None, glossary: GlossaryFiles = None,
    formats: Formats = "srt", container: Container = None, no_mux: NoMux = False, burn_in: BurnIn = None,
    force: Force = False, keep_invented: KeepInvented = False, no_cache: NoCache = False, as_json: AsJson = False,
    event_log: EventLog = None, webhook: Webhook = None, config: ConfigFile = None, verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Transcribe, translate and subtitle one recording.

    Writes **NAME.ko.srt**, **NAME.en.srt** and **NAME.subtitled.mp4** (video and audio
    copied untouched, plus Korean and English subtitle tracks, English the default) next to the
    recording or in --out. With --to en,ja,es ... one file and one track per language
    (NAME.ja.srt ...), each translated from the Korean. Existing outputs are never overwritten
    without --force.
    """
    _setup_logging(verbose, quiet)
    # The flags, in the config file's vocabulary (streamkit.jobconfig); unset ones leave the file's say.
    flags: dict[str, dict[str, object]] = {
        "model": {"name": model, "device": None if device == "auto" else device, "compute_type": compute_type},
        "translate": {"engine": translator, "targets": to.split(",") if to is not None else None},
        "translator": {"url": translator_url},
        "glossary": {"files": [str(p) for p in glossary] if glossary else None},
        "output": {"folder": out_dir, "formats": list(_split_formats(formats)) if formats != "srt" else None,
                   "container": container, "mux": False if no_mux else None, "burn_in": burn_in,
                   "default_track": default_track},
        "hooks": {"event_log": event_log, "webhook": webhook},
    }

    def body() -> None:
        from ..config import config_layer
        from ..jobconfig import Layer, build_settings

        overrides = Layer("command line", {s: {k: v for k, v in t.items() if v is not None} for s, t in flags.items()},
                          named=False)
        settings = build_settings([config_layer(config), overrides], keep_invented=keep_invented)
        result = _run_locked(settings.job_for(recording, force=force, use_cache=not no_cache), as_json or quiet)
        _show(result.summary(), as_json=as_json, quiet=quiet)

    _guard(body, verbose=verbose)


def _run_locked(job: SubtitleJob, quiet: bool) -> RunResult:
    """One run per output folder, with the job's event sinks: a second run (say, another recording with
    the same name) would replace this run's files. A missing input locks nothing: run_subtitle says why."""
    from ..pipeline import plan_outputs, run_subtitle

    protected = [job.input, *plan_outputs(job).values()]
    hooks = job.hooks
    if hooks.event_log is not None:
        check_event_log(hooks.event_log, protected)  # before the lock: a refused run leaves nothing
    lock = FolderLock(job.output_dir, "subtitle", command=f"streamkit subtitle {job.input}")
    with lock if job.input.is_file() else contextlib.nullcontext():
        sinks = configure_sinks(hooks.event_log, hooks.webhook, os.environ.get(ENV_WEBHOOK_SECRET),
                                protected=protected)
        try:
            with _progress(not quiet) as bars:
                return run_subtitle(job, progress=bars)
        finally:
            unregister_sinks(sinks)


def _show(summary: dict[str, Any], *, as_json: bool, quiet: bool) -> None:
    problems = failures()
    if problems:
        summary["plugin_failures"] = [{"plugin": f.plugin, "hook": f.hook, "error": f.error} for f in problems]
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    if not quiet:
        _print_summary(summary)
    for warning in summary["warnings"]:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)


def _print_summary(summary: dict[str, Any]) -> None:
    files = Table(title="streamkit subtitle", title_justify="left", show_edge=False)
    files.add_column("output")
    files.add_column("what")
    files.add_column("details", justify="right")
    for o in summary["outputs"]:
        if o["kind"] == "subtitles":
            files.add_row(escape(o["path"]), f"{o['language']} {o['format']}", f"{o['cues']} cues")
        else:
            what = f"burned-in {o['burned_in']}" if o["burned_in"] else "tracks " + ", ".join(o["tracks"])
            files.add_row(escape(o["path"]), f"{o['container']} replay", what)
    out.print(files)
    stages = Table(show_edge=False)
    stages.add_column("stage")
    stages.add_column("time", justify="right")
    stages.add_column("note")
    for s in summary["stages"]:
        stages.add_row(s["stage"], f"{s['seconds']:.1f} s", escape(s["note"]))
    total = sum(s["seconds"] for s in summary["stages"])
    stages.add_row("[bold]total[/]", f"[bold]{total:.1f} s[/]", f"{summary['duration_s']:.1f} s of recording")
    out.print(stages)
    m = summary["model"]
    out.print(f"model: [bold]{escape(m['name'])}[/] ({m['source']}, {m['device']}, {m['compute_type']}) "
              f"— {escape(m['reason'])}", highlight=False)
    for warning in summary.get("warnings", []):
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    voice = summary.get("voice")
    if voice and voice["left"]:
        spans = ", ".join(f"{v['start_ms'] / 1000:.1f}-{v['end_ms'] / 1000:.1f} s" for v in voice["left"][:8])
        more = f" and {len(voice['left']) - 8} more" if len(voice["left"]) > 8 else ""
        out.print(f"[yellow]voice without a cue:[/] {voice['voiced_seconds_without_cue']:.1f} s in "
                  f"{len(voice['left'])} stretches ({spans}{more}); `streamkit check --video` lists them",
                  highlight=False)


# --------------------------------------------------------------------------- mux


SubFiles = Annotated[
    list[Path],
    typer.Option("--sub", "-s", help="A subtitle file named NAME.LANG.srt (or .vtt); repeat for each track."),
]
MuxOutput = Annotated[
    Path | None, typer.Option("--output", "-o", help="Output video [default: NAME.subtitled.mp4 beside it].")
]
MuxContainer = Annotated[str | None, typer.Option(help="mp4 or mkv [default: as the input].")]
MuxDefault = Annotated[
    str | None,
    typer.Option("--default", "--default-track", help="Language of the default track [default: en when there "
                 "is one, else the first --sub]."),
]
MuxBurnIn = Annotated[
    str | None, typer.Option("--burn-in", metavar="LANG", help="Render this track into the picture instead.")
]
MuxForce = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output.")]
MuxVerbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")]
MuxQuiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


@app.command("mux")
def mux_command(
    video: Annotated[Path, typer.Argument(help="The original recording.", show_default=False)],
    subs: SubFiles, output: MuxOutput = None, container: MuxContainer = None, default: MuxDefault = None,
    burn_in: MuxBurnIn = None, force: MuxForce = False, verbose: MuxVerbose = 0, quiet: MuxQuiet = False,
) -> None:
    """Put corrected subtitle files into the replay (stream copy: no re-encode).

    For editors: after correcting NAME.ko.srt / NAME.en.srt, run
    **streamkit mux NAME.mp4 --sub NAME.en.srt --sub NAME.ko.srt --force**.
    """
    _setup_logging(verbose, quiet)

    def body() -> None:
        from ..media import probe
        from ..mux import burn_in as do_burn_in
        from ..mux import mux

        info = probe(video)
        files = _subtitle_files(subs)
        languages = [f.language for f in files]
        if default is not None and default not in languages and not burn_in:
            raise ConfigError(f"--default {default}: no --sub track in that language (tracks: "
                              f"{', '.join(languages)})", key="default",
                              hint="name one of the tracks, or leave --default out")
        default_language = default or ("en" if "en" in languages else languages[0])
        box, target = _mux_target(video, output, container, force=force)
        with _progress(not quiet) as bars:
            report = (lambda d, t: bars("mux", d, t)) if bars else None
            if burn_in:
                chosen = [f for f in files if f.language == burn_in]
                if not chosen:
                    raise ConfigError(f"--burn-in {burn_in}: no --sub file in that language", key="burn_in")
                result = do_burn_in(info, chosen[0], target, container=box, progress=report)
            else:
                result = mux(info, files, target, container=box, default_language=default_language,
                             progress=report)
        if not quiet:
            what = f"burned-in {result.burned_in}" if result.burned_in else ", ".join(
                f"{t.language} ({t.cues} cues)" for t in result.tracks)
            out.print(f"wrote [bold]{escape(str(result.path))}[/]: {what}", highlight=False)

    _guard(body, verbose=verbose)


def _subtitle_files(subs: list[Path]) -> list[SubtitleFile]:
    """Each ``--sub`` read and validated before ffmpeg sees it, its language from its name."""
    from ..models import SubtitleFile
    from ..subtitles import language_from_path, read_subtitles

    files: list[SubtitleFile] = []
    for path in subs:
        language = language_from_path(path)
        if language is None:
            raise InputError(path, "cannot tell the language from the name",
                             hint="name it NAME.LANG.srt, e.g. show.en.srt or show.ko.srt")
        track = read_subtitles(path, language)
        files.append(SubtitleFile(path, language, path.suffix.lstrip(".").lower(), len(track.cues)))
    return files


def _mux_target(video: Path, output: Path | None, container: str | None, *, force: bool) -> tuple[str | None, Path]:
    """The container (None: the output's extension decides) and the output path, refused if it is taken."""
    from ..mux import container_for, output_name

    if output is not None and container is None:
        box, target = None, output
    else:
        box = container_for(video, container)
        target = output or video.with_name(output_name(video, box))
    if target.resolve() == video.resolve():
        raise InputError(video, "the output would overwrite the input", hint="choose another --output")
    if target.exists() and not force:
        raise OutputExistsError([target])
    return box, target


# --------------------------------------------------------------------------- model


@app.command("model")
def model_command(
    model: Annotated[str | None, typer.Option("--model", "-m", help="Name or folder to resolve.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    verify: Annotated[
        bool, typer.Option("--verify", help="Hash every file of the bundled model against its declared sha256.")
    ] = False,
    repair: Annotated[
        bool, typer.Option("--repair", help="Rebuild the bundled model's cache from its parts packages if damaged.")
    ] = False,
) -> None:
    """Show which Whisper model would run and why (the bundled one is assembled and hashed on first use).

    Later runs check the cached files' size and time only; --verify hashes every byte (bit rot keeps
    both), and --repair rebuilds a damaged cache from the installed parts packages.
    """

    def body() -> None:
        from ..modelstore import repair_bundled, verify_bundled
        from ..transcribe import resolve_model

        choice = resolve_model(model, device=device, allow_download=False)
        out.print(f"model: [bold]{escape(choice.name)}[/] ({choice.source}, {choice.device}, {choice.compute_type})",
                  highlight=False)
        out.print(f"where: {escape(choice.location)}", highlight=False)
        out.print(f"why:   {escape(choice.reason)}", highlight=False)
        if not (verify or repair):
            return
        if choice.source != "bundled":
            out.print("check: no declared sha256 for this model (only the bundled base has one)", highlight=False)
            return
        check = verify_bundled(choice.name)
        if check is not None and not check.ok and repair:
            repair_bundled(choice.name)
            out.print(f"rebuilt from the parts packages ({escape(check.problem())})", highlight=False)
            check = verify_bundled(choice.name)
        if check is None or not check.ok:
            problem = check.problem() if check is not None else "no cached copy"
            raise ModelError(choice.name, f"the cached model is damaged: {problem}", hint=REPAIR_HINT)
        out.print(f"verified: {len(check.files)} files match the sha256 the {check.source} parts declare",
                  highlight=False)

    _guard(body)


REPAIR_HINT = "streamkit model --repair rebuilds it from the installed parts packages"


