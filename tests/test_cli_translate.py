"""``streamkit translate`` and ``streamkit doctor`` through typer's CliRunner, against tests/libre_server.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.segment import ENGLISH_RULES, display_width
from streamkit.subtitles import read_subtitles

from .libre_server import SECRETS, LibreServer, free_port, leaked

runner = CliRunner()

KOREAN_SRT = """\
1
00:00:01,000 --> 00:00:03,000
안녕하세요 여러분!

2
00:00:03,200 --> 00:00:05,500
오늘은 신곡 무대를

3
00:00:05,600 --> 00:00:07,400
같이 볼 거예요.

4
00:00:09,000 --> 00:00:11,000
<i>정말 보고 싶었어요.</i>

5
00:00:11,100 --> 00:00:13,900
- 내일 콘서트에서 만나요.
- 감사합니다.
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path / "cache-root"))
    monkeypatch.chdir(tmp_path)  # no ./streamkit.toml from elsewhere
    for var in ("STREAMKIT_LIBRE_URL", "STREAMKIT_LIBRE_API_KEY", "STREAMKIT_DEEPL_API_KEY", "DEEPL_API_KEY",
                "STREAMKIT_PAPAGO_CLIENT_ID", "STREAMKIT_PAPAGO_CLIENT_SECRET", "STREAMKIT_CONFIG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def libre() -> Iterator[LibreServer]:
    with LibreServer() as server:
        yield server


def test_translate_an_existing_korean_srt(tmp_path: Path, libre: LibreServer) -> None:
    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    args = ["translate", str(source), "-t", "libre", "--translator-url", libre.url, "--no-glossary", "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    target = tmp_path / "live.en.srt"
    english = read_subtitles(target)
    korean = read_subtitles(source)
    assert english.language == "en" and english.cues
    assert libre.translate_requests == 1  # five cues, four sentences (+ one dual-speaker line): one request
    for cue in english.cues:
        assert len(cue.lines) <= 2 and all(display_width(line, ENGLISH_RULES) <= 42 for line in cue.lines)
        assert any(k.start_ms <= cue.start_ms < k.end_ms for k in korean.cues), cue  # in on Korean speech
    assert "Hello everyone!" in english.cues[0].text

    refused = runner.invoke(app, args)
    assert refused.exit_code == 3 and "already exists" in refused.output

    libre.reset_counts()
    again = runner.invoke(app, [*args[:-1], "--force", "--json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output)
    assert summary["requests"] == 0 and summary["translated"] == 0 and summary["cached"] == 5
    assert libre.translate_requests == 0
    assert summary["output"] == str(target)


def test_translate_keeps_names_with_a_glossary(tmp_path: Path) -> None:
    source = tmp_path / "names.ko.srt"
    source.write_text("1\n00:00:01,000 --> 00:00:04,000\n방탄소년단 신곡 정말 좋아요.\n\n"
                      "2\n00:00:05,000 --> 00:00:08,000\n블랙핑크랑 세븐틴도 왔어요.\n", encoding="utf-8")
    names = tmp_path / "names.toml"
    names.write_text('[[group]]\nid = "bts"\nenglish = "BTS"\nkorean = ["방탄소년단"]\n'
                     'aliases_en = ["Bulletproof Boy Scouts"]\n\n'
                     '[[group]]\nid = "blackpink"\nenglish = "BLACKPINK"\nkorean = ["블랙핑크"]\n'
                     'aliases_en = ["Black Pink"]\n\n'
                     '[[group]]\nid = "seventeen"\nenglish = "SEVENTEEN"\nkorean = ["세븐틴"]\n', encoding="utf-8")
    with LibreServer(mangle_latin=True) as server:
        result = runner.invoke(app, ["translate", str(source), "-t", "libre", "--translator-url", server.url,
                                     "--glossary", str(names), "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["names_kept"] == 3
    text = (tmp_path / "names.en.srt").read_text(encoding="utf-8")
    assert "BTS" in text and "BLACKPINK" in text and "SEVENTEEN" in text
    assert "Bulletproof" not in text and "Black Pink" not in text


def test_translate_refuses_audio_engines(tmp_path: Path) -> None:
    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    result = runner.invoke(app, ["translate", str(source), "-t", "whisper"])
    assert result.exit_code == 2
    assert "cannot translate a subtitle file" in result.output and "google" in result.output


def test_translate_unreachable_server_is_one_line_with_a_hint(tmp_path: Path) -> None:
    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    config = tmp_path / "streamkit.toml"
    config.write_text("[translator]\ntimeout = 0.3\nretries = 1\nbackoff = 0.001\n", encoding="utf-8")
    result = runner.invoke(app, ["translate", str(source), "-t", "libre", "--translator-url",
                                 "http://127.0.0.1:9", "-q", "--config", str(config)])
    assert result.exit_code == 6
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines[0].startswith("error: translation engine 'libre': unreachable")
    assert "--translator whisper" in result.output
    assert not (tmp_path / "live.en.srt").exists()


def test_doctor_offline_lists_engines_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMKIT_CACHE")  # the model status uses the shared model cache
    monkeypatch.setenv("STREAMKIT_DEEPL_API_KEY", "very-secret-key:fx")
    result = runner.invoke(app, ["doctor", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    engines = {e["name"]: e for e in report["engines"]}
    assert {"google", "deepl", "papago", "mymemory", "libre", "whisper"} <= set(engines)
    assert engines["deepl"]["configured"] == "yes" and "$STREAMKIT_DEEPL_API_KEY" in engines["deepl"]["detail"]
    assert engines["papago"]["configured"] == "no"
    assert engines["google"]["default"] is True
    assert all(e["reachable"] in ("not checked", "offline engine") for e in report["engines"])
    assert "very-secret-key" not in result.output
    assert report["ffmpeg"] and report["model"]

    table = runner.invoke(app, ["doctor", "--offline"])
    assert table.exit_code == 0 and "skipped (--offline)" in table.output
    assert "very-secret-key" not in table.output


# --------------------------------------------------------------------------- retranslate

LONGER_KOREAN = """\
1
00:00:01,000 --> 00:00:03,000
안녕하세요 여러분!

2
00:00:05,000 --> 00:00:07,000
오늘은 신곡 무대를 보여 드릴게요.

3
00:00:10,000 --> 00:00:12,000
정말 보고 싶었어요.

4
00:00:15,000 --> 00:00:17,000
콘서트 재밌었어요.

5
00:00:20,000 --> 00:00:22,000
내일 또 만나요.

6
00:00:25,000 --> 00:00:27,000
감사합니다.
"""


def _draft(tmp_path: Path, libre: LibreServer) -> tuple[Path, Path]:
    """``streamkit translate`` makes the English draft (and records it), as a producer's run would."""
    ko = tmp_path / "live.ko.srt"
    ko.write_text(LONGER_KOREAN, encoding="utf-8")
    result = runner.invoke(app, ["translate", str(ko), "-t", "libre", "--translator-url", libre.url, "-q"])
    assert result.exit_code == 0, result.output
    return ko, tmp_path / "live.en.srt"


def _edit_cue(path: Path, number: int, text: str, encoding: str = "utf-8") -> None:
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    lines = blocks[number - 1].split("\n")
    blocks[number - 1] = "\n".join([*lines[:2], text])
    path.write_text("\n\n".join(blocks) + "\n", encoding=encoding)


def test_retranslate_sends_only_changed_sentences_and_keeps_hand_edits(tmp_path: Path, libre: LibreServer) -> None:
    _, en = _draft(tmp_path, libre)
    draft_before = read_subtitles(en)
    assert len(draft_before.cues) == 6
    # The editor corrects two Korean sentences and one English cue elsewhere, and one English cue
    # whose Korean they also corrected (a conflict: their English wins, the cue is listed for review).
    edited_ko = tmp_path / "live.edited.ko.srt"
    edited_ko.write_text(LONGER_KOREAN.replace("정말 보고 싶었어요.", "정말 많이 보고 싶었어요.")
                         .replace("내일 또 만나요.", "내일 콘서트에서 만나요."), encoding="utf-8")
    _edit_cue(en, 2, "Today we'll show you our new song on stage.")
    _edit_cue(en, 5, "See you tomorrow, everyone!")
    hand = en.read_text(encoding="utf-8")
    libre.reset_counts()

    result = runner.invoke(app, ["retranslate", "--ko", str(edited_ko), "--en", str(en), "-o",
                                 str(tmp_path / "new.en.srt"), "--translator-url", libre.url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["translator"] == "libre"  # the engine that made the draft
    assert libre.translate_requests == 1 and report["sentences_sent"] == 1  # only 정말 많이 보고 싶었어요
    assert report["retranslated"] == 1 and report["kept-edit"] == 1
    assert en.read_text(encoding="utf-8") == hand  # inputs untouched
    new = read_subtitles(tmp_path / "new.en.srt")
    old = read_subtitles(en)
    assert [c.text for c in new.cues][:2] == [c.text for c in old.cues][:2]  # hand edit 2 kept, 1 unchanged
    assert new.cues[1].text == "Today we'll show you our new song on stage."
    assert new.cues[2].text == "Really mani I missed you."  # re-translated (the test server romanizes 많이)
    assert new.cues[3] == old.cues[3] and new.cues[5] == old.cues[5]  # untouched cues exactly as they were
    assert new.cues[4].text == "See you tomorrow, everyone!"  # kept, though its Korean changed
    changes = {c["action"]: c for c in report["changes"]}
    assert changes["retranslated"]["draft_cues"] == [3] and changes["retranslated"]["new_cues"] == [3]
    assert changes["kept-edit"]["draft_cues"] == [5] and "콘서트에서" in changes["kept-edit"]["korean"]


def test_retranslate_again_keeps_edits_across_rounds_and_costs_nothing_when_nothing_changed(
    tmp_path: Path, libre: LibreServer
) -> None:
    _, en = _draft(tmp_path, libre)
    _edit_cue(en, 1, "Hi, everybody!")
    edited_ko = tmp_path / "round1.ko.srt"
    edited_ko.write_text(LONGER_KOREAN.replace("감사합니다.", "정말 고마워요."), encoding="utf-8")
    first = tmp_path / "round1.en.srt"
    args = ["retranslate", "--ko", str(edited_ko), "--en", str(en), "-o", str(first), "-t", "libre",
            "--translator-url", libre.url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "re-translated" in result.output and "draft 6 -> new 6" in " ".join(result.output.split())
    assert read_subtitles(first).cues[0].text == "Hi, everybody!"

    # Round two starts from round one's output: its hand edit is still known as one.
    _edit_cue(edited_ko, 1, "안녕 여러분!")
    libre.reset_counts()
    second = tmp_path / "round2.en.srt"
    result = runner.invoke(app, [*args[:3], "--en", str(first), "-o", str(second), *args[7:], "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["kept-edit"] == 1 and report["retranslated"] == 0 and libre.translate_requests == 0
    assert read_subtitles(second).cues[0].text == "Hi, everybody!"

    # Nothing changed at all: no request, the same cues.
    libre.reset_counts()
    third = tmp_path / "round3.en.srt"
    result = runner.invoke(app, [*args[:3], "--en", str(second), "-o", str(third), *args[7:], "--json"])
    assert result.exit_code == 0, result.output
    assert libre.translate_requests == 0 and json.loads(result.output)["changes"] == []
    assert read_subtitles(third).cues == read_subtitles(second).cues


def test_retranslate_after_a_shift_of_both_files_is_not_mistaken_for_editing(
    tmp_path: Path, libre: LibreServer
) -> None:
    ko, en = _draft(tmp_path, libre)
    for path in (ko, en):
        assert runner.invoke(app, ["shift", str(path), "+1.5s", "-o", str(path), "--force"]).exit_code == 0
    _edit_cue(ko, 4, "콘서트 정말 재밌었어요.")
    result = runner.invoke(app, ["retranslate", "--ko", str(ko), "--en", str(en), "--translator-url", libre.url,
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["shift_ms"] == 1500 and report["edited_by_hand"] == 0
    assert report["retranslated"] == 1 and report["kept-edit"] == 0
    new = read_subtitles(tmp_path / "live.retranslated.en.srt")
    assert new.cues[3].start_ms >= 16_500  # on the shifted Korean


def test_retranslate_without_a_record_needs_the_original_korean(tmp_path: Path, libre: LibreServer) -> None:
    ko, en = _draft(tmp_path, libre)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "live.en.srt").write_bytes(en.read_bytes())
    edited = moved / "live.ko.srt"
    edited.write_text(LONGER_KOREAN.replace("내일 또 만나요.", "내일 콘서트에서 만나요."), encoding="utf-8")
    args = ["retranslate", "--ko", str(edited), "--en", str(moved / "live.en.srt"), "-t", "libre",
            "--translator-url", libre.url]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "no record" in refused.output and "--ko-draft" in refused.output
    assert "Traceback" not in refused.output

    libre.reset_counts()
    result = runner.invoke(app, [*args, "--ko-draft", str(ko), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["basis"].startswith("--ko-draft") and report["retranslated"] == 1
    assert libre.translate_requests == 1  # the recomputed machine English came from the cache


def test_retranslate_refuses_bad_input_without_writing(tmp_path: Path, libre: LibreServer) -> None:
    ko, en = _draft(tmp_path, libre)
    swapped = runner.invoke(app, ["retranslate", "--ko", str(en), "--en", str(ko), "--translator-url", libre.url])
    assert swapped.exit_code == 2 and "--ko expects Korean" in swapped.output
    misnamed = tmp_path / "wrong.ko.srt"  # English text under a Korean name: the text decides
    misnamed.write_bytes(en.read_bytes())
    named = runner.invoke(app, ["retranslate", "--ko", str(misnamed), "--en", str(en), "--translator-url", libre.url])
    assert named.exit_code == 2 and "--ko expects Korean" in named.output
    missing = runner.invoke(app, ["retranslate", "--ko", str(tmp_path / "nope.srt"), "--en", str(en)])
    assert missing.exit_code == 2 and "no such file" in missing.output
    junk = tmp_path / "junk.ko.srt"
    junk.write_bytes(b"\x00\x01binary")
    bad = runner.invoke(app, ["retranslate", "--ko", str(junk), "--en", str(en)])
    assert bad.exit_code == 2 and "NUL" in bad.output
    over = runner.invoke(app, ["retranslate", "--ko", str(ko), "--en", str(en), "-o", str(en)])
    assert over.exit_code == 3 and "already exists" in over.output
    assert not (tmp_path / "live.retranslated.en.srt").exists()
    for result in (swapped, named, missing, bad, over):
        assert "Traceback" not in result.output


# --------------------------------------------------------------------------- credentials only to their own service

def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in SECRETS.items():
        monkeypatch.setenv(var, value)


@pytest.mark.parametrize("engine", ["deepl", "papago", "mymemory", "google"])
def test_translator_url_with_an_engine_of_its_own_service_is_refused_and_nothing_is_sent(
    engine: str, tmp_path: Path, libre: LibreServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keys(monkeypatch)
    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    result = runner.invoke(app, ["translate", str(source), "-t", engine, "--translator-url", libre.url])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines[0].startswith(f"error: --translator-url is not for {engine}") and len(lines) == 2
    assert f"[translator.{engine}] url" in lines[1]
    assert libre.hits() == [] and not (tmp_path / "live.en.srt").exists()


def test_doctor_with_translator_url_sends_no_other_engines_key_there(
    tmp_path: Path, libre: LibreServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keys(monkeypatch)
    monkeypatch.delenv("STREAMKIT_CACHE")  # the model status uses the shared model cache
    with LibreServer() as services:  # stands in for each engine's own service, named by engine in the config
        config = tmp_path / "streamkit.toml"
        config.write_text(f'[translator]\ngoogle_url = "{services.url}google/m"\ndeepl_url = "{services.url}deepl/v2"\n'
                          f'papago_url = "{services.url}papago/v1/papago/n2mt"\n'
                          f'mymemory_url = "{services.url}mymemory/get"\n', encoding="utf-8")
        result = runner.invoke(app, ["doctor", "--translator-url", libre.url, "--timeout", "2", "--json",
                                     "--config", str(config)])
        assert result.exit_code == 0, result.output
        engines = {e["name"]: e for e in json.loads(result.stdout)["engines"]}
        assert all(engines[name]["reachable"] == "yes" for name in ("libre", "google", "deepl", "papago", "mymemory"))
        others = [v for k, v in SECRETS.items() if "LIBRE" not in k]
        # llm takes the URL too (its chat endpoint is not on a LibreTranslate server): it has no key here
        assert sorted(h.path for h in libre.hits()) == ["/chat/completions", "/translate"]
        assert not any(hit.carries(secret) for hit in libre.hits() for secret in others)
        assert libre.hits("/translate")[0].query == ""  # libre's own key went in the body
        own = {hit.path: hit for hit in services.hits()}
        assert own["/deepl/v2/translate"].carries(SECRETS["STREAMKIT_DEEPL_API_KEY"])  # to its own service only
        assert own["/papago/v1/papago/n2mt"].carries(SECRETS["STREAMKIT_PAPAGO_CLIENT_SECRET"])
    assert leaked(result.output) == []


def test_debug_logs_and_errors_never_show_a_secret(tmp_path: Path, libre: LibreServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _keys(monkeypatch)
    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    libre.fail(*["403"] * 8)
    refused = runner.invoke(app, ["translate", str(source), "-t", "libre", "--translator-url", libre.url, "-vv"])
    assert refused.exit_code == 6 and "the key was refused" in refused.output
    config = tmp_path / "streamkit.toml"
    config.write_text(f'[translator]\nmymemory_url = "http://127.0.0.1:{free_port()}/get"\nretries = 1\n'
                      "backoff = 0.01\n", encoding="utf-8")
    down = runner.invoke(app, ["translate", str(source), "-t", "mymemory", "-vv", "-f", "--config", str(config)])
    assert down.exit_code == 6 and "unreachable" in down.output
    assert "DEBUG" in down.output or "attempt 1 failed" in down.output  # -vv really logged the failures
    for output in (refused.output, down.output):
        assert leaked(output) == [], output



def test_translate_into_several_languages_from_the_korean(tmp_path: Path, libre: LibreServer) -> None:
    """Issue 16: --to ja,th,ar writes live.ja.srt, live.th.srt, live.ar.srt, each from the Korean, by its rules."""
    from streamkit.checks import check_file
    from streamkit.segment import rules_for

    source = tmp_path / "live.ko.srt"
    source.write_text(KOREAN_SRT, encoding="utf-8")
    args = ["translate", str(source), "-t", "libre", "--translator-url", libre.url, "--to", "ja,th,ar", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.output)["outputs"]
    assert [o["language"] for o in outputs] == ["ja", "th", "ar"]
    assert {h.params["target"][0] for h in libre.hits("/translate")} == {"ja", "th", "ar"}
    for lang in ("ja", "th", "ar"):
        track = read_subtitles(tmp_path / f"live.{lang}.srt")
        assert track.cues and all(display_width(line, rules_for(lang)) <= rules_for(lang).max_line_columns
                                  for cue in track.cues for line in cue.lines)
        assert check_file(tmp_path / f"live.{lang}.srt").language == lang
    ja = " ".join(c.text for c in read_subtitles(tmp_path / "live.ja.srt").cues)
    assert not any("가" <= ch <= "힣" for ch in ja) and any("ぁ" <= ch <= "ヿ" or "一" <= ch <= "鿿" for ch in ja)
    several = runner.invoke(app, [*args, "-o", str(tmp_path / "x.srt")])
    assert several.exit_code != 0 and "--output names one file" in several.output


def test_retranslate_a_japanese_draft_sends_only_the_changed_sentence(tmp_path: Path, libre: LibreServer) -> None:
    """Issue 16: retranslate --to ja works on a Japanese draft as on an English one."""
    ko = tmp_path / "live.ko.srt"
    ko.write_text(LONGER_KOREAN, encoding="utf-8")
    made = runner.invoke(app, ["translate", str(ko), "-t", "libre", "--translator-url", libre.url, "--to", "ja", "-q"])
    assert made.exit_code == 0, made.output
    ja = tmp_path / "live.ja.srt"
    edited_ko = tmp_path / "live.edited.ko.srt"
    edited_ko.write_text(LONGER_KOREAN.replace("정말 보고 싶었어요.", "정말 많이 보고 싶었어요."), encoding="utf-8")
    libre.reset_counts()
    result = runner.invoke(app, ["retranslate", "--ko", str(edited_ko), "--en", str(ja), "--to", "ja",
                                 "--translator-url", libre.url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sentences_sent"] == 1 and report["retranslated"] == 1
    assert {h.params["target"][0] for h in libre.hits("/translate")} == {"ja"}
    new = read_subtitles(tmp_path / "live.retranslated.ja.srt")
    assert new.language == "ja" and all(" " not in line for c in new.cues for line in c.lines)
