"""Hook specifications: what plugins can implement (entry-point group ``streamkit``).

Notification hooks (``stage_started`` ... ``run_finished``) are called through
:func:`streamkit.plugins.notify`, which reports and swallows a plugin's exception so a broken
plugin never stops a run. Registration hooks let plugins add translation engines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("streamkit")
hookimpl = pluggy.HookimplMarker("streamkit")


@hookspec
def register_translators(register: Callable[[str, Callable[..., Any], str], None]) -> None:
    """Add translation engines: ``register(name, factory, description)``.

    ``factory(context)`` receives a :class:`streamkit.translate.EngineContext` and returns an
    object with the :class:`streamkit.translate.Translator` protocol.
    """


@hookspec
def stage_started(run_id: str, recording: str, stage: str) -> None:
    """A stage of one recording's run started."""


@hookspec
def stage_finished(run_id: str, recording: str, stage: str, seconds: float, error: str | None) -> None:
    """A stage finished (``error`` is the one-line message when it failed)."""


@hookspec
def subtitle_written(run_id: str, recording: str, path: str, language: str, cues: int) -> None:
    """A subtitle file was written (atomically; it is complete)."""


@hookspec
def replay_written(run_id: str, recording: str, path: str, tracks: list[str], burned_in: str | None) -> None:
    """A subtitled replay video was written."""


@hookspec
def run_finished(run_id: str, recording: str, summary: dict[str, Any], error: str | None) -> None:
    """One recording's run ended; ``summary`` is the same dict ``--json`` prints."""
