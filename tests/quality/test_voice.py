"""The filter judges where the words really are (``streamkit.quality.voice``): words fitted to the
voice within 1.5 s, nothing over voice dropped on confidence alone, voiced stretches without words."""

from __future__ import annotations

import math
from collections.abc import Callable

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from streamkit.models import Transcript, Utterance, Word
from streamkit.quality import (
    QualityOptions,
    align_to_voice,
    clean_transcript,
    find_loops,
    fit_voice,
    match_outro,
    phone_voice,
    uncovered,
    unheard,
    voice_after_music,
    voice_heads,
    voiced_stretches,
)

#: Ordinary conversational words: no outro, no prompt, Hangul (the transcript's script).
_WORDS = ("그래", "알겠어", "진짜", "글쎄", "빨리", "가야", "돼", "언니가", "왜", "잘하냐고", "집에", "있겠네", "음",
          "네")


Profile = Callable[[int, int], float]


def _voice(spans: list[tuple[int, int]], loud: float = -22.0) -> tuple[Profile, Profile]:
    """Energy and VAD callables: voice (``loud`` dBFS, VAD 0.9) on ``spans``, near-silence elsewhere."""

    def on(a: int, b: int) -> bool:
        return any(s < b and e > a for s, e in spans)

    return (lambda a, b: loud if on(a, b) else -75.0), (lambda a, b: 0.9 if on(a, b) else 0.02)


def _utterance(words: list[tuple[int, int, str, float]], **signals: float) -> Utterance:
    ws = tuple(Word(a, b, t, p) for a, b, t, p in words)
    return Utterance(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), ws,
                     avg_logprob=signals.get("avg_logprob", -0.3), no_speech_prob=signals.get("no_speech_prob", 0.1),
                     compression_ratio=signals.get("compression_ratio", 1.5))


@st.composite
def _replies(draw: st.DrawFn) -> tuple[Transcript, int]:
    """One short reply with any confidence and decoder scores, and how far its voice sits from it."""
    t = draw(st.integers(2000, 20_000))
    words = []
    for _ in range(draw(st.integers(1, 4))):
        duration = draw(st.integers(80, 700))
        words.append((t, t + duration, draw(st.sampled_from(_WORDS)), draw(st.floats(0.0, 1.0))))
        t += duration + draw(st.integers(0, 300))
    u = _utterance(words, avg_logprob=draw(st.floats(-3.0, 0.0)), no_speech_prob=draw(st.floats(0.0, 1.0)),
                   compression_ratio=draw(st.floats(0.5, 3.0)))
    return Transcript("ko", (u,), t + 30_000), draw(st.integers(-1500, 1500))


@settings(max_examples=200, deadline=None)
@given(_replies())
# Found by hypothesis: no sound under any word, the voice 0.75 s after them. Trimmed to 1 ms slivers, the
# words were then dropped as "words that take no time".
@example((Transcript("ko", (_utterance([(2000, 2551, "그래", 0.0), (2551, 2652, "그래", 0.0),
                                        (2652, 2753, "그래", 0.0)], avg_logprob=0.0, no_speech_prob=0.0,
                                       compression_ratio=1.0),), 32_753), 752))
def test_a_reply_with_voice_within_1_5_s_is_kept_unless_a_known_pattern(case: tuple[Transcript, int]) -> None:
    t, offset = case
    u = t.utterances[0]
    assume(match_outro(u.text) is None and not find_loops([w.text for w in u.words]))
    # The voice: as long as the words, at least ``voice_min_ms`` (a stretch where someone speaks).
    end = max(u.end_ms, u.start_ms + QualityOptions().voice_min_ms)
    energy, speech = _voice([(u.start_ms + offset, end + offset)])
    cleaned, dropped = clean_transcript(t, energy=energy, speech=speech)
    assert dropped == () and [w.text for c in cleaned.utterances for w in c.words] == [w.text for w in u.words]


_CONV_102_AT_77_S = Transcript("ko", (_utterance([(76_896, 77_416, "또한", 0.59), (77_416, 77_976, "바...", 0.15)],
                                                 avg_logprob=-1.01),), 107_976)


@settings(max_examples=200, deadline=None)
@given(_replies(), st.floats(0.0, 0.9), st.floats(0.0, 0.9))
@example((_CONV_102_AT_77_S, 0), 0.585, 0.404)  # its voice: 77.2-77.75 s
def test_a_reply_drawn_over_the_silence_around_its_voice_is_kept(case: tuple[Transcript, int], lead: float,
                                                                   tail: float) -> None:
    """Whisper draws a short reply's first and last words over the silence before and after it (conv-102
    at 77.2 s: "또한 바..." over 1.08 s, its voice 0.55 s): the voice starts inside the first word and
    ends inside the last, and the reply stays."""
    t, _ = case
    u = t.utterances[0]
    assume(match_outro(u.text) is None and not find_loops([w.text for w in u.words]))
    first, last = u.words[0], u.words[-1]
    start = first.start_ms + int(lead * (first.end_ms - first.start_ms))
    end = last.end_ms - int(tail * (last.end_ms - last.start_ms))
    assume(end - start >= QualityOptions().voice_min_ms)
    energy, speech = _voice([(start, end)])
    cleaned, dropped = clean_transcript(t, energy=energy, speech=speech)
    assert dropped == () and [w.text for c in cleaned.utterances for w in c.words] == [w.text for w in u.words]


def test_over_voice_a_known_pattern_still_goes() -> None:
    u = _utterance([(5000, 5600, "시청해주셔서", 0.2), (5600, 6400, "감사합니다", 0.2)], avg_logprob=-1.2)
    energy, speech = _voice([(4000, 7000)])
    cleaned, dropped = clean_transcript(Transcript("ko", (u,), 60_000), energy=energy, speech=speech)
    assert cleaned.utterances == () and "outro" in dropped[0].signals


def test_music_is_not_a_voice_though_the_vad_hears_singing() -> None:
    # Sung vocals: loud, and "speech" for the VAD line by line, but as loud as everything around them.
    def level(a: int, b: int) -> float:
        return -20.0 if 3000 <= a < 40_000 else -75.0

    def sung(a: int, b: int) -> float:
        return 0.9 if 3000 <= a < 40_000 and (a - 3000) % 2500 < 2000 else 0.1

    music = (level, sung)
    assert voiced_stretches(*music, 60_000, -20.0, QualityOptions()) == []
    u = _utterance([(20_000, 20_400, "그래", 0.2), (20_400, 20_900, "진짜", 0.2)], avg_logprob=-1.2)
    assert clean_transcript(Transcript("ko", (u,), 60_000), energy=music[0], speech=music[1])[0].utterances == ()


def test_low_confidence_text_off_the_voice_still_goes() -> None:
    # Nothing within 1.5 s is voice: the old evidence holds (silence, no speech, low confidence).
    u = _utterance([(5000, 5400, "그래", 0.2)], avg_logprob=-1.2, no_speech_prob=0.7)
    energy, speech = _voice([(9000, 12_000)])
    assert clean_transcript(Transcript("ko", (u,), 60_000), energy=energy, speech=speech)[0].utterances == ()


def test_fit_voice_finds_the_voice_a_second_away() -> None:
    energy, speech = _voice([(6000, 6600)])
    voiced = [(6000, 6600)]
    fit = fit_voice([(5000, 5600)], energy, speech, voiced, QualityOptions())
    assert fit.shift_ms == 1000 and fit.share == 1.0 and fit.level_db == -22.0
    assert fit_voice([(2000, 2600)], energy, speech, voiced, QualityOptions()).share == 0.0


def test_fit_voice_does_not_take_another_lines_voice() -> None:
    """A piece over the music straight after a line, moved back onto the line's voice, counted as over voice."""
    energy, speech = _voice([(5000, 7800)])
    fit = fit_voice([(8200, 9000)], energy, speech, [(5000, 7800)], QualityOptions(), taken=[(5600, 7750)])
    assert fit.share < QualityOptions().voice_share
    # Where it lies it still counts the voice under it (two readings of one stretch: nothing is shifted).
    assert fit_voice([(6000, 6600)], energy, speech, [(5000, 7800)], QualityOptions(), taken=[(5600, 7750)]).share == 1
    assert fit_voice([(8200, 9000)], energy, speech, [(5000, 7800)], QualityOptions()).share == 1.0


def test_a_sentence_over_the_music_after_a_line_is_not_over_the_lines_voice() -> None:
    """conv-112 at 268.3 s: "너무 좋습니다." (word probability 0.01 and 0.13, Whisper's no-speech rule) over the
    music 0.5 s after the line "민간 자문단장으로 위쪽되면서". Fitted 1.5 s back onto the line's voice, it counted as
    over voice, where only a known pattern drops text: a cue of its own over the music. The line's voice is its own."""
    line = _utterance([(265_600, 266_210, "민간", 0.58), (266_210, 267_030, "자문단장으로", 0.82),
                       (267_030, 267_770, "위쪽되면서", 0.68)], avg_logprob=-0.4, no_speech_prob=0.1)
    after = _utterance([(268_250, 268_290, "너무", 0.01), (268_290, 269_010, "좋습니다.", 0.13)],
                       avg_logprob=-1.2, no_speech_prob=0.9)

    def energy(a: int, b: int) -> float:  # silence, the line, a breath of silence, music 12 dB under the line
        return -75.0 if a < 265_500 or 267_900 <= a < 268_150 else -22.0 if a < 267_900 else -34.0

    def speech(a: int, b: int) -> float:  # ... which the VAD hears a little
        return 0.02 if a < 265_500 or 267_900 <= a < 268_150 else 0.9 if a < 267_900 else 0.25

    def music(a: int, b: int) -> float:
        return max(0, b - max(a, 268_150)) / max(b - a, 1)

    said = Transcript("ko", (line, after), 300_000)
    cleaned, dropped = clean_transcript(said, energy=energy, speech=speech, music=music)
    assert [u.text for u in cleaned.utterances] == [line.text] and [d.text for d in dropped] == [after.text]


def test_the_voice_of_a_reading_that_goes_is_free_for_the_one_that_stays() -> None:
    """conv-115 at 14.5 s: a phone reply ("것입니다") read twice, "고맙습니다." on its voice (an outro) and
    "말씀입니다" 1.2 s late over the music after it. An outro's reading claims no voice: "말씀입니다" fits there."""
    def energy(a: int, b: int) -> float:
        return -75.0 if a < 14_500 else -18.0 if a < 15_000 else -32.0 if a < 16_900 else -75.0

    def speech(a: int, b: int) -> float:
        return 0.02 if a < 14_500 else 0.9 if a < 15_000 else 0.25 if a < 16_900 else 0.02

    def music(a: int, b: int) -> float:
        return max(0, min(b, 16_900) - max(a, 15_000)) / max(b - a, 1)

    outro = _utterance([(14_500, 14_900, "고맙습니다.", 0.9)])
    late = _utterance([(15_710, 16_300, "말씀입니다", 0.17)])
    cleaned, dropped = clean_transcript(Transcript("ko", (outro, late), 60_000), energy=energy, speech=speech,
                                        music=music)
    assert "말씀입니다" in [u.text for u in cleaned.utterances] and "말씀입니다" not in [d.text for d in dropped]


def test_fit_voice_leaves_words_on_a_voice_the_stretches_leave_out() -> None:
    """conv-102 at 44.8 s: a reply at -19 dBFS running into a music bed (so no voiced stretch), a stretch ending
    0.8 s before it. Moved onto that stretch's end the words read as the silence between, and went as silent."""
    def energy(a: int, b: int) -> float:
        return -22.0 if a < 3000 else -62.0 if a < 4700 else -19.0 if a < 5300 else -26.0

    def speech(a: int, b: int) -> float:
        return 0.9 if a < 3000 or 4700 <= a < 5300 else 0.1 if a < 4700 else 0.6

    fit = fit_voice([(4600, 5300)], energy, speech, [(1000, 3000)], QualityOptions())
    assert fit.shift_ms == 0 and fit.level_db == -19.0


def test_voiced_stretches_and_the_ones_without_words() -> None:
    energy, speech = _voice([(1000, 1300), (1500, 2500), (5000, 5200), (8000, 9000)])
    o = QualityOptions()
    stretches = voiced_stretches(energy, speech, 12_000, -22.0, o)
    assert stretches == [(1000, 2500), (8000, 9000)]  # the 300 ms gap bridged; 200 ms is too short
    t = Transcript("ko", (_utterance([(1200, 1800, "그래", 0.9)]),), 12_000)
    assert uncovered(stretches, t) == [(8000, 9000)]


def test_a_voice_running_on_into_a_crowd_has_its_head_and_music_under_a_voice_has_none() -> None:
    """conv-103 at 160.9 s: a line at -33 dBFS after silence, then 16.5 s of babble at -28 dBFS that the VAD
    hears as voice too: one run too long for a voiced stretch, and no stretch without words was found."""
    o = QualityOptions()
    spans = [(10_000, 12_000, -33.0), (12_000, 28_500, -28.0),  # the line, straight into the crowd
             (40_000, 45_000, -22.0),  # a plain turn: a stretch, no head
             (50_000, 52_000, -24.0), (52_000, 64_000, -23.0)]  # a run coming out of music as loud: no head

    def energy(a: int, b: int) -> float:
        return next((db for s, e, db in spans if s <= a < e), -93.0 if a < 48_000 else -23.0)

    def speech(a: int, b: int) -> float:
        return 0.9 if any(s <= a < e for s, e, _ in spans) else 0.02

    assert voiced_stretches(energy, speech, 70_000, -24.0, o, strict=False) == [(40_000, 45_000)]
    assert voice_heads(energy, speech, 70_000, -24.0, o) == [(10_000, 10_000 + o.voice_head_ms)]


def test_a_reply_said_as_the_music_stops_is_voice_after_music() -> None:
    """conv-102 at 30.07 s: "어떤 선택을" straight after 6.3 s of music as loud, which the VAD hears as voice: one run
    of voice frames, no voiced stretch, and the reply was lost. Its part after the music is a turn; music alone, a
    run that starts as voice, and a blip after the music are none."""
    o = QualityOptions()
    energy, speech = _voice([(18_000, 30_800), (40_000, 46_000), (50_000, 53_000), (60_000, 64_100), (70_000, 80_000)],
                            loud=-20.0)
    music = _music_until(30_050, 18_000)
    assert (18_000, 30_800) not in voiced_stretches(energy, speech, 70_000, -20.0, o, strict=False)  # 12.8 s: too long

    def songs(a: int, b: int) -> float:  # music over the first two runs, the fourth to its last 100 ms, the last
        return max(music(a, b), _music_until(46_000, 40_000)(a, b), _music_until(64_000, 60_000)(a, b),  # but 0.5 s
                   _music_until(75_000, 70_000)(a, b), _music_until(80_000, 75_500)(a, b))

    assert voice_after_music(energy, speech, songs, 90_000, -20.0, o) == [(30_050, 30_800)]


def test_align_to_voice_moves_an_utterance_onto_its_voice_but_not_over_a_neighbour() -> None:
    a = _utterance([(1000, 1500, "네", 0.9)])
    b = _utterance([(4000, 4500, "그래", 0.4)])  # its voice starts 1.2 s later
    energy, speech = _voice([(1000, 1500), (5200, 5700)])
    voiced = [(1000, 1500), (5200, 5700)]
    moved = align_to_voice(Transcript("ko", (a, b), 20_000), energy, speech, voiced, QualityOptions())
    assert moved.utterances[0] == a and moved.utterances[1].start_ms == 5200
    blocked = align_to_voice(Transcript("ko", (b, _utterance([(4700, 5000, "왜", 0.9)])), 20_000), energy, speech,
                             voiced, QualityOptions())
    assert blocked.utterances[0].end_ms <= 4700


def test_a_cue_starts_on_the_voice_onset() -> None:
    """The VAD hears a voice 100 ms after its sound rises (``voice_onset_lag_ms``), so a voiced stretch starts
    that late; a cue moved later comes up that much before the stretch, on the voice."""
    early = _utterance([(4200, 5600, "알겠어", 0.8)])  # Whisper starts the word on the pause before
    late = _utterance([(9600, 10_000, "그래", 0.8)])  # ... or a few hundred ms into the voice
    energy, _ = _voice([(5000, 5600), (9000, 10_000)])
    _, speech = _voice([(5100, 5600), (9100, 10_000)])
    voiced = voiced_stretches(energy, speech, 20_000, -22.0, QualityOptions())
    assert [a for a, _ in voiced] == [5100, 9100]
    moved = align_to_voice(Transcript("ko", (early, late), 20_000), energy, speech, voiced, QualityOptions())
    assert [u.start_ms for u in moved.utterances] == [5000, 9100]
    assert [u.words[0].start_ms for u in moved.utterances] == [5000, 9100]


def test_a_word_begun_with_its_voice_is_not_moved_onto_the_vads_late_onset() -> None:
    """conv-101 at 127.55 s: "자신을" began 12 ms before its voice (-35 dBFS); the VAD reached 0.3 only 0.1 s
    later. Moved there, its cue came up after the reply before it had chained 4 ms into the voice."""
    energy, _ = _voice([(127_550, 129_100)], loud=-38.0)
    _, speech = _voice([(127_650, 129_100)])
    line = _utterance([(127_550, 127_970, "자신을", 0.9), (127_970, 128_810, "정당화하지는", 0.9)])
    voiced = voiced_stretches(energy, speech, 140_000, -22.0, QualityOptions())
    assert [a for a, _ in voiced] == [127_650]
    kept = align_to_voice(Transcript("ko", (line,), 140_000), energy, speech, voiced, QualityOptions())
    assert kept.utterances[0].start_ms == 127_550


def test_a_phone_line_straight_before_music_is_over_voice() -> None:
    """conv-101 at 24.1 s: a line on a telephone line with music as loud straight after it stands out on one
    side only, so it is no voiced stretch; fitted 1.5 s back onto the turn before it, its words read the
    pause between (-59 dBFS: "silence under the words") and it was dropped. Its spectrum says voice."""

    def level(a: int, b: int) -> float:
        return -20.0 if 20_150 <= a < 22_900 or a >= 24_000 else -62.0

    def vad(a: int, b: int) -> float:
        return 0.9 if 20_150 <= a < 22_900 else 0.2

    def band(a: int, b: int) -> float:
        return 0.999 if 24_000 <= a < 26_450 else 0.6  # the line, then music

    first = _utterance([(20_200, 21_500, "다른", 0.9), (21_500, 22_800, "지역에서는", 0.9)])
    line = _utterance([(24_100, 25_000, "민간", 0.67), (25_000, 25_700, "자문단장으로", 0.74),
                       (25_700, 26_290, "이쪽돼면서", 0.5)], avg_logprob=-0.61)
    t = Transcript("ko", (first, line), 60_000)
    assert [u.text for u in clean_transcript(t, energy=level, speech=vad)[0].utterances] == [first.text]
    speech = phone_voice(vad, band, level, 0.98)
    kept, dropped = clean_transcript(t, energy=level, speech=speech, band=band)
    assert [u.text for u in kept.utterances] == [first.text, line.text] and dropped == ()


def test_likelier_words_between_invented_ones_go_with_them() -> None:
    """Sequential decoding over music (noisy.mp4 at 75-84 s): one-word segments at log-probability -1.9,
    most words under 0.3, and an island of two likelier ones ("브라마" 0.46, "하인드" 0.53) inside them."""
    music = ((lambda a, b: -20.0), (lambda a, b: 0.5))  # as loud as speech all along; the VAD hears the singer
    words = [("남구가", 0.09), ("안전하게", 0.09), ("시스테스", 0.1), ("브라마", 0.46), ("하인드", 0.53),
             ("우선하고", 0.09), ("고생하고", 0.05), ("연예인", 0.07)]
    said = tuple(_utterance([(75_000 + 500 * i, 75_400 + 500 * i, w, p)], avg_logprob=-1.9, no_speech_prob=0.3)
                 for i, (w, p) in enumerate(words))
    cleaned, dropped = clean_transcript(Transcript("ko", said, 120_000), energy=music[0], speech=music[1])
    assert cleaned.utterances == () and any("between invented text" in d.reason for d in dropped)
    # the island alone (no invented text around it) is judged on its own evidence, and kept
    island = tuple(u for u in said if u.text in ("브라마", "하인드"))
    assert [u.text for u in clean_transcript(Transcript("ko", island, 120_000), energy=music[0],
                                             speech=music[1])[0].utterances] == ["브라마", "하인드"]


def test_a_lone_first_word_early_over_a_quieter_bed_moves_up_to_its_voice() -> None:
    """conv-101 at 115.3 s: "그" of "그 바람에" put 2 s before "바람의", over the end of a music bed 13 dB
    under the voice; alone it was a cue over the music, and the line's cue came 3 s early."""
    bed, voice = (111_600, 115_950), (118_400, 119_800)

    def energy(a: int, b: int) -> float:
        return -20.0 if a < voice[1] and b > voice[0] else -35.0 if a < bed[1] and b > bed[0] else -75.0

    line = _utterance([(115_300, 116_380, "그", 0.57), (118_430, 118_910, "바람의", 0.73),
                       (118_910, 119_230, "나의", 0.95), (119_230, 119_750, "몸도", 0.73)])
    moved = align_to_voice(Transcript("ko", (line,), 140_000), energy, lambda a, b: 0.5, [bed, voice],
                           QualityOptions())
    first = moved.utterances[0].words[0]
    assert first.text == "그" and 118_300 <= first.start_ms <= first.end_ms <= 118_430
    assert moved.utterances[0].start_ms == first.start_ms and moved.utterances[0].words[1:] == line.words[1:]


def test_a_quiet_reply_on_a_voice_of_its_own_is_not_pulled_on_to_the_next_turn() -> None:
    """conversation.mp4 at 22.7 s: "또한", a phone-line reply 3 s before the next turn's louder "반군 아니라?",
    decoded in one segment with it; pulled up to that turn, the reply's own voice was left without a cue."""
    reply, turn = (22_750, 23_300), (26_250, 26_850)

    def energy(a: int, b: int) -> float:
        return -20.0 if a < turn[1] and b > turn[0] else -38.0 if a < reply[1] and b > reply[0] else -75.0

    line = _utterance([(22_690, 22_980, "또한", 0.65), (26_230, 26_330, "반군", 0.21),
                       (26_330, 26_840, "아니라?", 0.4)])
    kept = align_to_voice(Transcript("ko", (line,), 40_000), energy, lambda a, b: 0.5, [reply, turn], QualityOptions())
    assert kept.utterances[0].words[0].start_ms <= 22_750


def test_a_first_word_as_loud_as_the_rest_stays_where_it_was_said() -> None:
    """"네 ... 그래": a reply, a pause, more speech. Nothing to move."""
    energy, speech = _voice([(1000, 1400), (3000, 3600)])
    reply = _utterance([(1000, 1400, "네", 0.9), (3000, 3600, "그래", 0.9)])
    kept = align_to_voice(Transcript("ko", (reply,), 20_000), energy, speech, [(1000, 1400), (3000, 3600)],
                          QualityOptions())
    assert kept.utterances[0].words == reply.words


def test_a_word_squeezed_in_before_a_long_pause_moves_on_to_the_voice_it_was_said_in() -> None:
    """conv-103 at 127.9 s: batched word times put "정정기의" (for "가정용 전기에") 170 ms long at the end
    of the turn before, 11 s before its own voice at 138.3 s; that turn's cue came up 1.2 s late."""
    spans = [(125_720, 128_100), (138_350, 140_300)]
    energy, speech = _voice(spans)
    line = _utterance([(125_720, 126_320, "민간", 0.64), (126_320, 127_180, "자문단장으로", 0.88),
                       (127_180, 127_920, "위쪽되면서", 0.7), (127_920, 128_090, "정정기의", 0.47),
                       (139_460, 139_730, "누군지에", 0.31), (139_730, 140_170, "적용하는", 0.96)])
    moved = align_to_voice(Transcript("ko", (line,), 150_000), energy, speech, spans, QualityOptions())
    words = moved.utterances[0].words
    assert (words[3].text, words[3].start_ms, words[3].end_ms) == ("정정기의", 138_350, 139_460)
    assert words[:3] == line.words[:3] and words[4:] == line.words[4:]


def test_a_short_last_word_before_a_pause_stays_where_it_was_said() -> None:
    """"있고" said in 140 ms (70 ms a syllable) ends its turn; the next turn's voice after the pause
    is its own (its first word, begun 140 ms into it, starts on it)."""
    spans = [(17_000, 18_420), (20_000, 21_500)]
    energy, speech = _voice(spans)
    line = _utterance([(17_000, 18_270, "영업하고", 0.9), (18_270, 18_410, "있고", 0.8),
                       (20_140, 20_600, "많이", 0.9)])
    kept = align_to_voice(Transcript("ko", (line,), 30_000), energy, speech, spans, QualityOptions())
    assert kept.utterances[0].words[:2] == line.words[:2]
    assert kept.utterances[0].words[2] == Word(20_000, 20_600, "많이", 0.9)


def _bed_then_voice(voice_from: int, bed: float = -35.0, voice: float = -22.0, hits: tuple[int, ...] = ()) -> Profile:
    """Energy: a music bed (with drum hits, 50 ms at -30 dBFS) until ``voice_from``, the voice after it."""
    def energy(a: int, b: int) -> float:
        frames = range(a - a % 50, max(b, a + 1), 50)
        powers = [10 ** ((-30.0 if t in hits else bed if t < voice_from else voice) / 10) for t in frames]
        return 10 * math.log10(sum(powers) / len(powers))
    return energy


def test_a_turn_starts_where_its_voice_comes_in_not_on_the_bed_under_it() -> None:
    """conv-102 at 5.9 s: Whisper started "안철수" on the music bed 12 dB under the voice, 0.6 s early."""
    energy = _bed_then_voice(6450, hits=(5850, 6100))
    first = _utterance([(5850, 6900, "안철수", 0.9), (6900, 7400, "대표와", 0.9)])
    cleaned, _ = clean_transcript(Transcript("ko", (first,), 20_000), energy=energy)
    assert 6300 <= cleaned.utterances[0].start_ms <= 6450  # within the 150 ms it measures over
    # A word after a pause (a turn inside one segment) too; the word before it keeps its times.
    two = _utterance([(2000, 2400, "네", 0.9), (5850, 6900, "안철수", 0.9), (6900, 7400, "대표와", 0.9)])
    voice_too = _bed_then_voice(6450, hits=(5850,))

    def both(a: int, b: int) -> float:
        return -22.0 if b <= 2400 and a >= 2000 else voice_too(a, b)

    words = clean_transcript(Transcript("ko", (two,), 20_000), energy=both)[0].utterances[0].words
    assert words[0].start_ms == 2000 and 6300 <= words[1].start_ms <= 6450


def test_a_soft_onset_within_10_db_of_the_word_stays() -> None:
    energy = _bed_then_voice(6450, bed=-28.0)
    u = _utterance([(5850, 6900, "안철수", 0.9), (6900, 7400, "대표와", 0.9)])
    assert clean_transcript(Transcript("ko", (u,), 20_000), energy=energy)[0].utterances[0].start_ms == 5850


def _levels(plan: list[tuple[int, float]], after: float) -> Profile:
    """Energy: each ``(until_ms, dBFS)`` of ``plan`` in turn, ``after`` from the last on (50 ms frames)."""
    def energy(a: int, b: int) -> float:
        frames = range(a - a % 50, max(b, a + 1), 50)
        levels = [next((db for until, db in plan if t < until), after) for t in frames]
        return 10 * math.log10(sum(10 ** (db / 10) for db in levels) / len(levels))
    return energy


def test_a_phone_voice_rising_over_a_bed_starts_its_cue_where_it_comes_in() -> None:
    """conversation.mp4 at 33.4 s: a phone voice comes in at -26 to -30 dBFS over a bed at -40 and peaks at -17
    on its stressed syllable; its first word started 0.65 s late, where the voice first came within 10 dB of
    that peak."""
    energy = _levels([(33_400, -40.0), (34_150, -28.0), (34_250, -17.0)], -24.0)
    u = _utterance([(33_400, 34_270, "안철수대표와", 0.64), (34_270, 34_880, "국민의당은", 0.57)])
    assert clean_transcript(Transcript("ko", (u,), 60_000), energy=energy)[0].utterances[0].start_ms == 33_400


def test_breath_after_silence_far_under_the_voice_is_not_its_onset() -> None:
    """noisy.mp4 at 10.4 s: after silence at -64 dBFS, 0.4 s of breath at -49 (15 dB under the word's
    loudest frame, though 15 dB over the silence), then the voice; Whisper began the word on the breath."""
    energy = _levels([(10_400, -64.0), (10_800, -49.5)], -34.5)
    u = _utterance([(10_400, 10_900, "다른", 0.47), (11_000, 11_640, "지역에서는", 0.99)])
    start = clean_transcript(Transcript("ko", (u,), 60_000), energy=energy)[0].utterances[0].start_ms
    assert 10_650 <= start <= 10_800


def test_a_cue_is_not_moved_back_onto_the_bed_before_its_voice() -> None:
    energy = _bed_then_voice(6450)
    u = _utterance([(6450, 6900, "안철수", 0.9), (6900, 7400, "대표와", 0.9)])
    moved = align_to_voice(Transcript("ko", (u,), 20_000), energy, lambda a, b: 0.8, [(5550, 9250)], QualityOptions())
    assert moved.utterances[0].start_ms == 6450


def test_a_cue_is_not_moved_back_onto_a_bed_10_db_under_its_first_words_loudest_frame() -> None:
    """conv-102 at 222.9 s: "짠" (for "입장"), a syllable peaking at -19 dBFS after a music bed at -33 that
    the VAD half hears. The word's mean level is less than 10 dB over the bed, and its cue went back
    onto the bed, 0.96 s before the voice."""
    voice = {222_850: -41.0, 222_900: -28.0, 222_950: -19.0, 223_000: -22.0, 223_050: -29.0}

    def energy(a: int, b: int) -> float:
        frames = range(a - a % 50, max(b, a + 1), 50)
        levels = [voice.get(t, -33.5 if t < 222_850 else -22.0) for t in frames]
        return 10 * math.log10(sum(10 ** (x / 10) for x in levels) / len(levels))

    u = _utterance([(222_850, 223_086, "짠", 0.36), (223_086, 223_206, "뿐", 0.59),
                    (223_206, 223_486, "아니라?", 0.57)])
    moved = align_to_voice(Transcript("ko", (u,), 230_000), energy, lambda a, b: 0.5, [(221_950, 224_750)],
                           QualityOptions())
    assert moved.utterances[0].start_ms == 222_850


def test_a_phone_voice_starting_quietly_keeps_its_quiet_start() -> None:
    """conv-101 at 147.5 s: a phone voice at -32 dBFS with one frame at -22; the word's start, trimmed
    to that frame, goes back to the voice's onset: the phone-aware VAD hears the quiet start (0.87)."""
    levels = [-46, -32, -36, -43, -34, -35, -32, -39, -47, -37, -39, -30, -36, -47, -43, -36, -28, -22, -28, -38,
              -43, -39, -39, -33, -25]
    voice = {147_450 + 50 * i: float(x) for i, x in enumerate(levels)}

    def energy(a: int, b: int) -> float:
        frames = range(a - a % 50, max(b, a + 1), 50)
        return 10 * math.log10(sum(10 ** (voice.get(t, -62.0) / 10) for t in frames) / len(frames))

    u = _utterance([(148_200, 148_400, "안철수대표와", 0.5), (148_400, 149_000, "국민의당은", 0.8)])
    speech = lambda a, b: 0.87 if a >= 147_450 else 0.02  # noqa: E731
    moved = align_to_voice(Transcript("ko", (u,), 160_000), energy, speech, [(147_500, 150_000)], QualityOptions())
    assert moved.utterances[0].start_ms == 147_500
    heard_less = align_to_voice(Transcript("ko", (u,), 160_000), energy, lambda a, b: 0.5, [(147_500, 150_000)],
                                QualityOptions())
    assert heard_less.utterances[0].start_ms == 148_200


def test_a_quiet_voice_rising_out_of_silence_is_its_onset_not_a_bed() -> None:
    """conv-106 at 107.5 s: a phone line's quiet "자" (-38 dBFS, 11 dB under the word, VAD 0.89) out of silence;
    Whisper began "자신을" 0.25 s into it. Nothing was there before the onset, so it is no bed; heard at 0.5 by the
    VAD, the same start stays where Whisper put it."""
    energy = _levels([(107_500, -56.0), (107_750, -38.0), (108_100, -27.0), (108_150, -19.0)], -27.0)
    u = _utterance([(107_750, 108_800, "자신을", 0.8)])
    moved = align_to_voice(Transcript("ko", (u,), 120_000), energy, lambda a, b: 0.89, [(107_500, 108_950)],
                           QualityOptions())
    assert moved.utterances[0].start_ms == 107_500
    unheard = align_to_voice(Transcript("ko", (u,), 120_000), energy, lambda a, b: 0.5, [(107_500, 108_950)],
                             QualityOptions())
    assert unheard.utterances[0].start_ms == 107_750


def test_a_music_bed_coming_in_with_the_stretch_is_not_a_quiet_start() -> None:
    """conv-101 at 132.0 s: music (-30 dBFS, VAD 0.72) comes in out of a quieter stretch 0.93 s before "만약";
    longer than a voice's quiet start, it stays a bed and the cue starts on the word."""
    energy = _levels([(132_000, -47.0), (132_950, -30.0)], -18.0)
    u = _utterance([(132_930, 133_230, "만약", 0.9), (133_230, 133_790, "박근혜", 0.9)])
    kept = align_to_voice(Transcript("ko", (u,), 150_000), energy, lambda a, b: 0.72, [(132_000, 136_550)],
                          QualityOptions())
    assert kept.utterances[0].start_ms == 132_930


def test_a_word_begun_late_after_a_pause_starts_on_its_voice() -> None:
    """conv-106 at 176.7 s: after a pause, Whisper read "자신을" from 177.06 s, 0.36 s into its voice (the line's
    first syllable unread) in the segment of the line before. The word starts on the voice; over a bed that runs
    on from before the pause it stays."""
    words = [(174_610, 175_930, "변호인단의", 0.9), (175_930, 176_180, "활동에", 0.9),
             (177_060, 177_550, "자신을", 0.9), (177_550, 178_370, "정당화하지는", 0.9)]
    voiced = [(174_550, 176_200), (176_700, 178_700)]
    energy = _levels([(176_200, -24.0), (176_700, -50.0), (177_050, -31.0)], -24.0)
    moved = align_to_voice(Transcript("ko", (_utterance(words),), 200_000), energy, lambda a, b: 0.74, voiced,
                           QualityOptions())
    assert [w.start_ms for w in moved.utterances[0].words] == [174_610, 175_930, 176_700, 177_550]
    bed = _levels([(176_200, -24.0), (177_100, -38.0)], -24.0)
    kept = align_to_voice(Transcript("ko", (_utterance(words),), 200_000), bed, lambda a, b: 0.5, voiced,
                          QualityOptions())
    assert [w.start_ms for w in kept.utterances[0].words] == [174_610, 175_930, 177_060, 177_550]


def _music_until(end: int, start: int = 0) -> Profile:
    """Music frames: the share of a span lying in ``start``-``end``."""
    return lambda a, b: max(0, min(b, end) - max(a, start)) / max(b - a, 1)


def test_a_turns_first_word_drawn_back_over_music_starts_where_the_music_ends() -> None:
    """conv-104 at 22.6 s: "이때" began 0.73 s early, over the music before the line's voice; no word is dropped."""
    voice, energy = [(22_550, 25_300)], _levels([(22_550, -20.0)], -19.0)
    u = _utterance([(21_890, 22_690, "이때", 0.5), (22_690, 23_070, "교수가", 0.9), (23_070, 23_630, "민간", 0.9)])
    moved = align_to_voice(Transcript("ko", (u,), 40_000), energy, lambda a, b: 0.9, voice, QualityOptions(),
                           music=_music_until(22_550))
    out = moved.utterances[0]
    assert 22_500 <= out.start_ms == out.words[0].start_ms <= 22_550
    assert [w.text for w in out.words] == ["이때", "교수가", "민간"] and out.words[1:] == u.words[1:]


def test_a_word_read_in_the_music_after_a_pause_shares_the_next_words_span() -> None:
    """conv-109 at 86.7 s: after a pause, "분의" read in the music 0.6 s before the line "영업하고 있고"."""
    words = [(84_000, 84_520, "내밀면,", 0.9), (86_120, 86_270, "분의", 0.6), (86_800, 87_420, "영업하고", 0.9),
             (87_420, 87_660, "있고.", 0.9)]
    voice, energy = [(82_000, 84_600), (86_700, 87_700)], _levels([(86_700, -30.0)], -20.0)
    music = _music_until(86_700, 84_600)
    moved = align_to_voice(Transcript("ko", (_utterance(words),), 100_000), energy, lambda a, b: 0.9, voice,
                           QualityOptions(), music=music)
    out = moved.utterances[0].words
    assert [w.text for w in out] == ["내밀면,", "분의", "영업하고", "있고."]
    assert out[0] == Word(84_000, 84_520, "내밀면,", 0.9) and out[1].start_ms == 86_700 < out[2].start_ms  # its voice


def test_a_voice_over_music_to_its_end_keeps_its_times() -> None:
    """A host talking over loud music: every word lies in music frames, nothing marks where a voice comes in."""
    u = _utterance([(10_000, 10_500, "여러분", 0.9), (10_500, 11_000, "안녕하세요", 0.9)])
    energy, speech = _voice([(10_000, 11_000)])
    moved = align_to_voice(Transcript("ko", (u,), 20_000), energy, speech, [(10_000, 11_000)], QualityOptions(),
                           music=_music_until(20_000))
    assert moved.utterances[0] == u


def test_a_word_drawn_over_a_pause_keeps_the_side_with_its_sound() -> None:
    """conv-102 at 1.7 s: "일단" ran from its sound over 0.6 s of silence up to the next turn's first word,
    so the segmenter saw no pause between the two turns."""
    energy, _ = _voice([(1300, 1800), (2400, 4000)])
    u = _utterance([(1340, 1520, "물론", 0.9), (1660, 2460, "일단", 0.6), (2460, 3000, "염려가", 0.9),
                    (3000, 3960, "있습니다.", 0.9)])
    words = clean_transcript(Transcript("ko", (u,), 20_000), energy=energy)[0].utterances[0].words
    assert words[1].end_ms <= 1850 and words[2].start_ms >= 2400  # within a 50 ms frame
    # The other way round: a word started early over the pause keeps its sound after it.
    early = _utterance([(1340, 1800, "물론", 0.9), (1850, 2600, "염려가", 0.9), (2600, 3960, "있습니다.", 0.9)])
    words = clean_transcript(Transcript("ko", (early,), 20_000), energy=energy)[0].utterances[0].words
    assert words[1].start_ms >= 2400 and words[1].end_ms == 2600


def test_a_stretch_with_one_word_at_its_end_is_heard_only_near_that_word() -> None:
    """conv-103 at 180.7 s: a 4.5 s stretch where batched decoding gave only "네," at 184.3 s; the
    sentence before it had no cue and nothing decoded it again."""
    t = Transcript("ko", (_utterance([(184_310, 184_860, "네,", 0.07)]),), 200_000)
    assert uncovered([(180_650, 185_150)], t) == []
    assert unheard([(180_650, 185_150)], t, 1500, 400) == [(180_650, 182_810)]
    assert unheard([(183_000, 185_150)], t, 1500, 400) == []  # within reach of the word: its own voice
    assert unheard([(10_000, 10_500)], t, 1500, 400) == []  # no word on it: uncovered's
    # Decoded, the part reaches on to the word: the voice within reach of it, if no word says it, is the
    # sentence's end ("네," at 183.46 s, on the voice's last 0.4 s: cut 1.5 s short, it read "안철수 대수와 구미지").
    moved = Transcript("ko", (_utterance([(183_460, 184_010, "네,", 0.07)]),), 200_000)
    assert unheard([(180_650, 185_150)], moved, 1500, 400) == [(180_650, 181_960)]
    assert unheard([(180_650, 185_150)], moved, 1500, 400, widen=True) == [(180_650, 183_460)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60_000), st.integers(1, 8000)), max_size=6),
       st.lists(st.tuples(st.integers(0, 60_000), st.integers(0, 1500)), max_size=8),
       st.integers(0, 2000), st.integers(1, 1000))
def test_what_is_unheard_lies_on_a_stretch_far_from_every_word(
        stretches: list[tuple[int, int]], words: list[tuple[int, int]], reach: int, least: int) -> None:
    spans = sorted((a, a + n) for a, n in stretches)
    ws = sorted((a, a + n) for a, n in words)
    t = Transcript("ko", tuple(_utterance([(a, b, "네", 0.5)]) for a, b in ws), 70_000)
    parts = unheard(spans, t, reach, least)
    whole = uncovered(spans, t)
    for a, b in parts:
        assert b - a >= least and not any(s - reach < b and e + reach > a for s, e in ws)
        assert any(s <= a < b <= e and (s, e) not in whole for s, e in spans)  # on a stretch with a word
    # Widened, each part holds its own and reaches no farther than the words beside it, on its stretch.
    wide = unheard(spans, t, reach, least, widen=True)
    assert len(wide) == len(parts)
    for (a, b), (c, d) in zip(parts, wide, strict=True):
        assert c <= a < b <= d and not any(s < d and e > c for s, e in ws)
        assert any(s <= c < d <= e for s, e in spans)
