"""Atomic output: every file streamkit writes appears whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import OutputError

__all__ = ["atomic_path", "atomic_write_text", "check_name_lengths", "ensure_writable_dir"]


def ensure_writable_dir(folder: Path, *, option: str = "--out DIR") -> None:
    """Create ``folder`` if needed and prove it is writable, or raise ``OutputError``.

    ``option`` is what chose the folder (``--out DIR``, ``--db FILE``, ``job.output in the spec``):
    the hint names it, so a read-only ``--db`` folder does not send the user to ``--out``.
    """
    hint = f"choose another with {option}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
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
        raise OutputError(target.parent, f"cannot write here ({exc.strerror or exc})") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(target, f"cannot write ({exc.strerror or exc})") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_text(target: Path, text: str, *, encoding: str = "utf-8") -> None:
    with atomic_path(target) as tmp:
        try:
            tmp.write_text(text, encoding=encoding, newline="")
        except OSError as exc:
            raise OutputError(target, f"cannot write ({exc.strerror or exc})") from exc
