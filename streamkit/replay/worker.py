"""A worker's side, the same in a local process and in a Ray actor: the model loaded once, one
recording at a time through :func:`~streamkit.pipeline.run_subtitle`.

Workers return their hook events (collected by a plugin registered in the worker) and the driver
fires them through :func:`~streamkit.plugins.notify`, in order, when the recording's result comes
back.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..errors import StreamkitError
from ..hookspecs import hookimpl
from ..pipeline import SubtitleJob, run_subtitle
from ..plugins import get_plugin_manager
from ..transcribe import WhisperTranscriber, resolve_model
from .tasks import Message, Outcome, Task, WorkerSetup

log = logging.getLogger("streamkit")

_NOTIFY_HOOKS = ("stage_started", "stage_finished", "subtitle_written", "replay_written", "run_finished")
_PROGRESS_EVERY_S = 0.25


class _Collector:
    """A plugin registered in a worker: records every notification so the driver can fire it."""

    def __init__(self, send: Callable[[Message], None]) -> None:
        self.send = send
        self.key = ""
        self.events: list[tuple[str, dict[str, Any]]] = []

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        events, self.events = self.events, []
        return events

    @hookimpl
    def stage_started(self, run_id: str, recording: str, stage: str) -> None:
        self.events.append(("stage_started", {"run_id": run_id, "recording": recording, "stage": stage}))
        self.send(("stage", self.key, stage, run_id))

    @hookimpl
    def stage_finished(self, run_id: str, recording: str, stage: str, seconds: float, error: str | None) -> None:
        self.events.append(("stage_finished", {"run_id": run_id, "recording": recording, "stage": stage,
                                               "seconds": seconds, "error": error}))

    @hookimpl
    def subtitle_written(self, run_id: str, recording: str, path: str, language: str, cues: int) -> None:
        self.events.append(("subtitle_written", {"run_id": run_id, "recording": recording, "path": path,
                                                 "language": language, "cues": cues}))

    @hookimpl
    def replay_written(self, run_id: str, recording: str, path: str, tracks: list[str], burned_in: str | None) -> None:
        self.events.append(("replay_written", {"run_id": run_id, "recording": recording, "path": path,
                                               "tracks": list(tracks), "burned_in": burned_in}))

    @hookimpl
    def run_finished(self, run_id: str, recording: str, summary: dict[str, Any], error: str | None) -> None:
        self.events.append(("run_finished", {"run_id": run_id, "recording": recording, "summary": summary,
                                             "error": error}))


def _isolate_plugins(collector: _Collector) -> None:
    """In a worker: listening plugins hear events once, from the driver; engines stay."""
    os.environ["STREAMKIT_HOOK_TIMEOUT"] = "0"  # the collector runs inline, in order
    pm = get_plugin_manager()
    for name, plugin in list(pm.list_name_plugin()):
        if plugin is None:
            continue
        hooks = {c.name for c in pm.get_hookcallers(plugin) or []}
        if hooks & set(_NOTIFY_HOOKS) and not hooks - set(_NOTIFY_HOOKS) - {"viewer_sample_recorded"}:
            log.debug("worker: plugin %s only listens; the driver delivers its events", name)
            pm.unregister(plugin)
    pm.register(collector, name="streamkit-replay-collector")


class _Worker:
    """A worker's model (loaded once) and its event collector; runs one recording at a time."""

    def __init__(self, setup: WorkerSetup, send: Callable[[Message], None], label: str) -> None:
        self.send = send
        self.label = label
        self.collector = _Collector(send)
        _isolate_plugins(self.collector)
        self.transcriber: WhisperTranscriber | None = None
        self.load_error: StreamkitError | None = None
        try:
            choice = resolve_model(setup.model, device=setup.device, compute_type=setup.compute_type)
            if setup.model_reason:
                choice = replace(choice, reason=setup.model_reason)
            transcriber = WhisperTranscriber(choice, cpu_threads=setup.cpu_threads)
            _ = transcriber.model  # load now, once, not inside the first recording's timing
            self.transcriber = transcriber
        except StreamkitError as exc:
            self.load_error = exc

    def execute(self, task: Task, job: SubtitleJob | None = None) -> Outcome:
        job = job or task.job
        started = time.perf_counter()
        last: dict[str, float] = {}

        def progress(stage: str, done: float, total: float) -> None:
            now = time.monotonic()
            if done >= total or now - last.get(stage, 0.0) >= _PROGRESS_EVERY_S:
                last[stage] = now
                self.send(("progress", task.key, stage, done, total))

        self.collector.key = task.key
        self.collector.take()
        self.send(("start", task.key, self.label))
        outcome = Outcome(task.key, worker=self.label)
        try:
            if self.load_error is not None:
                raise self.load_error
            result = run_subtitle(job, transcriber=self.transcriber, progress=progress)
            outcome.summary = result.summary()
        except StreamkitError as exc:
            outcome.error = exc
        except Exception as exc:  # a bug: reported for this recording, the others go on
            import traceback

            outcome.error_text = f"internal error: {type(exc).__name__}: {exc}"
            outcome.detail = traceback.format_exc()
        outcome.events = self.collector.take()
        outcome.seconds = time.perf_counter() - started
        return outcome
