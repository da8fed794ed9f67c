"""``streamkit replay`` through typer's CliRunner, and as a real process interrupted and resumed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app

from ..conftest import FANLIVE
from ..test_replay import make_recordings, spec_text, write_spec

runner = CliRunner()


def one_line_error(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error: "), output
    assert "Traceback" not in output and len(lines) <= 2, output
    return lines[0]


def test_help_names_every_option() -> None:
    result = runner.invoke(app, ["replay", "--help"])
    assert result.exit_code == 0
    for option in ("--workers", "--executor", "--address", "--ship-media", "--force", "--status", "--json"):
        assert option in result.output
    assert "replay" in runner.invoke(app, ["--help"]).output


def test_a_bad_spec_is_one_line_naming_file_and_key_with_exit_2(tmp_path: Path) -> None:
    make_recordings(tmp_path, [], corrupt=["a.mp4"])
    spec_file = write_spec(tmp_path, spec_text(extra="wokers = 3"))
    result = runner.invoke(app, ["replay", str(spec_file)])
    assert result.exit_code == 2
    line = one_line_error(result.output)
    assert str(spec_file) in line and "unknown key run.wokers" in line
    assert "known keys in [run]" in result.output
    missing = runner.invoke(app, ["replay", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "spec file not found" in one_line_error(missing.output)
    nothing = write_spec(tmp_path, '[job]\ninputs = ["rec/*.mkv"]\noutput = "out"\n', name="empty.toml")
    globbed = runner.invoke(app, ["replay", str(nothing)])
    assert globbed.exit_code == 2 and "job.inputs: glob 'rec/*.mkv' matches no files" in one_line_error(globbed.output)
    bad_executor = runner.invoke(app, ["replay", str(nothing.with_name("event.toml")), "--executor", "dask"])
    assert bad_executor.exit_code == 2


def test_a_second_replay_on_the_same_output_refuses_naming_the_lock(tmp_path: Path) -> None:
    make_recordings(tmp_path, [], corrupt=["a.mp4"])
    spec_file = write_spec(tmp_path, spec_text())
    lock = tmp_path / "out" / ".streamkit" / "replay.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import fcntl, json, os, sys, time\n"
            f"f = open({str(lock)!r}, 'w')\n"
            "fcntl.flock(f, fcntl.LOCK_EX)\n"
            "f.write(json.dumps({'pid': os.getpid(), 'host': 'stage-pc', 'since': 'now'})); f.flush()\n"
            "print('held', flush=True); time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = runner.invoke(app, ["replay", str(spec_file)])
        assert result.exit_code == 3
        line = one_line_error(result.output)
        assert str(lock) in line and f"pid {holder.pid} on stage-pc" in line
        status = runner.invoke(app, ["replay", str(spec_file), "--status"])  # needs no lock
        assert status.exit_code == 0 and f"running now: pid {holder.pid}" in status.output
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
def test_json_report_status_and_exit_code_with_one_corrupt_recording(tmp_path: Path) -> None:
    make_recordings(tmp_path, ["live.mp4"], corrupt=["broken.mp4"])
    spec_file = write_spec(tmp_path, spec_text(engine="none"))
    result = runner.invoke(app, ["replay", str(spec_file), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report == json.loads((tmp_path / "out" / "replay-report.json").read_text())
    assert report["counts"] == {"done": 1, "skipped": 0, "failed": 1} and report["ok"] is False
    entries = {r["key"]: r for r in report["recordings"]}
    assert entries["live"]["outputs"] == ["live/live.ko.srt", "live/live.subtitled.mp4"]
    assert "not a media file" in entries["broken"]["error"]

    status = runner.invoke(app, ["replay", str(spec_file), "--status", "--json"])
    assert status.exit_code == 0
    rows = {r["key"]: r["status"] for r in json.loads(status.stdout)["recordings"]}
    assert rows == {"broken": "failed", "live": "done"}
    text = runner.invoke(app, ["replay", str(spec_file), "--status"])
    assert "1 done" in text.output and "1 failed" in text.output and "not a media file" in text.output
    assert "no replay is running" in text.output

    (tmp_path / "rec" / "broken.mp4").unlink()  # the team drops the bad file from the folder
    table = runner.invoke(app, ["replay", str(spec_file)])
    assert table.exit_code == 0, table.output
    assert "0 done, 1 already done, 0 failed" in table.output


@pytest.mark.slow
def test_ctrl_c_mid_run_then_the_same_command_resumes_with_the_same_outputs(tmp_path: Path) -> None:
    """A real ``python -m streamkit replay``, interrupted like a terminal does (SIGINT to the group)."""
    # The 55-second sample: the 5-second one can finish inside the 1.5 s wait below.
    make_recordings(tmp_path, ["a.mp4", "b.mp4"], source=FANLIVE)
    spec_file = write_spec(tmp_path, spec_text(engine="none", workers=1))
    state_file = tmp_path / "out" / ".streamkit" / "replay-state.json"
    cmd = [sys.executable, "-m", "streamkit", "replay", str(spec_file), "-q"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 180
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError, ValueError):
            statuses = {k: v["status"] for k, v in json.loads(state_file.read_text())["recordings"].items()}
        if statuses.get("a") == "done" and statuses.get("b") == "running":
            break
        time.sleep(0.1)
    assert statuses == {"a": "done", "b": "running"}, statuses
    time.sleep(1.5)  # b is mid-stage now
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    state = json.loads(state_file.read_text())["recordings"]
    assert state["a"]["status"] == "done" and state["b"]["status"] == "pending"
    out = tmp_path / "out"
    assert not [p for p in out.rglob("*") if ".part" in p.name]
    assert not (out / "b" / "b.subtitled.mp4").exists()

    done = subprocess.run([*cmd, "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    report = {r["key"]: r for r in json.loads(done.stdout)["recordings"]}
    assert report["a"]["status"] == "skipped" and report["b"]["status"] == "done"
    for suffix in (".ko.srt", ".subtitled.mp4"):  # same content as the recording that was never interrupted
        assert (out / "b" / f"b{suffix}").read_bytes() == (out / "a" / f"a{suffix}").read_bytes()
