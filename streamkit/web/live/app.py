"""The live pages' Starlette app: ``/`` captions, ``/overlay`` for OBS, ``/events`` (SSE), ``/api/state``.

Layout is the core's: every caption event carries the lines :mod:`streamkit.segment` cut by the
language's subtitle rules, so the pages only show them. A page that opens late asks ``/api/state``
for the history and the last event id, then follows ``/events?since=ID``; EventSource reconnects
by itself and is replayed what it missed (``Last-Event-ID``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..sse import EventBroker, sse_response

__all__ = ["LiveBoard", "create_app"]

STATIC = Path(str(files(__package__) / "static"))
#: Sentences the captions page gets on opening (older ones are in the rolling SRT files).
HISTORY = 500
#: The two pages share one shell (``static/page.html``): title, body class, body and the call that starts them.
PAGES = {
    "captions": {"title": "captions", "kind": "page", "body": (
        '<header>\n  <h1>Live captions</h1>\n  <p id="status">connecting…</p>\n</header>\n<ol id="history"></ol>'),
        "start": "streamkitLive.history(document.getElementById('history'), document.getElementById('status'));"},
    "overlay": {"title": "overlay", "kind": "overlay", "body": (
        "<!-- OBS Browser Source: http://127.0.0.1:PORT/overlay?lang=en,ko&lines=2 (transparent page). -->\n"
        '<div id="captions" aria-live="polite"></div>'),
        "start": "streamkitLive.overlay(document.getElementById('captions'), new URLSearchParams(location.search));"},
}


@cache
def page(name: str) -> str:
    """The HTML of one live page (``captions`` or ``overlay``)."""
    return Template((STATIC / "page.html").read_text(encoding="utf-8")).substitute(PAGES[name])


@dataclass
class LiveBoard:
    """What the live run publishes to: the SSE broker plus the state a late page starts from."""

    broker: EventBroker = field(default_factory=lambda: EventBroker(history=2000))
    sentences: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_id: int = 0

    def publish(self, name: str, payload: dict[str, Any]) -> None:
        """Thread-safe: keep the snapshot, then push the event to every page."""
        with self._lock:
            if name == "caption":
                self.sentences[(payload["language"], payload["sentence"])] = payload
                if len(self.sentences) > 2 * HISTORY:
                    for key in list(self.sentences)[: len(self.sentences) - 2 * HISTORY]:
                        del self.sentences[key]
            elif name in ("status", "end"):
                self.status = {**self.status, name: payload}
            event = self.broker.publish(name, payload)
            self._last_id = event.id

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"last_id": self._last_id, "captions": list(self.sentences.values()), "status": self.status}


def create_app(board: LiveBoard) -> Starlette:
    async def captions(_request: Request) -> Response:
        return HTMLResponse(page("captions"))

    async def overlay(_request: Request) -> Response:
        return HTMLResponse(page("overlay"))

    async def events(request: Request) -> Response:
        return sse_response(board.broker, request)

    async def state(_request: Request) -> Response:
        return JSONResponse(board.state())

    async def font(_request: Request) -> Response:
        """The bundled Noto Sans KR (the burn-in font): Hangul on an OBS machine without Korean fonts."""
        from ...errors import ConfigError
        from ...mux import FONT_FILE, font_dir

        try:
            path = font_dir() / FONT_FILE
        except ConfigError:
            return Response(status_code=404)
        return FileResponse(path, media_type="font/ttf", headers={"Cache-Control": "max-age=86400"})

    return Starlette(routes=[
        Route("/", captions),
        Route("/overlay", overlay),
        Route("/events", events),
        Route("/api/state", state),
        Route("/font/noto-sans-kr.ttf", font),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
