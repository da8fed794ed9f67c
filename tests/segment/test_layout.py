"""Tests for streamkit/segment/layout.py: display width and line breaks (wrap_lines), with properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.segment import ENGLISH_DETERMINERS, ENGLISH_RULES, KOREAN_RULES, display_width, rules_for, wrap_lines

from .strategies import ENGLISH_WORD, KOREAN_WORD


def test_display_width_counts_hangul_one_and_narrow_half_for_korean() -> None:
    assert display_width("안녕", KOREAN_RULES) == 2
    assert display_width("abc", KOREAN_RULES) == 1.5
    assert display_width("안녕 hi!", KOREAN_RULES) == 2 + 0.5 * 4
    assert display_width("abc", ENGLISH_RULES) == 3
    assert display_width("한국", ENGLISH_RULES) == 2
    assert display_width("", KOREAN_RULES) == 0




def test_wrap_keeps_one_line_when_it_fits() -> None:
    assert wrap_lines("Thank you so much for watching!", ENGLISH_RULES, "en") == ("Thank you so much for watching!",)
    assert wrap_lines("  spaced   out  ", ENGLISH_RULES, "en") == ("spaced out",)
    assert wrap_lines("", ENGLISH_RULES, "en") == ()


def test_wrap_returns_none_when_text_cannot_fit() -> None:
    assert wrap_lines("word " * 30, ENGLISH_RULES, "en") is None
    assert wrap_lines("x" * 43, ENGLISH_RULES, "en") is None


def test_wrap_never_leaves_an_article_at_the_end_of_a_line() -> None:
    text = "Seven people waited outside the delayed morning train to Busan station"
    lines = wrap_lines(text, ENGLISH_RULES, "en")
    assert lines is not None and len(lines) == 2
    assert lines[0].split()[-1].lower() not in ENGLISH_DETERMINERS
    # Without the English rules (unknown language) the most balanced break is after "the".
    assert wrap_lines(text, ENGLISH_RULES, "xx") == (
        "Seven people waited outside the",
        "delayed morning train to Busan station",
    )


@pytest.mark.parametrize(
    ("text", "second_line"),
    [
        ("I bought a ticket for the show yesterday and my sister came too", "and my sister came too"),
        (
            "She told me about the new song she wrote but I have not heard it yet",
            "but I have not heard it yet",
        ),
    ],
)
def test_wrap_breaks_before_a_conjunction(text: str, second_line: str) -> None:
    lines = wrap_lines(text, ENGLISH_RULES, "en")
    assert lines is not None and lines[1] == second_line
    # The balanced break wins when the conjunction rule does not apply.
    plain = wrap_lines(text, ENGLISH_RULES, "xx")
    assert plain is not None and plain[1] != second_line


@pytest.mark.parametrize(
    "text",
    [
        "Yesterday afternoon in the crowded studio they will not be singing together",
        "After the concert in the park my brother and I were walking home very slowly",
        "Everyone in the audience said that we should sing it one more time tonight",
    ],
)
def test_wrap_keeps_pronoun_auxiliary_and_negation_together(text: str) -> None:
    lines = wrap_lines(text, ENGLISH_RULES, "en")
    assert lines is not None and len(lines) == 2
    last, first = lines[0].split()[-1].lower(), lines[1].split()[0].lower()
    assert last not in {"i", "we", "they", "will", "should", "were", "be"} | ENGLISH_DETERMINERS
    assert first != "not"


def test_wrap_korean_breaks_only_at_spaces_after_a_clause_ending() -> None:
    text = "저는 서울에서 태어나서 부산에서 자랐어요"
    lines = wrap_lines(text, KOREAN_RULES, "ko")
    assert lines == ("저는 서울에서 태어나서", "부산에서 자랐어요")
    lines = wrap_lines("오늘 방송 정말 재밌었고 다음에 또 만나요", KOREAN_RULES, "ko")
    assert lines == ("오늘 방송 정말 재밌었고", "다음에 또 만나요")
    for line in lines:
        assert display_width(line, KOREAN_RULES) <= 16
    assert wrap_lines("가" * 17, KOREAN_RULES, "ko") is None


def test_wrap_korean_keeps_bound_noun_with_its_verb() -> None:
    lines = wrap_lines("우리가 할 수 있는 일은 최선을 다하는 것뿐이에요", KOREAN_RULES, "ko")
    assert lines is not None
    assert not lines[0].endswith(" 할")


# --------------------------------------------------------------------------- timing

@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["ko", "en"]).flatmap(
        lambda lang: st.tuples(
            st.just(lang), st.lists(KOREAN_WORD if lang == "ko" else ENGLISH_WORD, min_size=1, max_size=20)
        )
    )
)
def test_wrap_lines_properties(case: tuple[str, list[str]]) -> None:
    """wrap_lines keeps every word in order and fits the layout; one line whenever one line fits."""
    language, words = case
    rules = rules_for(language)
    text = " ".join(words)
    lines = wrap_lines(text, rules, language)
    if display_width(text, rules) <= rules.max_line_columns:
        assert lines == (text,)
    if lines is None:
        # Greedy filling (which needs the fewest lines) must need more than max_lines.
        used, width = 1, -rules.narrow_width
        for w in words:
            ww = display_width(w, rules)
            if width + rules.narrow_width + ww <= rules.max_line_columns:
                width += rules.narrow_width + ww
            else:
                used, width = used + 1, ww
        assert used > rules.max_lines
        return
    assert " ".join(lines).split() == words
    assert 1 <= len(lines) <= rules.max_lines
    assert all(display_width(line, rules) <= rules.max_line_columns for line in lines)
    assert wrap_lines(text, rules, language) == lines
