"""streamkit/glossary/normalize.py: Korean matching and normalization, with properties."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.glossary import Glossary
from streamkit.models import Transcript, Utterance, Word

from .conftest import entry_ids

# --------------------------------------------------------------------------- Korean


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("방탄소년단의 무대", ["bts"]),
        ("세븐틴이 1위 했어", ["seventeen", "first-place"]),
        ("트와이스한테도 고마워", ["twice"]),
        ("블랙핑크랑 뉴진스는 에스파를 좋아해", ["blackpink", "newjeans", "aespa"]),
        ("아이브와 르세라핌과 엔하이픈까지", ["ive", "le-sserafim", "enhypen"]),
        ("“세븐틴” (트와이스) 세븐틴!", ["seventeen", "twice", "seventeen"]),
        ("오늘은 스트레이 키즈 컴백", ["stray-kids", "comeback"]),
        ("방탄 지민이가 왔어요 지민아 지민이랑", ["bts", "bts.jimin", "bts.jimin", "bts.jimin"]),
        ("엠카운트다운에서 봐요 위버스로 와", ["m-countdown", "weverse"]),
        ("BTS가 왔다", ["bts"]),
        ("막내가 응원봉을 들었어", ["maknae", "lightstick"]),
    ],
)
def test_find_korean_names_with_particles(g: Glossary, text: str, expected: list[str]) -> None:
    matches = g.find_korean(text)
    assert entry_ids(matches) == expected
    for m in matches:
        assert text[m.start:m.end] == m.text and not m.text.endswith(("의", "이", "가", "랑", "는"))


@pytest.mark.parametrize(
    "text",
    [
        "세븐틴스 라는 단어",  # a longer word
        "진짜 진행이 빨라",  # 진 (BTS Jin) inside words
        "사나이 대장부",  # 사나 + 이 is not a particle after a vowel
        "트와이스트 춤",  # twist
        "아이브로우 펜슬",  # eyebrow
        "엑소더스",  # exodus
        "뭐 있지? 있지만 괜찮아",  # ITZY's Hangul is a verb form
        "돈을 모아서 엔진 소리",  # MOA, ENGENE: ordinary words
        "하니? 어디 가니",  # NewJeans Hanni: a question ending
        "커피 한 잔 주세요",
    ],
)
def test_find_korean_never_inside_words_or_ordinary_words(g: Glossary, text: str) -> None:
    assert g.find_korean(text) == []
    assert g.normalize_korean(text) == text


def test_one_syllable_and_ordinary_word_names_need_their_group(g: Glossary) -> None:
    assert g.find_korean("진이 노래해") == []
    assert entry_ids(g.find_korean("방탄 진이 노래해 진도 나가자")) == ["bts", "bts.jin"]  # 진도 stays a word
    assert entry_ids(g.find_korean("진이 노래해", context="방탄소년단 라이브")) == ["bts.jin"]
    assert entry_ids(g.find_korean("예지랑 있지가 최고, 뭐 있지?")) == ["itzy.yeji", "itzy"]
    assert entry_ids(g.find_korean("모아 사랑해", context="투바투")) == ["moa"]
    # At the end of a sentence such a name is a verb or a word ("뭐 하니?"), unless its group is said right before
    assert entry_ids(g.find_korean("뉴진스 하니")) == ["newjeans", "newjeans.hanni"]
    assert entry_ids(g.find_korean("블랙핑크 지수.")) == ["blackpink", "blackpink.jisoo"]
    assert entry_ids(g.find_korean("뉴진스 보러 가니? 뭐 하니")) == ["newjeans"]
    assert entry_ids(g.find_korean("블랙핑크 좋아. 지수")) == ["blackpink"]


def test_member_collisions_resolved_by_the_group_named(g: Glossary) -> None:
    assert g.find_korean("선우 귀여워") == []  # Sunoo or Sunwoo: name protection must not guess
    assert entry_ids(g.find_korean("지민 귀여워")) == ["bts.jimin"]  # BTS's and CLASS:y's Jimin: same English
    alone = g.find_korean("선우 귀여워", uncertain=True)
    assert len(alone) == 1 and {alone[0].entry.id, *(a.id for a in alone[0].alternatives)} == {
        "enhypen.sunoo", "the-boyz.sunwoo"}
    assert entry_ids(g.find_korean("엔하이픈 선우"))[-1] == "enhypen.sunoo"
    assert entry_ids(g.find_korean("더보이즈 선우"))[-1] == "the-boyz.sunwoo"
    assert entry_ids(g.find_korean("선우 최고", context="더보이즈 라이브 방송")) == ["the-boyz.sunwoo"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("방탄 소년단의 무대", "방탄소년단의 무대"),
        ("블랙 핑크랑 놀자", "블랙핑크랑 놀자"),
        ("스트레이키즈가 왔다", "스트레이 키즈가 왔다"),
        ("여자아이들 여자 아이들은", "(여자)아이들 (여자)아이들은"),
        ("엔시티127 엔시티 드림", "엔시티 127 엔시티 드림"),
        ("방탄이랑 투바투", "방탄이랑 투바투"),  # nicknames stay as said
        ("세븐틴스 방탄소년단스", "세븐틴스 방탄소년단스"),
    ],
)
def test_normalize_korean(g: Glossary, text: str, expected: str) -> None:
    assert g.normalize_korean(text) == expected
    assert g.normalize_korean(expected) == expected


def test_apply_korean_merges_words_of_a_spaced_variant(g: Glossary) -> None:
    words = (Word(0, 400, "방탄", 0.9), Word(420, 900, "소년단의", 0.8), Word(950, 1300, "지민이", 0.95),
             Word(1320, 1800, "왔어요", 0.99))
    u = Utterance(0, 1800, "방탄 소년단의 지민이 왔어요", words)
    t = Transcript("ko", (u, Utterance(2000, 2500, "블랙 핑크", (Word(2000, 2200, "블랙"), Word(2250, 2500, "핑크")))),
                   3000)
    out = g.apply_korean(t)
    first, second = out.utterances
    assert first.text == "방탄소년단의 지민이 왔어요"
    assert [w.text for w in first.words] == ["방탄소년단의", "지민이", "왔어요"]
    assert (first.words[0].start_ms, first.words[0].end_ms, first.words[0].probability) == (0, 900, 0.8)
    assert second.text == "블랙핑크" and [(w.text, w.start_ms, w.end_ms) for w in second.words] == [
        ("블랙핑크", 2000, 2500)]
    assert g.apply_korean(out) == out
    plain = Transcript("ko", (Utterance(0, 100, "커피 주세요", (Word(0, 100, "커피"),)),), 100)
    assert g.apply_korean(plain) is plain


ORDINARY_KO = ["오늘", "커피", "진짜", "진행", "사나이", "있지만", "모아서", "하니까", "트와이스트", "아이브로우", "한",
               "그리고", "노래", "잘", "했어요", "정말", "세븐틴스", "방송", "여러분", "고마워요", "!", "?", ",", "."]
PARTICLES = ["", "의", "이", "가", "는", "은", "를", "을", "랑", "이랑", "한테", "에게", "에서", "도", "만", "까지",
             "처럼"]
VARIANTS = [("방탄 소년단", "방탄소년단"), ("블랙 핑크", "블랙핑크"), ("스트레이키즈", "스트레이 키즈"),
            ("여자아이들", "(여자)아이들"), ("트와이스", "트와이스"), ("세븐틴", "세븐틴")]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ORDINARY_KO), max_size=12))
def test_korean_without_names_is_unchanged(g: Glossary, words: list[str]) -> None:
    text = " ".join(words)
    assert g.normalize_korean(text) == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(VARIANTS), st.sampled_from(PARTICLES), st.sampled_from(ORDINARY_KO)),
                min_size=1, max_size=5))
def test_korean_variants_become_canonical_particles_kept(g: Glossary, parts: list) -> None:  # type: ignore[type-arg]
    def proper(name: str, particle: str) -> str:  # only the particle that fits the sound before it
        vowel = (ord(name[-1]) - 0xAC00) % 28 == 0
        pairs = {"이": "가", "은": "는", "을": "를", "이랑": "랑"}
        back = {v: k for k, v in pairs.items()}
        return pairs.get(particle, particle) if vowel else back.get(particle, particle)

    said = " ".join(f"{v}{proper(v.replace(' ', ''), p)} {w}" for (v, _), p, w in parts)
    want = " ".join(f"{c}{proper(v.replace(' ', ''), p)} {w}" for (v, c), p, w in parts)
    once = g.normalize_korean(said)
    assert once == want
    assert g.normalize_korean(once) == once
