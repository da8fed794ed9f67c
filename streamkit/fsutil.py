"""Atomic output: every file streamkit writes appears whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

__all__ = ["DISK_FULL_HINT", "atomic_path", "atomic_write_text", "ensure_writable_dir", "write_problem"]

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


def ensure_writable_dir(folder: Path) -> None:
    """Create ``folder`` if needed and prove it is writable, or raise ``OutputError``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise _output_error(folder, exc) from exc
        raise OutputError(folder, f"cannot create output folder ({exc.strerror or exc})") from exc
    if not folder.is_dir():
        raise OutputError(folder, "is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(folder, "output folder is not writable", hint="choose another with --out DIR")


@contextlib.contextmanager
def atomic_path(target: Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    The temporary name keeps ``target``'s extension (ffmpeg picks the muxer from it) and starts
    with a dot so a half-written file is never mistaken for a result. On any exception,
    including ``KeyboardInterrupt``, the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    ext = suffix if suffix is not None else target.suffix
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{ext}", dir=target.parent)
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
