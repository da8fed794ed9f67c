"""English (or any ``--to`` target) for committed Korean, phrase by phrase, on a worker thread that never
blocks transcription.

Waiting for a sentence to end makes English as late as the sentence is long (8-11 s for read news).
So the worker translates the committed words of the open sentence as soon as they make a phrase
(:class:`PhraseSplitter`: up to a comma or a Korean clause ending, or a few words), and the English
caption grows by each phrase's translation: a shown English caption is only ever extended, never
changed. The sentence's English is final when the Korean is. ``phrases=False`` translates whole
sentences only (better English, later).

The engine is the one ``streamkit translate`` uses (:func:`translation_worker` is the one place live
captions reach :func:`streamkit.translation.create_translator`), so its cache, timeouts, retries and
name protection apply. Phrases waiting while a request is out are sent together in the next one
(the engine batches them). A failed request is logged and its phrases are given up, so one
unreachable moment costs those phrases, not the run.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import StreamkitError
from ..models import Transcript, Utterance, Word
from ..translation.options import TranslatorSettings
from ..translation.protocol import Translator
from .captions import Caption, layout

if TYPE_CHECKING:
    from ..glossary import Glossary
    from ..transcribe import Transcriber

__all__ = ["Phrase", "PhraseSplitter", "TranslationWorker", "phrase_end", "translation_worker"]

log = logging.getLogger("streamkit")

#: Korean connective endings that close a clause ("…하고", "…하며", "…해서", "…하면", "…는데", "…지만" …).
CLAUSE_ENDS = ("고", "며", "서", "면", "데", "지만", "니까", "도록", "다가")
_PUNCTUATION = ",.?!…"


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words of one source sentence to translate (``text`` may be empty for a ``final`` with nothing left)."""

    sentence: int
    text: str
    start_ms: int
    end_ms: int
    final: bool
    #: The source caption when it was cut (its span is the sentence's so far).
    source: Caption


def phrase_end(words: Sequence[Word], min_words: int) -> int:
    """How many of ``words`` to translate now: up to the last comma or clause ending (2 words or more),
    else all of them once there are ``min_words``; 0: wait for more."""
    for i in range(len(words), 1, -1):
        text = words[i - 1].text.rstrip("\"'”’)]")
        if text[-1:] in _PUNCTUATION or text.endswith(CLAUSE_ENDS):
            return i
    return len(words) if len(words) >= min_words else 0


@dataclass
class PhraseSplitter:
    """Source captions in, :class:`Phrase` s out: each committed word goes out exactly once, in order."""

    phrases: bool = True
    min_words: int = 4
    #: ... the same for a sentence's first phrase, which is what puts its English on screen: replayed in 1 s
    #: HLS segments, 3 for 4 brought the English median from 3.97 to 3.58 s on fanlive and from 4.01 to
    #: 3.74 s on noisy (the rest of the sentence still goes in phrases of ``min_words``).
    first_words: int = 3
    #: ... or two words that hold this many letters and digits: a phrase that already says something
    #: ("다른 지역에서는", "현재 백화점과", "지난해 3월"), where "그 바람에" or "또한 박" still waits for a third
    #: word. Replayed in 1 s HLS segments, the English median went from 3.73 to 3.07 s on noisy (fanlive's
    #: stayed 3.53 s, its slowest sentence 5.31 -> 4.32 s); 0: never.
    first_chars: int = 5
    _sentence: int = -1
    _sent: int = 0

    def cut(self, caption: Caption) -> list[Phrase]:
        if caption.sentence != self._sentence:
            self._sentence, self._sent = caption.sentence, 0
        if not caption.final and not self.phrases:
            return []
        words = caption.words or (Word(caption.start_ms, caption.end_ms, caption.text),)
        rest = words[self._sent:]
        if not caption.final:
            rest = rest[: self._first(rest) if self._sent == 0 else phrase_end(rest, self.min_words)]
            if not rest:
                return []
        self._sent += len(rest)
        start = rest[0].start_ms if rest else caption.end_ms
        end = max((w.end_ms for w in rest), default=caption.end_ms)
        return [Phrase(caption.sentence, " ".join(w.text for w in rest), start, end, caption.final, caption)]

    def _first(self, words: Sequence[Word]) -> int:
        """How many of a sentence's first committed ``words`` make its first phrase (0: wait for more)."""
        n = phrase_end(words, self.first_words)
        if n or len(words) < 2 or not self.first_chars:
            return n
        return 2 if sum(ch.isalnum() for w in words[:2] for ch in w.text) >= self.first_chars else 0


@dataclass
class TranslationWorker:
    """Give it source captions with :meth:`submit`; it calls ``on_caption`` with each (growing) translation."""

    engine: Translator
    target: str
    on_caption: Callable[[Caption], None]
    glossary: Any = None
    max_batch: int = 8
    splitter: PhraseSplitter = field(default_factory=PhraseSplitter)
    failures: int = 0
    translated: int = 0
    seconds: list[float] = field(default_factory=list)
    #: After a failed request, phrases are not sent for this long (doubling per failure up to ``max_pause_s``):
    #: an unreachable engine cost every phrase a connection timeout and a warning (10 in 55 s of fanlive).
    first_pause_s: float = 5.0
    max_pause_s: float = 60.0
    _pause_s: float = 0.0
    _paused_until: float = 0.0
    _missed: int = 0  # phrases not translated since the engine last answered
    _queue: queue.Queue[Phrase | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None
    _so_far: dict[int, str] = field(default_factory=dict)  # sentence -> its English shown so far

    def start(self) -> TranslationWorker:
        self._thread = threading.Thread(target=self._run, name="streamkit-live-translate", daemon=True)
        self._thread.start()
        return self

    def submit(self, caption: Caption) -> None:
        """A source caption changed (partial or final): its new phrases are queued (called on one thread)."""
        for phrase in self.splitter.cut(caption):
            self._queue.put(phrase)

    def translate_now(self, caption: Caption) -> None:
        """:meth:`submit` done on this thread, without the worker (a benchmark's virtual clock)."""
        for phrase in self.splitter.cut(caption):
            self._publish([phrase], self._translate([phrase] if phrase.text else []))

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
            self._publish(batch, self._translate([p for p in batch if p.text]))
            if stop:
                return

    def _translate(self, todo: list[Phrase]) -> dict[int, str]:
        """``id(phrase)`` -> its translation (empty when the request failed)."""
        if not todo:
            return {}
        source = Transcript(todo[0].source.language, tuple(Utterance(p.start_ms, p.end_ms, p.text) for p in todo),
                            duration_ms=max(p.end_ms for p in todo))
        started = time.monotonic()
        if started < self._paused_until:
            self._fail(len(todo))
            return {}
        try:
            result = self.engine.translate(source, None)
        except StreamkitError as exc:
            self._fail(len(todo))
            if not self._pause_s:
                log.warning("live translation failed: %s; phrases are not translated until it answers again "
                            "(tried again after %g s, then less often)", exc, self.first_pause_s)
            else:
                log.info("live translation still failing: %s", exc)
            self._pause_s = min(self.max_pause_s, self._pause_s * 2 or self.first_pause_s)
            self._paused_until = time.monotonic() + self._pause_s
            return {}
        if self._missed:
            log.warning("live translation answers again (%d phrase(s) were not translated)", self._missed)
        self._missed, self._pause_s, self._paused_until = 0, 0.0, 0.0
        self.seconds.append(time.monotonic() - started)
        out: dict[int, str] = {}
        same = len(result.utterances) == len(todo)
        for i, phrase in enumerate(todo):
            said = [result.utterances[i]] if same else [
                u for u in result.utterances if phrase.start_ms <= (u.start_ms + u.end_ms) // 2 <= phrase.end_ms]
            text = " ".join(u.text.strip() for u in said if u.text.strip())
            if text and self.glossary is not None and self.target == "en":
                text = self.glossary.enforce_english_for(text, phrase.text) or text
            out[id(phrase)] = text
        return out

    def _fail(self, phrases: int) -> None:
        self.failures += phrases
        self._missed += phrases

    def _publish(self, batch: list[Phrase], translated: dict[int, str]) -> None:
        for phrase in batch:
            new = translated.get(id(phrase), "")
            text = " ".join(t for t in (self._so_far.get(phrase.sentence, ""), new) if t)
            if phrase.final:
                self._so_far.pop(phrase.sentence, None)
            else:
                self._so_far[phrase.sentence] = text
            if not text or (not new and not phrase.final):
                continue
            src = phrase.source
            cues = layout(Utterance(src.start_ms, src.end_ms, text), self.target)
            lines = cues[-1].lines if cues else (text,)
            self.translated += phrase.final
            self.on_caption(Caption(self.target, phrase.sentence, text, lines, src.start_ms, src.end_ms, phrase.final,
                                    cues if phrase.final else ()))


def translation_worker(engine: str, target: str, on_caption: Callable[[Caption], None],
                       settings: TranslatorSettings | None = None, *, glossary: Glossary | None = None,
                       transcriber: Transcriber | None = None,
                       phrases: bool = True) -> TranslationWorker | None:
    """A (not yet started) worker on the named engine with its settings; None for the ``none`` engine."""
    from ..translation.protocol import EngineContext
    from ..translation.registry import create_translator

    context = EngineContext(target, transcriber, settings=settings or TranslatorSettings(),
                            glossary=glossary)
    translator = create_translator(engine, context)
    if translator is None:
        return None
    return TranslationWorker(translator, target, on_caption, glossary, splitter=PhraseSplitter(phrases))
