"""The service adapters at their HTTP boundary (streamkit/translation/adapters.py).

Real HTTP against tests/libre_server.py on 127.0.0.1 (``LibreTranslator`` pointed at it with its own
``custom_url``; the other services' adapters by their base URL set by name, e.g. ``deepl_url``).
Nothing is mocked below ``requests``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from streamkit.translation.adapters import DeeplEngine, GoogleEngine, LibreEngine, MyMemoryEngine, PapagoEngine

from ..libre_server import LibreServer, free_port, iter_sentences
from .helpers import fast, libre_engine

# --------------------------------------------------------------------------- other engines at their HTTP boundary


def test_google_adapter_over_http(libre: LibreServer, tmp_path: Path) -> None:
    engine = GoogleEngine(settings=fast(None, tmp_path, google_url=libre.url + "google/m"))
    assert engine.translate_texts(["안녕하세요.", "감사합니다."]) == ["Hello.", "Thank you."]
    hit = libre.hits("/google/m")[0]
    assert hit.method == "GET" and hit.params["sl"] == ["ko"] and hit.params["tl"] == ["en"]


def test_google_requests_stay_under_the_url_limit(libre: LibreServer, tmp_path: Path) -> None:
    engine = GoogleEngine(settings=fast(None, tmp_path, google_url=libre.url + "google/m"))
    texts = [f"{'가나다라마바사아자차카타파하' * 3} {i}번" for i in range(120)]
    engine.translate_texts(texts)
    from urllib.parse import quote

    assert all(len(quote(h.params["q"][0], safe="")) <= 15000 for h in libre.hits("/google/m"))
    assert len(libre.hits("/google/m")) <= math.ceil(len(quote("\n".join(texts), safe="")) / 15000) + 2


def test_deepl_adapter_sends_the_key_in_the_header_and_one_text_per_sentence(
    libre: LibreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPL_API_KEY", "k-123:fx")
    engine = DeeplEngine(settings=fast(None, tmp_path, deepl_url=libre.url + "deepl/v2"))
    assert engine.translate_texts(["안녕하세요.", "감사합니다."]) == ["Hello.", "Thank you."]
    hit = libre.hits("/deepl/v2/translate")[0]
    assert hit.method == "POST" and hit.headers["Authorization"] == "DeepL-Auth-Key k-123:fx"
    assert hit.params["text"] == ["안녕하세요.", "감사합니다."]
    assert hit.params["source_lang"] == ["KO"] and hit.params["target_lang"] == ["EN-US"]
    assert "auth_key" not in hit.params and "k-123" not in engine.fingerprint()
    assert DeeplEngine(settings={"cache": False}).url == "https://api-free.deepl.com/v2/"


def test_papago_adapter_sends_language_codes_not_names(
    libre: LibreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMKIT_PAPAGO_CLIENT_ID", "id")
    monkeypatch.setenv("STREAMKIT_PAPAGO_CLIENT_SECRET", "secret")
    engine = PapagoEngine(settings=fast(None, tmp_path, papago_url=libre.url + "papago/v1/papago/n2mt"))
    assert engine.translate_texts(["안녕하세요."]) == ["Hello."]
    hit = libre.hits("/n2mt")[0]
    assert hit.params["source"] == ["ko"] and hit.params["target"] == ["en"]
    assert hit.headers["X-Naver-Client-Id"] == "id"
    ncp = PapagoEngine(settings=fast(None, tmp_path, papago_url=libre.url + "ncp/nmt/v1/translation", papago_api="ncp",
                                     cache=False))
    assert ncp.translate_texts(["감사합니다."]) == ["Thank you."]
    assert libre.hits("/nmt/v1/translation")[0].headers["X-NCP-APIGW-API-KEY-ID"] == "id"


def test_mymemory_adapter_respects_its_500_byte_limit(
    libre: LibreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMKIT_MYMEMORY_EMAIL", "ops@example.com")
    engine = MyMemoryEngine(settings=fast(None, tmp_path, mymemory_url=libre.url + "mymemory/get"))
    texts = list(iter_sentences(20))
    assert all(engine.translate_texts(texts))
    hits = libre.hits("/mymemory/get")
    assert all(len(h.params["q"][0].encode()) <= 480 for h in hits) and len(hits) > 1
    assert hits[0].params["langpair"] == ["ko-KR|en-US"] and hits[0].params["de"] == ["ops@example.com"]


def test_engine_check_is_one_short_request(libre: LibreServer, tmp_path: Path) -> None:
    ok, detail = libre_engine(libre, tmp_path).check(timeout=1.0)
    assert ok and detail.startswith("answered in")
    down = LibreEngine(settings={**fast(None, tmp_path), "url": f"http://127.0.0.1:{free_port()}"})
    ok, detail = down.check(timeout=0.5)
    assert not ok and "unreachable" in detail
