"""The YouTube, Twitch and X adapters against local servers that speak those APIs."""

from __future__ import annotations

import time

import pytest

from streamkit.errors import ConfigError
from streamkit.viewer_sources import (
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

from .fakes import (
    NOW,
    TWITCH_ID,
    TWITCH_TOKEN,
    X_TOKEN,
    YT_KEY,
    FakePlatforms,
    ctx,
)

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
