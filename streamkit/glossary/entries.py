"""What the glossary is made of: the kinds, :class:`GlossaryError`, :class:`Entry` and the results it returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: Every kind an entry may have (each is also a TOML array-of-tables name: ``[[group]]`` ...).
KINDS = (
    "group", "unit", "member", "soloist", "fandom", "show", "platform", "term", "song", "segment",
    "guest", "name",
)  # fmt: skip
#: Kinds that are a performing act (what the coverage count and group context are about).
GROUP_KINDS = frozenset({"group", "unit", "soloist"})
#: Kinds that are names (everything but the subtitlers' terms).
NAME_KINDS = frozenset(KINDS) - {"term"}


# --------------------------------------------------------------------------- errors


class GlossaryError(ConfigError):
    """A glossary file that cannot be used; names the file, the line and the entry."""

    default_hint = "fix that line of the glossary file (nothing was applied)"

    def __init__(
        self,
        problem: str,
        *,
        file: Path | str,
        line: int | None = None,
        entry: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file)
        self.line = line
        self.entry = entry
        where = f"{self.file}:{line}" if line else self.file
        what = f"entry {entry!r}: " if entry else ""
        super().__init__(f"{what}{problem}", key=entry or "", source=where, hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "problem": self.problem, "file": self.file, "line": self.line, "entry": self.entry}


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True, slots=True)
class Entry:
    """One name (or subtitler's term) with its Korean forms and its official English form.

    ``korean[0]`` is the canonical Hangul; the other ``korean`` forms are spelling or spacing
    variants that :meth:`Glossary.normalize_korean` rewrites to it. ``nicknames_ko`` are other
    ways to say the name (``방탄``, ``투바투``): recognised, never rewritten. ``aliases_en`` are
    wrong English forms (``Bulletproof Boy Scouts``) rewritten to ``english``; ``also_en`` are
    other correct English forms left as they are (``SNSD``). ``group`` is the group id of a
    member, unit, fandom or song. ``source`` is ``file:line``.
    """

    id: str
    kind: str
    english: str
    korean: tuple[str, ...]
    aliases_en: tuple[str, ...] = ()
    group: str | None = None
    source: str = ""
    nicknames_ko: tuple[str, ...] = ()
    also_en: tuple[str, ...] = ()
    #: Rewrite English variants only when the Korean source (or the group) names this entry.
    ambiguous: bool = False
    note: str = ""
    #: The name as written in other subtitle languages, when not the English form (``(("ja", "..."),)``);
    #: from the TOML table ``forms = { ja = "..." }``. Names stay in Latin script unless given here.
    forms: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Entry: id must not be empty")
        if not self.english.strip():
            raise ValueError(f"Entry {self.id}: english must not be empty")
        if not self.korean or not all(k.strip() for k in self.korean):
            raise ValueError(f"Entry {self.id}: needs at least one Korean form")

    @property
    def canonical_ko(self) -> str:
        return self.korean[0]

    def form(self, language: str) -> str:
        """How the name is written in subtitles in ``language``: its own form there, else the English one."""
        return dict(self.forms).get(language, self.english)

    @property
    def english_forms(self) -> tuple[str, ...]:
        """The correct English forms: the official one first."""
        return (self.english, *self.also_en)


@dataclass(frozen=True, slots=True)
class GlossaryMatch:
    """A name found in a text: ``text[start:end]`` (particles excluded) is a form of ``entry``.

    ``alternatives`` are the other entries with the same form (a member name used in several
    groups) that the context did not rule out.
    """

    start: int
    end: int
    text: str
    entry: Entry
    alternatives: tuple[Entry, ...] = ()
    #: The Hangul this span should read (``entry.canonical_ko`` for a variant, else ``text``).
    canonical: str = ""


@dataclass(frozen=True, slots=True)
class NameCount:
    entry: Entry
    count: int
    first_ms: int


@dataclass(frozen=True, slots=True)
class MissingName:
    """A name said in Korean with no form of it in the English shown at the same time."""

    entry: Entry
    start_ms: int
    end_ms: int
    korean: str
    english: str


@dataclass(frozen=True, slots=True)
class GlossaryReport:
    """What ``streamkit check`` says about names: found, missing in English, fixable."""

    found: tuple[NameCount, ...]
    missing: tuple[MissingName, ...]
    #: English cues that :meth:`Glossary.enforce_english_for` would change: ``(start_ms, old, new)``.
    fixable: tuple[tuple[int, str, str], ...] = ()

    def summary(self) -> dict[str, Any]:
        return {
            "found": [{"id": n.entry.id, "english": n.entry.english, "korean": n.entry.canonical_ko,
                       "count": n.count, "first_s": round(n.first_ms / 1000, 3)} for n in self.found],
            "missing": [{"id": m.entry.id, "english": m.entry.english, "at_s": round(m.start_ms / 1000, 3),
                         "korean": m.korean, "english_text": m.english} for m in self.missing],
            "fixable": [{"at_s": round(t / 1000, 3), "english_text": old, "fixed": new}
                        for t, old, new in self.fixable],
        }


@dataclass(frozen=True, slots=True)
class Proposal:
    """A change ``learn`` proposes from what an editor corrected."""

    entry: Entry | None  # the existing entry to extend, or None for a new one
    korean: tuple[str, ...]
    english: str
    aliases_en: tuple[str, ...]
    count: int
    examples: tuple[str, ...]

    @property
    def is_new(self) -> bool:
        return self.entry is None
