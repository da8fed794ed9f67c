"""``streamkit glossary ...`` through typer's CliRunner."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.subtitles import read_subtitles

runner = CliRunner()
KPOPNET = Path(__file__).resolve().parents[3] / "shared" / "data" / "kpopnet.json"

EN_SRT = """1
00:00:01,000 --> 00:00:03,000
I love Bulletproof Boy Scouts and Black Pink

2
00:00:04,000 --> 00:00:06,000
Twice is here, twice as fast

3
00:00:07,000 --> 00:00:09,000
A cup of coffee
"""

KO_SRT = """1
00:00:01,000 --> 00:00:03,000
방탄 소년단이랑 블랙 핑크 좋아

2
00:00:04,000 --> 00:00:06,000
트와이스 왔어요

3
00:00:07,000 --> 00:00:09,000
커피 한 잔
"""


def _one_line_error(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error: "), output
    assert "Traceback" not in output and len(lines) <= 2
    return lines[0]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    en = tmp_path / "show.en.srt"
    ko = tmp_path / "show.ko.srt"
    en.write_text(EN_SRT, encoding="utf-8")
    ko.write_text(KO_SRT, encoding="utf-8")
    return en, ko


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["glossary", "--help"])
    assert result.exit_code == 0
    for command in ("list", "check", "import", "apply", "learn", "report", "hints"):
        assert command in result.output


def test_list_filters_and_json() -> None:
    result = runner.invoke(app, ["glossary", "list", "--group", "bts", "--json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert {e["id"] for e in entries} >= {"bts", "bts.jungkook", "army"}
    assert all(e["id"] == "bts" or e["group"] == "bts" for e in entries)
    table = runner.invoke(app, ["glossary", "list", "--kind", "fandom", "--search", "캐럿"])
    assert table.exit_code == 0 and "CARAT" in table.output and "1 of" in table.output


def test_check_ok_and_counts(tmp_path: Path) -> None:
    result = runner.invoke(app, ["glossary", "check"])
    assert result.exit_code == 0, result.output
    assert "glossary ok" in result.output and "member" in result.output
    event = tmp_path / "event.toml"
    event.write_text('[[group]]\nid = "bts"\nenglish = "BTS"\nkorean = ["방탄소년단"]\n', encoding="utf-8")
    replaced = runner.invoke(app, ["glossary", "check", "-g", str(event)])
    assert replaced.exit_code == 0 and "bts:" in replaced.output and "replaces" in replaced.output
    assert "without members" not in result.output  # every active built-in group has its line-up
    rookies = tmp_path / "rookies.toml"
    rookies.write_text('[[group]]\nid = "rookies"\nenglish = "ROOKIES"\nkorean = ["루키즈"]\n', encoding="utf-8")
    warned = runner.invoke(app, ["glossary", "check", "-g", str(rookies)])
    assert warned.exit_code == 0 and "1 active groups without members: ROOKIES" in " ".join(warned.output.split())


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = ["에이"\n', 4, "invalid TOML"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nenglish = "B"\nkorean = "에이"\n', 4, "duplicate key"),
        ('[[guest]]\nid = "mc"\nkorean = ["엠씨"]\n', 2, "entry 'mc': no English form"),
    ],
)
def test_bad_glossary_file_is_one_line_exit_2(tmp_path: Path, text: str, line: int, words: str) -> None:
    bad = tmp_path / "event.toml"
    bad.write_text(text, encoding="utf-8")
    en, _ = _files(tmp_path)
    for args in (["glossary", "check", "-g", str(bad)], ["glossary", "list", "-g", str(bad)],
                 ["glossary", "apply", str(en), "-g", str(bad)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        message = _one_line_error(result.output)
        assert message.startswith(f"error: {bad}:{line}: ") and words in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["event.toml", "show.en.srt", "show.ko.srt"]


def test_apply_english_writes_beside_never_touches_the_input(tmp_path: Path) -> None:
    en, ko = _files(tmp_path)
    result = runner.invoke(app, ["glossary", "apply", str(en)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "show.glossary.en.srt"
    assert en.read_text(encoding="utf-8") == EN_SRT
    cues = read_subtitles(out).cues
    assert cues[0].lines == ("I love BTS and BLACKPINK",)
    assert cues[1].lines == ("Twice is here, twice as fast",)  # no Korean source: "Twice" may be a word
    again = runner.invoke(app, ["glossary", "apply", str(en)])
    assert again.exit_code == 3 and "already exists" in _one_line_error(again.output)
    with_ko = runner.invoke(app, ["glossary", "apply", str(en), "--korean", str(ko), "--force"])
    assert with_ko.exit_code == 0, with_ko.output
    assert read_subtitles(out).cues[1].lines == ("TWICE is here, twice as fast",)
    assert "2 of 3 cues changed" in with_ko.output


def test_apply_to_the_input_only_with_force(tmp_path: Path) -> None:
    _, ko = _files(tmp_path)
    refused = runner.invoke(app, ["glossary", "apply", str(ko), "-o", str(ko)])
    assert refused.exit_code == 2 and "overwrite the input" in _one_line_error(refused.output)
    assert ko.read_text(encoding="utf-8") == KO_SRT
    done = runner.invoke(app, ["glossary", "apply", str(ko), "-o", str(ko), "--force"])
    assert done.exit_code == 0, done.output
    assert read_subtitles(ko).cues[0].lines == ("방탄소년단이랑 블랙핑크 좋아",)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing half-written


def test_apply_dry_run_writes_nothing(tmp_path: Path) -> None:
    en, _ = _files(tmp_path)
    result = runner.invoke(app, ["glossary", "apply", str(en), "--dry-run"])
    assert result.exit_code == 0 and "1 of 3 cues would change" in result.output
    assert "BLACKPINK" in result.output and not (tmp_path / "show.glossary.en.srt").exists()


def test_apply_bad_subtitles_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.en.srt"
    bad.write_text("1\n00:00:01,000 -> 00:00:02,000\nhello\n", encoding="utf-8")
    result = runner.invoke(app, ["glossary", "apply", str(bad)])
    assert result.exit_code == 2 and "x.en.srt" in _one_line_error(result.output)


@pytest.mark.skipif(not KPOPNET.is_file(), reason="../shared/data/kpopnet.json not present")
def test_import_to_stdout_and_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["glossary", "import", str(KPOPNET)])
    assert result.exit_code == 0
    data = tomllib.loads(result.output)
    assert any(g["id"] == "twice" for g in data["group"])
    out = tmp_path / "girls.toml"
    assert runner.invoke(app, ["glossary", "import", str(KPOPNET), "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == result.output
    assert runner.invoke(app, ["glossary", "import", str(KPOPNET), "-o", str(out)]).exit_code == 3
    checked = runner.invoke(app, ["glossary", "check", "--no-builtin", "-g", str(out)])
    assert checked.exit_code == 0, checked.output


def test_import_bad_json_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "kpopnet.json"
    bad.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["glossary", "import", str(bad)])
    assert result.exit_code == 2 and "not JSON" in _one_line_error(result.output)


def test_learn_proposes_entries(tmp_path: Path) -> None:
    draft = tmp_path / "draft.en.srt"
    fixed = tmp_path / "fixed.en.srt"
    draft.write_text("1\n00:00:01,000 --> 00:00:02,000\nI love Black Pinky\n\n"
                     "2\n00:00:03,000 --> 00:00:04,000\nthey sang dynamite\n", encoding="utf-8")
    fixed.write_text("1\n00:00:01,000 --> 00:00:02,000\nI love BLACKPINK\n\n"
                     "2\n00:00:03,000 --> 00:00:04,000\nthey sang Dynamite\n", encoding="utf-8")
    result = runner.invoke(app, ["glossary", "learn", str(draft), str(fixed)])
    assert result.exit_code == 0, result.output
    assert '"Black Pinky"' in result.output and 'english = "Dynamite"' in result.output
    out = tmp_path / "proposals.toml"
    written = runner.invoke(app, ["glossary", "learn", str(draft), str(fixed), "-o", str(out)])
    assert written.exit_code == 0 and "2 proposals" in written.output
    assert tomllib.loads(out.read_text(encoding="utf-8"))["entry"][0]["id"]
    same = runner.invoke(app, ["glossary", "learn", str(draft), str(draft)])
    assert same.exit_code == 0 and "no new names" in same.output


def test_report_json(tmp_path: Path) -> None:
    en, ko = _files(tmp_path)
    en.write_text(EN_SRT.replace("Twice is here, twice as fast", "Someone is here"), encoding="utf-8")
    result = runner.invoke(app, ["glossary", "report", str(ko), str(en), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {n["id"] for n in report["found"]} == {"bts", "blackpink", "twice"}
    assert [m["id"] for m in report["missing"]] == ["twice"]
    assert report["fixable"][0]["fixed"] == "I love BTS and BLACKPINK"
    table = runner.invoke(app, ["glossary", "report", str(ko), str(en)])
    assert table.exit_code == 0 and "missing in English" in table.output


def test_hints(tmp_path: Path) -> None:
    result = runner.invoke(app, ["glossary", "hints", "[LIVE] 트와이스 9주년", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "트와이스" in result.output and "hotwords:" in result.output
    assert len([ln for ln in result.output.splitlines() if ln.strip()]) == 6
