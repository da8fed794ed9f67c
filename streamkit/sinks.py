"""Built-in sinks: a JSON-lines event log and a webhook, registered as plugins when configured.

Both receive every notification (pipeline events and viewer samples) as one JSON object::

    {"event": "stage_finished", "time": "2024-05-01T11:00:03.120Z", "run_id": "…", "recording": "…",
     "stage": "transcribe", "seconds": 41.2, "error": null}

``viewer_sample_recorded`` carries ``"sample": {...}`` (see ``ViewerSample.to_dict``).

The webhook never holds up a run: events are queued and POSTed in order by a background thread,
each with a per-attempt timeout, retries with exponential backoff on connection errors,
timeouts, ``5xx`` and ``429``, and a total budget per event. ``run_finished`` waits for the queue
to drain, at most ``flush_timeout`` seconds. With a secret, every request is signed (HMAC-SHA256
over ``TIMESTAMP.BODY``; see :func:`verify_signature` and ``docs/plugins.md``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import ConfigError, OutputError
from .fsutil import ensure_writable_dir
from .hookspecs import hookimpl
from .plugins import hook_timeout, record_failure, register_plugin, unregister_plugin
from .redaction import register_secret

__all__ = [
    "ENV_WEBHOOK_SECRET",
    "EventLogSink",
    "EventSink",
    "WebhookSink",
    "check_event_log",
    "configure_sinks",
    "event_payload",
    "sign",
    "unregister_sinks",
    "verify_signature",
]

log = logging.getLogger("streamkit")

ENV_WEBHOOK_SECRET = "STREAMKIT_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Streamkit-Signature"
TIMESTAMP_HEADER = "X-Streamkit-Timestamp"
EVENT_HEADER = "X-Streamkit-Event"
DELIVERY_HEADER = "X-Streamkit-Delivery"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_payload(event: str, **fields: Any) -> dict[str, Any]:
    """The JSON object a sink writes for one notification."""
    payload: dict[str, Any] = {"event": event, "time": _now_iso()}
    for key, value in fields.items():
        to_dict = getattr(value, "to_dict", None)
        payload[key] = to_dict() if callable(to_dict) else value
    return payload


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


class EventSink:
    """Implements every notification hook by handing :func:`event_payload` to :meth:`emit`."""

    def emit(self, payload: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self, timeout: float | None = None) -> None:
        """Finish (flush) and release what the sink holds."""

    @hookimpl
    def stage_started(self, run_id: str, recording: str, stage: str) -> None:
        self.emit(event_payload("stage_started", run_id=run_id, recording=recording, stage=stage))

    @hookimpl
    def stage_finished(self, run_id: str, recording: str, stage: str, seconds: float, error: str | None) -> None:
        self.emit(event_payload("stage_finished", run_id=run_id, recording=recording, stage=stage,
                                seconds=round(seconds, 3), error=error))

    @hookimpl
    def subtitle_written(self, run_id: str, recording: str, path: str, language: str, cues: int) -> None:
        self.emit(event_payload("subtitle_written", run_id=run_id, recording=recording, path=path,
                                language=language, cues=cues))

    @hookimpl
    def replay_written(self, run_id: str, recording: str, path: str, tracks: list[str], burned_in: str | None) -> None:
        self.emit(event_payload("replay_written", run_id=run_id, recording=recording, path=path,
                                tracks=list(tracks), burned_in=burned_in))

    @hookimpl
    def run_finished(self, run_id: str, recording: str, summary: dict[str, Any], error: str | None) -> None:
        self.emit(event_payload("run_finished", run_id=run_id, recording=recording, summary=summary, error=error))

    @hookimpl
    def viewer_sample_recorded(self, sample: Any) -> None:
        self.emit(event_payload("viewer_sample_recorded", sample=sample))

    @hookimpl
    def caption_committed(
        self, run_id: str, source: str, language: str, sentence: int, text: str, start_ms: int, end_ms: int
    ) -> None:
        self.emit(event_payload("caption_committed", run_id=run_id, source=source, language=language,
                                sentence=sentence, text=text, start_ms=start_ms, end_ms=end_ms))


# --------------------------------------------------------------------------- event log


_EVENT_LOG_HINT = "give --event-log a file of its own (a new one, or an earlier event log), e.g. events.jsonl"
#: The first line of an event log is one event; longer than this it is not one of ours.
_FIRST_LINE_LIMIT = 1 << 20


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # hard links and symlinks too
    except OSError:
        return a.resolve() == b.resolve()  # one of them does not exist (yet)


def check_event_log(path: Path, protected: Iterable[Path] = ()) -> None:
    """Refuse to append events to a file that is not an event log: one of ``protected`` (the
    run's inputs and outputs, existing or not) or an existing non-empty file whose first line is
    not a streamkit event (a recording, an editor's SRT, a database ...)."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputError(path, "is a folder", hint="give --event-log a file name, e.g. events.jsonl")
    if any(_same_file(path, Path(p)) for p in protected):
        raise OutputError(path, "is an input or output of this run; events are never appended to it",
                          hint=_EVENT_LOG_HINT)
    try:
        with open(path, "rb") as f:
            first = f.readline(_FIRST_LINE_LIMIT)
    except (FileNotFoundError, NotADirectoryError):
        return  # a new log; whether its folder can be written is checked where it is opened
    except OSError as exc:
        raise OutputError(path, f"cannot read the event log ({exc.strerror or exc})",
                          hint="choose another with --event-log FILE") from exc
    if not first.strip():
        return  # an empty file: a new log
    try:
        event = json.loads(first)
    except ValueError:
        event = None
    if not (isinstance(event, dict) and isinstance(event.get("event"), str) and "time" in event):
        raise OutputError(path, "exists and is not a streamkit event log (JSON lines); refusing to append to it",
                          hint=_EVENT_LOG_HINT)


class EventLogSink(EventSink):
    """Appends one JSON line per event to ``path`` (created with its folder if needed).

    Each line is written with a single ``write`` on an ``O_APPEND`` descriptor, so several
    streamkit processes can share one log without interleaving lines. The log is append-only by
    design (it is not written through ``atomic_path``). Only an event log is ever appended to
    (:func:`check_event_log`): never an input or output of the run, nor any other existing file.
    """

    def __init__(self, path: Path | str, *, protected: Iterable[Path] = ()) -> None:
        self.path = Path(path).expanduser()
        if self.path.is_dir():
            raise OutputError(self.path, "is a folder", hint="give --event-log a file name, e.g. events.jsonl")
        check_event_log(self.path, protected)
        ensure_writable_dir(self.path.parent, option="--event-log FILE")
        try:
            self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(self.path, f"cannot write the event log ({exc.strerror or exc})") from exc
        self._lock = threading.Lock()

    def emit(self, payload: dict[str, Any]) -> None:
        data = _encode(payload) + b"\n"
        with self._lock:
            if self._fd is None:
                raise OutputError(self.path, "the event log is closed")
            os.write(self._fd, data)

    def close(self, timeout: float | None = None) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


# --------------------------------------------------------------------------- webhook


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Streamkit-Signature`` value: ``sha256=`` + HMAC-SHA256(secret, ``TIMESTAMP.`` + body)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, *, tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """What a receiver does: the signature matches and the timestamp is within ``tolerance`` seconds.

    Checking the timestamp stops an old request from being replayed; deduplicating on
    ``X-Streamkit-Delivery`` (one id per event, the same across retries) stops a fresh replay.
    """
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would silently become a GET without a body: treat it as a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookSink(EventSink):
    """POSTs each event as JSON to ``url``, in order, from a background thread.

    Per event: up to ``1 + retries`` attempts, each with ``timeout`` seconds, ``backoff * 2**n``
    seconds apart, all within ``budget`` seconds; then the event is reported (``plugins.failures``)
    and the next one is sent. Retried: connection errors, timeouts, ``5xx``, ``408`` and ``429``
    (``Retry-After`` honoured within the budget). Other ``4xx`` are reported at once. At most
    ``max_queue`` events wait; beyond that new ones are dropped and counted.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        timeout: float = 2.0,
        retries: int = 3,
        backoff: float = 0.25,
        budget: float = 4.0,
        flush_timeout: float = 4.0,
        max_queue: int = 1000,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"webhook URL {url!r} is not http(s)://host/...", key="webhook",
                              hint="e.g. --webhook https://example.org/streamkit")
        self.url = url
        self.host = parts.hostname
        self.secret = secret or None
        register_secret(self.secret)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.budget = budget
        self.flush_timeout = flush_timeout
        self.max_queue = max_queue
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._queue: deque[dict[str, Any]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    # -- queueing (the hook side: never blocks)

    def emit(self, payload: dict[str, Any]) -> None:
        with self._cond:
            if self._closed:
                return
            if len(self._queue) >= self.max_queue:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 100 == 0:
                    record_failure("webhook", payload["event"], f"{self.dropped} event(s) dropped: {self.max_queue} "
                                   f"already waiting for {self.host}")
                return
            self._queue.append(payload)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="streamkit-webhook", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    @hookimpl
    def run_finished(self, run_id: str, recording: str, summary: dict[str, Any], error: str | None) -> None:
        super().run_finished(run_id=run_id, recording=recording, summary=summary, error=error)
        limit = hook_timeout()
        # The last event of a run should leave before the process does; the wait stays inside
        # the hook timeout so notify() never has to give up on this sink.
        self.flush(min(self.flush_timeout, limit - 0.5) if limit > 0 else self.flush_timeout)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event was delivered or given up (``True``), at most ``timeout`` s."""
        wait = self.flush_timeout if timeout is None else timeout
        deadline = time.monotonic() + max(0.0, wait)
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pending = len(self._queue) + (1 if self._busy else 0)
                    record_failure("webhook", "flush", f"{pending} event(s) not yet delivered to {self.host} "
                                   f"after waiting {wait:g} s; not waiting longer")
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float | None = None) -> None:
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()

    # -- sending (the background thread)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed and not self._queue:
                    self._thread = None
                    return
                payload = self._queue.popleft()
                self._busy = True
            try:
                ok = self.deliver(payload)
            except Exception as exc:  # a bug here must not kill the sender
                ok = False
                self._report(str(payload.get("event")), f"{type(exc).__name__}: {exc}")
            with self._cond:
                self._busy = False
                if ok:
                    self.delivered += 1
                else:
                    self.failed += 1
                self._cond.notify_all()

    def _headers(self, event: str, delivery: str, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"streamkit/{__version__}",
            EVENT_HEADER: event,
            DELIVERY_HEADER: delivery,
            TIMESTAMP_HEADER: timestamp,
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, timestamp, body)
        return headers

    def deliver(self, payload: dict[str, Any]) -> bool:
        """POST one event with retries inside the budget; ``False`` (and a reported failure) if it never landed."""
        body = _encode(payload)
        event = str(payload.get("event"))
        delivery = uuid.uuid4().hex
        deadline = time.monotonic() + self.budget
        attempts = 0
        last = "no attempt within the budget"
        for attempt in range(self.retries + 1):
            remaining = deadline - time.monotonic()
            if remaining < 0.05 or self._closed:
                break
            attempts += 1
            request = urllib.request.Request(self.url, data=body, method="POST",
                                             headers=self._headers(event, delivery, body))
            pause = self.backoff * (2**attempt)
            try:
                with self._opener.open(request, timeout=min(self.timeout, remaining)) as response:
                    response.read(65536)
                return True
            except urllib.error.HTTPError as exc:
                exc.close()
                last = f"HTTP {exc.code}"
                if exc.code == 429 or exc.code == 503:
                    retry_after = (exc.headers.get("Retry-After") or "").strip() if exc.headers else ""
                    if retry_after.isdigit():
                        pause = max(pause, float(retry_after))
                elif exc.code < 500 and exc.code != 408:
                    self._report(event, f"{self.host} answered {last}; not retried")
                    return False
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = "timed out" if isinstance(reason, TimeoutError) or "timed out" in str(reason) else str(reason)
            if attempt < self.retries:
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        self._report(event, f"gave up on {self.host} after {attempts} attempt(s) in {self.budget:g} s budget: {last}")
        return False

    def _report(self, event: str, error: str) -> None:
        if not self._closed:  # after close() nobody is listening: a late result is not news
            record_failure("webhook", event, error)


# --------------------------------------------------------------------------- configuring


def configure_sinks(
    event_log: Path | None = None, webhook: str | None = None, secret: str | None = None, *,
    protected: Iterable[Path] = (),
) -> list[EventSink]:
    """Create and register the sinks asked for (``--event-log PATH``, ``--webhook URL``).

    ``secret`` signs webhook requests (pass ``os.environ.get("STREAMKIT_WEBHOOK_SECRET")``).
    ``protected``: the run's inputs and outputs, which the event log must not be.
    Raises :class:`OutputError`/:class:`ConfigError` before anything runs when a sink cannot work.
    Give the result to :func:`unregister_sinks` when the command ends.
    """
    sinks: list[EventSink] = []
    try:
        if event_log is not None:
            sinks.append(EventLogSink(event_log, protected=protected))
        if webhook:
            sinks.append(WebhookSink(webhook, secret=secret))
    except BaseException:
        for sink in sinks:
            sink.close(0)
        raise
    for sink in sinks:
        register_plugin(sink, "event-log" if isinstance(sink, EventLogSink) else "webhook", source="sink")
    return sinks


def unregister_sinks(sinks: list[EventSink], *, timeout: float | None = None) -> None:
    """Unregister and close ``sinks``; a webhook gets at most ``timeout`` s (default 4) to drain."""
    for sink in sinks:
        unregister_plugin(sink)
        sink.close(timeout)
