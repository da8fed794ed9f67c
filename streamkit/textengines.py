"""Text translation engines: deep-translator behind the :class:`~streamkit.translate.Translator` protocol.

Built-in engines ``google`` (default), ``deepl``, ``papago``, ``mymemory`` and ``libre`` are thin
adapters over one base class, :class:`TextEngine`, which does everything they share:

1. **Sentences, not cues.** :func:`join_sentences` joins the Korean transcript's words (or an SRT's
   cues) into sentences: it cuts after sentence-final punctuation, after Korean final endings
   (``다``, ``요``, ``까`` ...) at the end of a decoded segment or before a pause, and at long pauses;
   over-long sentences are cut at their best clause boundary. Each English sentence keeps the time
   span of the Korean words it renders (first word's start to last word's end) and carries no
   words, so ``segment`` re-cuts it by the English rules.
2. **Names.** With a glossary (``settings["glossary"]``, the :class:`NameGlossary` protocol) every
   name found in the Korean is replaced by its official English form *before* translation (engines
   keep Latin tokens; numbered placeholders get mangled), restored after translation when the
   engine changed its case or spacing, and the glossary's ``enforce_english_for`` rewrites aliases.
3. **Cache.** Every answer is stored in SQLite (:class:`TranslationCache`), keyed by engine, source
   and target language, a fingerprint of the engine's settings (never secrets) and the exact text
   sent. A re-run, or an edited draft, sends only text never translated before.
4. **Batches.** Sentences are joined with newlines into requests up to the engine's limits; an
   answer is split back by lines and accepted only when the line count matches, else the batch is
   halved (recursively, down to single sentences). A request refused as too large (HTTP 400, 413,
   414) is halved too, and the limit lowered for the rest of the run.
5. **Faults.** deep-translator passes no timeout to ``requests``: every call runs with a socket
   timeout set at the ``requests`` boundary (thread-local, so nothing else in the process is
   affected) and a hard wall-clock deadline. Timeouts, dropped connections, malformed answers, 429
   and 5xx are retried with exponential backoff and jitter; giving up raises
   :class:`~streamkit.errors.TranslationError` naming the engine, with a hint (another engine,
   offline choices). Answers already received stay cached, so running the same command again
   resumes where it stopped.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar
from urllib.parse import quote, urlsplit

import requests  # type: ignore[import-untyped,unused-ignore]

from .errors import ConfigError, StreamkitError, TranslationError
from .hookspecs import hookimpl
from .models import AudioTrack, ProgressCallback, SubtitleTrack, Transcript, Utterance
from .translate import EngineContext, Translator

__all__ = [
    "ENGINES",
    "DeeplEngine",
    "EngineCheck",
    "EngineStats",
    "GoogleEngine",
    "JoinRules",
    "LibreEngine",
    "MyMemoryEngine",
    "NameGlossary",
    "PapagoEngine",
    "ProtectedText",
    "RetryPolicy",
    "Sentence",
    "TextEngine",
    "TranslationCache",
    "check_engines",
    "default_cache_path",
    "join_sentences",
    "protect_names",
    "restore_names",
    "transcript_from_track",
]

log = logging.getLogger("streamkit")

T = TypeVar("T")

# --------------------------------------------------------------------------- glossary protocol


class GlossaryEntryLike(Protocol):
    """What name protection needs of a glossary entry: its official English form."""

    @property
    def english(self) -> str: ...


class GlossaryMatchLike(Protocol):
    """A name found in Korean text: ``text[start:end]`` is one of the entry's Hangul forms."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def entry(self) -> GlossaryEntryLike: ...


class NameGlossary(Protocol):
    """The two methods of ``streamkit.glossary.Glossary`` that translation uses."""

    def find_korean(self, text: str) -> Sequence[GlossaryMatchLike]: ...

    def enforce_english_for(self, english: str, korean_source: str) -> str: ...


# --------------------------------------------------------------------------- sentences

#: Characters that end a sentence.
SENTENCE_END_MARKS = frozenset(".?!…。？！")
#: Looked through when finding a word's final mark or ending (``요~``, ``"했다."``).
_TRAILERS = "\"'”’)]}»」』>~〜 "
#: Korean final endings that end a sentence at the end of a decoded segment or cue.
FINAL_ENDINGS: tuple[str, ...] = (
    "니다", "어요", "아요", "에요", "예요", "세요", "해요", "네요", "군요", "죠", "요", "다", "까",
    "네", "지", "야", "어", "아", "래", "자", "구나", "거든", "잖아",
)  # fmt: skip
#: Endings strong enough to end a sentence inside a segment, when a short pause follows.
STRONG_ENDINGS: tuple[str, ...] = ("니다", "요", "죠", "다", "까")
#: Words that look like they carry a final ending but do not (nouns, particles).
ENDING_LOOKALIKES: tuple[str, ...] = ("필요", "중요", "주요", "수요", "보다", "바다", "아까", "까지", "부터")
#: Endings after which an over-long sentence is best cut (clause ends).
CLAUSE_ENDINGS: tuple[str, ...] = ("는데", "지만", "니까", "고", "며", "면", "서", "데")
_CLAUSE_MARKS = frozenset(",;:、，；：")
#: Index of ㅂ among the final consonants of a precomposed Hangul syllable.
_JONGSEONG_BIEUP = 17


@dataclass(frozen=True, slots=True)
class Sentence:
    """Korean text to translate as one unit, with the span of the speech it covers."""

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True, slots=True)
class JoinRules:
    """How :func:`join_sentences` cuts. Times in ms."""

    #: Silence at least this long always ends a sentence.
    pause_ms: int = 1500
    #: A strong final ending followed by at least this much silence ends a sentence.
    ending_pause_ms: int = 350
    #: A sentence longer than this (characters) or this (ms) is cut at its best clause boundary.
    max_chars: int = 160
    max_ms: int = 15000


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int
    segment_end: bool = False


def _spread(parts: list[str], start: int, end: int) -> list[_Token]:
    """Share ``start..end`` among ``parts`` by character count (as ``segment`` does)."""
    total = sum(len(p) for p in parts) or 1
    span = max(0, end - start)
    out: list[_Token] = []
    done = 0
    for p in parts:
        a = start + span * done // total
        done += len(p)
        out.append(_Token(p, a, start + span * done // total))
    return out


def _squash(text: str) -> str:
    return "".join(text.split())


def _utterance_tokens(u: Utterance) -> list[_Token]:
    parts = u.text.split()
    words = [w for w in u.words if w.text.strip()]
    if words:
        word_texts = [w.text.strip() for w in words]
        if _squash(" ".join(word_texts)) == _squash(u.text):
            return [_Token(t, w.start_ms, w.end_ms) for t, w in zip(word_texts, words, strict=True)]
        if len(parts) == len(words):  # corrected text (glossary), same words: keep their timing
            return [_Token(t, w.start_ms, w.end_ms) for t, w in zip(parts, words, strict=True)]
        return _spread(parts, words[0].start_ms, max(w.end_ms for w in words))
    return _spread(parts, u.start_ms, u.end_ms)


def _tokens(transcript: Transcript) -> list[_Token]:
    out: list[_Token] = []
    previous = 0
    for u in transcript.utterances:
        tokens = _utterance_tokens(u)
        if not tokens:
            continue
        for tok in tokens:
            tok.start = max(tok.start, previous)
            tok.end = max(tok.end, tok.start)
            previous = tok.start
            if out and not any(ch.isalnum() for ch in tok.text) and not out[-1].segment_end:
                out[-1].text += tok.text  # punctuation decoded as its own word
                out[-1].end = max(out[-1].end, tok.end)
                continue
            out.append(tok)
        out[-1].segment_end = True
    return out


def _core(word: str) -> str:
    return word.rstrip(_TRAILERS + "".join(SENTENCE_END_MARKS) + "".join(_CLAUSE_MARKS) + "-")


def _has_ending(word: str, endings: tuple[str, ...]) -> bool:
    core = _core(word)
    if core.endswith("니까") and endings is not CLAUSE_ENDINGS:
        # 합니까 / 습니까 / 입니까 ask a question (ㅂ final before 니까); 오니까 / 했으니까 mean "because".
        before = core[-3:-2]
        return bool(before) and "가" <= before <= "힣" and (ord(before) - 0xAC00) % 28 == _JONGSEONG_BIEUP
    return core.endswith(endings) and not core.endswith(ENDING_LOOKALIKES)


def _final_mark(word: str) -> str:
    stripped = word.rstrip(_TRAILERS)
    return stripped[-1:] if stripped else ""


def _ends_sentence(tok: _Token, nxt: _Token, rules: JoinRules) -> bool:
    gap = nxt.start - tok.end
    if gap >= rules.pause_ms or _final_mark(tok.text) in SENTENCE_END_MARKS:
        return True
    if tok.segment_end and _has_ending(tok.text, FINAL_ENDINGS):
        return True
    return gap >= rules.ending_pause_ms and _has_ending(tok.text, STRONG_ENDINGS)


def _cut_score(tok: _Token, nxt: _Token) -> float:
    """How good a cut after ``tok`` is, inside a sentence that must be cut."""
    score = min(max(nxt.start - tok.end, 0), 1000) / 1000
    if _final_mark(tok.text) in _CLAUSE_MARKS:
        score += 2.0
    elif _has_ending(tok.text, CLAUSE_ENDINGS) or _has_ending(tok.text, FINAL_ENDINGS):
        score += 1.5
    if tok.segment_end:
        score += 1.0
    return score


def _best_cut(current: list[_Token], nxt: _Token) -> int:
    """How many tokens of ``current`` to keep as a sentence before ``nxt`` (at least 1)."""
    best, where = 0.5, len(current)  # plain cut before ``nxt`` unless a real boundary exists
    for k in range(1, len(current)):
        score = _cut_score(current[k - 1], current[k]) + 0.1 * k / len(current)
        if score > best:
            best, where = score, k
    return where


def _sentence(tokens: list[_Token]) -> Sentence:
    return Sentence(tokens[0].start, max(t.end for t in tokens), " ".join(t.text for t in tokens))


def join_sentences(transcript: Transcript, rules: JoinRules | None = None) -> list[Sentence]:
    """Join a transcript's words (or cues, spread by character count) into sentences.

    The spans are the Korean speech's: start of the first word, end of the last. Works on any
    language, but the ending rules are Korean.
    """
    rules = rules or JoinRules()
    tokens = _tokens(transcript)
    sentences: list[Sentence] = []
    current: list[_Token] = []

    def too_long(tok: _Token) -> bool:
        chars = sum(len(t.text) + 1 for t in current) + len(tok.text)
        return chars > rules.max_chars or tok.end - current[0].start > rules.max_ms

    for i, tok in enumerate(tokens):
        while current and too_long(tok):
            keep = _best_cut(current, tok)
            sentences.append(_sentence(current[:keep]))
            current = current[keep:]
        current.append(tok)
        if i + 1 == len(tokens) or _ends_sentence(tok, tokens[i + 1], rules):
            sentences.append(_sentence(current))
            current = []
    return sentences


_TAG = re.compile(r"<[^>]{1,40}>|\{\\[^}]*\}")
_DASH = re.compile(r"^[-–—]\s*")


def _clean_line(line: str) -> str:
    return " ".join(_TAG.sub("", line).split())


def transcript_from_track(
    track: SubtitleTrack, *, language: str | None = None, duration_ms: int | None = None
) -> Transcript:
    """A transcript from subtitle cues (an editor's SRT): one utterance per cue, no words.

    Formatting tags are dropped; a dual-speaker cue (every line starting with ``-``) becomes one
    utterance per speaker, the cue's span shared out by character count. ``language`` defaults to
    the track's.
    """
    utterances: list[Utterance] = []
    for cue in track.cues:
        lines = [c for c in (_clean_line(line) for line in cue.lines) if c]
        if not lines:
            continue
        if len(lines) > 1 and all(_DASH.match(line) for line in lines):
            parts = [_DASH.sub("", line) for line in lines]
            parts = [p for p in parts if p]
            for tok in _spread(parts, cue.start_ms, cue.end_ms):
                utterances.append(Utterance(tok.start, tok.end, tok.text))
        else:
            utterances.append(Utterance(cue.start_ms, cue.end_ms, " ".join(lines)))
    end = max((c.end_ms for c in track.cues), default=0)
    return Transcript(language or track.language, tuple(utterances), max(duration_ms or 0, end), task="subtitles")


# --------------------------------------------------------------------------- names


@dataclass(frozen=True, slots=True)
class ProtectedText:
    """A Korean sentence with its glossary names replaced by their official English forms."""

    source: str
    text: str
    names: tuple[str, ...] = ()


def protect_names(text: str, glossary: NameGlossary | None) -> ProtectedText:
    """Replace every glossary name in ``text`` with its official English form (``BTS가 왔어요``).

    Engines pass Latin tokens through (sometimes with another case or spacing, which
    :func:`restore_names` repairs), while they translate Hangul names literally
    ("Bulletproof Boy Scouts") and mangle placeholder tokens.
    """
    if glossary is None:
        return ProtectedText(text, text)
    matches = sorted(glossary.find_korean(text), key=lambda m: (m.start, m.start - m.end))
    out: list[str] = []
    names: list[str] = []
    pos = 0
    for m in matches:
        english = " ".join(m.entry.english.split())
        if m.start < pos or m.end <= m.start or not english:
            continue
        before = text[pos : m.start]
        if before and (before[-1].isalnum() and not before[-1].isascii()):
            before += " "  # keep the Latin name a separate word after Hangul (우리BTS -> 우리 BTS)
        out.append(before)
        out.append(english)
        names.append(english)
        pos = m.end
    out.append(text[pos:])
    return ProtectedText(text, "".join(out), tuple(names))


_SEPARATORS = r"[\s\-_.·'’()]{0,2}"


@functools.lru_cache(maxsize=512)
def _name_pattern(name: str) -> re.Pattern[str]:
    """``name`` in any case, with up to two separators between its letters (``b t s``, ``Black-Pink``)."""
    chars = [ch for ch in name if ch.isalnum()]
    lead = re.escape(name[: len(name) - len(name.lstrip("([{"))])
    body = _SEPARATORS.join(re.escape(ch) for ch in chars)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{lead})?{body}(?![A-Za-z0-9])", re.IGNORECASE)


def _exact_count(text: str, name: str) -> int:
    return len(re.findall(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text))


def restore_names(english: str, protected: ProtectedText, glossary: NameGlossary | None) -> str:
    """Put the official forms back where the engine changed them, then let the glossary enforce aliases."""
    text = english
    for name in dict.fromkeys(protected.names):
        missing = protected.names.count(name) - _exact_count(text, name)
        if missing <= 0 or not any(ch.isalnum() for ch in name):
            continue

        def fix(m: re.Match[str], name: str = name) -> str:
            nonlocal missing
            if missing > 0 and m.group(0) != name:
                missing -= 1
                return name
            return m.group(0)

        text = _name_pattern(name).sub(fix, text)
    if glossary is not None:
        text = glossary.enforce_english_for(text, protected.source)
    return _tidy(text)


def names_kept(english: str, names: Sequence[str]) -> int:
    """How many of ``names`` (with repeats) appear in their exact official form in ``english``."""
    return sum(min(names.count(n), _exact_count(english, n)) for n in dict.fromkeys(names))


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    return re.sub(r"\s+([,.!?;:…]|'s\b|’s\b)", r"\1", text)


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
    def from_settings(cls, settings: Mapping[str, Any], *, timeout: float | None = None) -> RetryPolicy:
        """From ``[translator]`` keys; ``timeout`` is the engine's default when the settings have none."""
        values: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        for key, kind in (("timeout", float), ("retries", int), ("backoff", float), ("backoff_max", float)):
            if settings.get(key) is not None:
                try:
                    values[key] = kind(settings[key])
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"[translator] {key} must be a number", key=key) from exc
        try:
            return cls(**values)
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


_SECRET_PARAM = re.compile(r"((?:api_key|auth_key|key|secret|token)=)[^&\s'\")]+", re.IGNORECASE)


def _redact(text: str) -> str:
    """``text`` (an exception message, which may quote a URL) with key parameters blanked."""
    return _SECRET_PARAM.sub(r"\1***", text)


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
    text = _redact(f"{type(error).__name__}: {error}")
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


# --------------------------------------------------------------------------- cache


def default_cache_path() -> Path:
    """``<cache root>/translations.sqlite`` (``~/.cache/streamkit`` unless ``$STREAMKIT_CACHE``)."""
    from .modelstore import cache_root

    return cache_root() / "translations.sqlite"


@dataclass(frozen=True, slots=True)
class CacheKey:
    engine: str
    source: str
    target: str
    settings: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    engine      TEXT NOT NULL,
    source      TEXT NOT NULL,
    target      TEXT NOT NULL,
    settings    TEXT NOT NULL,
    text        TEXT NOT NULL,
    translation TEXT NOT NULL,
    created     REAL NOT NULL,
    PRIMARY KEY (engine, source, target, settings, text)
) WITHOUT ROWID
"""


class TranslationCache:
    """Translations in one SQLite file (WAL, busy timeout): safe for concurrent processes.

    A cache that cannot be opened or written never fails a run: it logs a warning and the run
    goes on without it.
    """

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path).expanduser()
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._broken = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is not None or self._broken:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.Error as exc:  # network file systems: keep the default journal
                log.debug("translation cache: WAL unavailable (%s)", exc)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            log.warning("translation cache %s cannot be used (%s); translating without it", self.path, exc)
            self._broken = True
            return None
        self._conn = conn
        return conn

    def lookup(self, key: CacheKey, texts: Sequence[str]) -> dict[str, str]:
        """The cached translations of those ``texts`` that have one."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(texts))
        with self._lock:
            conn = self._connect()
            if conn is None:
                return found
            try:
                for i in range(0, len(unique), 500):
                    chunk = unique[i : i + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = conn.execute(
                        "SELECT text, translation FROM translations WHERE engine = ? AND source = ? AND "
                        f"target = ? AND settings = ? AND text IN ({marks})",
                        (key.engine, key.source, key.target, key.settings, *chunk),
                    )
                    found.update((str(t), str(tr)) for t, tr in rows)
            except sqlite3.Error as exc:
                log.warning("translation cache %s unreadable (%s); translating without it", self.path, exc)
        return found

    def store(self, key: CacheKey, pairs: Sequence[tuple[str, str]]) -> None:
        if not pairs:
            return
        now = time.time()
        with self._lock:
            conn = self._connect()
            if conn is None:
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(key.engine, key.source, key.target, key.settings, t, tr, now) for t, tr in pairs],
                )
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                log.warning("could not write the translation cache %s (%s)", self.path, exc)
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    def count(self) -> int:
        with self._lock:
            conn = self._connect()
            if conn is None:
                return 0
            try:
                return int(conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0])
            except sqlite3.Error:
                return 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


# --------------------------------------------------------------------------- settings


def _lookup(settings: Mapping[str, Any], engine: str, key: str, env: Sequence[str] = ()) -> Any:
    """An engine setting: environment variables first, then ``[translator.ENGINE] key``, then ``ENGINE_key``."""
    for var in env:
        value = os.environ.get(var)
        if value:
            return value
    nested = settings.get(engine)
    if isinstance(nested, Mapping) and nested.get(key) not in (None, ""):
        return nested[key]
    flat = settings.get(f"{engine}_{key}")
    return None if flat in (None, "") else flat


def _source_of(settings: Mapping[str, Any], engine: str, key: str, env: Sequence[str]) -> str | None:
    """Where a setting comes from, for ``doctor`` (never the value)."""
    for var in env:
        if os.environ.get(var):
            return f"${var}"
    nested = settings.get(engine)
    if isinstance(nested, Mapping) and nested.get(key) not in (None, ""):
        return f"config [translator.{engine}] {key}"
    if settings.get(f"{engine}_{key}") not in (None, ""):
        return f"config [translator] {engine}_{key}"
    return None


@dataclass(frozen=True)
class EngineConfig:
    """Whether an engine has what it needs (``detail`` names where keys come from, never their values)."""

    configured: bool
    detail: str


# --------------------------------------------------------------------------- the base engine


@dataclass
class EngineStats:
    """What one engine object did (summed over its ``translate`` calls)."""

    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    answers: int = 0  # batches answered and accepted
    split_fallbacks: int = 0  # batches halved because the answer could not be split by lines
    too_large: int = 0  # batches halved because the server refused their size
    sentences: int = 0
    cached: int = 0  # texts answered from the cache
    translated: int = 0  # texts answered by the engine
    chars_sent: int = 0
    names: int = 0  # glossary names in the Korean
    names_kept: int = 0  # of those, found in their official English form in the translation


@dataclass(frozen=True)
class _Item:
    """One text to send: a (part of a) protected sentence."""

    sentence: int
    text: str


class TextEngine:
    """Shared logic of the text engines; subclasses build the deep-translator client.

    Settings (``EngineContext.settings``, i.e. the config file's ``[translator]`` section plus what
    the pipeline adds): ``glossary`` (a :class:`NameGlossary`), ``cache_path`` (or ``cache = false``),
    ``timeout``, ``retries``, ``backoff``, ``backoff_max``, ``url`` (``--translator-url``),
    ``max_chars`` and the engine's own keys (see each adapter).
    """

    name: str = ""
    description: str = ""
    #: Request limits: characters, UTF-8 bytes, percent-encoded length (GET engines), texts per request.
    max_chars: int = 2000
    max_bytes: int | None = None
    max_encoded: int | None = None
    max_items: int | None = None
    #: Default socket timeout in seconds (``[translator] timeout`` overrides it).
    timeout: float = 15.0
    #: streamkit language code -> the engine's code.
    codes: ClassVar[Mapping[str, str]] = {}
    #: Environment variables naming the endpoint (after ``--translator-url``), and the default endpoint.
    url_env: tuple[str, ...] = ()
    default_url: str = ""

    def __init__(self, target: str = "en", settings: Mapping[str, Any] | None = None) -> None:
        self.target = target
        self.settings: Mapping[str, Any] = dict(settings or {})
        self.policy = RetryPolicy.from_settings(self.settings, timeout=self.timeout)
        self.glossary: NameGlossary | None = self.settings.get("glossary")
        self.join_rules = JoinRules()
        self.stats = EngineStats()
        limit = _lookup(self.settings, self.name, "max_chars") or self.settings.get("max_chars")
        try:
            self._limit = int(limit) if limit else self.max_chars
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[translator] {self.name}_max_chars must be a whole number", key="max_chars") from exc
        if self._limit < 1:
            raise ConfigError(f"[translator] {self.name}_max_chars must be positive", key="max_chars")
        self._lines_fail = 0  # answers that could not be split by lines (this run)
        self._lines_ok = 0
        self.cache: TranslationCache | None = None
        if self.settings.get("cache", True) is not False:
            path = self.settings.get("cache_path")
            self.cache = TranslationCache(Path(path) if path else default_cache_path())
        self.configure()

    # -- what subclasses provide -------------------------------------------------------------

    def configure(self) -> None:
        """Read and check the engine's own settings; raise ``TranslationError`` if unusable."""

    @classmethod
    def configuration(cls, settings: Mapping[str, Any]) -> EngineConfig:
        return EngineConfig(True, "no key needed")

    def _client(self, source: str) -> Any:
        """A new deep-translator translator for ``source`` -> ``self.target`` (one per attempt)."""
        raise NotImplementedError

    def _send(self, client: Any, texts: list[str]) -> str | list[str]:
        """One request: newline-joined texts through deep-translator's ``translate``."""
        return str(client.translate("\n".join(texts)) or "")

    @property
    def url(self) -> str:
        """The endpoint the requests go to."""
        explicit = self.settings.get("url") or _lookup(self.settings, self.name, "url", self.url_env)
        return str(explicit or self.default_url)

    def fingerprint(self) -> str:
        """Everything besides the languages and the text that changes the answer (never secrets)."""
        return f"{self.name}|{self.url}"

    def code(self, language: str) -> str:
        return self.codes.get(language, language)

    # -- hints -------------------------------------------------------------------------------

    def offline_hint(self) -> str:
        return ("no network? --translator whisper works offline; or run a LibreTranslate server and use "
                "--translator libre --translator-url http://localhost:5000")

    def key_hint(self) -> str:
        return "check the engine's key"

    def _error(self, failure: _Failure) -> TranslationError:
        tries = f" after {failure.attempts} attempts" if failure.attempts > 1 else ""
        resume = "run the same command again later: sentences already translated are cached"
        if failure.kind == "unreachable":
            return TranslationError(self.name, f"{failure.detail}{tries}", hint=self.offline_hint())
        if failure.kind == "auth":
            return TranslationError(self.name, failure.detail, hint=self.key_hint())
        if failure.kind == "unsupported":
            return TranslationError(self.name, failure.detail, hint="choose another engine with --translator")
        if failure.kind in ("timeout", "dropped", "server", "malformed"):
            return TranslationError(self.name, f"gave up{tries}: {failure.detail}",
                                    hint=f"{resume}, or choose another engine with --translator "
                                    "(whisper works offline); [translator] timeout raises the time limit")
        if failure.kind == "rate-limited":
            return TranslationError(self.name, f"gave up{tries}: {failure.detail}",
                                    hint=f"{resume}, or choose another engine with --translator")
        return TranslationError(self.name, failure.detail, hint="choose another engine with --translator")

    # -- one request, with retries -----------------------------------------------------------

    def _request(self, source: str, texts: list[str], *, policy: RetryPolicy | None = None) -> str | list[str]:
        """One request through deep-translator, retried on transient failures; raises ``_Failure`` when it gives up.

        An unreachable host is retried once only: no network will not come back within seconds.
        """
        policy = policy or self.policy
        failure: _Failure | None = None
        attempt = 0
        while attempt < policy.attempts:
            attempt += 1
            try:
                answer, guard = _guarded(lambda: self._send(self._client(source), texts), policy.timeout)
            except _CallFailed as failed:
                self.stats.requests += failed.guard.requests
                failure = _classify(failed.error, failed.guard)
                log.debug("%s: attempt %d failed: %s (%s)", self.name, attempt, failure.detail,
                          _redact(repr(failed.error)))
                if not failure.retry:
                    failure.attempts = attempt
                    raise failure from failed.error
            else:
                self.stats.requests += guard.requests
                self.stats.chars_sent += sum(len(t) for t in texts) + len(texts) - 1
                if any(answer) if isinstance(answer, list) else answer.strip():
                    return answer
                failure = _Failure("malformed", "empty answer", retry=True)
            if attempt >= policy.attempts or (failure.kind == "unreachable" and attempt >= 2):
                break
            self.stats.retries += 1
            wait = policy.delay(attempt, failure.retry_after)
            log.info("%s: %s; retrying in %.1f s", self.name, failure.detail, wait)
            time.sleep(wait)
        assert failure is not None
        failure.retry = False
        failure.attempts = attempt
        raise failure

    # -- batching ----------------------------------------------------------------------------

    def _fits(self, texts: Sequence[str]) -> bool:
        if self.max_items is not None and len(texts) > self.max_items:
            return False
        joined = "\n".join(texts)
        if len(joined) > self._limit:
            return False
        if self.max_bytes is not None and len(joined.encode("utf-8")) > self.max_bytes:
            return False
        return self.max_encoded is None or len(quote(joined, safe="")) <= self.max_encoded

    def _pieces(self, text: str) -> list[str]:
        """``text`` cut at spaces into pieces that each fit one request (almost always ``[text]``)."""
        if self._fits([text]):
            return [text]
        pieces: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if current and not self._fits([candidate]):
                pieces.append(current)
                current = word
            else:
                current = candidate
            while len(current) > 1 and not self._fits([current]):  # a "word" over the limit: cut it
                cut = len(current) // 2
                pieces.append(current[:cut])
                current = current[cut:]
        if current:
            pieces.append(current)
        return pieces

    def _pack(self, texts: Sequence[str]) -> list[list[str]]:
        """Greedy batches of consecutive texts, each within the engine's limits."""
        batches: list[list[str]] = []
        current: list[str] = []
        size = 0
        for text in texts:
            step = len(text) + (1 if current else 0)
            if current and (size + step > self._limit or not self._fits([*current, text])):
                batches.append(current)
                current, size = [], 0
                step = len(text)
            current.append(text)
            size += step
        if current:
            batches.append(current)
        return batches

    @staticmethod
    def _split_answer(answer: str | list[str], count: int) -> list[str] | None:
        if isinstance(answer, list):
            return [str(a).strip() for a in answer] if len(answer) == count else None
        lines = [line.strip() for line in answer.replace("\r\n", "\n").strip("\n").split("\n")]
        if len(lines) != count:
            lines = [line for line in lines if line]
        if len(lines) != count or (count > 1 and not all(lines)):
            return None
        return lines

    def _translate_batch(self, source: str, batch: list[str], done: Callable[[list[str], list[str]], None]) -> None:
        try:
            answer = self._request(source, batch)
        except _Failure as failure:
            if len(batch) > 1 and failure.kind in ("too-large", "bad-request"):
                self.stats.too_large += 1
                self._limit = max(1, min(self._limit, len("\n".join(batch)) // 2))
                log.info("%s: %s; halving the batch (limit now %d characters)", self.name, failure.detail,
                         self._limit)
                self._halves(source, batch, done)
                return
            raise
        lines = self._split_answer(answer, len(batch))
        if lines is None and len(batch) == 1:
            lines = [" ".join(answer if isinstance(answer, list) else answer.split())]
        if lines is None:
            self.stats.split_fallbacks += 1
            self._lines_fail += 1
            log.info("%s: the answer to %d lines could not be split back; halving the batch", self.name, len(batch))
            self._halves(source, batch, done)
            return
        if len(batch) > 1:
            self._lines_ok += 1
        self.stats.answers += 1
        done(batch, lines)

    def _halves(self, source: str, batch: list[str], done: Callable[[list[str], list[str]], None]) -> None:
        if self._lines_fail >= 3 and self._lines_ok == 0:
            # This engine does not keep lines: one sentence per request from here on.
            for text in batch:
                self._translate_batch(source, [text], done)
            return
        mid = len(batch) // 2
        self._translate_batch(source, batch[:mid], done)
        self._translate_batch(source, batch[mid:], done)

    # -- text translation --------------------------------------------------------------------

    def translate_texts(
        self, texts: Sequence[str], source: str = "ko", progress: Callable[[int, int], None] | None = None
    ) -> list[str]:
        """Translate each text as one unit (a sentence): names protected, cached, batched.

        Returns one English string per text ("" where the engine gave nothing). ``progress`` gets
        ``(texts_done, texts_total)``.
        """
        protected = [protect_names(" ".join(t.split()), self.glossary) for t in texts]
        items: list[_Item] = []
        passthrough: dict[int, str] = {}
        for i, p in enumerate(protected):
            if not any(ch.isalnum() for ch in p.text):
                passthrough[i] = p.text  # "♪", "...": nothing to translate
                continue
            items.extend(_Item(i, piece) for piece in self._pieces(p.text))
        key = CacheKey(self.name, source, self.target, self.fingerprint())
        wanted = list(dict.fromkeys(item.text for item in items))
        answers = self.cache.lookup(key, wanted) if self.cache is not None else {}
        self.stats.cached += len(answers)
        missing = [t for t in wanted if t not in answers]
        total = len(wanted)
        if progress:
            progress(len(answers), total)

        def done(batch: list[str], lines: list[str]) -> None:
            pairs = [(t, line) for t, line in zip(batch, lines, strict=True) if line]
            answers.update(pairs)
            self.stats.translated += len(pairs)
            if self.cache is not None:
                self.cache.store(key, pairs)
            if progress:
                progress(len(answers), total)

        if missing:
            log.info("%s: %d of %d texts to translate (%d cached)", self.name, len(missing), total,
                     total - len(missing))
        try:
            for batch in self._pack(missing):
                self._translate_batch(source, batch, done)
        except _Failure as failure:
            raise self._error(failure) from None

        parts: dict[int, list[str]] = {}
        for item in items:
            english = answers.get(item.text, "")
            if english:
                parts.setdefault(item.sentence, []).append(english)
        out: list[str] = []
        for i, p in enumerate(protected):
            if i in passthrough:
                out.append(passthrough[i])
                continue
            english = restore_names(" ".join(parts.get(i, [])), p, self.glossary) if i in parts else ""
            if not english:
                log.warning("%s: no translation for %r", self.name, p.source[:60])
            self.stats.names += len(p.names)
            self.stats.names_kept += names_kept(english, p.names)
            out.append(english)
        return out

    def translate(
        self, transcript: Transcript, audio: AudioTrack | None, progress: ProgressCallback | None = None
    ) -> Transcript:
        """The English transcript: one utterance per Korean sentence, over that sentence's span."""
        sentences = join_sentences(transcript, self.join_rules)
        self.stats.sentences += len(sentences)
        total_s = transcript.duration_ms / 1000

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress(total_s * done / max(total, 1), total_s)

        english = self.translate_texts([s.text for s in sentences], transcript.language, report)
        utterances = tuple(
            Utterance(s.start_ms, s.end_ms, text) for s, text in zip(sentences, english, strict=True) if text.strip()
        )
        return Transcript(self.target, utterances, transcript.duration_ms, model=self.fingerprint(), task=self.name)

    def check(self, timeout: float = 5.0) -> tuple[bool, str]:
        """One real request (a short greeting, no cache, no retry): is the engine reachable and accepting us?"""
        policy = RetryPolicy(timeout=min(timeout, self.policy.timeout), retries=0)
        started = time.perf_counter()
        try:
            answer = self._request("ko", ["안녕하세요"], policy=policy)
        except _Failure as failure:
            return False, failure.detail
        except StreamkitError as exc:
            return False, exc.message
        ms = (time.perf_counter() - started) * 1000
        text = answer if isinstance(answer, str) else " ".join(answer)
        return bool(text.strip()), f"answered in {ms:.0f} ms" if text.strip() else "empty answer"

    @classmethod
    def from_context(cls, context: EngineContext) -> Translator:
        return cls(target=context.target, settings=context.settings)


# --------------------------------------------------------------------------- adapters


class GoogleEngine(TextEngine):
    """Google Translate's web endpoint via deep-translator's ``GoogleTranslator`` (GET, no key).

    deep-translator refuses 5000 characters or more; the text travels in the URL, and Google
    answers 400 to URLs much over 16 kB (about 1800 Hangul characters), so requests are also kept
    under 15000 percent-encoded characters.
    """

    name = "google"
    description = "Google Translate (default, no key)"
    max_chars = 4999
    max_encoded = 15000
    codes: ClassVar[Mapping[str, str]] = {"zh": "zh-CN"}
    default_url = "https://translate.google.com/m"

    def _client(self, source: str) -> Any:
        from deep_translator import GoogleTranslator

        client = GoogleTranslator(source=self.code(source), target=self.code(self.target))
        client._base_url = self.url
        return client


class LibreEngine(TextEngine):
    """Any LibreTranslate server via deep-translator's ``LibreTranslator`` (``custom_url``).

    URL: ``--translator-url``, ``$STREAMKIT_LIBRE_URL``, ``[translator] libre_url``, else
    ``http://localhost:5000/``. Key (optional): ``$STREAMKIT_LIBRE_API_KEY`` or
    ``[translator] libre_api_key``. deep-translator sends the text in the query string of a POST.
    """

    name = "libre"
    description = "LibreTranslate server (--translator-url, optional key)"
    max_chars = 2000
    timeout = 30.0  # a CPU server takes a while over 2000 characters
    url_env = ("STREAMKIT_LIBRE_URL",)
    default_url = "http://localhost:5000/"
    key_env = ("STREAMKIT_LIBRE_API_KEY",)

    @property
    def url(self) -> str:
        base = super().url
        return base if base.endswith("/") else base + "/"

    def configure(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TranslationError(self.name, f"not an http(s) URL: {self.url!r}",
                                   hint="use --translator-url http://HOST:PORT (e.g. http://localhost:5000)")
        self.api_key = _lookup(self.settings, self.name, "api_key", self.key_env)

    @classmethod
    def configuration(cls, settings: Mapping[str, Any]) -> EngineConfig:
        where = "--translator-url" if settings.get("url") else _source_of(settings, cls.name, "url", cls.url_env)
        key = _source_of(settings, cls.name, "api_key", cls.key_env)
        url_part = f"URL from {where}" if where else f"default URL {cls.default_url}"
        return EngineConfig(True, f"{url_part}; key {'from ' + key if key else 'none'}")

    def _client(self, source: str) -> Any:
        from deep_translator import LibreTranslator

        client = LibreTranslator(source=self.code(source), target=self.code(self.target),
                                 api_key=self.api_key or "-", custom_url=self.url)
        if not self.api_key:
            client.api_key = None  # deep-translator insists on a key; keyless servers get none
        return client

    def offline_hint(self) -> str:
        parts = urlsplit(self.url)
        shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # no user:password
        return (f"is a LibreTranslate server running at {shown}? start one (libretranslate --load-only ko,en) "
                "or pass --translator-url; --translator whisper works offline")

    def key_hint(self) -> str:
        return "set STREAMKIT_LIBRE_API_KEY (or [translator] libre_api_key in the config file)"


class DeeplEngine(TextEngine):
    """DeepL via deep-translator's ``DeeplTranslator``, with the request brought up to date.

    deep-translator 1.11.4 sends ``GET /v2/translate?auth_key=...``; DeepL stopped accepting the
    key as a parameter (header ``Authorization: DeepL-Auth-Key`` only, since 2026-01-15) and GET on
    ``/translate``. The adapter keeps deep-translator's class (languages, errors) and sends a POST
    with the header and one ``text`` field per sentence (DeepL's own batching, up to 50).
    Key: ``$STREAMKIT_DEEPL_API_KEY``, ``$DEEPL_API_KEY`` or ``[translator] deepl_api_key``; keys
    ending in ``:fx`` use the Free endpoint.
    """

    name = "deepl"
    description = "DeepL (API key)"
    max_chars = 10000
    max_items = 50
    key_env = ("STREAMKIT_DEEPL_API_KEY", "DEEPL_API_KEY")
    url_env = ()

    def configure(self) -> None:
        key = _lookup(self.settings, self.name, "api_key", self.key_env)
        if not key:
            raise TranslationError(self.name, "no API key", hint=self.key_hint())
        self.api_key = str(key)

    @classmethod
    def configuration(cls, settings: Mapping[str, Any]) -> EngineConfig:
        where = _source_of(settings, cls.name, "api_key", cls.key_env)
        return EngineConfig(bool(where), f"key from {where}" if where else "no key: set STREAMKIT_DEEPL_API_KEY")

    @property
    def default_url(self) -> str:  # type: ignore[override]
        free = getattr(self, "api_key", "").endswith(":fx")
        return "https://api-free.deepl.com/v2/" if free else "https://api.deepl.com/v2/"

    @property
    def url(self) -> str:
        base = super().url
        return base if base.endswith("/") else base + "/"

    def code(self, language: str) -> str:
        return {"en": "EN-US", "pt": "PT-BR", "zh": "ZH"}.get(language, language.upper())

    def _client(self, source: str) -> Any:
        client = _deepl_client_class()(source="de", target="en", api_key=self.api_key)
        client.source = self.code(source)  # deep-translator's list predates DeepL's Korean
        client.target = self.code(self.target)
        client._base_url = self.url
        return client

    def _send(self, client: Any, texts: list[str]) -> str | list[str]:
        return list(client.translate_lines(texts))

    def key_hint(self) -> str:
        return "set STREAMKIT_DEEPL_API_KEY (or [translator] deepl_api_key); Free keys end in :fx"


@functools.cache
def _deepl_client_class() -> Any:
    from deep_translator import DeeplTranslator
    from deep_translator.exceptions import AuthorizationException, ServerException, TranslationNotFound
    from deep_translator.validate import request_failed

    class _DeeplClient(DeeplTranslator):  # type: ignore[misc]
        def translate_lines(self, texts: list[str]) -> list[str]:
            data = [("text", t) for t in texts] + [("source_lang", self._source), ("target_lang", self._target)]
            response = requests.post(self._base_url + "translate", data=data,
                                     headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"})
            if response.status_code == 403:
                raise AuthorizationException(self.api_key)
            if request_failed(status_code=response.status_code):
                raise ServerException(response.status_code)
            res = response.json()
            if not res or "translations" not in res:
                raise TranslationNotFound(texts)
            return [t["text"] for t in res["translations"]]

    return _DeeplClient


class PapagoEngine(TextEngine):
    """Naver Papago (the Korean specialist) via deep-translator's ``PapagoTranslator``.

    deep-translator posts to the Naver Developers endpoint ``openapi.naver.com/v1/papago/n2mt``
    with ``X-Naver-Client-Id``/``-Secret`` headers, and maps ``ko`` to ``Korean`` (its language
    table is reversed); the adapter sets the codes back. Keys from the Naver Cloud Platform
    (``naveropenapi.apigw.ntruss.com/nmt/v1/translation``, ``X-NCP-APIGW-API-KEY-ID`` headers):
    set ``[translator] papago_api = "ncp"``. Credentials: ``$STREAMKIT_PAPAGO_CLIENT_ID`` and
    ``$STREAMKIT_PAPAGO_CLIENT_SECRET`` (or ``papago_client_id``/``papago_client_secret``).
    """

    name = "papago"
    description = "Naver Papago (client id and secret; the Korean specialist)"
    max_chars = 5000
    codes: ClassVar[Mapping[str, str]] = {"zh": "zh-CN"}
    id_env = ("STREAMKIT_PAPAGO_CLIENT_ID",)
    secret_env = ("STREAMKIT_PAPAGO_CLIENT_SECRET",)
    NCP_URL = "https://naveropenapi.apigw.ntruss.com/nmt/v1/translation"

    @property
    def default_url(self) -> str:  # type: ignore[override]
        return self.NCP_URL if getattr(self, "api", "") == "ncp" else "https://openapi.naver.com/v1/papago/n2mt"

    def configure(self) -> None:
        self.client_id = _lookup(self.settings, self.name, "client_id", self.id_env)
        self.client_secret = _lookup(self.settings, self.name, "client_secret", self.secret_env)
        self.api = str(_lookup(self.settings, self.name, "api") or "developers")
        if self.api not in ("developers", "ncp"):
            raise TranslationError(self.name, f"unknown papago_api {self.api!r}", hint='use "developers" or "ncp"')
        if not (self.client_id and self.client_secret):
            raise TranslationError(self.name, "no client id and secret", hint=self.key_hint())

    @classmethod
    def configuration(cls, settings: Mapping[str, Any]) -> EngineConfig:
        cid = _source_of(settings, cls.name, "client_id", cls.id_env)
        secret = _source_of(settings, cls.name, "client_secret", cls.secret_env)
        if cid and secret:
            return EngineConfig(True, f"client id from {cid}, secret from {secret}")
        return EngineConfig(False, "set STREAMKIT_PAPAGO_CLIENT_ID and STREAMKIT_PAPAGO_CLIENT_SECRET")

    def fingerprint(self) -> str:
        return f"{self.name}|{self.api}|{self.url}"

    def _client(self, source: str) -> Any:
        from deep_translator import PapagoTranslator

        cls = _papago_ncp_class() if self.api == "ncp" else PapagoTranslator
        client = cls(client_id=self.client_id, secret_key=self.client_secret, source="ko", target="en")
        client.source = self.code(source)
        client.target = self.code(self.target)
        client._base_url = self.url
        return client

    def key_hint(self) -> str:
        return ("set STREAMKIT_PAPAGO_CLIENT_ID and STREAMKIT_PAPAGO_CLIENT_SECRET; Naver Cloud keys also need "
                '[translator] papago_api = "ncp"')


@functools.cache
def _papago_ncp_class() -> Any:
    from deep_translator import PapagoTranslator
    from deep_translator.exceptions import TranslationNotFound
    from deep_translator.validate import request_failed

    class _PapagoNcp(PapagoTranslator):  # type: ignore[misc]
        """deep-translator's Papago with the Naver Cloud Platform's header names."""

        def translate(self, text: str, **kwargs: Any) -> str:
            headers = {"X-NCP-APIGW-API-KEY-ID": self.client_id, "X-NCP-APIGW-API-KEY": self.secret_key}
            payload = {"source": self._source, "target": self._target, "text": text}
            response = requests.post(self._base_url, headers=headers, data=payload)
            if request_failed(status_code=response.status_code):
                raise Exception(f"Translation error! -> status code: {response.status_code}")
            result = (response.json().get("message") or {}).get("result") or {}
            if not result.get("translatedText"):
                raise TranslationNotFound(text)
            return str(result["translatedText"])

    return _PapagoNcp


class MyMemoryEngine(TextEngine):
    """MyMemory via deep-translator's ``MyMemoryTranslator`` (GET, no key; 500 bytes per request).

    An e-mail address (``$STREAMKIT_MYMEMORY_EMAIL`` or ``[translator] mymemory_email``) raises the
    free daily quota from 5000 to 50000 characters. MyMemory reports an exhausted quota as a 200
    answer whose "translation" is a warning; the adapter turns that into an error.
    """

    name = "mymemory"
    description = "MyMemory (no key; optional e-mail for a larger quota)"
    max_chars = 499
    max_bytes = 480
    codes: ClassVar[Mapping[str, str]] = {"ko": "ko-KR", "en": "en-US", "zh": "zh-CN"}
    default_url = "https://api.mymemory.translated.net/get"
    email_env = ("STREAMKIT_MYMEMORY_EMAIL",)

    def configure(self) -> None:
        self.email = _lookup(self.settings, self.name, "email", self.email_env)

    @classmethod
    def configuration(cls, settings: Mapping[str, Any]) -> EngineConfig:
        where = _source_of(settings, cls.name, "email", cls.email_env)
        return EngineConfig(True, f"e-mail from {where}" if where else "anonymous (5000 characters a day)")

    def _client(self, source: str) -> Any:
        from deep_translator import MyMemoryTranslator

        client = MyMemoryTranslator(source="korean", target="english", email=self.email)
        client.source = self.code(source)
        client.target = self.code(self.target)
        client._base_url = self.url
        return client

    def _send(self, client: Any, texts: list[str]) -> str | list[str]:
        answer = super()._send(client, texts)
        head = str(answer)[:80].upper()
        if "MYMEMORY WARNING" in head:
            raise _EngineAnswer("rate-limited", "daily free quota used up (MyMemory warning)")
        if "QUERY LENGTH LIMIT" in head:
            raise _EngineAnswer("too-large", "request too large (MyMemory query length limit)")
        return answer


#: The built-in text engines, by name.
ENGINES: dict[str, type[TextEngine]] = {
    cls.name: cls for cls in (GoogleEngine, DeeplEngine, PapagoEngine, MyMemoryEngine, LibreEngine)
}


# --------------------------------------------------------------------------- doctor


@dataclass(frozen=True)
class EngineCheck:
    """One row of ``streamkit doctor``."""

    name: str
    description: str
    configured: str  # "yes" | "no" | "?"
    reachable: str  # "yes" | "no" | "not checked" | "offline engine"
    detail: str = ""


def _check_one(name: str, description: str, settings: Mapping[str, Any], offline: bool, timeout: float) -> EngineCheck:
    cls = ENGINES.get(name)
    if name == "whisper":
        from .transcribe import resolve_model

        try:
            choice = resolve_model(None, allow_download=False)
            return EngineCheck(name, description, "yes", "offline engine", f"model {choice.name} ({choice.source})")
        except StreamkitError as exc:
            return EngineCheck(name, description, "no", "offline engine", exc.message)
    if cls is None:
        return EngineCheck(name, description, "?", "not checked", "plugin engine")
    config = cls.configuration(settings)
    if not config.configured:
        return EngineCheck(name, description, "no", "not checked", config.detail)
    if offline:
        return EngineCheck(name, description, "yes", "not checked", config.detail)
    try:
        engine = cls(settings={**settings, "cache": False})
        ok, detail = engine.check(timeout)
    except StreamkitError as exc:
        return EngineCheck(name, description, "no", "not checked", exc.message)
    return EngineCheck(name, description, "yes", "yes" if ok else "no", f"{config.detail}; {detail}")


def check_engines(
    settings: Mapping[str, Any] | None = None, *, offline: bool = False, timeout: float = 5.0
) -> list[EngineCheck]:
    """Every registered engine: configured (keys present; never their values) and reachable (one short request).

    Reachability checks run concurrently, each bounded by ``timeout`` seconds.
    """
    from .translate import available_engines

    settings = dict(settings or {})
    engines = available_engines()
    with ThreadPoolExecutor(max_workers=max(1, len(engines))) as pool:
        futures = [
            pool.submit(_check_one, name, info.description, settings, offline, timeout)
            for name, info in sorted(engines.items())
        ]
        return [f.result() for f in futures]


# --------------------------------------------------------------------------- registration


@hookimpl
def register_translators(register) -> None:  # type: ignore[no-untyped-def]
    for name, cls in ENGINES.items():
        register(name, cls.from_context, cls.description)
