"""The review API on its own (Starlette's TestClient): checks, fixes, re-translation, saves and conflicts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from streamkit.subtitles import read_raw
from streamkit.translation.drafts import load_record, record_path
from streamkit.web import EventBroker
from streamkit.web.review import ReviewOptions, ReviewSession, create_app, open_review

from ...libre_server import LibreServer

LOCAL = "http://127.0.0.1"


@pytest.fixture
def client(session: ReviewSession) -> TestClient:
    return TestClient(create_app(session), base_url=LOCAL)


def _tracks(client: TestClient) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    state = client.get("/api/session").json()
    return state, {t["language"]: t["cues"] for t in state["tracks"]}


def _codes(result: dict[str, Any], lang: str, cue_id: str) -> set[str]:
    return {p["code"] for p in result["problems"][lang] if p["id"] == cue_id}


def test_the_session_serves_both_tracks_with_versions_and_rules_and_checks_them(client: TestClient) -> None:
    state, tracks = _tracks(client)
    assert [t["file"] for t in state["tracks"]] == ["show.ko.srt", "show.en.srt"]
    assert all(len(t["version"]) == 16 for t in state["tracks"])
    assert state["video"]["fps"] == [30000, 1001] and state["video"]["duration"] > 50_000
    assert state["rules"]["ko"]["max_cps"] == 12 and state["rules"]["en"]["max_line_columns"] == 42
    assert tracks["ko"][2] == {"id": "ko-3", "start": 13200, "end": 14000,
                               "text": "신곡 무대 같이 보고 싶었어요 진짜 사랑해요 감사합니다"}
    check = client.post("/api/check", json={"tracks": tracks}).json()
    assert _codes(check, "ko", "ko-3") == {"line-too-long", "too-fast", "too-short"}
    assert check["counts"]["ko"] == {"error": 3, "warning": 0}
    assert check["uncovered"] is None and check["names_pending"] is False  # no speech search in this session


def test_a_check_follows_the_edit(client: TestClient) -> None:
    _, tracks = _tracks(client)
    tracks["ko"][2]["text"] = "신곡 무대"
    tracks["ko"][2]["end"] = 15000
    result = client.post("/api/check", json={"tracks": tracks}).json()
    assert _codes(result, "ko", "ko-3") == set()
    tracks["ko"][1]["end"] = 13500  # now overlaps cue 3
    result = client.post("/api/check", json={"tracks": tracks}).json()
    assert "overlap" in _codes(result, "ko", "ko-3")


def test_names_the_glossary_knows_are_flagged(show: Path, libre: LibreServer) -> None:
    session = open_review(show, None, ReviewOptions(translator_settings={"url": libre.url}))
    client = TestClient(create_app(session), base_url=LOCAL)
    _, tracks = _tracks(client)
    tracks["ko"][0]["text"] = "방탄소년단 안녕하세요"
    tracks["en"][0]["text"] = "Bulletproof Boy Scouts hello"
    result = client.post("/api/check", json={"tracks": tracks}).json()
    assert "glossary" in _codes(result, "en", "en-1")


@pytest.mark.parametrize(("change", "field"), [
    ({"start": "1.5"}, "start"),
    ({"start": -40}, "start"),
    ({"end": 10**12}, "end"),
    ({"end": True}, "end"),
    ({"id": ""}, "id"),
    ({"id": "ko-1"}, "id"),  # a repeated id
    ({"text": 7}, "text"),
])
def test_bad_cues_are_422_naming_the_field(client: TestClient, change: dict[str, object], field: str) -> None:
    _, tracks = _tracks(client)
    tracks["ko"][1].update(change)
    for path, body in [("/api/check", {"tracks": tracks}), ("/api/fix", {"language": "ko", "cues": tracks["ko"]}),
                       ("/api/save", {"language": "ko", "version": "x", "cues": tracks["ko"]})]:
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["field"] == field


def test_unknown_cues_and_tracks_are_404_and_broken_bodies_422(client: TestClient) -> None:
    _, tracks = _tracks(client)
    response = client.post("/api/fix", json={"language": "ko", "cues": tracks["ko"], "id": "ko-99"})
    assert response.status_code == 404 and response.json()["cue"] == "ko-99"
    response = client.post("/api/save", json={"language": "fr", "version": "x", "cues": []})
    assert response.status_code == 404 and "ko, en" in response.json()["error"]
    assert client.get("/api/track/de").status_code == 404
    broken = client.post("/api/check", content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422
    assert client.post("/api/check", json=[1, 2]).status_code == 422


def test_times_the_core_refuses_are_422_before_saving_or_fixing(client: TestClient, show: Path) -> None:
    state, tracks = _tracks(client)
    version = state["tracks"][0]["version"]
    before = (show.parent / "show.ko.srt").read_bytes()
    tracks["ko"][0].update(start=5000, end=4000)
    for path, body in [("/api/fix", {"language": "ko", "cues": tracks["ko"]}),
                       ("/api/save", {"language": "ko", "version": version, "cues": tracks["ko"]})]:
        response = client.post(path, json=body)
        assert response.status_code == 422 and response.json()["cue"] == "ko-1", response.text
    tracks["ko"][0].update(start=1000, end=4000, text="  ")
    response = client.post("/api/save", json={"language": "ko", "version": version, "cues": tracks["ko"]})
    assert response.status_code == 422 and "no text" in response.json()["error"]
    assert (show.parent / "show.ko.srt").read_bytes() == before


def test_fix_one_cue_or_the_whole_track(client: TestClient) -> None:
    _, tracks = _tracks(client)
    tracks["ko"][2]["text"] = "신곡 무대"
    one = client.post("/api/fix", json={"language": "ko", "cues": tracks["ko"], "id": "ko-3"}).json()
    assert one["cues"] == [{"id": "ko-3", "start": 13200, "end": 14033, "text": "신곡 무대"}]
    assert [c["what"] for c in one["changes"]] == ["extend"]
    tracks["ko"][1]["end"] = 13300  # overlaps cue 3
    every = client.post("/api/fix", json={"language": "ko", "cues": tracks["ko"]}).json()
    assert [c["id"] for c in every["cues"]] == ["ko-1", "ko-2", "ko-3", "ko-4"]
    assert every["cues"][1]["end"] < 13200 and every["cues"][2]["end"] == 14033
    assert {c["what"] for c in every["changes"]} == {"overlap", "extend"}


def test_save_writes_the_file_whole_and_keeps_the_draft_record(client: TestClient, show: Path) -> None:
    state, tracks = _tracks(client)
    ko = show.parent / "show.ko.srt"
    record = record_path(show.parent / "show.en.srt").read_bytes()
    tracks["ko"][0]["text"] = "안녕하세요\n여러분 반가워요"
    response = client.post("/api/save", json={"language": "ko", "version": state["tracks"][0]["version"],
                                              "cues": tracks["ko"]})
    assert response.status_code == 200, response.text
    saved = read_raw(ko)
    assert saved.cues[0].lines == ("안녕하세요", "여러분 반가워요") and len(saved.cues) == 4
    assert response.json()["version"] != state["tracks"][0]["version"]
    assert sorted(p.name for p in show.parent.iterdir() if p.name.startswith(".show")) == []  # no temp file left
    assert record_path(show.parent / "show.en.srt").read_bytes() == record
    # The new version saves again; the old one is stale now.
    again = {"language": "ko", "version": response.json()["version"], "cues": tracks["ko"]}
    assert client.post("/api/save", json=again).status_code == 200
    stale = {"language": "ko", "version": state["tracks"][0]["version"], "cues": tracks["ko"]}
    assert client.post("/api/save", json=stale).status_code == 409


def test_a_failed_write_leaves_the_file_as_it_was(client: TestClient, show: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    state, tracks = _tracks(client)
    ko = show.parent / "show.ko.srt"
    before = ko.read_bytes()

    def refuse(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    tracks["ko"][0]["text"] = "바뀐 글"
    response = client.post("/api/save", json={"language": "ko", "version": state["tracks"][0]["version"],
                                              "cues": tracks["ko"]})
    assert response.status_code == 500 and "No space left" in response.json()["error"]
    assert ko.read_bytes() == before
    assert [p.name for p in show.parent.iterdir() if ".part" in p.name] == []


def test_a_file_changed_on_disk_under_the_page_is_a_409_with_what_changed(client: TestClient, show: Path) -> None:
    state, tracks = _tracks(client)
    ko = show.parent / "show.ko.srt"
    theirs = ko.read_text(encoding="utf-8").replace("팬 여러분 고마워요", "팬 여러분 정말 고마워요")
    ko.write_text(theirs, encoding="utf-8")  # another editor saved meanwhile
    tracks["ko"][0]["text"] = "안녕"
    response = client.post("/api/save", json={"language": "ko", "version": state["tracks"][0]["version"],
                                              "cues": tracks["ko"]})
    assert response.status_code == 409
    body = response.json()
    assert "show.ko.srt changed on disk" in body["error"] and body["disk"] != body["loaded"]
    assert body["changes"] == [{"cue": 4, "start": 23400, "was": "팬 여러분 고마워요",
                                "now": "팬 여러분 정말 고마워요"}]
    assert ko.read_text(encoding="utf-8") == theirs  # never overwritten silently
    fresh = client.get("/api/track/ko").json()
    assert fresh["version"] == body["disk"] and fresh["cues"][3]["text"] == "팬 여러분 정말 고마워요"


def test_retranslate_sends_only_the_changed_sentence_keeps_english_edits_and_records_on_save(
    client: TestClient, show: Path, libre: LibreServer
) -> None:
    state, tracks = _tracks(client)
    tracks["ko"][2]["text"] = "신곡 무대 정말 좋아요"
    tracks["en"][2]["text"] = "Thank you, fans!"  # the editor's English: kept
    libre.reset_counts()
    result = client.post("/api/retranslate", json={"ko": tracks["ko"], "en": tracks["en"]}).json()
    assert result["sent"] == 1 and libre.translate_requests == 1
    texts = {c["id"]: c["text"] for c in result["cues"]}
    assert texts["en-1"] == tracks["en"][0]["text"] and texts["en-3"] == "Thank you, fans!"
    (new,) = result["touched"]
    assert texts[new] == "New song stage really it's good" and new not in {"en-1", "en-2", "en-3"}
    en_version = state["tracks"][1]["version"]
    saved = client.post("/api/save", json={"language": "en", "version": en_version, "cues": result["cues"],
                                           "retranslation": result["token"]})
    assert saved.status_code == 200, saved.text
    record = load_record(show.parent / "show.en.srt")
    assert record is not None and record.korean.cues[2].lines == ("신곡 무대 정말 좋아요",)
    assert record.machine[2] is None  # the editor's cue is not the machine's


def test_retranslate_needs_the_draft_record_and_valid_tracks(client: TestClient, show: Path) -> None:
    _, tracks = _tracks(client)
    tracks["ko"][1]["end"] = 13500  # overlaps cue 3
    response = client.post("/api/retranslate", json={"ko": tracks["ko"], "en": tracks["en"]})
    assert response.status_code == 422 and response.json()["cue"] == "ko-3"
    record_path(show.parent / "show.en.srt").unlink()
    response = client.post("/api/retranslate", json={"ko": tracks["ko"], "en": tracks["en"]})
    assert response.status_code == 409 and "no record" in response.json()["error"]


def test_the_video_is_served_with_range_requests(client: TestClient, show: Path) -> None:
    response = client.get("/video", headers={"Range": "bytes=1000-1999"})
    assert response.status_code == 206 and response.content == show.read_bytes()[1000:2000]
    assert response.headers["content-range"] == f"bytes 1000-1999/{show.stat().st_size}"
    assert client.get("/").headers["content-type"].startswith("text/html")
    assert client.get("/static/review.js").status_code == 200


@pytest.mark.slow
def test_mux_runs_in_the_background_and_reports_progress(session: ReviewSession, show: Path) -> None:
    broker = EventBroker()
    client = TestClient(create_app(session, broker), base_url=LOCAL)
    assert client.post("/api/mux", json={}).json() == {"started": True}
    deadline = 60.0
    import time

    while deadline > 0 and not any(json.loads(e.data)["state"] != "running"
                                   for e in broker.since(0) if e.name == "mux"):
        time.sleep(0.1)
        deadline -= 0.1
    states = [json.loads(e.data) for e in broker.since(0) if e.name == "mux"]
    assert states[0]["state"] == "running" and states[-1]["state"] == "done", states
    replay = show.parent / "show.subtitled.mp4"
    assert replay.stat().st_size > 100_000 and states[-1]["file"] == replay.name


def test_tracks_are_found_beside_the_recording_and_in_out(tmp_path: Path) -> None:
    from streamkit.web.review import find_tracks

    (tmp_path / "out").mkdir()
    for name in ["show.ko.srt", "show.en.srt", "show.fixed.ko.srt", "other.en.srt", "out/show.en.srt",
                 "out/show.ja.srt"]:
        (tmp_path / name).write_text("1\n00:00:01,000 --> 00:00:02,000\nx\n", encoding="utf-8")
    found = find_tracks(tmp_path / "show.subtitled.mp4", tmp_path / "out")
    assert found == {"ko": tmp_path / "show.ko.srt", "en": tmp_path / "out/show.en.srt",
                     "ja": tmp_path / "out/show.ja.srt"}
    assert list(found) == ["ko", "en", "ja"]


def test_every_language_present_is_a_track(show: Path, libre: LibreServer) -> None:
    (show.parent / "show.ja.srt").write_text("1\n00:00:01,000 --> 00:00:04,000\nこんにちは\n", encoding="utf-8")
    client = TestClient(create_app(open_review(show, None, ReviewOptions(no_glossary=True))), base_url=LOCAL)
    state, tracks = _tracks(client)
    assert [t["language"] for t in state["tracks"]] == ["ko", "en", "ja"]
    result = client.post("/api/check", json={"tracks": tracks}).json()
    assert set(result["problems"]) == {"ko", "en", "ja"} and result["counts"]["ja"]["error"] == 0


def test_other_sites_cannot_drive_the_api(session: ReviewSession) -> None:
    client = TestClient(create_app(session), base_url=LOCAL)
    # A "simple" cross-origin POST (no CORS preflight) is refused, and so is a foreign Host header.
    simple = client.post("/api/mux", content=b"{}", headers={"Content-Type": "text/plain"})
    assert simple.status_code == 415
    rebound = TestClient(create_app(session), base_url="http://evil.example")
    assert rebound.get("/api/session").status_code == 400


def test_an_undone_retranslation_leaves_the_draft_record_alone(client: TestClient, show: Path) -> None:
    state, tracks = _tracks(client)
    record = record_path(show.parent / "show.en.srt").read_bytes()
    tracks["ko"][2]["text"] = "신곡 무대 정말 좋아요"
    client.post("/api/retranslate", json={"ko": tracks["ko"], "en": tracks["en"]})
    tracks["en"][0]["text"] = "Hi everyone, today was really fun"  # the page undid it and edited by hand
    saved = client.post("/api/save", json={"language": "en", "version": state["tracks"][1]["version"],
                                           "cues": tracks["en"]})
    assert saved.status_code == 200
    assert record_path(show.parent / "show.en.srt").read_bytes() == record
