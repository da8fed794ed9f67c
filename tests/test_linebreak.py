"""Line breaking per script (streamkit/linebreak.py, and segment/wrap_lines using it): examples and properties.

Properties (hypothesis): a line never exceeds the width when a break exists; a Thai word (a run between
spaces or zero-width spaces) is never split, by line or by cue; no line starts with closing CJK
punctuation or ends with opening punctuation; the text survives (only break spaces change).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.languages import LANGUAGES
from streamkit.linebreak import NO_LINE_END, NO_LINE_START, RLM, ZWSP, right_to_left, thai_words, tokenize
from streamkit.models import Transcript, Utterance
from streamkit.segment import display_width, segment, wrap_lines

JA = LANGUAGES["ja"].rules
ZH = LANGUAGES["zh-Hans"].rules
TH = LANGUAGES["th"].rules
EPS = 1e-6


def test_cjk_tokens_keep_punctuation_with_their_neighbours() -> None:
    tokens = tokenize("今日は「BTS」のライブ、ありがとう！ 本当に。", "cjk")
    assert ("「BTS」", True) in tokens and ("ブ、", True) in tokens and ("う！", True) in tokens
    assert ("本", False) in tokens  # after a real space
    assert [t for t, _ in tokenize("我们 爱 BLACKPINK。", "cjk")] == ["我", "们", "爱", "BLACKPINK。"]


def test_thai_breaks_only_at_spaces_and_zero_width_spaces() -> None:
    assert tokenize(f"สวัสดีครับ ทุกคน{ZWSP}วันนี้ BTS", "thai") == [
        ("สวัสดีครับ", False), ("ทุกคน", False), ("วันนี้", True), ("BTS", False)]
    assert wrap_lines(f"ทุกคน{ZWSP}วันนี้", TH, "th") == ("ทุกคนวันนี้",)  # the ZWSP itself is not written


def test_cjk_lines_have_no_spaces_added_and_respect_kinsoku() -> None:
    lines = wrap_lines("我们今天非常高兴见到大家，谢谢你们的支持。", ZH, "zh-Hans")
    assert lines == ("我们今天非常高兴见到大家，", "谢谢你们的支持。")
    said = "今日は「BTS」のライブに来てくれて本当にありがとうございます。"
    cues = segment(Transcript("ja", (Utterance(0, 4000, said),), 5000), JA, Fraction(24))
    assert "".join(line for c in cues.cues for line in c.lines) == said
    assert all(display_width(line, JA) <= 13 + EPS for c in cues.cues for line in c.lines)


def test_a_thai_run_wider_than_a_line_breaks_at_a_dictionary_word_boundary() -> None:
    pytest.importorskip("pythainlp")
    run = "สวัสดีครับทุกคนวันนี้มาคอนเสิร์ตของบีทีเอสขอบคุณมากครับ"  # 47 columns, no space
    words = thai_words(run)
    assert len(words) > 3 and "".join(words) == run and "คอนเสิร์ต" in words
    lines = wrap_lines(run, TH, "th")
    assert lines is not None and "".join(lines) == run
    assert all(display_width(line, TH) <= 35 for line in lines)
    bounds = {sum(len(w) for w in words[:i]) for i in range(len(words) + 1)}
    assert len(lines[0]) in bounds  # the break falls between two words
    track = segment(Transcript("th", (Utterance(0, 5000, run),), 6000), TH, Fraction(24))
    assert "".join(line for c in track.cues for line in c.lines) == run
    assert all(display_width(line, TH) <= 35 for c in track.cues for line in c.lines)


def test_rtl_lines_starting_with_a_latin_name_get_a_right_to_left_mark() -> None:
    assert right_to_left("BTS في المسرح") == RLM + "BTS في المسرح"
    assert right_to_left("اليوم مع BTS") == "اليوم مع BTS"
    assert right_to_left("2026 - היום BTS") == "2026 - היום BTS"  # digits are weak: the Hebrew decides
    assert display_width(RLM + "BTS", LANGUAGES["ar"].rules) == 3  # invisible: no column


# --------------------------------------------------------------------------- properties

_KANJI = st.sampled_from(list("今日本当楽歌舞台一緒明見会私達大好愛"))
_KANA = st.sampled_from(list("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめも"))
_SMALL = st.sampled_from(list("っゃゅょァィッー"))
_CLOSE = st.sampled_from(list("、。」』）！？"))
_OPEN = st.sampled_from(list("「『（"))
_LATIN = st.sampled_from(["BTS", "BLACKPINK", "NewJeans", "2026", "SEVENTEEN"])
_CJK_PIECE = st.one_of(_KANJI, _KANA, _KANA, _SMALL, _CLOSE, _OPEN, _LATIN)
cjk_text = st.lists(_CJK_PIECE, min_size=1, max_size=40).map("".join)

_THAI_WORDS = ["สวัสดี", "ครับ", "ทุกคน", "วันนี้", "คอนเสิร์ต", "ขอบคุณ", "มากๆ", "เพลง", "ใหม่", "ด้วยกัน",
               "พรุ่งนี้", "เจอกัน", "ที่", "เวที", "BTS"]
thai_word_lists = st.lists(st.sampled_from(_THAI_WORDS), min_size=1, max_size=14)
separators = st.lists(st.sampled_from([" ", ZWSP]), min_size=14, max_size=14)


def _thai(words: list[str], seps: list[str]) -> str:
    return "".join(w + (seps[i] if i < len(words) - 1 else "") for i, w in enumerate(words))


@settings(max_examples=200, deadline=None)
@given(cjk_text)
def test_cjk_wrapping_keeps_the_width_the_text_and_kinsoku(text: str) -> None:
    lines = wrap_lines(text, JA, "ja")
    tokens = tokenize(text, "cjk")
    if lines is None:  # only when it cannot fit two lines at all
        assert sum(display_width(t, JA) for t, _ in tokens) > 13 or any(display_width(t, JA) > 13 for t, _ in tokens)
        return
    assert "".join(lines) == text.replace(" ", "")
    for line in lines:
        assert display_width(line, JA) <= JA.max_line_columns + EPS
        assert line[0] not in NO_LINE_START or line is lines[0]
        assert line[-1] not in NO_LINE_END or line is lines[-1]


@settings(max_examples=100, deadline=None)
@given(cjk_text, st.integers(1500, 9000))
def test_cjk_cues_never_start_a_line_with_closing_punctuation(text: str, span: int) -> None:
    track = segment(Transcript("ja", (Utterance(0, span, text),), span + 1000), JA, Fraction(24))
    lines = [line for c in track.cues for line in c.lines]
    assert all(line[0] not in NO_LINE_START for line in lines[1:])  # by line and by cue
    assert all(line[-1] not in NO_LINE_END for line in lines[:-1])
    assert "".join(lines) == text.replace(" ", "")


@pytest.mark.parametrize(("code", "text", "lines"), [
    # A Latin run with a small kana glued on, wider than a Japanese line: the cut moves one letter over.
    ("ja", "BLACKPINKBLACKPINKNewJeansっ", ("BLACKPINKBLACKPINKNewJean", "sっ")),
    ("zh-Hant", "BTSblackpink.BTSItheyoublackpink.becauseis", ("BTSblackpink.BTSItheyoublackpin", "k.becauseis")),
])
def test_a_cjk_token_wider_than_a_line_is_cut_by_kinsoku(code: str, text: str, lines: tuple[str, ...]) -> None:
    rules = LANGUAGES[code].rules
    track = segment(Transcript(code, (Utterance(0, 1500, text),), 0), rules, Fraction(24))
    assert [line for c in track.cues for line in c.lines] == list(lines)


@settings(max_examples=200, deadline=None)
@given(thai_word_lists, separators)
def test_thai_words_are_never_split(words: list[str], seps: list[str]) -> None:
    text = _thai(words, seps)
    lines = wrap_lines(text, TH, "th")
    if lines is None:  # only when even the fullest lines need more than two of them
        assert _greedy_lines(tokenize(text, "thai")) > TH.max_lines
        return
    for line in lines:
        assert display_width(line, TH) <= TH.max_line_columns + EPS
    rebuilt = [tok for line in lines for tok, _ in tokenize(line, "thai")]
    # Every word of the input is in one line; words joined by a ZWSP may share a token, never half of one.
    assert "".join(rebuilt) == text.replace(" ", "").replace(ZWSP, "")
    line_words = [set(_split_known(line)) for line in lines]
    assert all(any(w in lw for lw in line_words) for w in words)


def _greedy_lines(tokens: list[tuple[str, bool]]) -> int:
    lines, width = 1, -1.0
    for token, glued in tokens:
        w = display_width(token, TH) + (0 if glued or width < 0 else TH.narrow_width)
        if width >= 0 and width + w > TH.max_line_columns + EPS:
            lines, width = lines + 1, display_width(token, TH)
        else:
            width = max(width, 0) + w
    return lines


def _split_known(line: str) -> list[str]:
    """A line cut back into the vocabulary's words (greedy: the test vocabulary has no word inside another)."""
    out: list[str] = []
    rest = line.replace(" ", "")
    while rest:
        match = max((w for w in _THAI_WORDS if rest.startswith(w)), key=len, default=None)
        if match is None:
            return out
        out.append(match)
        rest = rest[len(match):]
    return out


@settings(max_examples=60, deadline=None)
@given(thai_word_lists, separators, st.integers(1000, 12000))
def test_thai_cues_never_split_a_word(words: list[str], seps: list[str], span: int) -> None:
    text = _thai(words, seps)
    track = segment(Transcript("th", (Utterance(0, span, text),), span + 500), TH, Fraction(24))
    pieces = [_split_known(line) for c in track.cues for line in c.lines]
    assert [w for p in pieces for w in p] == words  # each line is whole words, in order
