"""A worker's side, the same in a local process and in a Ray actor: one recording at a time through
:func:`~streamkit.pipeline.run_subtitle`, each with a model loaded for it.

Why a model per recording: CTranslate2 keeps its sampling generator (Whisper's temperature
fallback) per worker thread of the loaded model, seeded once when that thread first samples;
``ctranslate2.set_random_seed`` does not reach a thread that has sampled before. With one model for
many recordings, a recording's text would depend on what the worker decoded before it (seen: an
invented cue over music on ``samples/noisy.mp4`` that a single ``streamkit subtitle`` run does not
write). A freshly loaded model has fresh threads, so every recording decodes exactly as
``streamkit subtitle`` decodes it in a process of its own. The cost is one model load per recording
(``base`` int8: about 1.2 s of CPU, 3 s on the loaded 2-core machine), small beside any recording's decoding.

Workers return their hook events (collected by a plugin registered in the worker) and the driver
fires them through :func:`~streamkit.plugins.notify`, in order, when the recording's result comes
back.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..errors import StreamkitError
from ..hookspecs import hookimpl
from ..models import ModelChoice
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
    """A worker's model and its event collector; runs one recording at a time, each with a model loaded
    for it (the first at start, so a model that cannot load fails every recording at once)."""

    def __init__(self, setup: WorkerSetup, send: Callable[[Message], None], label: str) -> None:
        self.send = send
        self.label = label
        self.collector = _Collector(send)
        _isolate_plugins(self.collector)
        self.setup = setup
        self.transcriber: WhisperTranscriber | None = None
        self.load_error: StreamkitError | None = None
        self.used = False  # the loaded model has decoded (its sampling generators have moved on)
        try:
            choice = resolve_model(setup.model, device=setup.device, compute_type=setup.compute_type)
            if setup.model_reason:
                choice = replace(choice, reason=setup.model_reason)
            self.transcriber = self._load(choice)
        except StreamkitError as exc:
            self.load_error = exc

    def _load(self, choice: ModelChoice) -> WhisperTranscriber:
        transcriber = WhisperTranscriber(choice, cpu_threads=self.setup.cpu_threads)
        _ = transcriber.model  # load now, not inside the recording's transcribe timing
        return transcriber

    def fresh_transcriber(self) -> WhisperTranscriber | None:
        """The transcriber for the next recording: the loaded one if it never decoded, else a new load
        (the old model is freed first: one model in memory at a time)."""
        if self.transcriber is not None and self.used:
            choice = self.transcriber.choice
            self.transcriber = None
            gc.collect()  # the old model's threads and weights go before the new ones come
            self.transcriber = self._load(choice)
            self.used = False
        return self.transcriber

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
            transcriber = self.fresh_transcriber()
            self.used = True
            result = run_subtitle(job, transcriber=transcriber, progress=progress)
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
