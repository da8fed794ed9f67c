"""Many subtitle languages in one run (issue 16): SubtitleJob targets, engines per language, and the whole
15-language run on samples/fanlive.mp4 against tests/libre_server.py on 127.0.0.1.

The server's answers in languages other than English are a stand-in for a real service's (see
``libre_server.fake_translation``): deterministic words in the target's script at that language's
subtitle density, names kept. The model, ffmpeg, HTTP, the caches and the files are all real.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import av
import pytest

from streamkit.checks import check_file
from streamkit.errors import ConfigError, TranslationError
from streamkit.languages import LANGUAGES
from streamkit.models import iso639_2
from streamkit.pipeline import SubtitleJob, plan_outputs, run_subtitle
from streamkit.subtitles import read_subtitles
from streamkit.transcribe import WhisperTranscriber
from streamkit.translation.adapters import LibreEngine

from .conftest import FANLIVE
from .libre_server import LibreServer

FIFTEEN = ("en", "ja", "es", "pt", "id", "th", "zh-Hans", "zh-Hant", "vi", "fr", "de", "ar", "tl", "tr", "ru")
TAGS = {"en": "eng", "ja": "jpn", "es": "spa", "pt": "por", "id": "ind", "th": "tha", "zh-Hans": "chi",
        "zh-Hant": "chi", "vi": "vie", "fr": "fre", "de": "ger", "ar": "ara", "tl": "tgl", "tr": "tur", "ru": "rus",
        "ko": "kor"}


def test_targets_default_to_english_and_are_validated() -> None:
    job = SubtitleJob(Path("x.mp4"))
    assert job.targets == ("en",) and job.languages == ("ko", "en")
    job = SubtitleJob(Path("x.mp4"), targets=("ja", "zh-CN", "ja", "EN"))
    assert job.targets == ("ja", "zh-Hans", "en") and job.target_language == "ja"
    assert set(plan_outputs(job)) == {"ko.srt", "ja.srt", "zh-Hans.srt", "en.srt", "video"}
    with pytest.raises(ConfigError, match="unknown language 'xx'"):
        SubtitleJob(Path("x.mp4"), targets=("en", "xx"))
    with pytest.raises(ConfigError, match="language of the recording"):
        SubtitleJob(Path("x.mp4"), targets=("ko",))
    with pytest.raises(ConfigError, match="--default-track fr: no such track"):
        SubtitleJob(Path("x.mp4"), targets=("en", "ja"), default_track="fr")
    assert SubtitleJob(Path("x.mp4"), targets=("en", "th"), burn_in="th").burn_in == "th"


def _tracks(path: Path) -> list[tuple[str, str, bool]]:
    with av.open(str(path)) as c:
        return [(s.metadata.get("language", ""), s.metadata.get("title") or s.metadata.get("handler_name", ""),
                 bool(s.disposition & av.stream.Disposition.default)) for s in c.streams.subtitles]


def _hard_errors(out: Path, lang: str) -> list[str]:
    report = check_file(out / f"fanlive.{lang}.srt", language=lang, fps=30000 / 1001)
    return [f"{p.code}: {p.message}" for p in report.problems if p.severity == "error"]


@pytest.mark.slow
def test_fifteen_languages_in_one_run(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    src = tmp_path / "fanlive.mp4"
    shutil.copy(FANLIVE, src)
    cache = {"cache_path": str(tmp_path / "translations.sqlite")}
    with LibreServer(english_standin=True) as server:
        job = SubtitleJob(src, translator="libre", translator_url=server.url, targets=FIFTEEN,
                          translator_settings=cache, default_track="ja")
        result = run_subtitle(job, transcriber=transcriber)
        sent = {lang: [h.params["q"][0] for h in server.hits("/translate") if h.params["target"] == [lang]]
                for lang in FIFTEEN}
        for lang in FIFTEEN:  # every language from the Korean, batched like English
            chars = sum(len(q) for q in sent[lang])
            assert 1 <= len(sent[lang]) <= math.ceil(chars / LibreEngine.max_chars) + 1, lang
            assert sent[lang][0] == sent["en"][0]  # the same Korean sentences, never English
        assert all(any("\uac00" <= ch <= "\ud7a3" for ch in q) for q in sent["ja"])

        tracks = _tracks(tmp_path / "fanlive.subtitled.mp4")
        assert len(tracks) == 16 and [t[0] for t in tracks] == [TAGS[lang] for lang in ("ja", "ko", *FIFTEEN[:1],
                                                                                        *FIFTEEN[2:])]
        assert [t[2] for t in tracks] == [True] + [False] * 15  # --default-track ja
        titles = dict(zip([t[0] for t in tracks], [t[1] for t in tracks], strict=False))
        assert titles["jpn"] == "日本語" and titles["ara"] == "العربية" and titles["spa"] == "Español"
        for lang in ("ko", *FIFTEEN):
            assert _hard_errors(tmp_path, lang) == [], lang
        th = " ".join(c.text for c in read_subtitles(tmp_path / "fanlive.th.srt").cues)
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in th)
        assert result.summary()["targets"] == list(FIFTEEN)

        server.reset_counts()  # a rerun: everything from the caches, not one request
        run_subtitle(SubtitleJob(src, translator="libre", translator_url=server.url, targets=FIFTEEN,
                                 translator_settings=cache, force=True), transcriber=transcriber)
        assert server.translate_requests == 0


@pytest.mark.slow
def test_a_failed_language_keeps_the_others_and_a_rerun_does_only_it(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    src = tmp_path / "fanlive.mp4"
    shutil.copy(FANLIVE, src)
    targets = ("en", "th", "ar")
    cache = {"cache_path": str(tmp_path / "translations.sqlite"), "retries": 0}
    with LibreServer(english_standin=True, refuse_targets=("th",)) as server:
        job = SubtitleJob(src, translator="libre", translator_url=server.url, targets=targets,
                          translator_settings=cache)
        with pytest.raises(TranslationError, match=r"not translated: th.*subtitles in ko, en, ar were written") as info:
            run_subtitle(job, transcriber=transcriber)
        assert "run the same command again" in (info.value.hint or "")
        assert {p.name for p in tmp_path.glob("fanlive.*.srt")} == {"fanlive.ko.srt", "fanlive.en.srt",
                                                                    "fanlive.ar.srt"}
        assert not (tmp_path / "fanlive.subtitled.mp4").exists()
        server.refuse_targets = ()
        server.reset_counts()
        result = run_subtitle(job, transcriber=transcriber)  # the same command, no --force
        assert {h.params["target"][0] for h in server.hits("/translate")} == {"th"}
        assert result.video is not None and [t.language for t in result.video.tracks] == ["en", "ko", "th", "ar"]
    assert iso639_2("th") == "tha" and LANGUAGES["th"].rules.max_line_columns == 35
