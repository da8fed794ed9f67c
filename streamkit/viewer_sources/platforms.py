"""The built-in sources: YouTube Data API v3, Twitch Helix, X API v2 (one call per poll each)."""

from __future__ import annotations

import json
import urllib.parse
from datetime import datetime

from ..errors import ConfigError
from ..viewers import ViewerSample
from .base import (
    HttpResponse,
    PollResult,
    PollTarget,
    QuotaExceededError,
    RateLimitedError,
    SourceAuthError,
    SourceContext,
    SourceError,
    _base,
    _exhausted_wait,
    _require,
    _retry_after,
    _Source,
    http_get,
)

__all__ = ["TwitchSource", "XSource", "YouTubeSource"]


# --------------------------------------------------------------------------- YouTube


class YouTubeSource(_Source):
    """YouTube Data API v3 ``videos.list`` (1 quota unit a call; 10,000 units a day by default).

    While the video is live, ``liveStreamingDetails.concurrentViewers`` gives concurrent viewers;
    ``statistics.viewCount`` gives cumulative views. YouTube's quota day starts at midnight
    Pacific time.
    """

    name = "youtube"
    platform = "youtube"
    DEFAULT_URL = "https://www.googleapis.com"

    def __init__(self, context: SourceContext) -> None:
        (self._key,) = _require(context.env, self.name, "STREAMKIT_YOUTUBE_API_KEY")
        self._base = _base(context, "STREAMKIT_YOUTUBE_API_URL", self.DEFAULT_URL)
        self._timeout = context.timeout
        self._clock = context.clock
        raw = context.env.get("STREAMKIT_YOUTUBE_DAILY_QUOTA", "").strip() or "10000"
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"STREAMKIT_YOUTUBE_DAILY_QUOTA={raw!r} is not a positive whole number",
                              key="STREAMKIT_YOUTUBE_DAILY_QUOTA")
        self.daily_units = int(raw)

    def quota_day(self, now: datetime) -> str:
        try:
            from zoneinfo import ZoneInfo

            return now.astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()
        except Exception:  # no time-zone database: UTC days are close enough
            return super().quota_day(now)

    def poll(self, target: PollTarget, now: datetime) -> PollResult:
        query = urllib.parse.urlencode({"part": "liveStreamingDetails,statistics", "id": target.id, "key": self._key})
        response = http_get(self.name, f"{self._base}/youtube/v3/videos?{query}", {}, self._timeout)
        if response.status != 200:
            self._fail(response)
        data = response.json(self.name)
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise SourceError(self.name, f"video {target.id!r} not found (or private)",
                              hint="pass the id from the watch URL (?v=ID)")
        item = items[0] if isinstance(items[0], dict) else {}
        live = item.get("liveStreamingDetails") or {}
        stats = item.get("statistics") or {}
        samples: list[ViewerSample] = []
        notes: list[str] = []
        if "concurrentViewers" in live:
            samples.append(self._sample(target, now, "concurrent", live["concurrentViewers"]))
        elif live:
            notes.append("not live now (no concurrent viewers)")
        if "viewCount" in stats:
            samples.append(self._sample(target, now, "cumulative", stats["viewCount"]))
        else:
            notes.append("view count hidden")
        return PollResult(tuple(samples), None, "; ".join(notes))

    def _fail(self, response: HttpResponse) -> None:
        reasons: list[str] = []
        message = ""
        try:
            error = json.loads(response.body.decode("utf-8")).get("error", {})
            message = str(error.get("message", ""))
            reasons = [str(e.get("reason", "")) for e in error.get("errors", []) if isinstance(e, dict)]
        except (ValueError, AttributeError, UnicodeDecodeError):
            pass
        if response.status == 403 and {"quotaExceeded", "dailyLimitExceeded"} & set(reasons):
            raise QuotaExceededError(self.name, "the YouTube API quota for today is spent (quotaExceeded)")
        if response.status == 429 or {"rateLimitExceeded", "userRateLimitExceeded"} & set(reasons):
            raise RateLimitedError(self.name, "rate limited", _retry_after(response, 60.0, self._clock()))
        if response.status in (400, 401, 403) and (
            {"keyInvalid", "forbidden", "accessNotConfigured", "keyExpired"} & set(reasons) or response.status != 400
        ):
            raise SourceAuthError(self.name, f"the API key was refused (HTTP {response.status}"
                                  f"{', ' + ', '.join(reasons) if reasons else ''})",
                                  hint="check STREAMKIT_YOUTUBE_API_KEY and that the YouTube Data API is enabled")
        raise SourceError(self.name, f"HTTP {response.status}{': ' + message if message else ''}")


# --------------------------------------------------------------------------- Twitch


class TwitchSource(_Source):
    """Twitch Helix ``GET /helix/streams?user_login=`` → ``viewer_count`` (concurrent; none when offline).

    Helix allows 800 points a minute per token; ``Ratelimit-Remaining``/``Ratelimit-Reset``
    are honoured.
    """

    name = "twitch"
    platform = "twitch"
    DEFAULT_URL = "https://api.twitch.tv"

    def __init__(self, context: SourceContext) -> None:
        self._client_id, self._token = _require(context.env, self.name, "STREAMKIT_TWITCH_CLIENT_ID",
                                                "STREAMKIT_TWITCH_TOKEN")
        self._base = _base(context, "STREAMKIT_TWITCH_API_URL", self.DEFAULT_URL)
        self._timeout = context.timeout
        self._clock = context.clock

    def poll(self, target: PollTarget, now: datetime) -> PollResult:
        query = urllib.parse.urlencode({"user_login": target.id.lower()})
        headers = {"Client-Id": self._client_id, "Authorization": f"Bearer {self._token}"}
        response = http_get(self.name, f"{self._base}/helix/streams?{query}", headers, self._timeout)
        if response.status == 429:
            raise RateLimitedError(self.name, "rate limited", _retry_after(response, 60.0, self._clock()))
        if response.status in (401, 403):
            raise SourceAuthError(self.name, f"the token was refused (HTTP {response.status})",
                                  hint="check STREAMKIT_TWITCH_CLIENT_ID and STREAMKIT_TWITCH_TOKEN (an app token)")
        if response.status != 200:
            raise SourceError(self.name, f"HTTP {response.status}")
        data = response.json(self.name)
        streams = data.get("data") if isinstance(data, dict) else None
        if not isinstance(streams, list):
            raise SourceError(self.name, "answer without a data list")
        wait = _exhausted_wait(response, self._clock())
        live = [s for s in streams if isinstance(s, dict) and "viewer_count" in s]
        if not live:
            return PollResult((), wait, f"{target.id} is not live")
        return PollResult((self._sample(target, now, "concurrent", live[0]["viewer_count"]),), wait)


# --------------------------------------------------------------------------- X


class XSource(_Source):
    """X API v2 ``GET /2/tweets/:id`` with the media's ``public_metrics.view_count`` (cumulative views).

    Rate limits are per 15 minutes; ``x-rate-limit-remaining``/``x-rate-limit-reset`` are honoured.
    """

    name = "x"
    platform = "x"
    DEFAULT_URL = "https://api.x.com"

    def __init__(self, context: SourceContext) -> None:
        (self._token,) = _require(context.env, self.name, "STREAMKIT_X_BEARER_TOKEN")
        self._base = _base(context, "STREAMKIT_X_API_URL", self.DEFAULT_URL)
        self._timeout = context.timeout
        self._clock = context.clock

    def poll(self, target: PollTarget, now: datetime) -> PollResult:
        if not target.id.isdigit():
            raise SourceError(self.name, f"{target.id!r} is not a post id", hint="pass the number at the end of the "
                                                                                   "post's URL")
        query = urllib.parse.urlencode({"expansions": "attachments.media_keys", "media.fields": "public_metrics,type"})
        headers = {"Authorization": f"Bearer {self._token}"}
        response = http_get(self.name, f"{self._base}/2/tweets/{target.id}?{query}", headers, self._timeout)
        if response.status == 429:
            raise RateLimitedError(self.name, "rate limited", _retry_after(response, 900.0, self._clock()))
        if response.status in (401, 403):
            raise SourceAuthError(self.name, f"the bearer token was refused (HTTP {response.status})",
                                  hint="check STREAMKIT_X_BEARER_TOKEN")
        if response.status != 200:
            raise SourceError(self.name, f"HTTP {response.status}")
        data = response.json(self.name)
        if not isinstance(data, dict) or "data" not in data:
            errors = data.get("errors", []) if isinstance(data, dict) else []
            detail = errors[0].get("detail") or errors[0].get("title") if errors and isinstance(errors[0], dict) \
                else "no data"
            raise SourceError(self.name, f"post {target.id}: {detail}")
        media = (data.get("includes") or {}).get("media") or []
        keys = ((data["data"].get("attachments") or {}).get("media_keys") or []) if isinstance(data["data"], dict) \
            else []
        views = [m for m in media if isinstance(m, dict) and m.get("media_key") in keys
                 and "view_count" in (m.get("public_metrics") or {})]
        wait = _exhausted_wait(response, self._clock())
        if not views:
            return PollResult((), wait, f"post {target.id} has no video with a view count")
        note = f"{len(views)} videos; the first one's views are used" if len(views) > 1 else ""
        return PollResult((self._sample(target, now, "cumulative", views[0]["public_metrics"]["view_count"]),),
                          wait, note)
