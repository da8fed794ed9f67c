"""What the driver tells its caller: :class:`RecordingProgress` for a live view while it runs, and
the :class:`ReplayReport` (``<output>/replay-report.json``) when it is done."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from .. import __version__


@dataclass(frozen=True)
class RecordingProgress:
    """One recording's state for a live view (``fraction`` is of the whole recording, 0..1)."""

    key: str
    #: ``pending``, ``skipped``, ``running``, ``done``, ``failed`` or ``retrying``
    status: str
    stage: str = ""
    done: float = 0.0
    total: float = 0.0
    fraction: float = 0.0
    worker: str = ""
    error: str = ""
    attempt: int = 0


ReplayObserver = Callable[[RecordingProgress], None]


@dataclass(frozen=True)
class RecordingReport:
    key: str
    input: str
    #: ``done`` (ran now), ``skipped`` (already done and fresh) or ``failed``
    status: str
    folder: str
    reason: str = ""
    error: str = ""
    hint: str = ""
    seconds: float = 0.0
    attempts: int = 0
    worker: str = ""
    outputs: tuple[str, ...] = ()
    stages: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outputs"], d["stages"] = list(self.outputs), list(self.stages)
        return d


@dataclass(frozen=True)
class ReplayReport:
    spec: str
    name: str
    output: str
    executor: str
    workers: int
    started: str
    seconds: float
    recordings: tuple[RecordingReport, ...]

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.recordings)

    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.recordings)
        return {s: c.get(s, 0) for s in ("done", "skipped", "failed")}

    def to_dict(self) -> dict[str, Any]:
        ran = self.counts()["done"]
        return {
            "streamkit": __version__, "spec": self.spec, "name": self.name, "output": self.output,
            "executor": self.executor, "workers": self.workers, "started": self.started,
            "seconds": round(self.seconds, 3), "ok": self.ok, "counts": self.counts(),
            "recordings_per_minute": round(ran / self.seconds * 60, 3) if ran and self.seconds > 0 else None,
            "recordings": [r.to_dict() for r in self.recordings],
        }
