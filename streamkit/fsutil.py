"""Atomic output: every file streamkit writes appears whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Self

from .errors import LockedError, OutputError, StreamkitError
from .workspace import Workspace

__all__ = [
    "DISK_FULL_HINT",
    "FileLock",
    "FolderLock",
    "atomic_path",
    "atomic_write_text",
    "check_name_lengths",
    "ensure_writable_dir",
    "write_problem",
]

DISK_FULL_HINT = "free some space on that disk (or write elsewhere) and run the same command again"
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def write_problem(exc: OSError) -> tuple[str, str | None]:
    """The one-line problem and the hint for an ``OSError`` met while writing an output."""
    if exc.errno in _DISK_FULL:
        return f"not written: the disk is full ({exc.strerror or exc})", DISK_FULL_HINT
    return f"cannot write ({exc.strerror or exc})", None


def _output_error(path: Path, exc: OSError) -> OutputError:
    problem, hint = write_problem(exc)
    return OutputError(path, problem, hint=hint)


def ensure_writable_dir(folder: Path, *, option: str = "--out DIR") -> None:
    """Create ``folder`` if needed and prove it is writable, or raise ``OutputError``.

    ``option`` is what chose the folder (``--out DIR``, ``--db FILE``, ``job.output in the spec``):
    the hint names it, so a read-only ``--db`` folder does not send the user to ``--out``.
    """
    hint = f"choose another with {option}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise _output_error(folder, exc) from exc
        raise OutputError(folder, f"cannot create the folder ({exc.strerror or exc})", hint=hint) from exc
    if not folder.is_dir():
        raise OutputError(folder, "is not a folder", hint=hint)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(folder, "folder is not writable", hint=hint)


#: Bytes ``atomic_path`` adds around a name's stem for its temporary file (``.STEM.xxxxxxxx.part``).
_TEMP_EXTRA = len(".") + len(".xxxxxxxx") + len(".part")


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) the file system holding ``folder`` takes (255 on Linux file systems)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                return int(os.pathconf(candidate, "PC_NAME_MAX"))
            except (OSError, ValueError):
                break
    return 255


def check_name_lengths(paths: Iterable[Path], *, hint: str = "") -> None:
    """Refuse, before any work, an output whose name the file system cannot hold ("File name too long")."""
    for path in paths:
        limit = _name_max(path.parent)
        size = len(os.fsencode(path.name))
        if size > limit:
            raise OutputError(path, f"file name too long ({size} bytes; the file system allows {limit})",
                              hint=hint or "give the input a shorter name")


@contextlib.contextmanager
def atomic_path(target: Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    The temporary name keeps ``target``'s extension (ffmpeg picks the muxer from it) and starts
    with a dot so a half-written file is never mistaken for a result. On any exception,
    including ``KeyboardInterrupt``, the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    ext = suffix if suffix is not None else target.suffix
    # A name near the file system's limit must still get a temporary name: shorten the stem in it.
    room = max(8, _name_max(target.parent) - _TEMP_EXTRA - len(os.fsencode(ext)))
    stem = os.fsdecode(os.fsencode(target.stem)[:room]).rstrip("\ufffd") if len(os.fsencode(target.stem)) > room \
        else target.stem
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".part{ext}", dir=target.parent)
    except OSError as exc:
        raise _output_error(target.parent, exc) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except OSError as exc:
            raise _output_error(target, exc) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_text(target: Path, text: str, *, encoding: str = "utf-8") -> None:
    with atomic_path(target) as tmp:
        try:
            tmp.write_text(text, encoding=encoding, newline="")
        except OSError as exc:
            raise _output_error(target, exc) from exc


# --------------------------------------------------------------------------- locks

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _read_holder(fd: int) -> str:
    """The holder's line (``pid 4242 on stage-pc: streamkit subtitle show.mp4, since ...``) from a lock file."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        command = f": {info['command']}," if info.get("command") else ""
        return f"pid {info['pid']} on {info['host']}{command} since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "holder unknown"


class FileLock:
    """The one lock class: an exclusive OS lock (``flock``) on ``path``, held until :meth:`release`.

    The file says who holds it, the same for every lock: JSON ``{"pid", "host", "command", "since"}``,
    shown as ``pid 4242 on stage-pc: streamkit subtitle show.mp4, since 2026-12-03T11:49:56Z``. The kernel
    drops the lock when the holder exits, however it exits (no stale lock after a crash or
    ``kill -9``). Subclasses say what a refusal raises (:meth:`busy`) and how the file is opened.
    """

    def __init__(self, path: Path, *, command: str = "") -> None:
        self.path = Path(path)
        self.command = command or " ".join(["streamkit", *sys.argv[1:2]])
        self._fd: int | None = None

    def busy(self, holder: str) -> StreamkitError:
        """The error for a lock someone else holds (``holder``: their line)."""
        return LockedError(self.path, holder, what=self.path.stem)

    def _open(self) -> int:
        ensure_writable_dir(self.path.parent)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    def acquire(self) -> None:
        fd = self._open()
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            raise self.busy(holder)
        os.ftruncate(fd, 0)
        since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command, "since": since}
        os.pwrite(fd, json.dumps(info, ensure_ascii=False).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            _unlock(self._fd)
            os.close(self._fd)  # closing drops the lock in any case
            self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @staticmethod
    def holder_at(path: Path) -> str | None:
        """Who holds the lock on ``path`` now (``None``: nobody); takes no lock for longer than a probe."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            if _try_lock(fd):
                _unlock(fd)
                return None
            return _read_holder(fd)
        finally:
            os.close(fd)


class FolderLock(FileLock):
    """``<folder>/.streamkit/<name>.lock``: the :class:`FileLock` of a whole run into an output folder.

    ``streamkit replay`` (``replay.lock``) and ``streamkit subtitle`` (``subtitle.lock``) take one
    on their output folder, so a second run into it is refused instead of replacing the first
    run's files.
    """

    error: ClassVar[type[LockedError]] = LockedError

    def __init__(self, folder: Path, name: str, *, command: str = "") -> None:
        super().__init__(Workspace(folder).lock(name), command=command)
        self.name = name

    def busy(self, holder: str) -> StreamkitError:
        return self.error(self.path, holder, what=self.name)

    @staticmethod
    def holder_of(folder: Path, name: str) -> str | None:
        """Who holds ``name``'s lock on ``folder`` now (``None``: nobody)."""
        return FileLock.holder_at(Workspace(folder).lock(name))
