"""Hook specifications: what plugins can implement (entry-point group ``streamkit``).

Notification hooks (``stage_started`` ... ``run_finished``, ``viewer_sample_recorded``) are
called through :func:`streamkit.plugins.notify`, which bounds each implementation's time and
reports (never re-raises) its exceptions, so a broken or hung plugin never stops a run.
Registration hooks (``register_translators``, ``register_viewer_sources``) let plugins add
translation engines and viewer-count sources; the built-ins use them exactly like third parties.

Hook implementations may take any subset of a hook's arguments (pluggy passes only those named).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .viewers import ViewerSample

__all__ = ["PROJECT", "hookimpl", "hookspec"]

#: The pluggy project name and the entry-point group plugins declare.
PROJECT = "streamkit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------- registration


@hookspec
def register_translators(register: Callable[[str, Callable[..., Any], str], None]) -> None:
    """Add translation engines: ``register(name, factory, description)``.

    ``factory(context)`` receives a :class:`streamkit.translation.EngineContext` and returns an
    object with the :class:`streamkit.translation.Translator` protocol.
    """


@hookspec
def register_viewer_sources(register: Callable[[str, Callable[..., Any], str], None]) -> None:
    """Add viewer-count sources: ``register(name, factory, description)``.

    ``factory(context)`` receives a :class:`streamkit.viewer_sources.SourceContext` and returns
    an object with the :class:`streamkit.viewer_sources.ViewerSource` protocol. The built-in
    ``youtube``, ``twitch`` and ``x`` sources are registered through this hook.
    """


# --------------------------------------------------------------------------- pipeline events


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


# --------------------------------------------------------------------------- viewer counts


@hookspec
def viewer_sample_recorded(sample: ViewerSample) -> None:
    """A viewer-count sample was stored for the first time (re-imports of it do not fire again).

    ``sample`` is a frozen :class:`streamkit.viewers.ViewerSample`; ``sample.to_dict()`` gives
    its JSON form. Fired after the sample is committed, by ``viewers record``, ``import`` and
    ``poll`` alike.
    """


# --------------------------------------------------------------------------- live captions


@hookspec
def caption_committed(
    run_id: str, source: str, language: str, sentence: int, text: str, start_ms: int, end_ms: int
) -> None:
    """``streamkit live`` committed a sentence in ``language`` (the source language or a translation).

    Fired once per sentence and language, after it is final (shown, and written to the rolling
    ``NAME.live.LANG.srt``); ``sentence`` numbers the source sentence, so a translation carries the
    number of the sentence it renders. Times are stream milliseconds. A chat bot can post these.
    """
