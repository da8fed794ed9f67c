"""The page's cues at the JSON boundary: validated once here, then handed to the core as ``RawCue``.

The page holds each track as a list of ``{"id", "start", "end", "text"}`` (times in integer
milliseconds, ``text`` with ``\\n`` between lines). Every request that carries cues goes through
:func:`parse_cues`, which refuses what no core function should see (a time that is not a whole
number of milliseconds, negative or beyond 100 hours, a missing or repeated id) with a
:class:`RequestError` naming the cue and the field. What the rules allow but flag (an overlap, an
empty cue, a cue ending before it starts) passes: ``check`` reports it, ``save`` refuses the two
that an SRT file cannot hold.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...checks import plain_text
from ...errors import StreamkitError
from ...subtitles import RawCue

__all__ = ["EditCue", "RequestError", "StaleFileError", "cue_json", "describe_changes", "parse_cues", "to_raw"]

#: Times beyond this are typing mistakes, not shows (100 hours).
MAX_MS = 100 * 3_600_000


class RequestError(StreamkitError):
    """A request the page should never send (HTTP ``status``: 422 bad data, 404 unknown cue or track)."""

    def __init__(self, message: str, *, status: int = 422, field: str = "", cue: str = "",
                 hint: str | None = None) -> None:
        self.status = status
        self.field = field
        self.cue = cue
        super().__init__(message, hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "status": self.status, "field": self.field, "cue": self.cue}


class StaleFileError(StreamkitError):
    """The file changed on disk since the page loaded it: saving would overwrite someone's work (HTTP 409)."""

    status = 409

    def __init__(self, path: str, loaded: str, disk: str, changes: Sequence[Mapping[str, object]]) -> None:
        self.path = path
        self.loaded = loaded
        self.disk = disk
        count = len(changes)
        self.changes = [dict(c) for c in changes[:20]]  # enough to see what happened
        super().__init__(f"{path} changed on disk since this page loaded it ({count} cue(s) differ)",
                         hint="load the file from disk (your edits to it are lost), or save yours over it")

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "path": self.path, "loaded": self.loaded, "disk": self.disk,
                "changes": self.changes}


@dataclass(frozen=True, slots=True)
class EditCue:
    """One cue as the page holds it."""

    id: str
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]


def _time(item: Mapping[str, object], key: str, cue: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"cue {cue}: {key} must be a whole number of milliseconds, not {value!r}",
                           field=key, cue=cue)
    if not 0 <= value <= MAX_MS:
        raise RequestError(f"cue {cue}: {key} {value} ms is out of range (0 to {MAX_MS} ms)", field=key, cue=cue)
    return value


def parse_cues(payload: object, *, field: str = "cues") -> list[EditCue]:
    """The page's cue list, validated; raises :class:`RequestError` naming the first bad cue."""
    if not isinstance(payload, list):
        raise RequestError(f"{field} must be a list of cues", field=field)
    cues: list[EditCue] = []
    seen: set[str] = set()
    for n, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            raise RequestError(f"{field}[{n}] must be an object", field=field)
        cue_id, text = item.get("id"), item.get("text", "")
        if not isinstance(cue_id, str) or not cue_id:
            raise RequestError(f"{field}[{n}]: id must be a non-empty string", field="id")
        if cue_id in seen:
            raise RequestError(f"cue {cue_id}: the id is used twice", field="id", cue=cue_id)
        seen.add(cue_id)
        if not isinstance(text, str):
            raise RequestError(f"cue {cue_id}: text must be a string", field="text", cue=cue_id)
        lines = tuple(line.rstrip() for line in text.replace("\r\n", "\n").split("\n") if line.strip())
        cues.append(EditCue(cue_id, _time(item, "start", cue_id), _time(item, "end", cue_id), lines))
    return cues


def to_raw(cues: Sequence[EditCue]) -> tuple[RawCue, ...]:
    """As the core reads files: ``index`` and ``line`` are the cue's 1-based position (to map results back)."""
    return tuple(RawCue(n, c.start_ms, c.end_ms, c.lines, n) for n, c in enumerate(cues, start=1))


def cue_json(cue_id: str, start_ms: int, end_ms: int, lines: Sequence[str]) -> dict[str, object]:
    return {"id": cue_id, "start": start_ms, "end": end_ms, "text": "\n".join(lines)}


def _label(cue: RawCue) -> str:
    return f"{cue.start_ms}-{cue.end_ms} " + " / ".join(plain_text(line) for line in cue.lines)


def describe_changes(before: Sequence[RawCue], after: Sequence[RawCue]) -> list[dict[str, object]]:
    """What another writer changed: cues removed, added or rewritten (``cue``: its number on disk), for a 409."""
    a, b = [_label(c) for c in before], [_label(c) for c in after]
    changes: list[dict[str, object]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            was = before[i1 + k] if i1 + k < i2 else None
            now = after[j1 + k] if j1 + k < j2 else None
            where = now or was
            assert where is not None
            changes.append({
                "cue": j1 + k + 1 if now is not None else i1 + k + 1,
                "start": where.start_ms,
                "was": "\n".join(was.lines) if was is not None else None,
                "now": "\n".join(now.lines) if now is not None else None,
            })
    return changes
