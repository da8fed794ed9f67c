"""A show to review: fanlive.mp4 with a hand-written Korean track and its English draft made by
``streamkit translate`` against the test LibreTranslate server (so the draft record exists)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.web.review import ReviewOptions, ReviewSession, open_review

from ...conftest import FANLIVE
from ...libre_server import LibreServer

#: Cue 3 breaks three rules (too wide, too fast, too short); the rest are clean.
KOREAN = """1
00:00:01,000 --> 00:00:04,000
안녕하세요 여러분

2
00:00:04,500 --> 00:00:08,000
오늘 정말 재밌었어요

3
00:00:13,200 --> 00:00:14,000
신곡 무대 같이 보고 싶었어요 진짜 사랑해요 감사합니다

4
00:00:23,400 --> 00:00:27,000
팬 여러분 고마워요
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path / "cache-root"))
    monkeypatch.chdir(tmp_path)  # no ./streamkit.toml from elsewhere
    for var in ("STREAMKIT_LIBRE_URL", "STREAMKIT_CONFIG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def libre() -> Iterator[LibreServer]:
    with LibreServer() as server:
        yield server


@pytest.fixture
def show(tmp_path: Path, libre: LibreServer) -> Path:
    """``show/show.mp4`` (a link to fanlive.mp4), ``show.ko.srt``, and ``show.en.srt`` with its draft record."""
    folder = tmp_path / "show"
    folder.mkdir()
    video = folder / "show.mp4"
    os.symlink(FANLIVE, video)
    (folder / "show.ko.srt").write_text(KOREAN, encoding="utf-8")
    result = CliRunner().invoke(app, ["translate", str(folder / "show.ko.srt"), "-t", "libre",
                                      "--translator-url", libre.url, "--no-glossary", "-q"])
    assert result.exit_code == 0, result.output
    return video


@pytest.fixture
def session(show: Path, libre: LibreServer) -> ReviewSession:
    return open_review(show, None, ReviewOptions(translator_settings={"url": libre.url}, no_glossary=True))
