"""The shared web layer: a real uvicorn server on 127.0.0.1, SSE to a real client and to Chromium."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from streamkit.web import EventBroker, PortInUseError, check_port, start_server

PAGE = """<!doctype html><meta charset="utf-8"><ul id="log"></ul><script>
const es = new EventSource('/events');
es.addEventListener('line', e => {
  const li = document.createElement('li'); li.textContent = JSON.parse(e.data).text;
  document.getElementById('log').append(li);
});
</script>"""


def make_app(broker: EventBroker) -> Starlette:
    async def events(request: Request) -> Response:
        from streamkit.web import sse_response

        return sse_response(broker, request)

    async def index(_request: Request) -> Response:
        return HTMLResponse(PAGE)

    return Starlette(routes=[Route("/", index), Route("/events", events)])


def read_events(url: str, want: int, headers: dict[str, str] | None = None) -> list[str]:
    lines: list[str] = []
    with httpx.stream("GET", url, headers=headers or {}, timeout=10) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                lines.append(line[6:])
                if len(lines) == want:
                    break
    return lines


def test_port_zero_serves_on_loopback_and_stops() -> None:
    broker = EventBroker()
    with start_server(make_app(broker)) as server:
        assert server.host == "127.0.0.1" and server.port > 0
        assert httpx.get(server.url + "/", timeout=5).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/", timeout=2)


def test_a_taken_port_is_a_clear_error_before_any_work() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use") as info:
            check_port("127.0.0.1", port)
        assert "--port" in info.value.hint
        with pytest.raises(PortInUseError):
            start_server(make_app(EventBroker()), port=port)
    finally:
        holder.close()


def test_events_reach_a_client_and_a_reconnect_replays_what_it_missed() -> None:
    broker = EventBroker()
    with start_server(make_app(broker)) as server:
        got: list[str] = []
        reader = threading.Thread(target=lambda: got.extend(read_events(server.url + "/events", 2)))
        reader.start()
        time.sleep(0.5)
        broker.publish("line", {"text": "안녕하세요"})
        broker.publish("line", {"text": "BTS"})
        reader.join(10)
        assert got == ['{"text": "안녕하세요"}', '{"text": "BTS"}']
        broker.publish("line", {"text": "missed"})
        assert read_events(server.url + "/events", 1, {"Last-Event-ID": "2"}) == ['{"text": "missed"}']
        broker.close()


@pytest.mark.browser
def test_a_page_in_chromium_shows_events_in_order(page: Any) -> None:
    broker = EventBroker()
    with start_server(make_app(broker)) as server:
        page.goto(server.url + "/")
        page.wait_for_function("() => true")
        time.sleep(0.3)
        for text in ["하나", "둘", "셋"]:
            broker.publish("line", {"text": text})
        page.wait_for_function("document.querySelectorAll('#log li').length === 3", timeout=5000)
        assert page.locator("#log li").all_inner_texts() == ["하나", "둘", "셋"]
        broker.close()
