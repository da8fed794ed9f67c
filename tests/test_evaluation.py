"""Tests for streamkit.evaluation (CER and reference files). Fast: no model, no media."""

from __future__ import annotations

import itertools
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.evaluation import (
    character_error_rate,
    levenshtein_distance,
    load_reference_tsv,
    normalize_for_cer,
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def two_row_levenshtein(a: str, b: str) -> int:
    """The textbook two-row DP: the oracle the bit-parallel implementation must agree with."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# --- normalize_for_cer ----------------------------------------------------------------------------


def test_normalize_removes_spaces_and_punctuation() -> None:
    assert normalize_for_cer(" 한 잔 의\t커피 가,\n3월!  ") == "한잔의커피가3월"
    assert normalize_for_cer("“안녕하세요.” — 네? (웃음) …") == "안녕하세요네웃음"
    assert normalize_for_cer("streamkit · 라이브 ~♪") == "streamkit라이브"


def test_normalize_keeps_hangul_latin_digits_and_case() -> None:
    assert normalize_for_cer("BTS 3집, K-pop 2018년") == "BTS3집Kpop2018년"


def test_normalize_removes_unicode_spaces_and_zero_width() -> None:
    assert normalize_for_cer("한\u00a0잔\u3000의\u200b커피\ufeff") == "한잔의커피"


def test_normalize_composes_decomposed_hangul() -> None:
    decomposed = unicodedata.normalize("NFD", "한글 커피")
    assert decomposed != "한글 커피"
    assert normalize_for_cer(decomposed) == "한글커피"


def test_normalize_empty_and_punctuation_only() -> None:
    assert normalize_for_cer("") == ""
    assert normalize_for_cer(" ,.!?… ") == ""


# --- levenshtein_distance -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("커피", "커피", 0),
        ("삼월", "3월", 1),
        ("이천십팔년", "2018년", 4),
        ("한잔의커피", "한잔커피가", 2),
    ],
)
def test_levenshtein_known_values(a: str, b: str, expected: int) -> None:
    assert levenshtein_distance(a, b) == expected
    assert levenshtein_distance(b, a) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="가나다ab1", max_size=40), st.text(alphabet="가나다ab1", max_size=40))
def test_levenshtein_matches_two_row_dp(a: str, b: str) -> None:
    assert levenshtein_distance(a, b) == two_row_levenshtein(a, b)


def test_levenshtein_across_machine_word_boundaries() -> None:
    a = "가나다라마바사" * 40  # 280 chars: several 64-bit words
    b = a[:100] + "X" + a[101:200] + a[205:] + "끝"
    assert levenshtein_distance(a, b) == two_row_levenshtein(a, b) == 7


def test_levenshtein_is_fast_on_10k_characters() -> None:
    ref = "".join(chr(0xAC00 + (i * 7919) % 2000) for i in range(10_000))
    hyp = ref[:3000] + "오류" + ref[3100:7000] + ref[7000:][::-1]
    t0 = time.perf_counter()
    dist = levenshtein_distance(ref, hyp)
    elapsed = time.perf_counter() - t0
    assert 100 <= dist <= 10_000
    assert elapsed < 2.0, f"10k x 10k took {elapsed:.2f} s"


# --- character_error_rate -------------------------------------------------------------------------


def test_cer_ignores_spacing_and_punctuation() -> None:
    ref = "한 잔 의 커피 가 소비자 에게 전해지기 위해선 여러 차례 의 공정을 거쳐야 한다"
    hyp = "한 잔의 커피가 소비자에게 전해지기 위해선, 여러 차례의 공정을 거쳐야 한다."
    assert character_error_rate(ref, hyp) == 0.0


def test_cer_counts_number_spelling_as_errors() -> None:
    # Documented limitation: Hangul numerals in references are not converted to digits.
    ref = "지난해 삼 월"  # 지난해삼월: 5 chars
    assert character_error_rate(ref, "지난해 3월") == pytest.approx(1 / 5)


def test_cer_substitution_deletion_insertion() -> None:
    assert character_error_rate("가나다라", "가나다마") == pytest.approx(1 / 4)
    assert character_error_rate("가나다라", "가나라") == pytest.approx(1 / 4)
    assert character_error_rate("가나다라", "가나다라마바") == pytest.approx(2 / 4)
    assert character_error_rate("가나", "") == 1.0
    assert character_error_rate("가", "가나다라마") == pytest.approx(4.0)  # not capped at 1


def test_cer_empty_reference() -> None:
    assert character_error_rate("", "") == 0.0
    assert character_error_rate(" ...", "!") == 0.0
    with pytest.raises(ValueError, match="reference is empty"):
        character_error_rate("", "가")


_HANGUL_LATIN_DIGITS = st.sampled_from(
    [chr(c) for c in range(0xAC00, 0xAC00 + 200)] + list("abcXYZ0123456789")
)
_ANY_TEXT = st.text(
    alphabet=st.one_of(_HANGUL_LATIN_DIGITS, st.sampled_from(list(" \t\n.,?!·~…\u3000"))), max_size=60
)


@settings(max_examples=200, deadline=None)
@given(text=_ANY_TEXT, insert=st.lists(st.tuples(st.integers(0, 10_000), _HANGUL_LATIN_DIGITS), max_size=8))
def test_cer_property_identity_and_insertions(text: str, insert: list[tuple[int, str]]) -> None:
    # A text against itself is 0 (also when it normalizes to nothing).
    assert character_error_rate(text, text) == 0.0
    base = normalize_for_cer(text)
    if not base:
        return
    # Inserting k kept characters anywhere costs exactly k edits: CER == k / len(reference).
    hyp = list(base)
    for pos, ch in insert:
        hyp.insert(pos % (len(hyp) + 1), ch)
    assert character_error_rate(text, "".join(hyp)) == pytest.approx(len(insert) / len(base))


# --- load_reference_tsv ---------------------------------------------------------------------------


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "ref.tsv"
    path.write_text(content, encoding="utf-8")
    return path


def test_load_reference_tsv(tmp_path: Path) -> None:
    path = _write(tmp_path, "start_ms\tend_ms\ttext\n1000\t11929\t지난해 삼 월\n\n13129\t21946\t그 바람 에\n")
    assert load_reference_tsv(path) == [(1000, 11929, "지난해 삼 월"), (13129, 21946, "그 바람 에")]
    assert load_reference_tsv(str(path)) == load_reference_tsv(path)


def test_load_reference_tsv_tolerates_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "ref.tsv"
    path.write_bytes("\ufeffstart_ms\tend_ms\ttext\r\n0\t500\t네\r\n".encode())
    assert load_reference_tsv(path) == [(0, 500, "네")]


def test_load_reference_tsv_header_only(tmp_path: Path) -> None:
    assert load_reference_tsv(_write(tmp_path, "start_ms\tend_ms\ttext\n")) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "expected the header"),
        ("start\tend\ttext\n0\t1\t가\n", "expected the header"),
        ("start_ms\tend_ms\ttext\n0\t1\n", r":2: expected 3 tab-separated fields"),
        ("start_ms\tend_ms\ttext\n0\tx\t가\n", r":2: start_ms and end_ms must be integers"),
        ("start_ms\tend_ms\ttext\n0\t1\t가\n9\t5\t나\n", r":3: need 0 <= start_ms <= end_ms"),
        ("start_ms\tend_ms\ttext\n-1\t5\t나\n", r":2: need 0 <= start_ms <= end_ms"),
    ],
)
def test_load_reference_tsv_rejects_bad_files(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_reference_tsv(_write(tmp_path, content))


@pytest.mark.skipif(not (SAMPLES / "fanlive.ref.tsv").is_file(), reason="samples not generated")
def test_sample_reference_files_load() -> None:
    fan = load_reference_tsv(SAMPLES / "fanlive.ref.tsv")
    assert len(fan) == 5
    assert all(s < e for s, e, _ in fan)
    assert all(prev[1] < nxt[0] for prev, nxt in itertools.pairwise(fan))
    assert fan[-1][1] <= 60_000
    short = load_reference_tsv(SAMPLES / "short.ref.tsv")
    assert len(short) == 1
    assert normalize_for_cer(short[0][2]) == "한잔의커피가소비자에게전해지기위해선여러차례의공정을거쳐야한다"
