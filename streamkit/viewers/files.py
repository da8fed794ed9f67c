"""Reading files of samples (CSV with a header row, JSON lines): good rows become samples, bad ones problems."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..errors import InputError
from .events import record_samples
from .samples import SampleError, ViewerSample, sample_from_fields
from .store import ViewerStore

# --------------------------------------------------------------------------- reading files


@dataclass(frozen=True)
class RowProblem:
    """A row that was skipped: its line number in the file and why."""

    line: int
    problem: str


@dataclass
class ImportResult:
    """What reading (and storing) one file did."""

    path: Path
    rows: int = 0
    samples: list[ViewerSample] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    #: Line numbers of times without a time zone (taken as UTC).
    naive_lines: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    added: int = 0
    duplicates: int = 0
    conflicts: list[tuple[ViewerSample, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "rows": self.rows,
            "valid": len(self.samples),
            "added": self.added,
            "duplicates": self.duplicates,
            "conflicts": [{"sample": s.to_dict(), "stored_value": v} for s, v in self.conflicts],
            "skipped": [{"line": p.line, "problem": p.problem} for p in self.problems],
            "naive_times": len(self.naive_lines),
            "notes": self.notes,
        }


_CSV_REQUIRED = ("time", "stream", "version", "kind", "value")
_CSV_OPTIONAL = ("language", "platform", "source")


def read_samples(path: Path) -> ImportResult:
    """Parse a ``.csv`` or ``.jsonl`` file: every good row becomes a sample, every bad one a problem.

    Raises :class:`InputError` only when the file as a whole cannot be read (missing, wrong
    format, a CSV header without the required columns).
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a folder")
    if not path.is_file():
        raise InputError(path, "no such file")
    suffix = path.suffix.lower()
    result = ImportResult(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            if suffix == ".csv":
                _read_csv(fh, result)
            elif suffix in (".jsonl", ".ndjson"):
                _read_jsonl(fh, result)
            else:
                raise InputError(path, f"unknown file type {suffix or '(none)'!r}",
                                 hint="import a .csv (with a header row) or a .jsonl file")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if result.naive_lines:
        result.notes.append(f"{len(result.naive_lines)} time(s) had no time zone and were taken as UTC "
                            f"(line {_lines(result.naive_lines)})")
    return result


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _add_row(result: ImportResult, line: int, fields: Mapping[str, Any]) -> None:
    result.rows += 1
    try:
        sample, naive = sample_from_fields(fields, default_source=f"import:{result.path.name}")
    except SampleError as exc:
        result.problems.append(RowProblem(line, str(exc)))
        return
    if naive:
        result.naive_lines.append(line)
    result.samples.append(sample)


def _read_csv(fh: TextIO, result: ImportResult) -> None:
    reader = csv.reader(fh)
    header: list[str] | None = None
    last_line = 0
    try:
        for row in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if header is None:
                header = [h.strip().lower() for h in row]
                missing = [c for c in _CSV_REQUIRED if c not in header]
                if missing:
                    raise InputError(result.path, f"line {first_line}: the header lacks {', '.join(missing)}",
                                     hint="the first row names the columns: time,stream,version,language,"
                                          "platform,kind,value,source (language, platform, source optional)")
                extra = [h for h in header if h not in _CSV_REQUIRED + _CSV_OPTIONAL]
                if extra:
                    result.notes.append(f"ignored column(s): {', '.join(extra)}")
                continue
            if len(row) != len(header):
                result.rows += 1
                result.problems.append(RowProblem(first_line, f"has {len(row)} fields, the header has {len(header)}"))
                continue
            _add_row(result, first_line, dict(zip(header, row, strict=True)))
    except csv.Error as exc:
        result.problems.append(RowProblem(reader.line_num, f"unreadable CSV ({exc}); the rest of the file was "
                                                           "not read"))


def _read_jsonl(fh: TextIO, result: ImportResult) -> None:
    for number, raw in enumerate(fh, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            result.rows += 1
            result.problems.append(RowProblem(number, f"is not JSON ({exc.msg})"))
            continue
        if not isinstance(data, dict):
            result.rows += 1
            result.problems.append(RowProblem(number, "is not a JSON object"))
            continue
        _add_row(result, number, {str(k).lower(): v for k, v in data.items()})


def import_samples(store: ViewerStore, path: Path, *, fire_hooks: bool = True) -> ImportResult:
    """Read ``path`` and store its good rows (idempotent); the result lists the bad ones."""
    result = read_samples(path)
    added = record_samples(store, result.samples, fire_hooks=fire_hooks)
    result.added = len(added.added)
    result.duplicates = added.duplicates
    result.conflicts = added.conflicts
    return result
