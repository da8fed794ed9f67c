"""``streamkit review``: the editor's page for one recording, served on 127.0.0.1."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ._app import _guard, _setup_logging, app, out, parse_fps
from .translate import TEXT_ENGINES_HELP, ExtraGlossary, NoGlossary, TranslatorUrl, _engine_settings

log = logging.getLogger("streamkit")


@app.command("review")
def review_command(
    video: Annotated[Path, typer.Argument(help="The recording (or its subtitled replay).", show_default=False)],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder of the subtitle files [default: beside the recording].")
    ] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to serve on (keep it local).")] = "127.0.0.1",
    translator: Annotated[str | None, typer.Option("--translator", "-t", help=TEXT_ENGINES_HELP +
                                                   " [default: the engine that made the draft]")] = None,
    translator_url: TranslatorUrl = None,
    glossary: ExtraGlossary = None,
    no_glossary: NoGlossary = False,
    fps: Annotated[str | None, typer.Option("--fps", help="Frame rate [default: the video's].")] = None,
    no_voice: Annotated[bool, typer.Option("--no-voice", help="Do not look for speech with no cue.")] = False,
    open_page: Annotated[bool, typer.Option("--open/--no-open", help="Open the page in the web browser.")] = True,
    config: Annotated[Path | None, typer.Option(help="Config file (TOML) [default: ./streamkit.toml].")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")] = 0,
) -> None:
    """Open the editor's page: the video, Korean and English side by side, checked as you type.

    Finds NAME.LANG.srt beside the recording (and in --out). Edit text and times, split, merge,
    fix, re-translate the Korean you changed, save (a file changed on disk meanwhile is a
    conflict, never overwritten silently) and mux the replay. Ctrl-C stops the server.
    """
    _setup_logging(verbose, False)

    def body() -> None:
        from ..web import EventBroker, check_port, start_server
        from ..web.review import ReviewOptions, check_in_background, create_app, open_review
        from ..web.review.app import LOCAL_HOSTS

        check_port(host, port)
        cfg, settings = _engine_settings(config, translator_url)
        options = ReviewOptions(translator=translator, translator_settings=settings,
                                configured_translator=cfg.get("translate", "engine"),
                                glossary=tuple(glossary or ()), no_glossary=no_glossary, fps=parse_fps(fps))
        session = open_review(video, out_dir, options)
        broker = EventBroker()
        check_in_background(session, broker, voice=not no_voice)
        hosts = (*LOCAL_HOSTS, host) if host not in LOCAL_HOSTS else LOCAL_HOSTS
        server = start_server(create_app(session, broker, hosts=hosts), host=host, port=port)
        files = ", ".join(t.path.name for t in session.tracks.values())
        out.print(f"reviewing [bold]{escape(video.name)}[/] ({escape(files)}) at {server.url}/", highlight=False)
        out.print("Ctrl-C stops", style="dim", highlight=False)
        if open_page:
            import webbrowser

            webbrowser.open(server.url + "/")
        try:
            server.wait()
        except KeyboardInterrupt:
            out.print("stopped (unsaved edits on the page are lost)", style="dim", highlight=False)
        finally:
            broker.close()
            server.stop()

    _guard(body, verbose=verbose)
