"""``streamkit subtitle`` and what it may write: the event log, and one run per output folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app

from ..conftest import SHORT
from .test_replay import one_line_error

runner = CliRunner()


# --------------------------------------------------------------------------- --event-log


def test_the_event_log_is_never_the_recording_an_output_or_an_editors_file(tmp_path: Path) -> None:
    show = tmp_path / "show.mp4"
    shutil.copy(SHORT, show)
    editor = tmp_path / "notes.srt"
    editor.write_text("1\n00:00:01,000 --> 00:00:02,000\n편집자가 고친 자막\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in (show, editor)}
    cases = {
        show: "input or output of this run",
        tmp_path / "show.en.srt": "input or output of this run",  # a planned output, not written yet
        tmp_path / "show.subtitled.mp4": "input or output of this run",
        editor: "not a streamkit event log",
    }
    for log_path, says in cases.items():
        result = runner.invoke(app, ["subtitle", str(show), "-t", "whisper", "--event-log", str(log_path), "-q"])
        assert result.exit_code == 3, result.output
        line = one_line_error(result.output)
        assert str(log_path) in line and says in line
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.srt", "show.mp4"]  # nothing written


# --------------------------------------------------------------------------- one run per output folder


def _hold_lock(folder: Path) -> subprocess.Popen[str]:
    """A real second process holding the folder's subtitle lock, as a running ``subtitle`` does."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from streamkit.fsutil import FolderLock\n"
        f"lock = FolderLock(Path({str(folder)!r}), 'subtitle', command='streamkit subtitle other/show.mp4')\n"
        "lock.acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)


def test_a_second_subtitle_run_into_the_same_folder_says_who_holds_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    show = tmp_path / "show.mp4"
    shutil.copy(SHORT, show)
    holder = _hold_lock(out)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = runner.invoke(app, ["subtitle", str(show), "--out", str(out), "-t", "whisper", "-q"])
        assert time.monotonic() - started < 30  # refused at once, not after transcribing
        assert result.exit_code == 3, result.output
        line = one_line_error(result.output)
        assert f"pid {holder.pid}" in line and "streamkit subtitle other/show.mp4" in line and "since" in line
        assert os.uname().nodename in line
        assert not [p for p in out.iterdir() if not p.name.startswith(".")]
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    from streamkit.fsutil import FolderLock

    out = tmp_path / "out"
    holder = _hold_lock(out)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()  # kill -9: the kernel drops the flock; no stale lock
    holder.wait()
    with FolderLock(out, "subtitle", command="streamkit subtitle show.mp4") as lock:
        info = json.loads(lock.path.read_text())
        assert info["pid"] == os.getpid() and info["command"] == "streamkit subtitle show.mp4"
    assert FolderLock.holder_of(out, "subtitle") is None


@pytest.mark.slow
def test_two_real_subtitle_runs_into_one_folder_one_refused(tmp_path: Path) -> None:
    """The reported case: two recordings with the same name, one --out; the first SRT was silently replaced."""
    for day in ("day1", "day2"):
        (tmp_path / day).mkdir()
        shutil.copy(SHORT, tmp_path / day / "show.mp4")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def start(day: str) -> subprocess.Popen[str]:
        cmd = [sys.executable, "-m", "streamkit", "subtitle", str(tmp_path / day / "show.mp4"), "--out", str(out),
               "--translator", "none", "--no-mux", "-q"]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    first = start("day1")
    lock = out / ".streamkit" / "subtitle.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.stat().st_size):
        time.sleep(0.05)
    second = start("day2")
    _, err2 = second.communicate(timeout=300)
    _, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 3, err2
    assert f"pid {first.pid}" in err2 and "day1/show.mp4" in err2
