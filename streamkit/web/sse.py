"""Server-Sent Events: publish from any thread, every connected page gets each event once.

Each event gets an increasing id; a page that reconnects (EventSource does by itself) sends
``Last-Event-ID`` and is replayed what it missed from a bounded history, so nothing shown is lost
across a dropped connection.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import StreamingResponse

__all__ = ["EventBroker", "ServerEvent", "sse_response"]


@dataclass(frozen=True)
class ServerEvent:
    id: int
    name: str
    data: str  # JSON text

    def encode(self) -> bytes:
        lines = "".join(f"data: {line}\n" for line in self.data.splitlines() or [""])
        return f"id: {self.id}\nevent: {self.name}\n{lines}\n".encode()


class EventBroker:
    """Thread-safe fan-out of events to async subscribers, with a replay history."""

    def __init__(self, history: int = 1000) -> None:
        self._lock = threading.Lock()
        self._history: deque[ServerEvent] = deque(maxlen=history)
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[ServerEvent | None]]] = set()
        self._next_id = 1
        self._closed = False

    def publish(self, name: str, payload: object) -> ServerEvent:
        """Send ``payload`` (JSON-serializable) as event ``name`` to every page; callable from any thread."""
        with self._lock:
            event = ServerEvent(self._next_id, name, json.dumps(payload, ensure_ascii=False))
            self._next_id += 1
            self._history.append(event)
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(queue.put_nowait, event)
        return event

    def close(self) -> None:
        """End every open stream (the server is stopping)."""
        with self._lock:
            self._closed = True
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    def since(self, last_id: int) -> list[ServerEvent]:
        with self._lock:
            return [e for e in self._history if e.id > last_id]

    async def stream(self, last_id: int = 0, heartbeat: float = 15.0) -> AsyncIterator[bytes]:
        queue: asyncio.Queue[ServerEvent | None] = asyncio.Queue()
        key = (asyncio.get_running_loop(), queue)
        with self._lock:
            backlog = [e for e in self._history if e.id > last_id]
            self._subscribers.add(key)
            closed = self._closed
        try:
            yield b"retry: 1000\n\n"
            for old in backlog:
                yield old.encode()
            sent = backlog[-1].id if backlog else last_id
            while not closed:
                try:
                    event = await asyncio.wait_for(queue.get(), heartbeat)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if event is None:
                    break
                if event.id > sent:
                    sent = event.id
                    yield event.encode()
        finally:
            with self._lock:
                self._subscribers.discard(key)


def sse_response(broker: EventBroker, request: Request) -> StreamingResponse:
    """A ``text/event-stream`` response for ``broker``, resuming after the page's ``Last-Event-ID``."""
    raw = request.headers.get("last-event-id") or request.query_params.get("since") or "0"
    last_id = int(raw) if raw.isdigit() else 0
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(broker.stream(last_id), media_type="text/event-stream", headers=headers)
