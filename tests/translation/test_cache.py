"""The SQLite translation cache (streamkit/translation/cache.py): keyed lookups, concurrent writers, a broken file."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from streamkit.translation.cache import CacheKey, TranslationCache, default_cache_path


def test_cache_survives_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    key = CacheKey("libre", "ko", "en", "x")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        cache = TranslationCache(path)
        try:
            for i in range(40):
                cache.store(key, [(f"{n}-{i}", f"t{n}-{i}")])
        except BaseException as exc:
            errors.append(exc)
        finally:
            cache.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert TranslationCache(path).count() == 160


def test_answers_are_found_only_under_their_whole_key(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    key = CacheKey("libre", "ko", "en", "libre|http://127.0.0.1:5000/")
    cache = TranslationCache(path)
    cache.store(key, [("안녕하세요.", "Hello."), ("감사합니다.", "Thank you.")])
    cache.close()
    again = TranslationCache(path)  # another process, the same file
    assert again.lookup(key, ["안녕하세요.", "감사합니다.", "또 만나요.", "안녕하세요."]) == {
        "안녕하세요.": "Hello.", "감사합니다.": "Thank you."}
    for other in (CacheKey("google", "ko", "en", key.settings), CacheKey("libre", "ko", "ja", key.settings),
                  CacheKey("libre", "ja", "en", key.settings), CacheKey("libre", "ko", "en", "libre|elsewhere")):
        assert again.lookup(other, ["안녕하세요."]) == {}
    again.store(key, [("안녕하세요.", "Hi.")])  # a newer answer replaces the old one
    assert again.lookup(key, ["안녕하세요."]) == {"안녕하세요.": "Hi."} and again.count() == 2


def test_many_texts_are_looked_up_in_chunks(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "t.sqlite")
    key = CacheKey("libre", "ko", "en", "x")
    cache.store(key, [(f"문장 {i}", f"sentence {i}") for i in range(1200)])  # over SQLite's variable limit per query
    found = cache.lookup(key, [f"문장 {i}" for i in range(1300)])
    assert len(found) == 1200 and found["문장 1199"] == "sentence 1199"


def test_a_cache_that_cannot_be_opened_only_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.getLogger("streamkit"), "propagate", True)  # a CLI test may have turned it off
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cache = TranslationCache(blocker / "t.sqlite")
    key = CacheKey("libre", "ko", "en", "x")
    with caplog.at_level(logging.WARNING, logger="streamkit"):
        cache.store(key, [("안녕", "hi")])
        assert cache.lookup(key, ["안녕"]) == {} and cache.count() == 0
    assert "translating without it" in caplog.text


def test_the_default_file_is_under_the_cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path / "root"))
    assert default_cache_path() == tmp_path / "root" / "translations.sqlite"
