"""Hypothesis strategies for words, shared by the layout and the timing properties."""

from __future__ import annotations

import string

from hypothesis import strategies as st

HANGUL = st.integers(0xAC00, 0xD7A3).map(chr)
PUNCT = st.sampled_from(["", "", "", "", ".", ",", "?", "!", "…"])
KOREAN_WORD = st.builds(lambda syl, p: "".join(syl) + p, st.lists(HANGUL, min_size=1, max_size=6), PUNCT)
ENGLISH_WORD = st.one_of(
    st.builds(lambda w, p: w + p, st.text(string.ascii_letters + "'", min_size=1, max_size=12), PUNCT),
    st.sampled_from(["the", "a", "and", "I", "is", "not", "to", "of", "we", "will", "-", "42", "K-pop"]),
)
