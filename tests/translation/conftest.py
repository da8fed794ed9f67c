"""Fixtures of the translation tests: no engine keys or URLs from the environment, a private cache, the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..libre_server import LibreServer

ENV_VARS = ("STREAMKIT_LIBRE_URL", "STREAMKIT_LIBRE_API_KEY", "STREAMKIT_DEEPL_API_KEY", "DEEPL_API_KEY",
            "STREAMKIT_PAPAGO_CLIENT_ID", "STREAMKIT_PAPAGO_CLIENT_SECRET", "STREAMKIT_MYMEMORY_EMAIL")  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path / "cache-root"))


@pytest.fixture
def libre() -> Iterator[LibreServer]:
    with LibreServer(slow_seconds=1.0) as server:
        yield server
