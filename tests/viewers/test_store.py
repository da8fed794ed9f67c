"""The SQLite store (refusals, WAL, two writers) and the one-poller lock."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from streamkit.viewers import (
    PollerBusyError,
    PollLock,
    ViewerStore,
    ViewerStoreError,
    default_db_path,
)

from .data import sample

# --------------------------------------------------------------------------- the database


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "viewers.sqlite"
    path.write_text("time,stream\n2024-05-01,decade-live\n", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ViewerStoreError, match="is not a SQLite database") as info:
        ViewerStore(path)
    assert info.value.exit_code == 3 and path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["viewers.sqlite"]


def test_someone_elses_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()
    with pytest.raises(ViewerStoreError, match="not a streamkit viewer store"):
        ViewerStore(path)
    with pytest.raises(ViewerStoreError, match="is a folder"):
        ViewerStore(tmp_path)
    with pytest.raises(ViewerStoreError, match="no such viewer database"):
        ViewerStore(tmp_path / "missing.sqlite", create=False)
    assert not (tmp_path / "missing.sqlite").exists()


def test_the_store_uses_wal_and_the_default_path_is_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMKIT_VIEWERS_DB", str(tmp_path / "env.sqlite"))
    assert default_db_path() == tmp_path / "env.sqlite"
    monkeypatch.delenv("STREAMKIT_VIEWERS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "streamkit" / "viewers.sqlite"
    with ViewerStore() as store:
        store.add([sample(0, 1)])
        assert store.path == tmp_path / "data" / "streamkit" / "viewers.sqlite"
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from streamkit.viewers import ViewerSample, ViewerStore
    db, start, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    base = datetime(2024, 5, 1, tzinfo=UTC)
    with ViewerStore(db) as store:
        for i in range(start, start + n):  # one transaction per sample: the writers interleave
            s = ViewerSample(base + timedelta(seconds=i), "decade-live", "live", "ko", "youtube", "concurrent", i,
                             "writer")
            store.add([s])
    print("done")
""")


def _env() -> dict[str, str]:
    return {**os.environ, "STREAMKIT_LOAD_PLUGINS": ""}


def test_two_writer_processes_at_once_lose_nothing_and_store_nothing_twice(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"  # both create it: the schema is set up once
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(start), "300"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for start in (0, 150)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with ViewerStore(db) as store:
        values = [s.value for s in store.samples()]
    assert values == list(range(450)), (len(values), sorted(set(range(450)) - set(values))[:10], outs)


def test_a_store_opened_while_another_process_sets_one_up_waits_instead_of_failing(tmp_path: Path) -> None:
    # SQLite refuses the switch to WAL at once ("locked", no busy wait) while another connection holds a
    # write transaction on a database still in rollback mode: what a second creator meets in its first
    # milliseconds. The store retries until its timeout.
    db = tmp_path / "new.sqlite"
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        with ViewerStore(db, timeout=10) as store:
            store.add([sample(0, 1)])
            assert [s.value for s in store.samples()] == [1]
    finally:
        release.join()
        other.close()
    with pytest.raises(ViewerStoreError, match=r"stayed locked by another process for 0\.2 s"):
        other = sqlite3.connect(tmp_path / "held.sqlite", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            ViewerStore(tmp_path / "held.sqlite", timeout=0.2)
        finally:
            other.close()


HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from streamkit.viewers import PollLock
    with PollLock(Path(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.read()
""")


def test_a_second_poller_on_one_database_is_refused_until_the_first_ends(tmp_path: Path) -> None:
    db = tmp_path / "v.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(PollerBusyError, match=f"pid {holder.pid}") as info:
            PollLock(db).acquire()
        assert "already polling" in str(info.value)
    finally:
        holder.kill()  # even a killed poller leaves no stale lock: the kernel drops it
        holder.wait(10)
    with PollLock(db) as lock:
        info = json.loads(lock.path.read_text())
        assert info["pid"] == os.getpid()
        assert PollLock.holder_at(lock.path) == \
            f"pid {os.getpid()} on {socket.gethostname()}: streamkit viewers poll, since {info['since']}"
        with pytest.raises(PollerBusyError):
            PollLock(db).acquire()
    PollLock(db).acquire()
