"""``streamkit review`` from the command line: a real process serving the page, and its errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from streamkit.cli import app

from ...conftest import REPO

runner = CliRunner()


def test_review_serves_the_page_until_ctrl_c(show: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamkit", "review", str(show), "--port", "0", "--no-open", "--no-voice",
         "--no-glossary"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "reviewing show.mp4 (show.ko.srt, show.en.srt) at http://127.0.0.1:" in line, line
        url = line.rsplit(" at ", 1)[1].strip()
        state = httpx.get(url + "api/session", timeout=10).json()
        assert [t["language"] for t in state["tracks"]] == ["ko", "en"]
        assert "<title>streamkit review</title>" in httpx.get(url, timeout=10).text
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_review_refuses_what_it_cannot_open(tmp_path: Path, show: Path) -> None:
    result = runner.invoke(app, ["review", str(tmp_path / "missing.mp4"), "--no-open"])
    assert result.exit_code == 2 and "missing.mp4: no such file" in result.output
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    os.symlink(show, lonely / "lonely.mp4")
    result = runner.invoke(app, ["review", str(lonely / "lonely.mp4"), "--no-open", "--port", "0"])
    assert result.exit_code == 2 and "no subtitles found for it (looked for lonely.LANG.srt)" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["review", str(show), "--out", str(tmp_path / "nope"), "--port", "0", "--no-open"])
    assert result.exit_code == 2 and "is not a folder" in result.output
