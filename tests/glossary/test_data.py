"""The built-in glossary as data (glossary/*.toml): valid, complete, consistent."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict

import pytest

from streamkit.glossary import GROUP_KINDS, Entry, Glossary, check_glossary

from ..conftest import REPO

HANGUL = re.compile(r"[\uac00-\ud7a3]")


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
