"""An OpenAI-compatible chat-completions server for tests, on 127.0.0.1, that checks what it is sent.

``POST /v1/chat/completions`` answers the way a local Ollama or llama.cpp server does, with a
deterministic "translation" (the LibreTranslate test server's phrase book and romanization: a
stand-in for a model's answer, not a model). Every request is checked as a real server would need
it: a model name, JSON mode (``response_format``), a system and a user message, the user message a
JSON document with numbered ``sentences`` (and optionally ``context``, ``names``, ``show``); a
request that breaks the contract gets HTTP 400 and is recorded in ``problems``.

Misbehaviour is scripted per request with :meth:`LlmServer.fail`: ``"wrong-count"`` (one translation
missing), ``"invalid-json"`` (prose instead of JSON), ``"fenced"`` (valid JSON inside a Markdown code
fence, which is accepted), ``"500"``, ``"429"``, ``"401"``, ``"empty"``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .libre_server import LibreServer

__all__ = ["LlmRequest", "LlmServer"]


@dataclass(frozen=True)
class LlmRequest:
    """One chat request, as the server understood it."""

    headers: dict[str, str]
    body: dict[str, Any]
    document: dict[str, Any]
    answered: tuple[str, ...] = ()  # the sentences a well-formed answer covered

    @property
    def sentences(self) -> list[str]:
        return list(self.document.get("sentences", {}).values())


@dataclass
class _State:
    failures: deque[str] = field(default_factory=deque)
    requests: list[LlmRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LlmServer:
    """``with LlmServer() as server:``; ``server.url`` is the ``/v1`` base (what --translator-url takes)."""

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.state = _State()
        self.phrasebook = LibreServer()  # its translate_line only; never started
        handler = type("Handler", (_Handler,), {"owner": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LlmServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.phrasebook.httpd.server_close()

    def fail(self, *kinds: str) -> None:
        with self.state.lock:
            self.state.failures.extend(kinds)

    @property
    def requests(self) -> list[LlmRequest]:
        with self.state.lock:
            return list(self.state.requests)

    @property
    def problems(self) -> list[str]:
        with self.state.lock:
            return list(self.state.problems)

    def answered(self) -> list[str]:
        """Every sentence covered by a well-formed answer, in order (a sentence translated twice shows twice)."""
        return [s for r in self.requests for s in r.answered]

    def _next_failure(self) -> str | None:
        with self.state.lock:
            return self.state.failures.popleft() if self.state.failures else None


class _Handler(BaseHTTPRequestHandler):
    owner: LlmServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _problem(self, text: str) -> None:
        with self.owner.state.lock:
            self.owner.state.problems.append(text)
        self._send(400, {"error": {"message": text}})

    def do_POST(self) -> None:
        owner = self.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        raw = self.rfile.read(int(headers.get("content-length", "0") or 0))
        if not self.path.rstrip("/").endswith("/v1/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        if owner.api_key and headers.get("authorization") != f"Bearer {owner.api_key}":
            self._send(401, {"error": {"message": "invalid api key"}})
            return
        try:
            body = json.loads(raw)
            messages = body["messages"]
            document = json.loads(messages[-1]["content"])
        except (ValueError, KeyError, IndexError, TypeError):
            self._problem("the request is not a chat request with a JSON user message")
            return
        checks = [
            (bool(body.get("model")), "no model named"),
            (body.get("response_format") == {"type": "json_object"}, "JSON mode not asked for"),
            ([m.get("role") for m in messages] == ["system", "user"], "not one system and one user message"),
            (isinstance(document.get("sentences"), dict) and bool(document["sentences"]), "no numbered sentences"),
        ]
        for ok, problem in checks:
            if not ok:
                self._problem(problem)
                return
        self._answer(headers, body, document, owner._next_failure())

    def _answer(
        self, headers: dict[str, str], body: dict[str, Any], document: dict[str, Any], failure: str | None
    ) -> None:
        owner = self.owner
        numbered: dict[str, str] = document["sentences"]
        translations = {k: owner.phrasebook.translate_line(v) for k, v in numbered.items()}
        if failure in ("500", "429", "401"):
            status = int(failure)
            self._record(headers, body, document, ())
            self._send(status, {"error": {"message": f"scripted {status}"}})
            return
        if failure == "wrong-count" and len(translations) > 1:
            translations.pop(sorted(translations, key=int)[-1])
        content = json.dumps({"translations": translations}, ensure_ascii=False)
        if failure == "invalid-json":
            content = "Sure! Here are the translations:\n" + "\n".join(translations.values())
        elif failure == "fenced":
            content = f"```json\n{content}\n```"
        elif failure == "empty":
            content = ""
        well_formed = failure in (None, "fenced") or (failure == "wrong-count" and len(numbered) == 1)
        self._record(headers, body, document, tuple(numbered.values()) if well_formed else ())
        self._send(200, {"id": "chatcmpl-test", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": content}}]})

    def _record(self, headers: dict[str, str], body: dict[str, Any], document: dict[str, Any],
                answered: tuple[str, ...]) -> None:
        with self.owner.state.lock:
            self.owner.state.requests.append(LlmRequest(headers, body, document, answered))
