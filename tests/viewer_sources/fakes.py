"""Local servers on 127.0.0.1 that speak the YouTube, Twitch and X APIs, and the fixture pointing streamkit at them."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from streamkit.plugins import reset_plugin_manager
from streamkit.viewer_sources import (
    SourceContext,
)

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

