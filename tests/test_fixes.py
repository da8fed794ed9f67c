"""Tests for streamkit.fixes: each safe fix, the words-never-change property, shifting."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.checks import check_track
from streamkit.errors import ConfigError, SubtitleFormatError
from streamkit.fixes import (
    default_output,
    first_below_zero,
    fix_cues,
    format_raw_srt,
    parse_offset,
    refuse_broken,
    shift_cues,
)
from streamkit.segment import ENGLISH_RULES, KOREAN_RULES, frame_ms
from streamkit.subtitles import RawCue, ReadResult, parse_raw

NTSC = Fraction(30000, 1001)
GAP = frame_ms(2, NTSC)  # 67 ms


def cue(start: int, end: int, *lines: str, index: int | None = None) -> RawCue:
    return RawCue(index, start, end, tuple(lines), 1)


def tidy(*cues: RawCue) -> list[RawCue]:
    return [RawCue(i, c.start_ms, c.end_ms, c.lines, c.line) for i, c in enumerate(cues, start=1)]


def words(cues: list[RawCue] | tuple[RawCue, ...]) -> list[str]:
    """What the cues say: their words, U+FFFD (bytes that were not text) aside."""
    return [w for c in cues for line in c.lines for w in line.replace("\ufffd", "").split()]


def whats(result: object) -> list[tuple[int, str]]:
    return [(c.cue, c.what) for c in result.changes]  # type: ignore[attr-defined]


def test_a_clean_track_is_left_alone() -> None:
    cues = tidy(cue(1000, 3000, "안녕하세요 여러분"), cue(3067, 5000, "오늘 라이브 시작할게요"))
    result = fix_cues(cues, KOREAN_RULES, NTSC, "ko")
    assert result.changes == () and list(result.cues) == cues


def test_long_lines_are_reflowed_with_the_same_words() -> None:
    cues = tidy(cue(0, 4000, "오늘 우리 팬미팅에 와주신 여러분 정말 감사해요"))
    result = fix_cues(cues, KOREAN_RULES, NTSC, "ko")
    (fixed,) = result.cues
    assert len(fixed.lines) == 2 and words([fixed]) == words(cues)
    assert whats(result) == [(1, "reflow")]
    assert check_track(result.cues, KOREAN_RULES, NTSC, "ko") == []


def test_a_whole_italic_cue_keeps_its_tags() -> None:
    cues = tidy(cue(0, 4000, "<i>I never thought we would be standing here together tonight</i>"))
    (fixed,) = fix_cues(cues, ENGLISH_RULES, NTSC, "en").cues
    assert fixed.lines[0].startswith("<i>") and fixed.lines[-1].endswith("</i>") and len(fixed.lines) == 2
    assert " ".join(fixed.lines).replace("<i>", "").replace("</i>", "").split() == (
        ["I", "never", "thought", "we", "would", "be", "standing", "here", "together", "tonight"]
    )


def test_dual_speaker_and_inner_tags_are_not_reflowed() -> None:
    dual = cue(0, 4000, "- Are you ready for the show tonight, everyone out there?", "- Yes!")
    tagged = cue(5000, 9000, "This is <b>really</b> a very long line that does not fit on a single line")
    result = fix_cues(tidy(dual, tagged), ENGLISH_RULES, NTSC, "en")
    assert [c.lines for c in result.cues] == [dual.lines, tagged.lines]
    assert "reflow" not in [w for _, w in whats(result)]


def test_overlaps_and_small_gaps_end_two_frames_before_the_next_cue() -> None:
    cues = tidy(cue(1000, 3500, "하나 둘 셋"), cue(3000, 5000, "넷 다섯"), cue(5020, 7000, "여섯 일곱"))
    result = fix_cues(cues, KOREAN_RULES, NTSC, "ko")
    assert [(c.start_ms, c.end_ms) for c in result.cues] == [(1000, 3000 - GAP), (3000, 5020 - GAP), (5020, 7000)]
    assert whats(result) == [(1, "overlap"), (2, "gap")]


def test_an_overlap_that_would_leave_a_cue_too_short_is_left_for_the_editor() -> None:
    cues = tidy(cue(1000, 3000, "하나"), cue(1500, 4000, "둘"))
    result = fix_cues(cues, KOREAN_RULES, NTSC, "ko")
    assert [(c.start_ms, c.end_ms) for c in result.cues] == [(1000, 3000), (1500, 4000)]
    assert "overlap" in [p.code for p in check_track(result.cues, KOREAN_RULES, NTSC, "ko")]


def test_short_cues_are_extended_into_free_time_never_overlapping() -> None:
    cues = tidy(
        cue(1000, 1300, "네"),  # too short; room up to the next cue
        cue(5000, 5400, "오늘 진짜 재밌었어요 여러분"),  # too short and too fast; limited by the next cue
        cue(6000, 6300, "안녕"),  # the last cue: free time after it
    )
    result = fix_cues(cues, KOREAN_RULES, NTSC, "ko")
    spans = [(c.start_ms, c.end_ms) for c in result.cues]
    assert spans == [(1000, 1000 + 833), (5000, 6000 - GAP), (6000, 6000 + 833)]
    assert [w for _, w in whats(result)] == ["extend", "extend", "extend"]
    remaining = [p.code for p in check_track(result.cues, KOREAN_RULES, NTSC, "ko")]
    assert remaining == ["too-fast"]  # 15 characters in 0.93 s: only an editor can fix that


def test_small_gaps_are_chained() -> None:
    cues = tidy(cue(1000, 2000, "하나 둘"), cue(2300, 3300, "셋 넷"), cue(3500, 4500, "다섯"))
    result = fix_cues(cues, KOREAN_RULES, NTSC, "ko")
    assert [(c.start_ms, c.end_ms) for c in result.cues] == [(1000, 2300 - GAP), (2300, 3500 - GAP), (3500, 4500)]
    assert whats(result) == [(1, "chain"), (2, "chain")]


def test_sorting_renumbering_and_empty_cues() -> None:
    cues = [cue(5000, 6000, "셋", index=3), cue(1000, 2000, "하나", index=1), cue(3000, 4000, index=2),
            cue(7000, 8000, "넷", index=4)]
    result = fix_cues(cues, KOREAN_RULES, NTSC, "ko")
    assert [c.lines for c in result.cues] == [("하나",), ("셋",), ("넷",)]
    assert [c.index for c in result.cues] == [1, 2, 3]
    assert whats(result) == [(1, "renumber"), (2, "sort"), (3, "remove-empty")]


def test_bytes_that_were_not_text_go_and_a_cue_left_without_text_with_them() -> None:
    """U+FFFD is what a decoder writes for a token sequence cut inside a Hangul syllable (older drafts, other tools):
    nothing was said there."""
    cues = [cue(1000, 2000, "뱉는 핫스 \ufffd", index=1), cue(3000, 4000, "\ufffd", index=2),
            cue(5000, 6000, "물\ufffd 넣으신?", index=3)]
    result = fix_cues(cues, KOREAN_RULES, NTSC, "ko")
    assert [c.lines for c in result.cues] == [("뱉는 핫스",), ("물 넣으신?",)]
    assert whats(result) == [(1, "remove-unreadable"), (2, "remove-unreadable"), (2, "remove-empty"),
                             (3, "remove-unreadable"), (3, "renumber")]


def test_a_cue_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    raw = parse_raw("1\n00:00:01,000 --> 00:00:02,000\n하나\n\n2\n00:00:05,000 --> 00:00:04,000\n둘\n")
    read = ReadResult(tmp_path / "x.srt", "utf-8", raw, False, False, "srt")
    with pytest.raises(SubtitleFormatError, match=r"cue 2, line 6: ends before it starts"):
        refuse_broken(read)
    with pytest.raises(ValueError, match="cue 2"):
        fix_cues(raw, KOREAN_RULES, NTSC, "ko")


def test_format_raw_srt_round_trips() -> None:
    cues = tidy(cue(1000, 2000, "<i>하나</i>", "둘"), cue(3_723_004, 3_724_000, "Hello"))
    text = format_raw_srt(cues)
    assert text.endswith("\n") and "\r" not in text
    assert text.splitlines()[1] == "00:00:01,000 --> 00:00:02,000"
    again = parse_raw(text)
    assert [(c.index, c.start_ms, c.end_ms, c.lines) for c in again] == [
        (c.index, c.start_ms, c.end_ms, c.lines) for c in cues
    ]


# --------------------------------------------------------------------------- properties

_WORDS = ["안녕하세요", "여러분", "오늘", "BTS", "콘서트", "정말", "감사해요", "<i>진짜</i>", "-", "네",
          "\ufffd", "핫\ufffd스"]


@st.composite
def raw_tracks(draw: st.DrawFn) -> list[RawCue]:
    n = draw(st.integers(0, 10))
    out = []
    for i in range(n):
        start = draw(st.integers(0, 60_000))
        end = start + draw(st.integers(0, 9000))
        lines = tuple(
            " ".join(draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8)))
            for _ in range(draw(st.integers(0, 3)))
        )
        index = draw(st.one_of(st.none(), st.integers(0, 12), st.just(i + 1)))
        out.append(RawCue(index, start, end, lines, 1))
    return out


@settings(max_examples=300, deadline=None)
@given(raw_tracks(), st.sampled_from([Fraction(24), NTSC, Fraction(25)]), st.sampled_from(["ko", "en"]))
def test_fix_never_changes_the_words_and_never_adds_overlaps(
    cues: list[RawCue], fps: Fraction, language: str
) -> None:
    rules = KOREAN_RULES if language == "ko" else ENGLISH_RULES
    result = fix_cues(cues, rules, fps, language)
    ordered = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
    assert words(result.cues) == words(ordered)  # same words, same order
    # Each cue keeps its text (only line breaks move) and its in-time.
    kept = [c for c in ordered if any(line.replace("\ufffd", "").strip() for line in c.lines)]
    assert [(c.start_ms, " ".join(c.lines).split()) for c in result.cues] == [
        (c.start_ms, " ".join(c.lines).replace("\ufffd", "").split()) for c in kept
    ]
    assert not any("\ufffd" in line for c in result.cues for line in c.lines)
    # Out-times only move to where they make no new overlap and respect the 2-frame gap.
    gap = frame_ms(rules.min_gap_frames, fps)
    for (a0, a1), (b0, b1) in zip(itertools.pairwise(kept), itertools.pairwise(result.cues), strict=True):
        if b0.end_ms > a0.end_ms:  # extended or chained: into free time only
            assert b0.end_ms <= b1.start_ms - gap
        if a0.end_ms <= a1.start_ms:  # no new overlap
            assert b0.end_ms <= b1.start_ms
    assert [c.index for c in result.cues] == list(range(1, len(result.cues) + 1))
    again = fix_cues(result.cues, rules, fps, language)
    assert again.changes == () and again.cues == result.cues  # fixing a fixed file changes nothing


def test_two_cues_sharing_an_in_time_end_before_the_next_later_cue_and_fixing_again_changes_nothing() -> None:
    """Found by the property above: two cues at 1.204 s, the next at 2.117 s. Only the longer was cut before
    2.117 s; sorted first once shorter, fixing the fixed file then cut the other one too."""
    cues = [RawCue(None, 1204, 3461, ("네",), 1), RawCue(None, 1204, 2143, ("네",), 1),
            RawCue(None, 2117, 2117, ("안녕하세요",), 1)]
    result = fix_cues(cues, ENGLISH_RULES, Fraction(25), "en")
    assert [(c.start_ms, c.end_ms) for c in result.cues[:2]] == [(1204, 2037), (1204, 2037)]
    again = fix_cues(result.cues, ENGLISH_RULES, Fraction(25), "en")
    assert again.changes == () and again.cues == result.cues


# --------------------------------------------------------------------------- shift


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("+1.5s", 1500), ("1.5s", 1500), ("-500ms", -500), ("2", 2000), ("2m", 120_000), ("+1h", 3_600_000),
        ("00:00:01,200", 1200), ("-00:00:01.2", -1200), ("01:02", 62_000), ("1:00:00,5", 3_600_500),
    ],
)  # fmt: skip
def test_offsets(text: str, ms: int) -> None:
    assert parse_offset(text) == ms


@pytest.mark.parametrize("text", ["", "abc", "1.5x", "00:61:00,000", "++1s"])
def test_bad_offsets(text: str) -> None:
    with pytest.raises(ConfigError, match="offset"):
        parse_offset(text)


def test_shift_moves_every_cue_and_keeps_the_text() -> None:
    cues = tidy(cue(1000, 2000, "<i>하나</i>"), cue(3000, 4000, "둘"))
    moved, removed = shift_cues(cues, 1500)
    assert [(c.start_ms, c.end_ms, c.lines) for c in moved] == [(2500, 3500, ("<i>하나</i>",)), (4500, 5500, ("둘",))]
    assert removed == 0
    assert first_below_zero(cues, -1500) == 1 and first_below_zero(cues, -1000) is None
    with pytest.raises(ValueError, match="cue 1"):
        shift_cues(cues, -1500)
    clamped, removed = shift_cues(cues, -2500, clamp=True)
    assert [(c.start_ms, c.end_ms) for c in clamped] == [(500, 1500)] and removed == 1
    clamped, removed = shift_cues(cues, -1500, clamp=True)
    assert [(c.start_ms, c.end_ms) for c in clamped] == [(0, 500), (1500, 2500)] and removed == 0


def test_default_output_names_keep_the_language_last(tmp_path: Path) -> None:
    assert default_output(tmp_path / "show.ko.srt", "fixed").name == "show.fixed.ko.srt"
    assert default_output(tmp_path / "show.srt", "shifted").name == "show.shifted.srt"
    assert default_output(tmp_path / "show.en.vtt", "fixed").name == "show.fixed.en.srt"
    assert default_output(tmp_path / "show.2024.srt", "fixed").name == "show.2024.fixed.srt"
