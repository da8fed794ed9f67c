"""The ``requests`` boundary, and how a failed request is judged and retried.

deep-translator passes no timeout to ``requests``: every call runs with a socket timeout set at the
``requests`` boundary (thread-local, so nothing else in the process is affected) and a hard
wall-clock deadline (:func:`_guarded`). What a call raised, plus the status code seen at the
boundary, is classified (:func:`_classify`): timeouts, dropped connections, malformed answers, 429
and 5xx are retried with exponential backoff and jitter (:class:`RetryPolicy`); the rest are not.
"""

from __future__ import annotations

import functools
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests  # type: ignore[import-untyped,unused-ignore]

from ..errors import ConfigError
from ..redaction import redact
from .options import TranslatorSettings

T = TypeVar("T")

# --------------------------------------------------------------------------- the requests boundary


class _Guard:
    """Per-call state of the ``requests`` boundary: the timeout to impose and what happened."""

    __slots__ = ("requests", "retry_after", "status", "timeout", "url")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.requests = 0
        self.status: int | None = None
        self.retry_after: str | None = None
        self.url = ""


_local = threading.local()
_hook_lock = threading.Lock()
_hook_installed = False
#: ``Session.request``'s positional parameters after ``url`` up to ``timeout`` (params ... auth).
_TIMEOUT_POSITION = 6


def _install_timeout_hook() -> None:
    """Wrap ``requests.Session.request`` once: inside a guarded call, a request without a timeout gets one.

    deep-translator calls ``requests.get``/``requests.post`` without ``timeout``. The wrapper only
    acts on the thread running a guarded call (a thread-local), so other code in the process is
    unaffected, and it records the status code (deep-translator's exceptions often drop it).
    """
    global _hook_installed
    with _hook_lock:
        if _hook_installed:
            return
        original = requests.sessions.Session.request

        @functools.wraps(original)
        def request(self: Any, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            guard: _Guard | None = getattr(_local, "guard", None)
            if guard is None:
                return original(self, method, url, *args, **kwargs)
            if len(args) <= _TIMEOUT_POSITION and kwargs.get("timeout") is None:
                kwargs["timeout"] = guard.timeout
            guard.requests += 1
            guard.url = str(url)
            response = original(self, method, url, *args, **kwargs)
            guard.status = int(response.status_code)
            guard.retry_after = response.headers.get("Retry-After")
            return response

        requests.sessions.Session.request = request  # type: ignore[method-assign,unused-ignore]
        _hook_installed = True


class _Deadline(Exception):
    """The whole call did not finish within its wall-clock deadline."""


class _CallFailed(Exception):
    def __init__(self, error: BaseException, guard: _Guard) -> None:
        super().__init__(str(error))
        self.error = error
        self.guard = guard


def _guarded(fn: Callable[[], T], timeout: float) -> tuple[T, _Guard]:
    """Run ``fn`` (a deep-translator call) with a socket timeout and a hard deadline of ``2 * timeout``.

    The call runs in a daemon thread so a server that trickles bytes cannot hold us past the
    deadline; an abandoned call ends by itself at its next socket timeout.
    """
    _install_timeout_hook()
    guard = _Guard(timeout)
    box: dict[str, Any] = {}

    def work() -> None:
        _local.guard = guard
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc
        finally:
            _local.guard = None

    worker = threading.Thread(target=work, name="streamkit-translate-request", daemon=True)
    worker.start()
    worker.join(2 * timeout)
    if worker.is_alive():
        raise _CallFailed(_Deadline(f"no complete answer within {2 * timeout:g} s"), guard)
    if "error" in box:
        raise _CallFailed(box["error"], guard)
    return box["value"], guard


# --------------------------------------------------------------------------- failures and retries


@dataclass(frozen=True)
class RetryPolicy:
    """Timeouts and retries for every request. Settings keys: ``timeout``, ``retries``, ``backoff``, ``backoff_max``."""

    #: Socket timeout for connecting and for each read, in seconds; a whole request is abandoned after twice this.
    timeout: float = 15.0
    #: Retries after the first attempt (timeouts, dropped connections, malformed answers, 429, 5xx).
    retries: int = 3
    #: First backoff delay in seconds; doubles each retry, with jitter, capped at ``backoff_max``.
    backoff: float = 1.0
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        if not (self.timeout > 0 and math.isfinite(self.timeout)):
            raise ValueError(f"timeout must be a positive number of seconds (got {self.timeout!r})")
        if self.retries < 0 or self.backoff < 0 or self.backoff_max < 0:
            raise ValueError("retries, backoff and backoff_max must not be negative")

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): exponential, with jitter."""
        base = min(self.backoff_max, self.backoff * 2.0 ** (retry - 1))
        wait = base * random.uniform(0.5, 1.0)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.backoff_max))
        return wait

    @classmethod
    def from_settings(cls, settings: TranslatorSettings, *, timeout: float | None = None) -> RetryPolicy:
        """From ``[translator]`` keys; ``timeout`` is the engine's default when the settings have none."""
        given = {"timeout": settings.timeout, "retries": settings.retries, "backoff": settings.backoff,
                 "backoff_max": settings.backoff_max}
        values: dict[str, float] = {} if timeout is None else {"timeout": timeout}
        values.update({key: value for key, value in given.items() if value is not None})
        try:
            return cls(timeout=values.get("timeout", cls.timeout), retries=int(values.get("retries", cls.retries)),
                       backoff=values.get("backoff", cls.backoff),
                       backoff_max=values.get("backoff_max", cls.backoff_max))
        except ValueError as exc:
            raise ConfigError(f"[translator] {exc}", key="timeout") from exc


class _Failure(Exception):
    """One classified failure of a request."""

    def __init__(self, kind: str, detail: str, *, retry: bool, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retry = retry
        self.retry_after = retry_after
        self.attempts = 1


class _EngineAnswer(Exception):
    """An adapter's own verdict on a 200 answer (MyMemory's quota warnings are 200s)."""

    def __init__(self, kind: str, detail: str, *, retry: bool = False) -> None:
        super().__init__(detail)
        self.kind = kind
        self.retry = retry


_DROPPED = ("RemoteDisconnected", "Connection aborted", "ConnectionReset", "IncompleteRead", "BrokenPipe",
            "without response", "Connection broken")  # fmt: skip




def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "the server")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _classify(error: BaseException, guard: _Guard) -> _Failure:
    """Turn what a deep-translator call raised (plus the status seen at the boundary) into a verdict."""
    from deep_translator import exceptions as dx

    rx = requests.exceptions
    text = redact(f"{type(error).__name__}: {error}")
    if isinstance(error, _EngineAnswer):
        return _Failure(error.kind, str(error), retry=error.retry)
    if isinstance(error, _Deadline | rx.Timeout):
        return _Failure("timeout", f"no answer within {guard.timeout:g} s", retry=True)
    if isinstance(error, rx.ConnectionError | rx.ChunkedEncodingError):
        if guard.status is not None or any(s in text for s in _DROPPED):
            return _Failure("dropped", "the server dropped the connection", retry=True)
        return _Failure("unreachable", f"unreachable: cannot connect to {_host(guard.url)}", retry=True)
    if isinstance(error, rx.InvalidJSONError | ValueError) and guard.status is not None and guard.status < 300:
        return _Failure("malformed", f"malformed answer ({type(error).__name__})", retry=True)
    if isinstance(error, rx.RequestException):
        return _Failure("refused", f"bad request ({text})", retry=False)
    status = guard.status
    if status is not None and not 200 <= status < 300:
        if status == 429:
            return _Failure("rate-limited", "rate limited (HTTP 429)", retry=True,
                            retry_after=_retry_after(guard.retry_after))
        if status == 408:
            return _Failure("timeout", "the server timed out (HTTP 408)", retry=True)
        if status >= 500:
            return _Failure("server", f"server error (HTTP {status})", retry=True)
        if status in (401, 403):
            return _Failure("auth", f"the key was refused (HTTP {status})", retry=False)
        if status in (413, 414):
            return _Failure("too-large", f"request too large (HTTP {status})", retry=False)
        if status == 400:
            return _Failure("bad-request", "the server refused the request (HTTP 400)", retry=False)
        return _Failure("refused", f"the server refused the request (HTTP {status})", retry=False)
    if isinstance(error, dx.LanguageNotSupportedException | dx.InvalidSourceOrTargetLanguage):
        return _Failure("unsupported", f"language pair not supported ({error})", retry=False)
    if isinstance(error, dx.NotValidLength | dx.NotValidPayload):
        return _Failure("too-large", "text over the engine's length limit", retry=False)
    if isinstance(error, dx.TooManyRequests):
        return _Failure("rate-limited", "rate limited", retry=True)
    if isinstance(error, dx.TranslationNotFound):
        return _Failure("malformed", "the answer held no translation", retry=True)
    if isinstance(error, ValueError | KeyError | TypeError | AttributeError | IndexError | dx.ServerException):
        return _Failure("malformed", f"malformed answer ({type(error).__name__})", retry=True)
    return _Failure("malformed", f"unexpected answer ({text[:200]})", retry=True)
