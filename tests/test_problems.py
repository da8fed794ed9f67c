"""streamkit.problems: what checks and fixes share (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streamkit.problems import readable


@given(st.text(alphabet=st.sampled_from(["가", "a", " ", "\ufffd", "\n", "."]), max_size=30))
def test_readable_text_has_no_broken_character_and_one_space_between_words(text: str) -> None:
    out = readable(text)
    assert "\ufffd" not in out and "  " not in out and out == out.strip()
    assert readable(out) == out
    assert out.replace(" ", "") == "".join(text.replace("\ufffd", "").split())
