"""The glossary: data validation, Korean matching and normalization, English enforcement, hints, errors."""

from __future__ import annotations

import json
import pickle
import re
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.errors import ConfigError
from streamkit.glossary import (
    GROUP_KINDS,
    Entry,
    Glossary,
    GlossaryError,
    builtin_dir,
    check_glossary,
    import_kpopnet,
    load_glossary,
    proposals_toml,
)
from streamkit.models import Cue, SubtitleTrack, Transcript, Utterance, Word

REPO = Path(__file__).resolve().parents[1]
KPOPNET = REPO.parent / "shared" / "data" / "kpopnet.json"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def g() -> Glossary:
    return load_glossary()


def _ids(matches: list) -> list[str]:  # type: ignore[type-arg]
    return [m.entry.id for m in matches]


# --------------------------------------------------------------------------- the data


def test_builtin_glossary_has_no_problems() -> None:
    glossary, problems = check_glossary()
    assert problems == [], "\n".join(str(p) for p in problems)
    assert glossary is not None and glossary.overrides == ()  # no id in two built-in files


def test_every_entry_has_korean_and_english(g: Glossary) -> None:
    for e in g.entries:
        assert e.english.strip() == e.english and e.english, e.id
        assert HANGUL.search(e.korean[0]), f"{e.id}: canonical {e.korean[0]!r} has no Hangul"
        assert e.source.startswith("glossary/") and re.search(r":\d+$", e.source)
        assert e.english not in e.aliases_en, e.id
        assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*", e.id), e.id


def test_coverage_at_least_150_active_groups_and_soloists(g: Glossary) -> None:
    acts = [e for e in g.entries if e.kind in GROUP_KINDS and "disbanded" not in e.note]
    assert len(acts) >= 150
    boy_groups = ["bts", "seventeen", "stray-kids", "exo", "nct-127", "nct-dream", "wayv", "nct-wish", "nct-u",
                  "enhypen", "txt", "ateez", "the-boyz", "treasure", "zerobaseone", "riize", "boynextdoor", "tws",
                  "shinee", "super-junior", "bigbang", "2pm", "monsta-x", "got7", "ikon", "winner", "astro", "vixx",
                  "infinite", "btob", "highlight", "pentagon", "sf9", "cravity", "p1harmony", "xdinary-heroes",
                  "day6", "n-flying", "cnblue", "ftisland", "nuest", "wanna-one", "ab6ix", "cix", "oneus", "onewe",
                  "verivery", "golden-child", "victon", "to1", "drippin", "epex", "tempest", "omega-x", "8turn",
                  "xikers", "evnne"]
    soloists = ["iu", "psy", "sunmi", "chungha", "hyuna", "boa", "jay-park", "zico", "crush", "dean", "heize",
                "agust-d", "bts.jungkook", "bts.v", "bts.j-hope", "blackpink.jennie", "blackpink.rose",
                "exo.baekhyun", "shinee.taemin", "girls-generation.taeyeon"]
    girl_groups = ["twice", "blackpink", "newjeans", "aespa", "ive", "itzy", "le-sserafim", "gidle", "red-velvet",
                   "nmixx", "illit", "babymonster", "kiss-of-life", "stayc", "mamamoo", "oh-my-girl", "fromis-9"]
    missing = [i for i in boy_groups + soloists + girl_groups if i not in g.by_id]
    assert missing == []


@pytest.mark.parametrize(
    ("group", "members"),
    [
        ("bts", {"RM": "알엠", "Jin": "진", "SUGA": "슈가", "j-hope": "제이홉", "Jimin": "지민", "V": "뷔",
                 "Jungkook": "정국"}),
        ("blackpink", {"Jisoo": "지수", "Jennie": "제니", "Rosé": "로제", "Lisa": "리사"}),
        ("twice", {"Nayeon": "나연", "Jeongyeon": "정연", "Momo": "모모", "Sana": "사나", "Jihyo": "지효",
                   "Mina": "미나", "Dahyun": "다현", "Chaeyoung": "채영", "Tzuyu": "쯔위"}),
        ("aespa", {"Karina": "카리나", "Giselle": "지젤", "Winter": "윈터", "Ningning": "닝닝"}),
        ("stray-kids", {"Bang Chan": "방찬", "Lee Know": "리노", "Changbin": "창빈", "Hyunjin": "현진",
                        "Han": "한", "Felix": "필릭스", "Seungmin": "승민", "I.N": "아이엔"}),
    ],
)
def test_line_ups(g: Glossary, group: str, members: dict[str, str]) -> None:
    got = {e.english: e.canonical_ko for e in g.members_of(group)}
    assert got == members


def test_official_stylizations(g: Glossary) -> None:
    expected = {"bts": "BTS", "seventeen": "SEVENTEEN", "blackpink": "BLACKPINK", "gidle": "(G)I-DLE",
                "newjeans": "NewJeans", "le-sserafim": "LE SSERAFIM", "illit": "ILLIT", "shinee": "SHINee",
                "ikon": "iKON", "aespa": "aespa", "m-countdown": "M Countdown", "inkigayo": "Inkigayo",
                "weverse": "Weverse", "army": "ARMY", "carat": "CARAT", "blink": "BLINK", "once": "ONCE",
                "maknae": "maknae", "comeback": "comeback", "music-show": "music show", "lightstick": "lightstick"}
    assert {k: g.by_id[k].english for k in expected} == expected


def test_members_point_at_groups_and_fandoms_at_their_group(g: Glossary) -> None:
    for e in g.entries:
        if e.kind in ("member", "fandom", "unit"):
            assert e.group is not None and g.by_id[e.group].kind in ("group", "unit"), e.id
        if e.kind == "member":
            assert e.id.startswith(e.group + "."), e.id


def test_korean_collisions_are_only_between_members_of_different_groups(g: Glossary) -> None:
    """A Korean form naming two different English forms is a member name used in another act."""
    forms: dict[str, list[Entry]] = defaultdict(list)
    for e in g.entries:
        for k in e.korean:
            forms["".join(k.split())].append(e)
    for form, entries in forms.items():
        if len({e.english for e in entries}) < 2:
            continue
        non_members = [e for e in entries if e.kind != "member"]
        assert len(non_members) <= 1, (form, [e.id for e in entries])
        groups = [e.group for e in entries if e.kind == "member"]
        assert len(groups) == len(set(groups)), (form, groups)


def test_common_words_are_lowercase_data(g: Glossary) -> None:
    data = tomllib.loads((REPO / "glossary" / "common-words.toml").read_text(encoding="utf-8"))["common"]
    assert all(w == w.lower() for w in data["english"] + data["english_strict"])
    assert len(data["korean"]) == len(set(data["korean"]))
    # every ordinary English word that is an entry's whole English form is listed or the entry is ambiguous
    for e in g.entries:
        if e.english.lower() in {"twice", "once", "army", "stay", "my", "seventeen", "winner", "treasure"}:
            assert e.english.lower() in g.common_en or e.ambiguous, e.id


@pytest.mark.skipif(not KPOPNET.is_file(), reason="../shared/data/kpopnet.json not present")
def test_girl_groups_file_is_what_the_importer_makes() -> None:
    made = import_kpopnet(KPOPNET)
    assert (REPO / "glossary" / "girl-groups.toml").read_text(encoding="utf-8") == made
    assert "CC0" in made.splitlines()[1]


def test_import_kpopnet_current_members_hangul_units_and_fixes(tmp_path: Path) -> None:
    data = {
        "groups": [
            {"id": "g1", "name": "Blackpink", "name_original": "블랙핑크", "name_alias": None, "disband_date": None,
             "parent_id": None, "members": [{"idol_id": "i1", "current": True}, {"idol_id": "i2", "current": False},
                                            {"idol_id": "i3", "current": True}]},
            {"id": "g2", "name": "Old Girls", "name_original": "올드걸스", "name_alias": "OG",
             "disband_date": "2015-01-01", "parent_id": None, "members": [{"idol_id": "i1", "current": True}]},
            {"id": "g3", "name": "XG", "name_original": "XG", "name_alias": None, "disband_date": None,
             "parent_id": None, "members": []},
            {"id": "g4", "name": "Pink Unit", "name_original": "핑크 유닛", "name_alias": None, "disband_date": None,
             "parent_id": "g1", "members": [{"idol_id": "i1", "current": True}, {"idol_id": "i4", "current": True}]},
        ],
        "idols": [
            {"id": "i1", "name": "Rose", "name_original": "로제"},
            {"id": "i2", "name": "Former", "name_original": "전멤버"},
            {"id": "i3", "name": "NoHangul", "name_original": "NOH"},
            {"id": "i4", "name": "Extra", "name_original": "엑스트라"},
        ],
    }
    source = tmp_path / "kpopnet.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    text = import_kpopnet(source)
    parsed = tomllib.loads(text)
    groups = {t["id"]: t for t in parsed["group"]}
    assert set(groups) == {"blackpink", "old-girls"}  # XG: no Hangul
    assert groups["blackpink"]["english"] == "BLACKPINK"  # the fixes file
    assert [m["english"] for m in groups["blackpink"]["members"]] == ["Rosé"]  # current, with Hangul
    assert groups["blackpink"]["members"][0]["aliases_en"] == ["Rose"]
    assert "members" not in groups["old-girls"] and groups["old-girls"]["also_en"] == ["OG"]
    unit = parsed["unit"][0]
    assert unit["group"] == "blackpink" and [m["id"] for m in unit["members"]] == ["extra"]
    out = tmp_path / "girls.toml"
    out.write_text(text, encoding="utf-8")
    loaded = load_glossary([out], builtin=False)
    assert loaded.by_id["pink-unit.extra"].group == "pink-unit"


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
    assert _ids(matches) == expected
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
    assert _ids(g.find_korean("방탄 진이 노래해 진도 나가자")) == ["bts", "bts.jin"]  # 진도 stays a word
    assert _ids(g.find_korean("진이 노래해", context="방탄소년단 라이브")) == ["bts.jin"]
    assert _ids(g.find_korean("예지랑 있지가 최고, 뭐 있지?")) == ["itzy.yeji", "itzy"]
    assert _ids(g.find_korean("모아 사랑해", context="투바투")) == ["moa"]
    # At the end of a sentence such a name is a verb or a word ("뭐 하니?"), unless its group is said right before
    assert _ids(g.find_korean("뉴진스 하니")) == ["newjeans", "newjeans.hanni"]
    assert _ids(g.find_korean("블랙핑크 지수.")) == ["blackpink", "blackpink.jisoo"]
    assert _ids(g.find_korean("뉴진스 보러 가니? 뭐 하니")) == ["newjeans"]
    assert _ids(g.find_korean("블랙핑크 좋아. 지수")) == ["blackpink"]


def test_member_collisions_resolved_by_the_group_named(g: Glossary) -> None:
    assert g.find_korean("선우 귀여워") == []  # Sunoo or Sunwoo: name protection must not guess
    assert _ids(g.find_korean("지민 귀여워")) == ["bts.jimin"]  # BTS's and CLASS:y's Jimin: same English
    alone = g.find_korean("선우 귀여워", uncertain=True)
    assert len(alone) == 1 and {alone[0].entry.id, *(a.id for a in alone[0].alternatives)} == {
        "enhypen.sunoo", "the-boyz.sunwoo"}
    assert _ids(g.find_korean("엔하이픈 선우"))[-1] == "enhypen.sunoo"
    assert _ids(g.find_korean("더보이즈 선우"))[-1] == "the-boyz.sunwoo"
    assert _ids(g.find_korean("선우 최고", context="더보이즈 라이브 방송")) == ["the-boyz.sunwoo"]


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


# --------------------------------------------------------------------------- English


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love Bulletproof Boy Scouts!", "I love BTS!"),
        ("the Bangtan Sonyeondan and bts", "the BTS and BTS"),
        ("Black Pink, blackpink and Blackpink's fans", "BLACKPINK, BLACKPINK and BLACKPINK's fans"),
        ("I love New Jeans and Newjeans", "I love NewJeans and NewJeans"),
        ("G-Idle, GIDLE, (G)-IDLE and G I-DLE", "(G)I-DLE, (G)I-DLE, (G)I-DLE and (G)I-DLE"),
        ("Le Sserafim and lesserafim", "LE SSERAFIM and LE SSERAFIM"),
        ("Shinee and Ikon and Exo", "SHINee and iKON and EXO"),
        ("Tomorrow by Together, tomorrow x together", "TXT, TOMORROW X TOGETHER"),
        ("a Straykids fancam", "a Stray Kids fancam"),
        ("Zero Base One and Enhyphen", "ZEROBASEONE and ENHYPEN"),
        ("She posted on We Verse and Vlive", "She posted on Weverse and V LIVE"),
        ("Ji-hyo and Jung Kook and Jeongguk", "Jihyo and Jung Kook and Jungkook"),
        ("M Countdown, Mcountdown", "M Countdown, M Countdown"),
        ("BTS's and bts's", "BTS's and BTS's"),
        ("Blackpink's Jisoo and Rose", "BLACKPINK's Jisoo and Rosé"),
    ],
)
def test_enforce_english_aliases_case_spacing(g: Glossary, text: str, expected: str) -> None:
    assert g.enforce_english(text) == expected
    assert g.enforce_english(expected) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I read it twice, once, and the army came",
        "She is seventeen years old",
        "The Onceler ate an armyworm with exoskeleton",
        "Twice as fast, Once upon a time, Army of fans",
        "Meet me at 2 pm on day 6, I've got it, I'm in",
        "#bts @BTS_twt https://bts.com and bts.com",
        "the boy next door, new jeans, stray kids, a winter rose",
        "the Big Bang theory",
        "Hello carats, two armies, Blinks and stays",
        "the youngest member won the grand prize",
        "f(x) = x + 1",
    ],
)
def test_enforce_english_leaves_ordinary_words(g: Glossary, text: str) -> None:
    expected = text.replace("f(x)", "f(x)")
    assert g.enforce_english(text) == expected


@pytest.mark.parametrize(
    ("english", "korean", "expected"),
    [
        ("Twice is here", "트와이스 왔어", "TWICE is here"),
        ("Twice did it twice", "트와이스가 두 번 했어", "TWICE did it twice"),
        ("I did it twice", "두 번 했어", "I did it twice"),
        ("Thank you, Army and army", "아미 고마워", "Thank you, ARMY and army"),
        ("Seventeen is back", "세븐틴 컴백", "SEVENTEEN is back"),
        ("at seventeen", "열일곱 살에", "at seventeen"),
        ("The Boys are here", "더보이즈 왔어", "THE BOYZ are here"),
        ("the Rose too", "로제도", "the Rosé too"),
        ("Congrats on the grand prize, youngest member", "대상 축하해 막내", "Congrats on the daesang, maknae"),
        ("the youngest one", "제일 어린", "the youngest one"),
        ("I want to gather money, my way", "돈을 모아서 마이 웨이", "I want to gather money, my way"),
        ("Sunwoo is cute", "엔하이픈 선우 귀여워", "Sunoo is cute"),
        ("Sunwoo is cute", "더보이즈 선우 귀여워", "Sunwoo is cute"),
        ("Sunwoo is cute", "선우 귀여워", "Sunwoo is cute"),
        ("Jungwoo sang", "트레저 정우", "Jeongwoo sang"),
        ("Jungwoo sang", "엔시티 정우", "Jungwoo sang"),
        ("Jenny waved", "제니가 손을 흔들었어", "Jennie waved"),
        ("Jenny waved", "친구가 손을 흔들었어", "Jenny waved"),
        ("Twice and Itzy", "트와이스랑 있지가", "TWICE and ITZY"),
        ("We are on M Count Down today", "오늘 엠카운트다운", "We are on M Countdown today"),
        ("Mnet Countdown first place", "엠카 1위", "M Countdown first place"),
        ("Thank you armys", "아미들 고마워", "Thank you ARMYs"),
        ("Hello Carats and Blinks", "캐럿 여러분 블링크 여러분 안녕", "Hello CARATs and BLINKs"),
        ("Hi Onces, Stays!", "원스 안녕 스테이 여러분", "Hi ONCEs, STAYs!"),
        ("two carats of diamond", "다이아몬드 2캐럿", "two carats of diamond"),
        ("the armys of Rome", "로마의 군대", "the armys of Rome"),
        ("Leserafim and Mamamu and Atiz", "르세라핌 마마무 에이티즈", "LE SSERAFIM and MAMAMOO and ATEEZ"),
        ("Yeoja Aideul and N-hyphen", "여자아이들 엔하이픈", "(G)I-DLE and ENHYPEN"),
        ("Jean sang, then Alem and Bwi", "방탄 진이 노래하고 알엠이랑 뷔", "Jin sang, then RM and V"),
        ("Jean Paul Gaultier", "장 폴 고티에", "Jean Paul Gaultier"),
        ("Hani is here", "뉴진스 하니가 왔어", "Hanni is here"),
        ("Hani is here", "EXID 하니가 왔어", "Hani is here"),
    ],
)
def test_enforce_english_for_korean_source(g: Glossary, english: str, korean: str, expected: str) -> None:
    assert g.enforce_english_for(english, korean) == expected
    assert g.enforce_english_for(expected, korean) == expected


def test_enforce_english_for_uses_the_recording_context(g: Glossary) -> None:
    assert g.enforce_english_for("Jin sings", "진이 노래해") == "Jin sings"
    assert g.enforce_english_for("Sunwoo!", "선우!", context="엔하이픈 위버스 라이브") == "Sunoo!"


ENGLISH_VOCAB = [
    "the", "a", "fast", "I", "love", "twice", "once", "army", "seventeen", "rose", "winter", "new", "jeans", "stray",
    "kids", "big", "bang", "boy", "next", "door", "I've", "I'm", "day", "6", "2", "pm", "my", "stay", "blink",
    "carat", "treasure", "winner", "rise", "tours", "the boys", "youngest", "grand", "prize", "in", "do", "joy",
    "moa", "engine", "crush", "rain", "gray", "light", "stick", "sound", "source", "senior", "junior", "idle",
    "tribe", "classy", "unit", "set", "pop", "hub", "sister", "card", "nature", "secret", "april", "bubble",
    "melon", "genie", "bugs", "kingdom", "highlight", "infinite", "pentagon", "astro", "god", "hot", "mark",
    ",", ".", "!", "?", "-", "'s",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ENGLISH_VOCAB), max_size=14))
def test_ordinary_lowercase_english_is_unchanged(g: Glossary, words: list[str]) -> None:
    text = " ".join(words)
    assert g.enforce_english(text) == text


NAMEISH = ["BTS", "bts", "Bulletproof Boy Scouts", "Black Pink", "blackpink", "New Jeans", "Newjeans", "G-Idle",
           "(G)I-DLE", "GIDLE", "Twice", "TWICE", "twice", "Seventeen", "SEVENTEEN", "Army", "ARMY", "Rose",
           "Rosé", "Jisoo", "Stray Kids", "StrayKids", "TXT", "Tomorrow by Together", "i.n", "I.N", "Shinee",
           "Ji-hyo", "Jung Kook", "Le Sserafim", "Big Bang", "BIGBANG", "f(x)", "FX", "IZ*ONE", "izone", "woo!ah!",
           "The8", "the eight", "D.O.", "do", "Sunwoo", "Sunoo", "youngest member", "light stick", "Armys", "ARMYs",
           "carats", "Carats", "Itzy", "Blinks"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(NAMEISH), st.sampled_from(ENGLISH_VOCAB)), max_size=12),
       st.sampled_from([" ", "  ", ", ", "-", "'s ", "\n"]),
       st.sampled_from(["", "트와이스 아미 로제 블랙핑크", "세븐틴 엔하이픈 선우 막내 응원봉",
                        "더보이즈 선우 디오 엑소", "아미들 캐럿 블링크 있지"]))
def test_enforce_english_is_idempotent(g: Glossary, words: list[str], joiner: str, korean: str) -> None:
    text = joiner.join(words)
    once = g.enforce_english_for(text, korean) if korean else g.enforce_english(text)
    twice = g.enforce_english_for(once, korean) if korean else g.enforce_english(once)
    assert twice == once


def test_enforce_english_keeps_everything_but_the_name(g: Glossary) -> None:
    text = "“Black Pink”, (bts) & New-Jeans!\nsecond line: Bangtan Boys"
    # Issue 16: "Bangtan Boys" is an alias now (BTS is the only official English form), rewritten even alone.
    assert g.enforce_english(text) == "“BLACKPINK”, (BTS) & NewJeans!\nsecond line: BTS"


def test_find_english_names_only_sure_ones(g: Glossary) -> None:
    assert _ids(g.find_english("[LIVE] BTS Jimin on Weverse, twice as fun")) == ["bts", "bts.jimin", "weverse"]
    assert _ids(g.find_english("TWICE 9th anniversary")) == ["twice"]
    assert _ids(g.find_english("ONCE UPON A TIME")) == []


# --------------------------------------------------------------------------- recognition


def test_hints_are_chosen_per_recording_never_the_whole_list(g: Glossary) -> None:
    assert g.hints_for("") == []
    assert g.hints_for("오늘 커피 마셨어요") == []
    hints = g.hints_for("[LIVE] 트와이스 9주년 축하해요")
    ids = [e.id for e in hints]
    assert ids[0] == "twice" and "twice.tzuyu" in ids and "bts" not in ids
    assert all(e.id == "twice" or e.group == "twice" for e in hints)
    assert len(g.hints_for("BTS SEVENTEEN TWICE BLACKPINK aespa IVE", limit=12)) == 12


def test_hotwords_are_short_hangul(g: Glossary) -> None:
    hints = g.hints_for("방탄소년단 세븐틴 트와이스 블랙핑크")
    words = g.hotwords(hints)
    assert 0 < len(words) <= 120 and HANGUL.search(words)
    assert "방탄소년단" in words.split() and len(set(words.split())) == len(words.split())
    assert g.hotwords(hints, max_chars=8) == "방탄소년단"


def test_producer_files_come_first_and_override(tmp_path: Path) -> None:
    event = tmp_path / "event.toml"
    event.write_text(
        '[[guest]]\nid = "mc-kim"\nenglish = "MC Kim"\nkorean = ["김엠씨"]\n\n'
        '[[song]]\nid = "whiplash"\nenglish = "Whiplash"\nkorean = ["위플래시"]\ngroup = "aespa"\n\n'
        '[[group]]\nid = "bts"\nenglish = "BTS"\nkorean = ["방탄소년단"]\naliases_en = ["Bantan"]\n',
        encoding="utf-8")
    glossary = load_glossary([event])
    assert [e.id for e in glossary.hints_for("", limit=5)] == ["mc-kim", "whiplash", "bts"]
    assert glossary.enforce_english("Bantan and Bulletproof Boy Scouts") == "BTS and Bulletproof Boy Scouts"
    assert glossary.overrides[0][0] == "bts" and glossary.overrides[0][2] == f"{event}:13"
    assert glossary.by_id["bts.jimin"].group == "bts"  # members stay


def _utt(start: int, text: str, no_speech: float = 0.0) -> Utterance:
    words = tuple(Word(start + i * 300, start + i * 300 + 250, w) for i, w in enumerate(text.split()))
    return Utterance(start, start + 300 * len(words), text, words, no_speech_prob=no_speech)


def test_drop_echoed_hints(g: Glossary) -> None:
    hints = "방탄소년단 알엠 진 슈가 제이홉 지민 뷔 정국"
    t = Transcript("ko", (
        _utt(0, "방탄소년단 알엠 진 슈가 제이홉 지민 뷔 정국"),  # the prompt itself
        _utt(3000, "오늘 커피 마셨어요"),
        _utt(6000, "뷔 정국"),  # two names, the prompt's order
        _utt(9000, "지민아 사랑해"),  # said with a particle: speech
        _utt(12000, "정국 지민"),  # two names, not the prompt's order: could be said
        _utt(15000, "감사합니다 슈가 제이홉 지민"),  # an echoed run glued to speech
        _utt(18000, "정국", no_speech=0.9),
    ), 20000)
    out = g.drop_echoed_hints(t, hints)
    assert [u.text for u in out.utterances] == ["오늘 커피 마셨어요", "지민아 사랑해", "정국 지민", "감사합니다"]
    trimmed = out.utterances[-1]
    assert [w.text for w in trimmed.words] == ["감사합니다"] and trimmed.end_ms == 15250
    assert g.drop_echoed_hints(out, hints) == out
    assert g.drop_echoed_hints(t, "") is t


# --------------------------------------------------------------------------- errors


def _write(tmp_path: Path, text: str, name: str = "event.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "entry", "words"),
    [
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = ["에이"\n', 4, "a", "invalid TOML"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nenglish = "B"\nkorean = ["에이"]\n', 4, "a", "duplicate key"),
        ('[[guest]]\nid = "a"\nkorean = ["에이"]\n', 2, "a", "no English form"),
        ('[[guest]]\nid = "a"\nenglish = "A"\n', 2, "a", "no Korean form"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = ["A"]\n', 2, "a", "has no Hangul"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = "에이"\n\n[[song]]\nid = "a"\nenglish = "B"\nkorean = "비"\n',
         7, "a", "duplicate id (first at line 2)"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = "에이"\nenglsh = "x"\n', 5, "a", "unknown field 'englsh'"),
        ('[[guest]]\nid = "a"\nenglish = "A"\nkorean = "에이"\ngroup = "nope"\n', 2, "a", "group 'nope'"),
        ('[[guests]]\nid = "a"\n', 1, None, "unknown table [[guests]]"),
        ('[[group]]\nid = "g"\nenglish = "G"\nkorean = "지"\nmembers = [\n  { id = "x", korean = ["엑스"] },\n]\n',
         6, "g.x", "no English form"),
        ('[[guest]]\nid = "Bad Id"\nenglish = "A"\nkorean = "에이"\n', 2, "Bad Id", "bad id"),
    ],
)
def test_bad_files_name_file_line_and_entry(tmp_path: Path, text: str, line: int, entry: str | None,
                                            words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(GlossaryError) as caught:
        load_glossary([path], builtin=False)
    error = caught.value
    assert isinstance(error, ConfigError) and error.exit_code == 2
    assert (error.file, error.line, error.entry) == (str(path), line, entry)
    assert str(error).startswith(f"{path}:{line}: ") and words in str(error) and "\n" not in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.file, again.line, again.entry, again.hint) == (
        GlossaryError, str(error), error.file, error.line, error.entry, error.hint)


def test_loading_is_all_or_nothing(tmp_path: Path) -> None:
    good = _write(tmp_path, '[[guest]]\nid = "a"\nenglish = "A"\nkorean = "에이"\n', "good.toml")
    bad = _write(tmp_path, '[[guest]]\nid = "b"\nkorean = "비"\n', "bad.toml")
    with pytest.raises(GlossaryError):
        load_glossary([good, bad])
    glossary, problems = check_glossary([bad, _write(tmp_path, "x = [", "worse.toml")], builtin=False)
    assert glossary is None and [p.file for p in problems] == [str(bad), str(tmp_path / "worse.toml")]
    with pytest.raises(GlossaryError, match="no such file"):
        load_glossary([tmp_path / "missing.toml"])


def test_builtin_dir_is_the_repository_folder() -> None:
    assert builtin_dir() == REPO / "glossary"


# --------------------------------------------------------------------------- learn and report


def _track(language: str, *texts: str) -> SubtitleTrack:
    return SubtitleTrack(language, tuple(Cue(i * 2000, i * 2000 + 1500, (t,)) for i, t in enumerate(texts)))


def test_learn_proposes_aliases_variants_and_new_names(g: Glossary) -> None:
    draft = _track("en", "I love Black Pinky so much", "they sang dynamite today", "New Jeans is here")
    fixed = _track("en", "I love BLACKPINK so much", "they sang Dynamite today", "NewJeans is here")
    proposals = g.learn(draft, fixed)
    by_english = {p.english: p for p in proposals}
    assert by_english["BLACKPINK"].entry is not None and "Black Pinky" in by_english["BLACKPINK"].aliases_en
    assert by_english["Dynamite"].is_new and by_english["Dynamite"].aliases_en == ("dynamite",)
    assert "NewJeans" not in by_english  # the glossary already fixes it
    text = proposals_toml(proposals)
    assert 'korean = []  # TODO' in text and '"Black Pinky"' in text
    ko = g.learn(_track("ko", "방탕소년단이 왔어", "방탕소년단이 최고"),
                 _track("ko", "방탄소년단이 왔어", "방탄소년단이 최고"))
    assert len(ko) == 1 and ko[0].entry is not None and ko[0].entry.id == "bts" and "방탕소년단" in ko[0].korean
    assert ko[0].count == 2


def test_report_finds_names_and_missing_english(g: Glossary) -> None:
    korean = _track("ko", "트와이스 왔어요", "지민이 노래해요", "커피 마셔요")
    english = _track("en", "Twice is here", "Someone is singing", "Drinking coffee")
    report = g.report(korean, english)
    assert [(n.entry.id, n.count) for n in report.found] == [("twice", 1), ("bts.jimin", 1)]
    assert [m.entry.id for m in report.missing] == ["bts.jimin"]
    assert report.fixable == ((0, "Twice is here", "TWICE is here"),)
    assert report.summary()["missing"][0]["english"] == "Jimin"


# --------------------------------------------------------------------------- recognition, for real


@pytest.mark.slow
def test_biasing_does_not_invent_names(g: Glossary, transcriber, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Hotwords (and a prompt) full of idol names on a news sentence about coffee: no name appears."""
    from streamkit.media import extract_audio, probe
    from streamkit.transcribe import TranscribeOptions

    from .conftest import SHORT

    hints = g.hints_for("방탄소년단 세븐틴 트와이스 라이브")
    hotwords = g.hotwords(hints)
    assert len(hints) >= 10 and "방탄소년단" in hotwords
    audio = extract_audio(probe(SHORT), tmp_path / "short.wav")
    for options in (TranscribeOptions(hotwords=hotwords), TranscribeOptions(initial_prompt=hotwords)):
        transcript = transcriber.transcribe(audio, options)
        text = g.drop_echoed_hints(transcript, hotwords).text
        assert "커피" in text, text
        said = {re.sub(r"[\W_]+", "", w) for w in text.split()}
        assert said.isdisjoint(hotwords.split()), text
        assert [m.entry.id for m in g.find_korean(text) if m.entry.kind != "term"] == [], text


def test_the_documented_event_file_loads_and_works(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "glossary.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(# my-event\.toml.*?)```", doc, re.S)
    assert block is not None
    event = _write(tmp_path, block.group(1), "my-event.toml")
    glossary = load_glossary([event])
    assert [e.id for e in glossary.hints_for("", limit=3)] == ["mc-jang-doyeon", "thunder", "love-money-fame"]
    assert glossary.enforce_english("the random play dance with Jang Doyeon") == \
        "the Random Play Dance with Jang Do-yeon"
    assert glossary.enforce_english_for("Seventeen sang Thunder", "세븐틴이 썬더 불렀어") == "SEVENTEEN sang THUNDER"
    assert glossary.find_korean("천둥 썬더 치는 날") == []
    assert glossary.by_id["seventeen.hoshi"].group == "seventeen"
