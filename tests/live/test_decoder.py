"""streamkit.live.decoder: faster-whisper's segments as words in stream time (pure: segments given as data)."""

from __future__ import annotations

from types import SimpleNamespace

from streamkit.live.decoder import timed_words


def _word(text: str, start: float, end: float) -> SimpleNamespace:
    return SimpleNamespace(word=text, start=start, end=end, probability=0.9)


def test_words_are_placed_in_stream_time_with_their_segment_scores() -> None:
    seg = SimpleNamespace(words=[_word(" 안녕하세요", 0.5, 1.0), _word(" 여러분", 1.0, 1.5)], avg_logprob=-0.3,
                          no_speech_prob=0.05, compression_ratio=1.1)
    words = timed_words([seg], 10_000)
    assert [(w.text, w.start_ms, w.end_ms) for w in words] == [("안녕하세요", 10_500, 11_000),
                                                              ("여러분", 11_000, 11_500)]
    assert words[0].avg_logprob == -0.3 and words[0].probability == 0.9


def test_a_word_cut_inside_a_syllable_is_never_a_caption() -> None:
    """The live decoder bounds its tokens, so a loop stops at the bound, often inside a Hangul syllable's bytes:
    faster-whisper decodes that as U+FFFD. Such a word is dropped, and the broken character goes from any word."""
    seg = SimpleNamespace(words=[_word(" 핫스", 0.0, 0.3), _word("\ufffd", 0.3, 0.4), _word(" 뱉\ufffd는", 0.4, 0.6)],
                          avg_logprob=-0.3, no_speech_prob=0.05, compression_ratio=2.6)
    assert [w.text for w in timed_words([seg], 0)] == ["핫스", "뱉는"]
