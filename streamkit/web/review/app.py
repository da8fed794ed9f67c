"""The review page's Starlette app: the page, the video (with HTTP Range), the JSON API, and SSE.

| route | what |
|---|---|
| ``GET /`` , ``/static/*`` | the page (plain HTML, CSS, JavaScript from ``static/``) |
| ``GET /video`` | the recording, with Range requests so the ``<video>`` element can seek |
| ``GET /font/noto-sans-kr.ttf`` | the Korean font streamkit ships for burn-in, so Hangul shows everywhere |
| ``GET /api/session`` | the video, every track with its version, the rules, the check codes |
| ``POST /api/check`` | ``{tracks: {LANG: cues}}`` -> problems by cue id, counts, voiced stretches with no cue |
|  | (``names_pending``: the glossary check of some cues is still running: ask again) |
| ``POST /api/fix`` | ``{language, cues, id?}`` -> ``streamkit fix`` on one cue or all |
| ``POST /api/retranslate`` | ``{ko: cues, en: cues}`` -> the new English, the cues touched |
| ``POST /api/save`` | ``{language, version, cues, retranslation?}`` -> the new version; 409 when the file changed |
|  | on disk; ``retranslation`` (a token) writes the draft record of the re-translation the English holds |
| ``GET /api/track/{language}`` | the file as it is on disk now |
| ``POST /api/mux`` | starts the mux in a thread; progress as ``mux`` events on ``/events`` |

POST bodies are JSON (``Content-Type: application/json``, else 415). Errors are JSON
``{"error", "hint", ...facts}``: 422 bad data, 404 unknown cue or track, 409 a stale
file, 502 the translation engine failed, 500 anything else the core refused (a write that failed).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ...errors import StreamkitError, TranslationError
from ..sse import EventBroker, sse_response
from .cues import EditCue, RequestError, StaleFileError, parse_cues
from .session import ReviewSession
from .voice import speech_spans

__all__ = ["STATIC", "check_in_background", "create_app"]

STATIC = Path(__file__).with_name("static")
JSON = "application/json"
#: The names the page is served under; any other Host header (DNS rebinding) is refused.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
log = logging.getLogger("streamkit")

Handler = Callable[[Request], Awaitable[Response]]


def _error(exc: StreamkitError) -> JSONResponse:
    status = 500  # the server could not do it (a write failed, an engine is misconfigured)
    if isinstance(exc, RequestError | StaleFileError):
        status = exc.status
    elif isinstance(exc, TranslationError):
        status = 502
    facts = {k: (str(v) if isinstance(v, Path) else v) for k, v in exc._facts().items() if k != "message"}
    return JSONResponse({**facts, "error": exc.message, "status": status}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise RequestError(f"the request body is not JSON ({exc})", field="body") from exc
    if not isinstance(data, dict):
        raise RequestError("the request body must be a JSON object", field="body")
    return data


def _tracks(data: dict[str, Any]) -> dict[str, list[EditCue]]:
    tracks = data.get("tracks")
    if not isinstance(tracks, dict):
        raise RequestError("tracks must be an object: language -> cues", field="tracks")
    return {str(lang): parse_cues(cues, field=f"tracks.{lang}") for lang, cues in tracks.items()}


def _api(work: Callable[[dict[str, Any]], object]) -> Handler:
    """A JSON endpoint: the body parsed, ``work`` run on the thread pool, errors as JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            if request.method == "POST" and request.headers.get("content-type", "").split(";")[0] != JSON:
                # Another site's page can send a "simple" cross-origin POST; a JSON one needs our consent.
                raise RequestError(f"send the body as {JSON}", status=415, field="content-type")
            data = await _body(request) if request.method == "POST" else dict(request.path_params)
            return JSONResponse(await run_in_threadpool(work, data))
        except StreamkitError as exc:
            return _error(exc)

    return endpoint


def check_in_background(session: ReviewSession, broker: EventBroker, *, voice: bool = True) -> threading.Thread:
    """In the background: check the tracks as loaded (names too: seconds for a long show), then find
    the recording's speech (``voice``); the page checks again on each ``checked`` event."""

    def run() -> None:
        session.warm()
        broker.publish("checked", {"what": "names"})
        if not voice:
            return
        try:
            session.speech = speech_spans(session.video)
            broker.publish("checked", {"what": "speech", "spans": len(session.speech)})
        except StreamkitError as exc:
            log.warning("no voiced-stretch check: %s", exc)
            broker.publish("checked", {"what": "speech", "error": exc.message})

    thread = threading.Thread(target=run, name="streamkit-review-speech", daemon=True)
    thread.start()
    return thread


class _Muxer:
    """One mux at a time, in a thread, its progress published as ``mux`` events."""

    def __init__(self, session: ReviewSession, broker: EventBroker) -> None:
        self.session, self.broker = session, broker
        self._lock = threading.Lock()
        self.running = False

    def start(self, _data: dict[str, Any]) -> dict[str, object]:
        with self._lock:
            if self.running:
                raise RequestError("the replay is being muxed already", status=409)
            self.running = True
        threading.Thread(target=self._run, name="streamkit-review-mux", daemon=True).start()
        return {"started": True}

    def _run(self) -> None:
        def progress(done: float, total: float) -> None:
            self.broker.publish("mux", {"state": "running", "done": done, "total": total})

        try:
            self.broker.publish("mux", {"state": "running", "done": 0, "total": self.session.info.duration_ms / 1000})
            path = self.session.mux(progress)
            self.broker.publish("mux", {"state": "done", "path": str(path), "file": path.name})
        except StreamkitError as exc:
            self.broker.publish("mux", {"state": "failed", "error": exc.message, "hint": exc.hint})
        finally:
            with self._lock:
                self.running = False


def create_app(session: ReviewSession, broker: EventBroker | None = None, *,
               hosts: Sequence[str] = LOCAL_HOSTS) -> Starlette:
    """The review page for ``session``; events (checks done, mux progress) go through ``broker``.

    Only requests naming one of ``hosts`` are answered (the server binds 127.0.0.1; this stops a
    web page from reaching it through a DNS name that points there).
    """
    events = broker or EventBroker()
    muxer = _Muxer(session, events)

    def fix(data: dict[str, Any]) -> object:
        only = data.get("id")
        if only is not None and not isinstance(only, str):
            raise RequestError("id must be a cue id (a string)", field="id")
        return session.fix(data.get("language"), parse_cues(data.get("cues")), only)

    def retranslate(data: dict[str, Any]) -> object:
        return session.retranslate(parse_cues(data.get("ko"), field="ko"), parse_cues(data.get("en"), field="en"))

    def save(data: dict[str, Any]) -> object:
        token = data.get("retranslation")
        if token is not None and not isinstance(token, str):
            raise RequestError("retranslation must be the token /api/retranslate returned", field="retranslation")
        return session.save(data.get("language"), data.get("version"), parse_cues(data.get("cues")), token)

    async def index(_request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def video(_request: Request) -> Response:
        return FileResponse(session.video)  # Starlette answers Range requests (206) itself

    async def font(_request: Request) -> Response:
        from ...mux import FONT_FILE, font_dir

        try:  # the Korean font the burn-in uses: Hangul shows on machines without a Korean font
            return FileResponse(font_dir() / FONT_FILE, headers={"Cache-Control": "max-age=86400"})
        except StreamkitError as exc:
            return _error(RequestError(exc.message, status=404))

    async def sse(request: Request) -> Response:
        return sse_response(events, request)

    routes = [
        Route("/", index),
        Route("/video", video),
        Route("/events", sse),
        Route("/font/noto-sans-kr.ttf", font),
        Route("/api/session", _api(lambda _data: session.snapshot())),
        Route("/api/check", _api(lambda data: session.check(_tracks(data))), methods=["POST"]),
        Route("/api/fix", _api(fix), methods=["POST"]),
        Route("/api/retranslate", _api(retranslate), methods=["POST"]),
        Route("/api/save", _api(save), methods=["POST"]),
        Route("/api/track/{language}", _api(lambda data: session.reload(data["language"]))),
        Route("/api/mux", _api(muxer.start), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))])
    app.state.session = session
    app.state.broker = events
    return app
