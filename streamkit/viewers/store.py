"""The SQLite store of samples (:class:`ViewerStore`) and the one-poller-per-store lock (:class:`PollLock`)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import StreamkitError
from ..fsutil import FileLock, ensure_writable_dir
from .samples import (
    _EPOCH,
    _MS,
    ENV_DB,
    KINDS,
    VERSIONS,
    PollerBusyError,
    ViewerSample,
    ViewerStoreError,
    _from_ms,
    parse_time,
)

log = logging.getLogger("streamkit")

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


def _busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds the database ("locked", "busy")."""
    return "locked" in str(exc) or "busy" in str(exc)


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
            ensure_writable_dir(path.parent, option="--db FILE (or STREAMKIT_VIEWERS_DB)")
        try:
            conn = sqlite3.connect(path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise ViewerStoreError(path, f"cannot be opened ({exc})") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            self._check_owner(conn)  # before WAL: another app's database is refused untouched
            mode = self._switch_to_wal(conn)
            if mode.lower() != "wal":
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

    def _check_owner(self, conn: sqlite3.Connection) -> bool:
        """Read only: ``True`` for an empty database (to be set up), ``False`` for a viewer store; else refused.

        Runs before anything is written (journal mode included) and again inside the setup
        transaction, where a concurrent creator may have got there first.
        """
        app_id, version, tables = conn.execute(  # one statement, one snapshot: a creator may commit in between
            "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version),"
            " (SELECT count(*) FROM sqlite_master WHERE type = 'table')").fetchone()
        if app_id == 0 and tables == 0:
            return True
        if app_id != _APPLICATION_ID:
            raise ViewerStoreError(self.path, "is a SQLite database, but not a streamkit viewer store; refused "
                                   "(nothing was written to it)",
                                   hint="point --db at a viewer store streamkit created, or at a new file")
        if version > _SCHEMA_VERSION:
            raise ViewerStoreError(self.path, f"was written by a newer streamkit (schema {version})",
                                   hint="upgrade streamkit")
        return False

    def _switch_to_wal(self, conn: sqlite3.Connection) -> str:
        """``PRAGMA journal_mode = WAL``, retried until ``timeout``: SQLite answers "locked" at once, without
        waiting, while another process holds a write transaction on a database still in rollback mode."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        with self._write(conn):
            if self._check_owner(conn):
                for statement in _SCHEMA.split(";"):  # not executescript(): it would COMMIT first
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

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
        if _busy(exc):
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

    def add(self, samples: Iterable[ViewerSample]) -> AddResult:
        """Store samples (in batches of 500 per transaction); the result lists the new ones.

        The store fires no hooks: :func:`streamkit.viewers.record_samples` stores and then tells plugins.
        """
        result = AddResult()
        batch: list[ViewerSample] = []
        for sample in samples:
            batch.append(sample)
            if len(batch) >= _BATCH:
                self._add_batch(batch, result)
                batch = []
        if batch:
            self._add_batch(batch, result)
        return result

    def _add_batch(self, batch: list[ViewerSample], result: AddResult) -> None:
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


class PollLock(FileLock):
    """At most one poller per database: the :class:`~streamkit.fsutil.FileLock` on ``DB.poll-lock``.

    A crashed poller never leaves a stale lock behind. (Advisory locks are unreliable on network
    file systems: keep the database on a local disk.)
    """

    def __init__(self, db_path: Path, *, command: str = "streamkit viewers poll") -> None:
        self.db_path = Path(db_path)
        super().__init__(self.db_path.with_name(self.db_path.name + ".poll-lock"), command=command)

    def busy(self, holder: str) -> StreamkitError:
        return PollerBusyError(self.db_path, holder)

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ViewerStoreError(self.path, f"cannot create the poll lock ({exc.strerror or exc})") from exc
