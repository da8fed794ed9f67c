"""The one web layer for streamkit's local pages (the live overlay and captions, the review page).

A well-kept ASGI stack: Starlette apps served by uvicorn, events pushed by Server-Sent Events.
The server calls the core, never the CLI; pages are plain HTML, CSS and JavaScript shipped in the
package (``static/`` beside each app), nothing fetched from a CDN. Bound to 127.0.0.1 by default.

| module | what |
|---|---|
| ``server.py`` | ``start_server`` (uvicorn in a thread, port 0 picks a free one), ``check_port``, ``PortInUseError`` |
| ``sse.py`` | ``EventBroker``: publish from any thread, every page gets each event once, replay on reconnect |
"""

from __future__ import annotations

from .server import PortInUseError, RunningServer, check_port, start_server
from .sse import EventBroker, ServerEvent, sse_response

__all__ = [
    "EventBroker",
    "PortInUseError",
    "RunningServer",
    "ServerEvent",
    "check_port",
    "sse_response",
    "start_server",
]
