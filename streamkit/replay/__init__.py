"""The post-event replay: many recordings through the one pipeline, resumable, in parallel, locally or on Ray.

A replay spec (``pipelines/*.toml``, see :func:`load_spec`) names the recordings and the settings.
:func:`run_replay` runs every recording that is not already done through :func:`run_subtitle`
(the same stages as ``streamkit subtitle``; nothing here is a copy of stage code). One concern
per module:

* ``spec``: the spec (:class:`ReplaySpec`, :func:`load_spec`, :class:`SpecError`) and its
  recordings (:class:`Recording`, :func:`plan_recordings`).
* ``state``: ``<output>/.streamkit/``: the state (:class:`ReplayState`, ``replay-state.json``)
  and the lock (:class:`ReplayLock`, ``replay.lock``).
* ``tasks``: what travels between driver and workers (``Task``, ``Outcome``, ``WorkerSetup``)
  and the :class:`Executor` protocol.
* ``worker``: a worker's side: the model loaded once, hook events collected for the driver.
* ``local``: :class:`LocalExecutor`, a process pool on this machine.
* ``ray``: :class:`RayExecutor`, actors on a Ray cluster (Ray is imported only when it is used).
* ``report``: :class:`RecordingProgress` for a live view, :class:`ReplayReport`
  (``<output>/replay-report.json``).
* ``run``: the driver, :func:`run_replay`, and :func:`make_executor`.
* ``status``: :func:`replay_status` (``--status``), read without the lock.
"""

from __future__ import annotations

from .local import LocalExecutor
from .ray import RayExecutor
from .report import RecordingProgress, RecordingReport, ReplayReport
from .run import make_executor, run_replay
from .spec import EXECUTORS, LAYOUTS, Recording, ReplaySpec, SpecError, load_spec, plan_recordings
from .state import RecordingState, ReplayLock, ReplayLockedError, ReplayState
from .status import StatusRow, replay_status
from .tasks import Executor

__all__ = [
    "EXECUTORS",
    "LAYOUTS",
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "Recording",
    "RecordingProgress",
    "RecordingReport",
    "RecordingState",
    "ReplayLock",
    "ReplayLockedError",
    "ReplayReport",
    "ReplaySpec",
    "ReplayState",
    "SpecError",
    "StatusRow",
    "load_spec",
    "make_executor",
    "plan_recordings",
    "replay_status",
    "run_replay",
]
