"""A LibreTranslate-compatible HTTP server for tests, on 127.0.0.1, that can misbehave on purpose.

``POST /translate`` (``q``, ``source``, ``target``, ``format``, ``api_key`` from the query string,
a form body or a JSON body; ``q`` a string or a list) and ``GET /languages``, as LibreTranslate
serves them. deep-translator's ``LibreTranslator`` talks to it through ``custom_url``.

The same server also answers the other engines' endpoints, so their deep-translator classes can be
tested at their HTTP boundary with the base URL pointed here (``url`` setting):
``GET /google/m`` (an HTML page like Google's mobile site), ``POST /deepl/v2/translate``,
``POST /papago/v1/papago/n2mt`` and ``POST /ncp/nmt/v1/translation``, ``GET /mymemory/get``.

The "translation" is deterministic: a small phrase book, names mistranslated the way real engines
do (방탄소년단 -> "Bulletproof Boy Scouts", 세븐틴 -> "seventeen", 블랙핑크 -> "Black Pink"), Latin
name tokens optionally mangled (lowercased, letters spaced out, re-cased), Korean particles glued
to Latin tokens dropped, and any other Hangul romanized (so English lengths are realistic).
Each line of ``q`` is translated separately and the lines are joined with ``\\n`` again.

Any other ``target`` gets a stand-in for the service's answer in that language, made from the Korean
directly (never through English) by :func:`fake_translation`: words of a small phrase list in the
target's script (which marks the language), names and placeholders kept as the engine would, sentence
punctuation in the target's style, and as many characters as a subtitler's translation would have: the
Korean syllables times the ratio of the target's reading speed to Korean's (Japanese 4 cps: a third).

Failures are scripted per translate request with :meth:`LibreServer.fail`: ``"slow"`` (answer after
``slow_seconds``), ``"429"``, ``"500"``, ``"503"``, ``"403"``, ``"413"``, ``"malformed"`` (invalid
JSON), ``"html"`` (an HTML error page with status 200), ``"drop"`` (close the connection without an
answer), ``"merge"`` (join the answer's lines: a changed line count), ``"empty"``.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import re
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

__all__ = ["PHRASES", "SECRETS", "VOCABULARY", "Hit", "LibreServer", "fake_translation", "free_port", "leaked",
           "romanize"]

#: Whole-sentence and phrase translations (checked longest first).
PHRASES: dict[str, str] = {
    "안녕하세요": "Hello",
    "여러분": "everyone",
    "감사합니다": "Thank you",
    "고마워요": "Thanks",
    "사랑해요": "I love you",
    "오늘": "today",
    "정말": "really",
    "진짜": "really",
    "노래": "song",
    "무대": "stage",
    "팬": "fans",
    "콘서트": "concert",
    "신곡": "new song",
    "좋아요": "it's good",
    "재밌었어요": "it was fun",
    "보고 싶었어요": "I missed you",
    "같이": "together",
    "내일": "tomorrow",
    "우리": "we",
    "그리고": "and",
}

#: How the server "translates" names written in Hangul (what real engines get wrong).
KOREAN_NAMES: dict[str, str] = {
    "방탄소년단": "Bulletproof Boy Scouts",
    "세븐틴": "seventeen",
    "블랙핑크": "Black Pink",
    "뉴진스": "New Jeans",
    "트와이스": "twice",
    "아이브": "Ive",
    "에스파": "Aespa",
    "스트레이 키즈": "Stray Kids",
    "르세라핌": "Le Sserafim",
    "지민": "Jimin",
    "정국": "Jeong-guk",
    "제니": "Jenny",
}

#: Korean particles an engine absorbs when they are glued to a Latin word (BTS가 -> BTS).
PARTICLES = ("이랑", "랑", "하고", "에게", "한테", "에서", "이가", "이", "가", "은", "는", "을", "를", "의", "도",
             "와", "과", "야", "아", "님")  # fmt: skip

_HANGUL_RUN = re.compile(r"[가-힣]+")
_LATIN_NAME = re.compile(r"[A-Z][A-Za-z()\-]*[A-Z][A-Za-z()\-]*|\b[A-Z][a-z]+[A-Z][A-Za-z]*\b")
_PLACEHOLDER = re.compile(r"⟦\d+⟧|__[A-Z]+\d*__|\[\[\d+\]\]")

_INITIALS = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_MEDIALS = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
            "yu", "eu", "ui", "i"]  # fmt: skip
_FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
           "ng", "t", "t", "k", "t", "p", "t"]  # fmt: skip


#: Words of each target language the stand-in translation is made of (deterministically chosen).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "en": ("today", "everyone", "thank you", "song", "stage", "together", "tomorrow", "happy", "really"),
    "ja": ("今日", "みんな", "本当に", "ありがとう", "歌", "ステージ", "一緒に", "楽しい", "また", "会いたい"),
    "zh-Hans": ("今天", "大家", "真的", "谢谢", "歌曲", "舞台", "一起", "开心", "明天", "见面"),
    "zh-Hant": ("今天", "大家", "真的", "謝謝", "歌曲", "舞臺", "一起", "開心", "明天", "見面"),
    "es": ("hoy", "todos", "gracias", "canción", "escenario", "juntos", "mañana", "feliz", "amigos", "ver"),
    "pt": ("hoje", "todos", "obrigado", "música", "palco", "juntos", "amanhã", "feliz", "amigos", "ver"),
    "id": ("hari", "ini", "semua", "terima", "kasih", "lagu", "panggung", "bersama", "besok", "senang"),
    "th": ("วันนี้", "ทุกคน", "ขอบคุณ", "เพลง", "เวที", "ด้วยกัน", "พรุ่งนี้", "มีความสุข", "จริงๆ", "เจอกัน"),
    "vi": ("hôm nay", "mọi người", "cảm ơn", "bài hát", "sân khấu", "cùng nhau", "ngày mai", "vui", "thật"),
    "fr": ("aujourd'hui", "tous", "merci", "chanson", "scène", "ensemble", "demain", "heureux", "vraiment"),
    "de": ("heute", "alle", "danke", "Lied", "Bühne", "zusammen", "morgen", "glücklich", "wirklich"),
    "ar": ("اليوم", "الجميع", "شكرا", "أغنية", "المسرح", "معا", "غدا", "سعيد", "حقا"),
    "he": ("היום", "כולם", "תודה", "שיר", "במה", "ביחד", "מחר", "שמח", "באמת"),
    "tl": ("ngayon", "lahat", "salamat", "kanta", "entablado", "sama-sama", "bukas", "masaya", "talaga"),
    "tr": ("bugün", "herkes", "teşekkürler", "şarkı", "sahne", "birlikte", "yarın", "mutlu", "gerçekten"),
    "ru": ("сегодня", "все", "спасибо", "песня", "сцена", "вместе", "завтра", "рады", "правда"),
}
#: Target characters per Korean syllable: the target's reading speed over Korean's 12 cps (Netflix).
_RATIO = {"ja": 4 / 12, "zh-Hans": 9 / 12, "zh-Hant": 9 / 12, "ar": 1.2}
_UNSPACED = frozenset({"ja", "zh-Hans", "zh-Hant"})
_END_MARKS = {"ja": {".": "。", "?": "？", "!": "！"}, "zh-Hans": {".": "。", "?": "？", "!": "！"},
              "zh-Hant": {".": "。", "?": "？", "!": "！"}, "ar": {"?": "؟"}, "th": {".": ""}}
_NAME_OR_HOLDER = re.compile(r"⟦\d+⟧|__[A-Z]+\d*__|\[\[\d+\]\]|[A-Za-z][A-Za-z0-9()\-.']*")


def _words_for(korean: str, target: str, budget: int) -> list[str]:
    vocab = VOCABULARY[target]
    seed = zlib.crc32(korean.encode("utf-8"))
    words: list[str] = []
    used = 0
    while used < budget:
        word = vocab[(seed + len(words) * 7) % len(vocab)]
        words.append(word)
        used += len(word) + (0 if target in _UNSPACED else 1)
    return words


def fake_translation(line: str, target: str) -> str:
    """A stand-in for a service's translation of one Korean line into ``target`` (deterministic).

    Names and placeholders (Latin runs, ``⟦1⟧``) are kept in place, each stretch of Hangul between
    them becomes target-language words, about ``syllables x _RATIO`` characters long.
    """
    if target not in VOCABULARY:
        return f"[{target}] " + line
    joiner = "" if target in _UNSPACED else " "
    ratio = _RATIO.get(target, 17 / 12 * 0.9)
    parts: list[str] = []
    last = 0
    for m in [*_NAME_OR_HOLDER.finditer(line), None]:
        stretch = line[last:m.start()] if m else line[last:]
        syllables = len(_HANGUL_RUN.findall(stretch)) and sum(len(r) for r in _HANGUL_RUN.findall(stretch))
        if syllables:
            parts.append(joiner.join(_words_for(stretch, target, max(1, round(syllables * ratio)))))
        if m:
            parts.append(m.group(0))
            last = m.end()
    text = " ".join(p for p in parts if p) if joiner else "".join(
        (p if i == 0 or not (p[0].isascii() or parts[i - 1][-1:].isascii()) else " " + p)
        for i, p in enumerate(parts) if p)
    mark = line.rstrip()[-1:] if line.rstrip()[-1:] in ".?!" else ""
    if mark:
        text += _END_MARKS.get(target, {}).get(mark, mark)
    return text[:1].upper() + text[1:] if joiner else text


def romanize(hangul: str) -> str:
    """Revised-Romanization-like spelling of Hangul syllables (stand-in for a real translation)."""
    out = []
    for ch in hangul:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out.append(_INITIALS[code // 588] + _MEDIALS[(code % 588) // 28] + _FINALS[code % 28])
        else:
            out.append(ch)
    return "".join(out)


class _Refused(Exception):
    """The scripted server has no model for this target language."""


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    json_body: Any = None
    query: str = ""  # the raw query string (what a server's access log keeps)
    body: bytes = b""

    def carries(self, secret: str) -> bool:
        """Whether ``secret`` arrived anywhere in this request: raw or percent-encoded, in any part."""
        seen = " ".join([self.path, self.query, repr(self.headers), repr(self.params), repr(self.json_body),
                         self.body.decode("utf-8", "replace")])
        return bool(leaked(seen, [secret]))


#: Realistic credentials for secret tests, with characters that URL encoding changes (+ / = & @).
SECRETS = {"STREAMKIT_DEEPL_API_KEY": "dk-7Q2s+cret/Zz=:fx", "STREAMKIT_PAPAGO_CLIENT_ID": "pp-id-4471Xq",
           "STREAMKIT_PAPAGO_CLIENT_SECRET": "pp-s3cr+t/9=", "STREAMKIT_MYMEMORY_EMAIL": "ops+subs@example.org",
           "STREAMKIT_LIBRE_API_KEY": "lk-s3cret&x=1"}  # fmt: skip


def leaked(text: str, secrets: Iterable[str] = SECRETS.values()) -> list[str]:
    """Every secret found in ``text``: raw or percent-encoded (``%40``, ``+`` for a space ...)."""
    return [s for s in secrets if any(f in text for f in (s, quote(s, safe=""), quote_plus(s)))]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for "unreachable" tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _State:
    failures: deque[str] = field(default_factory=deque)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LibreServer:
    """Start with ``with LibreServer() as server:``; ``server.url`` ends with ``/``."""

    def __init__(
        self,
        *,
        slow_seconds: float = 1.0,
        mangle_latin: bool = False,
        drop_name_every: int = 0,
        api_key: str | None = None,
        retry_after: str | None = None,
        refuse_targets: tuple[str, ...] = (),
        english_standin: bool = False,
    ) -> None:
        self.slow_seconds = slow_seconds
        #: Mangle Latin name tokens in the input (lowercase, spaced letters, re-cased), in turn.
        self.mangle_latin = mangle_latin
        #: Drop every n-th Latin name token altogether (0: never): a loss no restore can repair.
        self.drop_name_every = drop_name_every
        self.api_key = api_key
        self.retry_after = retry_after
        #: Target languages answered with HTTP 400 "not supported" (a server without that model).
        self.refuse_targets = refuse_targets
        #: English made like the other languages (phrase-list words at subtitle density) instead of the
        #: phrase book + romanization, which runs ~2.5x longer than a real translation.
        self.english_standin = english_standin
        self._mangles = itertools.cycle(["lower", "spaced", "title", "keep"])
        self._names_seen = 0
        self.state = _State()
        handler = type("Handler", (_Handler,), {"owner": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="libre-test-server", daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> LibreServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LibreServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting and counting ---------------------------------------------------------------

    def fail(self, *kinds: str) -> None:
        """Queue failures: the next translate requests misbehave in this order, then all succeed."""
        with self.state.lock:
            self.state.failures.extend(kinds)

    def hits(self, path: str | None = None) -> list[Hit]:
        with self.state.lock:
            return [h for h in self.state.hits if path is None or h.path.endswith(path)]

    @property
    def translate_requests(self) -> int:
        """Requests to any translate endpoint (everything except ``/languages``)."""
        return len([h for h in self.hits() if not h.path.endswith("/languages")])

    def requests_for(self, target: str) -> int:
        """Translate requests into ``target``."""
        return len([h for h in self.hits("/translate") if (h.params.get("target") or ["en"])[0] == target])

    def reset_counts(self) -> None:
        with self.state.lock:
            self.state.hits.clear()

    def _next_failure(self) -> str | None:
        with self.state.lock:
            return self.state.failures.popleft() if self.state.failures else None

    # -- the fake translation -----------------------------------------------------------------

    def _mangle(self, token: str) -> str:
        self._names_seen += 1
        if self.drop_name_every and self._names_seen % self.drop_name_every == 0:
            return "the group"
        if not self.mangle_latin:
            return token
        how = next(self._mangles)
        if how == "lower":
            return token.lower()
        if how == "spaced":
            letters = [ch for ch in token if ch.isalnum()]
            return " ".join(letters) if len(letters) <= 4 else token[: len(token) // 2] + " " + token[len(token) // 2 :]
        if how == "title":
            return token[:1].upper() + token[1:].lower()
        return token

    def translate_line(self, line: str) -> str:
        text = line
        for korean, english in sorted(KOREAN_NAMES.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(korean, f" {english} ")
        text = _PLACEHOLDER.sub(lambda m: " ".join(m.group(0)), text)  # engines space out placeholders
        words = []
        for word in text.split():
            latin = re.match(r"^([A-Za-z][A-Za-z()\-]*)([가-힣]+)?([.,!?~]*)$", word)
            if latin and latin.group(2) and latin.group(2) in PARTICLES:
                word = latin.group(1) + (latin.group(3) or "")  # the particle is absorbed
            words.append(word)
        text = " ".join(words)
        text = _LATIN_NAME.sub(lambda m: self._mangle(m.group(0)), text)
        for korean, english in sorted(PHRASES.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(korean, f" {english} ")
        text = _HANGUL_RUN.sub(lambda m: " " + romanize(m.group(0)) + " ", text)
        text = " ".join(text.split())
        text = re.sub(r"\s+([.,!?~])", r"\1", text)
        return text[:1].upper() + text[1:]

    def translate_text(self, q: str, target: str = "en") -> str:
        if target != "en" or self.english_standin:
            return "\n".join(fake_translation(line, target) for line in q.split("\n"))
        return "\n".join(self.translate_line(line) for line in q.split("\n"))


class _Handler(BaseHTTPRequestHandler):
    owner: LibreServer
    protocol_version = "HTTP/1.1"
    _body = b""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing -----------------------------------------------------------------------------

    def _read(self) -> tuple[dict[str, list[str]], Any]:
        parts = urlsplit(self.path)
        params = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self._body = body
        json_body = None
        if body:
            if "json" in (self.headers.get("Content-Type") or ""):
                json_body = json.loads(body.decode("utf-8"))
                if isinstance(json_body, dict):
                    for key, value in json_body.items():
                        params.setdefault(key, []).extend(value if isinstance(value, list) else [value])
            else:
                for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                    params.setdefault(key, []).extend(values)
        return params, json_body

    def _send(self, status: int, body: str | bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False))

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        path = urlsplit(self.path).path
        params, json_body = self._read()
        server = self.owner
        with server.state.lock:
            server.state.hits.append(Hit(method, path, params, dict(self.headers.items()), json_body,
                                         urlsplit(self.path).query, self._body))
        if path.endswith("/languages"):
            self._json(200, [{"code": "en", "name": "English", "targets": ["ko"]},
                             {"code": "ko", "name": "Korean", "targets": ["en"]}])
            return
        failure = server._next_failure()
        if failure == "slow":
            time.sleep(server.slow_seconds)
        elif failure == "drop":
            self.close_connection = True
            return  # no answer at all: the client sees the connection closed
        elif failure in ("429", "500", "503", "403", "413"):
            headers = {"Retry-After": server.retry_after} if failure == "429" and server.retry_after else None
            self._send(int(failure), json.dumps({"error": f"scripted {failure}"}), headers=headers)
            return
        elif failure == "malformed":
            self._send(200, '{"translatedText": "unterminated')
            return
        elif failure == "html":
            self._send(200, "<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self._route(path, params, json_body, failure)

    # -- endpoints ----------------------------------------------------------------------------

    def _answer(self, q: str, failure: str | None, target: str = "en") -> str:
        if failure == "empty":
            return ""
        if target in self.owner.refuse_targets:
            raise _Refused(target)
        answer = self.owner.translate_text(q, target)
        return answer.replace("\n", " ") if failure == "merge" else answer

    def _route(self, path: str, params: dict[str, list[str]], json_body: Any, failure: str | None) -> None:
        server = self.owner

        def one(key: str) -> str:
            return params.get(key, [""])[0]

        if path == "/translate":
            if server.api_key is not None and one("api_key") != server.api_key:
                self._json(403, {"error": "Invalid API key"})
                return
            q: Any = json_body.get("q") if isinstance(json_body, dict) else None
            target = one("target") or "en"
            try:
                if isinstance(q, list):
                    self._json(200, {"translatedText": [self._answer(str(x), failure, target) for x in q]})
                    return
                self._json(200, {"translatedText": self._answer(one("q"), failure, target)})
            except _Refused:  # as a LibreTranslate server without that language's model answers
                self._json(400, {"error": f"{target} is not supported"})
        elif path == "/google/m":
            text = html.escape(self._answer(one("q"), failure))
            page = f'<html><body><div class="result-container">{text}</div></body></html>'
            self._send(200, page, "text/html; charset=utf-8")
        elif path == "/deepl/v2/translate":
            if not (self.headers.get("Authorization") or "").startswith("DeepL-Auth-Key "):
                self._json(403, {"message": "Forbidden"})
                return
            texts = params.get("text", [])
            self._json(200, {"translations": [{"detected_source_language": "KO", "text": self._answer(t, failure)}
                                              for t in texts]})
        elif path in ("/papago/v1/papago/n2mt", "/ncp/nmt/v1/translation"):
            header = "X-Naver-Client-Id" if path.startswith("/papago") else "X-NCP-APIGW-API-KEY-ID"
            if not self.headers.get(header):
                self._json(401, {"errorMessage": "Authentication failed"})
                return
            self._json(200, {"message": {"result": {"srcLangType": one("source"), "tarLangType": one("target"),
                                                    "translatedText": self._answer(one("text"), failure)}}})
        elif path == "/mymemory/get":
            self._json(200, {"responseData": {"translatedText": self._answer(one("q"), failure), "match": 1},
                             "matches": [], "responseStatus": 200})
        else:
            self._json(404, {"error": "Not Found"})


def iter_sentences(count: int) -> Iterator[str]:
    """``count`` distinct Korean sentences of fan-stream talk (for batching and cache tests)."""
    stems = ["오늘 무대 정말 좋았어요", "신곡 노래 같이 불러요", "여러분 보고 싶었어요", "내일 콘서트에서 만나요",
             "우리 팬 여러분 감사합니다"]  # fmt: skip
    for i in range(count):
        yield f"{stems[i % len(stems)]} {i + 1}번째 이야기예요."
