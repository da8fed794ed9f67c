"""Timeouts, retries and failures (streamkit/translation/transport.py) through a real engine.

Real HTTP against tests/libre_server.py on 127.0.0.1 (``LibreTranslator`` pointed at it with its own
``custom_url``; the other services' adapters by their base URL set by name, e.g. ``deepl_url``).
Nothing is mocked below ``requests``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streamkit.errors import TranslationError
from streamkit.translation.adapters import GoogleEngine, LibreEngine
from streamkit.translation.transport import RetryPolicy

from ..libre_server import LibreServer, free_port, iter_sentences
from .helpers import fast, libre_engine

# --------------------------------------------------------------------------- faults


def test_429_then_success_is_retried(libre: LibreServer, tmp_path: Path) -> None:
    libre.fail("429")
    engine = libre_engine(libre, tmp_path)
    assert engine.translate_texts(["안녕하세요."]) == ["Hello."]
    assert libre.translate_requests == 2 and engine.stats.retries == 1


def test_retry_after_is_honoured_within_the_cap(tmp_path: Path) -> None:
    with LibreServer(retry_after="0.2") as server:
        server.fail("429")
        engine = LibreEngine(settings=fast(server, tmp_path, backoff_max=0.5))
        started = time.perf_counter()
        engine.translate_texts(["안녕하세요."])
        assert time.perf_counter() - started >= 0.2


def test_slow_server_times_out_and_gives_up_naming_the_engine(libre: LibreServer, tmp_path: Path) -> None:
    libre.fail("slow", "slow", "slow", "slow")
    engine = libre_engine(libre, tmp_path, timeout=0.2)
    started = time.perf_counter()
    with pytest.raises(TranslationError) as caught:
        engine.translate_texts(["안녕하세요."])
    elapsed = time.perf_counter() - started
    assert caught.value.engine == "libre"
    assert "translation engine 'libre'" in str(caught.value)
    assert "no answer within 0.2 s" in str(caught.value) and "4 attempts" in str(caught.value)
    assert "cached" in caught.value.hint and "--translator" in caught.value.hint
    assert libre.translate_requests == 4
    assert elapsed < 4 * 0.4 + 1.0  # nothing hangs: every attempt is bounded


def test_slow_answer_then_success(libre: LibreServer, tmp_path: Path) -> None:
    libre.fail("slow")
    assert libre_engine(libre, tmp_path, timeout=0.2).translate_texts(["감사합니다."]) == ["Thank you."]


@pytest.mark.parametrize("fault", ["500", "503", "malformed", "html", "drop", "empty"])
def test_transient_faults_are_retried(libre: LibreServer, tmp_path: Path, fault: str) -> None:
    libre.fail(fault, fault)
    engine = libre_engine(libre, tmp_path)
    assert engine.translate_texts(["안녕하세요.", "감사합니다."]) == ["Hello.", "Thank you."]
    assert libre.translate_requests >= 2


def test_persistent_500_gives_up_with_a_clear_error(libre: LibreServer, tmp_path: Path) -> None:
    libre.fail(*["500"] * 4)
    with pytest.raises(TranslationError, match=r"gave up after 4 attempts: server error \(HTTP 500\)"):
        libre_engine(libre, tmp_path).translate_texts(["안녕하세요."])
    assert libre.translate_requests == 4


def test_dropped_connections_give_up_when_they_persist(libre: LibreServer, tmp_path: Path) -> None:
    libre.fail(*["drop"] * 4)
    with pytest.raises(TranslationError, match="dropped the connection"):
        libre_engine(libre, tmp_path).translate_texts(["안녕하세요."])


def test_answer_with_other_line_count_is_split_in_halves(libre: LibreServer, tmp_path: Path) -> None:
    libre.fail("merge")
    texts = list(iter_sentences(8))
    engine = libre_engine(libre, tmp_path)
    english = engine.translate_texts(texts)
    assert english == [libre.translate_line(t) for t in texts]
    assert libre.translate_requests == 3 and engine.stats.split_fallbacks == 1


def test_engine_that_never_keeps_lines_falls_back_to_single_sentences(libre: LibreServer, tmp_path: Path) -> None:
    libre.fail(*["merge"] * 100)
    texts = list(iter_sentences(16))
    engine = libre_engine(libre, tmp_path)
    english = engine.translate_texts(texts)
    assert len([e for e in english if e]) == 16
    assert libre.translate_requests <= 2 * 16  # never worse than halving all the way down


def test_request_too_large_is_halved_and_the_limit_lowered(libre: LibreServer, tmp_path: Path) -> None:
    libre.fail("413")
    engine = libre_engine(libre, tmp_path)
    assert all(engine.translate_texts(list(iter_sentences(10))))
    assert libre.translate_requests == 3 and engine.stats.too_large == 1


def test_refused_key_is_not_retried_and_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LibreServer(api_key="s3cret") as server:
        with pytest.raises(TranslationError, match=r"key was refused \(HTTP 403\)") as caught:
            LibreEngine(settings=fast(server, tmp_path)).translate_texts(["안녕하세요."])
        assert "STREAMKIT_LIBRE_API_KEY" in caught.value.hint
        assert server.translate_requests == 1
        monkeypatch.setenv("STREAMKIT_LIBRE_API_KEY", "s3cret")
        engine = LibreEngine(settings=fast(server, tmp_path))
        assert engine.translate_texts(["안녕하세요."]) == ["Hello."]
        assert "s3cret" not in engine.fingerprint()


def test_error_messages_never_quote_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamkit.redaction import redact as _redact

    assert _redact("Max retries exceeded with url: /translate?q=x&api_key=s3cret&format=text") == (
        "Max retries exceeded with url: /translate?q=x&api_key=***&format=text")
    monkeypatch.setenv("STREAMKIT_LIBRE_API_KEY", "s3cret")
    engine = LibreEngine(settings={**fast(None, tmp_path), "url": f"http://user:pw@127.0.0.1:{free_port()}"})
    with pytest.raises(TranslationError) as caught:
        engine.translate_texts(["안녕하세요."])
    shown = f"{caught.value} {caught.value.hint}"
    assert "s3cret" not in shown and "user:pw" not in shown and "127.0.0.1" in shown


def test_keyless_server_gets_no_api_key_parameter(libre: LibreServer, tmp_path: Path) -> None:
    libre_engine(libre, tmp_path).translate_texts(["안녕하세요."])
    assert "api_key" not in libre.hits("/translate")[0].params


def test_unreachable_libre_server_says_how_to_go_on(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    engine = LibreEngine(settings={**fast(None, tmp_path), "url": url})
    with pytest.raises(TranslationError) as caught:
        engine.translate_texts(["안녕하세요."])
    assert "unreachable: cannot connect to 127.0.0.1" in str(caught.value)
    assert "--translator whisper" in caught.value.hint and url in caught.value.hint


def test_offline_default_engine_names_the_offline_choices(tmp_path: Path) -> None:
    engine = GoogleEngine(settings={**fast(None, tmp_path), "google_url": f"http://127.0.0.1:{free_port()}/m"})
    with pytest.raises(TranslationError) as caught:
        engine.translate_texts(["안녕하세요."])
    assert str(caught.value).startswith("translation engine 'google': unreachable")
    assert "--translator whisper" in caught.value.hint
    assert "--translator libre --translator-url http://localhost:5000" in caught.value.hint


def test_a_failed_run_resumes_without_asking_again(libre: LibreServer, tmp_path: Path) -> None:
    texts = list(iter_sentences(30))
    libre.fail("ok", *["500"] * 4)  # the first batch is answered, the second never is
    with pytest.raises(TranslationError):
        libre_engine(libre, tmp_path, libre_max_chars=300).translate_texts(texts)
    first_batch = libre.hits("/translate")[0].params["q"][0].split("\n")
    libre.reset_counts()
    again = libre_engine(libre, tmp_path, libre_max_chars=300)
    assert all(again.translate_texts(texts))
    assert again.stats.cached == len(first_batch)
    assert all(line not in h.params["q"][0].split("\n") for h in libre.hits("/translate") for line in first_batch)


def test_the_timeout_is_only_imposed_inside_engine_calls(libre: LibreServer, tmp_path: Path) -> None:
    import requests

    from streamkit.translation import transport

    libre_engine(libre, tmp_path).translate_texts(["안녕하세요."])
    assert getattr(transport._local, "guard", None) is None
    libre.fail("slow")
    started = time.perf_counter()
    assert requests.get(libre.url + "languages").status_code == 200  # not a translate call: no failure consumed
    assert time.perf_counter() - started < 0.9


def test_backoff_grows_with_jitter_and_respects_the_cap() -> None:
    policy = RetryPolicy(backoff=1.0, backoff_max=5.0)
    for retry, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (8, 5.0)):
        delays = [policy.delay(retry) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert policy.delay(1, retry_after=3.0) >= 3.0
    assert policy.delay(1, retry_after=60.0) <= 5.0
