"""Korean: the particles a name may take and the index that finds names as whole words in Hangul text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .entries import Entry
from .text import _final, _is_hangul, _syllables, _word_char

# --------------------------------------------------------------------------- Korean particles

_AFTER_C = frozenset("CLX")  # after a consonant-final syllable (or digits/Latin)
_AFTER_V = frozenset("VX")
_AFTER_VL = frozenset("VLX")  # 로: after a vowel or ㄹ
_AFTER_C_NOT_L = frozenset("CX")  # 으로
_ANY = frozenset("VCLX")

_PARTICLE_TABLE: dict[frozenset[str], tuple[str, ...]] = {
    _ANY: ("의", "에", "에게", "에게서", "에서", "한테", "한테서", "께", "께서", "도", "만", "까지", "부터", "처럼",
           "보다", "하고", "들", "씨", "님", "형", "오빠", "언니", "누나", "쌤", "선배", "선배님", "같이", "마저",
           "조차", "밖에", "요", "뿐", "보고", "더러", "입니다", "입니까", "에요", "만큼", "같은", "인데", "인가",
           "인가요", "으로부터", "로부터", "한테로", "에게로", "이랑도"),
    _AFTER_C: ("은", "이", "을", "과", "이랑", "아", "이야", "이에요", "이다", "이라고", "이라는", "이란", "이나",
               "이든", "이라도", "이며", "이고", "이잖아", "이니까", "이면", "이라서", "이여", "이었어", "이었다",
               "이었는데", "이었고", "이었지", "이지", "이죠", "이네", "이라면", "이었으면"),
    _AFTER_V: ("는", "가", "를", "와", "랑", "야", "예요", "다", "라고", "라는", "란", "나", "든", "라도", "며",
               "고", "잖아", "니까", "면", "라서", "여", "였어", "였다", "였는데", "였고", "였지", "지", "죠", "네",
               "라면", "였으면"),
    _AFTER_VL: ("로", "로서", "로는"),
    _AFTER_C_NOT_L: ("으로", "으로서", "으로는"),
}
#: (particle, the finals it may follow), longest first.
PARTICLES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    sorted(((p, cond) for cond, ps in _PARTICLE_TABLE.items() for p in ps), key=lambda pc: -len(pc[0]))
)
_MAX_PARTICLES = 3
#: The particles a name that is also an ordinary word may take: the ones that make it a noun.
#: (있지만, 있지요, 있지도, 있지는 are verb forms; 있지가, 있지랑, 있지한테 are the group.)
NOMINAL_PARTICLES = frozenset({
    "이", "가", "을", "를", "의", "에게", "한테", "께", "께서", "와", "과", "랑", "이랑", "처럼", "보다", "들", "님",
    "씨", "아", "야", "이야", "이에요", "예요", "입니다", "하고", "한테서", "에게서", "선배", "선배님", "언니", "오빠",
    "누나", "형",
})


def _tail_ok(text: str, i: int, state: str, depth: int = 0, *, nominal: bool = False) -> bool:
    """True when ``text[i:]`` is a word end, or particles (proper to the sound before) then a word end."""
    if i >= len(text) or not _word_char(text[i]):
        return True
    if depth >= _MAX_PARTICLES:
        return False
    for particle, after in PARTICLES:
        if state in after and text.startswith(particle, i) and (not nominal or particle in NOMINAL_PARTICLES) \
                and _tail_ok(text, i + len(particle), _final(particle[-1]), depth + 1, nominal=nominal):
            return True
    return False


# --------------------------------------------------------------------------- Korean index

_SPACES = frozenset(" \t\u00a0")


@dataclass
class _KoForm:
    """One Korean form: spaces in it are optional, and with 3+ syllables one space may come between any two."""

    squashed: str
    text: str  # lower case, single spaces
    common: bool
    hits: list[tuple[Entry, str]] = field(default_factory=list)  # (entry, "canonical"|"variant"|"nickname")

    def match(self, text: str, pos: int) -> int:
        """The end of this form at ``text[pos:]``, or -1."""
        gaps = _syllables(self.text) >= 3
        i, n = pos, len(text)
        prev = ""
        for ch in self.text:
            if ch == " ":
                while i < n and text[i] in _SPACES:
                    i += 1
                prev = ""
                continue
            if gaps and prev and i + 1 < n and text[i] in _SPACES and text[i + 1].lower() == ch \
                    and _is_hangul(prev) and _is_hangul(ch):
                i += 1
            if i >= n or text[i].lower() != ch:
                return -1
            i += 1
            prev = ch
        return i


@dataclass(frozen=True)
class _KoHit:
    start: int
    end: int
    form: _KoForm
    #: No particle, and the sentence ends right after: an ordinary word (뭐 있지?) more likely than a name.
    clause_end: bool = False


_CLAUSE_END = re.compile(r"[ \t]*(?:$|[?.!…~,\n])")
