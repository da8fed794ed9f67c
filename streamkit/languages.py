"""The subtitle languages streamkit writes: rules per language, as data, with their sources.

One :class:`Language` per target: the code used in file names (``NAME.ja.srt``,
``NAME.zh-Hans.srt``), the ISO 639-2 tag and the title its track gets in a container (its own
name: ``日本語``, ``Español``, ``العربية``), the script (which decides line breaking and the
burn-in font), the writing direction, and the :class:`~streamkit.segment.SegmentRules` of
Netflix's Timed Text Style Guide for that language.

Sources, cited next to each number below:

- characters per line: each language's own Netflix Timed Text Style Guide
  (partnerhelp.netflixstudios.com or its older backlothelp.netflix.com copy, "<Language> Timed Text
  Style Guide", section "Character Limitation"; the section number is cited on the entries whose guide
  was read for it): Japanese 13 full-width characters (half-width ones count 0.5), Simplified and
  Traditional Chinese 16, Thai 35, Korean 16, Russian 39, and 42 for English, Arabic, Hebrew, Spanish,
  Brazilian Portuguese, Vietnamese, French, German, Filipino and Turkish. The Indonesian guide was not
  found in the stored copies searched: 42 there is an assumption (every Latin-script guide found gives
  42), said so on its entry;
- reading speed (adult programmes): Netflix's per-language limits as Subtitle Edit's Netflix quality
  check encodes them (``NetflixQualityController.CharactersPerSecond``): English and Arabic 20,
  Korean 12, Chinese 9, Japanese 4 characters per second, every other language 17;
- durations, gaps and chaining: the General Requirements and Subtitle Timing Guidelines, the same
  for every language (``SegmentRules``' defaults).

``rules_for`` in :mod:`streamkit.segment` looks languages up here; :func:`language` refuses an
unknown code with a :class:`~streamkit.errors.ConfigError` listing the known ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .errors import ConfigError
from .models import LANGUAGE_NAMES
from .segment.rules import ENGLISH_RULES, KOREAN_RULES, SegmentRules

__all__ = [
    "DEFAULT_TARGETS",
    "LANGUAGES",
    "SCRIPTS",
    "Language",
    "engine_code",
    "is_rtl",
    "language",
    "parse_targets",
]

#: Scripts and how lines break in them: at spaces ("space"), between any two characters but
#: never before closing or after opening punctuation ("cjk"), or only at spaces and zero-width
#: spaces, never inside a word ("thai").
SCRIPTS: Mapping[str, str] = MappingProxyType({
    "latin": "space", "cyrillic": "space", "hangul": "space", "arabic": "space", "hebrew": "space",
    "japanese": "cjk", "han-simplified": "cjk", "han-traditional": "cjk", "thai": "thai",
})  # fmt: skip

#: What ``--to`` means when it is not given: English only, as before.
DEFAULT_TARGETS: tuple[str, ...] = ("en",)


@dataclass(frozen=True, slots=True)
class Language:
    """One subtitle language: its codes, names, script and rules."""

    code: str
    english_name: str
    script: str
    rules: SegmentRules
    #: Where the numbers in ``rules`` come from.
    source: str
    rtl: bool = False
    #: Codes services use for it when they differ from ``code`` (engine name -> code).
    engine_codes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.script not in SCRIPTS:
            raise ValueError(f"Language {self.code!r}: unknown script {self.script!r}")
        if self.rules.breaks != SCRIPTS[self.script]:
            raise ValueError(f"Language {self.code!r}: rules break by {self.rules.breaks!r}, "
                             f"the {self.script} script by {SCRIPTS[self.script]!r}")

    @property
    def tag(self) -> str:
        """ISO 639-2 tag for containers (``jpn``, ``spa``; ``chi`` for both Chinese scripts)."""
        return LANGUAGE_NAMES[self.code][0]

    @property
    def title(self) -> str:
        """The track title: the language's own name (``日本語``)."""
        return LANGUAGE_NAMES[self.code][1]


_TTSG = "Netflix {} Timed Text Style Guide"
_SPEED = "reading speed {} cps: Netflix adult limit (Subtitle Edit NetflixQualityController)"


def _limit(guide: str, section: str, columns: float) -> str:
    """Where a character limit was read: ``Netflix, Russian Timed Text Style Guide, 2. Character Limitation: 39``."""
    return f"Netflix, {guide} Timed Text Style Guide, {section}: {columns:g} characters per line"


def _latin(code: str, name: str, guide: str, section: str | None, *, columns: int = 42, script: str = "latin",
           rtl: bool = False, cps: float = 17.0, **codes: str) -> Language:
    """A language written with spaces between words: ``columns`` characters a line, as ``section`` of
    ``guide`` says; ``section=None`` when the guide was not found, and the source says so."""
    rules = dataclasses.replace(ENGLISH_RULES, name=f"netflix-{code}", max_line_columns=columns, max_cps=cps)
    limit = (_limit(guide, section, columns) if section is not None else
             f"Netflix {guide} Timed Text Style Guide not found in the stored copies searched; {columns} characters "
             f"per line assumed (every Latin-script Netflix guide that was found gives {columns})")
    return Language(code, name, script, rules, f"{limit}; {_SPEED.format(f'{cps:g}')}", rtl=rtl, engine_codes=codes)


def _cjk(code: str, name: str, script: str, columns: float, cps: float, limit: str, **codes: str) -> Language:
    """A CJK language: full-width characters count 1, half-width ones 0.5 (Netflix's counting)."""
    rules = SegmentRules(name=f"netflix-{code}", max_line_columns=columns, max_cps=cps, narrow_width=0.5,
                         breaks="cjk")
    return Language(code, name, script, rules,
                    f"{limit} (full-width; half-width characters count 0.5); {_SPEED.format(f'{cps:g}')}",
                    engine_codes=codes)


_ZH_HANS = f"{_TTSG.format('Simplified Chinese (PRC)')}: 16 characters per line"

_ALL: tuple[Language, ...] = (
    # English (USA) TTSG: 42 characters per line; 20 cps adult.
    Language("en", "English", "latin", ENGLISH_RULES,
             f"{_TTSG.format('English (USA)')}: 42 characters per line; {_SPEED.format(20)}"),
    # Korean TTSG: 16 characters per line (Latin, digits, spaces 0.5); 12 cps adult.
    Language("ko", "Korean", "hangul", KOREAN_RULES,
             f"{_TTSG.format('Korean')}: 16 characters per line, Latin letters, digits, spaces and "
             f"punctuation 0.5; {_SPEED.format(12)}"),
    # Japanese TTSG: horizontal subtitles at most 13 full-width characters per line, half-width 0.5; 4 cps.
    _cjk("ja", "Japanese", "japanese", 13, 4.0, f"{_TTSG.format('Japanese')}: 13 characters per line horizontally"),
    # Simplified Chinese (PRC) TTSG: 16 characters per line; 9 cps.
    _cjk("zh-Hans", "Chinese (Simplified)", "han-simplified", 16, 9.0, _ZH_HANS,
         google="zh-CN", papago="zh-CN", mymemory="zh-CN"),
    # Read in the stored partnerhelp copy (article "Chinese-Traditional"): "1. Character Limitation:
    # 16 characters per line". The guide's title is "Traditional Chinese", without "(Taiwan)".
    _cjk("zh-Hant", "Chinese (Traditional)", "han-traditional", 16, 9.0,
         _limit("Traditional Chinese", "1. Character Limitation", 16),
         google="zh-TW", papago="zh-TW", mymemory="zh-TW"),
    _cjk("zh", "Chinese", "han-simplified", 16, 9.0, _ZH_HANS, google="zh-CN", papago="zh-CN", mymemory="zh-CN"),
    # Each limit below was read in the stored copy of the guide named, in the section named. No reading
    # speed appears in the stored excerpts of these guides: 17 cps is Subtitle Edit's Netflix adult limit
    # for every language without its own number.
    # Spanish: read in the backlothelp copy titled "Castilian & Latin American Spanish" (the current
    # partnerhelp page is "Spanish (Latin America & Spain)"; its stored excerpt stops before this section).
    _latin("es", "Spanish", "Castilian & Latin American Spanish", "3. Character Limitation"),
    _latin("pt", "Portuguese", "Brazilian Portuguese", "3. Character Limitation", deepl="PT-BR"),
    # Indonesian: the guide was not found in the stored copies (searched by title, wording and article
    # number); 42 is an assumption, because every Latin-script guide that was found gives 42.
    _latin("id", "Indonesian", "Indonesian", None),
    _latin("vi", "Vietnamese", "Vietnamese", "2. Character Limit"),
    _latin("fr", "French", "French", "4. Character Limitation"),
    _latin("de", "German", "German", "3. Character Limitation"),
    _latin("tl", "Filipino (Tagalog)", "Filipino", "2. Character Limitation", mymemory="tl-PH"),
    # Turkish: section 2 in the stored older copy; the current one is renumbered (1. Abbreviations ...)
    # and its stored excerpt stops before the limit.
    _latin("tr", "Turkish", "Turkish", "2. Character Limitation"),
    # Russian: 39, not 42 (the current partnerhelp copy and the older backlothelp copy agree).
    _latin("ru", "Russian", "Russian", "2. Character Limitation", columns=39, script="cyrillic"),
    # Arabic: right to left; 20 cps (Arabic's own adult limit in Subtitle Edit's Netflix check).
    _latin("ar", "Arabic", "Arabic", "3. Character Limitation", script="arabic", rtl=True, cps=20.0),
    _latin("he", "Hebrew", "Hebrew", "1. Character Limitation", script="hebrew", rtl=True, google="iw"),
    # Thai TTSG: 35 characters per line (tone marks and vowels above/below take no column); 17 cps.
    Language("th", "Thai", "thai",
             SegmentRules(name="netflix-th", max_line_columns=35, max_cps=17.0, breaks="thai"),
             f"{_TTSG.format('Thai')}: 35 characters per line; {_SPEED.format(17)}"),
)

#: Every language streamkit has rules for, by code.
LANGUAGES: Mapping[str, Language] = MappingProxyType({lang.code: lang for lang in _ALL})

_ALIASES = {"zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "fil": "tl",
            "iw": "he", "pt-br": "pt", "es-419": "es", "es-mx": "es"}


def language(code: str) -> Language:
    """The :class:`Language` for ``code`` (case-insensitive; ``zh-CN`` -> ``zh-Hans``); ConfigError if unknown."""
    wanted = code.strip()
    lowered = wanted.lower()
    for known in LANGUAGES:
        if known.lower() == lowered:
            return LANGUAGES[known]
    if lowered in _ALIASES:
        return LANGUAGES[_ALIASES[lowered]]
    raise ConfigError(f"unknown language {code!r}", key="to",
                      hint=f"known languages: {', '.join(sorted(LANGUAGES))}")


def parse_targets(value: str | Iterable[str] | None, *, source: str = "ko") -> tuple[str, ...]:
    """``"en,ja,zh-Hans"`` (or a list) -> ``("en", "ja", "zh-Hans")``: known, canonical, no repeats.

    ``None`` or empty gives :data:`DEFAULT_TARGETS`. The source language is refused as a target.
    """
    items = value.split(",") if isinstance(value, str) else list(value or [])
    codes: list[str] = []
    for item in items:
        if not str(item).strip():
            continue
        code = language(str(item)).code
        if code == source:
            raise ConfigError(f"--to {item}: that is the language of the recording", key="to",
                              hint="the Korean track is always written; list the languages to translate into")
        if code not in codes:
            codes.append(code)
    return tuple(codes) or DEFAULT_TARGETS


def engine_code(engine: str, code: str) -> str:
    """The code ``engine`` uses for ``code`` (``google``, ``zh-Hans`` -> ``zh-CN``); ``code`` when the same."""
    lang = LANGUAGES.get(code)
    return lang.engine_codes.get(engine, code) if lang is not None else code


def is_rtl(code: str) -> bool:
    """Whether ``code`` is written right to left (Arabic, Hebrew)."""
    lang = LANGUAGES.get(code)
    return lang is not None and lang.rtl
