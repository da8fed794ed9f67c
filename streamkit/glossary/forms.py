"""Official names in every subtitle language: enforcing them after an engine, checking them in a file.

Names stay as the glossary writes them (``BTS``, ``BLACKPINK``, ``NewJeans``: Latin script) in
every language, unless an entry gives its own form for a language (``forms = { ja = "..." }``).
:func:`localize_names` enforces that on a translation; :func:`name_findings` is what the ``streamkit check``
extra check finds in a file in any language but Korean and English (those keep their own check).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..checks import ExtraCheck, Problem
    from ..models import Transcript
    from ..subtitles import RawCue
    from .core import Glossary
    from .entries import Entry

__all__ = ["localize_names", "name_check", "name_findings"]

#: Runs of Latin letters, digits and the joiners names use, inside text of any script.
_LATIN_RUN = re.compile(r"[A-Za-z0-9À-ɏ][A-Za-z0-9À-ɏ .'’&()\-*!:]*[A-Za-z0-9À-ɏ)!.*]|[A-Za-z0-9]")


def _latin_script(language: str) -> bool:
    from ..languages import LANGUAGES

    lang = LANGUAGES.get(language)
    return lang is None or lang.script == "latin"


def _pattern(form: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])")


def localize_names(glossary: Glossary, text: str, language: str, korean_source: str, *, context: str = "") -> str:
    """Official names in ``text`` (a translation into ``language``): aliases and mangled spellings to the
    glossary's form, then the entry's own form for ``language`` when it gives one.

    Latin-script text is enforced whole (as English); in other scripts only its Latin runs are, so a
    Japanese sentence's ``BlackPink`` becomes ``BLACKPINK`` without kana being read as letters.
    """
    if _latin_script(language):
        text = glossary.enforce_english_for(text, korean_source, context=context)
    else:
        text = _enforce_latin_runs(glossary, text, korean_source, context)
    for entry in glossary.entries:
        form = dict(entry.forms).get(language)
        if form and entry.english in text:
            text = _pattern(entry.english).sub(form, text)
    return text


def _enforce_latin_runs(glossary: Glossary, text: str, korean_source: str, context: str) -> str:
    """Enforce the Latin runs of a CJK/Thai/Arabic text together (joined by " ; ", which no name spans, so
    names seen beside each other count as context, as in an English sentence), then put each back."""
    runs = list(_LATIN_RUN.finditer(text))
    if not runs:
        return text
    fixed = glossary.enforce_english_for(" ; ".join(m.group(0) for m in runs), korean_source, context=context)
    parts = fixed.split(" ; ")
    if len(parts) != len(runs):  # never expected: no name has " ; " in it
        parts = [glossary.enforce_english_for(m.group(0), korean_source, context=context) for m in runs]
    for m, part in zip(reversed(runs), reversed(parts), strict=True):
        text = text[:m.start()] + part + text[m.end():]
    return text


def _shows(entry: Entry, language: str, text: str) -> bool:
    """The translation shows ``entry`` in the form ``language`` should (or one of its correct English forms)."""
    forms = {entry.form(language), *entry.english_forms}
    return any(_pattern(f).search(text) if f.isascii() else f in text for f in forms)


def name_findings(glossary: Glossary, korean: Transcript, cues: Sequence[RawCue],
                  language: str) -> Iterator[tuple[int, RawCue, str]]:
    """Names in a file in ``language`` (``cues``) checked against the ``korean`` said at the same time:
    cues the glossary spells otherwise, and names said in Korean that the file does not show (in that
    language's form) near the same time. Each as (cue position from 1, cue, message); imports nothing of
    :mod:`streamkit.checks`, which turns them into problems."""
    context = korean.text
    numbered = list(enumerate(cues, start=1))
    for pos, cue in numbered:
        text = " ".join(cue.lines)
        said = " ".join(u.text for u in korean.utterances
                        if u.start_ms < cue.end_ms + 1000 and u.end_ms > cue.start_ms - 1000)
        fixed = localize_names(glossary, text, language, said, context=context)
        if fixed != text:
            yield pos, cue, f"the glossary spells it {fixed!r} (is {text!r})"
    for u in korean.utterances:
        near = [(pos, c) for pos, c in numbered if c.start_ms < u.end_ms + 1000 and c.end_ms > u.start_ms - 1000]
        shown = " ".join(" ".join(c.lines) for _, c in near)
        for m in glossary.find_korean(u.text, context=context, uncertain=True):
            if m.entry.kind == "term" or not near:
                continue
            if not any(_shows(e, language, shown) for e in (m.entry, *m.alternatives)):
                pos, cue = min(near, key=lambda item: abs(item[1].start_ms - u.start_ms))
                yield pos, cue, (f"{m.entry.form(language)} ({m.entry.canonical_ko}) is said "
                                 f"but not in the {language} subtitles at this time")


def name_check(glossary: Glossary, counterpart: Sequence[RawCue]) -> ExtraCheck:
    """``streamkit check`` on a file in ``language`` with its Korean ``counterpart``: :func:`name_findings` as
    problems. Kept for ``checks.glossary_check`` until it calls :func:`name_findings` itself: this import of
    checks is the last edge of the checks <-> glossary.forms import circle."""
    from ..checks import _as_transcript, _problem

    def check(cues: Sequence[RawCue], language: str) -> Iterable[Problem]:
        for pos, cue, message in name_findings(glossary, _as_transcript(counterpart, "ko"), cues, language):
            yield _problem(pos, cue, "glossary", message)

    return check
