"""``streamkit replay``: every recording of an event, from a pipeline spec; resumable, parallel, on Ray."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..errors import ConfigError
from ._app import _guard, _setup_logging, app, err, out

if TYPE_CHECKING:
    from ..replay import ReplaySpec

_STYLE = {"done": "green", "skipped": "dim", "failed": "bold red", "running": "cyan", "retrying": "yellow",
          "pending": "dim", "stale": "yellow"}


class _OverallETA(TimeRemainingColumn):
    """The ETA of the whole replay only: a single recording's rate is too jumpy to predict from."""

    def render(self, task: Task) -> Any:
        return super().render(task) if task.fields.get("overall") else ""


class _LiveView:
    """One row per recording (status, stage, progress, worker) and an overall row with the ETA."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.rows: dict[str, TaskID] = {}
        self.fractions: dict[str, float] = {}  # recordings that run in this replay
        self.overall = progress.add_task("[bold]all recordings[/]", total=None, status="", detail="",
                                        overall=True)

    def __call__(self, p: Any) -> None:
        if p.key not in self.rows:
            self.rows[p.key] = self.progress.add_task(escape(p.key), total=1.0, status="", detail="")
        if p.status == "pending" and p.key not in self.fractions:
            self.fractions[p.key] = 0.0
        style = _STYLE.get(p.status, "")
        if p.status == "running":
            detail = p.stage + (f" {p.done:.0f}/{p.total:.0f} s" if p.total else "")
            detail += f"  [dim]{escape(p.worker)}[/]" if p.worker else ""
            if p.attempt > 1:
                detail += f"  [yellow]attempt {p.attempt}[/]"
        elif p.status in ("failed", "retrying"):
            detail = escape(p.error[:90])
        else:
            detail = ""
        self.progress.update(self.rows[p.key], completed=p.fraction, status=f"[{style}]{p.status}[/]" if style
                             else p.status, detail=detail)
        if p.key in self.fractions:
            self.fractions[p.key] = p.fraction
            done = sum(1 for f in self.fractions.values() if f >= 1.0)
            self.progress.update(self.overall, total=float(len(self.fractions)),
                                 completed=sum(self.fractions.values()),
                                 status=f"{done}/{len(self.fractions)}", detail="")


SpecFile = Annotated[Path, typer.Argument(metavar="SPEC", help="The pipeline spec (pipelines/NAME.toml).",
                                          show_default=False)]
Workers = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Workers (each loads the model once) "
                             "[default: run.workers of the spec].")
]
Executor = Annotated[
    str | None, typer.Option("--executor", "-e", help="local (process pool) or ray [default: run.executor].")
]
Address = Annotated[
    str | None, typer.Option("--address", help="Ray cluster address (ray://HEAD:10001, auto) "
                             "[default: run.address, else $RAY_ADDRESS, else a local Ray].")
]
ShipMedia = Annotated[
    bool, typer.Option("--ship-media", help="Ray: send each recording through the object store "
                       "(no shared storage needed).")
]
Force = Annotated[
    bool, typer.Option("--force", "-f", help="Redo every recording from scratch (ignores the state and the "
                       "stage cache; overwrites outputs).")
]
Status = Annotated[bool, typer.Option("--status", help="Show what is done, pending, failed; run nothing.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the JSON report (or status) on stdout.")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No live view; errors only.")]


@app.command()
def replay(
    spec_file: SpecFile, workers: Workers = None, executor: Executor = None, address: Address = None,
    ship_media: ShipMedia = False, force: Force = False, status: Status = False, as_json: AsJson = False,
    verbose: Verbose = 0, quiet: Quiet = False,
) -> None:
    """Subtitle every recording of an event from a pipeline spec: resumable, in parallel, locally or on Ray.

    Runs each recording through the same stages as **streamkit subtitle**. Re-running the same
    command redoes only what is missing or stale; **--status** shows where a replay stands. Writes
    **replay-report.json** in the output folder. Exit code 0 when every recording succeeded, 1 when
    any failed, 2 for a bad spec, 3 when another replay holds the output folder.
    """
    _setup_logging(verbose, quiet)

    def body() -> None:
        from ..replay import EXECUTORS, load_spec, replay_status

        spec = load_spec(spec_file)
        if executor is not None and executor not in EXECUTORS:
            raise ConfigError(f"unknown executor {executor!r}", key="executor", hint=f"use {' or '.join(EXECUTORS)}")
        spec = replace(spec, workers=workers or spec.workers, executor=executor or spec.executor,
                       address=address or spec.address, ship_media=ship_media or spec.ship_media)
        if not status:
            _run(spec, force=force, as_json=as_json, quiet=quiet)
            return
        rows, holder = replay_status(spec)
        if as_json:
            print(json.dumps({"spec": str(spec.path), "output": str(spec.output), "running": holder,
                              "recordings": [r.to_dict() for r in rows]}, ensure_ascii=False, indent=2))
        else:
            _print_status(spec.name, rows, holder)

    _guard(body, verbose=verbose)


def _run(spec: ReplaySpec, *, force: bool, as_json: bool, quiet: bool) -> None:
    """Run the replay (with the live view unless quiet or --json), print the report; exit 1 if any failed."""
    from ..replay import run_replay

    if not (quiet or as_json):
        progress = Progress(
            TextColumn("{task.description:<24}"), TextColumn("{task.fields[status]:<10}"), BarColumn(),
            TaskProgressColumn(), _OverallETA(), TextColumn("{task.fields[detail]}"),
            console=err, transient=True,
        )
        with progress:
            report = run_replay(spec, force=force, observer=_LiveView(progress))
    else:
        report = run_replay(spec, force=force)
    data = report.to_dict()
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif not quiet:
        _print_report(data)
    if not report.ok:
        if quiet:
            for r in data["recordings"]:
                if r["status"] == "failed":
                    err.print(f"[bold red]failed:[/] {escape(r['key'])}: {escape(r['error'])}", highlight=False,
                              soft_wrap=True)
        raise typer.Exit(1)


def _print_report(data: dict[str, Any]) -> None:
    table = Table(title=f"streamkit replay: {escape(data['name'])}", title_justify="left", show_edge=False)
    table.add_column("recording")
    table.add_column("status")
    table.add_column("time", justify="right")
    table.add_column("outputs / error")
    for r in data["recordings"]:
        style = _STYLE.get(r["status"], "")
        if r["status"] == "failed":
            what = f"[red]{escape(r['error'])}[/]" + (f"\n[dim]hint: {escape(r['hint'])}[/]" if r["hint"] else "")
        else:
            what = escape(", ".join(Path(o).name for o in r["outputs"]))
        note = " [dim](cached stages)[/]" if any("reused cached result" in s.get("note", "")
                                                   for s in r["stages"]) and r["status"] == "done" else ""
        table.add_row(escape(r["key"]), f"[{style}]{r['status']}[/]{note}", f"{r['seconds']:.1f} s", what)
    out.print(table)
    c = data["counts"]
    rate = f", {data['recordings_per_minute']:.2f} recordings/min" if data["recordings_per_minute"] else ""
    out.print(f"{c['done']} done, {c['skipped']} already done, {c['failed']} failed in {data['seconds']:.1f} s "
              f"({data['executor']}, {data['workers']} worker{'s' if data['workers'] != 1 else ''}{rate})",
              highlight=False)
    out.print(f"report: {escape(str(Path(data['output']) / 'replay-report.json'))}", highlight=False)


def _print_status(name: str, rows: list[Any], holder: str | None) -> None:
    table = Table(title=f"streamkit replay --status: {escape(name)}", title_justify="left", show_edge=False)
    table.add_column("recording")
    table.add_column("status")
    table.add_column("why / error")
    table.add_column("finished")
    for r in rows:
        style = _STYLE.get(r.status, "")
        table.add_row(escape(r.key), f"[{style}]{r.status}[/]", escape(r.error or r.reason), r.finished)
    out.print(table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.print(", ".join(f"{n} {s}" for s, n in counts.items()), highlight=False)
    out.print(f"running now: {escape(holder)}" if holder else "no replay is running on this output folder",
              highlight=False)
