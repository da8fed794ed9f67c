"""Names in every language (streamkit/glossary/forms.py): per-language forms, enforcement after an engine,
the ``streamkit check`` names check per language, and the English alias gap (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.checks import check_file, glossary_check
from streamkit.glossary import Glossary, GlossaryError, load_glossary
from streamkit.glossary.forms import localize_names, name_findings
from streamkit.glossary.learn import _entry_fields, _inline
from streamkit.models import Transcript, Utterance
from streamkit.subtitles import RawCue, read_raw

EXTRA = """
[[guest]]
id = "haneul"
english = "Haneul"
korean = ["하늘이"]
forms = { ja = "ハヌル", zh-Hans = "天空" }
"""


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Glossary:
    extra = tmp_path_factory.mktemp("g") / "guests.toml"
    extra.write_text(EXTRA, encoding="utf-8")
    return load_glossary([extra])


def test_forms_are_read_and_checked(g: Glossary, tmp_path: Path) -> None:
    entry = g.by_id["haneul"]
    assert entry.form("ja") == "ハヌル" and entry.form("es") == "Haneul"
    bad = tmp_path / "bad.toml"
    bad.write_text(EXTRA.replace("zh-Hans", "klingon"), encoding="utf-8")
    with pytest.raises(GlossaryError, match="forms: unknown language 'klingon'"):
        load_glossary([bad])
    assert 'forms = { ja = "ハヌル", zh-Hans = "天空" }' in _inline(_entry_fields(entry))  # kept by learn


def test_names_are_official_in_every_language(g: Glossary) -> None:
    assert localize_names(g, "hoy Black Pink y Bangtan Boys en el escenario", "es", "") == \
        "hoy BLACKPINK y BTS en el escenario"
    assert localize_names(g, "今日はBlackPinkとNew Jeansのライブ", "ja", "") == "今日はBLACKPINKとNewJeansのライブ"
    assert localize_names(g, "今日はHaneulさん", "ja", "하늘이") == "今日はハヌルさん"
    assert localize_names(g, "اليوم Black Pink", "ar", "블랙핑크") == "اليوم BLACKPINK"
    assert localize_names(g, "Bangtan Boys sang", "en", "") == "BTS sang"  # no Korean beside it


def test_check_reports_names_per_language(g: Glossary, tmp_path: Path) -> None:
    ko = tmp_path / "show.ko.srt"
    ko.write_text("1\n00:00:01,000 --> 00:00:03,000\n오늘 블랙핑크 무대\n\n"
                  "2\n00:00:04,000 --> 00:00:06,000\n하늘이 왔어요\n", encoding="utf-8")
    ja = tmp_path / "show.ja.srt"
    ja.write_text("1\n00:00:01,000 --> 00:00:03,000\n今日はBlack Pinkの舞台\n\n"
                  "2\n00:00:04,000 --> 00:00:06,000\nハヌルが来た\n", encoding="utf-8")
    report = check_file(ja, language="ja", extra_checks=[glossary_check(g, read_raw(ko).cues)])
    messages = [p.message for p in report.problems if p.code == "glossary"]
    assert any("BLACKPINK" in m and "spells it" in m for m in messages)
    assert not any("ハヌル" in m and "is said" in m for m in messages)  # shown in its Japanese form
    ja.write_text("1\n00:00:01,000 --> 00:00:03,000\n今日はBLACKPINKの舞台\n\n"
                  "2\n00:00:04,000 --> 00:00:06,000\n彼が来た\n", encoding="utf-8")
    report = check_file(ja, language="ja", extra_checks=[glossary_check(g, read_raw(ko).cues)])
    messages = [p.message for p in report.problems if p.code == "glossary"]
    assert messages == ["ハヌル (하늘이) is said but not in the ja subtitles at this time"]


def test_name_findings_are_plain_data_per_cue(g: Glossary) -> None:
    """What the names check finds, without streamkit.checks: (cue position, cue, message)."""
    said = (Utterance(1000, 3000, "오늘 블랙핑크 무대"), Utterance(4000, 6000, "하늘이 왔어요"))
    korean = Transcript("ko", said, 6000)
    cues = [RawCue(1, 1000, 3000, ("今日はBlack Pinkの舞台",), 1), RawCue(2, 4000, 6000, ("彼が来た",), 5)]
    assert [(pos, cue.line, message) for pos, cue, message in name_findings(g, korean, cues, "ja")] == [
        (1, 1, "the glossary spells it '今日はBLACKPINKの舞台' (is '今日はBlack Pinkの舞台')"),
        (1, 1, "BLACKPINK (블랙핑크) is said but not in the ja subtitles at this time"),
        (2, 5, "ハヌル (하늘이) is said but not in the ja subtitles at this time"),
    ]
