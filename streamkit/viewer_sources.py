"""Viewer-count sources and the poller: YouTube, Twitch and X adapters, registered as plugins.

Each source is registered through the ``register_viewer_sources`` hook (this module is a
built-in plugin, loaded exactly like a third-party one) as ``register(name, factory,
description)``; ``factory(SourceContext)`` returns an object with the :class:`ViewerSource`
protocol. API keys come from the environment; base URLs can be pointed elsewhere (tests run
local servers that speak these APIs):

============  ==========================================================  ==================================
source        API call (one per poll)                                      environment
============  ==========================================================  ==================================
``youtube``   Data API v3 ``videos?part=liveStreamingDetails,statistics``  ``STREAMKIT_YOUTUBE_API_KEY``,
              → ``concurrentViewers`` (while live), ``viewCount``          ``STREAMKIT_YOUTUBE_API_URL``,
                                                                           ``STREAMKIT_YOUTUBE_DAILY_QUOTA``
``twitch``    Helix ``streams?user_login=`` → ``viewer_count``             ``STREAMKIT_TWITCH_CLIENT_ID``,
                                                                           ``STREAMKIT_TWITCH_TOKEN``,
                                                                           ``STREAMKIT_TWITCH_API_URL``
``x``         API v2 ``tweets/:id`` + media ``public_metrics.view_count``  ``STREAMKIT_X_BEARER_TOKEN``,
                                                                           ``STREAMKIT_X_API_URL``
============  ==========================================================  ==================================

:class:`Poller` polls targets at an interval, respects each source's daily quota (kept in the
store, so restarts and other processes share it), backs off on ``429``/``Retry-After`` and
rate-limit headers, stops a source for the day on YouTube's ``quotaExceeded``, and holds the
store's poll lock so two pollers never share one database.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from . import __version__
from .errors import ConfigError, StreamkitError
from .hookspecs import hookimpl
from .plugins import collect_registrations
from .redaction import register_secret
from .viewers import DEFAULT_LANGUAGE, ViewerSample, ViewerStore, parse_version

__all__ = [
    "HttpResponse",
    "PollResult",
    "PollSummary",
    "PollTarget",
    "Poller",
    "QuotaExceededError",
    "RateLimitedError",
    "SourceAuthError",
    "SourceContext",
    "SourceError",
    "SourceInfo",
    "TwitchSource",
    "ViewerSource",
    "XSource",
    "YouTubeSource",
    "available_sources",
    "create_source",
    "http_get",
]

log = logging.getLogger("streamkit")

#: No source is polled more often than this, whatever ``--interval`` says.
MIN_INTERVAL_S = 1.0
#: A ``Retry-After`` longer than this is capped (the poller tries again then).
MAX_BACKOFF_S = 3600.0


# --------------------------------------------------------------------------- errors


class SourceError(StreamkitError):
    """A viewer-count source failed (unreachable, unexpected answer); names the source."""

    exit_code = 7

    def __init__(self, source: str, problem: str, *, hint: str | None = None) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"viewer source {source!r}: {problem}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "source": self.source, "problem": self.problem}


class SourceAuthError(SourceError):
    """Missing or rejected credentials: polling this source again will not help."""


class RateLimitedError(SourceError):
    """The API asked to slow down; ``retry_after`` seconds until the next call."""

    def __init__(self, source: str, problem: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(source, problem)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "retry_after": self.retry_after}


class QuotaExceededError(SourceError):
    """The daily quota is spent; the source is not polled again until it resets."""

    default_hint = "wait for the quota to reset, raise it in the provider's console, or poll less often"


# --------------------------------------------------------------------------- HTTP (stdlib)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self, source: str) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SourceError(source, f"answered HTTP {self.status} with something that is not JSON") from None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


_MAX_BODY = 5 * 1024 * 1024


def http_get(source: str, url: str, headers: Mapping[str, str], timeout: float) -> HttpResponse:
    """GET ``url``; any HTTP status is returned, a network failure raises :class:`SourceError`.

    Error messages name the host only: URLs may carry API keys.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(source, f"API address must be http(s)://host, not {parts.scheme or '(none)'}:")
    request = urllib.request.Request(url, headers={"User-Agent": f"streamkit/{__version__}", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResponse(response.status, dict(response.headers.items()), response.read(_MAX_BODY))
    except urllib.error.HTTPError as exc:
        body = exc.read(_MAX_BODY) if exc.fp is not None else b""
        return HttpResponse(exc.code, dict(exc.headers.items()) if exc.headers else {}, body)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(source, f"cannot reach {parts.hostname} ({reason})") from None


def _retry_after(response: HttpResponse, default: float, now: float) -> float:
    """Seconds to wait, from ``Retry-After`` (seconds or HTTP date) or a reset-epoch header."""
    value = response.header("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return min(float(value), MAX_BACKOFF_S)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return min(max(0.0, when.timestamp() - now), MAX_BACKOFF_S)
    for name in ("Ratelimit-Reset", "x-rate-limit-reset"):
        reset = response.header(name)
        if reset and reset.strip().isdigit():
            return min(max(1.0, float(reset) - now), MAX_BACKOFF_S)
    return default


def _exhausted_wait(response: HttpResponse, now: float) -> float | None:
    """If rate-limit headers say no calls are left, seconds until they reset."""
    for remaining, reset in (("Ratelimit-Remaining", "Ratelimit-Reset"),
                             ("x-rate-limit-remaining", "x-rate-limit-reset")):
        left = response.header(remaining)
        if left is not None and left.strip() == "0":
            value = response.header(reset)
            if value and value.strip().isdigit():
                return min(max(1.0, float(value) - now), MAX_BACKOFF_S)
    return None


# --------------------------------------------------------------------------- the protocol


@dataclass(frozen=True)
class PollTarget:
    """What to poll: ``id`` (a video id, a channel login, a post id) on ``source``, for ``stream``/``version``."""

    source: str
    id: str
    stream: str
    version: str = "live"
    language: str | None = None

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ConfigError(f"{self.source}: empty id", key="target")
        object.__setattr__(self, "version", parse_version(self.version))

    @property
    def lang(self) -> str:
        return self.language or DEFAULT_LANGUAGE[self.version]

    def __str__(self) -> str:
        return f"{self.source}:{self.id}"


@dataclass(frozen=True)
class PollResult:
    """One poll's samples; ``wait`` seconds before the next call when the API said so; a ``note``."""

    samples: tuple[ViewerSample, ...] = ()
    wait: float | None = None
    note: str = ""


@dataclass(frozen=True)
class SourceContext:
    """What a source factory may use: the environment (API keys), an overriding base URL, the timeout."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    base_url: str | None = None
    timeout: float = 10.0
    clock: Callable[[], float] = time.time


class ViewerSource(Protocol):
    name: str
    platform: str
    #: Quota units one :meth:`poll` costs, and the units available per day (``None``: no daily quota).
    units_per_poll: int
    daily_units: int | None

    def poll(self, target: PollTarget, now: datetime) -> PollResult: ...

    def quota_day(self, now: datetime) -> str: ...


@dataclass(frozen=True)
class SourceInfo:
    name: str
    factory: Callable[[SourceContext], ViewerSource]
    description: str


def available_sources() -> dict[str, SourceInfo]:
    """Every registered viewer source by name (built-ins and plugins; a plugin that raises registers nothing)."""
    return {name: SourceInfo(name, factory, description)
            for name, (factory, description) in collect_registrations("register_viewer_sources").items()}


def create_source(name: str, context: SourceContext | None = None) -> ViewerSource:
    sources = available_sources()
    if name not in sources:
        raise ConfigError(f"unknown viewer source {name!r}", key="source",
                          hint=f"choose one of: {', '.join(sorted(sources)) or '(none registered)'}")
    return sources[name].factory(context or SourceContext())


def _require(env: Mapping[str, str], source: str, *names: str) -> list[str]:
    values = [env.get(n, "").strip() for n in names]
    missing = [n for n, v in zip(names, values, strict=True) if not v]
    if missing:
        raise SourceAuthError(source, f"needs {' and '.join(missing)} in the environment",
                              hint=f"export {missing[0]}=... (keys are read from the environment only)")
    for value in values:
        register_secret(value)  # never in a log line (a URL with key=... included)
    return values


def _base(context: SourceContext, env_name: str, default: str) -> str:
    return (context.base_url or context.env.get(env_name, "").strip() or default).rstrip("/")


class _Source:
    name = ""
    platform = ""
    units_per_poll = 1
    daily_units: int | None = None

    def quota_day(self, now: datetime) -> str:
        return now.astimezone(UTC).date().isoformat()

    def _sample(self, target: PollTarget, now: datetime, kind: str, value: object) -> ViewerSample:
        try:
            count = int(str(value))
        except ValueError:
            raise SourceError(self.name, f"{target.id}: {kind} count {value!r} is not a number") from None
        if count < 0:
            raise SourceError(self.name, f"{target.id}: {kind} count {count} is negative")
        return ViewerSample(now, target.stream, target.version, target.lang, self.platform, kind, count,
                            f"{self.name}-api")


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


# --------------------------------------------------------------------------- registration


@hookimpl
def register_viewer_sources(register: Callable[..., None]) -> None:
    register("youtube", YouTubeSource, "YouTube Data API v3: concurrent viewers while live, view count")
    register("twitch", TwitchSource, "Twitch Helix: concurrent viewers while live")
    register("x", XSource, "X API v2: a post's video view count")


# --------------------------------------------------------------------------- the poller


@dataclass
class _TargetState:
    target: PollTarget
    source: ViewerSource
    not_before: float = 0.0
    stopped: str = ""


@dataclass
class PollSummary:
    polls: int = 0
    cycles: int = 0
    added: int = 0
    problems: list[str] = field(default_factory=list)
    stopped: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"cycles": self.cycles, "polls": self.polls, "added": self.added, "problems": self.problems,
                "stopped": self.stopped, "interrupted": self.interrupted}


class Poller:
    """Polls every target each ``interval`` seconds and stores what it gets (hooks fire per sample).

    The interval is raised when a source's daily quota could not last a day at it. One target
    failing never stops the others; a target whose credentials are refused is dropped; the
    poller ends when ``count`` cycles or ``duration`` seconds are done, or no target is left.
    """

    def __init__(
        self,
        store: ViewerStore,
        targets: Sequence[PollTarget],
        *,
        interval: float = 60.0,
        sources: Mapping[str, ViewerSource] | None = None,
        context: SourceContext | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        report: Callable[[str], None] | None = None,
    ) -> None:
        if not targets:
            raise ConfigError("nothing to poll", key="target", hint="name at least one --youtube, --twitch, "
                                                                     "--x or --target SOURCE:ID")
        if not interval > 0:
            raise ConfigError(f"interval {interval} must be more than 0 s", key="interval")
        self.store = store
        self._clock = clock
        self._sleep = sleep
        self._report = report or (lambda message: log.info("%s", message))
        made: dict[str, ViewerSource] = dict(sources or {})
        for t in targets:
            if t.source not in made:
                made[t.source] = create_source(t.source, context or SourceContext(clock=clock))
        self.states = [_TargetState(t, made[t.source]) for t in targets]
        self.interval = max(interval, MIN_INTERVAL_S, *(self._quota_interval(s, targets) for s in made.values()))
        if self.interval > interval:
            self._report(f"interval raised from {interval:g} s to {self.interval:g} s to stay within the "
                         "sources' daily quota")

    @staticmethod
    def _quota_interval(source: ViewerSource, targets: Sequence[PollTarget]) -> float:
        if not source.daily_units:
            return 0.0
        calls = sum(1 for t in targets if t.source == source.name)
        return 86400.0 * source.units_per_poll * calls / source.daily_units

    def run(self, *, count: int | None = None, duration: float | None = None) -> PollSummary:
        """Poll until ``count`` cycles / ``duration`` seconds (both ``None``: until Ctrl-C), holding the poll lock."""
        summary = PollSummary()
        with self.store.poll_lock():
            started = self._clock()
            try:
                while True:
                    cycle_start = self._clock()
                    self.cycle(summary)
                    summary.cycles += 1
                    if all(s.stopped for s in self.states):
                        self._report("no target left to poll")
                        break
                    if count is not None and summary.cycles >= count:
                        break
                    next_start = cycle_start + self.interval
                    if duration is not None and next_start - started >= duration:
                        break
                    self._sleep(max(0.0, next_start - self._clock()))
            except KeyboardInterrupt:
                summary.interrupted = True
        return summary

    def cycle(self, summary: PollSummary) -> None:
        """Poll every target that is due once."""
        for state in self.states:
            if state.stopped:
                continue
            now_s = self._clock()
            if now_s < state.not_before:
                continue
            now = datetime.fromtimestamp(now_s, UTC)
            source = state.source
            label = str(state.target)
            if source.daily_units:
                spent = self.store.use_quota(source.name, source.quota_day(now), source.units_per_poll,
                                             source.daily_units)
                if spent is None:
                    state.not_before = now_s + 3600.0
                    summary.problems.append(f"{label}: daily quota of {source.daily_units} units spent; "
                                            "waiting for it to reset")
                    self._report(summary.problems[-1])
                    continue
            summary.polls += 1
            try:
                result = source.poll(state.target, now)
            except SourceAuthError as exc:
                state.stopped = summary.stopped[label] = exc.problem
                summary.problems.append(f"{label}: {exc.problem}; not polled again")
                self._report(summary.problems[-1])
                continue
            except QuotaExceededError as exc:
                state.not_before = now_s + 3600.0
                summary.problems.append(f"{label}: {exc.problem}; next try in an hour")
                self._report(summary.problems[-1])
                continue
            except RateLimitedError as exc:
                state.not_before = now_s + exc.retry_after
                summary.problems.append(f"{label}: {exc.problem}; waiting {exc.retry_after:.0f} s")
                self._report(summary.problems[-1])
                continue
            except SourceError as exc:
                summary.problems.append(f"{label}: {exc.problem}")
                self._report(summary.problems[-1])
                continue
            if result.wait:
                state.not_before = now_s + result.wait
            added = self.store.add(result.samples)
            summary.added += len(added.added)
            values = ", ".join(f"{s.kind} {s.value:,}" for s in result.samples) or "no sample"
            self._report(f"{label}: {values}{'; ' + result.note if result.note else ''}")
