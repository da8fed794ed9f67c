"""Many target languages (streamkit/translation/targets.py): one engine per language, refused up front.

The whole multi-language run through the pipeline: tests/test_targets.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.errors import TranslationError
from streamkit.translation.adapters import GoogleEngine, LibreEngine
from streamkit.translation.options import TranslatorSettings
from streamkit.translation.protocol import EngineContext
from streamkit.translation.targets import create_engines


def test_engines_are_made_per_language_and_refused_up_front(tmp_path: Path) -> None:
    settings = TranslatorSettings(url="http://127.0.0.1:9/", cache_path=str(tmp_path / "c.sqlite"))
    engines = create_engines("libre", ("en", "ja", "zh-Hans"), EngineContext(settings=settings))
    assert [(lang, getattr(e, "target", None)) for lang, e in engines.items()] == [
        ("en", "en"), ("ja", "ja"), ("zh-Hans", "zh-Hans")]
    assert create_engines("none", ("en", "ja"), EngineContext(settings=settings)) == {}
    with pytest.raises(TranslationError, match="only translate into English"):
        create_engines("whisper", ("ja", "en"), EngineContext(settings=TranslatorSettings()))  # no server URL


def test_engine_codes_follow_each_service() -> None:
    libre = LibreEngine(target="zh-Hans", settings={"cache": False, "url": "http://127.0.0.1:9/"})
    assert libre.code("zh-Hans") == "zh-Hans" and libre._client("ko")._target == "zh-Hans"
    google = GoogleEngine(target="zh-Hant", settings={"cache": False})
    assert google.code("zh-Hant") == "zh-TW" and google.code("he") == "iw" and google.code("ja") == "ja"
