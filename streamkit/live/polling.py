"""Viewer counts alongside live captions: ``--poll youtube:ID`` runs the viewers ``Poller`` on a thread.

The poller, its store and its quota rules are :mod:`streamkit.viewer_sources`'s; samples are stored
under the live run's name as the ``live`` version, and fire ``viewer_sample_recorded`` as usual.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, StreamkitError

__all__ = ["ViewerPoll", "parse_poll_targets"]

log = logging.getLogger("streamkit")


def parse_poll_targets(specs: Sequence[str], stream: str) -> list[object]:
    """``youtube:ID`` (or any registered source) -> ``PollTarget`` for the live version of ``stream``."""
    from ..viewer_sources import PollTarget

    targets: list[object] = []
    for spec in specs:
        name, sep, ident = spec.partition(":")
        if not sep or not name.strip() or not ident.strip():
            raise ConfigError(f"--poll {spec!r} is not SOURCE:ID", key="poll", hint="e.g. --poll youtube:VIDEO_ID")
        targets.append(PollTarget(name.strip(), ident.strip(), stream, "live", "ko"))
    return targets


@dataclass
class ViewerPoll:
    """The poller on a daemon thread (its SQLite store is opened there); :meth:`stop` ends it."""

    targets: list[object]
    db: Path | None = None
    interval: float = 60.0
    error: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> ViewerPoll:
        self._thread = threading.Thread(target=self._run, name="streamkit-live-viewers", daemon=True)
        self._thread.start()
        return self

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise KeyboardInterrupt  # how Poller.run is told to end (it catches exactly this)

    def _run(self) -> None:
        from ..viewer_sources import Poller
        from ..viewers import ViewerStore

        try:
            store = ViewerStore(self.db)
            try:
                Poller(store, self.targets, interval=self.interval, sleep=self._sleep,  # type: ignore[arg-type]
                       report=lambda message: log.info("viewers: %s", message)).run()
            finally:
                store.close()
        except StreamkitError as exc:
            self.error = str(exc)
            log.warning("viewer counts: %s", exc)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
