"""The built-in sinks: the JSON-lines event log and the webhook, against real receivers on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from streamkit.errors import ConfigError, OutputError
from streamkit.models import AudioTrack, ModelChoice, Transcript, Utterance, Word
from streamkit.plugins import failures, get_plugin_manager, notify, registered, reset_plugin_manager
from streamkit.sinks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EventLogSink,
    WebhookSink,
    configure_sinks,
    sign,
    unregister_sinks,
    verify_signature,
)
from streamkit.viewers import ViewerSample

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def fresh_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("STREAMKIT_LOAD_PLUGINS", "STREAMKIT_HOOK_TIMEOUT", "http_proxy", "HTTP_PROXY", "https_proxy",
                 "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STREAMKIT_LOAD_PLUGINS", "")  # only built-ins: no stray installed plugins
    reset_plugin_manager()
    yield
    reset_plugin_manager()


class Receiver:
    """A webhook receiver on 127.0.0.1: answers ``statuses`` in turn (then 200), or hangs."""

    def __init__(self, statuses: list[int] | None = None, *, hang: bool = False) -> None:
        self.statuses = list(statuses or [])
        self.hang = hang
        self.release = threading.Event()
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(({k: v for k, v in self.headers.items()}, body))
                if receiver.hang:
                    receiver.release.wait(20)  # stops by itself even if the test forgets
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, n: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < n and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(statuses: list[int] | None = None, *, hang: bool = False) -> Receiver:
        made.append(Receiver(statuses, hang=hang))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _sample(value: int = 1234) -> ViewerSample:
    return ViewerSample(datetime(2024, 5, 1, 11, 0, tzinfo=UTC), "decade-live", "live", "ko", "youtube",
                        "concurrent", value, "test")


def _pipeline_events(run_id: str = "run1") -> None:
    notify("stage_started", run_id=run_id, recording="fan live.mp4", stage="media")
    notify("stage_finished", run_id=run_id, recording="fan live.mp4", stage="media", seconds=0.12345, error=None)
    notify("subtitle_written", run_id=run_id, recording="fan live.mp4", path="fan live.ko.srt", language="ko", cues=3)
    notify("replay_written", run_id=run_id, recording="fan live.mp4", path="fan live.subtitled.mp4",
           tracks=["en", "ko"], burned_in=None)


# --------------------------------------------------------------------------- event log


def test_the_event_log_gets_one_json_line_per_event(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "events.jsonl"
    sinks = configure_sinks(event_log=path)
    _pipeline_events()
    notify("viewer_sample_recorded", sample=_sample())
    notify("run_finished", run_id="run1", recording="fan live.mp4", summary={"outputs": []}, error=None)
    unregister_sinks(sinks)
    notify("stage_started", run_id="run2", recording="x", stage="media")  # after unregistering: not logged
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [x["event"] for x in lines] == ["stage_started", "stage_finished", "subtitle_written", "replay_written",
                                          "viewer_sample_recorded", "run_finished"]
    assert all(x["time"].endswith("Z") and datetime.fromisoformat(x["time"]) for x in lines)
    assert lines[1] == {**lines[1], "run_id": "run1", "stage": "media", "seconds": 0.123, "error": None}
    assert lines[3]["tracks"] == ["en", "ko"]
    assert lines[4]["sample"] == _sample().to_dict()
    assert failures() == []


def test_an_event_log_that_cannot_be_written_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a folder"):
        EventLogSink(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        configure_sinks(event_log=blocker / "events.jsonl")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\x00\x00\x00\x18ftypisom" + bytes(200), "not a streamkit event log"),  # a recording
        ("1\n00:00:01,000 --> 00:00:02,000\n편집자 자막\n".encode(), "not a streamkit event log"),  # an SRT
        (b'{"format": 1, "recordings": {}}\n', "not a streamkit event log"),  # JSON, not events
        (b"SQLite format 3\x00" + bytes(100), "not a streamkit event log"),
    ],
)
def test_an_existing_file_that_is_not_an_event_log_is_never_appended_to(
    tmp_path: Path, content: bytes, why: str
) -> None:
    path = tmp_path / "precious"
    path.write_bytes(content)
    with pytest.raises(OutputError, match=why) as info:
        configure_sinks(event_log=path)
    assert "--event-log" in info.value.hint
    assert path.read_bytes() == content
    assert get_plugin_manager().get_plugin("event-log") is None  # nothing registered


def test_inputs_and_outputs_of_the_run_are_refused_even_before_they_exist(tmp_path: Path) -> None:
    recording = tmp_path / "show.mp4"
    recording.write_bytes(b"")  # empty: the content check alone would let it through
    planned = tmp_path / "out" / "show.en.srt"
    for path in (recording, planned, tmp_path / "link.mp4"):
        if path.name == "link.mp4":
            path.symlink_to(recording)
        with pytest.raises(OutputError, match="input or output of this run"):
            configure_sinks(event_log=path, protected=[recording, planned])
    assert recording.read_bytes() == b"" and not planned.exists()


def test_an_existing_event_log_and_an_empty_file_are_appended_to(tmp_path: Path) -> None:
    log_file = tmp_path / "events.jsonl"
    unregister_sinks(configure_sinks(event_log=log_file))
    notify("stage_started", run_id="r", recording="x", stage="media")  # not registered: nothing
    sinks = configure_sinks(event_log=log_file)
    notify("stage_started", run_id="r", recording="x", stage="media")
    unregister_sinks(sinks)
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    unregister_sinks(configure_sinks(event_log=empty))
    again = configure_sinks(event_log=log_file)  # one line in it now: still an event log
    notify("stage_started", run_id="r2", recording="x", stage="media")
    unregister_sinks(again)
    assert [json.loads(x)["run_id"] for x in log_file.read_text().splitlines()] == ["r", "r2"]


# --------------------------------------------------------------------------- webhook


def test_a_failing_receiver_gets_retries_and_the_signed_event_arrives(receiver: Callable[..., Receiver]) -> None:
    r = receiver([500, 503])
    sink = WebhookSink(r.url, secret=SECRET, backoff=0.05)
    with registered(sink, "webhook", source="sink"):
        _pipeline_events()
        assert sink.flush(5)
    assert len(r.requests) == 4 + 2  # the first event needed three attempts
    assert sink.delivered == 4 and sink.failed == 0 and failures() == []
    first = r.requests[:3]
    assert len({h[DELIVERY_HEADER] for h, _ in first}) == 1  # retries keep the delivery id: receivers dedupe
    events = []
    for headers, body in r.requests:
        assert headers["Content-Type"].startswith("application/json")
        assert headers[SIGNATURE_HEADER].startswith("sha256=")
        assert verify_signature(SECRET, body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
        events.append(json.loads(body)["event"])
    assert events[2:] == ["stage_started", "stage_finished", "subtitle_written", "replay_written"]


def test_signatures_catch_tampering_a_wrong_secret_and_replays() -> None:
    body = b'{"event":"run_finished"}'
    now = 1_700_000_000
    sig = sign(SECRET, str(now), body)
    assert verify_signature(SECRET, body, str(now), sig, now=now + 10)
    assert not verify_signature(SECRET, body + b" ", str(now), sig, now=now)
    assert not verify_signature("other", body, str(now), sig, now=now)
    assert not verify_signature(SECRET, body, str(now + 1), sig, now=now)  # the timestamp is signed too
    assert not verify_signature(SECRET, body, str(now), sig, now=now + 301)  # an old request replayed
    assert not verify_signature(SECRET, body, None, sig)
    assert not verify_signature(SECRET, body, str(now), None)


def test_without_a_secret_there_is_no_signature(receiver: Callable[..., Receiver]) -> None:
    r = receiver()
    sink = WebhookSink(r.url)
    sink.emit({"event": "x", "time": "t"})
    assert sink.flush(5)
    assert SIGNATURE_HEADER not in r.requests[0][0] and TIMESTAMP_HEADER in r.requests[0][0]


@pytest.mark.parametrize("status", [400, 404, 302])
def test_client_errors_and_redirects_are_reported_not_retried(receiver: Callable[..., Receiver], status: int) -> None:
    r = receiver([status])
    sink = WebhookSink(r.url, backoff=0.05)
    sink.emit({"event": "stage_started", "time": "t"})
    assert sink.flush(5)
    assert len(r.requests) == 1 and sink.failed == 1
    (failure,) = failures()
    assert failure.plugin == "webhook" and f"HTTP {status}" in failure.error and "not retried" in failure.error


def test_an_unreachable_receiver_is_retried_within_the_budget() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connections are refused
    sink = WebhookSink(f"http://127.0.0.1:{port}/hook", backoff=0.05, retries=3, budget=2.0)
    started = time.monotonic()
    assert not sink.deliver({"event": "run_finished"})
    assert time.monotonic() - started < 2.5
    (failure,) = failures()
    assert "after 4 attempt(s)" in failure.error


def test_a_hanging_receiver_never_holds_up_notifications(
    receiver: Callable[..., Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMKIT_HOOK_TIMEOUT", "2")
    r = receiver(hang=True)
    sink = WebhookSink(r.url, timeout=0.5, budget=1.0, flush_timeout=1.0)
    with registered(sink, "webhook", source="sink"):
        started = time.monotonic()
        for n in range(5):
            _pipeline_events(f"run{n}")
        queued = time.monotonic() - started
        notify("run_finished", run_id="run4", recording="fan live.mp4", summary={}, error=None)
        total = time.monotonic() - started
    sink.close(0)
    assert queued < 1.0  # 20 events queued: the pipeline never waited for the receiver
    assert total < 1.0 + 1.5  # run_finished waits at most flush_timeout for the queue
    assert any(f.plugin == "webhook" and f.hook == "flush" and "not yet delivered" in f.error for f in failures())
    assert not any("did not return" in f.error for f in failures())  # the sink itself never hung notify()
    r.wait_for(1)
    assert len(r.requests) >= 1


def test_the_queue_is_bounded(receiver: Callable[..., Receiver]) -> None:
    r = receiver(hang=True)
    sink = WebhookSink(r.url, timeout=0.5, budget=0.5, max_queue=3)
    for n in range(10):
        sink.emit({"event": "stage_started", "time": "t", "n": n})
    assert sink.dropped >= 6
    sink.close(0)


def test_bad_webhook_urls_are_refused_up_front() -> None:
    for url in ("file:///etc/passwd", "example.org/hook", "ftp://example.org/x", "http://"):
        with pytest.raises(ConfigError, match="webhook URL"):
            configure_sinks(webhook=url)


# --------------------------------------------------------------------------- the real pipeline


class FakeTranscriber:
    """A real Transcriber for the test: a fixed Korean sentence, no model."""

    @property
    def choice(self) -> ModelChoice:
        return ModelChoice("fake", "fake", "folder", "test transcriber")

    def transcribe(self, audio: AudioTrack, options: Any, progress: Any = None) -> Transcript:
        words = (Word(100, 600, "안녕하세요"), Word(700, 1200, "여러분"))
        return Transcript("ko", (Utterance(100, 1200, "안녕하세요 여러분", words),), audio.duration_ms, "fake")


@pytest.mark.slow
def test_the_pipeline_runs_on_with_a_hanging_webhook_and_logs_every_event(
    receiver: Callable[..., Receiver], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamkit.job import OutputOptions
    from streamkit.pipeline import SubtitleJob, run_subtitle
    from streamkit.translation.options import TranslateOptions

    from .conftest import make_video

    monkeypatch.setenv("STREAMKIT_HOOK_TIMEOUT", "2")
    r = receiver(hang=True)
    video = make_video(tmp_path / "fan live.mp4", seconds=1.5)
    log = tmp_path / "events.jsonl"
    sinks = configure_sinks(log, r.url, SECRET)
    try:
        started = time.monotonic()
        result = run_subtitle(SubtitleJob(video, outputs=OutputOptions(mux=False),
                                          translate=TranslateOptions(engine="none")), transcriber=FakeTranscriber())
        elapsed = time.monotonic() - started
    finally:
        unregister_sinks(sinks, timeout=0)
    assert result.files and result.files[0].path.is_file()
    assert elapsed < 10  # the receiver hangs forever; the run costs at most the final 1.5 s flush
    events = [json.loads(line)["event"] for line in log.read_text(encoding="utf-8").splitlines()]
    assert events[0] == "stage_started" and events[-1] == "run_finished"
    # media, transcribe, clean, segment, subtitles
    assert events.count("stage_finished") == 5 and "subtitle_written" in events
    assert any(f.plugin == "webhook" for f in failures())
