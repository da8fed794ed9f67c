"""The Typer app and what every command shares: error handling, logging, progress bars.

The ``streamkit.cli`` package is the only part of streamkit that prints, formats errors and exits.

Every command runs through :func:`_guard`, the one place where a :class:`StreamkitError`
becomes a one-line message with a hint and an exit code, Ctrl-C becomes a clean exit 130,
and anything unexpected becomes a one-line internal error (the traceback only with ``-v``).
"""

from __future__ import annotations

import errno
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Annotated, ClassVar, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from .. import __version__
from ..errors import ConfigError, OutputError, StreamkitError
from ..fsutil import write_problem
from ..redaction import redact

log = logging.getLogger("streamkit")

app = typer.Typer(
    name="streamkit",
    help="Turn a Korean livestream recording into Korean and English subtitles and a subtitled replay.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)

# No emoji codes: a file named "live :tv:.mp4" is printed as typed (user strings are also escaped).
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70
T = TypeVar("T")


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose >= 2:
        level = logging.DEBUG
    elif verbose == 1:
        level = logging.INFO
    handler = RichHandler(console=err, show_path=False, show_time=False, markup=False)
    logger = logging.getLogger("streamkit")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    # faster-whisper logs every VAD decision at INFO; keep it for -vv.
    logging.getLogger("faster_whisper").setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)


def _fail(message: str, hint: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(redact(message))}", highlight=False, soft_wrap=True)
    if hint:
        err.print(f"[dim]hint:[/] {escape(redact(hint))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _guard(fn: Callable[[], T], *, verbose: int = 0) -> T:
    """Run a command body; turn every failure into one line and an exit code."""
    try:
        return fn()
    except StreamkitError as exc:
        if verbose:
            log.debug("details", exc_info=True)
        _fail(" ".join(str(exc).split("\n")[:1]), exc.hint, exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted; no half-written output was left behind",
              "run the same command again: finished transcription is reused", EXIT_INTERRUPTED)
    except typer.Exit:
        raise
    except Exception as exc:
        if verbose:
            trace = traceback.format_exc()
            if redact(trace) == trace:
                err.print_exception()
            else:  # the traceback quotes a credential: plain text, blanked
                err.print(escape(redact(trace)), highlight=False, soft_wrap=True)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            # A write streamkit does not wrap itself (a library's): still the disk, not a bug.
            problem, hint = write_problem(exc)
            _fail(f"{exc.filename or 'output'}: {problem}", hint or "", OutputError.exit_code)
        if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
            # A name given on the command line that no file system call can take (``Path.exists`` raises).
            _fail(f"{exc.filename or 'a path'}: file name too long for the file system",
                  "give it a shorter name", OutputError.exit_code)
        _fail(f"internal error: {type(exc).__name__}: {exc}",
              "this is a streamkit bug; run again with -v and report the traceback", EXIT_INTERNAL)


def parse_fps(value: str | None) -> Fraction | None:
    """``--fps`` as an exact frame rate (``24``, ``29.97``, ``30000/1001``); None when not given."""
    if value is None:
        return None
    try:
        fps = Fraction(value)
    except (ValueError, ZeroDivisionError) as exc:
        raise ConfigError(f"--fps {value!r} is not a frame rate", key="fps",
                          hint="e.g. 24, 29.97 or 30000/1001") from exc
    if fps <= 0:
        raise ConfigError(f"--fps {value!r} must be positive", key="fps")
    return fps


VIDEO_HELP = ("The video the subtitles are for: its frame rate sets the 2-frame gap rule (check: and voice "
              "with no cue over it is listed).")
FPS_HELP = "Frame rate instead of --video (24, 29.97, 30000/1001) [default: 24]."


def frame_rate(video: Path | None, fps: str | None) -> tuple[Fraction | None, str]:
    """The frame rate from ``--fps`` or ``--video`` and where it came from (None: not given)."""
    rate = parse_fps(fps)
    if rate is not None:
        return rate, "--fps"
    if video is not None:
        from ..media import probe

        info = probe(video)
        if info.fps:
            return info.fps, f"video {video.name}"
        return None, f"{video.name} has no video track; 24 fps assumed"
    return None, "24 fps assumed (give --video or --fps)"


def clock(ms: int) -> str:
    """``HH:MM:SS,mmm``, as SRT writes times."""
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, rest = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{rest:03d}"


def _version(value: bool) -> None:
    if value:
        out.print(f"streamkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Korean K-pop livestream recording in; Korean and English subtitles and a subtitled replay out.

    Start with **streamkit subtitle RECORDING.mp4**.
    """


# --------------------------------------------------------------------------- progress


class _Bars:
    """Rich progress bars, one per stage, driven by seconds of audio processed."""

    LABELS: ClassVar[dict[str, str]] = {
        "media": "Decoding audio",
        "transcribe": "Transcribing (ko)",
        "translate": "Translating",
        "mux": "Muxing replay",
    }

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: float, total: float) -> None:
        if stage not in self.tasks:
            label = self.LABELS.get(stage, stage)
            self.tasks[stage] = self.progress.add_task(label, total=max(total, 0.001))
        self.progress.update(self.tasks[stage], completed=done, total=max(total, 0.001))


@contextmanager
def _progress(enabled: bool) -> Iterator[_Bars | None]:
    if not enabled:
        yield None
        return
    progress = Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        TextColumn("{task.completed:>7.1f}/{task.total:.1f} s audio"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    with progress:
        yield _Bars(progress)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, prog_name="streamkit")
    except KeyboardInterrupt:  # raised outside a command body (e.g. while importing)
        err.print("[bold red]error:[/] interrupted")
        sys.exit(EXIT_INTERRUPTED)
