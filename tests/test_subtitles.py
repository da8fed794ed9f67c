"""Tests for streamkit.subtitles: SRT/WebVTT writing, lenient and strict reading, round trips."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.errors import ConfigError, InputError, OutputError, SubtitleFormatError
from streamkit.models import Cue, SubtitleFile, SubtitleTrack
from streamkit.subtitles import (
    FORMATS,
    RawCue,
    decode_subtitle_bytes,
    format_srt,
    format_vtt,
    language_from_path,
    parse_raw,
    parse_subtitles,
    read_raw,
    read_subtitles,
    write_subtitles,
)

TRACK = SubtitleTrack(
    language="ko",
    cues=(
        Cue(1000, 2500, ("안녕하세요 여러분!",)),
        Cue(3000, 4200, ("오늘 <i>컴백</i> 무대", "Comeback stage & more")),
        Cue(3_725_004, 3_726_000, ("끝",)),
    ),
)

SRT_TEXT = (
    "1\n00:00:01,000 --> 00:00:02,500\n안녕하세요 여러분!\n\n"
    "2\n00:00:03,000 --> 00:00:04,200\n오늘 <i>컴백</i> 무대\nComeback stage & more\n\n"
    "3\n01:02:05,004 --> 01:02:06,000\n끝\n\n"
)


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def write_srt(folder: Path, text: str, name: str = "x.srt", encoding: str = "utf-8") -> Path:
    return write_bytes(folder, name, text.encode(encoding))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


# --------------------------------------------------------------------------- writing


def test_format_srt_exact_text() -> None:
    assert format_srt(TRACK) == SRT_TEXT


def test_format_srt_shape() -> None:
    text = format_srt(TRACK)
    assert "\r" not in text
    assert text.endswith("\n\n")
    blocks = text.strip("\n").split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["1", "2", "3"]


def test_format_srt_empty_track_is_empty_text() -> None:
    assert format_srt(SubtitleTrack("en", ())) == ""


def test_format_srt_cannot_carry_arrow_in_text() -> None:
    track = SubtitleTrack("en", (Cue(0, 1000, ("1 --> 2", "a ---> b")),))
    text = format_srt(track)
    assert "1 -> 2\na -> b\n" in text
    assert parse_subtitles(text).cues[0].lines == ("1 -> 2", "a -> b")


def test_format_drops_blank_lines_and_trailing_space() -> None:
    track = SubtitleTrack("en", (Cue(0, 1000, ("one  ", "", "two\nthree")),))
    assert format_srt(track) == "1\n00:00:00,000 --> 00:00:01,000\none\ntwo\nthree\n\n"


def test_format_vtt_shape() -> None:
    text = format_vtt(TRACK)
    assert text.startswith("WEBVTT\n\n")
    assert text.endswith("\n\n")
    assert "\r" not in text
    assert "00:00:01.000 --> 00:00:02.500\n안녕하세요 여러분!\n\n" in text
    assert "01:02:05.004 --> 01:02:06.000\n끝\n\n" in text
    # No cue numbers: every block after the header starts with a timing line.
    blocks = text.strip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT"
    assert all(" --> " in b.splitlines()[0] for b in blocks[1:])


def test_format_vtt_escapes_but_keeps_styling_tags() -> None:
    track = SubtitleTrack("en", (Cue(0, 1000, ("<i>I</i> <b>love</b> <u>you</u> <3 & A->B", "<font>x</font> --> y")),))
    text = format_vtt(track)
    assert "<i>I</i> <b>love</b> <u>you</u> &lt;3 &amp; A-&gt;B\n" in text
    assert "&lt;font&gt;x&lt;/font&gt; --&gt; y\n" in text
    assert parse_subtitles(text, "vtt", language="en") == track


def test_format_vtt_empty_track() -> None:
    assert format_vtt(SubtitleTrack("en", ())) == "WEBVTT\n\n"
    assert parse_subtitles("WEBVTT\n\n", "vtt", language="en").cues == ()


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_then_read_gives_the_same_track(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"live.ko.{fmt}"
    written = write_subtitles(TRACK, path)
    assert written == SubtitleFile(path=path, language="ko", format=fmt, cues=3)
    assert read_subtitles(path) == TRACK
    assert leftovers(tmp_path) == []


def test_write_is_utf8_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "x.ko.srt"
    write_subtitles(TRACK, path)
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in data
    assert data.decode("utf-8") == SRT_TEXT


def test_write_format_argument_wins_over_extension(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    assert write_subtitles(TRACK, path, "vtt").format == "vtt"
    assert path.read_text(encoding="utf-8").startswith("WEBVTT\n")


@pytest.mark.parametrize("name", ["x.ass", "noextension"])
def test_write_unknown_format_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError):
        write_subtitles(TRACK, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_write_fails_cleanly_when_parent_is_a_file(tmp_path: Path) -> None:
    parent = tmp_path / "not-a-folder"
    parent.write_text("i am a file", encoding="utf-8")
    with pytest.raises(OutputError):
        write_subtitles(TRACK, parent / "x.srt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]
    assert parent.read_text(encoding="utf-8") == "i am a file"


def test_write_fails_cleanly_when_rename_fails(tmp_path: Path) -> None:
    # The temp file is written, then the rename onto a folder fails: the temp file must go.
    target = tmp_path / "x.srt"
    target.mkdir()
    (target / "keep").write_text("k", encoding="utf-8")
    with pytest.raises(OutputError):
        write_subtitles(TRACK, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.srt"]
    assert (target / "keep").read_text(encoding="utf-8") == "k"


def test_write_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.en.srt"
    path.write_text("old", encoding="utf-8")
    write_subtitles(TRACK, path)
    assert path.read_text(encoding="utf-8") == SRT_TEXT
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- reading: bad input


def test_an_empty_or_blank_file_is_a_valid_file_with_no_cues(tmp_path: Path) -> None:
    """SRT has no header: a file with no cue blocks is how the format says "no subtitles", and what
    streamkit writes for a recording with no speech. Changed on purpose (issue 13): it was refused as
    "empty file", so check, fix and mux refused streamkit's own output for a silent recording."""
    for name, data in (("x.srt", b""), ("y.srt", b"\xef\xbb\xbf\r\n\r\n  \n"), ("z.ko.srt", b"\n")):
        result = read_raw(write_bytes(tmp_path, name, data))
        assert result.cues == () and result.format == "srt"
        assert read_subtitles(tmp_path / name).cues == ()
    with pytest.raises(SubtitleFormatError, match="no subtitle cues found"):
        read_raw(write_bytes(tmp_path, "memo.srt", "그냥 메모예요.\n".encode()))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",  # NUL bytes
        bytes([0x80, 0xFF, 0x81, 0x20]) * 50,  # neither UTF-8 nor CP949
        b"\x01\x02\x03\x04\x05\x06\x07\x08" * 20,  # control characters
    ],
)
def test_binary_junk(tmp_path: Path, data: bytes) -> None:
    path = write_bytes(tmp_path, "x.srt", data)
    with pytest.raises(SubtitleFormatError, match="not a text subtitle file") as info:
        read_raw(path)
    assert "UTF-8" in info.value.hint


def test_not_an_srt_file(tmp_path: Path) -> None:
    path = write_srt(tmp_path, "오늘 방송 메모\nsetlist: 1. intro 2. talk\n")
    with pytest.raises(SubtitleFormatError, match=r"no subtitle cues found \(is this an SRT file\?\)"):
        read_raw(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_raw(tmp_path / "missing.srt")
    with pytest.raises(InputError, match="folder"):
        read_raw(tmp_path)


def test_bad_timestamp_names_cue_and_line(tmp_path: Path) -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\n하나\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\n둘\n"
        "99:99:99,999 --> 00:00:06,000\n셋\n"
    )
    path = write_srt(tmp_path, text)
    with pytest.raises(SubtitleFormatError) as info:
        read_raw(path)
    err = info.value
    assert "line 8: bad timestamp '99:99:99,999'" in str(err)
    assert (err.cue, err.line, err.path) == (3, 8, path)
    assert "cue 3" in str(err)


@pytest.mark.parametrize(
    ("timing", "problem"),
    [
        ("00:60:00,000 --> 00:61:00,000", "bad timestamp '00:60:00,000' (minutes must be 00-59)"),
        ("00:00:01,000 --> 00:00:60,000", "bad timestamp '00:00:60,000' (seconds must be 00-59)"),
        ("00:00:01,5 --> 00:00:02,000", "bad timestamp '00:00:01,5'"),
        ("00:00:01,000 --> abc", "bad timestamp 'abc'"),
        ("1:2:3,000 --> 00:00:04,000", "bad timestamp '1:2:3,000'"),
        ("00:00:01,000 -->", "bad timing line"),
        ("00:00:01,000 - 00:00:02,000", "bad timing line '00:00:01,000 - 00:00:02,000'"),
    ],
)
def test_bad_timing_lines(timing: str, problem: str) -> None:
    text = f"1\n00:00:00,000 --> 00:00:00,500\nok\n\n2\n{timing}\ntext\n"
    with pytest.raises(SubtitleFormatError) as info:
        parse_raw(text)
    assert info.value.line == 6
    assert info.value.cue == 2
    assert problem in str(info.value)


def test_end_before_start_names_cue_and_line(tmp_path: Path) -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:05,000 --> 00:00:04,000\nB\n"
    path = write_srt(tmp_path, text)
    raw = read_raw(path)  # lenient: kept as found, for `streamkit check`
    assert raw.cues[1] == RawCue(index=2, start_ms=5000, end_ms=4000, lines=("B",), line=6)
    with pytest.raises(SubtitleFormatError) as info:
        read_subtitles(path)
    assert (info.value.cue, info.value.line) == (2, 6)
    assert "cue 2, line 6: ends before it starts (00:00:05,000 --> 00:00:04,000)" in str(info.value)


def test_overlap_names_both_cues(tmp_path: Path) -> None:
    text = "1\n00:00:01,000 --> 00:00:03,000\nA\n\n2\n00:00:02,000 --> 00:00:04,000\nB\n"
    path = write_srt(tmp_path, text)
    assert len(read_raw(path).cues) == 2
    with pytest.raises(SubtitleFormatError) as info:
        read_subtitles(path)
    assert (info.value.cue, info.value.line) == (2, 6)
    assert "overlaps cue 1 (line 2)" in str(info.value)


def test_empty_cue_text(tmp_path: Path) -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\n\n\n2\n00:00:03,000 --> 00:00:04,000\nB\n"
    path = write_srt(tmp_path, text)
    assert read_raw(path).cues[0].lines == ()
    with pytest.raises(SubtitleFormatError, match=r"cue 1, line 2: no text"):
        read_subtitles(path)


def test_text_before_first_cue() -> None:
    with pytest.raises(SubtitleFormatError, match=r"line 1: unexpected text before the first cue"):
        parse_raw("garbage\n1\n00:00:01,000 --> 00:00:02,000\nA\n")


def test_bad_cue_number() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nA\n\nx2\n00:00:03,000 --> 00:00:04,000\nB\n"
    with pytest.raises(SubtitleFormatError, match=r"cue 2, line 5: bad cue number 'x2'"):
        parse_raw(text)


def test_error_survives_pickling(tmp_path: Path) -> None:
    path = write_srt(tmp_path, "1\n00:00:01,000 --> 99:99:99,999\nA\n")
    with pytest.raises(SubtitleFormatError) as info:
        read_raw(path)
    copy = pickle.loads(pickle.dumps(info.value))
    assert (str(copy), copy.cue, copy.line, copy.path) == (str(info.value), 1, 2, path)


# --------------------------------------------------------------------------- reading: lenient


def test_cp949_file(tmp_path: Path) -> None:
    path = write_srt(tmp_path, SRT_TEXT.replace("\n", "\r\n"), "x.ko.srt", encoding="cp949")
    result = read_raw(path)
    assert (result.encoding, result.had_bom, result.crlf, result.format) == ("cp949", False, True, "srt")
    assert read_subtitles(path) == TRACK


def test_euc_kr_file(tmp_path: Path) -> None:
    path = write_srt(tmp_path, SRT_TEXT, "x.ko.srt", encoding="euc-kr")
    assert read_subtitles(path) == TRACK


def test_utf8_bom(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "x.ko.srt", b"\xef\xbb\xbf" + SRT_TEXT.encode("utf-8"))
    result = read_raw(path)
    assert (result.encoding, result.had_bom) == ("utf-8", True)
    assert result.cues[0].index == 1  # the BOM is not glued to the first number
    assert read_subtitles(path) == TRACK


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, codec: str) -> None:
    data = SRT_TEXT.encode(codec) if codec == "utf-16" else b"\xfe\xff" + SRT_TEXT.encode(codec)
    path = write_bytes(tmp_path, "x.ko.srt", data)
    result = read_raw(path)
    assert result.had_bom
    assert result.encoding.startswith("utf-16")
    assert read_subtitles(path) == TRACK


def test_crlf_and_no_final_newline(tmp_path: Path) -> None:
    path = write_srt(tmp_path, SRT_TEXT.rstrip("\n").replace("\n", "\r\n"), "x.ko.srt")
    result = read_raw(path)
    assert result.crlf
    assert all("\r" not in line for cue in result.cues for line in cue.lines)
    assert read_subtitles(path) == TRACK


def test_out_of_order_duplicate_and_missing_numbers(tmp_path: Path) -> None:
    text = (
        "3\n00:00:05,000 --> 00:00:06,000\nC\n\n"
        "1\n00:00:01,000 --> 00:00:02,000\nA\n\n"
        "1\n00:00:03,000 --> 00:00:04,000\nB\n\n"
        "00:00:07,000 --> 00:00:08,000\nD\n"
    )
    path = write_srt(tmp_path, text, "x.en.srt")
    raw = read_raw(path)
    assert [c.index for c in raw.cues] == [3, 1, 1, None]
    assert [c.line for c in raw.cues] == [2, 6, 10, 13]
    track = read_subtitles(path)
    assert [c.lines for c in track.cues] == [("A",), ("B",), ("C",), ("D",)]
    assert track.language == "en"


def test_extra_blank_lines_and_missing_separators() -> None:
    text = (
        "\n\n1\n00:00:01,000 --> 00:00:02,000\nA\n\n\nA2\n\n\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nB\n"  # no blank line before the next cue
        "3\n00:00:05,000 --> 00:00:06,000\nC\n"
        "00:00:07,000 --> 00:00:08,000\nD\n\n\n"  # neither blank line nor number
    )
    cues = parse_raw(text)
    assert [c.lines for c in cues] == [("A", "A2"), ("B",), ("C",), ("D",)]
    assert [c.index for c in cues] == [1, 2, 3, None]


def test_italic_tags_and_positions_kept() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000  X1:100 X2:200 Y1:10 Y2:20\n<i>속삭임</i>\n{\\an8}<b>위</b>\n"
    (cue,) = parse_raw(text)
    assert cue.lines == ("<i>속삭임</i>", "{\\an8}<b>위</b>")
    assert (cue.start_ms, cue.end_ms) == (1000, 2000)


def test_dot_separator_and_one_digit_hours() -> None:
    (cue,) = parse_raw("1\n0:00:01.250 --> 1:00:00,000\nA\n")
    assert (cue.start_ms, cue.end_ms) == (1250, 3_600_000)


def test_arrow_in_srt_text_is_text() -> None:
    (cue,) = parse_raw("1\n00:00:01,000 --> 00:00:02,000\nA --> B\n")
    assert cue.lines == ("A --> B",)


def test_hours_beyond_99_round_trip() -> None:
    track = SubtitleTrack("ko", (Cue(100 * 3_600_000 + 1, 100 * 3_600_000 + 2, ("길다",)),))
    assert "100:00:00,001 --> 100:00:00,002" in format_srt(track)
    assert parse_subtitles(format_srt(track), language="ko") == track
    assert parse_subtitles(format_vtt(track), "vtt", language="ko") == track


def test_read_never_changes_the_input(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + SRT_TEXT.replace("\n", "\r\n").encode("utf-8")
    path = write_bytes(tmp_path, "x.ko.srt", data)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    read_raw(path)
    read_subtitles(path)
    assert path.read_bytes() == data
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert [p.name for p in tmp_path.iterdir()] == ["x.ko.srt"]


# --------------------------------------------------------------------------- reading: WebVTT


VTT_TEXT = (
    "WEBVTT - 라이브\nKind: captions\nLanguage: ko\n\n"
    "NOTE made by hand\nsecond note line\n\n"
    "STYLE\n::cue { color: yellow }\n\n"
    "intro\n00:01.000 --> 00:02.500 align:start position:10%\n안녕하세요 여러분!\n\n"
    "2\n00:00:03.000 --> 00:00:04.200\n오늘 <i>컴백</i> 무대\nComeback stage &amp; more\n\n"
    "01:02:05.004 --> 01:02:06.000\n끝"
)


def test_read_vtt_by_header(tmp_path: Path) -> None:
    path = write_srt(tmp_path, VTT_TEXT.replace("\n", "\r\n"), "x.ko.txt")
    raw = read_raw(path)
    assert raw.format == "vtt"
    assert [c.index for c in raw.cues] == [None, 2, None]
    assert [c.line for c in raw.cues] == [12, 16, 20]
    assert read_subtitles(path, language="ko") == TRACK


def test_read_vtt_by_extension_without_header(tmp_path: Path) -> None:
    body = VTT_TEXT.split("\n\n", 3)[3]
    path = write_srt(tmp_path, body, "x.ko.vtt")
    assert read_raw(path).format == "vtt"
    assert read_subtitles(path) == TRACK


def test_vtt_entities() -> None:
    (cue,) = parse_raw("WEBVTT\n\n00:00.000 --> 00:01.000\n&lt;3 &amp;amp; &#54620; &#xAE00;&nbsp;!\n", "vtt")
    assert cue.lines == ("<3 &amp; 한 글\u00a0!",)


def test_vtt_bad_timestamp() -> None:
    text = "WEBVTT\n\n00:00.000 --> 00:01.000\nA\n\n00:00:02.000 --> 00:99.000\nB\n"
    with pytest.raises(SubtitleFormatError, match=r"cue 2, line 6: bad timestamp '00:99.000'"):
        parse_raw(text, "vtt")


def test_vtt_without_cues(tmp_path: Path) -> None:
    assert read_raw(write_srt(tmp_path, "WEBVTT\n\nNOTE nothing yet\n", "x.vtt")).cues == ()
    with pytest.raises(SubtitleFormatError, match="no subtitle cues found"):
        read_raw(write_srt(tmp_path, "just some text\n", "y.vtt"))


# --------------------------------------------------------------------------- small pieces


def test_decode_prefers_utf8_then_cp949() -> None:
    path = Path("x.srt")
    assert decode_subtitle_bytes("한국어".encode(), path) == ("한국어", "utf-8", False)
    assert decode_subtitle_bytes("한국어".encode("cp949"), path) == ("한국어", "cp949", False)
    assert decode_subtitle_bytes("똠방각하".encode("cp949"), path) == ("똠방각하", "cp949", False)
    assert decode_subtitle_bytes(b"\xef\xbb\xbfabc", path) == ("abc", "utf-8", True)
    assert decode_subtitle_bytes(b"\xff\xfe" + "가".encode("utf-16-le"), path) == ("가", "utf-16-le", True)


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("live.ko.srt", "ko"),
        ("live.en.vtt", "en"),
        ("LIVE.KO.SRT", "ko"),
        ("live.pt-br.srt", "pt-BR"),
        ("live.zh-Hans.srt", "zh-Hans"),
        ("live.kor.srt", "ko"),
        ("live.srt", None),
        ("show.2024.srt", None),
        ("live.final.srt", None),
        ("ko", None),
    ],
)
def test_language_from_path(name: str, language: str | None) -> None:
    assert language_from_path(Path("some/dir") / name) == language


def test_read_subtitles_language(tmp_path: Path) -> None:
    path = write_srt(tmp_path, SRT_TEXT, "plain.srt")
    assert read_subtitles(path).language == "und"
    assert read_subtitles(path, language="ko") == TRACK


# --------------------------------------------------------------------------- round-trip properties

HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
LATIN = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
PUNCT = st.sampled_from(" .,!?'\"&<>-~()♥ㅋ")
WORD_CHAR = st.one_of(HANGUL, HANGUL, LATIN, PUNCT)


@st.composite
def text_lines(draw: st.DrawFn) -> str:
    line = draw(st.text(WORD_CHAR, min_size=1, max_size=30)).strip()
    if not line or "-->" in line:  # SRT cannot carry "-->" (written as "->")
        line = draw(st.text(HANGUL, min_size=1, max_size=10))
    tag = draw(st.sampled_from(["", "", "i", "b", "u"]))
    return f"<{tag}>{line}</{tag}>" if tag else line


@st.composite
def tracks(draw: st.DrawFn, min_cues: int = 0) -> SubtitleTrack:
    time = draw(st.integers(0, 10_000_000))
    cues = []
    for _ in range(draw(st.integers(min_cues, 8))):
        start = time + draw(st.integers(0, 5_000_000))
        end = start + draw(st.integers(0, 20_000))
        lines = tuple(draw(st.lists(text_lines(), min_size=1, max_size=2)))
        cues.append(Cue(start, end, lines))
        time = end
    return SubtitleTrack(language=draw(st.sampled_from(["ko", "en", "ja", "und"])), cues=tuple(cues))


@settings(max_examples=150, deadline=None)
@given(tracks(min_cues=1))
def test_srt_round_trip(track: SubtitleTrack) -> None:
    text = format_srt(track)
    assert parse_subtitles(text, "srt", language=track.language) == track
    # The same file as a Windows editor would save it.
    assert parse_subtitles(text.replace("\n", "\r\n"), "srt", language=track.language) == track


@settings(max_examples=150, deadline=None)
@given(tracks())
def test_vtt_round_trip(track: SubtitleTrack) -> None:
    assert parse_subtitles(format_vtt(track), "vtt", language=track.language) == track


@settings(max_examples=50, deadline=None)
@given(tracks(min_cues=1))
def test_raw_cues_number_srt_blocks(track: SubtitleTrack) -> None:
    raw = parse_raw(format_srt(track))
    assert [c.index for c in raw] == list(range(1, len(track.cues) + 1))
    lines = format_srt(track).split("\n")
    assert all(" --> " in lines[c.line - 1] for c in raw)


# --------------------------------------------------------------------------- negative or malformed times

NEGATIVE_CUE_2 = (
    "1\n00:00:01,000 --> 00:00:02,000\n첫 번째 대사\n\n"
    "2\n-00:00:03,000 --> 00:00:04,000\n두 번째 중요한 대사\n\n"
    "3\n00:00:05,000 --> 00:00:06,000\n세 번째 대사\n"
)


@pytest.mark.parametrize(
    ("timing", "problem"),
    [
        ("-00:00:03,000 --> 00:00:04,000", "negative time '-00:00:03,000'"),
        ("00:00:03,000 --> -00:00:04,000", "negative time '-00:00:04,000'"),
        ("\u221200:00:03,000 --> 00:00:04,000", "negative time"),  # a Unicode minus sign
        ("+00:00:03,000 --> 00:00:04,000", "bad timestamp '+00:00:03,000'"),
        (" -00:00:03,000 --> 00:00:04,000", "negative time"),
        ("-00:00:03,000 - 00:00:04,000", "bad timing line"),
        ("00:00:03,000 --> 00:00:04,000 --> 00:00:05,000", "bad timing line"),
        ("-1 --> 4", "negative time '-1'"),
    ],
)
def test_a_line_that_looks_like_timing_is_read_as_timing_or_refused(timing: str, problem: str) -> None:
    """It never becomes the text of the cue above (which then lost a cue without a word)."""
    text = f"1\n00:00:00,000 --> 00:00:00,500\nok\n\n2\n{timing}\n두 번째 중요한 대사\n"
    with pytest.raises(SubtitleFormatError) as info:
        parse_raw(text)
    assert (info.value.cue, info.value.line) == (2, 6), str(info.value)
    assert problem in str(info.value)


def test_a_negative_time_names_file_cue_and_line(tmp_path: Path) -> None:
    path = write_srt(tmp_path, NEGATIVE_CUE_2)
    for read in (read_raw, read_subtitles):
        with pytest.raises(SubtitleFormatError) as info:
            read(path)
        assert str(path) in str(info.value) and "cue 2, line 6: negative time" in str(info.value)


@pytest.mark.parametrize("line", ["A --> B", "너 --> 나", "-> 화살표", "- 대사 --> 다음", "--> 시작"])
def test_text_with_an_arrow_that_is_no_timing_stays_text(line: str) -> None:
    text = f"1\n00:00:01,000 --> 00:00:02,000\n{line}\n"
    (cue,) = parse_raw(text)
    assert cue.lines == (line,)
