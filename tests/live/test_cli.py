"""``streamkit live`` from the command line: bad input is one line before any work; Ctrl-C finalizes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.subtitles import read_subtitles

from ..conftest import FANLIVE, REPO, SHORT
from .publish import growing_file_args, start, wait_for

runner = CliRunner()


def test_a_taken_port_is_refused_before_any_work(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = runner.invoke(app, ["live", str(SHORT), "--overlay", str(port), "--out", str(tmp_path), "-t", "none"])
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_missing_source_and_existing_drafts_are_one_line_each(tmp_path: Path) -> None:
    result = runner.invoke(app, ["live", str(tmp_path / "nope.ts"), "--overlay", "0"])
    assert result.exit_code == 3 and "no such file, and not a stream URL" in result.output
    (tmp_path / "short.live.ko.srt").write_text("edited", encoding="utf-8")
    result = runner.invoke(app, ["live", str(SHORT), "--overlay", "0", "--out", str(tmp_path), "-t", "none"])
    assert result.exit_code == 3 and "already exists" in result.output
    assert (tmp_path / "short.live.ko.srt").read_text(encoding="utf-8") == "edited"
    result = runner.invoke(app, ["live", str(SHORT), "--overlay", "0", "--out", str(tmp_path / "w"), "-t", "whisper",
                                 "--to", "ja"])
    assert result.exit_code != 0 and "whisper engine can only translate into English" in result.output
    result = runner.invoke(app, ["live", str(SHORT), "--overlay", "0", "--out", str(tmp_path / "w"), "--to", "en,xx"])
    assert result.exit_code != 0 and "unknown language 'xx'" in result.output and "Traceback" not in result.output
    (tmp_path / "short.live.ja.srt").write_text("edited", encoding="utf-8")  # a second language's draft is kept too
    result = runner.invoke(app, ["live", str(SHORT), "--overlay", "0", "--out", str(tmp_path), "--to", "en,ja",
                                 "-t", "libre", "--translator-url", "http://127.0.0.1:9"])
    assert result.exit_code == 3 and "short.live.ja.srt" in result.output


@pytest.mark.slow
def test_ctrl_c_finalizes_the_drafts_and_exits_130(tmp_path: Path) -> None:
    growing = tmp_path / "fan.ts"
    publisher = start(growing_file_args(FANLIVE, growing))
    out = tmp_path / "out"
    try:
        wait_for(growing)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-m", "streamkit", "live", str(growing), "-t", "none", "--overlay",
                                 "0", "--out", str(out), "--record", str(out / "fan.wav")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stderr is not None
        started = ""
        while "captions:" not in started:  # the model is loaded and the pages are served
            line = proc.stderr.readline()
            assert line, f"streamkit live ended early: {proc.wait()}"
            started += line
        time.sleep(8)  # mid-sentence: words pending, the first sentence not over
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        publisher.kill()
        publisher.wait()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == ["fan.live.ko.srt", "fan.live.ko.vtt", "fan.wav"]
    assert read_subtitles(out / "fan.live.ko.srt").cues  # the pending words were committed, not lost
    assert "fan.live.ko.srt" in stdout
