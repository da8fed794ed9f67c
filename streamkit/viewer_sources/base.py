"""What every viewer source shares: its errors, the stdlib HTTP call, the protocol, the registry."""

from __future__ import annotations

import email.utils
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .._version import __version__
from ..errors import ConfigError, StreamkitError
from ..redaction import register_secret
from ..registry import Registered, Registry
from ..viewers import DEFAULT_LANGUAGE, ViewerSample, parse_version

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


#: The viewer sources registered through ``register_viewer_sources`` (built-ins and plugins alike).
SOURCES: Registry[SourceContext, ViewerSource] = Registry("register_viewer_sources", key="source", kind="viewer source")

#: One registered source: ``name``, ``factory(SourceContext)`` and its ``description``.
SourceInfo = Registered


def available_sources() -> dict[str, Registered[SourceContext, ViewerSource]]:
    """Every registered viewer source by name (built-ins and plugins; a plugin that raises registers nothing)."""
    return SOURCES.available()


def create_source(name: str, context: SourceContext | None = None) -> ViewerSource:
    """The source ``name`` made for ``context``; an unknown name is a :class:`ConfigError` listing the known ones."""
    return SOURCES.create(name, context or SourceContext())


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
