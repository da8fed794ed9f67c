"""The language table (streamkit/languages.py): codes, tags, titles, rules and their sources."""

from __future__ import annotations

import pytest

from streamkit.errors import ConfigError
from streamkit.languages import LANGUAGES, engine_code, is_rtl, language, parse_targets
from streamkit.models import iso639_2
from streamkit.segment import ENGLISH_RULES, KOREAN_RULES, rules_for

ISSUE_TARGETS = ("en", "ja", "es", "pt", "id", "th", "zh-Hans", "zh-Hant", "vi", "fr", "de", "ar", "tl", "tr", "ru")


def test_every_target_of_the_issue_has_rules_a_tag_a_title_and_a_source() -> None:
    for code in ISSUE_TARGETS:
        lang = LANGUAGES[code]
        assert len(lang.tag) == 3 and lang.tag == iso639_2(code)
        assert lang.title and "Netflix" in lang.source and "per line" in lang.source
        assert rules_for(code) is lang.rules and lang.rules.max_lines == 2
        assert (lang.rules.min_duration_ms, lang.rules.max_duration_ms, lang.rules.min_gap_frames) == (833, 7000, 2)
    assert LANGUAGES["en"].rules is ENGLISH_RULES and LANGUAGES["ko"].rules is KOREAN_RULES
    titles = {c: LANGUAGES[c].title for c in ("ja", "es", "ar", "ko", "th", "ru")}
    assert titles == {"ja": "日本語", "es": "Español", "ar": "العربية", "ko": "한국어", "th": "ไทย", "ru": "Русский"}


def test_the_numbers_of_the_netflix_guides() -> None:
    ja, zh, th, ar, es = (LANGUAGES[c].rules for c in ("ja", "zh-Hans", "th", "ar", "es"))
    assert (ja.max_line_columns, ja.narrow_width, ja.max_cps, ja.breaks) == (13, 0.5, 4, "cjk")
    assert (zh.max_line_columns, zh.max_cps, zh.breaks) == (16, 9, "cjk")
    assert (th.max_line_columns, th.breaks) == (35, "thai")
    assert (ar.max_line_columns, ar.max_cps) == (42, 20) and is_rtl("ar") and is_rtl("he") and not is_rtl("en")
    assert (es.max_line_columns, es.max_cps, es.breaks) == (42, 17, "space")
    # Russian's guide gives 39, not the 42 of the Latin-script guides.
    ru, zh_hant = LANGUAGES["ru"], LANGUAGES["zh-Hant"]
    assert (ru.rules.max_line_columns, ru.script) == (39, "cyrillic") and "Character Limitation: 39" in ru.source
    assert zh_hant.rules.max_line_columns == 16 and "Character Limitation: 16" in zh_hant.source


def test_a_source_that_was_not_found_says_so() -> None:
    for code in ("es", "pt", "vi", "fr", "de", "tl", "tr", "ar", "he"):
        assert "Character Limit" in LANGUAGES[code].source and "not found" not in LANGUAGES[code].source
    indonesian = LANGUAGES["id"]
    assert "not found" in indonesian.source and "assumed" in indonesian.source
    assert indonesian.rules.max_line_columns == 42


def test_targets_are_parsed_canonical_and_unknown_ones_refused() -> None:
    assert parse_targets("en, ja,zh-cn,JA") == ("en", "ja", "zh-Hans")
    assert parse_targets(None) == ("en",) and parse_targets("") == ("en",)
    assert parse_targets(["zh-TW", "fil", "pt-BR"]) == ("zh-Hant", "tl", "pt")
    with pytest.raises(ConfigError, match="unknown language 'klingon'") as info:
        parse_targets("en,klingon")
    assert "zh-Hans" in (info.value.hint or "")
    with pytest.raises(ConfigError, match="language of the recording"):
        parse_targets("ko")
    assert language("ZH-hant").code == "zh-Hant"


def test_engine_codes() -> None:
    assert engine_code("google", "zh-Hans") == "zh-CN" and engine_code("libre", "zh-Hans") == "zh-Hans"
    assert engine_code("google", "he") == "iw" and engine_code("deepl", "pt") == "PT-BR"
    assert engine_code("google", "xx") == "xx"
