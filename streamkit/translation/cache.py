"""The translation cache: every answer stored in SQLite.

Keyed by engine, source and target language, a fingerprint of the engine's settings (never secrets)
and the exact text sent. A re-run, or an edited draft, sends only text never translated before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("streamkit")


def default_cache_path() -> Path:
    """``<cache root>/translations.sqlite`` (``~/.cache/streamkit`` unless ``$STREAMKIT_CACHE``)."""
    from ..modelstore import cache_root

    return cache_root() / "translations.sqlite"


@dataclass(frozen=True, slots=True)
class CacheKey:
    engine: str
    source: str
    target: str
    settings: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    engine      TEXT NOT NULL,
    source      TEXT NOT NULL,
    target      TEXT NOT NULL,
    settings    TEXT NOT NULL,
    text        TEXT NOT NULL,
    translation TEXT NOT NULL,
    created     REAL NOT NULL,
    PRIMARY KEY (engine, source, target, settings, text)
) WITHOUT ROWID
"""


class TranslationCache:
    """Translations in one SQLite file (WAL, busy timeout): safe for concurrent processes.

    A cache that cannot be opened or written never fails a run: it logs a warning and the run
    goes on without it.
    """

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path).expanduser()
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._broken = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is not None or self._broken:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.Error as exc:  # network file systems: keep the default journal
                log.debug("translation cache: WAL unavailable (%s)", exc)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            log.warning("translation cache %s cannot be used (%s); translating without it", self.path, exc)
            self._broken = True
            return None
        self._conn = conn
        return conn

    def lookup(self, key: CacheKey, texts: Sequence[str]) -> dict[str, str]:
        """The cached translations of those ``texts`` that have one."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(texts))
        with self._lock:
            conn = self._connect()
            if conn is None:
                return found
            try:
                for i in range(0, len(unique), 500):
                    chunk = unique[i : i + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = conn.execute(
                        "SELECT text, translation FROM translations WHERE engine = ? AND source = ? AND "
                        f"target = ? AND settings = ? AND text IN ({marks})",
                        (key.engine, key.source, key.target, key.settings, *chunk),
                    )
                    found.update((str(t), str(tr)) for t, tr in rows)
            except sqlite3.Error as exc:
                log.warning("translation cache %s unreadable (%s); translating without it", self.path, exc)
        return found

    def store(self, key: CacheKey, pairs: Sequence[tuple[str, str]]) -> None:
        if not pairs:
            return
        now = time.time()
        with self._lock:
            conn = self._connect()
            if conn is None:
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(key.engine, key.source, key.target, key.settings, t, tr, now) for t, tr in pairs],
                )
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                log.warning("could not write the translation cache %s (%s)", self.path, exc)
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    def count(self) -> int:
        with self._lock:
            conn = self._connect()
            if conn is None:
                return 0
            try:
                return int(conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0])
            except sqlite3.Error:
                return 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
