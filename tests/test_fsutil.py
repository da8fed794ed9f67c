"""streamkit.fsutil: atomic writes, the output-folder check, and the one lock class (FileLock)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from streamkit.errors import LockedError, OutputError
from streamkit.fsutil import FileLock, FolderLock, atomic_path, atomic_write_text, ensure_writable_dir

from .conftest import REPO


def test_atomic_path_renames_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.srt"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".srt" and tmp.name.startswith(".")
        tmp.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done"
    assert [p.name for p in tmp_path.iterdir()] == ["out.srt"]


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_path_leaves_nothing_and_keeps_the_old_file_on_failure(tmp_path: Path, exc: type) -> None:
    target = tmp_path / "out.srt"
    target.write_text("editor's corrected version")
    with pytest.raises(exc), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise exc()
    assert target.read_text() == "editor's corrected version"
    assert [p.name for p in tmp_path.iterdir()] == ["out.srt"]


def test_atomic_write_text_into_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        atomic_write_text(blocker / "out.srt", "x")


def test_ensure_writable_dir_refuses_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match=r"cannot create|not a folder"):
        ensure_writable_dir(blocker / "sub")
    with pytest.raises(OutputError):
        ensure_writable_dir(blocker)


# --------------------------------------------------------------------------- the one lock class

HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from streamkit.fsutil import FileLock
    with FileLock(Path(sys.argv[1]), command="streamkit test holder"):
        print("held", flush=True)
        sys.stdin.read()
""")


def _hold(path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_lock_held_by_another_process_is_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "x.lock"  # the folder is made
    holder = _hold(path)
    try:
        line = FileLock.holder_at(path)
        assert line is not None and line.startswith(f"pid {holder.pid} on {socket.gethostname()}: ")
        assert ": streamkit test holder, since " in line
        with pytest.raises(LockedError) as info:
            FileLock(path).acquire()
        assert info.value.holder == line and str(path) in str(info.value)
    finally:
        holder.kill()  # kill -9: the kernel drops the lock; nothing stale is left
        holder.wait()
    assert FileLock.holder_at(path) is None
    with FileLock(path, command="streamkit again") as lock:
        assert json.loads(path.read_text())["command"] == "streamkit again"
        assert lock.path == path
    assert path.read_text() == ""  # released: the holder record is cleared
    assert FileLock.holder_at(tmp_path / "never.lock") is None


def test_every_lock_records_its_holder_the_same_way(tmp_path: Path) -> None:
    from streamkit.viewers import PollerBusyError, PollLock

    with FolderLock(tmp_path, "subtitle", command="streamkit subtitle a.mp4") as folder, \
            PollLock(tmp_path / "v.sqlite") as poll:
        records = [json.loads(lock.path.read_text()) for lock in (folder, poll)]
        assert [sorted(r) for r in records] == [["command", "host", "pid", "since"]] * 2
        assert [r["command"] for r in records] == ["streamkit subtitle a.mp4", "streamkit viewers poll"]
        assert FolderLock.holder_of(tmp_path, "subtitle") == FileLock.holder_at(folder.path)
        with pytest.raises(LockedError, match="another streamkit subtitle holds this lock"):
            FolderLock(tmp_path, "subtitle").acquire()
        with pytest.raises(PollerBusyError, match="already polling"):
            PollLock(tmp_path / "v.sqlite").acquire()


def test_an_unreadable_holder_record_is_said_so(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with FileLock(path):
        path.write_text("not json")
        assert FileLock.holder_at(path) == "holder unknown"
