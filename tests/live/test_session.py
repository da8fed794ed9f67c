"""Real runs: ffmpeg publishing in real time (a growing file, HLS served on 127.0.0.1), the real model,
the real translation path (tests/libre_server.py), the rolling files finalized; a publisher restart."""

from __future__ import annotations

import itertools
import threading
import time
import wave
from pathlib import Path
from typing import Any

import pytest

from streamkit.live import LiveJob, LiveOptions, LiveSourceError, RetryPolicy, parse_source, run_live
from streamkit.subtitles import read_subtitles
from streamkit.transcribe import WhisperTranscriber
from streamkit.translation.options import TranslatorSettings

from ..conftest import FANLIVE, SHORT
from ..libre_server import LibreServer, free_port
from .publish import PLAYLIST, growing_file_args, hls_args, ingest_args, serve_folder, start, wait_for

#: On a busy shared machine a decode can take many seconds: these tests are about following the
#: source, not about lag, so nothing is skipped (tests/live/test_engine.py covers lag control).
PATIENT = LiveOptions(cheap_lag_ms=60_000, skip_lag_ms=120_000)


class Events:
    """What a page would get: every published event, in order, with its arrival time."""

    def __init__(self) -> None:
        self.items: list[tuple[float, str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(self, name: str, payload: dict[str, Any]) -> None:
        with self.lock:
            self.items.append((time.monotonic(), name, payload))

    def named(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [p for _t, n, p in self.items if n == name]


def assert_never_changed_once_shown(captions: list[dict[str, Any]]) -> None:
    shown: dict[tuple[str, int], str] = {}
    finals: set[tuple[str, int]] = set()
    for c in captions:
        key = (c["language"], c["sentence"])
        assert key not in finals, f"a final caption changed: {c}"
        if key in shown:
            assert c["text"].startswith(shown[key]), (shown[key], c["text"])
        shown[key] = c["text"]
        if c["final"]:
            finals.add(key)
        assert 1 <= len(c["lines"]) <= 2


def assert_track_in_order(path: Path) -> None:
    cues = read_subtitles(path).cues
    assert cues, f"{path.name} has no cues"
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(cues))


def test_a_stream_that_never_answers_leaves_no_empty_drafts_to_block_the_next_run(
        tmp_path: Path, transcriber: WhisperTranscriber, ffmpeg_exe: str) -> None:
    """A producer starting streamkit before the broadcast is up: the URL is unreachable. The run ends with the
    source's error and writes no NAME.live.ko.srt, which the next run on the stream would refuse to overwrite."""
    port = free_port()  # nothing listens there
    job = LiveJob(parse_source(f"http://127.0.0.1:{port}/live.m3u8"), tmp_path, "live", target=None,
                  retry=RetryPolicy(attempts=1, first_delay_s=0.1), ffmpeg=ffmpeg_exe)
    with pytest.raises(LiveSourceError, match="is unreachable"):
        run_live(job, transcriber)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_growing_recording_is_followed_to_its_end_with_english(tmp_path: Path, transcriber: WhisperTranscriber,
                                                                 ffmpeg_exe: str) -> None:
    growing = tmp_path / "show.ts"
    publisher = start(growing_file_args(SHORT, growing))
    events = Events()
    try:
        wait_for(growing)
        with LibreServer() as libre:
            job = LiveJob(parse_source(str(growing)), tmp_path / "out", "show", target="en", translator="libre",
                          translator_settings=TranslatorSettings(url=libre.url), record=tmp_path / "out" / "show.wav",
                          idle_timeout_s=6.0, options=PATIENT, ffmpeg=ffmpeg_exe)
            result = run_live(job, transcriber, events)
    finally:
        publisher.kill()
        publisher.wait()
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["show.live.en.srt", "show.live.en.vtt", "show.live.ko.srt",
                                                     "show.live.ko.vtt", "show.wav"]  # nothing half-written
    for name in ("show.live.ko.srt", "show.live.ko.vtt", "show.live.en.srt"):
        assert_track_in_order(out / name)
    korean = " ".join(c.text for c in read_subtitles(out / "show.live.ko.srt").cues)
    assert "커피" in korean or "소비자" in korean
    captions = events.named("caption")
    assert_never_changed_once_shown(captions)
    assert [c for c in captions if c["language"] == "en" and c["final"]]
    assert result.sentences["ko"] >= 1 and result.sentences["en"] >= 1 and not result.interrupted
    with wave.open(str(out / "show.wav")) as wav:
        assert abs(wav.getnframes() / 16000 - result.audio_ms / 1000) < 0.2
    assert events.named("end")[-1]["sentences"] == result.sentences


@pytest.mark.slow
def test_hls_in_real_time_survives_a_publisher_restart_with_a_gap_marker(
    tmp_path: Path, transcriber: WhisperTranscriber, ffmpeg_exe: str
) -> None:
    hls = tmp_path / "hls"
    hls.mkdir()
    events = Events()
    stop = threading.Event()
    with serve_folder(hls) as base:
        publisher = start(hls_args(FANLIVE, hls))
        try:
            wait_for(hls / PLAYLIST)
            job = LiveJob(parse_source(f"{base}/{PLAYLIST}"), tmp_path / "out", "hls", target=None,
                          options=PATIENT, retry=RetryPolicy(stall_s=30, gap_s=3.0), ffmpeg=ffmpeg_exe)
            results: list[Any] = []
            runner = threading.Thread(target=lambda: results.append(run_live(job, transcriber, events, stop)))
            runner.start()
            time.sleep(12)  # the first utterance is 1-12 s
            publisher.kill()  # the encoder dies mid-stream ...
            publisher.wait()
            time.sleep(5)
            publisher = start(hls_args(FANLIVE, hls, start_s=13.0))  # ... and comes back at the next utterance
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                gaps = events.named("gap")
                later = [c for c in events.named("caption") if gaps and c["start_ms"] > gaps[0]["at_ms"]]
                if later and any(c["final"] for c in later):
                    break
                time.sleep(0.5)
        finally:
            stop.set()
            publisher.kill()
            publisher.wait()
            runner.join(60)
    assert results, "the run did not end"
    gaps = events.named("gap")
    assert gaps and gaps[0]["text"] == "[…]" and gaps[0]["skipped_ms"] >= 3000
    captions = events.named("caption")
    before = [c for c in captions if c["end_ms"] <= gaps[0]["at_ms"]]
    after = [c for c in captions if c["start_ms"] >= gaps[0]["at_ms"]]
    assert before and after, [c["text"] for c in captions]
    assert_never_changed_once_shown(captions)
    assert results[0].gaps >= 1
    assert_track_in_order(tmp_path / "out" / "hls.live.ko.srt")


def _run_until_a_final_past(job: LiveJob, transcriber: WhisperTranscriber, events: Events,
                            past_ms: int = 12_000) -> list[Any]:
    """``run_live`` on a thread until a final caption starts past ``past_ms`` (at most 90 s); then stopped."""
    stop = threading.Event()
    results: list[Any] = []
    runner = threading.Thread(target=lambda: results.append(run_live(job, transcriber, events, stop)))
    runner.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(c["final"] and c["start_ms"] > past_ms
                                                      for c in events.named("caption")):
            time.sleep(0.5)
    finally:
        stop.set()
        runner.join(60)
    assert results, "the run did not end"
    return results


def _second_sentence_on_time(finals: list[dict[str, Any]]) -> None:
    """fanlive's second sentence: its reference span starts at 13.1 s, its voice a little later."""
    second = [c for c in finals if c["start_ms"] > 12000]
    assert second and 12_100 <= second[0]["start_ms"] <= 15_600, [(c["start_ms"], c["text"]) for c in finals]


@pytest.mark.slow
def test_hls_of_long_segments_keeps_the_stream_clock(tmp_path: Path, transcriber: WhisperTranscriber,
                                                     ffmpeg_exe: str) -> None:
    """4 s segments, each handed over whole: no gap is marked and captions keep the recording's times. Counted
    as a gap (any 3 s of quiet pipe), each segment moved the stream clock by its wait: the second sentence
    (13.1 s in the recording) was captioned some 12 s later than it is."""
    hls = tmp_path / "hls"
    hls.mkdir()
    events = Events()
    with serve_folder(hls) as base:
        publisher = start(hls_args(FANLIVE, hls, segment_s=4.0))
        try:
            wait_for(hls / PLAYLIST)
            job = LiveJob(parse_source(f"{base}/{PLAYLIST}"), tmp_path / "out", "hls", target=None,
                          options=PATIENT, retry=RetryPolicy(stall_s=30, gap_s=3.0), ffmpeg=ffmpeg_exe)
            results = _run_until_a_final_past(job, transcriber, events)
        finally:
            publisher.kill()
            publisher.wait()
    assert events.named("gap") == [] and results[0].gaps == 0
    _second_sentence_on_time([c for c in events.named("caption") if c["final"]])


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["rtmp", "srt"])
def test_an_ingest_stream_is_captioned_on_its_own_clock(tmp_path: Path, transcriber: WhisperTranscriber,
                                                        ffmpeg_exe: str, protocol: str) -> None:
    """The real ffmpeg serves fanlive over RTMP or SRT on 127.0.0.1 in real time (the ingest a producer can point
    streamkit at instead of an HLS playlist): captions come, in order, at the recording's own times."""
    args, url = ingest_args(FANLIVE, protocol, free_port())
    publisher = start(args)
    events = Events()
    try:
        time.sleep(1.0)  # the publisher listens; a refused first try is retried anyway
        job = LiveJob(parse_source(url), tmp_path / "out", protocol, target=None, options=PATIENT,
                      retry=RetryPolicy(stall_s=30), ffmpeg=ffmpeg_exe)
        results = _run_until_a_final_past(job, transcriber, events)
    finally:
        publisher.kill()
        publisher.wait()
    assert events.named("gap") == [] and results[0].gaps == 0
    captions = events.named("caption")
    assert_never_changed_once_shown(captions)
    finals = [c for c in captions if c["final"]]
    assert finals and 0 <= finals[0]["start_ms"] <= 3000, [(c["start_ms"], c["text"]) for c in finals]
    _second_sentence_on_time(finals)
    assert_track_in_order(tmp_path / "out" / f"{protocol}.live.ko.srt")


@pytest.mark.slow
def test_several_languages_are_translated_side_by_side(tmp_path: Path, transcriber: WhisperTranscriber,
                                                       ffmpeg_exe: str) -> None:
    """``--to en,ja``: each language from the Korean, by the real translation path, its own drafts and captions."""
    events = Events()
    with LibreServer() as libre:
        job = LiveJob(parse_source(str(SHORT)), tmp_path, "short", targets=("en", "ja"), translator="libre",
                      translator_settings=TranslatorSettings(url=libre.url), idle_timeout_s=2.0, options=PATIENT,
                      ffmpeg=ffmpeg_exe)
        result = run_live(job, transcriber, events)
    assert job.target == "en"
    assert result.sentences["ko"] >= 1 and result.sentences["en"] == result.sentences["ja"] == result.sentences["ko"]
    captions = events.named("caption")
    assert_never_changed_once_shown(captions)
    ja = " ".join(c["text"] for c in captions if c["language"] == "ja" and c["final"])
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in ja), ja  # kana or kanji
    for lang in ("ko", "en", "ja"):
        assert_track_in_order(tmp_path / f"short.live.{lang}.srt")
