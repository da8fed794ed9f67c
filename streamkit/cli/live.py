"""``streamkit live``: Korean and English captions during the livestream, on the stream and on a page."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ..config import load_config
from ..errors import OutputExistsError
from ._app import EXIT_INTERRUPTED, _guard, _setup_logging, app, err, out

if TYPE_CHECKING:
    from ..live import LiveJob, LiveResult

SOURCE_HELP = ("A stream URL (HLS .m3u8, RTMP, SRT ...), a recording still being written (followed like "
               "tail -f), or an audio device (alsa:default, pulse:default).")

Source = Annotated[str, typer.Argument(help=SOURCE_HELP, show_default=False)]
To = Annotated[str, typer.Option("--to", metavar="LANGS", help="Languages of the translated captions, comma-separated, "
                                 "each translated from the Korean (en,ja,es ...): one overlay box, history "
                                 "column and NAME.live.LANG.srt each.")]
Translator = Annotated[str | None, typer.Option(
    "--translator", "-t", help="Engine for the translated captions (google, deepl, papago, mymemory, libre; "
    "plugins add more), whisper (English from the speech, offline) or none (Korean only). [default: google]")]
TranslatorUrl = Annotated[str | None, typer.Option(
    "--translator-url", help="Server of the libre engine (LibreTranslate API).")]
Overlay = Annotated[int, typer.Option(
    "--overlay", metavar="PORT", help="Port of the overlay and captions pages (0: any free one).")]
Host = Annotated[str, typer.Option(help="Address the pages are served on.")]
OutDir = Annotated[Path | None, typer.Option(
    "--out", "-o", help="Folder for NAME.live.ko.srt ... [default: beside a recording, else the current folder].")]
Name = Annotated[str | None, typer.Option(help="NAME of the output files [default: from SOURCE].")]
Record = Annotated[Path | None, typer.Option("--record", help="Keep a copy of the audio received (16 kHz WAV).")]
IdleTimeout = Annotated[float, typer.Option(
    "--idle-timeout", metavar="S", help="A followed recording ends after S s without growth.")]
Glossary = Annotated[list[Path] | None, typer.Option(
    "--glossary", "-g", help="Extra glossary file (TOML); repeatable.")]
Formats = Annotated[str, typer.Option("--format", help="Rolling subtitle formats: srt, vtt.")]
BeamSize = Annotated[int, typer.Option(help="Beam size while keeping up (lag control drops to 1).")]
KeepInvented = Annotated[bool, typer.Option("--keep-invented", help="Keep text the invented-text filter would drop.")]
Force = Annotated[bool, typer.Option("--force", "-f", help="Overwrite existing live drafts.")]
Poll = Annotated[list[str] | None, typer.Option(
    "--poll", metavar="SOURCE:ID", help="Record viewer counts alongside (youtube:VIDEO_ID, twitch:LOGIN, "
    "x:POST_ID); repeatable. Keys as for `streamkit viewers poll`.")]
ViewersDb = Annotated[Path | None, typer.Option(
    "--viewers-db", help="Viewer database for --poll [default: as `viewers poll`].")]
EventLog = Annotated[Path | None, typer.Option(
    "--event-log", help="Append every event (caption_committed ...) to this file.")]
Webhook = Annotated[str | None, typer.Option("--webhook", help="POST every event as JSON to this URL.")]
Config = Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the run summary as JSON at the end.")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Errors only.")]


@app.command()
def live(
    source: Source, to: To = "en", translator: Translator = None, translator_url: TranslatorUrl = None,
    overlay: Overlay = 8765, host: Host = "127.0.0.1", out_dir: OutDir = None, name: Name = None,
    record: Record = None, idle_timeout: IdleTimeout = 10.0, glossary: Glossary = None, formats: Formats = "srt,vtt",
    beam_size: BeamSize = 5, keep_invented: KeepInvented = False, force: Force = False, poll: Poll = None,
    viewers_db: ViewersDb = None, event_log: EventLog = None, webhook: Webhook = None, config: Config = None,
    as_json: AsJson = False, verbose: Verbose = 0, quiet: Quiet = False,
) -> None:
    """Caption a livestream as it happens: an overlay for OBS, a captions page, rolling subtitle drafts.

    Writes **NAME.live.ko.srt** / **.vtt** (and **NAME.live.en.srt** ...) as sentences are committed;
    `streamkit subtitle` on the recording later never overwrites them. Stop with Ctrl-C: the files are
    finalized first. OBS Browser Source: **http://127.0.0.1:PORT/overlay?lang=en,ko&lines=2**.
    """
    _setup_logging(verbose, quiet)

    def body() -> LiveResult:
        from ..web import check_port

        check_port(host, overlay)  # before any work
        job = _build_job(source, to, translator, translator_url, out_dir, name, record, idle_timeout,
                         glossary or [], formats, beam_size, keep_invented, force, config)
        return _serve_and_run(job, host, overlay, poll or [], viewers_db, event_log, webhook, quiet)

    result = _guard(body, verbose=verbose)
    _print(result.summary(), as_json, quiet)
    if result.interrupted:
        err.print("[bold red]interrupted:[/] the live drafts were finalized", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)


def _name_for(source: str) -> str:
    stem = Path(source.split("?")[0].rstrip("/")).stem
    if stem in ("", "index", "playlist", "live", "stream", "master", "default"):
        return "live"
    return stem


def _build_job(source: str, to: str, translator: str | None, translator_url: str | None, out_dir: Path | None,
               name: str | None, record: Path | None, idle_timeout: float, glossary: list[Path], formats: str,
               beam_size: int, keep_invented: bool, force: bool, config: Path | None) -> LiveJob:
    """The :class:`LiveJob` of the command line and the config file; refuses to overwrite drafts without --force."""
    from ..glossary import optional_glossary
    from ..languages import parse_targets
    from ..live import LiveJob, LiveOptions, parse_source
    from ..media import find_ffmpeg
    from ..quality import QualityOptions
    from ..translation.options import DEFAULT_ENGINE, TranslatorSettings
    from .subtitle import _split_formats

    spec = parse_source(source)
    cfg = load_config(config)
    folder = out_dir or (Path(spec.target).parent if spec.kind == "file" else Path.cwd())
    job_name = name or _name_for(spec.target)
    engine = translator or cfg.get("translate", "engine", DEFAULT_ENGINE)
    fmts = _split_formats(formats)
    targets = parse_targets(to) if engine != "none" else ()
    langs = ["ko", *targets]
    existing = [p for p in (folder / f"{job_name}.live.{lang}.{fmt}" for lang in langs for fmt in fmts) if p.exists()]
    if existing and not force:
        raise OutputExistsError(existing)
    settings = TranslatorSettings.from_table(cfg.values.get("translator", {})).with_url(translator_url)
    return LiveJob(
        source=spec, out_dir=folder, name=job_name, target=None, targets=targets, translator=engine,
        translator_settings=settings, glossary=optional_glossary(glossary), formats=fmts, record=record,
        idle_timeout_s=idle_timeout, options=LiveOptions(beam_size=beam_size),
        quality=None if keep_invented else QualityOptions(), ffmpeg=find_ffmpeg(),
    )


def _serve_and_run(job: LiveJob, host: str, port: int, poll: list[str], viewers_db: Path | None,
                   event_log: Path | None, webhook: str | None, quiet: bool) -> LiveResult:
    """Load the model, start the pages, the hook sinks and the viewer polls; run; stop them all whatever happens."""
    from ..live import run_live
    from ..live.polling import ViewerPoll, parse_poll_targets
    from ..sinks import ENV_WEBHOOK_SECRET, configure_sinks, unregister_sinks
    from ..transcribe import WhisperTranscriber, resolve_model
    from ..web import start_server
    from ..web.live import LiveBoard, create_app

    targets = parse_poll_targets(poll, job.name)
    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"))
    _ = transcriber.model  # load once, before the stream starts
    board = LiveBoard()
    sinks = configure_sinks(event_log, webhook, os.environ.get(ENV_WEBHOOK_SECRET))
    server = start_server(create_app(board), host=host, port=port)
    viewers = ViewerPoll(targets, viewers_db).start() if targets else None
    try:
        if not quiet:
            langs = ",".join([*job.targets, job.options.language])
            err.print(f"captions: [bold]{server.url}/[/]   OBS overlay: [bold]{server.url}/overlay?lang={langs}"
                      "&lines=2[/]   (Ctrl-C to stop)", highlight=False, soft_wrap=True)
        return run_live(job, transcriber, board.publish)
    finally:
        if viewers is not None:
            viewers.stop()
        board.broker.close()
        server.stop()
        unregister_sinks(sinks)


def _print(summary: dict[str, Any], as_json: bool, quiet: bool) -> None:
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    if quiet:
        return
    for path in summary["files"]:
        out.print(f"wrote {escape(path)}", highlight=False, soft_wrap=True)
    lag = summary["lag_s"]
    out.print(f"{summary['audio_s']} s of audio, sentences {summary['sentences']}; lag median {lag['median']} s, "
              f"max {lag['max']} s; {summary['gaps']} gap(s), {summary['skipped_s']} s skipped; "
              f"CPU {summary['cpu_share_of_one_core']:.0%} of one core", highlight=False, soft_wrap=True)
