"""Learning from editors: pairing draft and corrected cues, the replacements between them, and proposals
written as a glossary TOML file."""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..models import SubtitleTrack, Transcript
from .entries import Entry, Proposal
from .korean import PARTICLES
from .text import _has_hangul

# --------------------------------------------------------------------------- tracks


def _spans(source: SubtitleTrack | Transcript) -> list[tuple[int, int, str]]:
    if isinstance(source, SubtitleTrack):
        return [(c.start_ms, c.end_ms, " ".join(c.lines)) for c in source.cues]
    return [(u.start_ms, u.end_ms, u.text) for u in source.utterances]


def _pair_cues(draft: SubtitleTrack, corrected: SubtitleTrack) -> Iterator[tuple[str, str]]:
    """Each corrected cue with the draft cue that overlaps it most (by index when times differ wholly)."""
    used: set[int] = set()
    for i, cue in enumerate(corrected.cues):
        best, overlap = -1, 0
        for j, d in enumerate(draft.cues):
            shared = min(cue.end_ms, d.end_ms) - max(cue.start_ms, d.start_ms)
            if shared > overlap:
                best, overlap = j, shared
        if best < 0 and i < len(draft.cues):
            best = i
        if best >= 0 and best not in used:
            used.add(best)
            yield " ".join(draft.cues[best].lines), " ".join(cue.lines)


_EDGE_PUNCT = "\"“”‘'.,!?;:…()[]"


def _strip_edges(token: str) -> str:
    token = token.strip(_EDGE_PUNCT)
    for suffix in ("'s", "’s"):
        if token.endswith(suffix):
            token = token[: -len(suffix)]
    return token


def _strip_particles(old: str, new: str) -> tuple[str, str]:
    """Drop a particle both sides share (``방탕소년단이`` / ``방탄소년단이``)."""
    for particle, _ in PARTICLES:
        if old.endswith(particle) and new.endswith(particle) and len(old) > len(particle) + 1 \
                and len(new) > len(particle) + 1:
            return old[: -len(particle)], new[: -len(particle)]
    return old, new


def _replacements(before: str, after: str) -> Iterator[tuple[str, str, bool]]:
    a, b = before.split(), after.split()
    matcher = difflib.SequenceMatcher(a=[_strip_edges(t) for t in a], b=[_strip_edges(t) for t in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "replace" or not (1 <= i2 - i1 <= 4 and 1 <= j2 - j1 <= 4):
            continue
        old = " ".join(_strip_edges(t) for t in a[i1:i2]).strip()
        new = " ".join(_strip_edges(t) for t in b[j1:j2]).strip()
        if _has_hangul(new):
            old, new = _strip_particles(old, new)
        if old and new and old != new:
            yield old, new, j1 == 0


# --------------------------------------------------------------------------- TOML writing


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _qlist(items: Iterable[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _inline(fields: list[tuple[str, Any]]) -> str:
    parts = []
    for name, value in fields:
        if isinstance(value, bool):
            parts.append(f"{name} = {'true' if value else 'false'}")
        elif isinstance(value, str):
            parts.append(f"{name} = {_q(value)}")
        elif isinstance(value, dict):
            parts.append(f"{name} = {{ " + ", ".join(f"{k} = {_q(v)}" for k, v in value.items()) + " }")
        else:
            parts.append(f"{name} = {_qlist(value)}")
    return ", ".join(parts)


def _entry_fields(entry: Entry) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = [("id", entry.id), ("english", entry.english), ("korean", entry.korean)]
    for name in ("also_en", "aliases_en", "nicknames_ko"):
        value = getattr(entry, name)
        if value:
            fields.append((name, value))
    if entry.ambiguous and entry.kind != "term":
        fields.append(("ambiguous", True))
    if entry.note:
        fields.append(("note", entry.note))
    if entry.forms:
        fields.append(("forms", dict(entry.forms)))
    return fields


def proposals_toml(proposals: Sequence[Proposal]) -> str:
    """Proposals as a producer glossary file: review, fill the TODOs, then use it with ``--glossary``."""
    out = ["# Glossary entries proposed by `streamkit glossary learn` from editors' corrections.",
           "# Review each one; an existing entry is repeated in full because a later file replaces",
           "# an entry with the same id. Fill in every TODO before using the file.", ""]
    for p in proposals:
        out.append(f"# seen {p.count}x, e.g. {p.examples[0][:80]!r}" if p.examples else f"# seen {p.count}x")
        if p.entry is not None:
            e = dataclasses.replace(p.entry, korean=p.korean, aliases_en=p.aliases_en)
            out.append("[[entry]]")
            out.append(f"kind = {_q(e.kind)}")
            for name, value in _entry_fields(e):
                out.append(f"{name} = {_inline([(name, value)]).split(' = ', 1)[1]}")
            if e.group:
                out.append(f"group = {_q(e.group)}")
        else:
            slug = _slug(p.english or _romanless(p.korean)) or "todo"
            out.append("[[entry]]")
            out.append('kind = "name"  # TODO: member, group, song, guest, segment ...')
            out.append(f"id = {_q(slug)}")
            out.append(f"english = {_q(p.english or 'TODO')}" + ("" if p.english else "  # TODO: the official English"))
            if p.korean:
                out.append(f"korean = {_qlist(p.korean)}")
            else:
                out.append("korean = []  # TODO: the Hangul, canonical first")
            if p.aliases_en:
                out.append(f"aliases_en = {_qlist(p.aliases_en)}")
        out.append("")
    return "\n".join(out)


def _romanless(korean: Sequence[str]) -> str:
    return "name-" + "-".join(f"{ord(c):x}" for c in (korean[0] if korean else "")[:2])


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
