"""Where a line or a cue may break, as data: sentence and clause marks, Korean endings, English
function words, and what a break after each costs (lower is better).
"""

from __future__ import annotations

#: Characters that end a sentence, and characters that end a clause.
SENTENCE_END = frozenset(".?!…。？！")
CLAUSE_END = frozenset(",;:、，；：–—")
#: Closing quotes and brackets looked through when checking a word's final punctuation.
CLOSERS = "\"'”’)]}»」』>"
#: Korean connective and final endings after which a break reads naturally.
KOREAN_CLAUSE_ENDINGS: tuple[str, ...] = ("는데", "지만", "니까", "고", "며", "면", "서", "데", "요", "다")
#: Particles that look like clause endings (서울에서 is a place, not a clause).
KOREAN_PARTICLE_LOOKALIKES: tuple[str, ...] = ("에서", "에게서", "한테서")
#: Korean determiners (관형사) kept with the noun that follows.
KOREAN_DETERMINERS = frozenset(
    {"새", "이", "그", "저", "한", "두", "세", "몇", "모든", "어떤", "무슨", "다른", "첫", "각"}
)
#: Korean bound nouns (의존 명사) kept with the word before them (할 수, 볼 건데요).
KOREAN_BOUND_NOUNS = frozenset(
    {"수", "수가", "수도", "수는", "것", "것이", "것을", "것은", "것도", "거", "거야", "거예요", "거죠",
     "건", "건데", "건데요", "걸", "걸요", "게", "줄", "적", "적이", "뿐", "때문에", "만큼", "듯", "척"}
)  # fmt: skip
#: English words a line (or cue) may start with: conjunctions and prepositions.
ENGLISH_BREAK_BEFORE = frozenset(
    {
        "and", "but", "or", "nor", "so", "yet", "because", "that", "which", "who", "whom", "whose",
        "when", "while", "where", "whether", "if", "although", "though", "unless", "until", "since",
        "than", "as", "to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "into",
        "onto", "after", "before", "over", "under", "through", "without", "between", "during",
        "against", "like",
    }
)  # fmt: skip
#: English words never left at the end of a line: articles and determiners.
ENGLISH_DETERMINERS = frozenset(
    {"a", "an", "the", "this", "these", "those", "my", "your", "our", "their", "his", "her", "its",
     "some", "any", "no", "every", "each"}
)  # fmt: skip
#: Subject pronouns, kept with the verb that follows.
ENGLISH_SUBJECT_PRONOUNS = frozenset({"i", "you", "he", "she", "we", "they", "it"})
#: Auxiliaries and modals, kept with the verb or negation that follows.
ENGLISH_AUXILIARIES = frozenset(
    {"is", "are", "was", "were", "am", "be", "been", "will", "would", "can", "could", "do", "does",
     "did", "have", "has", "had", "should", "must", "shall", "may", "might"}
)  # fmt: skip
#: Negations, never moved away from their auxiliary.
ENGLISH_NEGATIONS = frozenset({"not", "n't"})

#: Costs of breaking (a line or a cue) after a word; lower is better.
SENTENCE_BREAK_COST = -3.0
CLAUSE_BREAK_COST = -2.0
KOREAN_ENDING_BREAK_COST = -1.5
BEFORE_CONJUNCTION_COST = -1.5
AFTER_FUNCTION_WORD_COST = 2.0
AVOIDED_BREAK_COST = 4.0
FORBIDDEN_BREAK_COST = 10.0
#: Weight of the squared difference between line widths (in line widths).
LINE_BALANCE_WEIGHT = 6.0

_STRIP = "\"'“”‘’()[]{}«»「」『』<>.,;:!?…。？！、，；：–—-~*"


def _final_mark(word: str) -> str:
    stripped = word.rstrip(CLOSERS)
    return stripped[-1] if stripped else ""


def _break_cost(prev: str, nxt: str, language: str) -> float:
    """Cost of a line or cue break between ``prev`` and ``nxt`` (words of ``language``)."""
    mark = _final_mark(prev)
    if mark in SENTENCE_END:
        return SENTENCE_BREAK_COST
    if mark in CLAUSE_END:
        return CLAUSE_BREAK_COST
    if language == "ko":
        if prev in KOREAN_DETERMINERS or nxt.rstrip(_STRIP) in KOREAN_BOUND_NOUNS:
            return AVOIDED_BREAK_COST
        word = prev.rstrip(_STRIP)
        if word.endswith(KOREAN_CLAUSE_ENDINGS) and not word.endswith(KOREAN_PARTICLE_LOOKALIKES):
            return KOREAN_ENDING_BREAK_COST
        return 0.0
    if language != "en":
        return 0.0
    p = prev.strip(_STRIP).lower()
    n = nxt.strip(_STRIP).lower()
    if p in ENGLISH_DETERMINERS or n in ENGLISH_NEGATIONS or n.startswith("n't"):
        return FORBIDDEN_BREAK_COST
    if n in ENGLISH_BREAK_BEFORE:
        return BEFORE_CONJUNCTION_COST
    if p in ENGLISH_SUBJECT_PRONOUNS or p in ENGLISH_AUXILIARIES:
        return FORBIDDEN_BREAK_COST
    if p in ENGLISH_BREAK_BEFORE:
        return AFTER_FUNCTION_WORD_COST
    if prev[:1].isupper() and nxt[:1].isupper() and p != "i":
        return AVOIDED_BREAK_COST  # likely a first name and a last name
    return 0.0
