"""Tests for streamkit/segment/rules.py: the rule sets, rules_for, validation, frames."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from streamkit.segment import DEFAULT_FPS, ENGLISH_RULES, KOREAN_RULES, frame_ms, rules_for

NTSC = Fraction(30000, 1001)


def test_rule_sets_carry_the_netflix_numbers() -> None:
    assert ENGLISH_RULES.name == "netflix-en"
    assert (ENGLISH_RULES.max_line_columns, ENGLISH_RULES.max_cps, ENGLISH_RULES.narrow_width) == (42, 20, 1)
    assert KOREAN_RULES.name == "netflix-ko"
    assert (KOREAN_RULES.max_line_columns, KOREAN_RULES.max_cps, KOREAN_RULES.narrow_width) == (16, 12, 0.5)
    for rules in (ENGLISH_RULES, KOREAN_RULES):
        assert (rules.max_lines, rules.min_duration_ms, rules.max_duration_ms) == (2, 833, 7000)
        assert (rules.min_gap_frames, rules.chain_gap_frames, rules.max_linger_ms) == (2, 12, 500)
    assert DEFAULT_FPS == 24


def test_rules_for_picks_each_languages_own_rules() -> None:
    assert rules_for("ko") is KOREAN_RULES
    assert rules_for("en") is ENGLISH_RULES
    # Issue 16: Japanese has its own rules now (13 full-width characters, 4 cps); unknown codes get English's.
    assert rules_for("ja").max_line_columns == 13 and rules_for("ja").breaks == "cjk"
    assert rules_for("xx") is ENGLISH_RULES


@pytest.mark.parametrize(
    "change",
    [
        {"max_line_columns": 0},
        {"max_line_columns": float("nan")},
        {"max_lines": 0},
        {"max_cps": -1.0},
        {"min_duration_ms": 8000},
        {"max_duration_ms": 0},
        {"min_gap_frames": -1},
        {"chain_gap_frames": 1, "min_gap_frames": 2},
        {"max_linger_ms": -5},
        {"narrow_width": 0},
        {"pause_split_ms": 0},
        {"name": " "},
    ],
)
def test_rules_refuse_nonsense(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="SegmentRules"):
        dataclasses.replace(ENGLISH_RULES, **change)  # type: ignore[arg-type]


def test_frame_ms_rounds_up_so_gaps_cover_whole_frames() -> None:
    assert frame_ms(2, Fraction(24)) == 84  # 83.33 ms rounded up
    assert frame_ms(2, NTSC) == 67  # 66.73 ms
    assert frame_ms(12, Fraction(24)) == 500
    assert frame_ms(1, Fraction(25)) == 40
    assert frame_ms(0, Fraction(24)) == 0
    for fps in (Fraction(24), Fraction(25), NTSC, Fraction(60000, 1001)):
        assert frame_ms(2, fps) >= 2 * 1000 / fps
    with pytest.raises(ValueError):
        frame_ms(2, Fraction(0))
    with pytest.raises(ValueError):
        frame_ms(-1, Fraction(24))

