"""What travels between the driver and its workers: a :class:`Task` out and an :class:`Outcome`
back (both picklable: process pools, Ray), how a worker loads its model (:class:`WorkerSetup`),
and the :class:`Executor` protocol the driver runs tasks through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import StreamkitError
from ..pipeline import SubtitleJob
from .spec import Recording, ReplaySpec


@dataclass(frozen=True)
class Task:
    """One recording for a worker: picklable (process pools, Ray)."""

    key: str
    job: SubtitleJob
    attempt: int = 1
    # Ray only: the recording's existing stage cache (file name -> bytes) and the shipped media.
    cache_files: dict[str, bytes] = field(default_factory=dict)
    media: tuple[Any, ...] = ()


@dataclass
class Outcome:
    """What a worker returns for one recording: the result or the error, and its hook events."""

    key: str
    summary: dict[str, Any] | None = None
    error: StreamkitError | None = None
    #: one line for a failure that is not a :class:`StreamkitError` (a bug; the traceback is in ``detail``)
    error_text: str = ""
    detail: str = ""
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    worker: str = ""
    seconds: float = 0.0
    #: Ray only: files of the recording's folder (relative path -> bytes, or a list of chunk refs)
    files: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.summary is not None

    @property
    def message(self) -> str:
        if self.error is not None:
            return " ".join(str(self.error).split("\n")[:1])
        return self.error_text


@dataclass(frozen=True)
class _Finished:
    key: str
    outcome: Outcome | None  # None: the worker died (killed, out of memory ...) while running it
    lost: str = ""


Message = tuple[Any, ...]


@dataclass(frozen=True)
class WorkerSetup:
    """How a worker loads its model (once, at start)."""

    model: str | None
    model_reason: str | None
    device: str
    compute_type: str | None
    cpu_threads: int


def _setup(spec: ReplaySpec, threads: int) -> WorkerSetup:
    return WorkerSetup(spec.model, spec.model_reason, spec.device, spec.compute_type, threads)


class Executor(Protocol):
    """Runs :class:`Task` objects on workers and hands back their :class:`Outcome` objects."""

    name: str
    slots: int

    def submit(self, task: Task) -> None: ...

    def busy(self) -> int: ...

    def wait(self, timeout: float) -> list[_Finished]: ...

    def messages(self) -> list[Message]: ...

    def prepare(self, task: Task, recording: Recording) -> Task: ...

    def materialize(self, outcome: Outcome, recording: Recording) -> None: ...

    def close(self, *, interrupted: bool = False) -> None: ...
