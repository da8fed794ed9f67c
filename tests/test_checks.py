"""Tests for streamkit.checks: every rule, file-level checks, the extra-check hook."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from streamkit.checks import CHECKS, Problem, check_file, check_track, cue_chars, guess_language, plain_text
from streamkit.segment import ENGLISH_RULES, KOREAN_RULES
from streamkit.subtitles import RawCue, parse_raw

NTSC = Fraction(30000, 1001)


def cue(start: int, end: int, *lines: str, index: int | None = None, line: int = 2) -> RawCue:
    return RawCue(index, start, end, tuple(lines), line)


def numbered(*cues: RawCue) -> list[RawCue]:
    """Give cues the numbers 1..n and plausible timing-line numbers, as a tidy file would."""
    out = []
    line = 2
    for i, c in enumerate(cues, start=1):
        out.append(RawCue(i, c.start_ms, c.end_ms, c.lines, line))
        line += len(c.lines) + 3
    return out


def codes(problems: list[Problem]) -> list[tuple[int, str]]:
    return [(p.cue, p.code) for p in problems]


def test_a_clean_track_has_no_problems() -> None:
    cues = numbered(cue(1000, 3000, "안녕하세요 여러분"), cue(3100, 5000, "오늘 라이브 시작할게요"))
    assert check_track(cues, KOREAN_RULES, NTSC, "ko") == []


def test_every_problem_names_cue_time_line_and_reason() -> None:
    cues = numbered(
        cue(1000, 1500, "짧아요"),  # too short
        cue(1400, 9000, "이 자막은 너무 오래 떠 있어요"),  # overlaps 1, too long
        cue(9030, 10000, "가나다라마바사아자차카타파하가나다라"),  # 18 columns, gap 30 ms, too fast
        cue(11000, 12000, "하나", "둘", "셋"),  # three lines
        cue(13000, 14000),  # empty
        cue(16000, 15000, "거꾸로"),  # ends before it starts
    )
    problems = check_track(cues, KOREAN_RULES, NTSC, "ko")
    assert codes(problems) == [
        (1, "too-short"),
        (2, "too-long"),
        (2, "overlap"),
        (3, "line-too-long"),
        (3, "too-fast"),
        (3, "gap"),
        (4, "too-many-lines"),
        (5, "empty"),
        (6, "end-before-start"),
    ]
    long_line = next(p for p in problems if p.code == "line-too-long")
    assert long_line.line == cues[2].line + 1 and "18 columns" in long_line.message
    assert all(p.severity == CHECKS[p.code][0] for p in problems)
    overlap = next(p for p in problems if p.code == "overlap")
    assert (overlap.start_ms, overlap.end_ms) == (1400, 9000) and "100 ms before cue 1 ends" in overlap.message


def test_gaps_are_frames_of_the_real_frame_rate() -> None:
    # 2 frames: 67 ms at 29.97 fps, 84 ms at 24 fps.
    cues = numbered(cue(1000, 2000, "하나 둘"), cue(2070, 3000, "셋 넷"))
    assert check_track(cues, KOREAN_RULES, NTSC, "ko") == []
    assert codes(check_track(cues, KOREAN_RULES, 24, "ko")) == [(2, "gap")]


def test_small_gaps_should_be_chained() -> None:
    cues = numbered(cue(1000, 2000, "하나 둘"), cue(2300, 3300, "셋 넷"))
    (p,) = check_track(cues, KOREAN_RULES, NTSC, "ko")
    assert (p.cue, p.code, p.severity) == (1, "chain", "warning")


def test_korean_width_counts_latin_as_half() -> None:
    # 12 columns: 9 Hangul, and 6 Latin letters and spaces at 0.5.
    ok = numbered(cue(0, 2000, "오늘 BTS 콘서트 재밌었다"))
    assert check_track(ok, KOREAN_RULES, NTSC, "ko") == []
    assert codes(check_track(ok, ENGLISH_RULES, NTSC, "en")) == []


def test_tags_are_not_text() -> None:
    line = "<i>" + "a" * 40 + "</i>"
    assert plain_text(line) == "a" * 40 and plain_text("{\\an8}위에") == "위에"
    assert cue_chars(["<i>ab</i>", "c"]) == 3
    assert check_track(numbered(cue(0, 3000, line)), ENGLISH_RULES, NTSC, "en") == []


def test_numbering_and_order_are_warnings() -> None:
    cues = [cue(5000, 6000, "셋", index=3), cue(1000, 2000, "하나", index=1), cue(3000, 4000, "둘", index=1),
            cue(7000, 8000, "넷")]
    problems = check_track(cues, KOREAN_RULES, NTSC, "ko")
    assert [(p.cue, p.code) for p in problems if p.code in ("order", "number")] == [
        (1, "number"), (2, "order"), (2, "number"), (3, "number"), (4, "number"),
    ]
    assert all(p.severity == "warning" for p in problems if p.code in ("order", "number"))
    assert "repeats cue 2" in next(p.message for p in problems if p.cue == 3 and p.code == "number")


def test_suspected_invented_text_is_a_warning() -> None:
    cues = numbered(
        cue(1000, 3000, "오늘 재밌었어요"),
        cue(4000, 6000, "시청해주셔서 감사합니다"),
        cue(7000, 9000, "감사합니다"),  # said all the time: not flagged
        cue(10000, 13000, "좋아 좋아 좋아 좋아 좋아요"),
        cue(14000, 15000, "아트롤이"),
        cue(15100, 16000, "아트롤이"),
        cue(16100, 17000, "아트롤이"),
    )
    problems = [p for p in check_track(cues, KOREAN_RULES, NTSC, "ko") if p.code == "invented"]
    assert [p.cue for p in problems] == [2, 4, 6, 7]
    assert all(p.severity == "warning" for p in problems)
    assert "시청해주셔서 감사합니다" in problems[0].message


def test_extra_checks_plug_in() -> None:
    def glossary(cues: list[RawCue], language: str) -> list[Problem]:
        return [Problem(i, c.start_ms, c.end_ms, c.line, "glossary", "error", f"{language}: 방탄 -> BTS")
                for i, c in enumerate(cues, start=1) if "방탄" in " ".join(c.lines)]

    cues = numbered(cue(0, 2000, "방탄 최고"), cue(3000, 5000, "고마워요"))
    problems = check_track(cues, KOREAN_RULES, NTSC, "ko", extra_checks=[glossary])
    assert codes(problems) == [(1, "glossary")] and problems[0].message == "ko: 방탄 -> BTS"


def test_problem_severity_is_checked() -> None:
    with pytest.raises(ValueError, match="severity"):
        Problem(1, 0, 1, 1, "x", "fatal", "no")


def test_language_guess(tmp_path: Path) -> None:
    ko = parse_raw("1\n00:00:01,000 --> 00:00:02,000\n안녕 BTS\n")
    en = parse_raw("1\n00:00:01,000 --> 00:00:02,000\nHello 여러분 everyone\n")
    assert guess_language(tmp_path / "x.srt", ko) == "ko"
    assert guess_language(tmp_path / "x.srt", en) == "en"
    assert guess_language(tmp_path / "x.en.srt", ko) == "en"


def test_check_file_reports_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "draft.srt"
    path.write_bytes("1\r\n00:00:01,000 --> 00:00:03,000\r\n안녕하세요\r\n".encode("cp949"))
    report = check_file(path)
    assert report.language == "ko" and report.fps == 24 and report.read.crlf
    assert [(p.code, p.severity) for p in report.problems] == [("encoding", "warning")]
    assert (report.errors, report.warnings) == (0, 1) and report.counts() == {"encoding": 1}


def test_bytes_that_were_not_text_are_an_error_naming_the_cue() -> None:
    cues = numbered(cue(1000, 3000, "뱉는 핫스"), cue(3100, 4500, "\ufffd"), cue(4600, 6000, "물\ufffd 넣으\ufffd신?"))
    problems = check_track(cues, KOREAN_RULES, NTSC, "ko")
    assert codes(problems) == [(2, "unreadable"), (3, "unreadable")]
    assert problems[1].severity == "error" and problems[1].message.startswith("2 x U+FFFD")


def test_every_check_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "editing.md").read_text(encoding="utf-8")
    for code in CHECKS:
        assert f"`{code}`" in doc, code


def test_webvtt_cues_need_no_numbers(tmp_path: Path) -> None:
    path = tmp_path / "draft.ko.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n안녕하세요\n\nintro\n00:00:04.000 --> 00:00:06.000\n"
                    "여러분\n", encoding="utf-8")
    assert check_file(path).problems == ()


def test_glossary_check_reports_names_missing_from_the_english() -> None:
    from streamkit.checks import glossary_check
    from streamkit.glossary import load_glossary

    glossary = load_glossary()
    ko = parse_raw("1\n00:00:01,000 --> 00:00:03,000\n오늘 지민이 나왔어요\n\n2\n00:00:04,000 --> 00:00:06,000\n안녕\n")
    good = parse_raw("1\n00:00:01,000 --> 00:00:03,000\nJimin came out today\n")
    bad = parse_raw("1\n00:00:01,200 --> 00:00:03,000\nHe came out today\n\n2\n00:00:04,000 --> 00:00:06,000\nHi\n")
    assert check_track(ko, KOREAN_RULES, NTSC, "ko", extra_checks=[glossary_check(glossary, good)]) == []
    (p,) = check_track(bad, ENGLISH_RULES, NTSC, "en", extra_checks=[glossary_check(glossary, ko)])
    assert (p.cue, p.code, p.severity) == (1, "glossary", "warning") and "Jimin (지민)" in p.message
    (p,) = check_track(ko, KOREAN_RULES, NTSC, "ko", extra_checks=[glossary_check(glossary, bad)])
    assert p.cue == 1 and p.code == "glossary"
    # Without the other file there is nothing to compare.
    assert check_track(bad, ENGLISH_RULES, NTSC, "en", extra_checks=[glossary_check(glossary)]) == []


def test_a_memo_gives_the_same_problems_and_follows_edits() -> None:
    cues = numbered(
        cue(0, 500, "this line is far too long to fit the English rules of forty-two columns"),
        cue(510, 3000, "ok"),
        cue(3000, 5000, "ok"),
        cue(6000, 8000, "ok"),
    )
    memo: dict[tuple[object, ...], object] = {}
    plain = check_track(cues, ENGLISH_RULES, 25, "en")
    assert plain and check_track(cues, ENGLISH_RULES, 25, "en", memo=memo) == plain
    assert check_track(cues, ENGLISH_RULES, 25, "en", memo=memo) == plain  # from the memo now
    moved = [cues[1], cues[0], *cues[2:]]  # the same cues at other positions
    assert check_track(moved, ENGLISH_RULES, 25, "en", memo=memo) == check_track(moved, ENGLISH_RULES, 25, "en")
    edited = [cues[0], cue(510, 3000, "ok " * 30, index=2, line=6), *cues[2:]]
    assert check_track(edited, ENGLISH_RULES, 25, "en", memo=memo) == check_track(edited, ENGLISH_RULES, 25, "en")
    assert check_track(cues, KOREAN_RULES, 25, "ko", memo=memo) == check_track(cues, KOREAN_RULES, 25, "ko")
