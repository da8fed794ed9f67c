"""What a replay keeps in ``<output>/.streamkit/``: the state and the lock.

* the **state** (``replay-state.json``): per recording the input's content hash, the fingerprint
  of the settings that affect its outputs, status, error, outputs with their sha256, timings. A
  recording whose state says done, with the same input hash and settings and its outputs
  unchanged, is skipped (:func:`_staleness`).
* the **lock** (``replay.lock``, ``flock``): one replay per output folder.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..cache import file_digest
from ..errors import LockedError
from ..fsutil import FolderLock, atomic_write_text
from ..workspace import Workspace

log = logging.getLogger("streamkit")

STATE_FORMAT = 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class RecordingState:
    """What the driver knows about one recording (one entry of ``replay-state.json``)."""

    key: str
    input: str
    size: int = 0
    mtime_ns: int = 0
    digest: str = ""
    params: str = ""
    #: ``pending``, ``running``, ``done`` or ``failed``.
    status: str = "pending"
    error: str = ""
    hint: str = ""
    #: path relative to the output folder -> {"sha256", "size", "mtime_ns"}
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: str = ""
    finished: str = ""
    seconds: float = 0.0
    attempts: int = 0
    worker: str = ""
    stages: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecordingState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class ReplayState:
    """``<output>/.streamkit/replay-state.json``: written by the driver alone, atomically."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.path = Workspace(output).replay_state
        self.recordings: dict[str, RecordingState] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != STATE_FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            self.recordings = {k: RecordingState.from_dict(v) for k, v in data["recordings"].items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable replay state %s (%s): every recording is checked again", self.path, exc)

    def get(self, key: str) -> RecordingState | None:
        return self.recordings.get(key)

    def save(self) -> None:
        data = {"format": STATE_FORMAT, "streamkit": __version__, "updated": _now(),
                "recordings": {k: asdict(v) for k, v in self.recordings.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1))


def _input_digest(path: Path, prior: RecordingState | None) -> tuple[int, int, str]:
    """``(size, mtime_ns, sha256)``; the hash is reused while size and mtime are unchanged."""
    st = path.stat()
    if prior is not None and prior.digest and (prior.size, prior.mtime_ns) == (st.st_size, st.st_mtime_ns):
        return st.st_size, st.st_mtime_ns, prior.digest
    return st.st_size, st.st_mtime_ns, file_digest(path)


def _intact(output: Path, rel: str, info: dict[str, Any]) -> bool:
    """The output is still exactly what the replay wrote (hash re-checked only if size/mtime moved)."""
    path = output / rel
    try:
        st = path.stat()
    except OSError:
        return False
    if (st.st_size, st.st_mtime_ns) == (info.get("size"), info.get("mtime_ns")):
        return True
    return st.st_size == info.get("size") and file_digest(path) == info.get("sha256")


def _staleness(rs: RecordingState | None, digest: str, params: str, output: Path) -> str:
    """Why a recording must run ("" when it is done and fresh)."""
    if rs is None or rs.status == "pending":
        return "not done yet"
    if rs.status == "failed":
        return "failed last time"
    if rs.status == "running":
        return "interrupted last time"
    if rs.digest != digest:
        return "input changed"
    if rs.params != params:
        return "settings changed"
    if not rs.outputs or not all(_intact(output, rel, info) for rel, info in rs.outputs.items()):
        return "outputs missing or changed"
    return ""


# --------------------------------------------------------------------------- lock


class ReplayLockedError(LockedError):
    """Another ``streamkit replay`` holds the output folder's lock."""

    default_hint = "wait for that run to finish (or stop it); `streamkit replay SPEC --status` shows its progress"

    def __init__(self, lock: Path | str, holder: str, *, what: str = "replay", hint: str | None = None) -> None:
        super().__init__(lock, holder, what=what, hint=hint)


class ReplayLock(FolderLock):
    """``<output>/.streamkit/replay.lock``: the :class:`~streamkit.fsutil.FolderLock` of a replay."""

    error = ReplayLockedError

    def __init__(self, output: Path, *, command: str = "") -> None:
        super().__init__(output, "replay", command=command)

    @staticmethod
    def holder(output: Path) -> str | None:
        """Who holds the lock now (``None`` when no replay is running); takes no lock."""
        return FolderLock.holder_of(output, "replay")
