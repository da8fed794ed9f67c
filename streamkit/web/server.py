"""Serve a Starlette app with uvicorn in a background thread, bound to 127.0.0.1 by default."""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from ..errors import StreamkitError

__all__ = ["DEFAULT_HOST", "PortInUseError", "RunningServer", "check_port", "start_server"]

DEFAULT_HOST = "127.0.0.1"
log = logging.getLogger("streamkit")


class PortInUseError(StreamkitError):
    """The page's port is taken (or cannot be bound) on that host."""

    exit_code = 2

    def __init__(self, host: str, port: int, reason: str = "is already in use", *, hint: str | None = None) -> None:
        self.host = host
        self.port = port
        self.reason = reason
        hint = hint or "choose another with --port P (or 0 for any free port)"
        super().__init__(f"port {port} on {host} {reason}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "host": self.host, "port": self.port, "reason": self.reason}


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound ({exc.strerror or exc})"
        raise PortInUseError(host, port, reason) from exc
    return sock


def check_port(host: str, port: int) -> None:
    """Raise ``PortInUseError`` now, before any work, if ``host:port`` cannot be served."""
    _bind(host, port).close()


@dataclass
class RunningServer:
    """A uvicorn server on its own thread; ``stop()`` ends it and closes its connections."""

    host: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():  # long-lived SSE streams: close them
            self.server.force_exit = True
            self.thread.join(timeout)

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C in the main thread raises KeyboardInterrupt here)."""
        while self.thread.is_alive():
            self.thread.join(0.2)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_server(
    app: ASGIApp, *, host: str = DEFAULT_HOST, port: int = 0, startup_timeout: float = 10.0
) -> RunningServer:
    """Bind ``host:port`` (0: a free port), then serve ``app`` on a daemon thread until ``stop()``."""
    sock = _bind(host, port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    # uvicorn captures signals only on the main thread: off it, Ctrl-C stays the caller's.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="streamkit-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise PortInUseError(host, port, "could not be served (the web server did not start)")
        time.sleep(0.01)
    bound_port = sock.getsockname()[1]
    log.info("serving on http://%s:%d", host, bound_port)
    return RunningServer(host=host, port=bound_port, server=server, thread=thread)
