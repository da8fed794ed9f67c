"""English (or any ``--to`` target) for final sentences, on a worker thread that never blocks transcription.

The engine is the one ``streamkit translate`` uses (:func:`streamkit.translation.create_translator`),
so its cache, timeouts, retries and name protection apply. Sentences waiting while a request is out
are sent together in the next one (the engine batches them). A failed request is logged and its
sentences are given up, so one unreachable moment costs those sentences, not the run.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import StreamkitError
from ..models import Transcript, Utterance
from ..translation.protocol import Translator
from .captions import Caption, layout

__all__ = ["TranslationWorker"]

log = logging.getLogger("streamkit")


@dataclass
class TranslationWorker:
    """Give it final source captions with :meth:`submit`; it calls ``on_caption`` with each translation."""

    engine: Translator
    target: str
    on_caption: Callable[[Caption], None]
    glossary: Any = None
    max_batch: int = 8
    failures: int = 0
    translated: int = 0
    seconds: list[float] = field(default_factory=list)
    _queue: queue.Queue[Caption | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None

    def start(self) -> TranslationWorker:
        self._thread = threading.Thread(target=self._run, name="streamkit-live-translate", daemon=True)
        self._thread.start()
        return self

    def submit(self, caption: Caption) -> None:
        self._queue.put(caption)

    def close(self, timeout: float = 30.0) -> None:
        """Translate what is queued (up to ``timeout`` s), then stop."""
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._translate(batch)
            if stop:
                return

    def _translate(self, batch: list[Caption]) -> None:
        source = Transcript(batch[0].language, tuple(Utterance(c.start_ms, c.end_ms, c.text) for c in batch),
                            duration_ms=batch[-1].end_ms)
        started = time.monotonic()
        try:
            result = self.engine.translate(source, None)
        except StreamkitError as exc:
            self.failures += len(batch)
            log.warning("live translation failed for %d sentence(s): %s", len(batch), exc)
            return
        self.seconds.append(time.monotonic() - started)
        for caption in batch:
            said = [u for u in result.utterances if caption.start_ms <= (u.start_ms + u.end_ms) // 2 <= caption.end_ms]
            text = " ".join(u.text.strip() for u in said if u.text.strip())
            if not text:
                continue
            if self.glossary is not None and self.target == "en":
                text = self.glossary.enforce_english_for(text, caption.text) or text
            utterance = Utterance(caption.start_ms, caption.end_ms, text)
            cues = layout(utterance, self.target)
            lines = cues[-1].lines if cues else (text,)
            self.translated += 1
            self.on_caption(replace(caption, language=self.target, text=text, lines=lines, cues=cues))
