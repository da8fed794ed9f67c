"""Burn-in fonts per script, from PyPI font packages (no system fonts needed, nothing downloaded at run time).

| script | font | package |
|---|---|---|
| Hangul, and English (as before) | Noto Sans KR | ``justmytype-intl-cjk`` |
| Japanese | Noto Sans JP | ``justmytype-intl-cjk`` |
| Chinese, simplified / traditional | Noto Sans SC / TC | ``justmytype-intl-cjk`` |
| Thai | Noto Sans Thai | ``justmytype-intl-sea`` |
| Arabic, Hebrew | Noto Sans Arabic / Hebrew (libass shapes with HarfBuzz) | ``justmytype-intl-rtl`` |
| other Latin, Cyrillic, Vietnamese | Noto Sans | ``justmytype-western-core`` |

:func:`font_for` picks the font of a subtitle language; :func:`font_path` finds its file in the
installed package, or raises a :class:`~streamkit.errors.ConfigError` naming the package to install.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

__all__ = ["FONTS", "ScriptFont", "font_for", "font_path"]


@dataclass(frozen=True, slots=True)
class ScriptFont:
    """One variable font file in a font package."""

    family: str  # the family name of its static instance (what the burn-in style asks libass for)
    package: str  # the importable package
    distribution: str  # what to pip install
    folder: str  # under ``fonts/ofl/``
    file: str


_CJK = "justmytype_intl_cjk", "justmytype-intl-cjk"
#: Font per script (scripts as in :data:`streamkit.languages.SCRIPTS`).
FONTS: dict[str, ScriptFont] = {
    "hangul": ScriptFont("Noto Sans KR", *_CJK, "notosanskr", "NotoSansKR[wght].ttf"),
    "japanese": ScriptFont("Noto Sans JP", *_CJK, "notosansjp", "NotoSansJP[wght].ttf"),
    "han-simplified": ScriptFont("Noto Sans SC", *_CJK, "notosanssc", "NotoSansSC[wght].ttf"),
    "han-traditional": ScriptFont("Noto Sans TC", *_CJK, "notosanstc", "NotoSansTC[wght].ttf"),
    "thai": ScriptFont("Noto Sans Thai", "justmytype_intl_sea", "justmytype-intl-sea", "notosansthai",
                       "NotoSansThai[wdth,wght].ttf"),
    "arabic": ScriptFont("Noto Sans Arabic", "justmytype_intl_rtl", "justmytype-intl-rtl", "notosansarabic",
                         "NotoSansArabic[wdth,wght].ttf"),
    "hebrew": ScriptFont("Noto Sans Hebrew", "justmytype_intl_rtl", "justmytype-intl-rtl", "notosanshebrew",
                         "NotoSansHebrew[wdth,wght].ttf"),
    "latin": ScriptFont("Noto Sans", "justmytype_western_core", "justmytype-western-core", "notosans",
                        "NotoSans[wdth,wght].ttf"),
}
FONTS["cyrillic"] = FONTS["latin"]


def font_for(language: str) -> ScriptFont:
    """The burn-in font for ``language``: its script's, Noto Sans KR for Korean and English (as ever)."""
    from .languages import LANGUAGES

    if language in ("ko", "en"):
        return FONTS["hangul"]
    lang = LANGUAGES.get(language) or LANGUAGES.get(language.split("-")[0])
    return FONTS[lang.script] if lang is not None else FONTS["hangul"]


def font_path(font: ScriptFont) -> Path:
    """The font file inside its installed package; ConfigError naming the package when missing."""
    hint = f"reinstall streamkit, or: pip install {font.distribution}"
    if importlib.util.find_spec(font.package) is None:
        raise ConfigError(f"the {font.family} font package ({font.distribution}) is not installed", key="fonts",
                          hint=hint)
    root = Path(str(importlib.resources.files(font.package)))
    path = root / "fonts" / "ofl" / font.folder / font.file
    if path.is_file():
        return path
    found = sorted(root.rglob(font.file)) if root.is_dir() else []
    if found:
        return found[0]
    raise ConfigError(f"{font.file} is missing from {root}", key="fonts", hint=hint)
