"""Loading: the built-in folder, parsing and validating TOML files (with line numbers), merging them into a
:class:`Glossary`; :func:`load_glossary`, :func:`check_glossary`, and :func:`optional_glossary` (what the
commands' ``--glossary`` and ``--no-glossary`` mean)."""

from __future__ import annotations

import dataclasses
import logging
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

from ..errors import ConfigError
from .core import Glossary
from .entries import KINDS, Entry, GlossaryError
from .text import _has_hangul

log = logging.getLogger("streamkit")

_ID = re.compile(r"[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)*")
_LOCAL_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_FIELDS = frozenset({"id", "english", "korean", "aliases_en", "also_en", "nicknames_ko", "group", "ambiguous", "note",
                     "forms"})
_MEMBER_FIELDS = _FIELDS - {"group"}

# --------------------------------------------------------------------------- loading


def builtin_dir() -> Path | None:
    """The folder of the built-in glossary: the repository's ``glossary/`` or, in a wheel, ``streamkit/_glossary``."""
    here = Path(__file__).resolve().parent  # streamkit/glossary/: its parent is streamkit/
    packaged = here.parent / "_glossary"
    if packaged.is_dir() and any(packaged.glob("*.toml")):
        return packaged
    checkout = here.parents[1] / "glossary"  # a source checkout or an editable install
    if checkout.is_dir() and (here.parents[1] / "pyproject.toml").is_file():
        return checkout
    return None


def _builtin_files() -> list[tuple[Path, str]]:
    folder = builtin_dir()
    if folder is None:
        log.warning("glossary: the built-in glossary folder is missing; only your files are used")
        return []
    return [(p, f"glossary/{p.name}") for p in sorted(folder.glob("*.toml")) if not p.name.startswith("_")]


class _Locator:
    """Line numbers in a TOML file (tomllib gives none): table headers and ``id = "..."`` lines."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(?:#.*)?$")
    _ID_FIELD = re.compile(r"""(?:^|[{,]|\s)id\s*=\s*["']([^"']*)["']""")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = defaultdict(list)
        self.top: list[int] = []
        self.ids: dict[str, list[int]] = defaultdict(list)
        for n, line in enumerate(self.lines, start=1):
            m = self._HEADER.match(line)
            if m:
                name = m.group(1).strip()
                self.headers[name].append(n)
                if "." not in name:
                    self.top.append(n)
            for ident in self._ID_FIELD.findall(line):
                self.ids[ident].append(n)

    def table(self, kind: str, index: int) -> int:
        lines = self.headers.get(kind, [])
        if index < len(lines):
            return lines[index]
        for n, line in enumerate(self.lines, start=1):
            if re.match(rf"\s*{re.escape(kind)}\s*=", line):
                return n
        return 1

    def id_line(self, ident: str, after: int) -> int:
        end = next((t for t in self.top if t > after), len(self.lines) + 1)
        return next((n for n in self.ids.get(ident, ()) if after <= n < end), after)

    def field_line(self, name: str, after: int) -> int:
        end = next((t for t in self.top if t > after), len(self.lines) + 1)
        pattern = re.compile(rf"^\s*{re.escape(name)}\s*=")
        for n in range(after, end):
            if pattern.search(self.lines[n - 1]):
                return n
        return after

    def entry_before(self, line: int) -> str | None:
        pattern = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")
        for n in range(min(line, len(self.lines)), 0, -1):
            m = pattern.search(self.lines[n - 1])
            if m:
                return m.group(1)
            if n in self.top:
                return None
        return None


@dataclass
class _Parsed:
    entries: list[Entry] = field(default_factory=list)
    common_en: list[str] = field(default_factory=list)
    common_strict: list[str] = field(default_factory=list)
    common_ko: list[str] = field(default_factory=list)
    problems: list[GlossaryError] = field(default_factory=list)


def _strings(value: Any, name: str, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail(f"{name} must be a string or a list of strings")
        return ()
    return tuple(" ".join(v.split()) for v in value if v.strip())


def _read_text(path: Path, display: str, problems: list[GlossaryError]) -> str | None:
    """The file's text (UTF-8, a BOM allowed), or None with the reason added to ``problems``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(GlossaryError("no such file", file=display, hint="check the --glossary path"))
        return None
    except IsADirectoryError:
        problems.append(GlossaryError("is a folder, not a TOML file", file=display))
        return None
    except OSError as exc:
        problems.append(GlossaryError(f"cannot read ({exc.strerror or exc})", file=display))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(GlossaryError("not UTF-8 text", file=display, line=line, hint="save it as UTF-8"))
        return None


def _read_toml(text: str, where: _Locator, display: str, problems: list[GlossaryError]) -> dict[str, Any] | None:
    """The parsed TOML, or None with the problem (its line, the entry it is in) added to ``problems``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(m.group(1)) if m else max(1, len(where.lines))
        problem = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", message)
        if problem == "Cannot overwrite a value":
            problem = "duplicate key (a key set twice in one table)"
        problems.append(GlossaryError(f"invalid TOML: {problem}", file=display, line=line,
                                      entry=where.entry_before(line)))
        return None


def _parse_common(value: Any, line: int, display: str, parsed: _Parsed) -> None:
    """``[common]``: ordinary English and Korean words that are also names."""
    if not isinstance(value, dict) or set(value) - {"english", "english_strict", "korean"}:
        parsed.problems.append(GlossaryError("[common] takes english, english_strict and korean lists",
                                             file=display, line=line))
        return

    def fail_common(problem: str, line: int = line) -> None:
        parsed.problems.append(GlossaryError(problem, file=display, line=line))

    parsed.common_en += _strings(value.get("english"), "common.english", fail_common)
    parsed.common_strict += _strings(value.get("english_strict"), "common.english_strict", fail_common)
    parsed.common_ko += _strings(value.get("korean"), "common.korean", fail_common)


def _parse_file(path: Path, display: str) -> _Parsed:
    parsed = _Parsed()
    text = _read_text(path, display, parsed.problems)
    if text is None:
        return parsed
    where = _Locator(text)
    data = _read_toml(text, where, display, parsed.problems)
    if data is None:
        return parsed
    for key, value in data.items():
        if key == "common":
            _parse_common(value, where.table("common", 0), display, parsed)
            continue
        if key not in (*KINDS, "entry"):
            parsed.problems.append(GlossaryError(
                f"unknown table [[{key}]]", file=display, line=where.table(key, 0),
                hint=f"use one of: {', '.join(KINDS)}, entry (with kind = ...), common"))
            continue
        tables = value if isinstance(value, list) else [value]
        for index, table in enumerate(tables):
            header = where.table(key, index)
            if not isinstance(table, dict):
                parsed.problems.append(GlossaryError(f"{key} must be a table ([[{key}]])", file=display, line=header))
                continue
            _parse_entry(table, key, header, where, display, parsed)
    return parsed


#: Reports one problem of the entry being parsed: ``fail(problem, hint=None, at=line)``.
_Fail = Callable[..., None]


def _parse_entry(table: dict[str, Any], key: str, header: int, where: _Locator, display: str,
                 parsed: _Parsed, *, parent: Entry | None = None) -> None:
    ident = table.get("id")
    line = where.id_line(ident, header) if isinstance(ident, str) else header
    label = ident if isinstance(ident, str) else None
    if parent is not None and isinstance(ident, str):
        label = f"{parent.id}.{ident}"
    errors: list[GlossaryError] = []

    def fail(problem: str, hint: str | None = None, at: int | None = None) -> None:
        errors.append(GlossaryError(problem, file=display, line=at or line, entry=label, hint=hint))

    kind = _entry_kind(table, key, header, line, where, fail, parent)
    ident = _entry_id(ident, parent, fail)
    values = _entry_values(table, kind, parent, where, line, fail)
    if errors:
        parsed.problems.extend(errors)
        return
    entry_id = f"{parent.id}.{ident}" if parent is not None else ident
    entry = Entry(id=entry_id, kind=kind, source=f"{display}:{line}", **values)
    parsed.entries.append(entry)
    members = table.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        parsed.problems.append(GlossaryError("members must be a list of tables", file=display, line=line,
                                             entry=entry_id))
        return
    for member in members:
        _parse_entry(member, key, line, where, display, parsed, parent=entry)


def _entry_kind(table: dict[str, Any], key: str, header: int, line: int, where: _Locator, fail: _Fail,
                parent: Entry | None) -> str:
    """The entry's kind (its table's, or ``kind = ...`` in ``[[entry]]``); fails on fields that kind does not take."""
    kind = key
    if parent is not None:
        kind = "member"
        allowed = _MEMBER_FIELDS | {"kind"}
    elif key == "entry":
        kind_value = table.get("kind")
        if not isinstance(kind_value, str) or kind_value not in KINDS:
            fail(f"kind must be one of {', '.join(KINDS)}", at=where.field_line("kind", header))
            kind_value = "name"
        kind = kind_value
        allowed = _FIELDS | {"kind", "members"}
    else:
        allowed = _FIELDS | {"members"}
    unknown = sorted(set(table) - allowed)
    if "members" in table and kind not in ("group", "unit"):
        unknown.append("members")
    for name in unknown:
        fail(f"unknown field {name!r}", hint=f"fields: {', '.join(sorted(allowed - {'members'}))}",
             at=where.field_line(name, line))
    return kind


def _entry_id(ident: object, parent: Entry | None, fail: _Fail) -> str:
    """The entry's own id, checked (a member's has no dots: the group's id is put in front)."""
    if not isinstance(ident, str) or not ident:
        fail("no id (id = \"...\", lowercase letters, digits, - and _)")
        return ""
    if not (_LOCAL_ID if parent is not None else _ID).fullmatch(ident):
        fail(f"bad id {ident!r}: use lowercase letters, digits, - and _" +
             ("" if parent is not None else ", dots only between a group id and a member id"))
    return ident


def _entry_values(table: dict[str, Any], kind: str, parent: Entry | None, where: _Locator, line: int,
                  fail: _Fail) -> dict[str, Any]:
    """Every other field of the entry, checked in the order they are reported, as ``Entry`` keywords."""
    english = table.get("english")
    if not isinstance(english, str) or not english.strip():
        fail("no English form (english = \"...\")", hint="every entry needs its official English form")
        english = ""
    korean = _strings(table.get("korean"), "korean", fail)
    if not korean:
        fail("no Korean form (korean = [\"...\"], the canonical Hangul first)")
    elif not _has_hangul(korean[0]):
        fail(f"the first Korean form {korean[0]!r} has no Hangul", hint="put the canonical Hangul first")
    group = table.get("group") if parent is None else parent.id
    if group is not None and not (isinstance(group, str) and _ID.fullmatch(group)):
        fail("group must be the id of a group (group = \"bts\")")
        group = None
    ambiguous = table.get("ambiguous", kind == "term")
    if not isinstance(ambiguous, bool):
        fail("ambiguous must be true or false")
        ambiguous = False
    note = table.get("note", "")
    if not isinstance(note, str):
        fail("note must be a string")
        note = ""
    forms = _forms(table.get("forms", {}), fail, where.field_line("forms", line) if "forms" in table else line)
    return dict(
        english=" ".join(english.split()), korean=korean, group=group, ambiguous=ambiguous, note=note, forms=forms,
        aliases_en=_strings(table.get("aliases_en"), "aliases_en", fail),
        also_en=_strings(table.get("also_en"), "also_en", fail),
        nicknames_ko=_strings(table.get("nicknames_ko"), "nicknames_ko", fail),
    )


def _forms(value: Any, fail: Any, line: int) -> tuple[tuple[str, str], ...]:
    """``forms = { ja = "...", zh-Hans = "..." }``: the name in other subtitle languages, checked."""
    from ..languages import LANGUAGES

    if not isinstance(value, dict):
        fail('forms must be a table of language = "form" (forms = { ja = "..." })', at=line)
        return ()
    out: list[tuple[str, str]] = []
    for lang, form in value.items():
        if lang not in LANGUAGES:
            fail(f"forms: unknown language {lang!r}", hint=f"known: {', '.join(sorted(LANGUAGES))}", at=line)
        elif not isinstance(form, str) or not form.strip():
            fail(f"forms.{lang} must be a non-empty string", at=line)
        else:
            out.append((lang, " ".join(form.split())))
    return tuple(out)


_PARSED: dict[tuple[str, int, int], _Parsed] = {}


def _parse_cached(path: Path, display: str) -> _Parsed:
    """Built-in files are parsed once per process (per version of the file)."""
    try:
        stat = path.stat()
    except OSError:
        return _parse_file(path, display)
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _PARSED[key] = _parse_file(path, display)
    return dataclasses.replace(parsed, entries=list(parsed.entries), problems=list(parsed.problems))


def _merge(files: Sequence[tuple[Path, str, bool]]) -> tuple[Glossary | None, list[GlossaryError]]:
    problems: list[GlossaryError] = []
    merged: dict[str, Entry] = {}
    producer: set[str] = set()
    overrides: list[tuple[str, str, str]] = []
    common_en: list[str] = []
    common_strict: list[str] = []
    common_ko: list[str] = []
    for path, display, is_producer in files:
        parsed = _parse_file(path, display) if is_producer else _parse_cached(path, display)
        problems += parsed.problems
        common_en += parsed.common_en
        common_strict += parsed.common_strict
        common_ko += parsed.common_ko
        in_file: dict[str, Entry] = {}
        for entry in parsed.entries:
            twin = in_file.get(entry.id)
            if twin is not None:
                file, _, line = entry.source.rpartition(":")
                problems.append(GlossaryError(f"duplicate id (first at line {twin.source.rpartition(':')[2]})",
                                              file=file, line=int(line), entry=entry.id,
                                              hint="ids must be unique within a file; a later file may replace it"))
                continue
            in_file[entry.id] = entry
            earlier = merged.pop(entry.id, None)
            if earlier is not None:
                overrides.append((entry.id, earlier.source, entry.source))
            merged[entry.id] = entry
            if is_producer:
                producer.add(entry.id)
            else:
                producer.discard(entry.id)
    for entry in merged.values():
        if entry.group is not None and entry.group not in merged:
            file, _, line = entry.source.rpartition(":")
            problems.append(GlossaryError(f"group {entry.group!r} is not in the glossary", file=file,
                                          line=int(line), entry=entry.id))
    if problems:
        return None, problems
    return Glossary(merged.values(), common_en=common_en, common_strict=common_strict, common_ko=common_ko,
                    producer_ids=producer,
                    overrides=overrides), []


def _files(paths: Sequence[Path], builtin: bool) -> list[tuple[Path, str, bool]]:
    files = [(p, d, False) for p, d in _builtin_files()] if builtin else []
    files += [(Path(p), str(p), True) for p in paths]
    return files


def load_glossary(paths: Sequence[Path] = (), *, builtin: bool = True) -> Glossary:
    """The built-in glossary (``glossary/*.toml``) then ``paths`` in order; later entries replace earlier ones
    with the same id. All or nothing: the first problem raises :class:`GlossaryError`."""
    glossary, problems = _merge(_files(paths, builtin))
    if problems:
        raise problems[0]
    assert glossary is not None
    return glossary


def check_glossary(paths: Sequence[Path] = (), *, builtin: bool = True) -> tuple[Glossary | None, list[GlossaryError]]:
    """Every problem of every file (``streamkit glossary check``), and the glossary when there are none."""
    return _merge(_files(paths, builtin))


@overload
def optional_glossary(paths: Sequence[Path] = (), *, disabled: Literal[False] = False,
                      builtin: bool = True) -> Glossary: ...
@overload
def optional_glossary(paths: Sequence[Path] = (), *, disabled: bool, builtin: bool = True) -> Glossary | None: ...


def optional_glossary(paths: Sequence[Path] = (), *, disabled: bool = False, builtin: bool = True) -> Glossary | None:
    """What every command's ``--glossary FILE`` (repeatable) and ``--no-glossary`` mean, in one place: the
    built-in glossary (unless ``builtin=False``, ``--no-builtin``) plus ``paths``, or None when ``disabled``.

    Files given while the glossary is disabled are refused (:class:`~streamkit.errors.ConfigError`, key
    ``glossary``) rather than silently ignored; a bad file raises :class:`GlossaryError` as in :func:`load_glossary`.
    """
    if disabled:
        if paths:
            raise ConfigError("--glossary and --no-glossary contradict each other", key="glossary",
                              hint="drop --no-glossary to use the files, or the --glossary files to go without names")
        return None
    return load_glossary(paths, builtin=builtin)
