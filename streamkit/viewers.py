"""Viewer counts: samples, the SQLite store, CSV/JSONL import, and the report (table, chart, HTML).

A :class:`ViewerSample` is one number about one stream at one instant: how many watched the
Korean live (``version="live"``, ``language="ko"``) or the English-subtitled replay
(``"replay"``, ``"en"``) on one platform, of one *kind*. Kinds are never added to each other:
concurrent viewers peak, cumulative views grow, and the report keeps them apart and says how
every total was obtained (:data:`KINDS`).

:class:`ViewerStore` keeps samples in SQLite (WAL, a busy timeout so several writers can share
one file). Storing is idempotent: the same sample (same stream, version, language, platform,
kind, source and time) is stored once, however often it is imported. Every newly stored sample
fires the ``viewer_sample_recorded`` hook.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import html
import io
import json
import logging
import math
import os
import re
import socket
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from .errors import InputError, OutputError, StreamkitError
from .fsutil import atomic_path, ensure_writable_dir
from .plugins import notify

__all__ = [
    "DEFAULT_LANGUAGE",
    "KINDS",
    "VERSIONS",
    "AddResult",
    "ImportResult",
    "KindTotal",
    "Peak",
    "PollLock",
    "PollerBusyError",
    "RowProblem",
    "SampleError",
    "SeriesSummary",
    "StreamReport",
    "StreamTotal",
    "VersionReport",
    "ViewerError",
    "ViewerReport",
    "ViewerSample",
    "ViewerStore",
    "ViewerStoreError",
    "build_report",
    "chart_png",
    "default_db_path",
    "import_samples",
    "parse_count",
    "parse_kind",
    "parse_time",
    "read_samples",
    "report_html",
    "sample_from_fields",
    "write_chart",
    "write_html",
]

log = logging.getLogger("streamkit")

# --------------------------------------------------------------------------- vocabulary (data)

#: Metric kinds and how a total of each is obtained. Kinds are never added to each other.
KINDS: dict[str, str] = {
    "concurrent": "concurrent viewers at one instant; the report gives the peak, never a sum",
    "cumulative": "views counted so far (a running total); the latest sample is the total",
    "participants": "people who joined so far (a running total); the latest sample is the total",
    "impressions": "times shown so far (a running total); the latest sample is the total",
    "manual": "a figure entered by a person; the latest one supersedes earlier ones",
}
KIND_LABELS = {
    "concurrent": "concurrent viewers",
    "cumulative": "cumulative views",
    "participants": "participants",
    "impressions": "impressions",
    "manual": "manual figures",
}
_KIND_ALIASES = {
    "ccu": "concurrent",
    "ccv": "concurrent",
    "concurrent_viewers": "concurrent",
    "concurrentviewers": "concurrent",
    "viewers": "concurrent",
    "live_viewers": "concurrent",
    "views": "cumulative",
    "view_count": "cumulative",
    "viewcount": "cumulative",
    "cumulative_views": "cumulative",
    "total_views": "cumulative",
    "participant": "participants",
    "impression": "impressions",
}
VERSIONS = ("live", "replay")
#: The language a version is in when a row does not say: the Korean live, the English replay.
DEFAULT_LANGUAGE = {"live": "ko", "replay": "en"}

_NAME = re.compile(r"^[^\W][\w.\-]{0,99}$")
_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9._\-]{0,49}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_MAX_VALUE = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

ENV_DB = "STREAMKIT_VIEWERS_DB"


# --------------------------------------------------------------------------- errors


class ViewerError(StreamkitError):
    """Viewer-count data that cannot be used."""

    exit_code = 2


class SampleError(ViewerError):
    """One field of a sample is invalid; names the field and the value."""

    def __init__(self, field_name: str, value: object, problem: str, *, hint: str | None = None) -> None:
        self.field = field_name
        self.value = value
        self.problem = problem
        shown = repr(value) if not isinstance(value, str) else repr(value[:60])
        super().__init__(f"{field_name} {shown}: {problem}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "field": self.field, "value": self.value, "problem": self.problem}


class ViewerStoreError(ViewerError, OutputError):
    """The viewer database cannot be opened or written; names the file (``PATH: problem``)."""

    exit_code = 3
    default_hint = f"choose another file with --db (or {ENV_DB})"


class PollerBusyError(ViewerStoreError):
    """Another ``streamkit viewers poll`` already polls into this database."""

    default_hint = "stop the other poller first, or poll into another --db"

    def __init__(self, path: Path | str, holder: str) -> None:
        self.holder = holder
        who = f" ({holder})" if holder else ""
        super().__init__(path, f"another poller{who} is already polling into this database; refused")

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "holder": self.holder}


# --------------------------------------------------------------------------- parsing one field


def parse_time(value: object) -> tuple[datetime, bool]:
    """An aware UTC datetime from ISO 8601 text or a datetime; ``True`` when it had no time zone.

    A time without a zone is taken as UTC (the caller says so to the person).
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise SampleError("time", value, "is not an ISO 8601 time",
                              hint="write e.g. 2024-05-01T20:00:00+09:00 or 2024-05-01T11:00:00Z") from None
    else:
        raise SampleError("time", value, "is missing" if value in (None, "") else "is not a time")
    naive = parsed.tzinfo is None or parsed.utcoffset() is None
    if naive:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC), naive


_COUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmb]?)$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_count(value: object) -> int:
    """A whole, non-negative count from an int, an integral float, or text (``1,300,000``, ``1.3M``)."""
    if isinstance(value, bool):
        raise SampleError("value", value, "is not a count")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise SampleError("value", value, "is not a whole number")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
        if text.startswith("-") and text[1:2].isdigit():
            raise SampleError("value", value, "is negative; counts are never below 0")
        match = _COUNT.match(text)
        if not match:
            what = "is missing" if not text else "is not a number"
            raise SampleError("value", value, what, hint="write a whole number such as 1300000, 1,300,000 or 1.3M")
        digits, suffix = match.groups()
        scale = _SCALE[suffix.lower()]
        whole, _, frac = digits.partition(".")
        if frac and (scale == 1 or len(frac) > len(str(scale)) - 1):
            raise SampleError("value", value, "is not a whole number")
        number = int(whole) * scale + (int(frac.ljust(len(str(scale)) - 1, "0")) if frac else 0)
    else:
        raise SampleError("value", value, "is missing" if value is None else "is not a number")
    if number < 0:
        raise SampleError("value", value, "is negative; counts are never below 0")
    if number > _MAX_VALUE:
        raise SampleError("value", value, "is too large")
    return number


def parse_kind(value: object) -> str:
    text = str(value if value is not None else "").strip().lower().replace("-", "_").replace(" ", "_")
    kind = _KIND_ALIASES.get(text, text)
    if kind not in KINDS:
        raise SampleError("kind", value, f"is not a metric kind ({', '.join(KINDS)})" if text else "is missing",
                          hint=f"use one of: {', '.join(KINDS)}")
    return kind


def parse_version(value: object) -> str:
    text = str(value if value is not None else "").strip().lower()
    if text not in VERSIONS:
        raise SampleError("version", value, "is not a version (live, replay)" if text else "is missing",
                          hint="use live (the Korean livestream) or replay (the subtitled replay)")
    return text


# --------------------------------------------------------------------------- the sample


@dataclass(frozen=True, slots=True)
class ViewerSample:
    """One viewer count: ``value`` of ``kind`` for ``stream``/``version``/``language`` on ``platform``.

    ``time`` is an aware datetime, normalized to UTC and whole milliseconds; ``source`` says
    where the number came from (``youtube-api``, ``manual``, ``import:file.csv`` ...).
    """

    time: datetime
    stream: str
    version: str
    language: str
    platform: str
    kind: str
    value: int
    source: str

    def __post_init__(self) -> None:
        t = self.time
        if not isinstance(t, datetime):
            raise SampleError("time", t, "is not a datetime")
        if t.tzinfo is None or t.utcoffset() is None:
            raise SampleError("time", t.isoformat(), "has no time zone",
                              hint="pass an aware datetime (parse_time assumes UTC and tells you)")
        t = t.astimezone(UTC)
        object.__setattr__(self, "time", t.replace(microsecond=t.microsecond // 1000 * 1000))
        if not isinstance(self.stream, str) or not _NAME.match(self.stream):
            raise SampleError("stream", self.stream, "is not a stream name",
                              hint="use letters, digits, '-', '_' or '.', e.g. decade-live")
        if self.version not in VERSIONS:
            raise SampleError("version", self.version, "is not a version", hint="use live or replay")
        if not isinstance(self.language, str) or not _LANGUAGE.match(self.language):
            raise SampleError("language", self.language, "is not a language code", hint="use e.g. ko or en")
        if not isinstance(self.platform, str) or not _PLATFORM.match(self.platform):
            raise SampleError("platform", self.platform, "is not a platform name",
                              hint="use lower-case letters, digits, '-', '_' or '.', e.g. youtube")
        if self.kind not in KINDS:
            raise SampleError("kind", self.kind, "is not a metric kind", hint=f"use one of: {', '.join(KINDS)}")
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise SampleError("value", self.value, "is not a whole number")
        if not 0 <= self.value <= _MAX_VALUE:
            raise SampleError("value", self.value, "is negative; counts are never below 0" if self.value < 0
                              else "is too large")
        if not isinstance(self.source, str) or not self.source.strip() or len(self.source) > 200 \
                or any(c in self.source for c in "\r\n"):
            raise SampleError("source", self.source, "must be one line of 1 to 200 characters")
        # Stored and compared as read back from CSV/JSON: without surrounding white space.
        object.__setattr__(self, "source", self.source.strip())

    @property
    def time_ms(self) -> int:
        """Milliseconds since the Unix epoch (UTC)."""
        return (self.time - _EPOCH) // _MS

    @property
    def series(self) -> tuple[str, str, str]:
        """``(platform, language, kind)``: samples of one series are comparable over time."""
        return (self.platform, self.language, self.kind)

    def key(self) -> tuple[str, str, str, str, str, str, int]:
        """What makes two samples "the same sample" (the value is not part of it)."""
        return (self.stream, self.version, self.language, self.platform, self.kind, self.source, self.time_ms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": _iso(self.time),
            "stream": self.stream,
            "version": self.version,
            "language": self.language,
            "platform": self.platform,
            "kind": self.kind,
            "value": self.value,
            "source": self.source,
        }


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _from_ms(ms: int) -> datetime:
    return _EPOCH + ms * _MS


def sample_from_fields(fields: Mapping[str, Any], *, default_source: str) -> tuple[ViewerSample, bool]:
    """A sample from loose fields (a CSV row, a JSON object, CLI options); ``True`` if the time was naive.

    ``language`` defaults to the version's (live: ko, replay: en), ``platform`` to
    ``unspecified``, ``source`` to ``default_source``. Raises :class:`SampleError`.
    """

    def text(name: str) -> str:
        value = fields.get(name)
        return "" if value is None else str(value).strip()

    when, naive = parse_time(fields.get("time"))
    version = parse_version(fields.get("version"))
    kind = parse_kind(fields.get("kind"))
    value = parse_count(fields.get("value"))
    stream = text("stream")
    if not stream:
        raise SampleError("stream", "", "is missing")
    sample = ViewerSample(
        time=when,
        stream=stream,
        version=version,
        language=text("language").lower() or DEFAULT_LANGUAGE[version],
        platform=text("platform").lower() or "unspecified",
        kind=kind,
        value=value,
        source=text("source") or default_source,
    )
    return sample, naive


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
    added = store.add(result.samples, fire_hooks=fire_hooks)
    result.added = len(added.added)
    result.duplicates = added.duplicates
    result.conflicts = added.conflicts
    return result


# --------------------------------------------------------------------------- the store


def default_db_path() -> Path:
    """``$STREAMKIT_VIEWERS_DB``, else ``$XDG_DATA_HOME/streamkit/viewers.sqlite`` (``~/.local/share``)."""
    env = os.environ.get(ENV_DB, "").strip()
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "streamkit" / "viewers.sqlite"


@dataclass
class AddResult:
    """What :meth:`ViewerStore.add` did: newly stored samples, exact repeats, and conflicts.

    A conflict is a sample whose identity is already stored with another value; the stored
    value is kept (``(new sample, stored value)``).
    """

    added: list[ViewerSample] = field(default_factory=list)
    duplicates: int = 0
    conflicts: list[tuple[ViewerSample, int]] = field(default_factory=list)


_APPLICATION_ID = 0x53544B56  # "STKV"
_SCHEMA_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    stream TEXT NOT NULL,
    version TEXT NOT NULL CHECK (version IN ({", ".join(repr(v) for v in VERSIONS)})),
    language TEXT NOT NULL,
    platform TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in KINDS)})),
    value INTEGER NOT NULL CHECK (value >= 0),
    source TEXT NOT NULL,
    recorded_ms INTEGER NOT NULL,
    UNIQUE (stream, version, language, platform, kind, source, time_ms)
);
CREATE INDEX IF NOT EXISTS samples_by_stream_time ON samples (stream, version, time_ms);
CREATE TABLE IF NOT EXISTS quota (
    source TEXT NOT NULL,
    day TEXT NOT NULL,
    units INTEGER NOT NULL,
    PRIMARY KEY (source, day)
);
"""
_BATCH = 500


class ViewerStore:
    """Viewer samples in one SQLite file (WAL; writers wait up to ``timeout`` s for each other).

    Refuses a file that is not SQLite, or a SQLite database that is not a viewer store
    (checked by the database header's application id), with :class:`ViewerStoreError`.
    """

    def __init__(self, path: Path | str | None = None, *, timeout: float = 30.0, create: bool = True) -> None:
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        self.timeout = timeout
        if not create and not self.path.exists():
            raise ViewerStoreError(self.path, "no such viewer database",
                                   hint=f"record or import samples first, or name the database with --db "
                                        f"(or {ENV_DB})")
        self._conn = self._open()

    # -- opening

    def _open(self) -> sqlite3.Connection:
        path = self.path
        if path.is_dir():
            raise ViewerStoreError(path, "is a folder, not a database file")
        if path.exists():
            try:
                with path.open("rb") as fh:
                    head = fh.read(len(_SQLITE_MAGIC))
            except OSError as exc:
                raise ViewerStoreError(path, f"cannot be read ({exc.strerror or exc})") from exc
            if head and head != _SQLITE_MAGIC:
                raise ViewerStoreError(path, "is not a SQLite database; refused (nothing was written to it)",
                                       hint="point --db at a viewer store streamkit created, or at a new file")
        else:
            ensure_writable_dir(path.parent)
        try:
            conn = sqlite3.connect(path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise ViewerStoreError(path, f"cannot be opened ({exc})") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("%s: SQLite could not switch to WAL (journal mode %s); writers will wait longer",
                            path, mode)
            conn.execute("PRAGMA synchronous = NORMAL")
            self._init_schema(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._error(exc) from exc
        except ViewerStoreError:
            conn.close()
            raise
        return conn

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        with self._write(conn):
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if app_id == 0 and tables == 0:
                for statement in _SCHEMA.split(";"):  # not executescript(): it would COMMIT first
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            elif app_id != _APPLICATION_ID:
                raise ViewerStoreError(self.path, "is a SQLite database, but not a streamkit viewer store; refused",
                                       hint="point --db at a viewer store streamkit created, or at a new file")
            elif version > _SCHEMA_VERSION:
                raise ViewerStoreError(self.path, f"was written by a newer streamkit (schema {version})",
                                       hint="upgrade streamkit")

    @contextlib.contextmanager
    def _write(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (``BEGIN IMMEDIATE``) so writers queue, not deadlock."""
        c = conn if conn is not None else self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")

    def _error(self, exc: sqlite3.Error) -> ViewerStoreError:
        text = str(exc)
        if "not a database" in text:
            return ViewerStoreError(self.path, "is not a SQLite database; refused")
        if "locked" in text or "busy" in text:
            return ViewerStoreError(self.path, f"stayed locked by another process for {self.timeout:g} s",
                                    hint="another streamkit is writing; try again")
        if "readonly" in text or "read-only" in text:
            return ViewerStoreError(self.path, "is read-only", hint="check the file's permissions")
        return ViewerStoreError(self.path, f"database error: {text}")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ViewerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing

    def add(self, samples: Iterable[ViewerSample], *, fire_hooks: bool = True) -> AddResult:
        """Store samples (in batches of 500 per transaction); fire ``viewer_sample_recorded`` for new ones."""
        result = AddResult()
        batch: list[ViewerSample] = []
        for sample in samples:
            batch.append(sample)
            if len(batch) >= _BATCH:
                self._add_batch(batch, result, fire_hooks)
                batch = []
        if batch:
            self._add_batch(batch, result, fire_hooks)
        return result

    def _add_batch(self, batch: list[ViewerSample], result: AddResult, fire_hooks: bool) -> None:
        now = (datetime.now(UTC) - _EPOCH) // _MS
        new: list[ViewerSample] = []
        try:
            with self._write() as c:
                for s in batch:
                    cur = c.execute(
                        "INSERT OR IGNORE INTO samples (time_ms, stream, version, language, platform, kind, value,"
                        " source, recorded_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (s.time_ms, s.stream, s.version, s.language, s.platform, s.kind, s.value, s.source, now),
                    )
                    if cur.rowcount == 1:
                        new.append(s)
                        continue
                    stored = c.execute(
                        "SELECT value FROM samples WHERE stream = ? AND version = ? AND language = ? AND platform = ?"
                        " AND kind = ? AND source = ? AND time_ms = ?",
                        s.key(),
                    ).fetchone()
                    if stored is not None and stored[0] != s.value:
                        result.conflicts.append((s, int(stored[0])))
                    else:
                        result.duplicates += 1
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        result.added.extend(new)
        if fire_hooks:
            for s in new:
                notify("viewer_sample_recorded", sample=s)

    def use_quota(self, source: str, day: str, units: int, limit: int) -> int | None:
        """Spend ``units`` of ``source``'s daily quota if that stays within ``limit``; the new total, or None.

        Kept in the database, so every poller of this store shares one budget.
        """
        try:
            with self._write() as c:
                row = c.execute("SELECT units FROM quota WHERE source = ? AND day = ?", (source, day)).fetchone()
                used = int(row[0]) if row else 0
                if used + units > limit:
                    return None
                c.execute("INSERT INTO quota (source, day, units) VALUES (?, ?, ?) "
                          "ON CONFLICT (source, day) DO UPDATE SET units = excluded.units",
                          (source, day, used + units))
                return used + units
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def quota_used(self, source: str, day: str) -> int:
        row = self._conn.execute("SELECT units FROM quota WHERE source = ? AND day = ?", (source, day)).fetchone()
        return int(row[0]) if row else 0

    # -- reading

    def samples(
        self,
        *,
        stream: str | None = None,
        version: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ViewerSample]:
        """Stored samples, oldest first, optionally filtered."""
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("stream", stream), ("version", version), ("kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("time_ms >= ?")
            args.append((parse_time(since)[0] - _EPOCH) // _MS)
        if until is not None:
            where.append("time_ms <= ?")
            args.append((parse_time(until)[0] - _EPOCH) // _MS)
        sql = ("SELECT time_ms, stream, version, language, platform, kind, value, source FROM samples"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY time_ms, stream, version, platform, language, kind, source")
        try:
            rows = self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        return [ViewerSample(_from_ms(r[0]), r[1], r[2], r[3], r[4], r[5], int(r[6]), r[7]) for r in rows]

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM samples").fetchone()[0])

    def streams(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT DISTINCT stream FROM samples ORDER BY stream")]

    def poll_lock(self) -> PollLock:
        return PollLock(self.path)


# --------------------------------------------------------------------------- one poller per store

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class PollLock:
    """At most one poller per database: an OS file lock on ``DB.poll-lock`` that holds the poller's PID.

    The kernel drops the lock when the process ends, however it ends, so a crashed poller never
    leaves a stale lock behind. (Advisory locks are unreliable on network file systems: keep the
    database on a local disk.)
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.path = self.db_path.with_name(self.db_path.name + ".poll-lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ViewerStoreError(self.path, f"cannot create the poll lock ({exc.strerror or exc})") from exc
        if not _try_lock(fd):
            try:
                holder = os.read(fd, 200).decode("utf-8", "replace").strip()
            finally:
                os.close(fd)
            raise PollerBusyError(self.db_path, holder)
        os.ftruncate(fd, 0)
        started = _iso(datetime.now(UTC))
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {started}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        _unlock(self._fd)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> PollLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class SeriesSummary:
    """One platform/language/kind series of one stream and version."""

    platform: str
    language: str
    kind: str
    samples: int
    first: datetime
    last: datetime
    latest: int
    peak: int
    peak_time: datetime
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "language": self.language,
            "kind": self.kind,
            "samples": self.samples,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "latest": self.latest,
            "peak": self.peak,
            "peak_time": _iso(self.peak_time),
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class Peak:
    """The highest concurrent-viewer sample of one stream and version (never a sum)."""

    value: int
    time: datetime
    platform: str
    language: str
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "time": _iso(self.time), "platform": self.platform,
                "language": self.language, "method": self.method}


@dataclass(frozen=True)
class KindTotal:
    """The total of one kind for one stream and version, and how it was obtained."""

    kind: str
    value: int
    method: str
    #: ``(platform, language, latest value, its time)`` for every series summed.
    parts: tuple[tuple[str, str, int, datetime], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "method": self.method,
            "parts": [{"platform": p, "language": lang, "value": v, "time": _iso(t)} for p, lang, v, t in self.parts],
        }


@dataclass(frozen=True)
class VersionReport:
    stream: str
    version: str
    samples: int
    first: datetime
    last: datetime
    series: tuple[SeriesSummary, ...]
    peak: Peak | None
    totals: tuple[KindTotal, ...]
    notes: tuple[str, ...] = ()

    def total(self, kind: str) -> KindTotal | None:
        return next((t for t in self.totals if t.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "version": self.version,
            "samples": self.samples,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "peak_concurrent": self.peak.to_dict() if self.peak else None,
            "totals": {t.kind: t.to_dict() for t in self.totals},
            "series": [s.to_dict() for s in self.series],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class StreamTotal:
    """One kind's total over live and replay together (only ever the same kind added)."""

    kind: str
    value: int
    by_version: tuple[tuple[str, int], ...]
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "by_version": dict(self.by_version), "method": self.method}


@dataclass(frozen=True)
class StreamReport:
    stream: str
    versions: tuple[VersionReport, ...]
    totals: tuple[StreamTotal, ...]

    def version(self, name: str) -> VersionReport | None:
        return next((v for v in self.versions if v.version == name), None)

    def total(self, kind: str) -> StreamTotal | None:
        return next((t for t in self.totals if t.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "versions": {v.version: v.to_dict() for v in self.versions},
            "totals": {t.kind: t.to_dict() for t in self.totals},
            "peak_concurrent": {v.version: v.peak.to_dict() for v in self.versions if v.peak},
        }


@dataclass(frozen=True)
class ViewerReport:
    streams: tuple[StreamReport, ...]
    samples: int
    generated: datetime

    def stream(self, name: str) -> StreamReport | None:
        return next((s for s in self.streams if s.stream == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated": _iso(self.generated),
            "samples": self.samples,
            "kinds": KINDS,
            "streams": [s.to_dict() for s in self.streams],
        }


_TOTAL_NOUNS = {
    "cumulative": "cumulative sample",
    "participants": "participants sample",
    "impressions": "impressions sample",
    "manual": "manual figure",
}


def _fmt(n: int) -> str:
    return f"{n:,}"


def _summarize(series: Sequence[ViewerSample]) -> SeriesSummary:
    ordered = sorted(series, key=lambda s: (s.time, s.value))
    peak = max(ordered, key=lambda s: (s.value, -s.time_ms))  # the first time the peak was reached
    latest = ordered[-1]
    return SeriesSummary(
        platform=latest.platform,
        language=latest.language,
        kind=latest.kind,
        samples=len(ordered),
        first=ordered[0].time,
        last=latest.time,
        latest=latest.value,
        peak=peak.value,
        peak_time=peak.time,
        sources=tuple(sorted({s.source for s in ordered})),
    )


def _version_report(stream: str, version: str, samples: Sequence[ViewerSample]) -> VersionReport:
    by_series: dict[tuple[str, str, str], list[ViewerSample]] = {}
    for sample in samples:
        by_series.setdefault(sample.series, []).append(sample)
    series = tuple(sorted((_summarize(v) for v in by_series.values()),
                          key=lambda x: (list(KINDS).index(x.kind), x.platform, x.language)))
    notes: list[str] = []
    concurrent = [s for s in series if s.kind == "concurrent"]
    peak: Peak | None = None
    if concurrent:
        top = max(concurrent, key=lambda s: (s.peak, -s.peak_time.timestamp()))
        method = "highest concurrent sample"
        if len(concurrent) > 1:
            others = ", ".join(f"{s.platform}/{s.language} {_fmt(s.peak)}" for s in concurrent if s is not top)
            method += f" of {len(concurrent)} platform/language series (others: {others}); concurrent counts " \
                      "are never added"
        peak = Peak(top.peak, top.peak_time, top.platform, top.language, method)
    totals: list[KindTotal] = []
    for kind in KINDS:
        if kind == "concurrent":
            continue
        parts = [s for s in series if s.kind == kind]
        if not parts:
            continue
        noun = _TOTAL_NOUNS[kind]
        if len(parts) == 1:
            method = f"latest {noun}"
        else:
            method = f"sum of the latest {noun} of each of {len(parts)} platform/language series"
        for s in parts:
            if s.latest < s.peak:
                notes.append(f"{kind} {s.platform}/{s.language}: the latest sample ({_fmt(s.latest)}) is below an "
                             f"earlier one ({_fmt(s.peak)} at {_iso(s.peak_time)}); the latest is used")
        totals.append(KindTotal(kind, sum(s.latest for s in parts), method,
                                tuple((s.platform, s.language, s.latest, s.last) for s in parts)))
    return VersionReport(
        stream=stream,
        version=version,
        samples=len(samples),
        first=min(x.time for x in samples),
        last=max(x.time for x in samples),
        series=series,
        peak=peak,
        totals=tuple(totals),
        notes=tuple(notes),
    )


def build_report(samples: Iterable[ViewerSample], *, now: datetime | None = None) -> ViewerReport:
    """Per stream and version: peak concurrent (value and time), totals per kind, live vs. replay.

    Totals across live and replay are given per kind only (cumulative live + cumulative replay),
    each with the method that produced it; concurrent peaks are listed per version, never added.
    """
    listed = list(samples)
    by_stream: dict[str, dict[str, list[ViewerSample]]] = {}
    for s in listed:
        by_stream.setdefault(s.stream, {}).setdefault(s.version, []).append(s)
    streams: list[StreamReport] = []
    for stream in sorted(by_stream):
        versions = tuple(_version_report(stream, v, by_stream[stream][v]) for v in VERSIONS if v in by_stream[stream])
        totals: list[StreamTotal] = []
        for kind in KINDS:
            if kind == "concurrent":
                continue
            parts = [(v, t) for v in versions if (t := v.total(kind)) is not None]
            if not parts:
                continue
            value = sum(t.value for _, t in parts)
            described = " + ".join(f"{v.version} {_fmt(t.value)} ({t.method})" for v, t in parts)
            missing = [v for v in VERSIONS if v not in {p[0].version for p in parts}]
            if len(parts) > 1:
                method = f"{described} = {_fmt(value)}"
            else:
                method = f"{described}; no {KIND_LABELS[kind]} for {', '.join(missing)}"
            totals.append(StreamTotal(kind, value, tuple((v.version, t.value) for v, t in parts), method))
        streams.append(StreamReport(stream, versions, tuple(totals)))
    return ViewerReport(tuple(streams), len(listed), now or datetime.now(UTC))


# --------------------------------------------------------------------------- chart and page

_VERSION_COLORS = {"live": "#d62728", "replay": "#1f77b4"}
_KIND_STYLES = {"cumulative": "-", "participants": "--", "impressions": ":", "manual": "none"}


def _human(value: float, _pos: object = None) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"


def chart_png(samples: Sequence[ViewerSample], *, title: str | None = None, dpi: int = 100) -> bytes:
    """A PNG of counts over time: per stream, concurrent viewers (left) and totals (right), UTC.

    Needs matplotlib (``pip install 'streamkit[charts]'``); drawn headless (Agg), no pyplot state.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter
    except ImportError as exc:
        raise ViewerError("the chart needs matplotlib, which is not installed",
                          hint="pip install 'streamkit[charts]' (or leave out --chart/--html)") from exc
    if not samples:
        raise ViewerError("no samples to chart", hint="record or import some first")
    streams = sorted({s.stream for s in samples})
    fig = Figure(figsize=(11, 3.6 * len(streams)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(streams), 2, squeeze=False)
    for row, stream in enumerate(streams):
        mine = [s for s in samples if s.stream == stream]
        left, right = axes[row][0], axes[row][1]
        groups: dict[tuple[str, str, str, str], list[ViewerSample]] = {}
        for s in mine:
            groups.setdefault((s.version, s.kind, s.platform, s.language), []).append(s)
        for (version, kind, platform, language), points in sorted(groups.items()):
            points.sort(key=lambda s: s.time)
            xs = [p.time for p in points]
            ys = [p.value for p in points]
            label = f"{version} {language} · {platform}"
            color = _VERSION_COLORS[version]
            if kind == "concurrent":
                left.plot(xs, ys, color=color, marker="." if len(xs) < 60 else None, label=label)
                top = max(points, key=lambda p: (p.value, -p.time_ms))
                left.annotate(f"peak {_human(top.value)}", (top.time, top.value), textcoords="offset points",
                              xytext=(0, 6), ha="center", fontsize=8, color=color)
            else:
                style = _KIND_STYLES[kind]
                right.plot(xs, ys, color=color, linestyle=style, marker="o" if style == "none" or len(xs) < 60
                           else None, label=f"{label} ({KIND_LABELS[kind]})")
        for ax, heading in ((left, "concurrent viewers (peak marked)"), (right, "totals by kind (never added)")):
            ax.set_title(f"{stream}: {heading}", fontsize=10, loc="left")
            ax.yaxis.set_major_formatter(FuncFormatter(_human))
            locator = AutoDateLocator(tz=UTC)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=UTC))  # type: ignore[no-untyped-call]
            ax.grid(True, alpha=0.3)
            ax.margins(x=0.05)
            highest = max((max(line.get_ydata(), default=0) for line in ax.lines), default=0)
            ax.set_ylim(0, max(float(highest) * 1.25, 1.0))  # room for the peak label and the legend
            if ax.lines:
                ax.legend(fontsize=7, loc="best")
            else:
                ax.text(0.5, 0.5, "no samples of this kind", ha="center", va="center", transform=ax.transAxes,
                        color="gray")
            ax.set_xlabel("time (UTC)", fontsize=8)
    if title:
        fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_chart(samples: Sequence[ViewerSample], target: Path, *, title: str | None = None) -> Path:
    """Write :func:`chart_png` to ``target`` atomically."""
    data = chart_png(samples, title=title)
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def report_html(report: ViewerReport, png: bytes | None) -> str:
    """A self-contained page: one table per stream (live vs. replay, totals and methods) and the chart."""
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>streamkit viewer report</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        "table{border-collapse:collapse;margin:0 0 1.5rem}"
        "th,td{border:1px solid #ccc;padding:.35rem .6rem;text-align:left;vertical-align:top}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}"
        ".method{color:#555;font-size:.85em}img{max-width:100%}</style>",
        "</head><body>",
        "<h1>Viewer report</h1>",
        f"<p>{report.samples:,} samples; generated {esc(_iso(report.generated))}. All times UTC. "
        "Kinds are never added to each other; every total says how it was obtained.</p>",
    ]
    for stream in report.streams:
        parts.append(f"<h2>{esc(stream.stream)}</h2>")
        parts.append('<table class="versions"><thead><tr><th>version</th><th>peak concurrent</th><th>at (UTC)</th>'
                     "<th>totals</th><th>samples</th></tr></thead><tbody>")
        for v in stream.versions:
            peak = f"{v.peak.value:,}" if v.peak else "—"
            at = f"{esc(_iso(v.peak.time))}<br>{esc(v.peak.platform)}/{esc(v.peak.language)}" if v.peak else "—"
            totals = "<br>".join(
                f"{esc(KIND_LABELS[t.kind])}: <b>{t.value:,}</b> <span class=method>({esc(t.method)})</span>"
                for t in v.totals) or "—"
            method = f'<div class="method">{esc(v.peak.method)}</div>' if v.peak else ""
            parts.append(f"<tr><td>{esc(v.version)}</td><td class=n>{peak}{method}</td><td>{at}</td>"
                         f"<td>{totals}</td><td class=n>{v.samples:,}</td></tr>")
        parts.append("</tbody></table>")
        if stream.totals:
            parts.append('<table class="totals"><thead><tr><th>live + replay</th><th>total</th><th>how</th></tr>'
                         "</thead><tbody>")
            for t in stream.totals:
                parts.append(f"<tr><td>{esc(KIND_LABELS[t.kind])}</td><td class=n><b>{t.value:,}</b></td>"
                             f"<td class=method>{esc(t.method)}</td></tr>")
            parts.append("</tbody></table>")
        notes = [n for v in stream.versions for n in v.notes]
        if notes:
            parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    if png:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<h2>Counts over time</h2><img alt="viewer counts over time" src="data:image/png;base64,{data}">')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_html(report: ViewerReport, samples: Sequence[ViewerSample], target: Path) -> Path:
    """Write the report page with the chart embedded (base64 PNG) to ``target`` atomically."""
    png = chart_png(samples) if samples else None
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_text(report_html(report, png), encoding="utf-8")
    return target
