"""``streamkit viewers record | import | poll | report``: who watched the live and the replay."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ._app import _guard, _setup_logging, app, err, out

if TYPE_CHECKING:
    from ..viewer_sources import PollTarget
    from ..viewers import AddResult, ViewerReport, ViewerSample, ViewerStore

viewers_app = typer.Typer(
    name="viewers",
    help="Record, import, poll and report viewer counts of the live and the replay.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(viewers_app, name="viewers")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Viewer database (SQLite) [default: $STREAMKIT_VIEWERS_DB, else "
                 "~/.local/share/streamkit/viewers.sqlite]."),
]
EventLogOption = Annotated[
    Path | None, typer.Option("--event-log", help="Also append every recorded sample to this JSON-lines file.")
]
WebhookOption = Annotated[
    str | None,
    typer.Option("--webhook", metavar="URL", help="Also POST every recorded sample to URL as JSON (signed with "
                 "$STREAMKIT_WEBHOOK_SECRET if set)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable result instead.")]
VerboseOption = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Errors only.")]
VersionOption = Annotated[str, typer.Option("--version", help="live or replay.")]
LanguageOption = Annotated[
    str | None, typer.Option("--language", "-l", help="ko, en ... [default: ko for live, en for replay]")
]
KindOption = Annotated[
    str, typer.Option("--kind", "-k", help="concurrent, cumulative, participants, impressions or manual.")
]
PlatformOption = Annotated[str, typer.Option("--platform", "-p", help="Where it was watched, e.g. youtube.")]
TimeOption = Annotated[
    str | None, typer.Option("--time", "-t", help="ISO 8601 time of the figure [default: now]; no zone = UTC.")
]


@contextmanager
def _store(
    db: Path | None, *, create: bool = True, event_log: Path | None = None, inputs: Sequence[Path] = ()
) -> Iterator[ViewerStore]:
    from ..sinks import check_event_log
    from ..viewers import ViewerStore, default_db_path

    if event_log is not None:  # before the store is created: never the store itself nor an input
        check_event_log(event_log, protected=[db or default_db_path(), *inputs])
    store = ViewerStore(db, create=create)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _sinks(event_log: Path | None, webhook: str | None) -> Iterator[None]:
    from ..sinks import ENV_WEBHOOK_SECRET, configure_sinks, unregister_sinks

    sinks = configure_sinks(event_log, webhook, os.environ.get(ENV_WEBHOOK_SECRET))
    try:
        yield
    finally:
        unregister_sinks(sinks)


def _plugin_failures() -> list[dict[str, str]]:
    from ..plugins import failures

    return [{"plugin": f.plugin, "hook": f.hook, "error": f.error} for f in failures()]


def _run(body: Callable[[], None], verbose: int, quiet: bool) -> None:
    _setup_logging(verbose, quiet)
    _guard(body, verbose=verbose)


# --------------------------------------------------------------------------- record


@viewers_app.command("record")
def record(
    stream: Annotated[str, typer.Option("--stream", "-s", help="Stream name, e.g. decade-live.", show_default=False)],
    value: Annotated[str, typer.Option("--value", help="The figure: 1300000, 1,300,000 or 1.3M.", show_default=False)],
    version: VersionOption = "live",
    kind: KindOption = "manual",
    language: LanguageOption = None,
    platform: PlatformOption = "unspecified",
    when: TimeOption = None,
    source: Annotated[str, typer.Option("--source", help="Where the figure came from.")] = "manual",
    db: DbOption = None,
    event_log: EventLogOption = None,
    webhook: WebhookOption = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Record one figure by hand (kind **manual** unless --kind says otherwise).

    Example: **streamkit viewers record -s decade-live --version live --kind cumulative --value 1.3M -p youtube**
    """

    def body() -> None:
        from ..viewers import record_samples, sample_from_fields

        sample, naive = sample_from_fields(
            {"time": when or datetime.now(UTC), "stream": stream, "version": version, "language": language,
             "platform": platform, "kind": kind, "value": value, "source": source},
            default_source="manual",
        )
        with _store(db, event_log=event_log) as store, _sinks(event_log, webhook):
            result = record_samples(store, [sample])
            path = store.path
        status = "recorded" if result.added else "conflict" if result.conflicts else "already stored"
        if as_json:
            print(json.dumps({"status": status, "sample": sample.to_dict(), "db": str(path),
                              "naive_time": naive,
                              "stored_value": result.conflicts[0][1] if result.conflicts else None,
                              "plugin_failures": _plugin_failures()}, indent=2))
            return
        _print_recorded(sample, result, status, when if naive else None, quiet)

    _run(body, verbose, quiet)


def _print_recorded(s: ViewerSample, result: AddResult, status: str, naive_when: str | None, quiet: bool) -> None:
    if naive_when is not None:
        err.print(f"[yellow]warning:[/] time {escape(naive_when)} has no time zone; taken as UTC",
                  highlight=False, soft_wrap=True)
    what = f"{s.stream} {s.version} ({s.language}, {s.platform}) {s.kind} {s.value:,} at {s.to_dict()['time']}"
    if result.conflicts:
        err.print(f"[yellow]not recorded:[/] {escape(what)}: the same figure is already stored with value "
                  f"{result.conflicts[0][1]:,} (kept)", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    if not quiet:
        out.print(f"{status}: {escape(what)}", highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- import


@viewers_app.command("import")
def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="CSV (with a header row) or JSON-lines files.", show_default=False)
    ],
    db: DbOption = None,
    event_log: EventLogOption = None,
    webhook: WebhookOption = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Import samples from CSV or JSON lines; re-importing stores nothing twice.

    Columns: **time, stream, version, kind, value** and optionally **language, platform, source**.
    Bad rows are listed with their line numbers and skipped; the good rows are kept. Exits with 2
    when any row was skipped.
    """

    def body() -> None:
        from ..viewers import ImportResult, import_samples

        results: list[ImportResult] = []
        with _store(db, event_log=event_log, inputs=files) as store, _sinks(event_log, webhook):
            for path in files:
                results.append(import_samples(store, path))
        skipped = sum(len(r.problems) for r in results)
        if as_json:
            print(json.dumps({"files": [r.to_dict() for r in results], "plugin_failures": _plugin_failures()},
                             indent=2))
        else:
            for r in results:
                for p in r.problems:
                    err.print(f"[yellow]skipped:[/] {escape(str(r.path))} line {p.line}: {escape(p.problem)}",
                              highlight=False, soft_wrap=True)
                for s, stored in r.conflicts:
                    err.print(f"[yellow]conflict:[/] {escape(str(r.path))}: {escape(s.to_dict()['time'])} "
                              f"{escape(s.stream)} {s.version} {escape(s.platform)} {s.kind} {s.value:,} — stored "
                              f"value {stored:,} kept", highlight=False, soft_wrap=True)
                for note in r.notes:
                    err.print(f"[yellow]note:[/] {escape(str(r.path))}: {escape(note)}", highlight=False,
                              soft_wrap=True)
                if not quiet:
                    out.print(f"{escape(str(r.path))}: {r.added} new sample(s), {r.duplicates} already stored, "
                              f"{len(r.conflicts)} conflict(s), {len(r.problems)} bad row(s) skipped",
                              highlight=False, soft_wrap=True)
        if skipped:
            raise typer.Exit(2)

    _run(body, verbose, quiet)


# --------------------------------------------------------------------------- poll


@viewers_app.command("poll")
def poll(
    stream: Annotated[str, typer.Option("--stream", "-s", help="Stream name the samples belong to.",
                                        show_default=False)],
    youtube: Annotated[list[str] | None, typer.Option("--youtube", help="YouTube video id (repeatable).")] = None,
    twitch: Annotated[list[str] | None, typer.Option("--twitch", help="Twitch channel login (repeatable).")] = None,
    x: Annotated[list[str] | None, typer.Option("--x", help="X post id with the video (repeatable).")] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", metavar="SOURCE:ID", help="Any registered source (plugins).")
    ] = None,
    version: VersionOption = "live",
    language: Annotated[
        str | None, typer.Option("--language", "-l", help="[default: ko for live, en for replay]")
    ] = None,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between polls (raised to fit quotas).")] = 60.0,
    count: Annotated[int | None, typer.Option("--count", min=1, help="Stop after N polling rounds.")] = None,
    duration: Annotated[float | None, typer.Option("--duration", help="Stop after this many seconds.")] = None,
    once: Annotated[bool, typer.Option("--once", help="Poll once and exit (same as --count 1).")] = False,
    db: DbOption = None,
    event_log: EventLogOption = None,
    webhook: WebhookOption = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Poll platform APIs for live counts and store them (one poller per database).

    Keys come from the environment: **STREAMKIT_YOUTUBE_API_KEY**, **STREAMKIT_TWITCH_CLIENT_ID** +
    **STREAMKIT_TWITCH_TOKEN**, **STREAMKIT_X_BEARER_TOKEN**. Runs until Ctrl-C unless --once,
    --count or --duration says otherwise.
    """

    def body() -> None:
        from ..viewer_sources import Poller, SourceError

        targets = _poll_targets({"youtube": youtube, "twitch": twitch, "x": x}, target, stream, version, language)

        def say(message: str) -> None:
            if not (quiet or as_json):
                stamp = datetime.now(UTC).strftime("%H:%M:%SZ")
                err.print(f"[dim]{stamp}[/] {escape(message)}", highlight=False, soft_wrap=True)

        with _store(db, event_log=event_log) as store, _sinks(event_log, webhook):
            poller = Poller(store, targets, interval=interval, report=say)
            summary = poller.run(count=1 if once else count, duration=duration)
        if as_json:
            print(json.dumps({**summary.to_dict(), "interval": poller.interval,
                              "plugin_failures": _plugin_failures()}, indent=2))
        elif not quiet:
            stopped = " (stopped with Ctrl-C)" if summary.interrupted else ""
            out.print(f"{summary.cycles} round(s), {summary.polls} call(s), {summary.added} new sample(s)"
                      f"{stopped}", highlight=False, soft_wrap=True)
        if summary.added == 0 and summary.problems and not summary.interrupted:
            raise SourceError(targets[0].source if len(targets) == 1 else "all",
                              f"no sample obtained; last problem: {summary.problems[-1]}")

    _run(body, verbose, quiet)


def _poll_targets(
    ids: dict[str, list[str] | None], specs: list[str] | None, stream: str, version: str, language: str | None
) -> list[PollTarget]:
    """``--youtube ID`` ... and ``--target SOURCE:ID`` as poll targets, in the order given."""
    from ..errors import ConfigError
    from ..viewer_sources import PollTarget

    targets = [PollTarget(source, i, stream, version, language) for source, given in ids.items() for i in given or []]
    for spec in specs or []:
        name, sep, ident = spec.partition(":")
        if not sep or not name or not ident:
            raise ConfigError(f"--target {spec!r} is not SOURCE:ID", key="target", hint="e.g. --target weverse:123")
        targets.append(PollTarget(name.strip(), ident.strip(), stream, version, language))
    return targets


# --------------------------------------------------------------------------- report


@viewers_app.command("report")
def report(
    stream: Annotated[str | None, typer.Option("--stream", "-s", help="Only this stream.")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write a PNG chart of counts over time.")] = None,
    html_page: Annotated[Path | None, typer.Option("--html", help="Write an HTML page (table + chart).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Per stream and version: peak concurrent viewers and when, totals per kind, live vs. replay.

    Kinds are never added to each other; every total says how it was obtained.
    """

    def body() -> None:
        from ..viewers import TIME_RANGE, ViewerError, build_report, split_time_range, write_chart, write_html

        with _store(db, create=False) as store:
            samples, left_out = split_time_range(store.samples(stream=stream))
            path = store.path
        if left_out:  # stored before input was checked; they would break the chart's dates
            low, high = (t.date() for t in TIME_RANGE)
            err.print(f"[yellow]warning:[/] left out {len(left_out)} sample(s) with times outside {low} .. {high}, "
                      f"e.g. {escape(left_out[0].to_dict()['time'])}", highlight=False, soft_wrap=True)
        if not samples:
            which = f" for stream {stream!r}" if stream else ""
            raise ViewerError(f"{path}: no viewer samples{which}", hint="record, import or poll some first")
        result = build_report(samples)
        written: list[str] = []
        if chart is not None:
            written.append(str(write_chart(samples, chart, title=stream)))
        if html_page is not None:
            written.append(str(write_html(result, samples, html_page)))
        if as_json:
            print(json.dumps({**result.to_dict(), "db": str(path), "written": written,
                              "left_out": [x.to_dict() for x in left_out]}, indent=2,
                             ensure_ascii=False))
            return
        if not quiet:
            _print_report(result)
            for name in written:
                out.print(f"wrote [bold]{escape(name)}[/]", highlight=False, soft_wrap=True)

    _run(body, verbose, quiet)


def _print_report(result: ViewerReport) -> None:
    from ..viewers import KIND_LABELS

    def when(d: Any) -> str:
        return str(d.strftime("%Y-%m-%d %H:%M:%S"))

    for s in result.streams:
        table = Table(title=f"{s.stream}", title_justify="left", show_edge=False, show_lines=True)
        table.add_column("version")
        table.add_column("peak concurrent", justify="right")
        table.add_column("at (UTC)", no_wrap=True)
        table.add_column("totals (how)")
        table.add_column("samples", justify="right")
        for v in s.versions:
            peak = f"{v.peak.value:,}" if v.peak else "—"
            at = f"{when(v.peak.time)}\n[dim]{escape(v.peak.platform)}/{escape(v.peak.language)}[/]" if v.peak else "—"
            totals = "\n".join(f"{KIND_LABELS[t.kind]}: [bold]{t.value:,}[/] [dim]({escape(t.method)})[/]"
                               for t in v.totals) or "—"
            table.add_row(v.version, peak, at, totals, f"{v.samples:,}")
        out.print(table)
        if s.totals:
            both = Table(show_edge=False)
            both.add_column("live + replay")
            both.add_column("total", justify="right")
            both.add_column("how")
            for t in s.totals:
                both.add_row(KIND_LABELS[t.kind], f"[bold]{t.value:,}[/]", escape(t.method))
            out.print(both)
        peaks = [f"{v.version} {v.peak.value:,}" for v in s.versions if v.peak]
        if len(peaks) > 1:
            out.print(f"[dim]peak concurrent, kept apart: {', '.join(peaks)} (never added)[/]", highlight=False,
                      soft_wrap=True)
        for v in s.versions:
            for note in v.notes:
                out.print(f"[yellow]note:[/] {v.version}: {escape(note)}", highlight=False, soft_wrap=True)
