"""YouTube, Twitch and X pollers against local servers on 127.0.0.1 that speak those APIs."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from streamkit.errors import ConfigError
from streamkit.plugins import reset_plugin_manager
from streamkit.viewer_sources import (
    Poller,
    PollTarget,
    QuotaExceededError,
    RateLimitedError,
    SourceAuthError,
    SourceContext,
    SourceError,
    TwitchSource,
    XSource,
    YouTubeSource,
    available_sources,
    create_source,
)
from streamkit.viewers import ViewerStore

YT_KEY, TWITCH_ID, TWITCH_TOKEN, X_TOKEN = "yt-key", "twitch-client", "twitch-token", "x-token"
NOW = datetime(2024, 5, 1, 11, 0, tzinfo=UTC)


class FakePlatforms:
    """One local HTTP server answering like the YouTube Data API v3, Twitch Helix and X API v2.

    ``counts`` holds what each platform reports; ``script[path_prefix]`` queues canned
    ``(status, body, headers)`` answers that are served first.
    """

    def __init__(self) -> None:
        self.counts: dict[str, Any] = {"yt_concurrent": "31200", "yt_views": "1300000", "twitch_live": True,
                                       "twitch_viewers": 9100, "x_views": 1200000}
        self.script: dict[str, list[tuple[int, Any, dict[str, str]]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        platforms = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                platforms.requests.append((self.path, dict(self.headers.items())))
                status, body, headers = platforms.answer(self.path, self.headers)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, raw_path: str, headers: Any) -> tuple[int, Any, dict[str, str]]:
        url = urllib.parse.urlsplit(raw_path)
        query = dict(urllib.parse.parse_qsl(url.query))
        for prefix, queued in self.script.items():
            if url.path.startswith(prefix) and queued:
                return queued.pop(0)
        if url.path == "/youtube/v3/videos":
            if query.get("key") != YT_KEY:
                return 400, {"error": {"code": 400, "message": "API key not valid.",
                                       "errors": [{"reason": "keyInvalid"}]}}, {}
            assert query["part"] == "liveStreamingDetails,statistics"
            if query["id"] != "live123":
                return 200, {"kind": "youtube#videoListResponse", "items": []}, {}
            live: dict[str, Any] = {"actualStartTime": "2024-05-01T11:00:00Z"}
            if self.counts["yt_concurrent"] is not None:
                live["concurrentViewers"] = self.counts["yt_concurrent"]
            return 200, {"items": [{"id": "live123", "liveStreamingDetails": live,
                                    "statistics": {"viewCount": self.counts["yt_views"], "likeCount": "5"}}]}, {}
        if url.path == "/helix/streams":
            if headers.get("Client-Id") != TWITCH_ID or headers.get("Authorization") != f"Bearer {TWITCH_TOKEN}":
                return 401, {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, {}
            data = [{"user_login": query["user_login"], "type": "live", "viewer_count": self.counts["twitch_viewers"]}]
            return 200, {"data": data if self.counts["twitch_live"] else [], "pagination": {}}, {
                "Ratelimit-Limit": "800", "Ratelimit-Remaining": "799", "Ratelimit-Reset": str(int(time.time()) + 60)}
        if url.path.startswith("/2/tweets/"):
            if headers.get("Authorization") != f"Bearer {X_TOKEN}":
                return 401, {"title": "Unauthorized", "status": 401}, {}
            assert query["expansions"] == "attachments.media_keys" and "public_metrics" in query["media.fields"]
            post = url.path.rsplit("/", 1)[1]
            if post != "1790000000000000000":
                return 200, {"errors": [{"title": "Not Found Error", "detail": f"Could not find tweet with id: "
                                                                             f"[{post}]."}]}, {}
            return 200, {"data": {"id": post, "text": "live!", "attachments": {"media_keys": ["13_1"]}},
                         "includes": {"media": [{"media_key": "13_1", "type": "video",
                                                 "public_metrics": {"view_count": self.counts["x_views"]}}]}}, {
                "x-rate-limit-remaining": "899", "x-rate-limit-reset": str(int(time.time()) + 900)}
        return 404, {"error": "no such endpoint"}, {}


@pytest.fixture
def platforms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatforms]:
    fake = FakePlatforms()
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STREAMKIT_LOAD_PLUGINS", "")
    for var, value in {"STREAMKIT_YOUTUBE_API_KEY": YT_KEY, "STREAMKIT_TWITCH_CLIENT_ID": TWITCH_ID,
                       "STREAMKIT_TWITCH_TOKEN": TWITCH_TOKEN, "STREAMKIT_X_BEARER_TOKEN": X_TOKEN}.items():
        monkeypatch.setenv(var, value)
    for var in ("STREAMKIT_YOUTUBE_API_URL", "STREAMKIT_TWITCH_API_URL", "STREAMKIT_X_API_URL"):
        monkeypatch.setenv(var, fake.url)
    monkeypatch.delenv("STREAMKIT_YOUTUBE_DAILY_QUOTA", raising=False)
    reset_plugin_manager()
    yield fake
    fake.close()
    reset_plugin_manager()


def ctx() -> SourceContext:
    return SourceContext()  # the environment the fixture set: keys and local base URLs


# --------------------------------------------------------------------------- the adapters


def test_the_built_in_sources_are_registered_through_the_hook(platforms: FakePlatforms) -> None:
    sources = available_sources()
    assert {"youtube", "twitch", "x"} <= set(sources)
    assert isinstance(create_source("youtube"), YouTubeSource)
    with pytest.raises(ConfigError, match="unknown viewer source 'weverse'"):
        create_source("weverse")


def test_youtube_gives_concurrent_viewers_while_live_and_the_view_count(platforms: FakePlatforms) -> None:
    result = YouTubeSource(ctx()).poll(PollTarget("youtube", "live123", "decade-live"), NOW)
    assert [(s.kind, s.value, s.platform, s.language, s.source) for s in result.samples] == [
        ("concurrent", 31_200, "youtube", "ko", "youtube-api"),
        ("cumulative", 1_300_000, "youtube", "ko", "youtube-api"),
    ]
    assert all(s.time == NOW for s in result.samples)
    platforms.counts["yt_concurrent"] = None  # the broadcast ended
    ended = YouTubeSource(ctx()).poll(PollTarget("youtube", "live123", "decade-live", "replay"), NOW)
    assert [(s.kind, s.version, s.language) for s in ended.samples] == [("cumulative", "replay", "en")]
    assert "not live now" in ended.note
    with pytest.raises(SourceError, match="not found"):
        YouTubeSource(ctx()).poll(PollTarget("youtube", "nope", "decade-live"), NOW)
    assert f"key={YT_KEY}" in platforms.requests[0][0]


def test_youtube_quota_and_rate_limits_and_a_bad_key(platforms: FakePlatforms, monkeypatch: pytest.MonkeyPatch) -> None:
    quota = {"error": {"code": 403, "message": "The request cannot be completed because you have exceeded your "
                       "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                       "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}}
    platforms.script["/youtube"] = [(403, quota, {}), (429, {"error": {"errors": []}}, {"Retry-After": "120"})]
    source = YouTubeSource(ctx())
    target = PollTarget("youtube", "live123", "decade-live")
    with pytest.raises(QuotaExceededError, match="quota for today is spent"):
        source.poll(target, NOW)
    with pytest.raises(RateLimitedError) as limited:
        source.poll(target, NOW)
    assert limited.value.retry_after == 120
    monkeypatch.setenv("STREAMKIT_YOUTUBE_API_KEY", "wrong")
    with pytest.raises(SourceAuthError, match=r"key was refused \(HTTP 400, keyInvalid\)") as refused:
        YouTubeSource(ctx()).poll(target, NOW)
    assert "wrong" not in str(refused.value)  # keys never end up in messages


def test_twitch_gives_viewer_count_and_nothing_while_offline(platforms: FakePlatforms) -> None:
    target = PollTarget("twitch", "DecadeLive", "decade-live")
    result = TwitchSource(ctx()).poll(target, NOW)
    assert [(s.kind, s.value, s.platform) for s in result.samples] == [("concurrent", 9100, "twitch")]
    path, headers = platforms.requests[-1]
    assert path == "/helix/streams?user_login=decadelive"
    assert headers["Client-Id"] == TWITCH_ID and headers["Authorization"] == f"Bearer {TWITCH_TOKEN}"
    platforms.counts["twitch_live"] = False
    offline = TwitchSource(ctx()).poll(target, NOW)
    assert offline.samples == () and "not live" in offline.note
    reset = str(int(time.time()) + 30)
    platforms.script["/helix"] = [(200, {"data": []}, {"Ratelimit-Remaining": "0", "Ratelimit-Reset": reset}),
                                  (429, {"message": "Too Many Requests"}, {"Ratelimit-Reset": reset})]
    assert 25 <= (TwitchSource(ctx()).poll(target, NOW).wait or 0) <= 31  # no calls left: wait for the reset
    with pytest.raises(RateLimitedError) as limited:
        TwitchSource(ctx()).poll(target, NOW)
    assert 25 <= limited.value.retry_after <= 31


def test_x_gives_the_video_view_count(platforms: FakePlatforms) -> None:
    target = PollTarget("x", "1790000000000000000", "decade-live", "replay")
    result = XSource(ctx()).poll(target, NOW)
    assert [(s.kind, s.value, s.platform, s.language) for s in result.samples] == [("cumulative", 1_200_000, "x", "en")]
    assert platforms.requests[-1][1]["Authorization"] == f"Bearer {X_TOKEN}"
    with pytest.raises(SourceError, match="Could not find tweet"):
        XSource(ctx()).poll(PollTarget("x", "1", "decade-live"), NOW)
    with pytest.raises(SourceError, match="not a post id"):
        XSource(ctx()).poll(PollTarget("x", "https://x.com/a/status/1", "decade-live"), NOW)


def test_missing_or_refused_credentials(platforms: FakePlatforms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMKIT_TWITCH_TOKEN")
    with pytest.raises(SourceAuthError, match="needs STREAMKIT_TWITCH_TOKEN in the environment"):
        TwitchSource(ctx())
    monkeypatch.setenv("STREAMKIT_TWITCH_TOKEN", "expired")
    with pytest.raises(SourceAuthError, match="token was refused"):
        TwitchSource(ctx()).poll(PollTarget("twitch", "decadelive", "decade-live"), NOW)
    monkeypatch.setenv("STREAMKIT_X_BEARER_TOKEN", "bad")
    with pytest.raises(SourceAuthError, match="bearer token was refused"):
        XSource(ctx()).poll(PollTarget("x", "1790000000000000000", "decade-live"), NOW)


def test_an_unreachable_api_is_a_source_error_naming_only_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = YouTubeSource(SourceContext(env={"STREAMKIT_YOUTUBE_API_KEY": "k"}, base_url=f"http://127.0.0.1:{port}",
                                         timeout=2))
    with pytest.raises(SourceError, match=r"cannot reach 127\.0\.0\.1") as info:
        source.poll(PollTarget("youtube", "live123", "decade-live"), NOW)
    assert "key=" not in str(info.value)


# --------------------------------------------------------------------------- the poller


class FakeClock:
    def __init__(self) -> None:
        self.now = NOW.timestamp()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_poller_stores_every_target_each_round_and_fires_hooks(platforms: FakePlatforms, tmp_path: Path) -> None:
    clock = FakeClock()
    targets = [PollTarget("youtube", "live123", "decade-live"), PollTarget("twitch", "decadelive", "decade-live"),
               PollTarget("x", "1790000000000000000", "decade-live")]
    lines: list[str] = []
    with ViewerStore(tmp_path / "v.sqlite") as store:
        poller = Poller(store, targets, interval=30, clock=clock, sleep=clock.sleep, report=lines.append)
        summary = poller.run(count=3)
        samples = store.samples()
    assert summary.cycles == 3 and summary.polls == 9 and summary.added == 12 and not summary.problems
    assert clock.sleeps == [30, 30]
    assert {(s.platform, s.kind) for s in samples} == {("youtube", "concurrent"), ("youtube", "cumulative"),
                                                       ("twitch", "concurrent"), ("x", "cumulative")}
    assert any("youtube:live123: concurrent 31,200, cumulative 1,300,000" in line for line in lines)


def test_the_poller_raises_the_interval_to_fit_the_daily_quota_and_stops_when_spent(
    platforms: FakePlatforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMKIT_YOUTUBE_DAILY_QUOTA", "4")
    clock = FakeClock()
    lines: list[str] = []
    with ViewerStore(tmp_path / "v.sqlite") as store:
        poller = Poller(store, [PollTarget("youtube", "live123", "decade-live")], interval=1, clock=clock,
                        sleep=clock.sleep, report=lines.append)
        assert poller.interval == 86400 / 4  # four calls a day at most
        assert "interval raised from 1 s to 21600 s" in lines[0]
        poller.interval = 1  # force it: the quota kept in the store still stops it
        summary = poller.run(count=6)
        assert summary.polls == 4 and store.quota_used("youtube", "2024-05-01") == 4
        assert any("daily quota of 4 units spent" in p for p in summary.problems)
    with ViewerStore(tmp_path / "v.sqlite") as store:  # a restarted poller shares the day's budget
        summary = Poller(store, [PollTarget("youtube", "live123", "decade-live")], interval=1, clock=clock,
                         sleep=clock.sleep, report=lines.append).run(count=1)
        assert summary.polls == 0


def test_the_poller_backs_off_on_429_and_quota_and_drops_refused_targets(
    platforms: FakePlatforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    platforms.script["/youtube"] = [(429, {"error": {"errors": []}}, {"Retry-After": "95"})]
    platforms.script["/helix"] = [(401, {"message": "Invalid OAuth token"}, {})]
    targets = [PollTarget("youtube", "live123", "decade-live"), PollTarget("twitch", "decadelive", "decade-live")]
    with ViewerStore(tmp_path / "v.sqlite") as store:
        poller = Poller(store, targets, interval=30, clock=clock, sleep=clock.sleep, report=lambda m: None)
        summary = poller.run(count=6)
    youtube_calls = [p for p, _ in platforms.requests if p.startswith("/youtube")]
    twitch_calls = [p for p, _ in platforms.requests if p.startswith("/helix")]
    assert len(twitch_calls) == 1 and summary.stopped == {"twitch:decadelive": "the token was refused (HTTP 401)"}
    assert len(youtube_calls) == 3  # t=0 (429, wait 95 s), skipped at 30, 60, 90; polled at 120 and 150
    assert summary.added == 4


def test_the_poller_ends_when_no_target_is_left_and_respects_duration(
    platforms: FakePlatforms, tmp_path: Path
) -> None:
    clock = FakeClock()
    platforms.script["/helix"] = [(401, {}, {})]
    with ViewerStore(tmp_path / "v.sqlite") as store:
        summary = Poller(store, [PollTarget("twitch", "a", "s")], interval=10, clock=clock, sleep=clock.sleep,
                         report=lambda m: None).run()
        assert summary.cycles == 1 and summary.stopped
        summary = Poller(store, [PollTarget("twitch", "a", "s")], interval=10, clock=clock, sleep=clock.sleep,
                         report=lambda m: None).run(duration=35)
        assert summary.cycles == 4  # at 0, 10, 20, 30
    with pytest.raises(ConfigError, match="nothing to poll"), ViewerStore(tmp_path / "v.sqlite") as store:
        Poller(store, [])
