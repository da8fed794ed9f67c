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

Where things live (import from ``streamkit.viewer_sources``): ``base.py`` (the errors, the stdlib
HTTP call, :class:`PollTarget`, :class:`PollResult`, :class:`SourceContext`, the
:class:`ViewerSource` protocol and :data:`SOURCES`, the :class:`~streamkit.registry.Registry` of
sources), ``platforms.py`` (the three adapters), ``poller.py`` (:class:`Poller`). This module is
the built-in plugin: it registers the three sources.
"""

from __future__ import annotations

from collections.abc import Callable

from ..hookspecs import hookimpl
from .base import (
    MAX_BACKOFF_S,
    MIN_INTERVAL_S,
    SOURCES,
    HttpResponse,
    PollResult,
    PollTarget,
    QuotaExceededError,
    RateLimitedError,
    SourceAuthError,
    SourceContext,
    SourceError,
    SourceInfo,
    ViewerSource,
    available_sources,
    create_source,
    http_get,
)
from .platforms import TwitchSource, XSource, YouTubeSource
from .poller import Poller, PollSummary

__all__ = [
    "MAX_BACKOFF_S",
    "MIN_INTERVAL_S",
    "SOURCES",
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


@hookimpl
def register_viewer_sources(register: Callable[..., None]) -> None:
    register("youtube", YouTubeSource, "YouTube Data API v3: concurrent viewers while live, view count")
    register("twitch", TwitchSource, "Twitch Helix: concurrent viewers while live")
    register("x", XSource, "X API v2: a post's video view count")
