"""Every viewers test runs with the built-in plugins only (no installed entry point joins in)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streamkit.plugins import reset_plugin_manager


@pytest.fixture(autouse=True)
def only_builtins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STREAMKIT_LOAD_PLUGINS", "")
    reset_plugin_manager()
    yield
    reset_plugin_manager()

