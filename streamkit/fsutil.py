"""Atomic output: every file streamkit writes appears whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from .errors import LockedError, OutputError

__all__ = [
    "DISK_FULL_HINT",
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


# --------------------------------------------------------------------------- one run per output folder


class FolderLock:
    """``<folder>/.streamkit/<name>.lock``: an exclusive ``flock`` held for a whole run.

    ``streamkit replay`` (``replay.lock``) and ``streamkit subtitle`` (``subtitle.lock``) take one
    on their output folder, so a second run into it is refused instead of replacing the first
    run's files. The kernel releases it when the holder exits, however it exits (no stale lock
    after a crash or ``kill -9``). The file says who holds it: pid, host, command and since when.
    """

    error: ClassVar[type[LockedError]] = LockedError

    def __init__(self, folder: Path, name: str, *, command: str = "") -> None:
        self.name = name
        self.path = Path(folder) / ".streamkit" / f"{name}.lock"
        self.command = command or " ".join(["streamkit", *sys.argv[1:2]])
        self._fd: int | None = None

    def acquire(self) -> None:
        ensure_writable_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise self.error(self.path, holder, what=self.name) from None
        os.ftruncate(fd, 0)
        since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command, "since": since}
        os.write(fd, json.dumps(info, ensure_ascii=False).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @staticmethod
    def holder_of(folder: Path, name: str) -> str | None:
        """Who holds ``name``'s lock on ``folder`` now (``None``: nobody); takes no lock."""
        try:
            fd = os.open(Path(folder) / ".streamkit" / f"{name}.lock", os.O_RDONLY)
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
        command = f": {info['command']}," if info.get("command") else ""
        return f"pid {info['pid']} on {info['host']}{command} since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "holder unknown"
