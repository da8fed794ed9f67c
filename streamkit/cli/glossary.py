"""``streamkit glossary list | check | import | apply | learn | report | hints``: keeping the names right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import ConfigError, InputError, OutputExistsError
from ._app import _guard, _setup_logging, app, err, out

if TYPE_CHECKING:
    from ..glossary import Glossary
    from ..models import Cue, SubtitleTrack

glossary_app = typer.Typer(
    name="glossary",
    help="The K-pop name glossary: list, validate, import, apply to subtitle files, learn from editors.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(glossary_app, name="glossary")

GlossaryFiles = Annotated[
    list[Path] | None,
    typer.Option("--glossary", "-g", help="A producer glossary file (TOML): guests, song titles, segments. "
                 "Repeat for several; later files replace entries with the same id."),
]
NoBuiltin = Annotated[bool, typer.Option("--no-builtin", help="Leave out the built-in glossary/ files.")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")]
KoreanFile = Annotated[Path | None, typer.Option("--korean", "-k", help="The Korean subtitles of the same "
                       "recording: names said there are fixed in the English even when they are ordinary "
                       "words (Twice, ARMY).")]
ApplyOutput = Annotated[Path | None, typer.Option("--output", "-o", help="Where to write [default: "
                        "NAME.glossary.LANG.srt beside the input]. The input itself only with --force.")]
Force = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output.")]
DryRun = Annotated[bool, typer.Option("--dry-run", "-n", help="Show the changes; write nothing.")]


def _load(files: list[Path] | None, no_builtin: bool = False) -> Glossary:
    from ..glossary import optional_glossary

    return optional_glossary(files or (), builtin=not no_builtin)


def _refuse_overwrite(target: Path, force: bool, *sources: Path) -> None:
    for source in sources:
        if target.resolve() == source.resolve() and not force:
            raise InputError(source, "the output would overwrite the input",
                             hint="choose another --output, or add --force to replace it on purpose")
    if target.exists() and not force:
        raise OutputExistsError([target])


# --------------------------------------------------------------------------- list


@glossary_app.command("list")
def list_command(
    kind: Annotated[str | None, typer.Option(help="Only this kind (group, member, soloist, fandom, ...).")] = None,
    group: Annotated[str | None, typer.Option(help="Only this group and its members (an id, e.g. bts).")] = None,
    search: Annotated[str | None, typer.Option("--search", "-s", help="Only entries whose forms contain this.")]
    = None,
    files: GlossaryFiles = None,
    no_builtin: NoBuiltin = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """List glossary entries: id, kind, official English, Korean forms, group."""

    def body() -> None:
        glossary = _load(files, no_builtin)
        entries = list(glossary.entries)
        if kind:
            entries = [e for e in entries if e.kind == kind]
        if group:
            entries = [e for e in entries if e.id == group or e.group == group]
        if search:
            needle = search.casefold()
            entries = [e for e in entries if any(needle in f.casefold() for f in
                                                 (e.id, *e.english_forms, *e.aliases_en, *e.korean, *e.nicknames_ko))]
        if as_json:
            print(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
            return
        table = Table(show_edge=False)
        for column in ("id", "kind", "english", "korean", "group"):
            table.add_column(column)
        for e in entries:
            table.add_row(escape(e.id), e.kind, escape(e.english), escape(", ".join(e.korean)), escape(e.group or ""))
        out.print(table)
        out.print(f"{len(entries)} of {len(glossary)} entries", highlight=False)

    _guard(body)


def _entry_json(e: Any) -> dict[str, Any]:
    return {"id": e.id, "kind": e.kind, "english": e.english, "korean": list(e.korean),
            "also_en": list(e.also_en), "aliases_en": list(e.aliases_en), "nicknames_ko": list(e.nicknames_ko),
            "group": e.group, "ambiguous": e.ambiguous, "source": e.source}


# --------------------------------------------------------------------------- check


@glossary_app.command("check")
def check_command(
    files: GlossaryFiles = None,
    no_builtin: NoBuiltin = False,
) -> None:
    """Validate the glossary files: TOML, ids, English and Korean forms, group references.

    Every problem is printed as **error: FILE:LINE: entry 'ID': ...**; the exit code is 2 when
    there is any. On success: entries by kind, and which entries a later file replaced.
    """

    def body() -> None:
        from ..glossary import GROUP_KINDS, check_glossary

        glossary, problems = check_glossary(files or (), builtin=not no_builtin)
        if problems:
            for problem in problems[:50]:
                err.print(f"[bold red]error:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
            if len(problems) > 50:
                err.print(f"... and {len(problems) - 50} more", highlight=False)
            raise typer.Exit(ConfigError.exit_code)
        assert glossary is not None
        kinds: dict[str, int] = {}
        for e in glossary.entries:
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
        acts = sum(n for k, n in kinds.items() if k in GROUP_KINDS)
        out.print(f"glossary ok: {len(glossary)} entries ({acts} groups, units and soloists)", highlight=False)
        out.print("  " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), highlight=False)
        for ident, before, after in glossary.overrides:
            out.print(f"  {escape(ident)}: {escape(after)} replaces {escape(before)}", highlight=False)
        with_members = {e.group for e in glossary.entries if e.kind == "member"}
        with_members |= {e.group for e in glossary.entries if e.kind == "unit" and e.id in with_members}
        empty = [e for e in glossary.entries
                 if e.kind == "group" and e.id not in with_members and "disbanded" not in e.note]
        if empty:
            err.print(f"[yellow]warning:[/] {len(empty)} active groups without members: "
                      + escape(", ".join(e.english for e in empty)), highlight=False, soft_wrap=True)

    _guard(body)


# --------------------------------------------------------------------------- import


@glossary_app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="kpopnet.json (CC0), e.g. ../shared/data/kpopnet.json.",
                                           show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the TOML here [default: stdout].")]
    = None,
    force: Force = False,
) -> None:
    """Build girl-group entries (groups with Hangul names, current members) from kpopnet.json.

    **streamkit glossary import ../shared/data/kpopnet.json -o glossary/girl-groups.toml --force**
    regenerates the built-in file; corrections go in glossary/_kpopnet-fixes.toml.
    """

    def body() -> None:
        from ..fsutil import atomic_write_text
        from ..glossary import import_kpopnet

        text = import_kpopnet(source)
        if output is None:
            print(text, end="")
            return
        _refuse_overwrite(output, force, source)
        atomic_write_text(output, text)
        entries = text.count("[[group]]") + text.count("[[unit]]")
        err.print(f"wrote [bold]{escape(str(output))}[/]: {entries} groups and units", highlight=False)

    _guard(body)


# --------------------------------------------------------------------------- apply


def _default_output(path: Path) -> Path:
    """``show.en.srt`` -> ``show.glossary.en.srt``; ``show.srt`` -> ``show.glossary.srt``."""
    from ..subtitles import language_from_path

    suffix = path.suffix
    stem = path.name[: -len(suffix)] if suffix else path.name
    if language_from_path(path) is not None:
        base, _, tag = stem.rpartition(".")
        return path.with_name(f"{base}.glossary.{tag}{suffix}")
    return path.with_name(f"{stem}.glossary{suffix}")


def _has_hangul(track: SubtitleTrack) -> bool:
    return any("\uac00" <= c <= "\ud7a3" for cue in track.cues for line in cue.lines for c in line)


@glossary_app.command("apply")
def apply_command(
    subtitles: Annotated[Path, typer.Argument(help="A subtitle file (SRT or WebVTT), Korean or English.",
                                              show_default=False)],
    korean: KoreanFile = None,
    language: Annotated[str | None, typer.Option(help="ko or en [default: from the name, else the text].")] = None,
    output: ApplyOutput = None,
    force: Force = False,
    dry_run: DryRun = False,
    files: GlossaryFiles = None,
    no_builtin: NoBuiltin = False,
    verbose: Verbose = 0,
) -> None:
    """Apply the glossary to a subtitle file: Korean variants -> canonical Hangul, English -> official forms.

    Never changes the input: the result goes to a new file (or to -o); to replace the input on
    purpose use **-o SAME.srt --force**.
    """
    _setup_logging(verbose, False)

    def body() -> None:
        from ..models import SubtitleTrack
        from ..subtitles import language_from_path, read_subtitles, write_subtitles

        track = read_subtitles(subtitles)
        lang = (language or language_from_path(subtitles) or ("ko" if _has_hangul(track) else "en")).lower()
        if lang not in ("ko", "en"):
            raise ConfigError(f"--language {lang}: the glossary applies to ko or en subtitles", key="language")
        glossary = _load(files, no_builtin)
        ko_track = read_subtitles(korean, "ko") if korean is not None else None
        target = output or _default_output(subtitles)
        if not dry_run:
            _refuse_overwrite(target, force, *((subtitles,) if output is None or not force else ()))
        fixed, changes = _apply(glossary, track, lang, ko_track)
        if dry_run or verbose:
            for number, before, after in changes:
                out.print(f"[dim]{number}:[/] {escape(before)!s} [dim]->[/] [bold]{escape(after)}[/]", highlight=False)
        if dry_run:
            out.print(f"{len(changes)} of {len(track.cues)} cues would change (nothing written)", highlight=False)
            return
        write_subtitles(SubtitleTrack(lang, fixed, title=track.title), target)
        out.print(f"wrote [bold]{escape(str(target))}[/]: {len(changes)} of {len(track.cues)} cues changed",
                  highlight=False)

    _guard(body, verbose=verbose)


def _apply(glossary: Glossary, track: SubtitleTrack, lang: str,
           ko_track: SubtitleTrack | None) -> tuple[tuple[Cue, ...], list[tuple[int, str, str]]]:
    """``track``'s cues with the glossary applied, and the changes as (cue number, before, after)."""
    from ..models import Cue

    context = " ".join(" ".join(c.lines) for c in (ko_track or track).cues) if (ko_track or lang == "ko") else ""
    cues: list[Cue] = []
    changes: list[tuple[int, str, str]] = []
    for number, cue in enumerate(track.cues, start=1):
        text = "\n".join(cue.lines)
        if lang == "ko":
            fixed = glossary.normalize_korean(text, context=context)
        elif ko_track is not None:
            said = " ".join(" ".join(c.lines) for c in ko_track.cues
                            if c.start_ms < cue.end_ms + 500 and c.end_ms > cue.start_ms - 500)
            fixed = glossary.enforce_english_for(text, said, context=context)
        else:
            fixed = glossary.enforce_english(text)
        if fixed != text:
            changes.append((number, text, fixed))
        cues.append(Cue(cue.start_ms, cue.end_ms, tuple(fixed.split("\n"))))
    return tuple(cues), changes


# --------------------------------------------------------------------------- learn


@glossary_app.command("learn")
def learn_command(
    draft: Annotated[Path, typer.Argument(help="The subtitles as streamkit wrote them.", show_default=False)],
    corrected: Annotated[Path, typer.Argument(help="The same subtitles after an editor corrected them.",
                                              show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the proposals (TOML) here "
                      "[default: stdout].")] = None,
    force: Force = False,
    files: GlossaryFiles = None,
    no_builtin: NoBuiltin = False,
) -> None:
    """Propose glossary entries from what editors changed: new spellings of known names, new names.

    The proposals are a producer glossary file to review (fill the TODOs), then use with --glossary.
    """

    def body() -> None:
        from ..fsutil import atomic_write_text
        from ..glossary import proposals_toml
        from ..subtitles import read_subtitles

        glossary = _load(files, no_builtin)
        proposals = glossary.learn(read_subtitles(draft), read_subtitles(corrected))
        if not proposals:
            err.print("no new names or spellings found in the corrections", highlight=False)
            return
        text = proposals_toml(proposals)
        if output is None:
            print(text, end="")
        else:
            _refuse_overwrite(output, force, draft, corrected)
            atomic_write_text(output, text)
        new = sum(p.is_new for p in proposals)
        err.print(f"{len(proposals)} proposals: {new} new names, {len(proposals) - new} new spellings of known names"
                  + (f"; wrote {escape(str(output))}" if output else ""), highlight=False)

    _guard(body)


# --------------------------------------------------------------------------- report


@glossary_app.command("report")
def report_command(
    korean: Annotated[Path, typer.Argument(help="Korean subtitles (NAME.ko.srt).", show_default=False)],
    english: Annotated[Path | None, typer.Argument(help="English subtitles of the same recording.",
                                                   show_default=False)] = None,
    files: GlossaryFiles = None,
    no_builtin: NoBuiltin = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Which names were said, which have no English form where they were said, which English cues the
    glossary would fix (the glossary part of **streamkit check**)."""

    def body() -> None:
        from ..subtitles import read_subtitles

        glossary = _load(files, no_builtin)
        report = glossary.report(read_subtitles(korean, "ko"),
                                 read_subtitles(english, "en") if english is not None else None)
        if as_json:
            print(json.dumps(report.summary(), ensure_ascii=False, indent=2))
            return
        found = Table(title="names found", title_justify="left", show_edge=False)
        for column in ("name", "korean", "times", "first at"):
            found.add_column(column)
        for n in report.found:
            found.add_row(escape(n.entry.english), escape(n.entry.canonical_ko), str(n.count), _clock(n.first_ms))
        out.print(found)
        if english is not None:
            if report.missing:
                missing = Table(title="said in Korean, missing in English", title_justify="left", show_edge=False)
                for column in ("at", "name", "korean", "english"):
                    missing.add_column(column)
                for m in report.missing:
                    missing.add_row(_clock(m.start_ms), escape(m.entry.english), escape(m.korean), escape(m.english))
                out.print(missing)
            else:
                out.print("every name said in Korean has an English form where it was said", highlight=False)
            for at, before, after in report.fixable:
                out.print(f"{_clock(at)} {escape(before)} [dim]->[/] [bold]{escape(after)}[/]", highlight=False)

    _guard(body)


def _clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# --------------------------------------------------------------------------- hints


@glossary_app.command("hints")
def hints_command(
    context: Annotated[str, typer.Argument(help="The recording's title, description or a transcript.")] = "",
    limit: Annotated[int, typer.Option(help="At most this many names.")] = 30,
    files: GlossaryFiles = None,
    no_builtin: NoBuiltin = False,
) -> None:
    """The names recognition would be biased toward for a recording, and the hotwords string."""

    def body() -> None:
        glossary = _load(files, no_builtin)
        hints = glossary.hints_for(context, limit=limit)
        for e in hints:
            out.print(f"{escape(e.canonical_ko)}  {escape(e.english)}  [dim]{escape(e.id)}[/]", highlight=False)
        out.print(f"hotwords: {escape(glossary.hotwords(hints))}", highlight=False)

    _guard(body)
