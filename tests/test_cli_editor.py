"""``streamkit check``, ``fix`` and ``shift`` on the files editors really hand in, and on broken ones.

Every test checks that the input file is byte-identical afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.subtitles import parse_raw, read_raw

from .conftest import SHORT

runner = CliRunner()

GOOD = (
    "1\n00:00:01,000 --> 00:00:03,000\n안녕하세요 여러분\n\n"
    "2\n00:00:03,100 --> 00:00:05,000\n오늘 라이브 시작할게요\n\n"
    "3\n00:00:06,000 --> 00:00:08,000\n<i>새 앨범 얘기</i>\n"
)


def run(args: list[str], *inputs: Path) -> tuple[int, str]:
    """Run the CLI; assert the input files were not touched."""
    before = {p: p.read_bytes() for p in inputs}
    result = runner.invoke(app, args)
    for p, data in before.items():
        assert p.read_bytes() == data, f"{p} was modified"
    return result.exit_code, result.output


def one_line_error(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error: "), output
    assert "Traceback" not in output and len(lines) <= 2
    return lines[0]


# --------------------------------------------------------------------------- what editors hand in

EDITOR_FILES: dict[str, Callable[[], bytes]] = {
    "utf8": lambda: GOOD.encode("utf-8"),
    "utf8-bom": lambda: b"\xef\xbb\xbf" + GOOD.encode("utf-8"),
    "cp949": lambda: GOOD.encode("cp949"),
    "euc-kr": lambda: GOOD.encode("euc-kr"),
    "utf16-bom": lambda: GOOD.encode("utf-16"),
    "crlf": lambda: GOOD.replace("\n", "\r\n").encode("utf-8"),
    "no-final-newline": lambda: GOOD.rstrip("\n").encode("utf-8"),
    "extra-blank-lines": lambda: ("\n\n" + GOOD.replace("\n\n", "\n\n\n\n") + "\n\n\n").encode("utf-8"),
}


@pytest.mark.parametrize("kind", list(EDITOR_FILES))
def test_check_reads_every_kind_of_editor_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "draft.ko.srt"
    path.write_bytes(EDITOR_FILES[kind]())
    code, output = run(["check", str(path), "--json"], path)
    report = json.loads(output)
    assert code == 0, output
    assert report["cues"] == 3 and report["errors"] == 0 and report["language"] == "ko"
    codes = {p["code"] for p in report["problems"]}
    assert codes <= {"encoding"}  # at most the encoding warning
    assert ("encoding" in codes) == (kind in ("cp949", "euc-kr", "utf16-bom"))


@pytest.mark.parametrize("kind", list(EDITOR_FILES))
def test_fix_normalizes_every_kind_of_editor_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "draft.ko.srt"
    path.write_bytes(EDITOR_FILES[kind]())
    code, output = run(["fix", str(path), "-o", str(tmp_path / "fixed.ko.srt")], path)
    assert code == 0, output
    data = (tmp_path / "fixed.ko.srt").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
    assert data.decode("utf-8") == GOOD  # the good file, normalized: nothing else changed
    assert ("encoding" in output) == (kind not in ("utf8", "no-final-newline", "extra-blank-lines"))


def test_check_lists_problems_with_cue_time_line_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "draft.ko.srt"
    path.write_text(
        "3\n00:00:01,000 --> 00:00:01,400\n짧아요\n\n"
        "1\n00:00:01,420 --> 00:00:04,000\n가나다라마바사아자차카타파하가나다라\n\n"
        "1\n00:00:03,000 --> 00:00:05,000\n시청해주셔서 감사합니다\n",
        encoding="utf-8",
    )
    code, output = run(["check", str(path), "--fps", "30000/1001", "--json"], path)
    assert code == 1
    report = json.loads(output)
    found = {(p["cue"], p["code"], p["line"]) for p in report["problems"]}
    assert {(1, "too-short", 2), (2, "gap", 6), (2, "line-too-long", 7), (3, "overlap", 10),
            (3, "number", 9), (3, "invented", 10)} <= found
    assert report["errors"] == sum(1 for p in report["problems"] if p["severity"] == "error")
    assert report["fps"] == "30000/1001"
    code, table = run(["check", str(path)], path)
    assert code == 1 and "too-short" in table and "00:00:01,000" in table and "errors" in table


def test_check_with_only_warnings_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "draft.ko.srt"
    path.write_text("7\n00:00:01,000 --> 00:00:03,000\n안녕하세요\n", encoding="utf-8")
    code, output = run(["check", str(path)], path)
    assert code == 0 and "number" in output


def test_check_takes_the_frame_rate_from_the_video(tmp_path: Path) -> None:
    path = tmp_path / "draft.ko.srt"
    # 70 ms apart: fine at 29.97 fps (2 frames = 67 ms), too close at 24 fps (84 ms).
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\n하나 둘\n\n2\n00:00:02,070 --> 00:00:03,000\n셋 넷\n",
                    encoding="utf-8")
    assert run(["check", str(path)], path)[0] == 1
    code, output = run(["check", str(path), "--video", str(SHORT), "--json"], path, SHORT)
    assert code == 0 and json.loads(output)["fps_source"] == "video short.mp4"
    code, output = run(["check", str(path), "--fps", "abc"], path)
    assert code == 2 and "not a frame rate" in one_line_error(output)


def test_language_from_the_name_or_the_text(tmp_path: Path) -> None:
    path = tmp_path / "draft.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:04,000\nHello everyone, welcome to the live\n", encoding="utf-8")
    assert json.loads(run(["check", str(path), "--json"], path)[1])["language"] == "en"
    assert json.loads(run(["check", str(path), "--json", "--lang", "ko"], path)[1])["rules"] == "netflix-ko"


# --------------------------------------------------------------------------- broken files

BROKEN: dict[str, tuple[bytes, str]] = {
    "empty-file": (b"", "empty file"),
    "binary-junk": (bytes(range(256)) * 8, "not a text subtitle file"),
    "not-srt": ("이건 자막 파일이 아니에요.\n그냥 메모예요.\n".encode(), "no subtitle cues found"),
    "bad-time": (b"1\n00:00:01,000 --> 99:99:99,999\nhello\n", "cue 1, line 2: bad timestamp '99:99:99,999'"),
    "no-arrow": (b"1\n00:00:01,000 00:00:02,000\nhello\n", "cue 1, line 2: bad timing line"),
    "bad-number": (b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\nx1\n00:00:03,000 --> 00:00:04,000\nyo\n",
                   "cue 2, line 5: bad cue number"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(BROKEN))
@pytest.mark.parametrize("command", ["check", "fix", "shift"])
def test_unreadable_files_give_one_line_with_cue_and_line(tmp_path: Path, kind: str, command: str) -> None:
    data, expected = BROKEN[kind]
    path = tmp_path / "broken.srt"
    path.write_bytes(data)
    args = {"check": ["check", str(path)], "fix": ["fix", str(path)], "shift": ["shift", str(path), "+1s"]}[command]
    code, output = run(args, path)
    assert code == 2, output
    assert expected in one_line_error(output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.srt"]  # nothing written


def test_a_cue_ending_before_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "draft.ko.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\n하나\n\n2\n00:00:05,000 --> 00:00:04,000\n둘\n",
                    encoding="utf-8")
    code, output = run(["check", str(path), "--json"], path)
    (problem,) = [p for p in json.loads(output)["problems"] if p["code"] == "end-before-start"]
    assert code == 1 and (problem["cue"], problem["line"]) == (2, 6)
    for args in (["fix", str(path)], ["shift", str(path), "1s"]):
        code, output = run(args, path)
        assert code == 2 and "cue 2, line 6: ends before it starts" in one_line_error(output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.ko.srt"]


def test_missing_file_and_folder(tmp_path: Path) -> None:
    for command in (["check"], ["fix"], ["shift"]):
        args = [*command, str(tmp_path / "nope.srt")] + (["1s"] if command == ["shift"] else [])
        code, output = run(args)
        assert code == 2 and "no such file" in one_line_error(output)
    code, output = run(["check", str(tmp_path)])
    assert code == 2 and "folder" in one_line_error(output)


# --------------------------------------------------------------------------- fix


def test_fix_reports_each_change_and_never_alters_wording(tmp_path: Path) -> None:
    text = (
        "2\r\n00:00:05,000 --> 00:00:05,300\r\n<i>오늘 우리 팬미팅에 와주신 여러분 정말 감사해요</i>\r\n\r\n"
        "1\r\n00:00:01,000 --> 00:00:03,000\r\n안녕하세요\r\n\r\n"
        "3\r\n00:00:02,900 --> 00:00:04,500\r\n시청해주셔서 감사합니다\r\n\r\n"
        "4\r\n00:00:09,000 --> 00:00:10,000\r\n"
    )
    path = tmp_path / "draft.ko.srt"
    path.write_bytes(text.encode("cp949"))
    code, output = run(["fix", str(path), "--json"], path)
    assert code == 0, output
    report = json.loads(output)
    target = tmp_path / "draft.fixed.ko.srt"
    assert report["output"] == str(target)
    assert {c["what"] for c in report["changes"]} == {"encoding", "sort", "renumber", "overlap", "chain",
                                                      "extend", "reflow", "remove-empty"}
    before = sorted(read_raw(path).cues, key=lambda c: c.start_ms)
    after = parse_raw(target.read_text(encoding="utf-8"))
    assert [w for c in after for line in c.lines for w in line.split()] == [
        w for c in before for line in c.lines for w in line.split()
    ]
    assert [c.start_ms for c in after] == [1000, 2900, 5000]  # in-times never move
    code, output = run(["check", str(target), "--json"], target)
    assert json.loads(output)["errors"] == 0


def test_fix_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "draft.ko.srt"
    path.write_text(GOOD, encoding="utf-8")
    existing = tmp_path / "fixed.ko.srt"
    existing.write_text("편집자가 고친 파일\n", encoding="utf-8")
    code, output = run(["fix", str(path), "-o", str(existing)], path, existing)
    assert code == 3 and "already exists" in one_line_error(output)
    code, output = run(["fix", str(path), "-o", str(path)], path)
    assert code == 2 and "would overwrite the input" in one_line_error(output)
    code, output = run(["fix", str(path), "-o", str(tmp_path / "fixed.vtt")], path)
    assert code == 2 and "write SRT" in one_line_error(output)
    assert runner.invoke(app, ["fix", str(path), "-o", str(existing), "--force"]).exit_code == 0
    assert existing.read_text(encoding="utf-8") == GOOD


def test_fix_in_place_with_force(tmp_path: Path) -> None:
    path = tmp_path / "draft.ko.srt"
    path.write_bytes(GOOD.replace("\n", "\r\n").encode("cp949"))
    result = runner.invoke(app, ["fix", str(path), "-o", str(path), "--force"])
    assert result.exit_code == 0 and path.read_bytes() == GOOD.encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.ko.srt"]  # no temporary file left


# --------------------------------------------------------------------------- shift


def test_shift_forward_and_back(tmp_path: Path) -> None:
    path = tmp_path / "show.ko.srt"
    path.write_bytes(GOOD.encode("cp949"))
    code, output = run(["shift", str(path), "+1.5s"], path)
    assert code == 0, output
    shifted = tmp_path / "show.shifted.ko.srt"
    cues = parse_raw(shifted.read_text(encoding="utf-8"))
    assert [(c.start_ms, c.end_ms) for c in cues] == [(2500, 4500), (4600, 6500), (7500, 9500)]
    assert [c.lines for c in cues] == [c.lines for c in parse_raw(GOOD)]
    code, output = run(["shift", str(shifted), "-1500ms", "-o", str(tmp_path / "back.ko.srt")], shifted)
    assert code == 0 and (tmp_path / "back.ko.srt").read_text(encoding="utf-8") == GOOD


def test_shift_refuses_negative_times_unless_clamped(tmp_path: Path) -> None:
    path = tmp_path / "show.ko.srt"
    path.write_text(GOOD, encoding="utf-8")
    code, output = run(["shift", str(path), "-00:00:01,200"], path)
    assert code == 2 and "cue 1, line 2: would start at -00:00:00,200" in one_line_error(output)
    code, output = run(["shift", str(path), "-3.5s", "--clamp"], path)
    assert code == 0 and "1 cues before 0:00 removed" in output
    cues = parse_raw((tmp_path / "show.shifted.ko.srt").read_text(encoding="utf-8"))
    assert [(c.start_ms, c.end_ms) for c in cues] == [(0, 1500), (2500, 4500)]


def test_shift_refuses_to_overwrite_and_bad_offsets(tmp_path: Path) -> None:
    path = tmp_path / "show.ko.srt"
    path.write_text(GOOD, encoding="utf-8")
    code, output = run(["shift", str(path), "1s", "-o", str(path)], path)
    assert code == 2 and "would overwrite the input" in one_line_error(output)
    code, output = run(["shift", str(path), "soon"], path)
    assert code == 2 and "bad offset 'soon'" in one_line_error(output)
    assert run(["shift", str(path), "1s"], path)[0] == 0
    code, output = run(["shift", str(path), "2s"], path)
    assert code == 3 and "already exists" in one_line_error(output)


def test_help_lists_the_editor_commands() -> None:
    result = runner.invoke(app, ["--help"])
    for command in ("check", "fix", "shift"):
        assert command in result.output
    assert "--video" in runner.invoke(app, ["check", "--help"]).output


def test_real_subprocess_negative_offset(tmp_path: Path) -> None:
    path = tmp_path / "show.srt"
    path.write_text(GOOD, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "streamkit", "shift", str(path), "-500ms"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert parse_raw((tmp_path / "show.shifted.srt").read_text(encoding="utf-8"))[0].start_ms == 500


def test_check_compares_names_with_the_sibling_file(tmp_path: Path) -> None:
    ko = tmp_path / "show.ko.srt"
    en = tmp_path / "show.en.srt"
    ko.write_text("1\n00:00:01,000 --> 00:00:03,000\n오늘 지민이 나왔어요\n", encoding="utf-8")
    en.write_text("1\n00:00:01,000 --> 00:00:03,000\nHe came out today\n", encoding="utf-8")
    code, output = run(["check", str(en), "--json"], en, ko)
    (problem,) = json.loads(output)["problems"]
    assert code == 0 and problem["code"] == "glossary" and "Jimin" in problem["message"]
    assert json.loads(run(["check", str(en), "--json", "--no-glossary"], en, ko)[1])["problems"] == []
    other = tmp_path / "other.srt"
    other.write_text("1\n00:00:01,000 --> 00:00:03,000\n오늘 지민이 나왔어요\n", encoding="utf-8")
    lonely = tmp_path / "lonely.srt"
    lonely.write_text("1\n00:00:01,000 --> 00:00:03,000\nHe came out today\n", encoding="utf-8")
    code, output = run(["check", str(lonely), "--pair", str(other), "--json"], lonely, other)
    assert [p["code"] for p in json.loads(output)["problems"]] == ["glossary"]


def test_check_refuses_glossary_files_with_no_glossary(tmp_path: Path) -> None:
    """Before, --no-glossary silently dropped the --glossary files; with or without a pair it is one clear error."""
    en = tmp_path / "show.en.srt"
    en.write_text("1\n00:00:01,000 --> 00:00:03,000\nHe came out today\n", encoding="utf-8")
    extra = tmp_path / "guests.toml"
    extra.write_text('[[guest]]\nid = "host"\nenglish = "Host"\nkorean = ["호스트"]\n', encoding="utf-8")
    code, output = run(["check", str(en), "--no-glossary", "-g", str(extra)], en, extra)
    assert code == 2 and "--glossary and --no-glossary contradict each other" in one_line_error(output)
    ko = tmp_path / "show.ko.srt"
    ko.write_text("1\n00:00:01,000 --> 00:00:03,000\n오늘 호스트가 나왔어요\n", encoding="utf-8")
    code, output = run(["check", str(en), "--no-glossary", "-g", str(extra)], en, ko, extra)
    assert code == 2 and "contradict" in one_line_error(output)
    code, output = run(["check", str(en), "-g", str(extra), "--json"], en, ko, extra)
    assert code == 0 and "Host" in json.loads(output)["problems"][0]["message"]


# --------------------------------------------------------------------------- negative or malformed times

NEGATIVE_CUE_2 = (
    "1\n00:00:01,000 --> 00:00:02,000\n첫 번째 대사\n\n"
    "2\n-00:00:03,000 --> 00:00:04,000\n두 번째 중요한 대사\n\n"
    "3\n00:00:05,000 --> 00:00:06,000\n세 번째 대사\n"
)


@pytest.mark.parametrize("command", ["check", "fix", "shift", "mux", "translate", "retranslate-ko", "retranslate-en"])
def test_a_negative_time_is_one_error_naming_file_line_and_cue_in_every_command(tmp_path: Path, command: str) -> None:
    """Before, cue 2 became the text of cue 1 (fix/shift wrote it, mux said 2 cues and muxed 3)."""
    bad = tmp_path / "live.ko.srt"
    bad.write_text(NEGATIVE_CUE_2, encoding="utf-8")
    good_en = tmp_path / "live.en.srt"
    good_en.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    video = tmp_path / "live.mp4"
    video.write_bytes(SHORT.read_bytes())
    if command == "retranslate-en":
        bad = bad.rename(tmp_path / "live.en.srt.bad")
        good_ko = tmp_path / "live.ko.srt"
        good_ko.write_text("1\n00:00:01,000 --> 00:00:02,000\n안녕\n", encoding="utf-8")
        good_en.unlink()
        bad = bad.rename(good_en)
    args = {
        "check": ["check", str(bad)],
        "fix": ["fix", str(bad), "-o", str(tmp_path / "fixed.ko.srt")],
        "shift": ["shift", str(bad), "+1s", "-o", str(tmp_path / "shifted.ko.srt")],
        "mux": ["mux", str(video), "--sub", str(bad), "-o", str(tmp_path / "out.mp4"), "-q"],
        "translate": ["translate", str(bad), "-t", "libre", "--translator-url", "http://127.0.0.1:9", "-o",
                      str(tmp_path / "out.en.srt"), "-q"],
        "retranslate-ko": ["retranslate", "--ko", str(bad), "--en", str(good_en), "-o", str(tmp_path / "o.en.srt")],
        "retranslate-en": ["retranslate", "--ko", str(tmp_path / "live.ko.srt"), "--en", str(bad),
                           "-o", str(tmp_path / "o.en.srt")],
    }[command]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, output = run(args, bad)
    assert code == 2, output
    line = one_line_error(output)
    assert str(bad) in line and "cue 2, line 6: negative time '-00:00:03,000'" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


@pytest.mark.slow
def test_check_with_the_video_lists_voice_without_a_cue(tmp_path: Path) -> None:
    from .conftest import FANLIVE

    path = tmp_path / "fanlive.ko.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:05,000\n지난해 삼월 김 전 장관의\n\n", encoding="utf-8")
    code, output = run(["check", str(path), "--video", str(FANLIVE), "--json"], path, FANLIVE)
    voice = [p for p in json.loads(output)["problems"] if p["code"] == "voice"]
    # fanlive holds five read sentences; only the start of the first has a cue: voice after it is listed.
    assert code == 0 and voice and all(p["severity"] == "warning" and p["start_ms"] >= 5000 for p in voice)
