"""What a replay keeps in ``<output>/.streamkit/``: the state and the lock.

* the **state** (``replay-state.json``): per recording the input's content hash, the fingerprint
  of the settings that affect its outputs, status, error, outputs with their sha256, timings. A
  recording whose state says done, with the same input hash and settings and its outputs
  unchanged, is skipped (:func:`_staleness`).
* the **lock** (``replay.lock``, ``flock``): one replay per output folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..cache import file_digest
from ..errors import OutputError
from ..fsutil import atomic_write_text, ensure_writable_dir

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
        self.path = output / ".streamkit" / "replay-state.json"
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


class ReplayLockedError(OutputError):
    """Another ``streamkit replay`` holds the output folder's lock."""

    default_hint = "wait for that run to finish (or stop it); `streamkit replay SPEC --status` shows its progress"

    def __init__(self, lock: Path | str, holder: str, *, hint: str | None = None) -> None:
        self.holder = holder
        super().__init__(lock, f"another streamkit replay holds this lock ({holder})", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "holder": self.holder}


class ReplayLock:
    """``<output>/.streamkit/replay.lock``: an exclusive ``flock`` for the whole run.

    The kernel releases it when the holder exits, however it exits (no stale locks after a
    crash or ``kill -9``). The file holds the holder's pid, host and start time for messages.
    """

    def __init__(self, output: Path) -> None:
        self.path = output / ".streamkit" / "replay.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        ensure_writable_dir(self.path.parent, option="job.output in the spec")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ReplayLockedError(self.path, holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> ReplayLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @staticmethod
    def holder(output: Path) -> str | None:
        """Who holds the lock now (``None`` when no replay is running); takes no lock."""
        path = output / ".streamkit" / "replay.lock"
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read_holder(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        return f"pid {info['pid']} on {info['host']} since {info['since']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"
