"""``streamkit live``: Korean and English captions during the livestream, on the stream and on a page."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..config import load_config
from ..errors import OutputExistsError
from ._app import EXIT_INTERRUPTED, _guard, _setup_logging, app, err, out

SOURCE_HELP = ("A stream URL (HLS .m3u8, RTMP, SRT ...), a recording still being written (followed like "
               "tail -f), or an audio device (alsa:default, pulse:default).")


def _name_for(source: str) -> str:
    stem = Path(source.split("?")[0].rstrip("/")).stem
    if stem in ("", "index", "playlist", "live", "stream", "master", "default"):
        return "live"
    return stem


@app.command()
def live(
    source: Annotated[str, typer.Argument(help=SOURCE_HELP, show_default=False)],
    to: Annotated[str, typer.Option("--to", help="Target language of the translated captions.")] = "en",
    translator: Annotated[
        str | None,
        typer.Option("--translator", "-t", help="Engine for the translated captions (google, deepl, papago, "
                     "mymemory, libre; plugins add more) or none (Korean only). [default: google]"),
    ] = None,
    translator_url: Annotated[
        str | None, typer.Option("--translator-url", help="Server of the libre engine (LibreTranslate API).")
    ] = None,
    overlay: Annotated[
        int, typer.Option("--overlay", metavar="PORT", help="Port of the overlay and captions pages (0: any free one).")
    ] = 8765,
    host: Annotated[str, typer.Option(help="Address the pages are served on.")] = "127.0.0.1",
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for NAME.live.ko.srt ... [default: beside a recording, "
                                  "else the current folder].")
    ] = None,
    name: Annotated[str | None, typer.Option(help="NAME of the output files [default: from SOURCE].")] = None,
    record: Annotated[
        Path | None, typer.Option("--record", help="Keep a copy of the audio received (16 kHz WAV).")
    ] = None,
    idle_timeout: Annotated[
        float, typer.Option("--idle-timeout", metavar="S", help="A followed recording ends after S s without growth.")
    ] = 10.0,
    glossary: Annotated[
        list[Path] | None, typer.Option("--glossary", "-g", help="Extra glossary file (TOML); repeatable.")
    ] = None,
    formats: Annotated[str, typer.Option("--format", help="Rolling subtitle formats: srt, vtt.")] = "srt,vtt",
    beam_size: Annotated[int, typer.Option(help="Beam size while keeping up (lag control drops to 1).")] = 5,
    keep_invented: Annotated[
        bool, typer.Option("--keep-invented", help="Keep text the invented-text filter would drop.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite existing live drafts.")] = False,
    poll: Annotated[
        list[str] | None,
        typer.Option("--poll", metavar="SOURCE:ID", help="Record viewer counts alongside (youtube:VIDEO_ID, "
                     "twitch:LOGIN, x:POST_ID); repeatable. Keys as for `streamkit viewers poll`."),
    ] = None,
    viewers_db: Annotated[
        Path | None, typer.Option("--viewers-db", help="Viewer database for --poll [default: as `viewers poll`].")
    ] = None,
    event_log: Annotated[
        Path | None, typer.Option("--event-log", help="Append every event (caption_committed ...) to this file.")
    ] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST every event as JSON to this URL.")] = None,
    config: Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON at the end.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Errors only.")] = False,
) -> None:
    """Caption a livestream as it happens: an overlay for OBS, a captions page, rolling subtitle drafts.

    Writes **NAME.live.ko.srt** / **.vtt** (and **NAME.live.en.srt** ...) as sentences are committed;
    `streamkit subtitle` on the recording later never overwrites them. Stop with Ctrl-C: the files are
    finalized first. OBS Browser Source: **http://127.0.0.1:PORT/overlay?lang=en,ko&lines=2**.
    """
    _setup_logging(verbose, quiet)
    interrupted = False

    def body() -> None:
        nonlocal interrupted
        from ..live import LiveJob, LiveOptions, parse_source, run_live
        from ..live.polling import ViewerPoll, parse_poll_targets
        from ..media import find_ffmpeg
        from ..quality import QualityOptions
        from ..sinks import ENV_WEBHOOK_SECRET, configure_sinks, unregister_sinks
        from ..transcribe import WhisperTranscriber, resolve_model
        from ..web import check_port, start_server
        from ..web.live import LiveBoard, create_app
        from .subtitle import _load_glossary, _split_formats

        check_port(host, overlay)  # before any work
        spec = parse_source(source)
        cfg = load_config(config)
        folder = out_dir or (Path(spec.target).parent if spec.kind == "file" else Path.cwd())
        job_name = name or _name_for(spec.target)
        engine = translator or cfg.get("subtitle", "translator", "google")
        fmts = _split_formats(formats)
        langs = ["ko"] + ([to] if engine != "none" else [])
        existing = [folder / f"{job_name}.live.{lang}.{fmt}" for lang in langs for fmt in fmts]
        existing = [p for p in existing if p.exists()]
        if existing and not force:
            raise OutputExistsError(existing)
        job = LiveJob(
            source=spec, out_dir=folder, name=job_name, target=None if engine == "none" else to,
            translator=engine,
            translator_settings={**cfg.values.get("translator", {}),
                                 **({"url": translator_url} if translator_url else {})},
            glossary=_load_glossary(list(glossary or [])), formats=fmts, record=record,
            idle_timeout_s=idle_timeout, options=LiveOptions(beam_size=beam_size),
            quality=None if keep_invented else QualityOptions(), ffmpeg=find_ffmpeg(),
        )
        targets = parse_poll_targets(poll or [], job_name)
        transcriber = WhisperTranscriber(resolve_model("base", device="cpu"))
        _ = transcriber.model  # load once, before the stream starts
        board = LiveBoard()
        sinks = configure_sinks(event_log, webhook, os.environ.get(ENV_WEBHOOK_SECRET))
        server = start_server(create_app(board), host=host, port=overlay)
        viewers = ViewerPoll(targets, viewers_db).start() if targets else None
        try:
            if not quiet:
                err.print(f"captions: [bold]{server.url}/[/]   OBS overlay: [bold]{server.url}/overlay?lang="
                          f"{','.join(reversed(langs))}&lines=2[/]   (Ctrl-C to stop)", highlight=False, soft_wrap=True)
            result = run_live(job, transcriber, board.publish)
        finally:
            if viewers is not None:
                viewers.stop()
            board.broker.close()
            server.stop()
            unregister_sinks(sinks)
        interrupted = result.interrupted
        _print(result.summary(), as_json, quiet)

    _guard(body, verbose=verbose)
    if interrupted:
        err.print("[bold red]interrupted:[/] the live drafts were finalized", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)


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
