"""The K-pop glossary: every name right, in Korean and in English.

The glossary is data (TOML files under the repository's top-level ``glossary/``, not this package, plus
a producer's own files, see ``docs/glossary.md``); this package loads and validates it and applies it at
three places:

* **Recognition**: :meth:`Glossary.hints_for` picks the few names likely in one recording,
  :meth:`Glossary.hotwords` turns them into faster-whisper's ``hotwords=``, and
  :meth:`Glossary.drop_echoed_hints` removes what Whisper echoed from the hint text.
* **Korean transcript**: :meth:`Glossary.find_korean` finds names as whole words followed by
  particles (``방탄소년단의``, ``지민이가``), never inside another word; :meth:`Glossary.normalize_korean`
  and :meth:`Glossary.apply_korean` rewrite spelling variants to the canonical Hangul.
* **English**: :meth:`Glossary.enforce_english` / :meth:`Glossary.enforce_english_for` put the
  official stylization in place of aliases and case/spacing variants, idempotently. Names that are
  also ordinary words ("twice", "army", "rose") are only rewritten when the Korean source names them
  (or their group is named in the same text).

Loading is all-or-nothing: a bad file raises :class:`GlossaryError` naming the file, the line and the
entry, and nothing is applied.

Where things live (import from ``streamkit.glossary``; the modules are one concern each):

* ``entries.py``: the kinds (``KINDS``, ``GROUP_KINDS``, ``NAME_KINDS``), :class:`GlossaryError`,
  :class:`Entry` and the results (:class:`GlossaryMatch`, :class:`GlossaryReport`, :class:`Proposal` ...).
* ``text.py``: small text helpers both languages share (Hangul tests, word characters, accent folding).
* ``korean.py``: the particles a name may take and the Korean index (whole-word matching in Hangul).
* ``english.py``: the English index (spellings, spacing, punctuation of forms) and the rules that tell
  a name from an ordinary word.
* ``index.py``: :class:`GlossaryIndex`, the entries indexed: the acts each belongs to, and the Korean
  and English scanners that find their forms in a text.
* ``normalize.py``: Korean normalization (:meth:`Glossary.find_korean`, :meth:`Glossary.apply_korean`).
* ``enforce.py``: English enforcement (:meth:`Glossary.enforce_english_for`, :meth:`Glossary.find_english`).
* ``core.py``: the :class:`Glossary` class on top of those three: recognition hints, reports, learning.
* ``echo.py``: echoed-hint detection behind :meth:`Glossary.drop_echoed_hints`.
* ``learn.py``: pairing draft and corrected cues for :meth:`Glossary.learn`, and :func:`proposals_toml`
  (with the TOML-writing helpers the kpopnet import shares).
* ``loading.py``: :func:`builtin_dir`, parsing and validating TOML files, merging, :func:`load_glossary`,
  :func:`check_glossary`, and :func:`optional_glossary`: the one loader behind every command's
  ``--glossary``/``--no-glossary``.
* ``kpopnet.py``: :func:`import_kpopnet` and its fixes file.
"""

from __future__ import annotations

from .core import Glossary
from .entries import (
    GROUP_KINDS,
    KINDS,
    NAME_KINDS,
    Entry,
    GlossaryError,
    GlossaryMatch,
    GlossaryReport,
    MissingName,
    NameCount,
    Proposal,
)
from .kpopnet import import_kpopnet
from .learn import proposals_toml
from .loading import builtin_dir, check_glossary, load_glossary, optional_glossary

__all__ = [
    "GROUP_KINDS",
    "KINDS",
    "NAME_KINDS",
    "Entry",
    "Glossary",
    "GlossaryError",
    "GlossaryMatch",
    "GlossaryReport",
    "MissingName",
    "NameCount",
    "Proposal",
    "builtin_dir",
    "check_glossary",
    "import_kpopnet",
    "load_glossary",
    "optional_glossary",
    "proposals_toml",
]
