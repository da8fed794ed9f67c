"""The cores of ``streamkit translate`` and ``streamkit retranslate`` without the CLI (translation/files.py,
translation/retranslate.py), against tests/libre_server.py on 127.0.0.1. The CLI's own tests:
tests/test_cli_translate.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.errors import ConfigError, InputError, OutputExistsError
from streamkit.models import Cue, SubtitleTrack
from streamkit.subtitles import read_subtitles, write_subtitles
from streamkit.translation.drafts import load_record
from streamkit.translation.files import default_output, plan_outputs, translate_file
from streamkit.translation.registry import text_engine
from streamkit.translation.retranslate import RetranslateRequest, retranslate_files, retranslated_name

from ..libre_server import LibreServer
from .helpers import fast, typed

KOREAN = SubtitleTrack("ko", (Cue(1000, 3000, ("안녕하세요 여러분.",)), Cue(5000, 7000, ("오늘 무대 정말 좋았어요.",)),
                              Cue(9000, 11000, ("감사합니다.",))))


def test_outputs_are_planned_before_any_work(tmp_path: Path) -> None:
    source = tmp_path / "show.ko.srt"
    assert plan_outputs(source, ("en", "ja"), None, force=False) == {"en": tmp_path / "show.en.srt",
                                                                     "ja": tmp_path / "show.ja.srt"}
    assert default_output(tmp_path / "show.srt", "en").name == "show.en.srt"
    with pytest.raises(ConfigError, match="--output names one file"):
        plan_outputs(source, ("en", "ja"), tmp_path / "x.srt", force=False)
    with pytest.raises(InputError, match="overwrite the input"):
        plan_outputs(source, ("en",), source, force=True)
    (tmp_path / "show.en.srt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        plan_outputs(source, ("en",), None, force=False)
    assert retranslated_name(tmp_path / "show.en.srt").name == "show.retranslated.en.srt"


def test_a_file_is_translated_written_and_recorded_then_retranslated(libre: LibreServer, tmp_path: Path) -> None:
    source = write_subtitles(KOREAN, tmp_path / "show.ko.srt").path
    settings = typed(fast(libre, tmp_path))
    engine = text_engine("libre", "en", settings, None)
    done = translate_file(source, KOREAN, "en", tmp_path / "show.en.srt", engine, name="libre")
    assert done.output.exists() and done.cues >= 3 and done.sentences == 3
    assert done.stats is not None and done.stats.requests == 1
    assert done.summary()["requests"] == 1 and done.summary()["translator"] == "libre"
    record = load_record(done.output)
    assert record is not None and record.engine == "libre" and record.korean == KOREAN

    edited = SubtitleTrack("ko", (KOREAN.cues[0], Cue(5000, 7000, ("오늘 무대 진짜 최고였어요.",)), KOREAN.cues[2]))
    korean = write_subtitles(edited, tmp_path / "show.edited.ko.srt").path
    libre.reset_counts()
    report = retranslate_files(RetranslateRequest(korean, done.output, settings=settings, no_glossary=True))
    assert [h.params["q"][0] for h in libre.hits("/translate")] == ["오늘 무대 진짜 최고였어요."]
    assert report.engine == "libre" and report.basis == "record" and report.counts()["retranslated"] == 1
    assert report.output == tmp_path / "show.retranslated.en.srt" and read_subtitles(report.output).cues
    assert report.summary()["sentences_sent"] == 1 and report.result.unchanged == report.draft_cues - 1
