"""Word times moved onto the voice (``streamkit.quality.retime``), through ``clean_transcript``: an
over-long word shrinks onto the stretch of it that holds the voice, whichever side of it that is."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.models import Transcript, Utterance, Word
from streamkit.quality import clean_transcript

Profile = Callable[[int, int], float]


def _profiles(voice: list[tuple[int, int]], bed: list[tuple[int, int]], *, voice_db: float = -19.0,
              bed_db: float = -31.0, bed_vad: float = 0.6) -> tuple[Profile, Profile]:
    """Energy and VAD: voice (VAD 0.9) on ``voice``, a music bed with a "singer" the VAD half hears on
    ``bed``, near-silence elsewhere. A frame takes the loudest thing it touches."""

    def touches(spans: list[tuple[int, int]], a: int, b: int) -> bool:
        return any(s < b and e > a for s, e in spans)

    def energy(a: int, b: int) -> float:
        return voice_db if touches(voice, a, b) else bed_db if touches(bed, a, b) else -75.0

    def speech(a: int, b: int) -> float:
        return 0.9 if touches(voice, a, b) else bed_vad if touches(bed, a, b) else 0.02

    return energy, speech


def _line(*words: tuple[int, int, str, float]) -> Utterance:
    ws = tuple(Word(a, b, t, p) for a, b, t, p in words)
    return Utterance(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), ws, -0.3, 0.1, 1.5)


def _overlap(word: Word, span: tuple[int, int]) -> int:
    return max(0, min(word.end_ms, span[1]) - max(word.start_ms, span[0]))


def test_a_turns_last_syllable_drawn_over_the_bed_after_it_stays_on_its_voice() -> None:
    """conv-103 at 183.5 s: a turn over a music bed ends at 183.84 s, the bed goes on to 185.19 s. Whisper
    put the turn's last syllable as "네," (p 0.07) from 183.46 to 184.86 s, at the head of the next
    turn's segment; kept by its end, the word moved onto the bed, a cue over music."""
    turn, bed, nxt = (180_970, 183_840), (183_840, 185_190), (186_640, 188_160)
    energy, speech = _profiles([turn, nxt], [bed])
    line = _line((183_460, 184_860, "네,", 0.07), (185_630, 187_030, "자신을", 0.91),
                 (187_030, 187_550, "정당화하지는", 0.74), (187_550, 187_830, "않을까봐요.", 0.6))
    cleaned, _ = clean_transcript(Transcript("ko", (line,), 200_000), energy=energy, speech=speech)
    first = cleaned.utterances[0].words[0]
    assert first.text == "네," and first.start_ms == 183_460 and first.end_ms - first.start_ms == 550
    assert _overlap(first, bed) <= 200  # under 200 ms of it on the bed, the rest on the voice


@settings(max_examples=60, deadline=None)
@given(voice_first=st.booleans(), voice_ms=st.integers(700, 1500), other_ms=st.integers(600, 1200),
       silent=st.booleans(), first_word=st.booleans())
def test_an_over_long_word_shrinks_onto_its_voice(voice_first: bool, voice_ms: int, other_ms: int, silent: bool,
                                                 first_word: bool) -> None:
    """A two-syllable word (plausible length 800 ms) drawn over its voice and a bed or a silence on
    either side of it keeps its voice, whether it starts its utterance or follows a word."""
    start = 10_000
    voice = (start, start + voice_ms) if voice_first else (start + other_ms, start + other_ms + voice_ms)
    other = (start + voice_ms, start + voice_ms + other_ms) if voice_first else (start, start + other_ms)
    end = start + voice_ms + other_ms
    later = (end + 1000, end + 1600)
    energy, speech = _profiles([voice, later] + ([] if first_word else [(8_000, 9_000)]), [] if silent else [other])
    words = [(start, end, "선택", 0.8), (later[0], later[1], "했어요", 0.9)]
    if not first_word:
        words.insert(0, (8_000, 9_000, "그래서", 0.9))
    cleaned, dropped = clean_transcript(Transcript("ko", (_line(*words),), 60_000), energy=energy, speech=speech)
    assert dropped == ()
    (word,) = [w for w in cleaned.utterances[0].words if w.text == "선택"]
    assert _overlap(word, voice) >= min(voice_ms, 800) - 50


def test_a_last_syllable_drawn_over_a_pause_keeps_its_voice_not_the_applause_after_it() -> None:
    """conv-106 1 dB louder at 178.6 s: the turn "자신을 정당화하지는 않을까" ends at 178.66 s, silence, then applause
    from 179.05 s (as loud as the voice, the VAD does not hear it as speech). Whisper drew the last syllable ("짠"
    for "까") from 178.59 to 179.59 s; cut at the pause to the side with more sound, it moved onto the applause and
    became a cue of its own there."""
    voice, applause = (176_690, 178_660), (179_050, 180_180)
    energy, speech = _profiles([voice], [applause], bed_db=-17.0, bed_vad=0.05)
    line = _line((176_830, 177_550, "자신을", 0.98), (177_550, 178_370, "정당화하지는", 0.76),
                 (178_370, 178_590, "않을", 0.5), (178_590, 179_590, "짠", 0.42))
    cleaned, _ = clean_transcript(Transcript("ko", (line,), 200_000), energy=energy, speech=speech)
    last = cleaned.utterances[0].words[-1]
    assert last.text == "짠" and last.start_ms < voice[1]
    assert _overlap(last, applause) == 0
