"""``streamkit translate`` and ``streamkit doctor`` through typer's CliRunner, against tests/libre_server.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.segment import ENGLISH_RULES, display_width
from streamkit.subtitles import read_subtitles

from .libre_server import LibreServer

runner = CliRunner()

KOREAN_SRT = """\
1
00:00:01,000 --> 00:00:03,000
안녕하세요 여러분!

2
00:00:03,200 --> 00:00:05,500
오늘은 신곡 무대를

3
00:00:05,600 --> 00:00:07,400
같이 볼 거예요.

4
00:00:09,000 --> 00:00:11,000
<i>정말 보고 싶었어요.</i>

5
00:00:11,100 --> 00:00:13,900
- 내일 콘서트에서 만나요.
- 감사합니다.
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path / "cache-root"))
    monkeypatch.chdir(tmp_path)  # no ./streamkit.toml from elsewhere
    for var in ("STREAMKIT_LIBRE_URL", "STREAMKIT_LIBRE_API_KEY", "STREAMKIT_DEEPL_API_KEY", "DEEPL_API_KEY",
                "STREAMKIT_PAPAGO_CLIENT_ID", "STREAMKIT_PAPAGO_CLIENT_SECRET", "STREAMKIT_CONFIG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def libre() -> Iterator[LibreServer]:
    with LibreServer() as server:
        yield server


def test_translate_an_existing_korean_srt(tmp_path: Path, libre: LibreServer) -> None:
    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    args = ["translate", str(source), "-t", "libre", "--translator-url", libre.url, "--no-glossary", "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    target = tmp_path / "live.en.srt"
    english = read_subtitles(target)
    korean = read_subtitles(source)
    assert english.language == "en" and english.cues
    assert libre.translate_requests == 1  # five cues, four sentences (+ one dual-speaker line): one request
    for cue in english.cues:
        assert len(cue.lines) <= 2 and all(display_width(line, ENGLISH_RULES) <= 42 for line in cue.lines)
        assert any(k.start_ms <= cue.start_ms < k.end_ms for k in korean.cues), cue  # in on Korean speech
    assert "Hello everyone!" in english.cues[0].text

    refused = runner.invoke(app, args)
    assert refused.exit_code == 3 and "already exists" in refused.output

    libre.reset_counts()
    again = runner.invoke(app, [*args[:-1], "--force", "--json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output)
    assert summary["requests"] == 0 and summary["translated"] == 0 and summary["cached"] == 5
    assert libre.translate_requests == 0
    assert summary["output"] == str(target)


def test_translate_keeps_names_with_a_glossary(tmp_path: Path) -> None:
    try:
        import streamkit.glossary  # noqa: F401
    except Exception:  # not part of this build yet
        pytest.skip("streamkit.glossary is not available")
    source = tmp_path / "names.ko.srt"
    source.write_text("1\n00:00:01,000 --> 00:00:04,000\n방탄소년단 신곡 정말 좋아요.\n\n"
                      "2\n00:00:05,000 --> 00:00:08,000\n블랙핑크랑 세븐틴도 왔어요.\n", encoding="utf-8")
    names = tmp_path / "names.toml"
    names.write_text('[[group]]\nid = "bts"\nenglish = "BTS"\nkorean = ["방탄소년단"]\n'
                     'aliases_en = ["Bulletproof Boy Scouts"]\n\n'
                     '[[group]]\nid = "blackpink"\nenglish = "BLACKPINK"\nkorean = ["블랙핑크"]\n'
                     'aliases_en = ["Black Pink"]\n\n'
                     '[[group]]\nid = "seventeen"\nenglish = "SEVENTEEN"\nkorean = ["세븐틴"]\n', encoding="utf-8")
    with LibreServer(mangle_latin=True) as server:
        result = runner.invoke(app, ["translate", str(source), "-t", "libre", "--translator-url", server.url,
                                     "--glossary", str(names), "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["names_kept"] == 3
    text = (tmp_path / "names.en.srt").read_text(encoding="utf-8")
    assert "BTS" in text and "BLACKPINK" in text and "SEVENTEEN" in text
    assert "Bulletproof" not in text and "Black Pink" not in text


def test_translate_refuses_audio_engines(tmp_path: Path) -> None:
    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    result = runner.invoke(app, ["translate", str(source), "-t", "whisper"])
    assert result.exit_code == 2
    assert "cannot translate a subtitle file" in result.output and "google" in result.output


def test_translate_unreachable_server_is_one_line_with_a_hint(tmp_path: Path) -> None:
    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    config = tmp_path / "streamkit.toml"
    config.write_text("[translator]\ntimeout = 0.3\nretries = 1\nbackoff = 0.001\n", encoding="utf-8")
    result = runner.invoke(app, ["translate", str(source), "-t", "libre", "--translator-url",
                                 "http://127.0.0.1:9", "-q", "--config", str(config)])
    assert result.exit_code == 6
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines[0].startswith("error: translation engine 'libre': unreachable")
    assert "--translator whisper" in result.output
    assert not (tmp_path / "live.en.srt").exists()


def test_doctor_offline_lists_engines_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMKIT_CACHE")  # the model status uses the shared model cache
    monkeypatch.setenv("STREAMKIT_DEEPL_API_KEY", "very-secret-key:fx")
    result = runner.invoke(app, ["doctor", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    engines = {e["name"]: e for e in report["engines"]}
    assert {"google", "deepl", "papago", "mymemory", "libre", "whisper"} <= set(engines)
    assert engines["deepl"]["configured"] == "yes" and "$STREAMKIT_DEEPL_API_KEY" in engines["deepl"]["detail"]
    assert engines["papago"]["configured"] == "no"
    assert engines["google"]["default"] is True
    assert all(e["reachable"] in ("not checked", "offline engine") for e in report["engines"])
    assert "very-secret-key" not in result.output
    assert report["ffmpeg"] and report["model"]

    table = runner.invoke(app, ["doctor", "--offline"])
    assert table.exit_code == 0 and "skipped (--offline)" in table.output
    assert "very-secret-key" not in table.output
