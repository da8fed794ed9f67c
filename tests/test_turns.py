"""Turn-aware decoding: the speech regions of a window and how close ones are joined."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from streamkit.media import extract_audio, probe, read_pcm
from streamkit.turns import join_regions, speech_regions

from .conftest import SAMPLES


def _laid_out(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(gap, length) pairs laid out one after another: sorted regions that do not touch."""
    out, t = [], 0
    for gap, length in pairs:
        out.append((t + gap, t + gap + length))
        t += gap + length
    return out


regions = st.lists(st.tuples(st.integers(1, 5000), st.integers(1, 3000)), max_size=12).map(_laid_out)


@given(regions, st.integers(0, 3000), st.integers(1000, 30_000))
def test_joined_regions_cover_the_same_voice_in_order(found: list[tuple[int, int]], gap: int, most: int) -> None:
    joined = join_regions(found, gap, most)
    assert len(joined) <= len(found)
    assert all(b0 < a1 for (_, b0), (a1, _) in itertools.pairwise(joined))
    for a, b in found:
        assert any(x <= a and b <= y for x, y in joined)
    # a joined region is one of the found ones, or at most ``most`` long
    assert all((x, y) in found or y - x <= most for x, y in joined)
    assert join_regions(found, 0, most) == found


def test_speech_regions_find_the_turns_of_the_conversation(tmp_path: Path) -> None:
    """Real Silero VAD on the conversational sample: short replies are regions of their own."""
    audio = extract_audio(probe(SAMPLES / "conversation.mp4"), tmp_path / "a.wav")
    found = speech_regions(read_pcm(audio, 0, audio.duration_ms), threshold=0.3, min_silence_ms=500, pad_ms=200)
    assert len(found) >= 8
    assert all(0 <= a < b <= audio.duration_ms for a, b in found)
    # the reply at 26.3 s (between a silence and music) is not glued to the speech at 8.1 s
    assert any(a > 20_000 and b < 30_000 for a, b in found)
    assert speech_regions(read_pcm(audio, 0, 0), threshold=0.3, min_silence_ms=500, pad_ms=200) == []
