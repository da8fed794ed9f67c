"""``streamkit check``, ``streamkit fix`` and ``streamkit shift``: the editor's commands.

The editor's loop: ``streamkit subtitle`` writes the draft; ``check`` lists every rule violation;
``fix`` applies the safe fixes (never the wording); the editor corrects the rest in a subtitle
editor; ``shift`` moves a whole file in time; ``mux`` puts the corrected files into the replay.
The input file is only ever read; outputs are written atomically and never overwrite an existing
file (or the input) without ``--force``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import ConfigError, InputError, OutputExistsError
from ._app import FPS_HELP, VIDEO_HELP, _guard, _setup_logging, app, clock, frame_rate, out

LANG_HELP = "Subtitle language: ko or en [default: from the name (x.ko.srt), else ko when mostly Hangul]."
Lang = Annotated[str | None, typer.Option("--lang", "-l", help=LANG_HELP)]
Video = Annotated[Path | None, typer.Option("--video", help=VIDEO_HELP)]
Fps = Annotated[str | None, typer.Option("--fps", help=FPS_HELP)]
Force = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output (or the input).")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")]


def _language(lang: str | None) -> str | None:
    if lang is None:
        return None
    value = lang.strip().lower()
    if not value:
        raise ConfigError("--lang must not be empty", key="lang", hint="use ko or en")
    return value


def _signed(ms: int) -> str:
    return ("-" if ms < 0 else "") + clock(abs(ms))


def _check_output(source: Path, target: Path, force: bool) -> None:
    same = target.resolve() == source.resolve()
    if same and not force:
        raise InputError(source, "the output would overwrite the input",
                         hint="choose another -o, or add --force to replace the input")
    if target.exists() and not same and not force:
        raise OutputExistsError([target], hint="an editor may have corrected it; use --force to overwrite, "
                                "or -o to write elsewhere")
    if target.suffix.lower() not in (".srt", ""):
        raise ConfigError(f"{target}: fix and shift write SRT; name the output .srt", key="output")


# --------------------------------------------------------------------------- check


@app.command("check")
def check_command(
    subtitles: Annotated[Path, typer.Argument(help="The subtitle file (SRT or WebVTT).", show_default=False)],
    lang: Lang = None,
    video: Video = None,
    fps: Fps = None,
    pair: Annotated[
        Path | None,
        typer.Option("--pair", help="The other language's file (x.en.srt for x.ko.srt), for the glossary check "
                     "[default: that sibling file, when it exists]."),
    ] = None,
    glossary_files: Annotated[
        list[Path] | None, typer.Option("--glossary", "-g", help="More glossary files (TOML) on top of the built-in.")
    ] = None,
    no_glossary: Annotated[bool, typer.Option("--no-glossary", help="Skip the glossary check.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")] = False,
    every: Annotated[
        bool, typer.Option("--all", help=f"Print every problem as a plain line, not a table of the first {TABLE_ROWS}.")
    ] = False,
    verbose: Verbose = 0,
) -> None:
    """List every rule violation in a subtitle file: cue, time, line and reason.

    Exit code 0: no errors (warnings allowed); 1: errors remain; 2: the file cannot be read.
    Reads what editors hand in: UTF-8 with or without BOM, CP949/EUC-KR, CRLF, `<i>` tags,
    missing final blank line, out-of-order or duplicate numbers. The file is only read.
    """
    _setup_logging(verbose, False)

    def body() -> int:
        from ..checks import check_file

        rate, source = frame_rate(video, fps)
        extra = _glossary_checks(subtitles, pair, glossary_files or [], no_glossary)
        if video is not None:
            extra.append(_voice_check(video))
        report = check_file(subtitles, language=_language(lang), fps=rate, extra_checks=extra)
        if as_json:
            _stream_json(*_report_json(report, source))
        else:
            _print_report(report, source, every=every)
        return 1 if report.errors else 0

    code = _guard(body, verbose=verbose)
    if code:
        raise typer.Exit(code)


def _voice_check(video: Path) -> Any:
    """The voice check on ``video``'s audio (extracted to a temporary folder, profiled, removed)."""
    import tempfile

    from ..checks import voice_check
    from ..media import extract_audio, probe
    from ..quality import energy_profile, vad_profile

    info = probe(video)
    with tempfile.TemporaryDirectory(prefix="streamkit-check-") as work:
        audio = extract_audio(info, Path(work) / "audio.wav")
        energy, speech = energy_profile(audio), vad_profile(audio)
    return voice_check(energy, speech, audio.duration_ms)


def _sibling(path: Path) -> Path | None:
    """``show.ko.srt`` -> ``show.en.srt``, and any other language's file (``show.ja.srt``) -> ``show.ko.srt``."""
    from ..subtitles import language_from_path

    language = language_from_path(path)
    other = ("en" if language == "ko" else "ko") if language else None
    if other is None:
        return None
    base = path.name[: -len("".join(path.suffixes[-2:]))]
    for suffix in (".srt", ".vtt"):
        candidate = path.with_name(f"{base}.{other}{suffix}")
        if candidate.is_file():
            return candidate
    return None


def _glossary_checks(path: Path, pair: Path | None, extra_files: list[Path], no_glossary: bool) -> list[Any]:
    """The glossary check against the other file of the pair; none without a pair or with ``--no-glossary``
    (``--glossary`` files with ``--no-glossary`` are refused)."""
    from ..checks import glossary_check
    from ..glossary import optional_glossary
    from ..subtitles import read_raw

    counterpart = pair if pair is not None else _sibling(path)
    if counterpart is None and not no_glossary:
        return []  # nothing to check the names against: the glossary is not even loaded
    glossary = optional_glossary(extra_files, no_glossary=no_glossary)
    if glossary is None or counterpart is None:
        return []
    return [glossary_check(glossary, read_raw(counterpart).cues)]


def _stream_json(head: dict[str, Any], lists: dict[str, Iterable[dict[str, Any]]]) -> None:
    """``head`` and ``lists`` as one JSON object, each list item written as it is made.

    ``json.dumps`` of the whole report held every problem's dict and the whole text at once
    (700 MB for 100,000 cues); this keeps one item at a time.
    """
    write = sys.stdout.write
    text = json.dumps(head, ensure_ascii=False, indent=2)
    write(text[:-2] if head else "{")
    for n, (key, items) in enumerate(lists.items()):
        write(("," if head or n else "") + f"\n  {json.dumps(key)}: [")
        for i, item in enumerate(items):
            write(("," if i else "") + "\n    " + json.dumps(item, ensure_ascii=False))
        write("\n  ]")
    write("\n}\n")
    sys.stdout.flush()


def _report_json(report: Any, fps_source: str) -> tuple[dict[str, Any], dict[str, Iterable[dict[str, Any]]]]:
    head = {
        "file": str(report.read.path),
        "language": report.language,
        "rules": report.rules.name,
        "fps": str(report.fps),
        "fps_source": fps_source,
        "encoding": report.read.encoding,
        "bom": report.read.had_bom,
        "crlf": report.read.crlf,
        "cues": len(report.read.cues),
        "errors": report.errors,
        "warnings": report.warnings,
        "counts": report.counts(),
    }
    problems = (
        {"cue": p.cue, "start": clock(p.start_ms), "end": clock(p.end_ms), "start_ms": p.start_ms,
         "end_ms": p.end_ms, "line": p.line, "code": p.code, "severity": p.severity, "message": p.message}
        for p in report.problems
    )
    return head, {"problems": problems}


def _print_report(report: Any, fps_source: str, *, every: bool = False) -> None:
    read = report.read
    notes = [read.encoding.upper() + (" with BOM" if read.had_bom else ""), "CRLF" if read.crlf else "LF"]
    out.print(f"[bold]{escape(str(read.path))}[/]: {len(read.cues)} cues, {report.language} "
              f"({report.rules.name}), {float(report.fps):.3f} fps ({escape(fps_source)}), {', '.join(notes)}",
              highlight=False)
    if report.problems:
        if every:
            _print_plain(report.problems)
        else:
            _print_problem_table(report.problems)
        counts = ", ".join(f"{code} {n}" for code, n in report.counts().items())
        out.print(f"{report.errors} errors, {report.warnings} warnings ({counts})", highlight=False)
        if report.errors:
            out.print("[dim]`streamkit fix` repairs line breaks, gaps, short cues, numbering and unreadable "
                      "characters; the rest needs an editor.[/]")
    else:
        out.print("[green]no problems[/]")


#: Rows a table shows: a Rich table is laid out in memory, whole (100,000 cues took 1.3 GB and minutes).
TABLE_ROWS = 200


def _print_problem_table(problems: Sequence[Any]) -> None:
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("cue", justify="right")
    table.add_column("time")
    table.add_column("line", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("check")
    table.add_column("reason")
    for p in problems[:TABLE_ROWS]:
        mark = "[red]error[/]" if p.severity == "error" else "[yellow]warning[/]"
        table.add_row(str(p.cue), clock(p.start_ms), str(p.line), mark, p.code, escape(p.message))
    out.print(table)
    _more(len(problems), "problems", "--all prints every one as a line, --json as JSON")


def _print_plain(problems: Sequence[Any]) -> None:
    """One tab-separated line per problem, written as it goes (constant memory, any count)."""
    write = sys.stdout.write
    for p in problems:
        write(f"{p.cue}\t{clock(p.start_ms)}\t{p.line}\t{p.severity}\t{p.code}\t{p.message}\n")
    sys.stdout.flush()


def _more(total: int, what: str, how: str) -> None:
    if total > TABLE_ROWS:
        out.print(f"[dim]the first {TABLE_ROWS} of {total} {what} shown; {how}[/]", highlight=False)


# --------------------------------------------------------------------------- fix


FixOutput = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Where to write the fixed SRT [default: NAME.fixed.LANG.srt beside it]."),
]


@app.command("fix")
def fix_command(
    subtitles: Annotated[Path, typer.Argument(help="The subtitle file to fix (SRT or WebVTT).", show_default=False)],
    output: FixOutput = None,
    lang: Lang = None,
    video: Video = None,
    fps: Fps = None,
    force: Force = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Apply the safe fixes and report each change; the wording is never changed.

    Re-breaks lines that are too long, closes gaps below 2 frames and chains small gaps, extends
    short cues into free time (never overlapping), trims overlaps when the cue keeps its minimum
    duration, removes empty cues, sorts and renumbers, and writes UTF-8 without BOM with LF line
    ends. What it cannot fix safely is listed; `streamkit check` shows it again.
    """
    _setup_logging(verbose, False)

    def body() -> None:
        from ..checks import check_track, guess_language
        from ..fixes import default_output, fix_cues, format_raw_srt, refuse_broken
        from ..fsutil import atomic_write_text
        from ..segment import DEFAULT_FPS, rules_for
        from ..subtitles import read_raw

        target = output if output is not None else default_output(subtitles, "fixed")
        read = read_raw(subtitles)
        _check_output(read.path, target, force)
        refuse_broken(read)
        language = _language(lang) or guess_language(read.path, read.cues)
        rate, source = frame_rate(video, fps)
        rate = rate or DEFAULT_FPS
        rules = rules_for(language)
        result = fix_cues(read.cues, rules, rate, language)
        changes = list(result.changes)
        if read.encoding != "utf-8" or read.had_bom or read.crlf:
            was = read.encoding.upper() + (" with BOM" if read.had_bom else "") + (", CRLF" if read.crlf else "")
            changes.insert(0, _encoding_change(was))
        atomic_write_text(target, format_raw_srt(result.cues), encoding="utf-8")
        remaining = check_track(result.cues, rules, rate, language, invented=as_json)
        errors = [p for p in remaining if p.severity == "error"]
        if as_json:
            _stream_json({
                "input": str(read.path), "output": str(target), "language": language, "fps": str(rate),
                "fps_source": source, "cues": len(result.cues), "remaining_errors": len(errors),
            }, {
                "changes": ({"cue": c.cue, "what": c.what, "before": c.before, "after": c.after} for c in changes),
                "remaining": ({"cue": p.cue, "line": p.line, "code": p.code, "severity": p.severity,
                               "message": p.message} for p in remaining),
            })
            return
        _print_changes(changes)
        out.print(f"wrote [bold]{escape(str(target))}[/]: {len(result.cues)} cues, {len(changes)} changes"
                  + (f"; {len(errors)} errors need an editor (run streamkit check on it)" if errors else ""),
                  highlight=False)

    _guard(body, verbose=verbose)


def _print_changes(changes: Sequence[Any]) -> None:
    """The fixes made, as a table of the first ``TABLE_ROWS``."""
    if not changes:
        return
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("cue", justify="right")
    table.add_column("fix")
    table.add_column("before")
    table.add_column("after")
    for c in changes[:TABLE_ROWS]:
        table.add_row(str(c.cue) if c.cue else "-", c.what, escape(c.before), escape(c.after))
    out.print(table)
    _more(len(changes), "changes", "--json lists every one")


def _encoding_change(was: str) -> Any:
    from ..fixes import Change

    return Change(0, "encoding", was, "UTF-8, LF")


# --------------------------------------------------------------------------- shift


@app.command("shift", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": True})
def shift_command(
    subtitles: Annotated[Path, typer.Argument(help="The subtitle file (SRT or WebVTT).", show_default=False)],
    offset: Annotated[
        str,
        typer.Argument(help="How far to move every cue: +1.5s, -500ms, 2m, 00:00:01,200 (- moves earlier).",
                       show_default=False),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write [default: NAME.shifted.LANG.srt beside the input]."),
    ] = None,
    clamp: Annotated[
        bool, typer.Option("--clamp", help="Cut times below 0 to 0 (cues that would end before 0 are removed).")
    ] = False,
    force: Force = False,
    verbose: Verbose = 0,
) -> None:
    """Move every cue by the same offset (to match a trimmed or delayed video).

    The text is copied exactly; the output is UTF-8 SRT numbered 1, 2, 3. A negative offset that
    would put a cue before 0 is refused, naming the cue, unless --clamp.
    """
    _setup_logging(verbose, False)

    def body() -> None:
        from ..fixes import default_output, first_below_zero, format_raw_srt, parse_offset, refuse_broken, shift_cues
        from ..fsutil import atomic_write_text
        from ..subtitles import read_raw

        offset_ms = parse_offset(offset)
        target = output if output is not None else default_output(subtitles, "shifted")
        read = read_raw(subtitles)
        _check_output(read.path, target, force)
        refuse_broken(read)
        early = first_below_zero(read.cues, offset_ms)
        if early is not None and not clamp:
            cue = read.cues[early - 1]
            raise InputError(
                read.path,
                f"cue {early}, line {cue.line}: would start at {_signed(cue.start_ms + offset_ms)}, before 0:00",
                hint="use a smaller offset, or --clamp to cut the times at 0",
            )
        cues, removed = shift_cues(read.cues, offset_ms, clamp=clamp)
        atomic_write_text(target, format_raw_srt(cues), encoding="utf-8")
        note = f"; {removed} cues before 0:00 removed" if removed else ""
        out.print(f"wrote [bold]{escape(str(target))}[/]: {len(cues)} cues moved by {offset_ms:+d} ms{note}",
                  highlight=False)

    _guard(body, verbose=verbose)
