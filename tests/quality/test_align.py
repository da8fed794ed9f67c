"""Utterances moved onto their voice (``streamkit.quality.align``). More cases in ``test_voice.py``."""

from __future__ import annotations

from streamkit.models import Transcript, Utterance, Word
from streamkit.quality import QualityOptions, align_to_voice


def _line(*words: tuple[int, int, str]) -> Utterance:
    ws = tuple(Word(a, b, t, 0.8) for a, b, t in words)
    return Utterance(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), ws)


def _music_then_voice(a: int, b: int) -> float:
    return -20.0 if a < 31_500 else -24.0 if a < 34_000 else -75.0  # music as loud as the voice after it


def test_a_lone_first_word_over_music_as_loud_as_the_voice_joins_the_next_word() -> None:
    """conv-101 at 28.2 s, sequential: "박근혜" 3 s before "대통령이", over music as loud as the voice; no
    stretch the energy and the VAD call voice lies under it. It was a cue of its own over the music."""
    line = _line((28_240, 29_000, "박근혜"), (31_160, 32_460, "대통령이"), (32_460, 33_020, "정말로"))
    heard = [(30_450, 33_950)]  # the voice stands out from the silence after it only
    moved = align_to_voice(Transcript("ko", (line,), 60_000), _music_then_voice, lambda a, b: 0.5, [],
                           QualityOptions(), heard).utterances[0]
    first, second = moved.words[:2]
    assert moved.start_ms == first.start_ms == 31_160 and first.end_ms == second.start_ms
    # by syllables: 3 of the 7 in the two words
    assert first.end_ms == 31_160 + 1_300 * 3 // 7 and second.end_ms == 32_460 and moved.words[2:] == line.words[2:]
    # Without the stretches standing out from one side, nothing moves (the rule needs to know the voice).
    assert align_to_voice(Transcript("ko", (line,), 60_000), _music_then_voice, lambda a, b: 0.5, [],
                          QualityOptions()).utterances[0] == line


def test_a_first_word_on_a_voice_of_its_own_stays() -> None:
    """A reply ("네"), a pause, the next line in the same segment: the reply has its own voice under it."""
    line = _line((5_000, 5_400, "네"), (8_000, 8_600, "그래"))
    heard = [(4_950, 5_450), (7_950, 8_700)]
    kept = align_to_voice(Transcript("ko", (line,), 20_000), lambda a, b: -22.0, lambda a, b: 0.9, [],
                          QualityOptions(), heard)
    assert kept.utterances[0] == line
    # A short pause is no lead word's pause.
    close = _line((7_000, 7_500, "그"), (8_000, 8_600, "그래"))
    assert align_to_voice(Transcript("ko", (close,), 20_000), lambda a, b: -22.0, lambda a, b: 0.9, [],
                          QualityOptions(), [(7_950, 8_700)]).utterances[0] == close


def _silence_then_voice(a: int, b: int) -> float:
    return -93.0 if a < 21_800 else -31.0  # near-silence, then a quiet line running straight on into music


def test_a_lone_first_word_on_silence_joins_a_next_word_that_no_stretch_holds() -> None:
    """conv-102 1 dB louder at 21.8 s: "현재" squeezed into 50 ms of near-silence 1.1 s before "백화점과"; the line
    runs straight on into a music bed the VAD hears, so no voiced stretch holds it (longer than any turn). The
    word was a cue of its own over the silence, the line's cue 0.3 s late without it."""
    line = _line((20_930, 20_980, "현재"), (22_100, 22_820, "백화점과"), (22_820, 23_220, "영화관"))
    heard = [(18_400, 20_150)]  # the babble before it
    moved = align_to_voice(Transcript("ko", (line,), 60_000), _silence_then_voice, lambda a, b: 0.7, [],
                           QualityOptions(), heard).utterances[0]
    first, second = moved.words[:2]
    assert moved.start_ms == first.start_ms == 22_100 and first.end_ms == second.start_ms == 22_100 + 720 * 2 // 6
    # Not when the next word is no voice the VAD hears, nor when the lone word is as loud as it (a reply).
    assert align_to_voice(Transcript("ko", (line,), 60_000), _silence_then_voice, lambda a, b: 0.1, [],
                          QualityOptions(), heard).utterances[0] == line
    assert align_to_voice(Transcript("ko", (line,), 60_000), lambda a, b: -31.0, lambda a, b: 0.7, [],
                          QualityOptions(), heard).utterances[0] == line
